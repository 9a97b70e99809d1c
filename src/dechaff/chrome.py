"""Web chrome in extracted text: a line classifier plus page-structure rules.

Three layers, each returning :class:`~dechaff.model.Decision` objects (never deleting anything itself):

- **patterns** (``data/chrome_patterns.txt``, user-extendable): common CMS chrome phrased generally —
  comment forms, mobile-theme toggles, share/follow prompts, image credits, cookie and subscribe banners,
  navigation links;
- **line features**: template placeholders (``%s``, ``{{ }}``), lines that are only URLs or social
  network names, breadcrumb trails (``Home › World › ...`` or ``Home World Eurasia <the title>``), runs of
  short menu-like lines;
- **page structure**: a reader comment thread runs from its header ("3 thoughts on ...") to the reply
  form; a reply form runs from its header ("Leave a Reply") over the short lines that follow it.

Precision first: a rule that could fire on article prose (short headings, captions, lists) needs
structural support before it drops anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from dechaff.model import CHROME, COMMENT, KEEP, Decision, Document, Paragraph, split_paragraphs


@dataclass(frozen=True, slots=True)
class Pattern:
    rule: str
    regex: re.Pattern[str]


def parse_patterns(text: str, origin: str = "<patterns>") -> list[Pattern]:
    out: list[Pattern] = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise ValueError(f"{origin}:{n}: expected '<rule> <regex>', got {line!r}")
        try:
            out.append(Pattern(parts[0], re.compile(parts[1], re.I)))
        except re.error as e:
            raise ValueError(f"{origin}:{n}: bad regular expression for {parts[0]}: {e}") from None
    return out


@lru_cache(maxsize=1)
def builtin_patterns() -> tuple[Pattern, ...]:
    text = resources.files("dechaff").joinpath("data/chrome_patterns.txt").read_text(encoding="utf-8")
    return tuple(parse_patterns(text, "chrome_patterns.txt"))


class PatternSet:
    """The patterns compiled for matching many lines: the first pattern (in file order) that a line
    matches, or None.

    One alternation of 100+ patterns is slower in Python's ``re`` than the patterns one by one (it loses
    their literal-prefix optimisations), so lines are dispatched on their first character: an anchored
    pattern (``^...``) is only tried on lines whose first character can start it (read off the parsed
    pattern), the rest on every line. Most lines then meet a handful of small alternations and no
    pattern at all."""

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        self.patterns = tuple(patterns)
        anywhere: list[int] = []  # patterns tried on every line
        by_char: dict[str, list[int]] = {}
        for k, p in enumerate(self.patterns):
            # only a pattern compiled as the pattern file compiles them, and whose text can sit inside a
            # group (a global inline flag such as "(?s)" cannot), joins an alternation
            first = _first_chars(p.regex.pattern) if _unionable(p.regex) else None
            if first is None:
                anywhere.append(k)
            else:
                for c in first:
                    by_char.setdefault(c, []).append(k)
        # (index, needles) of the unanchored ones: only they are tried at every position of a line
        self._anywhere = [(k, _needles(self.patterns[k].regex.pattern, self.patterns[k].regex.flags))
                          for k in anywhere]
        self._by_char = {c: (ks, _union([self.patterns[k] for k in ks])) for c, ks in by_char.items()}

    def first_match(self, s: str) -> Pattern | None:
        best: int | None = None
        hit = self._by_char.get(_fold(s[:1]))
        if hit is not None and hit[1].search(s):  # anchored: tried at the first position only
            best = next((k for k in hit[0] if self.patterns[k].regex.search(s)), None)
        # unanchored patterns one by one: their alternation is slower than they are. The line's
        # lower-case copy rules out those none of whose needles it holds
        low = None
        for k, needles in self._anywhere:
            if best is not None and k > best:
                break
            if needles is not None:
                if low is None:
                    low = _folded(s)
                for n in needles:
                    if n in low:
                        break
                else:
                    continue  # holds none of them: cannot match
            if self.patterns[k].regex.search(s):
                best = k
                break
        return None if best is None else self.patterns[best]


# the characters besides A-Z that re.IGNORECASE matches to an ASCII letter (Kelvin sign, long s,
# dotted and dotless i): folded first, so that a needle is in the lower-cased line whenever the
# pattern matches the line (and str.lower keeps every character one character long)
_ASCII_FOLD = {0x212A: "k", 0x17F: "s", 0x130: "i", 0x131: "i"}


def _folded(s: str) -> str:
    if not s.isascii() and any(c in s for c in "\u212a\u017f\u0130\u0131"):
        s = s.translate(_ASCII_FOLD)
    return s.lower()


NEEDLE_MIN_CHARS = 3  # a shorter needle is in nearly every line: it rules nothing out


def _needles(pattern: str, flags: int = re.I) -> tuple[str, ...] | None:
    """Lower-case ASCII strings one of which every match of ``pattern`` contains (the literal text a
    match cannot do without: " cookies" for "(we|this site) uses? cookies"), or None when none can be
    told. A ``\\b``-led pattern has no literal prefix for ``re`` to scan for, so it is tried at every
    position of every line; testing its needles with ``in`` first is a fraction of that."""
    parsed = _parsed(pattern, flags)  # the pattern's own flags: re.X drops spaces
    got = None if parsed is None else _seq_needles(*parsed)
    if not got or min(map(len, got)) < NEEDLE_MIN_CHARS:
        return None
    return tuple(sorted(got))


def _seq_needles(items: list, sre) -> frozenset[str] | None:
    """Needles of a sequence: the best of its mandatory parts (a run of literals, a group, a branch,
    an item repeated at least once); the longest shortest needle wins."""
    cands: list[frozenset[str]] = []
    run: list[str] = []
    for op, av in [*items, (None, None)]:
        if op is sre.LITERAL and chr(av).isascii():
            run.append(chr(av).lower())
            continue
        if run:
            cands.append(frozenset({"".join(run)}))
            run = []
        if op is sre.SUBPATTERN:
            got = _seq_needles(list(av[-1]), sre)
        elif op is sre.BRANCH:
            branches = [_seq_needles(list(b), sre) for b in av[1]]
            got = None if any(b is None for b in branches) else frozenset().union(*branches)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[0] >= 1:
            got = _seq_needles(list(av[2]), sre)
        else:
            got = None  # a class, a wildcard, an anchor, an optional part: no literal it must hold
        if got:
            cands.append(got)
    if not cands:
        return None
    return max(cands, key=lambda c: (min(map(len, c)), -len(c)))


def _fold(c: str) -> str:
    """The key of a first character: case-folded as ``re.I`` matches it (K, the Kelvin sign, is k;
    the dotless i is i)."""
    c = c.casefold()[:1]
    if c.isdecimal():
        return "0"  # \d matches every script's digits: one key for them all
    return "i" if c == "\u0131" else c


def _union(patterns: Sequence[Pattern]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p.regex.pattern})" for p in patterns), re.I)


def _parsed(pattern: str, flags: int) -> tuple[list, object] | None:
    """``pattern`` as the stdlib's own parser reads it (what ``re`` compiles), with that parser's module
    for its opcodes; None when it cannot be read."""
    try:
        from re import _parser as sre
    except ImportError:  # pragma: no cover - older layouts
        return None
    try:
        return list(sre.parse(pattern, flags)), sre
    except Exception:
        return None


_FILE_FLAGS = re.compile("", re.I).flags  # what parse_patterns compiles with (re.I, and re.U for str)


def _unionable(regex: re.Pattern[str]) -> bool:
    if regex.flags != _FILE_FLAGS:
        return False
    try:
        re.compile(f"(?:{regex.pattern})", re.I)
    except re.error:
        return False
    return True


def _first_chars(pattern: str) -> frozenset[str] | None:
    """The lower-cased characters a match of ``pattern`` (case-insensitive, anchored at the start of
    the line) can begin with; None when it is not anchored or the set cannot be told."""
    parsed = _parsed(pattern, re.I)
    if parsed is None:
        return None
    items, sre = parsed
    if not items or items[0] != (sre.AT, sre.AT_BEGINNING):
        return None
    got, can_be_empty = _seq_first(items[1:], sre)
    return None if can_be_empty else got  # what follows an empty match is unknown here


def _first_of(op, av, sre) -> tuple[frozenset[str] | None, bool]:
    """(first characters, can be empty) of one parsed item."""
    if op is sre.LITERAL:
        return frozenset({_fold(chr(av))}), False
    if op is sre.IN:
        chars: set[str] = set()
        for iop, iav in av:
            if iop is sre.LITERAL:
                chars.add(_fold(chr(iav)))
            elif iop is sre.CATEGORY and iav is sre.CATEGORY_DIGIT:
                chars.add("0")
            elif iop is sre.RANGE and iav[1] - iav[0] < 128:
                chars |= {_fold(chr(c)) for c in range(iav[0], iav[1] + 1)}
            else:
                return None, False
        return frozenset(chars), False
    if op is sre.SUBPATTERN:
        return _seq_first(list(av[-1]), sre)
    if op is sre.BRANCH:
        chars = set()
        optional = False
        for branch in av[1]:
            got, opt = _seq_first(list(branch), sre)
            if got is None:
                return None, False
            chars |= got
            optional = optional or opt
        return frozenset(chars), optional
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        lo, _hi, inner = av
        got, opt = _seq_first(list(inner), sre)
        return got, opt or lo == 0
    return None, False


def _seq_first(items: list, sre) -> tuple[frozenset[str] | None, bool]:
    """(first characters, can be empty) of a sequence of items."""
    out: set[str] = set()
    for op, av in items:
        got, optional = _first_of(op, av, sre)
        if got is None:
            return None, False
        out |= got
        if not optional:
            return frozenset(out), False
    return frozenset(out), True


@lru_cache(maxsize=8)
def pattern_set(patterns: tuple[Pattern, ...]) -> PatternSet:
    return PatternSet(patterns)


def as_pattern_set(patterns: Sequence[Pattern] | PatternSet | None) -> PatternSet:
    """The compiled set for ``patterns`` (the built-in ones for None); compile once, match many lines."""
    if isinstance(patterns, PatternSet):
        return patterns
    if patterns is None:
        return _builtin_set()
    return pattern_set(tuple(patterns))


@lru_cache(maxsize=1)
def _builtin_set() -> PatternSet:
    return pattern_set(builtin_patterns())


def load_patterns(extra_files: Iterable[str | Path] = ()) -> tuple[Pattern, ...]:
    pats = list(builtin_patterns())
    for f in extra_files:
        pats.extend(parse_patterns(Path(f).read_text(encoding="utf-8"), str(f)))
    return tuple(pats)


_PLACEHOLDER = re.compile(r"%[sd]\b|\{\{.*?\}\}|\{%.*?%\}|\[%.*?%\]|<%.*?%>")
_URL_ONLY = re.compile(r"^(\S+@\S+\.\w+|(https?://|www\.)\S+)(\s*[|,·•]\s*(\S+@\S+\.\w+|(https?://|www\.)\S+))*$", re.I)
_SOCIAL = {"facebook", "twitter", "x", "linkedin", "whatsapp", "email", "e-mail", "reddit", "pinterest",
           "instagram", "youtube", "tiktok", "telegram", "tumblr", "print", "share", "tweet", "pin", "mail",
           "copy", "link", "messenger", "flipboard", "pocket", "threads", "mastodon", "bluesky", "vk",
           "google+", "rss", "and", "or", "us", "on", "follow", "like", "the", "via", "/", "|", "•", "·"}
_BREADCRUMB_SEP = re.compile(r"\s+(?:›|»|>|/|\||→|::|\\)\s+")
_HOME_WORDS = ("home", "start", "startseite", "accueil", "inicio", "início", "home page", "homepage", "main")
_TERMINAL = re.compile(r"[.!?…:;\"'\u201d\u2019)\]]$")
_WORD = re.compile(r"\w+")


def _words(line: str) -> list[str]:
    return _WORD.findall(line)


def classify_line(line: str, patterns: Sequence[Pattern] | PatternSet | None = None) -> Decision:
    """Context-free verdict on one line: the pattern file and line features."""
    s = line.strip()
    if not s:
        return KEEP
    if len(s) > 400:  # prose; chrome lines are short (and regexes stay cheap)
        return KEEP
    p = as_pattern_set(patterns).first_match(s)
    if p is not None:
        return Decision.drop(CHROME, f"pattern.{p.rule}", f"matches {p.regex.pattern[:80]!r}")
    if _PLACEHOLDER.search(s) and len(s) < 200:
        return Decision.drop(CHROME, "feature.placeholder", "unfilled template placeholder")
    if _URL_ONLY.match(s):
        return Decision.drop(CHROME, "feature.url-only", "a line of bare links")
    toks = s.lower().replace(",", " ").split()
    if 1 <= len(toks) <= 12 and all(t.strip(":!.") in _SOCIAL for t in toks) and \
            any(t.strip(":!.") not in {"and", "or", "us", "on", "the", "via", "/", "|", "•", "·", "link", "copy"}
                for t in toks) and len(toks) >= 2:
        return Decision.drop(CHROME, "feature.share-line", "only share/follow words")
    return KEEP


def _is_breadcrumb(line: str, following: Sequence[str]) -> str | None:
    s = line.strip()
    parts = _BREADCRUMB_SEP.split(s)
    if len(parts) >= 3 and all(0 < len(p.split()) <= 6 for p in parts[:-1]) and len(s) < 250:
        return f"{len(parts)} segments separated by {_BREADCRUMB_SEP.search(s).group(0).strip()!r}"
    low = s.lower()
    for home in _HOME_WORDS:
        if low.startswith(home + " ") or low.startswith(home + "/"):
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


def _short_menu_line(line: str) -> bool:
    s = line.strip()
    w = _words(s)
    return 0 < len(w) <= 3 and len(s) <= 30 and not _TERMINAL.search(s)


@dataclass(frozen=True, slots=True)
class ChromeOptions:
    keep_comments: bool = False
    menu_run: int = 4  # this many consecutive short menu-like lines are navigation


def classify_lines(lines: Sequence[str], patterns: Sequence[Pattern] | PatternSet | None = None,
                   opts: ChromeOptions = ChromeOptions(), hints: Sequence[Decision] | None = None,
                   dense: Sequence[bool] | None = None, rescue: bool = True) -> list[Decision]:
    """Decide every line of a page (in order). ``hints`` are prior decisions (from HTML structure).
    ``dense`` marks lines of a page dump (a block of many lines without blank lines between them,
    every HTML block on its own line): those also get the context classification. ``None`` means
    every line is. ``rescue``: give a page the context rules left nearly empty its lines back."""
    pats = as_pattern_set(patterns)
    n = len(lines)
    out: list[Decision] = list(hints) if hints is not None else [KEEP] * n
    for i, ln in enumerate(lines):
        if out[i].keep:
            out[i] = classify_line(ln, pats)
    # breadcrumbs: only near the top of the page
    seen = 0
    for i, ln in enumerate(lines):
        if not ln.strip():
            continue
        seen += 1
        if seen > 4:
            break
        if out[i].keep:
            ev = _is_breadcrumb(ln, lines[i + 1: i + 4])
            if ev:
                out[i] = Decision.drop(CHROME, "feature.breadcrumb", ev)
    _structure(lines, out, opts)
    _menu_runs(lines, out, opts)
    _context(lines, out, [True] * n if dense is None else dense)
    _repeats(lines, out)
    _bios(lines, out)
    if rescue:
        _rescue_empty(lines, out)
    return out


RESCUE_KEPT_CHARS = 500  # a page left with less than this...
RESCUE_KEPT_SHARE = 0.2  # ...and less than this share of its text was misread by the context rules
RESCUE_MIN_CHARS = 300
_WEAK_RULES = ("context.isolated", "feature.menu-run")


def _rescue_empty(lines: Sequence[str], out: list[Decision]) -> None:
    """When the context rules leave (almost) nothing of a page that has text, they misread it (a short
    product card, a list of names): the lines only they dropped come back. Lines a pattern or the page
    structure dropped stay dropped."""
    total = sum(len(ln.strip()) for ln in lines)
    kept = sum(len(ln.strip()) for ln, d in zip(lines, out, strict=True) if d.keep)
    if total < RESCUE_MIN_CHARS or kept >= RESCUE_KEPT_CHARS or kept >= RESCUE_KEPT_SHARE * total:
        return
    for i, d in enumerate(out):
        if d.rule in _WEAK_RULES:
            out[i] = Decision(True, rule="context.rescued",
                              evidence=f"page left with {kept} of {total} characters; was {d.rule}")


# words that make up much of running text in the languages most web text is in; chrome lines have few
_STOPWORDS = frozenset(["a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "der", "die", "das", "und", "ist", "nicht", "ein", "eine", "mit", "den", "dem", "des", "sich", "auf", "für", "von", "zu", "im", "auch", "als", "es", "le", "la", "les", "et", "est", "un", "une", "des", "du", "dans", "pour", "qui", "que", "pas", "sur", "au", "avec", "ce", "il", "elle", "el", "los", "las", "y", "es", "en", "un", "una", "por", "con", "para", "que", "se", "del", "al", "lo", "como", "il", "lo", "gli", "e", "di", "che", "non", "per", "una", "con", "sono", "della", "de", "het", "een", "en", "van", "is", "dat", "op", "te", "zijn", "niet", "met", "voor",
    # Portuguese, Indonesian / Malay, Polish, Czech, Swedish, Danish / Norwegian, Turkish, Romanian,
    # Finnish, Hungarian: their commonest words that are not also English words ("pro", "mint", "var",
    # "co") nor single letters ("it's" and "U.S." leave single letters in English text)
    "não", "os", "em", "dos", "das", "ao", "mais", "mas", "foi", "são", "pelo", "pela",
    "yang", "dan", "ini", "itu", "dengan", "untuk", "dari", "dalam", "tidak", "akan", "pada", "juga",
    "karena", "adalah", "atau", "kita", "anda", "saya", "mereka", "bisa", "sebagai", "oleh", "telah",
    "nie", "na", "się", "że", "jest", "jak", "od", "za", "są", "je", "že", "jako", "jsou",
    "och", "att", "det", "som", "på", "är", "av", "för", "med", "till", "inte", "ett", "jag",
    "og", "er", "af", "ikke", "jeg",
    "ve", "bir", "için", "ile", "çok", "daha", "gibi", "olarak",
    "și", "în", "cu", "pe", "că", "nu", "este", "să", "din", "care", "mai",
    "ja", "ei", "että", "hän", "oli", "ovat", "mutta", "kun", "tai", "myös", "niin",
    "az", "és", "hogy", "nem", "egy", "van", "meg", "már", "csak"])


_SENTENCE_END = re.compile(r"[.!?…。！？」』]$|[.!?…。！？][\"'\u201d\u2019)\]」』]$")
_NO_SPACE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")


def _line_class(line: str) -> str:
    """jusText-style initial class of one line: good, near (near-good), short or bad."""
    s = line.strip()
    words = _words(s.lower())
    n = len(words)
    if n == 0:
        return "bad"
    stop = sum(1 for w in words if w in _STOPWORDS) / n
    if stop == 0:
        return _line_class_unknown_language(s, n)
    if len(s) >= 120 and stop >= 0.2:
        return "good"
    if len(s) >= 60 and stop >= 0.15 and _TERMINAL.search(s):
        return "good"
    if len(s) >= 40 and stop >= 0.1:
        return "near"
    if n >= 5 and _TERMINAL.search(s) and stop >= 0.1:
        return "near"  # a short sentence
    return "short"


def _line_class_unknown_language(s: str, n: int) -> str:
    """A line with none of the stopwords: a language they do not cover (or no language: a list of
    names, a menu). Sentences are told by their length, their end and their case: ten or more words
    (or, in a script written without spaces, 40 characters), mostly in lower case, closed by a full
    stop."""
    if not _SENTENCE_END.search(s):
        return "short"
    words = _words(s)
    lower = sum(1 for w in words if w[0].islower())
    upper = sum(1 for w in words if w[0].isupper())
    if upper + lower and lower < 0.5 * (upper + lower):
        return "short"  # Title Case: product names and headlines, not running text
    dense_script = _NO_SPACE_SCRIPT.search(s) is not None  # a character there says what a word says here
    long_enough = n >= 10 or (dense_script and len(s) >= 40)
    if long_enough and len(s) >= (60 if dense_script else 120):
        return "good"
    return "near" if long_enough else "short"


MAIN_GAP = 2  # lines between two good lines that still belong to one stretch of text
MAIN_SHARE = 0.1  # a stretch with less than this share of the main stretch's text is a teaser or footer


def _far_from_main(lines: Sequence[str], idx: list[int], cls: dict[int, str]) -> None:
    """Good lines far from the page's main stretch of running text (footers, teasers, sidebars) are
    demoted to short, so that the context pass decides them like any other stray line."""
    goods = [k for k, i in enumerate(idx) if cls[i] == "good"]
    if not goods:
        return
    stretches: list[list[int]] = [[goods[0]]]
    for k in goods[1:]:
        if k - stretches[-1][-1] - 1 <= MAIN_GAP:
            stretches[-1].append(k)
        else:
            stretches.append([k])
    size = [sum(len(lines[idx[k]]) for k in st) for st in stretches]
    main = max(size)
    for st, sz in zip(stretches, size, strict=True):
        if sz < MAIN_SHARE * main:
            for k in st:
                cls[idx[k]] = "short"


WRAP_MIN_CHARS = 40  # a hard-wrapped line runs close to the wrap width; list items are shorter
_CONTINUES = re.compile(r"^[\"'“‘(]?[a-z]")


def _wrapped_units(lines: Sequence[str], idx: list[int]) -> list[list[int]]:
    """Consecutive lines that are one hard-wrapped sentence (a line without end punctuation followed
    by one that starts in lower case) grouped into units, so that text wrapped at 70 columns is
    judged as the paragraph it is, not as a run of short lines."""
    units: list[list[int]] = []
    for i in idx:
        prev = lines[i - 1].strip() if i else ""
        if units and units[-1][-1] == i - 1 and len(prev) >= WRAP_MIN_CHARS and not _TERMINAL.search(prev) \
                and _CONTINUES.match(lines[i].lstrip()):
            units[-1].append(i)
        else:
            units.append([i])
    return units


ITEM_RUN = 6  # a listing has at least this many item lines in a row...
ITEM_MIN_WORDS, ITEM_MAX_WORDS, ITEM_AVG_WORDS = 3, 15, 4.0  # ...of headline length (menus are 1-3 words)
ITEM_PAGE_MAX_PROSE = 1500  # characters of running text above which a page is an article, not a listing


def _item_line(line: str) -> bool:
    n = len(_words(line))
    return ITEM_MIN_WORDS <= n <= ITEM_MAX_WORDS and len(line.strip()) <= 120


def _item_runs(lines: Sequence[str], idx: list[int], cls: dict[int, str], out: list[Decision]) -> None:
    """A page whose running text is outweighed by a run of headline-like lines (a listing, a
    collection, a recipe index) is about those items: they are content, like running text. A run of
    one- to three-word lines stays a menu; on an article page the prose outweighs its link lists."""
    good = sum(len(lines[i]) for i in idx if cls[i] == "good")
    if good >= ITEM_PAGE_MAX_PROSE:
        return  # an article: its link lists are menus, teasers and footers
    runs: list[list[int]] = []
    run: list[int] = []
    gap = 0  # one other line (a two-word title, a price) does not break a run
    for i in idx:
        if out[i].keep and cls[i] in ("short", "near") and _item_line(lines[i]):
            run.append(i)
            gap = 0
            continue
        gap += 1
        if gap > 1 and run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    for r in runs:
        chars = sum(len(lines[i]) for i in r)
        if len(r) >= ITEM_RUN and chars >= max(good, 300) and \
                sum(len(_words(lines[i])) for i in r) / len(r) >= ITEM_AVG_WORDS:
            for i in r:
                cls[i] = "good"


CODE_RUN = 3  # this many code-like lines in a row are a code listing
_CODE_CHARS = re.compile(r"[{}();=<>\[\]$#|&*\\]")
_CODE_END = re.compile(r"[{};,(\[]$|^[})\]]")


def _code_line(line: str) -> bool:
    s = line.strip()
    return 0 < len(s) <= 160 and (len(_CODE_CHARS.findall(s)) >= 2 or bool(_CODE_END.search(s)))


def _code_runs(lines: Sequence[str], idx: list[int], cls: dict[int, str], out: list[Decision]) -> None:
    """A run of code-like lines (brackets, operators, statement ends) is a code listing: it counts as
    a near-prose line, so that between paragraphs of text it stays with them (documentation, Q&A)
    while a stray one away from the text still goes."""
    run: list[int] = []
    for i in [*idx, -1]:
        if i >= 0 and out[i].keep and cls[i] != "good" and _code_line(lines[i]):
            run.append(i)
            continue
        if len(run) >= CODE_RUN:
            for j in run:
                cls[j] = "near"  # a line of code with few words, or none ("});"), is not chrome
        run = []


def _context(lines: Sequence[str], out: list[Decision], dense: Sequence[bool]) -> None:
    """Context classification of page-dump lines (after jusText): a short line keeps company. Between
    two good lines it is content (a subheading, a short paragraph, a list item); between chrome lines,
    or cut off from all good lines, it is chrome. A line right before good text stays (a heading)."""
    idx = [i for i in range(len(lines)) if dense[i] and lines[i].strip()]
    if len(idx) < 8:
        return
    cls = {i: "bad" for i in idx if not out[i].keep}
    for unit in _wrapped_units(lines, [i for i in idx if out[i].keep]):
        c = _line_class(" ".join(lines[i].strip() for i in unit))
        for i in unit:
            cls[i] = c
    if not any(c == "good" for c in cls.values()):
        return  # no running text to anchor on: leave the page alone
    _code_runs(lines, idx, cls, out)
    pos = {i: k for k, i in enumerate(idx)}

    def neighbour(k: int, step: int) -> str:
        k += step
        while 0 <= k < len(idx):
            c = cls[idx[k]]
            if c in ("good", "bad"):
                return c
            k += step
        return "bad"

    _far_from_main(lines, idx, cls)
    _item_runs(lines, idx, cls, out)  # after: a listing's items do not make its prose look far away
    final = {}
    for i in idx:
        c = cls[i]
        if c in ("good", "bad"):
            final[i] = c
            continue
        k = pos[i]
        prev, nxt = neighbour(k, -1), neighbour(k, 1)
        if prev == "good" and nxt == "good" or c == "near" and "good" in (prev, nxt):
            final[i] = "good"
        elif nxt == "good" and k + 1 < len(idx) and cls[idx[k + 1]] == "good" and len(_words(lines[i])) <= 15:
            final[i] = "good"  # a heading right before running text
        else:
            final[i] = "bad"
    for i in idx:
        if final[i] == "bad" and out[i].keep:
            out[i] = Decision.drop(CHROME, "context.isolated",
                                   f"{cls[i]} line away from running text (jusText-style context)")


DISCUSSION_MIN_WORDS = 80  # prose words a thread needs before it can be the page's content
DISCUSSION_REST = 0.5  # ...while the rest of the page holds less than this share of its prose...
DISCUSSION_REST_MAX = 120  # ...and fewer words than this: a title, a byline and an opening question, not an article body


def is_discussion(thread_words: int, rest_words: int) -> bool:
    """Whether a comment thread holding ``thread_words`` words of prose, on a page whose other text
    holds ``rest_words``, is the page's content (a forum topic, a Q&A) rather than reader comments
    under an article: an article has a body of its own."""
    return thread_words >= DISCUSSION_MIN_WORDS and rest_words < min(DISCUSSION_REST * thread_words,
                                                                      DISCUSSION_REST_MAX)


def _prose_words(line: str) -> int:
    return len(_words(line)) if _line_class(line) == "good" else 0


ARTICLE_RUN_CHARS = 2000  # unbroken running text this long is an article body, not one reader's comment...
ARTICLE_RUN_WITHIN = 8  # ...when it starts within this many lines after the comment header


def _article_run(lines: Sequence[str], out: list[Decision], start: int, stop: int) -> bool:
    """Whether an article body starts within a few lines after ``start`` (before ``stop``): an unbroken
    run of prose lines (blank lines aside) of ARTICLE_RUN_CHARS. Comments come one by one between
    names, dates and reply links; an article's paragraphs follow each other."""
    run = 0
    seen = 0
    for j in range(start + 1, stop):
        s = lines[j].strip()
        if not s:
            continue
        if out[j].keep and _line_class(s) == "good":
            run += len(s)
            if run >= ARTICLE_RUN_CHARS:
                return True
            continue
        if run:
            return False  # the first run of prose ended short: a comment
        seen += 1
        if seen > ARTICLE_RUN_WITHIN:
            return False
    return False


