"""The walk: the tree cut into text blocks, each labelled by the structure around it; chrome inline
elements cut out of their block.
"""

from __future__ import annotations

from dechaff.html.labels import (
    ARIA_HIDDEN,
    BLOCK_TAGS,
    DROP_TAGS,
    HIDDEN_PANEL,
    INLINE_CHROME,
    SITE_PARTS,
    WS,
    attr_label,
)
from dechaff.html.page import Block
from dechaff.html.params import DEFAULTS, HtmlParams
from dechaff.html.tree import controlled_ids, string_of, text_of
from dechaff.model import CHROME, KEEP, Decision
from dechaff.rules import HTML_CLASS, HTML_CONSENT, HTML_FORM, HTML_HEADER, HTML_HIDDEN


def cut_blocks(root, keep_comments: bool, p: HtmlParams = DEFAULTS, markup: str = ""
               ) -> tuple[list[Block], list[tuple[int, str, Decision]]]:
    """Walk the tree into text blocks, each labelled by the structure around it (its own element's or
    the nearest labelled ancestor's chrome label). ``markup``: the page's source, where the panels that
    a button or tab shows are looked up when a hidden element is met."""
    w = _Walk(root, keep_comments, p, markup)
    w.run(root)
    return w.blocks, w.cuts


class _Walk:
    """The state of one walk: the blocks so far, the text gathered since the last block boundary, and the
    stack of open elements, each with (element, tag, inherited label, innermost block-level tag, innermost
    block-level element but <br>): the last two are carried down so that a block's tag and container are
    not searched for up the stack."""

    __slots__ = ("blocks", "cuts", "buf", "links", "stack", "skip_depth", "link_depth", "body_len", "prose_total",
                 "prose_of", "keep_comments", "p", "walker", "markup", "panels")

    def __init__(self, root, keep_comments: bool, p: HtmlParams, markup: str = "") -> None:
        self.blocks: list[Block] = []
        self.cuts: list[tuple[int, str, Decision]] = []
        self.buf: list[str] = []
        self.links = 0  # characters of ``buf`` inside links
        self.stack: list[tuple[object, str, Decision | None, str | None, object]] = []
        self.skip_depth = 0
        self.link_depth = 0
        # the label of a subtree whose forms contain most of the page (ASP.NET wraps pages in one <form>)
        body = root.find("body")
        self.body_len = len(text_of(body)) if body is not None else 0
        self.prose_of: ProseMemo = {}
        self.prose_total = _prose(root, p, self.prose_of)
        self.keep_comments = keep_comments
        self.p = p
        self.markup = markup
        self.panels: set[str] | None = None  # ids a disclosure button or tab shows (read when first needed)

    def run(self, root) -> None:
        from lxml import etree

        self.walker = etree.iterwalk(root, events=("start", "end"))
        start, end = self.start, self.end
        for ev, el in self.walker:
            tag = el.tag
            if tag.__class__ is not str:
                tag = ""
            if ev == "start":
                start(el, tag)
            else:
                end(el, tag)
        if self.buf:
            self.flush()

    def flush(self) -> None:
        """The text gathered since the last block boundary becomes a block (called only when there is some)."""
        raw = "".join(self.buf)
        self.buf.clear()
        links, self.links = self.links, 0
        if raw.isspace():
            return  # the whitespace between two tags (most flushes)
        # (most blocks have no run of blanks nor any tab, no-break or zero-width space: nothing to fold)
        text = (WS.sub(" ", raw) if "  " in raw or not raw.isprintable() else raw).strip()
        if not text:
            return
        if self.stack:
            _el, tag, label, btag, container = self.stack[-1]
        else:
            tag, label, btag, container = "", None, None, None
        self.blocks.append(Block(text=text, tag=btag or tag, decision=label or KEEP, link_chars=min(links, len(text)),
                                 container=container))

    def vet(self, el, label: Decision) -> Decision | None:
        """The chrome label an element's markup gives its subtree (when no ancestor gave one) stands,
        unless the element wraps much of the page's prose, or is a form wrapping the whole page. A
        <nav>, <footer> or <menu> must hold prose of its own, not elements padded with indentation (a
        page whose content a script fills in serves only its footer's link lists, indented)."""
        if (label.reason == CHROME and _holds_prose(el, self.prose_total, self.p, self.prose_of)
                and not (label.rule == HTML_CONSENT and _holds_no_article(el))
                and not (label.rule in SITE_PARTS and not _prose(el, self.p, {}, strip=True))):
            return None  # a wrapper that holds much of the page's prose is not chrome
        if label.rule == HTML_HIDDEN and el.get("id") in self.shown_panels():
            return HIDDEN_PANEL  # a collapsed accordion panel or a tab panel: a button on the page shows it
        if label.rule == HTML_CLASS and el.find(".//main") is not None:
            return None  # a layout wrapper named for what it does to the footer ("flex-wrap-footer") holds <main>
        if label.rule == HTML_FORM and self.body_len and len(text_of(el)) > self.p.form_page_share * self.body_len:
            return None  # a form wrapping the page is a layout device, not a form
        return label

    def shown_panels(self) -> set[str]:
        """The ids of the panels a disclosure button or a tab of the page shows (read once, when the
        first hidden element is met)."""
        if self.panels is None:
            self.panels = controlled_ids(self.markup)
        return self.panels

    def start(self, el, tag: str) -> None:
        if not tag:  # comment / PI: only its tail counts
            return
        if self.skip_depth or tag in DROP_TAGS:
            self.skip_depth += 1
            self.walker.skip_subtree()  # its descendants are not walked (an <svg> may hold thousands)
            return
        stack = self.stack
        if stack:
            _p, _t, parent_label, btag, container = stack[-1]
        else:
            parent_label, btag, container = None, None, None
        label = parent_label
        if label is None:
            label = attr_label(el, tag, self.keep_comments)
            if label is not None:
                label = self.vet(el, label)
        is_block = tag in BLOCK_TAGS
        if (not is_block and label is not None and parent_label is None
                and label.rule in INLINE_CHROME and label is not ARIA_HIDDEN):
            self.skip_depth += 1  # chrome inside a block is cut out of it; the block's own text stays
            self.walker.skip_subtree()
            cut = " ".join(text_of(el).split())
            if cut:
                self.cuts.append((len(self.blocks), cut, label))
            return
        if is_block:
            if self.buf:
                self.flush()
            btag = tag
            if tag != "br":
                container = el
        if (tag == "header" and label is None and not _inside(stack, ("article", "main"))
                and el.find(".//h1") is None):
            label = Decision.drop(CHROME, HTML_HEADER, "<header> outside the article")
        stack.append((el, tag, label, btag, container))
        if tag == "a":
            self.link_depth += 1
        text = el.text
        if text:
            self.buf.append(text)
            if self.link_depth:
                self.links += len(text)

    def end(self, el, tag: str) -> None:
        tail = el.tail
        if not tag:
            if not self.skip_depth and tail:
                self.buf.append(tail)
            return
        if self.skip_depth:
            self.skip_depth -= 1
            if self.skip_depth == 0 and tail and self.stack:
                self.buf.append(tail)
                if self.link_depth:
                    self.links += len(tail)
            return
        if tag in BLOCK_TAGS:
            if self.buf:
                self.flush()
        elif tag == "a" and self.link_depth:
            self.link_depth -= 1
        if tag == "br":
            self.buf.append("\n")
        self.stack.pop()
        if tail:
            self.buf.append(tail)
            if self.link_depth:
                self.links += len(tail)


