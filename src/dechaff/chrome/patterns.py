"""The pattern file (``data/chrome_patterns.txt`` and the user's own): parsing, and a matcher that
tries only the patterns a line can match (literal needles and first characters).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path


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
    their literal-prefix optimisations), so lines are dispatched on their first characters: an anchored
    pattern (``^...``) is only tried on lines whose first three (or two, or one) characters can start it
    (read off the parsed pattern), and an unanchored one only on lines that hold one of its needles (the
    literal text every match of it contains). Most lines then meet a handful of small alternations and
    no pattern at all."""

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        self.patterns = tuple(patterns)
        anywhere: list[int] = []  # patterns tried on every line
        # anchored patterns by the folded prefix every match of them begins with: of three characters
        # where that can be told, else of two, else of one (an alternation of the patterns that begin
        # with "re" is 40 branches, each of which matches "re" before it fails)
        self._by_prefix: dict[str, list[int]] = {}
        for k, p in enumerate(self.patterns):
            # only a pattern compiled as the pattern file compiles them, and whose text can sit inside a
            # group (a global inline flag such as "(?s)" cannot), joins an alternation
            first = _first_chars(p.regex.pattern) if _unionable(p.regex) else None
            if first is None:
                anywhere.append(k)
                continue
            keys = _first_n(p.regex.pattern, 3) or _first_n(p.regex.pattern, 2) or first
            for key in keys:
                self._by_prefix.setdefault(key, []).append(k)
        # (index, needles) of the unanchored ones: only they are tried at every position of a line
        # (a ``^``-led one whose first characters cannot be told is matched at the start only)
        # With its other needle groups: a line must hold one needle of each (" you " is in one line in
        # ten, "when you buy ... we earn" needs one of buy/purchase/... and one of earn/receive/... too)
        self._anywhere = []
        for k in anywhere:
            rx = self.patterns[k].regex
            groups = _needle_groups(rx.pattern, rx.flags)
            self._anywhere.append((k, groups[0] if groups else None, groups[1:],
                                   rx.match if _anchored(rx) else rx.search))
        # the alternation of each prefix's patterns, compiled once here (a line meets up to three)
        self._unions = {key: _union([self.patterns[k] for k in ks]) for key, ks in self._by_prefix.items()}
        self._heads: dict[str, object] = {}  # the dispatch of a line's first three characters, as met
        # one search for every needle: most lines hold none, and then only the unanchored patterns
        # without needles can match (the loop over each pattern's needles costs more than the search).
        # The needles as a trie: ``re`` tries an alternation's branches one by one at every position of
        # the line, so that branches sharing their first letters are tried once (1.9 against 3.3 us a
        # line of 110 characters)
        needles = sorted({n for _k, ns, _more, _f in self._anywhere if ns for n in ns})
        self._any_needle = re.compile(_trie_pattern(needles)).search if needles else None
        self._no_needles = [entry for entry in self._anywhere if entry[1] is None]

    def _dispatch(self, head: str):
        """(pattern indexes, their alternations) a line beginning with ``head`` may match, or None: the
        patterns known by its first character, by its first two and by its first three."""
        key = ""
        ks: list[int] = []
        unions = []
        for c in head[:3]:
            key += _fold(c)
            if key in self._by_prefix:
                ks += self._by_prefix[key]
                unions.append(self._unions[key])
        return (tuple(sorted(set(ks))), tuple(unions)) if ks else None

    def first_match(self, s: str) -> Pattern | None:
        best: int | None = None
        head = s[:3]
        hit = self._heads.get(head, _UNSEEN)
        if hit is _UNSEEN:
            hit = self._dispatch(head)
            if len(self._heads) < _MAX_HEADS:
                self._heads[head] = hit  # lines begin with the same few thousand heads
        # anchored: tried at the first position only (``match``: a ``search`` of an alternation of
        # ``^``-led branches would try every branch at every position of the line)
        if hit is not None:
            for union in hit[1]:
                if union.match(s):
                    best = next((k for k in hit[0] if self.patterns[k].regex.match(s)), None)
                    break
        # unanchored patterns one by one: their alternation is slower than they are. The line's
        # lower-case copy rules out those none of whose needles it holds
        low = None
        tried = self._anywhere
        if self._any_needle is not None:
            low = _folded(s)
            if self._any_needle(low) is None:
                tried = self._no_needles  # (a line with no needle at all: only those without one)
        for k, needles, more, find in tried:
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
                if more and not all(any(n in low for n in group) for group in more):
                    continue
            if find(s):
                best = k
                break
        return None if best is None else self.patterns[best]


def _trie_pattern(words: list[str]) -> str:
    """A regular expression that matches exactly the ``words`` (non-empty), their common beginnings
    factored out: ``a(?:ffiliate|ll rights)`` for "affiliate" and "all rights"."""
    if "" in words:
        rest = [w for w in words if w]
        return f"(?:{_trie_pattern(rest)})?" if rest else ""
    tails: dict[str, list[str]] = {}
    for w in words:
        tails.setdefault(w[0], []).append(w[1:])
    alts = [re.escape(c) + _trie_pattern(ts) for c, ts in sorted(tails.items())]
    return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"


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
    groups = _needle_groups(pattern, flags)
    return groups[0] if groups else None