def _structure(lines: Sequence[str], out: list[Decision], opts: ChromeOptions) -> None:
    form_starts = [i for i, d in enumerate(out) if d.rule == "pattern.form.start"]
    first_form = form_starts[0] if form_starts else None
    # reader comment threads: header .. first form after it (or the end)
    for i, d in enumerate(out):
        if d.rule != "pattern.comments.start":
            continue
        s = lines[i].strip().lower()
        strong = bool(re.match(r"^(one|two|three|four|five|six|seven|eight|nine|ten|\d+)\b", s))
        end = next((f for f in form_starts if f > i), None)
        if not strong and end is None:
            out[i] = KEEP  # a bare "Comments" heading without a form after it proves nothing
            continue
        stop = end if end is not None else len(lines)
        thread = sum(_prose_words(lines[j]) for j in range(i, stop) if out[j].keep)
        before = sum(_prose_words(lines[j]) for j in range(i) if out[j].keep)
        if is_discussion(thread, before):
            # nothing like an article before it: a comment count in the byline, or a forum topic
            # whose posts are the content; a later header may still open the real thread
            continue
        if _article_run(lines, out, i, stop):
            continue  # an article body follows the header (a comment count in its byline), not posts
        for j in range(i, stop):
            if opts.keep_comments:
                if out[j].rule.startswith(("pattern.comments", "feature.comment")):
                    out[j] = KEEP
                continue
            if out[j].keep or out[j].rule == "pattern.comments.start":
                out[j] = Decision.drop(COMMENT, "structure.comment-thread",
                                       f"inside the reader comment thread opened at line {i}")
        break
    # reply forms: header then the short lines after it, up to the first real prose line
    if first_form is not None:
        for j in range(first_form, len(lines)):
            s = lines[j].strip()
            if not s:
                continue
            if out[j].keep:
                w = _words(s)
                if len(w) >= 16 and _TERMINAL.search(s):
                    break
                out[j] = Decision.drop(CHROME, "structure.comment-form",
                                       f"inside the reply form opened at line {first_form}")


