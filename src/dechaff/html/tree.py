"""The page's tree: lxml's HTML parser with plain elements, one per thread, and small readers of it.
"""

from __future__ import annotations

import re
import threading

from dechaff.html.labels import WS

# the letters spelled out rather than re.IGNORECASE: a case-insensitive pattern has no literal prefix for
# the engine to scan a 300 KB page for (none of these letters has another case-insensitive match)
_END_TAGS = re.compile(r"</(?:[bB][oO][dD][yY]|[hH][tT][mM][lL])\s*>")


_LOCAL = threading.local()  # lxml parsers and XPath evaluators are not to be shared between threads


def _lxml():
    """This thread's HTML parser and string() evaluator (shard tasks may run in a thread pool)."""
    from lxml import etree

    if not hasattr(_LOCAL, "parser"):
        _LOCAL.parser = etree.HTMLParser()
        _LOCAL.string = etree.XPath("string()")
    return _LOCAL.parser, _LOCAL.string


def string_of(el) -> str:
    return str(_lxml()[1](el))


# a disclosure button or a tab names the panel it shows: aria-controls="id", on an element that also
# says aria-expanded or role="tab" (read off the markup: any walk of the tree costs more)
_CONTROLS = re.compile(r"""aria-controls\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SHOWS = re.compile(r"""aria-expanded|role\s*=\s*["']tab["']""")
_TAG_REACH = 4000


def controlled_ids(markup: str) -> set[str]:
    """The ids of the elements a disclosure button or a tab of the page controls (``aria-controls``
    of an element with ``aria-expanded`` or ``role="tab"``)."""
    out: set[str] = set()
    if "aria-controls" not in markup:
        return out
    for m in _CONTROLS.finditer(markup):
        # the tag around the attribute (looked for within _TAG_REACH characters: a hostile page of one
        # tag with 100,000 attributes would otherwise be searched back to its start for each)
        start = markup.rfind("<", max(0, m.start() - _TAG_REACH), m.start())
        end = markup.find(">", m.end(), m.end() + _TAG_REACH)
        if start >= 0 and end >= 0 and _SHOWS.search(markup, start, end):
            out.update((m.group(1) if m.group(1) is not None else m.group(2)).split())
    return out


def parse(markup: str):
    """The page's tree: lxml's HTML parser with plain elements (lxml.html's element classes cost a
    Python call for every element the walk touches, a tenth of the extraction)."""
    from lxml import etree

    parser = _lxml()[0]
    markup = re.sub(r"^\s*<\?xml[^>]*>", "", markup)
    # libxml2 drops whatever follows </html> (an HTML5 parser puts it in the body): templates that
    # close the document before the article are rare but real
    markup = _END_TAGS.sub("", markup)
    if not markup or markup.isspace():  # (not a stripped copy of the page)
        return None
    try:
        root = etree.fromstring(markup, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    if root is None or not isinstance(root.tag, str):
        return None
    body = root.find("body")
    if body is not None and any(_is_segment(el) for el in body):
        reveal_streamed(root)  # (React writes its segments at the top of <body>, after the page's shell)
    return root


# React's streaming server rendering sends a suspended part of the page later in the document, in a
# hidden <div id="S:n"> at the end of <body>, and an inline script puts it in its place: $RC("B:n",
# "S:n") completes a boundary (its <template id="B:n"> and the loading fallback after it, up to the
# <!--/$--> comment), $RS("S:n", "P:n") fills a placeholder. The page a reader sees is the one after.
_FALLBACK_REACH = 50  # (siblings a loading fallback may span; a hostile page could make it every one)
_MAX_SEGMENTS = 5000  # (React pages send tens to hundreds; each move walks up to 255 ancestors)
_STREAMED = re.compile(r'\$R([CS])\(\s*"([BPS]:[0-9A-Za-z]+)"\s*,\s*"([BPS]:[0-9A-Za-z]+)"')


def reveal_streamed(root) -> None:
    """Move each streamed segment of a React page into the place its script names, as the browser
    would (the segment's hidden <div> would otherwise be read as a hidden element, and its text as
    being at the end of the page)."""
    segments = {el.get("id"): el for el in root.iter("div") if _is_segment(el)}
    if not segments:
        return
    targets = {el.get("id"): el for el in root.iter("template") if (el.get("id") or "")[:2] in ("B:", "P:")}
    moves: list[tuple[str, str]] = []  # (target, segment), in the scripts' order
    for script in root.iter("script"):
        for op, a, b in _STREAMED.findall(script.text or ""):
            moves.append((a, b) if op == "C" else (b, a))
    # a saved copy of the page may have lost its scripts: React numbers a segment as its boundary or
    # placeholder ("S:1" for "B:1" or "P:1"), so the numbers pair those left
    named = {seg for _t, seg in moves}
    for seg_id in segments:
        if seg_id not in named:
            n = seg_id[2:]
            moves.append((f"B:{n}" if f"B:{n}" in targets else f"P:{n}", seg_id))
    for target_id, seg_id in moves[:_MAX_SEGMENTS]:
        tpl, seg = targets.get(target_id), segments.pop(seg_id, None)
        if tpl is None or seg is None or tpl.getparent() is None or seg.getparent() is None \
                or any(a is seg for a in tpl.iterancestors()):  # (a segment is not put inside itself)
            continue
        if target_id.startswith("B:"):
            _drop_fallback(tpl)
        _detach(seg)
        if seg.text:  # (text before the segment's first child goes where the template was)
            _text_before(tpl, seg.text)
        for child in list(seg):
            tpl.addprevious(child)  # (with its tail; no index: a sibling's index is found by a scan)
        _detach(tpl)


def _is_segment(el) -> bool:
    """A streamed segment: ``<div hidden id="S:n">``."""
    return el.tag == "div" and el.get("hidden") is not None and (el.get("id") or "").startswith("S:")


def _drop_fallback(tpl) -> None:
    """The loading fallback a completed boundary shows until its segment arrives: the siblings after
    its template up to the boundary's closing <!--/$--> comment (left alone when there is none)."""
    from lxml import etree

    fallback = []
    for sib in tpl.itersiblings():
        if sib.tag is etree.Comment and (sib.text or "").strip() == "/$":
            for el in fallback:
                _detach(el)
            return
        fallback.append(sib)
        if len(fallback) > _FALLBACK_REACH:
            return  # (a loading placeholder is a few elements: no boundary's end in sight)


def _text_before(el, text: str) -> None:
    """Put ``text`` right before ``el``: the tail of its previous sibling, or its parent's text."""
    prev = el.getprevious()
    if prev is not None:
        prev.tail = (prev.tail or "") + text
    else:
        parent = el.getparent()
        parent.text = (parent.text or "") + text


def _detach(el) -> None:
    """Remove an element, keeping the text that follows it (its tail) in the tree."""
    if el.tail:
        _text_before(el, el.tail)
        el.tail = None
    el.getparent().remove(el)


def text_of(el) -> str:
    """The element's text (empty for a missing or unreadable element)."""
    if el is None:
        return ""
    try:
        return string_of(el)
    except ValueError:
        return ""


def _inside(stack, tags: tuple[str, ...]) -> bool:
    return any(entry[1] in tags for entry in stack)


_TITLE_PATHS = ('//meta[@property="og:title"]/@content', "//title/text()", "//h1//text()")


def page_title(root) -> str | None:
    """The page's og:title, else its <title>, else its first <h1>'s text. The first two are looked for
    in <head> first: a query of the whole tree costs a fiftieth of the extraction."""
    head = root.find("head")
    in_head = [] if head is None else [
        (m.get("content") for m in head.iter("meta") if m.get("property") == "og:title"),
        (t.text for t in head.iter("title"))]
    for k, xp in enumerate(_TITLE_PATHS):
        v = _first_nonblank(in_head[k]) if k < len(in_head) else None
        if v:
            return v
        try:
            vals = root.xpath(xp)
        except Exception:  # noqa: BLE001 - a broken tree has no title
            vals = []
        v = _first_nonblank(str(x) for x in vals)
        if v:
            return v
    return None


def _first_nonblank(values) -> str | None:
    """The first of ``values`` with some text, its blanks folded."""
    for v in values:
        v = WS.sub(" ", v).strip() if v else ""
        if v:
            return v
    return None