def _needle_groups(pattern: str, flags: int = re.I) -> tuple[tuple[str, ...], ...]:
    """Every group of needles of ``pattern`` (a match holds one needle of each group), the best first
    (:func:`_needles`); the groups whose shortest needle is too short to rule anything out are left out."""
    parsed = _parsed(pattern, flags)  # the pattern's own flags: re.X drops spaces
    if parsed is None:
        return ()
    groups = sorted((g for g in _seq_groups(*parsed) if min(map(len, g)) >= NEEDLE_MIN_CHARS), key=_needle_rank,
                    reverse=True)
    return tuple(tuple(sorted(g)) for g in dict.fromkeys(groups))


def _needle_rank(group: frozenset[str]) -> tuple[int, int]:
    return min(map(len, group)), -len(group)  # the longest shortest needle, then the fewest


def _seq_needles(items: list, sre) -> frozenset[str] | None:
    """Needles of a sequence: the best of its mandatory parts (see :func:`_seq_groups`)."""
    groups = _seq_groups(items, sre)
    return max(groups, key=_needle_rank) if groups else None


def _seq_groups(items: list, sre) -> list[frozenset[str]]:
    """The needle groups of a sequence's mandatory parts (a run of literals, a group, a branch, an item
    repeated at least once): a match of the sequence holds one needle of each."""
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
            cands += _seq_groups(list(av[-1]), sre)
        elif op is sre.BRANCH:
            branches = [_seq_needles(list(b), sre) for b in av[1]]
            if all(branches):
                cands.append(frozenset().union(*branches))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[0] >= 1:
            cands += _seq_groups(list(av[2]), sre)
        # (else a class, a wildcard, an anchor, an optional part: no literal it must hold)
    return cands


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


def _anchored(regex: re.Pattern[str]) -> bool:
    """Whether every match of ``regex`` starts at the start of the line (``^``, not in MULTILINE)."""
    return not regex.flags & re.M and _after_caret(regex.pattern, regex.flags) is not None


def _after_caret(pattern: str, flags: int = re.I) -> tuple[list, object] | None:
    """The parsed items of a ``^``-led pattern after its ``^`` (with the parser's module); None for a
    pattern that is not anchored at the start or cannot be read."""
    parsed = _parsed(pattern, flags)
    if parsed is None:
        return None
    items, sre = parsed
    if not items or items[0] != (sre.AT, sre.AT_BEGINNING):
        return None
    return items[1:], sre


def _first_chars(pattern: str) -> frozenset[str] | None:
    """The lower-cased characters a match of ``pattern`` (case-insensitive, anchored at the start of
    the line) can begin with; None when it is not anchored or the set cannot be told."""
    after = _after_caret(pattern)
    if after is None:
        return None
    items, sre = after
    got, can_be_empty = _seq_first(items, sre)
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


_MAX_PREFIXES = 512
_MAX_HEADS = 65536  # memoised dispatches (a few MB at most; the page text of any script fits)
_UNSEEN = object()


def _first_n(pattern: str, n: int) -> frozenset[str] | None:
    """The folded first ``n`` characters a match of an anchored ``pattern`` can begin with; None when
    they cannot be told, or when a match may hold fewer than ``n`` characters."""
    after = _after_caret(pattern)
    if after is None:
        return None
    items, sre = after
    got = _prefixes(items, n, sre)
    if got is None or any(len(x) < n for x in got):
        return None
    return frozenset(got)


def _prefixes(items: list, n: int, sre) -> set[str] | None:
    """The folded strings of ``n`` characters a match of the sequence ``items`` can begin with (shorter
    ones where a match may end sooner); None when they cannot be told or are too many."""
    if n == 0 or not items:
        return {""}
    op, av = items[0]
    rest = items[1:]
    if op is sre.AT:
        return _prefixes(rest, n, sre) if av is not sre.AT_BEGINNING else None  # zero-width
    if op is sre.LITERAL or op is sre.IN:
        chars, _empty = _first_of(op, av, sre)
        if chars is None:
            return None
        tails = _prefixes(rest, n - 1, sre)
        if tails is None or len(chars) * len(tails) > _MAX_PREFIXES:
            return None
        return {c + t for c in chars for t in tails}
    if op is sre.SUBPATTERN:
        return _prefixes(list(av[-1]) + rest, n, sre)
    if op is sre.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            got = _prefixes(list(branch) + rest, n, sre)
            if got is None:
                return None
            out |= got
            if len(out) > _MAX_PREFIXES:
                return None
        return out
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        lo, hi, inner = av
        inner = list(inner)
        if _seq_first(inner, sre)[1]:
            return None  # an inner part that may match nothing: no progress to reason on
        out = set()
        if lo == 0:
            skip = _prefixes(rest, n, sre)
            if skip is None:
                return None
            out |= skip
        # one turn, then the rest of the repeat (another turn or none) and what follows it
        more = [(op, (0, hi - 1 if hi != sre.MAXREPEAT else hi, inner))] if hi == sre.MAXREPEAT or hi > 1 else []
        once = _prefixes(inner + more + rest, n, sre)
        if once is None:
            return None
        out |= once
        return out if len(out) <= _MAX_PREFIXES else None
    return None


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