# "<Full Name> is a freelance writer and editor who ...": the author box of an article
_BIO = re.compile(
    r"^(?:[A-Z][\w'’.-]+\s){1,3}[A-Z][\w'’.-]+,?\s(?:is|was|has been)\s(?:a|an|the|currently)\s(?:[\w-]+\s){0,5}?"
    r"(?:writer|journalist|editor|reporter|contributor|author|columnist|freelancer|blogger|ceo|founder|"
    r"co-?founder|researcher|consultant|strategist|analyst|correspondent|producer|photographer)\b")
BIO_MAX_WORDS = 80
BODY_MIN_WORDS = 40  # a paragraph this long is the body of the text


def is_author_bio(text: str, words: int) -> bool:
    """Whether a block reads like an author box ("Jane Smith is a freelance writer who..."). Only
    a hint: callers drop it only after the body of the text (its last long paragraph), since a
    profile opens, and a course page describes its teachers, in the same words."""
    return words <= BIO_MAX_WORDS and bool(_BIO.match(text))


def _bios(lines: Sequence[str], out: list[Decision]) -> None:
    if not any(_BIO.match(ln.strip()) for ln in lines):
        return  # no line reads like an author box: the body need not be found
    body = [i for i, ln in enumerate(lines) if out[i].keep and len(_words(ln)) >= BODY_MIN_WORDS
            and _line_class(ln) == "good" and not is_author_bio(ln, len(_words(ln)))]
    if not body:
        return
    for i, ln in enumerate(lines):
        if out[i].keep and i > body[-1] and is_author_bio(ln.strip(), len(_words(ln))):
            out[i] = Decision.drop(CHROME, "feature.author-bio", "an author box after the body of the text")


