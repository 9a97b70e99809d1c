"""Context-free line features: the pattern file, template placeholders, bare links, share/follow
lines, breadcrumb trails, menu-like short lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dechaff.chrome.patterns import Pattern, PatternSet, as_pattern_set
from dechaff.model import CHROME, KEEP, Decision
from dechaff.rules import (
    FEATURE_CHROME_PARTS,
    FEATURE_CREDIT_TAIL,
    FEATURE_PLACEHOLDER,
    FEATURE_SHARE_LINE,
    FEATURE_TICKER,
    FEATURE_URL_ONLY,
)

_PLACEHOLDER = re.compile(r"%[sd]\b|\{\{.*?\}\}|\{%.*?%\}|\[%.*?%\]|<%.*?%>")
_URL_ONLY = re.compile(r"^(\S+@\S+\.\w+|(https?://|www\.)\S+)(\s*[|,·•]\s*(\S+@\S+\.\w+|(https?://|www\.)\S+))*$", re.I)
# a line that is only a site's name: "EXAMPLENEWS.COM", "www.example.de" (not "Node.js")
_SITE_NAME = re.compile(r"(www\.)?[a-z0-9-]+(\.[a-z0-9-]+)*\.(com|net|org|info|de|fr|es|it|nl|at|ch|co\.uk|com\.[a-z]{2}|"
                        r"io|news|tv)\W*$", re.I)
_SOCIAL = {"facebook", "twitter", "x", "linkedin", "whatsapp", "email", "e-mail", "reddit", "pinterest",
           "instagram", "youtube", "tiktok", "telegram", "tumblr", "print", "share", "tweet", "pin", "mail",
           "copy", "link", "messenger", "flipboard", "pocket", "threads", "mastodon", "bluesky", "vk",
           "google+", "rss", "and", "or", "us", "on", "follow", "like", "the", "via", "/", "|", "•", "·"}
_BREADCRUMB_SEP = re.compile(r"\s+(?:›|»|>|/|\||→|::|\\)\s+")
_HOME_WORDS = ("home", "start", "startseite", "accueil", "inicio", "início", "home page", "homepage", "main")
# (most lines hold no separator and open with no home word: one search and one startswith rule them out)
_ANY_SEP = re.compile(r"[›»>/|→\\]|::").search
_HOME_PREFIXES = tuple((h, (h + " ", h + "/")) for h in _HOME_WORDS)  # a home word, then a space or a slash
_HOME_STARTS = tuple(x for _h, starts in _HOME_PREFIXES for x in starts)
_HOME_HEAD = max(map(len, _HOME_STARTS))
# a caption that ends in its image's credit, in the languages of the pattern file: "... Foto: X",
# "... (Photo: X/Agency)", "... © X". Searched in the line's last 90 characters only (a credit is short)
_CREDIT_TAIL = re.compile(
    r"(?:(?:^|[\s/])\(c\)\s*[^!?:;()]{1,60}(?<![.!?])|(?:^|[\s(/])(?:bild|fotos?|photos?|cr[ée]dito?s?|credits?|image|imagen|imagem|quelle)\s*:\s*"
    r"[^!?:;()]{1,60}(?<![.!?])\)?|\((?:fotos?|bild|quelle|photos?|credits?|image|imagen|imagem|cr[ée]dito?)s?\s*:"
    r"\s*[^)]{1,60}\)\.?|©\s*[^!?:;]{1,60}(?<![.!?]))$", re.I)
_FIRST_SENTENCE = re.compile(r".{20,300}?[.!?](?=\s)")
TERMINAL = re.compile(r"[.!?…:;\"'\u201d\u2019)\]]$")
_WORD = re.compile(r"\w+")


def words_of(line: str) -> list[str]:
    return _WORD.findall(line)


def classify_line(line: str, patterns: Sequence[Pattern] | PatternSet | None = None) -> Decision:
    """Context-free verdict on one line: the pattern file and line features."""
    s = line.strip()
    if not s:
        return KEEP
    n = len(s)
    # (a ticker's opening characters come back: one count rules out nearly every line, before any call)
    may_tick = n >= 16 and s.count(s[:4]) >= TICKER_MIN_REPEATS - 1
    pats = as_pattern_set(patterns)
    if n > 400:  # prose; chrome lines are short (and regexes stay cheap)...
        # ...but for a consent notice of several sentences: its first sentence says what it is
        first = _FIRST_SENTENCE.match(s) if "ookie" in s[:300] else None
        p = pats.first_match(first.group(0)) if first is not None and "ookie" in first.group(0) else None
        if p is not None and p.rule.startswith("cookie."):
            return Decision.drop(CHROME, f"pattern.{p.rule}", f"first sentence matches {p.regex.pattern[:80]!r}")
        return _ticker(s) if may_tick else KEEP
    p = pats.first_match(s)
    if p is not None:
        return Decision.drop(CHROME, f"pattern.{p.rule}", f"matches {p.regex.pattern[:80]!r}")
    if "|" in s:
        # a row of template links: "Comments feed | Comments closed | Trackback URL"
        parts = [x for x in (y.strip() for y in s.split("|")) if x]
        if len(parts) >= 2 and all(pats.first_match(x) is not None for x in parts):
            return Decision.drop(CHROME, FEATURE_CHROME_PARTS, f"{len(parts)} parts separated by '|', each of them chrome")
    if _PLACEHOLDER.search(s) and n < 200:
        return Decision.drop(CHROME, FEATURE_PLACEHOLDER, "unfilled template placeholder")
    tail = s[-90:]
    if (":" in tail or "\u00a9" in tail or "(c)" in tail or "(C)" in tail) and _CREDIT_TAIL.search(s, max(0, n - 90)):
        return Decision.drop(CHROME, FEATURE_CREDIT_TAIL, "ends in an image credit")
    if _URL_ONLY.match(s):
        return Decision.drop(CHROME, FEATURE_URL_ONLY, "a line of bare links")
    if "." in s and " " not in s and _SITE_NAME.match(s):
        return Decision.drop(CHROME, FEATURE_URL_ONLY, "a bare site name")
    toks = s.lower().replace(",", " ").split() if n <= 160 else ()  # (12 share words at most)
    if 1 <= len(toks) <= 12 and all(t.strip(":!.") in _SOCIAL for t in toks) and \
            any(t.strip(":!.") not in {"and", "or", "us", "on", "the", "via", "/", "|", "•", "·", "link", "copy"}
                for t in toks) and len(toks) >= 2:
        return Decision.drop(CHROME, FEATURE_SHARE_LINE, "only share/follow words")
    return _ticker(s) if may_tick else KEEP


def _ticker(s: str) -> Decision:
    ticker = repeated_phrase(s)
    return KEEP if ticker is None else Decision.drop(CHROME, FEATURE_TICKER, ticker)


TICKER_MIN_REPEATS = 4
TICKER_MAX_WORDS = 6
TICKER_SPAN = 60  # characters of one phrase and its separator, at most


def repeated_phrase(s: str) -> str | None:
    """Evidence that the line is one phrase of at most ``TICKER_MAX_WORDS`` words said at least
    ``TICKER_MIN_REPEATS`` times and nearly nothing else ("Book Now * Book Now * Book Now * ...": a
    marquee or ticker that the page scrolls), else None. Such a line's opening characters come back
    every few dozen characters, which one ``str.count`` tells (prose is ruled out at that cost); phrases
    without a letter ("0 0 0 0", "* * * *") are data or separators, not tickers."""
    if len(s) < 16:
        return None
    seen = s.count(s[:4])  # (the phrase's opening comes back at least every TICKER_SPAN characters)
    if seen < TICKER_MIN_REPEATS - 1 or seen * TICKER_SPAN < len(s):
        return None
    toks = words_of(s)  # (words: the separators between the repeats vary, "Book Now *Book Now *")
    n = len(toks)
    for k in range(1, TICKER_MAX_WORDS + 1):
        if n < k * TICKER_MIN_REPEATS:
            break
        same = sum(1 for i in range(k, n) if toks[i] == toks[i - k])
        if same >= 0.9 * (n - k):
            phrase = " ".join(toks[k: 2 * k])  # (the first repeat: the line may open with a stray word)
            if not any(c.isalpha() for c in phrase):
                return None
            return f"{phrase!r} {n // k} times"
    return None


def breadcrumb_evidence(line: str, following: Sequence[str]) -> str | None:
    s = line.strip()
    if _ANY_SEP(s):
        parts = _BREADCRUMB_SEP.split(s)
        if len(parts) >= 3 and all(0 < len(p.split()) <= 6 for p in parts[:-1]) and len(s) < 250:
            return f"{len(parts)} segments separated by {_BREADCRUMB_SEP.search(s).group(0).strip()!r}"
    low = s[:_HOME_HEAD].lower()  # (lower-cased character by character: the head of the lower-cased line)
    if not low.startswith(_HOME_STARTS):
        return None
    for home, starts in _HOME_PREFIXES:
        if low.startswith(starts):
            rest = s[len(home):].strip(" /›»>|")
            # the trail ends with the page title, which is repeated as its own line below
            for nxt in following:
                nxt = nxt.strip()
                if nxt and len(nxt.split()) >= 2 and rest.endswith(nxt) and len(rest) - len(nxt) < 80:
                    crumbs = rest[: len(rest) - len(nxt)].split()
                    if all(c[:1].isupper() or not c[:1].isalpha() for c in crumbs):
                        return f"'{home}' + {len(crumbs)} section names + the title"
            break
    return None


def short_menu_line(line: str) -> bool:
    s = line.strip()
    return len(s) <= 30 and 0 < len(words_of(s)) <= 3 and not TERMINAL.search(s[-2:])


