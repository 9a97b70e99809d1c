"""Data tables in a page dump: a table's cells come one a line, short like a menu's links, but their
shapes repeat with the table's width (a name, then figures, row after row). Those lines are content.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from dechaff.chrome.params import ChromeParams
from dechaff.model import Decision

_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")
_LEADING_FIGURE = re.compile(r"[$€£¥+\-–−]?\d")  # "3 (tie)", "12 km"


def cell_shape(line: str, p: ChromeParams) -> str:
    """``n`` for a figure (a number, a price, a percentage, a score: at least half of its letters and
    digits are digits), ``t`` for a short text cell, ``-`` for a line no table cell looks like."""
    s = line.strip()
    if not s or len(s) > p.table_cell_chars:
        return "-"
    if _DIGIT.search(s):
        digits, letters = len(_DIGIT.findall(s)), len(_LETTER.findall(s))
        if digits >= letters or _LEADING_FIGURE.match(s) and letters <= 4:
            return "n"
    return "t" if len(s.split()) <= p.table_cell_words else "-"


def table_lines(lines: Sequence[str], out: Sequence[Decision], p: ChromeParams) -> set[int]:
    """The lines of the page's data tables: a stretch of at least ``table_rows`` rows of cells (kept
    lines, one a line) whose shapes repeat with a period of 2 to ``table_max_cols`` lines and hold both
    figures and text, with the header row before it (as many short text cells as the width). Where
    stretches overlap, the longest is the table."""
    idx = [i for i, ln in enumerate(lines) if ln.strip()]
    shapes = "".join(cell_shape(lines[i], p) if out[i].keep else "-" for i in idx)
    found: list[tuple[int, int, int]] = []  # (start, end, width) in idx
    # only runs of cells long enough for the smallest table, with figures enough, are searched
    for run in re.finditer(f"[nt]{{{2 * p.table_rows},}}", shapes):
        a, cells = run.start(), run.group()
        if cells.count("n") < p.table_rows:
            continue
        for w in range(2, min(p.table_max_cols, len(cells) // p.table_rows) + 1):
            # a stretch of period w: each cell has the shape of the cell w on, for (rows - 1) * w cells
            same = "".join("1" if x == y else "0" for x, y in zip(cells, cells[w:], strict=False))
            for m in re.finditer(f"1{{{(p.table_rows - 1) * w},}}", same):
                s = a + m.start()
                rows = (m.end() - m.start() + w) // w
                pattern = shapes[s:s + w]
                if "n" in pattern and "t" in pattern and not _constant_text_column(lines, idx, s, w, rows, pattern):
                    found.append((s, s + rows * w, w))
    # the longest stretch first: a narrow one inside a wide table (a header cell and the first row
    # alternate text and figures too) does not cut it
    taken = bytearray(len(idx))
    tables: list[tuple[list[int], frozenset[str]]] = []  # (lines, the text of its text cells)
    for s, e, w in sorted(found, key=lambda f: (f[0] - f[1], f[2], f[0])):
        if any(taken[s:e]):
            continue
        labels = frozenset(lines[idx[j]].strip().lower() for j in range(s, e) if shapes[j] == "t")
        h = s - w
        if h >= 0 and shapes[h:s] == "t" * w and not any(taken[h:s]):
            s = h  # the header row
        taken[s:e] = b"\x01" * (e - s)
        tables.append(([idx[j] for j in range(s, e)], labels))
    # the same labels again and again ("Messages: 473", "Likes: 34" under every post) are each item's
    # facts, not a table of the page
    seen: dict[frozenset[str], int] = {}
    for _rows, labels in tables:
        seen[labels] = seen.get(labels, 0) + 1
    return {i for rows, labels in tables if seen[labels] == 1 for i in rows}


def _constant_text_column(lines: Sequence[str], idx: list[int], start: int, w: int, rows: int,
                          pattern: str) -> bool:
    """A text column that says the same in most rows ("Add to cart", "Previous", "Style") is a card
    grid's button or label, not a table's."""
    for c in range(w):
        if pattern[c] != "t":
            continue
        cells = Counter(lines[idx[start + r * w + c]].strip().lower() for r in range(rows))
        if cells.most_common(1)[0][1] >= 0.8 * rows:  # (a count of each: a column of distinct names is linear)
            return True
    return False
