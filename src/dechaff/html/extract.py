"""``extract_blocks`` and ``clean_html``: the page's blocks, each decided.
"""

from __future__ import annotations

import re

from dechaff.chrome import PatternSet
from dechaff.html.article import names_teasers
from dechaff.html.blocks import finish_blocks, is_discussion_page, second_opinion
from dechaff.html.labels import WS
from dechaff.html.main import choose_main
from dechaff.html.page import Block, Page
from dechaff.html.params import DEFAULTS, HtmlParams
from dechaff.html.tree import page_title, parse
from dechaff.html.walk import cut_blocks
from dechaff.model import Decision
from dechaff.rules import HTML_FALLBACK


def extract_blocks(markup: str, url: str | None = None, *, keep_comments: bool = False,
                   params: HtmlParams = DEFAULTS, patterns: PatternSet | None = None) -> Page:
    """Cut the page into blocks and decide each. Deterministic, no state. ``keep_comments``: reader comment
    sections are kept (not labelled); ``params``: the tuned numbers; ``patterns``: the pattern set the
    block rules match lines against (a run's: the built-in file and the user's files; None: the built-in)."""
    p = params
    root = parse(markup)
    if root is None:
        return _fallback(markup, p, patterns)
    blocks, cuts = cut_blocks(root, keep_comments, p, markup)
    if not blocks and _TAG.sub(" ", markup).strip():
        # libxml2 gives up on pathological markup (e.g. nesting thousands of levels deep): keep the text
        return _fallback(markup, p, patterns)
    discussion = not keep_comments and is_discussion_page(blocks, p)
    if discussion:
        # the thread is what the page is (a forum topic, a Q&A page): its posts are the content, so
        # the tree is cut again without the comment label (forms, menus and link lists in it still go)
        blocks, cuts = cut_blocks(root, True, p, markup)
    title = page_title(root)
    # the posts of a thread are not a grid of items: their user panels ("Joined", "Messages") stay out
    dominant = choose_main(blocks, not discussion, p, teasers=names_teasers(markup))
    finish_blocks(blocks, title, dominant, p, patterns)
    second_opinion(blocks, keep_comments, p, patterns)
    return Page(title=title, blocks=blocks, cuts=cuts)


_TAG = re.compile(r"<[^>]*>")
_DROP_RE = re.compile(r"(?is)<(script|style|noscript|template|svg|head)\b.*?</\1\s*>")
_BLOCK_RE = re.compile(r"(?i)</?(?:p|div|br|li|h[1-6]|tr|td|section|article|blockquote|pre|table|ul|ol)\b[^>]*>")


def _fallback(markup: str, p: HtmlParams, patterns: PatternSet | None) -> Page:
    """Text of markup the parser could not build a tree for: tags stripped, blocks kept apart."""
    import html as _html

    text = _BLOCK_RE.sub("\n", _DROP_RE.sub(" ", markup))
    text = _html.unescape(_TAG.sub(" ", text))
    blocks = [Block(text=t, tag="p", decision=Decision(True, rule=HTML_FALLBACK))
              for t in (WS.sub(" ", ln).strip() for ln in text.split("\n")) if t]
    finish_blocks(blocks, None, True, p, patterns)
    return Page(title=None, blocks=blocks)


def clean_html(html: str, url: str | None = None) -> str:
    """The main content of an HTML page as text, paragraphs separated by a blank line."""
    return extract_blocks(html, url).main_text()