_PROSE_TAGS = ("p", "li", "td", "blockquote", "pre", "dd")


# element id -> (element, its counted prose length): each prose element's text is read once for the
# page's total, and a chrome-labelled wrapper's prose is summed from it (the element is held: lxml
# reuses a freed proxy's id)
ProseMemo = dict[int, tuple[object, int]]


def _prose(el, p: HtmlParams, memo: ProseMemo, strip: bool = False) -> int:
    """Characters of prose (paragraph-like elements of ``prose_min_chars``) under ``el``; with ``strip``,
    not counting the whitespace around an element's text (the page-wide measure counts it: a product
    grid's items, indented, then hold "prose", and the grid's wrapper is not taken for chrome)."""
    n = 0
    for e in el.iter(_PROSE_TAGS):
        known = memo.get(id(e))
        if known is None:
            t = string_of(e) if e.tag == "p" else (e.text or "")
            if strip:
                t = t.strip()
            known = memo[id(e)] = (e, len(t) if len(t) >= p.prose_min_chars else 0)
        n += known[1]
    return n


def _holds_no_article(el) -> bool:
    return el.find(".//h1") is None and el.find(".//article") is None and el.find(".//main") is None


def _holds_prose(el, total: int, p: HtmlParams, memo: ProseMemo) -> bool:
    if total <= 0:
        return False
    mine = _prose(el, p, memo)
    return mine >= p.wrapper_prose_share * total or mine >= p.wrapper_prose_chars


def _inside(stack, tags: tuple[str, ...]) -> bool:
    return any(entry[1] in tags for entry in stack)


