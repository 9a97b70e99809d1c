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
    return root if root is not None and isinstance(root.tag, str) else None



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