REPEAT_MIN_WORDS = 4  # shorter lines (table cells, labels, "Reply") repeat legitimately


def _repeats(lines: Sequence[str], out: list[Decision]) -> None:
    """A line the page already showed is dropped (responsive templates render sections twice; credits
    and calls to action recur under every item). The first copy stays."""
    first: dict[str, int] = {}
    for i, ln in enumerate(lines):
        if not out[i].keep:
            continue
        key = " ".join(ln.lower().split())
        if key.count(" ") + 1 < REPEAT_MIN_WORDS:
            continue
        j = first.setdefault(key, i)
        if j != i:
            out[i] = Decision.drop(CHROME, "feature.repeated", f"same text as line {j} of the page")


def _menu_runs(lines: Sequence[str], out: list[Decision], opts: ChromeOptions) -> None:
    i, n = 0, len(lines)
    while i < n:
        if out[i].keep and _short_menu_line(lines[i]):
            j = i
            while j < n and (_short_menu_line(lines[j]) or not out[j].keep):
                j += 1
            run = [k for k in range(i, j) if out[k].keep]
            # menus are one- or two-word links; lists of three-word items (fixtures, names) are content
            avg_words = sum(len(_words(lines[k])) for k in run) / max(len(run), 1)
            if len(run) >= opts.menu_run and avg_words <= 2.0:
                for k in run:
                    out[k] = Decision.drop(CHROME, "feature.menu-run",
                                           f"{len(run)} consecutive short link-like lines")
            i = j
        else:
            i += 1


