"""The line engine: every line of a page decided, in order, by the layers of this package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from dechaff.chrome.context import context_pass
from dechaff.chrome.features import breadcrumb_evidence, classify_line, short_menu_line, words_of
from dechaff.chrome.heuristics import bios_after_body, line_class, repeats
from dechaff.chrome.params import DEFAULTS, ChromeParams
from dechaff.chrome.patterns import Pattern, PatternSet, as_pattern_set
from dechaff.chrome.structure import structure_pass
from dechaff.chrome.tables import table_lines
from dechaff.model import CHROME, EMPTY, KEEP, Decision, Document, Paragraph, split_paragraphs
from dechaff.rules import (
    CONTEXT_RESCUED,
    FEATURE_AUTHOR_BIO,
    FEATURE_BREADCRUMB,
    FEATURE_MENU_RUN,
    FEATURE_REPEATED,
    STRUCTURE_EMPTY,
    flagged,
)


def classify_lines(lines: Sequence[str], patterns: Sequence[Pattern] | PatternSet | None = None,
                   p: ChromeParams = DEFAULTS, hints: Sequence[Decision] | None = None,
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
    _breadcrumbs(lines, out, p)
    structure_pass(lines, out, p)
    tables = table_lines(lines, out, p)
    _menu_runs(lines, out, p, tables)
    context_pass(lines, out, [True] * n if dense is None else dense, p, tables)
    _repeats(lines, out, p)
    _bios(lines, out, p)
    if rescue:
        _rescue_empty(lines, out, p)
    return out


def _breadcrumbs(lines: Sequence[str], out: list[Decision], p: ChromeParams) -> None:
    """A breadcrumb trail is one of the first lines with text."""
    seen = 0
    for i, ln in enumerate(lines):
        if not ln.strip():
            continue
        seen += 1
        if seen > p.breadcrumb_lines:
            break
        if out[i].keep:
            ev = breadcrumb_evidence(ln, lines[i + 1: i + 4])
            if ev:
                out[i] = Decision.drop(CHROME, FEATURE_BREADCRUMB, ev)


_WEAK = flagged("weak", engine="text")  # what the rescue gives back: only the context rules' guesses


def _rescue_empty(lines: Sequence[str], out: list[Decision], p: ChromeParams) -> None:
    """When the context rules leave (almost) nothing of a page that has text, they misread it (a short
    product card, a list of names): the lines only they dropped come back. Lines a pattern or the page
    structure dropped stay dropped."""
    total = sum(len(ln.strip()) for ln in lines)
    kept = sum(len(ln.strip()) for ln, d in zip(lines, out, strict=True) if d.keep)
    if total < p.rescue_min_chars or kept >= p.rescue_kept_chars or kept >= p.rescue_kept_share * total:
        return
    for i, d in enumerate(out):
        if d.rule in _WEAK:
            out[i] = Decision(True, rule=CONTEXT_RESCUED,
                              evidence=f"page left with {kept} of {total} characters; was {d.rule}")


def _bios(lines: Sequence[str], out: list[Decision], p: ChromeParams) -> None:
    texts = [ln.strip() for ln in lines]
    keep = [d.keep for d in out]
    for i in bios_after_body(texts, lambda t: len(words_of(t)), keep, lambda i: line_class(texts[i]) == "good", p):
        out[i] = Decision.drop(CHROME, FEATURE_AUTHOR_BIO, "an author box after the body of the text")


def _repeats(lines: Sequence[str], out: list[Decision], p: ChromeParams) -> None:
    for i, j in repeats(lines, [d.keep for d in out], p):
        out[i] = Decision.drop(CHROME, FEATURE_REPEATED, f"same text as line {j} of the page")


def _menu_runs(lines: Sequence[str], out: list[Decision], p: ChromeParams, tables: set[int]) -> None:
    """Runs of short link-like lines are a menu (a data table's cells, ``tables``, are not)."""
    i, n = 0, len(lines)
    while i < n:
        if out[i].keep and short_menu_line(lines[i]) and i not in tables:
            j = i
            while j < n and (short_menu_line(lines[j]) and j not in tables or not out[j].keep):
                j += 1
            run = [k for k in range(i, j) if out[k].keep]
            # menus are one- or two-word links; lists of three-word items (fixtures, names) are content
            avg_words = sum(len(words_of(lines[k])) for k in run) / max(len(run), 1)
            if len(run) >= p.menu_run and avg_words <= p.menu_avg_words:
                for k in run:
                    out[k] = Decision.drop(CHROME, FEATURE_MENU_RUN, f"{len(run)} consecutive short link-like lines")
            i = j
        else:
            i += 1


def apply_chrome(doc: Document, patterns: Sequence[Pattern] | PatternSet | None = None, p: ChromeParams = DEFAULTS,
                 hints: Sequence[Decision] | None = None) -> list[Paragraph]:
    """Split a document into paragraphs and decide each paragraph and line. ``hints``: one prior decision
    per paragraph (the HTML block it came from), the starting point of its lines."""
    paras = split_paragraphs(doc.doc_id, doc.text)
    if hints is not None and len(hints) != len(paras):
        hints = None
    flat: list[str] = []
    owner: list[tuple[int, int]] = []
    flat_hints: list[Decision] = []
    for para in paras:
        for li, ln in enumerate(para.lines):
            flat.append(ln)
            owner.append((para.index, li))
            flat_hints.append(hints[para.index] if hints is not None else KEEP)
    dense = [len(paras[pi].lines) >= p.dense_lines for pi, _li in owner]
    decisions = classify_lines(flat, patterns, p, flat_hints, dense)
    per_para: list[list[Decision]] = [[] for _ in paras]
    for (pi, _li), d in zip(owner, decisions, strict=True):
        per_para[pi].append(d)
    for para, ds in zip(paras, per_para, strict=True):
        if all(not d.keep for d in ds):
            para.decision = ds[0]
        elif any(not d.keep for d in ds):
            para.line_decisions = ds
    return paras


def clean_text(text: str, *, keep_comments: bool = False, params: ChromeParams = DEFAULTS) -> str:
    """Already-extracted page text without its chrome lines; paragraphs separated by a blank line."""
    doc = Document(doc_id="-", source="-", text=text)
    paras = apply_chrome(doc, p=replace(params, keep_comments=keep_comments) if keep_comments else params)
    return "\n\n".join(para.text for para in paras if para.kept)


def emptied(para: Paragraph) -> Decision | None:
    """The removal of a paragraph kept so far whose every line went (to line rules of this stage or to
    site-template rules), else None."""
    if para.decision.keep and not para.text.strip():
        return Decision.drop(EMPTY, STRUCTURE_EMPTY, "nothing left after line removals")
    return None
