"""The context pass over page-dump lines (after jusText): a short line keeps company; listings, code,
hard-wrapped text and other stories' teasers are recognised first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

from dechaff.chrome.features import TERMINAL, words_of
from dechaff.chrome.heuristics import line_class
from dechaff.chrome.params import ChromeParams
from dechaff.model import CHROME, Decision
from dechaff.rules import CONTEXT_ISOLATED, CONTEXT_TEASER, PATTERN_NAV_RELATED


def _far_from_main(lines: Sequence[str], idx: list[int], cls: dict[int, str], p: ChromeParams) -> None:
    """Good lines far from the page's main stretch of running text (footers, teasers, sidebars) are
    demoted to short, so that the context pass decides them like any other stray line. Paragraphs before
    the main stretch stay when they are a section's worth (the reviewed items of a buying guide, each
    under its box of specifications; the steps of a how-to): teasers and footers come after it, or
    are a line or two."""
    goods = [k for k, i in enumerate(idx) if cls[i] == "good"]
    if not goods:
        return
    stretches: list[list[int]] = [[goods[0]]]
    for k in goods[1:]:
        if k - stretches[-1][-1] - 1 <= p.main_gap:
            stretches[-1].append(k)
        else:
            stretches.append([k])
    size = [sum(len(lines[idx[k]]) for k in st) for st in stretches]
    main = max(size)
    at = size.index(main)
    # before the main stretch, runs of stretches of paragraphs (lines of section_line_chars on average)
    # that together make a section's worth: a buying guide's or a ranking's items, each split from the
    # next by its box of specs or figures
    sections: set[int] = set()
    run: list[int] = []
    for n in range(at + 1):
        if n < at and size[n] >= p.section_line_chars * len(stretches[n]):
            run.append(n)
            continue
        if sum(size[m] for m in run) >= p.section_chars:
            sections.update(run)
        run = []
    for n, (st, sz) in enumerate(zip(stretches, size, strict=True)):
        if n in sections:
            continue
        if sz < p.main_share * main:
            for k in st:
                cls[idx[k]] = "short"


# an excerpt cut short ("...", "…", "[…]") and the link after a teaser's standfirst, in the languages
# of the pattern file
_TRUNCATED = re.compile(r"(\.\.\.|…)\s*[\])]?\s*$")
_READ_MORE = re.compile(
    r"^\W*(read more|more|continue reading|keep reading|full story|weiterlesen|mehr|mehr lesen|"
    r"lire (la )?suite|lire plus|en savoir plus|leer más|seguir leyendo|ver más|leia mais|continuar lendo|"
    r"saiba mais|continua a leggere|leggi (tutto|di più)|lees meer|читать (далее|дальше)|подробнее)"
    r"(\s*(\.\.\.|…|»|›|→|>+))?\W*$", re.IGNORECASE)


def _teasers(lines: Sequence[str], idx: list[int], cls: dict[int, str], out: list[Decision],
             p: ChromeParams) -> dict[int, str]:
    """Teasers after running text: another story's standfirst (one or two lines of prose with no prose
    right before or after them, cut short or followed by a "read more" link, or under a "related
    stories" heading of the pattern file) is related content, however much it reads like prose. Where
    at least ``teaser_items`` of them follow the running text (which outweighs the largest
    ``teaser_main_ratio`` times, and holds an article's body: else the page is a listing of excerpts,
    or of sections of titles and standfirsts, as a news site's front page is), the prose lines from the first
    to the last are classed bad, and the context pass sends the titles around them too (also from inside
    the article: a "read also" box); unless a longer run of prose sits among them (the article went on).
    Returns the evidence of each standfirst (by line)."""
    n = len(idx)
    goods = [k for k, i in enumerate(idx) if cls[i] == "good"]  # (positions in idx; a page has few)
    if len(goods) <= p.teaser_items:
        return {}
    good = set(goods)
    heads = [k for k, i in enumerate(idx) if out[i].rule == PATTERN_NAV_RELATED
             and ":" not in lines[i].rstrip()[:-1]]  # (a heading; "Related: <title>" is a link in the article)

    def cut_short(k: int) -> bool:
        nxt = lines[idx[k + 1]] if k + 1 < n else ""
        return _TRUNCATED.search(lines[idx[k]]) is not None or _READ_MORE.match(nxt) is not None

    items: list[tuple[int, int]] = []  # (first, last) positions in idx
    related = False  # under a "related stories" heading, with no running text since
    h = 0
    for k in goods:
        while h < len(heads) and heads[h] < k:
            related, h = True, h + 1
        if k + 1 in good:
            continue
        first = k - 1 if k - 1 in good else k
        if first - 1 in good or any(len(lines[idx[j]]) > p.teaser_max_chars for j in range(first, k + 1)):
            related = False
            continue  # the end of a longer run of prose, or a long paragraph
        if related or cut_short(k):
            items.append((first, k))
    if len(items) < p.teaser_items:
        return {}
    start, end = items[0][0], items[-1][1]
    before = sum(len(lines[idx[k]]) for k in goods if k < start)
    largest = max(sum(len(lines[idx[j]]) for j in range(a, b + 1)) for a, b in items)
    if before < p.teaser_main_ratio * largest:
        return {}  # the page's text is excerpts: a listing, an archive
    if not _has_body(lines, idx, goods, start, p):
        return {}  # the text before them is items too (titles and standfirsts): a listing's sections
    run = 0
    for k in range(start, end + 1):
        run = run + 1 if k in good else 0
        if run > 2:
            return {}
    why = f"one of {len(items)} teasers after {before} characters of running text"
    found: dict[int, str] = {}
    for k in range(start, end + 1):
        if k in good:
            cls[idx[k]] = "bad"
            found[idx[k]] = why
    return found


def _has_body(lines: Sequence[str], idx: list[int], goods: list[int], start: int, p: ChromeParams) -> bool:
    """Whether the running text before position ``start`` (``goods``: the positions of its good lines)
    holds an article's body: ``teaser_body_run`` paragraphs in a row, or as many of ``teaser_body_chars``
    or more, or one longer than a standfirst. A listing's sections before its "more" boxes are items
    too: a title and a short standfirst each."""
    run, last, long = 0, -2, 0
    for k in goods:
        if k >= start:
            break
        n = len(lines[idx[k]].strip())
        if n > p.teaser_max_chars:
            return True
        long += n >= p.teaser_body_chars
        if long >= p.teaser_body_run:
            return True
        run = run + 1 if k == last + 1 else 1
        last = k
        if run >= p.teaser_body_run:
            return True
    return False


def _related_lists(lines: Sequence[str], idx: list[int], cls: dict[int, str], out: list[Decision],
                   p: ChromeParams) -> dict[int, str]:
    """A list of other pages' titles under a "related" heading of the pattern file ("Related questions",
    "Hot network questions", "You may also like") after running text: the lines up to the first one
    too long for a title (the page going on) are related content, however much each reads like a
    sentence (a Q&A site's question titles do). Returns the evidence of each line classed bad."""
    found: dict[int, str] = {}
    if not any(out[i].rule == PATTERN_NAV_RELATED for i in idx):
        return found
    before = 0  # characters of running text so far
    k, n = 0, len(idx)
    while k < n:
        i = idx[k]
        if cls[i] == "good":
            before += len(lines[i])
        head = lines[i].rstrip()
        if out[i].rule != PATTERN_NAV_RELATED or ":" in head[:-1] or before < p.related_after_chars \
                or head.endswith(".") and not head.endswith("..."):  # (a sentence: "More posts ≠ more readers.")
            k += 1
            continue
        items = []
        j = k + 1
        while j < n and len(items) < p.related_max_items:
            s = lines[idx[j]].strip()
            if len(s) > p.related_item_chars:
                break  # (the page goes on)
            if out[idx[j]].keep:
                items.append(idx[j])
            j += 1
        # titles open with a capital (or a digit, a quote...): a line that opens in lower case continues a
        # sentence, hard-wrapped prose under a heading ("More on forms") that the pattern took for a box
        if len(items) >= p.related_min_items and not any(lines[m].lstrip()[:1].islower() for m in items):
            why = f"one of {len(items)} titles under the related heading {lines[i].strip()[:60]!r}"
            for m in items:
                cls[m] = "bad"
                found[m] = why
        k = j
    return found


_CONTINUES = re.compile(r"^[\"'“‘(]?[a-z]")


def _wrapped_units(lines: Sequence[str], idx: list[int], p: ChromeParams) -> list[list[int]]:
    """Consecutive lines that are one hard-wrapped sentence (a line without end punctuation followed
    by one that starts in lower case) grouped into units, so that text wrapped at 70 columns is
    judged as the paragraph it is, not as a run of short lines."""
    units: list[list[int]] = []
    for i in idx:
        prev = lines[i - 1].strip() if i else ""
        if units and units[-1][-1] == i - 1 and len(prev) >= p.wrap_min_chars and not TERMINAL.search(prev[-2:]) \
                and _CONTINUES.match(lines[i].lstrip()):
            units[-1].append(i)
        else:
            units.append([i])
    return units


def _item_line(line: str, p: ChromeParams) -> bool:
    n = len(words_of(line))
    return p.item_min_words <= n <= p.item_max_words and len(line.strip()) <= 120


def _item_runs(lines: Sequence[str], idx: list[int], cls: dict[int, str], out: list[Decision],
               p: ChromeParams) -> None:
    """A page whose running text is outweighed by a run of headline-like lines (a listing, a
    collection, a recipe index) is about those items: they are content, like running text. A run of
    one- to three-word lines stays a menu; on an article page the prose outweighs its link lists."""
    good = sum(len(lines[i]) for i in idx if cls[i] == "good")
    if good >= p.item_page_max_prose:
        return  # an article: its link lists are menus, teasers and footers
    runs: list[list[int]] = []
    run: list[int] = []
    gap = 0  # one other line (a two-word title, a price) does not break a run
    for i in idx:
        if out[i].keep and cls[i] in ("short", "near") and _item_line(lines[i], p):
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
        if len(r) >= p.item_run and chars >= max(good, 300) and not _under_related(r[0], idx, out) and \
                sum(len(words_of(lines[i])) for i in r) / len(r) >= p.item_avg_words:
            for i in r:
                cls[i] = "good"


def _under_related(i: int, idx: list[int], out: list[Decision]) -> bool:
    """Whether line ``i`` comes right after a "related" heading of the pattern file (at most one line between)."""
    k = idx.index(i)
    return any(out[idx[j]].rule == PATTERN_NAV_RELATED for j in range(max(k - 2, 0), k))


_CODE_CHARS = re.compile(r"[{}();=<>\[\]$#|&*\\]")
_CODE_END = re.compile(r"[{};,(\[]$|^[})\]]")


def _code_line(line: str) -> bool:
    s = line.strip()
    return 0 < len(s) <= 160 and (len(_CODE_CHARS.findall(s)) >= 2 or bool(_CODE_END.search(s)))


def _code_runs(lines: Sequence[str], idx: list[int], cls: dict[int, str], out: list[Decision],
               p: ChromeParams) -> None:
    """A run of code-like lines (brackets, operators, statement ends) is a code listing: it counts as
    a near-prose line, so that between paragraphs of text it stays with them (documentation, Q&A)
    while a stray one away from the text still goes."""
    run: list[int] = []
    for i in [*idx, -1]:
        if i >= 0 and out[i].keep and cls[i] != "good" and _code_line(lines[i]):
            run.append(i)
            continue
        if len(run) >= p.code_run:
            for j in run:
                cls[j] = "near"  # a line of code with few words, or none ("});"), is not chrome
        run = []


def context_pass(lines: Sequence[str], out: list[Decision], dense: Sequence[bool], p: ChromeParams,
                 tables: AbstractSet[int] = frozenset()) -> None:
    """Context classification of page-dump lines (after jusText): a short line keeps company. Between
    two good lines it is content (a subheading, a short paragraph, a list item); between chrome lines,
    or cut off from all good lines, it is chrome. A line right before good text stays (a heading)."""
    idx = [i for i in range(len(lines)) if dense[i] and lines[i].strip()]
    if len(idx) < p.context_min_lines:
        return
    cls = {i: "bad" for i in idx if not out[i].keep}
    for unit in _wrapped_units(lines, [i for i in idx if out[i].keep], p):
        c = line_class(" ".join(lines[i].strip() for i in unit))
        for i in unit:
            cls[i] = c
    if not any(c == "good" for c in cls.values()):
        return  # no running text to anchor on: leave the page alone
    _code_runs(lines, idx, cls, out, p)
    for i in tables:
        if out[i].keep and cls.get(i, "good") != "good":
            cls[i] = "near"  # a table's cells go with the text around them, like a code listing
    _far_from_main(lines, idx, cls, p)
    teasers = _teasers(lines, idx, cls, out, p)
    teasers |= _related_lists(lines, idx, cls, out, p)
    _item_runs(lines, idx, cls, out, p)  # after: a listing's items do not make its prose look far away
    for i, final in zip(idx, _resolve(lines, idx, cls, p), strict=True):
        if final == "bad" and out[i].keep:
            out[i] = (Decision.drop(CHROME, CONTEXT_TEASER, teasers[i]) if i in teasers else
                      Decision.drop(CHROME, CONTEXT_ISOLATED,
                                    f"{cls[i]} line away from running text (jusText-style context)"))


def _nearest_decided(classes: list[str]) -> list[str]:
    """For each position, the class of the nearest good or bad line before it ("bad" at the start)."""
    out: list[str] = []
    last = "bad"
    for c in classes:
        out.append(last)
        if c in ("good", "bad"):
            last = c
    return out


def _resolve(lines: Sequence[str], idx: list[int], cls: dict[int, str], p: ChromeParams) -> list[str]:
    """Good or bad for every line of ``idx``: a short or near line takes the class of its neighbours
    (the nearest good or bad line on each side)."""
    # the nearest good or bad line on each side of every line, in two sweeps (a run of short lines
    # would otherwise be walked once for each of its lines)
    n = len(idx)
    classes = [cls[i] for i in idx]
    before = _nearest_decided(classes)
    after = _nearest_decided(classes[::-1])[::-1]

    final = []
    for k, (i, c) in enumerate(zip(idx, classes, strict=True)):
        if c in ("good", "bad"):
            final.append(c)
            continue
        prev, nxt = before[k], after[k]
        if prev == "good" and nxt == "good" or c == "near" and "good" in (prev, nxt):
            final.append("good")
        elif nxt == "good" and k + 1 < n and classes[k + 1] == "good" \
                and len(words_of(lines[i])) <= p.heading_max_words:
            final.append("good")  # a heading right before running text
        else:
            final.append("bad")
    return final