def apply_chrome(doc: Document, patterns: Sequence[Pattern] | None = None,
                 opts: ChromeOptions = ChromeOptions()) -> list[Paragraph]:
    """Split a document into paragraphs and decide each paragraph and line."""
    paras = split_paragraphs(doc.doc_id, doc.text)
    hints = doc.hints if doc.hints is not None and len(doc.hints) == len(paras) else None
    flat: list[str] = []
    owner: list[tuple[int, int]] = []
    flat_hints: list[Decision] = []
    for p in paras:
        for li, ln in enumerate(p.lines):
            flat.append(ln)
            owner.append((p.index, li))
            flat_hints.append(hints[p.index] if hints is not None else KEEP)
    dense = [len(paras[pi].lines) >= 8 for pi, _li in owner]
    decisions = classify_lines(flat, patterns, opts, flat_hints, dense)
    per_para: list[list[Decision]] = [[] for _ in paras]
    for (pi, _li), d in zip(owner, decisions, strict=True):
        per_para[pi].append(d)
    for p, ds in zip(paras, per_para, strict=True):
        if all(not d.keep for d in ds):
            p.decision = ds[0]
        elif any(not d.keep for d in ds):
            p.line_decisions = ds
    return paras


def clean_text(text: str, *, keep_comments: bool = False) -> str:
    """Already-extracted page text without its chrome lines; paragraphs separated by a blank line."""
    doc = Document(doc_id="-", source="-", text=text)
    paras = apply_chrome(doc, opts=ChromeOptions(keep_comments=keep_comments))
    return "\n\n".join(p.text for p in paras if p.kept)
