"""Block rules inside the content: link density, text-level chrome lines, sections under a
'Related'/'About the author' heading, repeats, author boxes, orphan headings, the rescue of a page
left empty, and the second opinion of a text reading.
"""

from __future__ import annotations

import re
from dataclasses import replace

from dechaff.chrome import PatternSet, classify_line, classify_lines, is_author_bio, is_discussion
from dechaff.chrome.heuristics import bios_after_body, ends_sentence, repeats
from dechaff.html.labels import HEADINGS, HIDDEN_PANEL, SITE_PARTS
from dechaff.html.page import Block
from dechaff.html.params import DEFAULTS, HtmlParams
from dechaff.model import CHROME, KEEP, Decision
from dechaff.rules import (
    HTML_AUTHOR_BIO,
    HTML_COMMENTS,
    HTML_HIDDEN,
    HTML_LINK_DENSITY,
    HTML_ORPHAN_HEADING,
    HTML_OUTSIDE_MAIN,
    HTML_RELATED_SECTION,
    HTML_REPEATED,
    HTML_RESCUED,
    HTML_TEXT_READING,
    PATTERN_NAV_AUTHOR,
    PATTERN_NAV_BYLINE,
    PATTERN_NAV_RELATED,
    flagged,
)


def unlinked_prose_words(b: Block) -> int:
    """Words of a block that reads like prose (not a link list, not a label), else 0."""
    n = len(b.text)
    words = len(b.text.split())
    if words < 8 or (n and b.link_chars / n > 0.3):
        return 0
    return words


def is_discussion_page(blocks: list[Block], p: HtmlParams = DEFAULTS) -> bool:
    """A page whose comment-marked blocks hold nearly all of its prose is a discussion page (forum
    topic, Q&A): the posts are not reader comments under an article, they are the content. An article
    with comments has prose of its own outside the thread, and keeps its thread removed."""
    thread = rest = 0
    for b in blocks:
        if b.decision.rule == HTML_COMMENTS:
            thread += unlinked_prose_words(b)
        elif b.decision.keep:
            rest += unlinked_prose_words(b)
    return is_discussion(thread, rest, p.chrome)

def finish_blocks(blocks: list[Block], title: str | None, dominant: bool = True, p: HtmlParams = DEFAULTS,
                  patterns: PatternSet | None = None) -> None:
    """Block-level rules inside the content: link-dense blocks and text-level chrome lines, sections under
    a 'Related' or 'About the author' heading, repeats, author boxes, orphan headings, the rescue.
    ``patterns``: the run's pattern set (the built-in file and the user's files; None: the built-in)."""
    for b in blocks:
        b.decision = _block_verdict(b, dominant, p, patterns)
    _drop_sections(blocks, p)
    _drop_repeats(blocks, p)
    _drop_bios(blocks, p)
    _drop_orphan_headings(blocks)
    _rescue_empty(blocks, p)
    # blocks may not hold blank lines: paragraphs are cut on them downstream
    for b in blocks:
        if "\n" in b.text:
            b.text = re.sub(r"\n\s*\n+", "\n", b.text)


def _block_verdict(b: Block, dominant: bool, p: HtmlParams, patterns: PatternSet | None) -> Decision:
    """One block's decision after the link-density and text-level rules."""
    dec = b.decision
    if dec.rule == HTML_HIDDEN and b.link_chars < 0.2 * len(b.text) and \
            len(b.text.split()) >= (p.panel_keep_words if dec is HIDDEN_PANEL else p.hidden_keep_words):
        dec = KEEP  # collapsed tabs / accordions hold real text
    if not dec.keep:
        return dec
    n = len(b.text)
    ld = b.link_chars / n if n else 0.0
    words = len(b.text.split())
    # a link of a few words is a menu item; one of 4-9 words is a teaser on an article page but an
    # item (a headline, a product name) on a page with no dominant text container. A table cell is
    # data whatever it links to (on the dev pages 2,759 content tokens to 13 in such cells), and so is
    # a list item of an article (the sources and tools its text cites)
    if (ld > p.link_density and b.tag not in HEADINGS and b.tag not in ("td", "th") and not (dominant and b.tag == "li")
            and (words < p.link_item_words or (dominant and words < p.teaser_words and ld > p.teaser_link_density))):
        return Decision.drop(CHROME, HTML_LINK_DENSITY, f"link density {ld:.2f}")
    d = classify_line(b.text, patterns)
    if not d.keep and b.tag in ("td", "th") and d.rule == PATTERN_NAV_BYLINE:
        d = KEEP  # a date in a table is data, not a byline
    if d.keep and "\n" in b.text:
        d = _lines_verdict(b.text, patterns)
    return dec if d.keep else d


def _drop_sections(blocks: list[Block], p: HtmlParams) -> None:
    """A heading that announces related / recommended content takes the short items under it along (it
    ends at a paragraph of unlinked prose); an "About the author" heading takes the name, the role and the
    bio under it (it ends at a long paragraph that is not a bio)."""
    i = 0
    while i < len(blocks):
        b = blocks[i]
        if b.decision.rule == PATTERN_NAV_RELATED and b.tag in HEADINGS:
            i = _drop_section(blocks, i, HTML_RELATED_SECTION,
                              lambda nb, w: w >= 30 and nb.link_chars < 0.3 * len(nb.text))
        elif b.decision.rule == PATTERN_NAV_RELATED and len(b.text.split()) <= 6:
            # a "Read also" line inside the text heads a box of links, not a section of teasers:
            # the first unlinked sentence is the article again
            i = _drop_section(blocks, i, HTML_RELATED_SECTION,
                              lambda nb, w: w >= 10 and nb.link_chars < 0.3 * len(nb.text)
                              and ends_sentence(nb.text))
        elif b.decision.rule == PATTERN_NAV_AUTHOR and b.tag in HEADINGS:
            i = _drop_section(blocks, i, HTML_AUTHOR_BIO,
                              lambda nb, w: w >= p.chrome.body_min_words * 3
                              or (w >= 30 and not is_author_bio(nb.text, w, p.chrome)))
        else:
            i += 1


def _drop_section(blocks: list[Block], i: int, rule: str, ends) -> int:
    """Drop the kept blocks under the heading ``blocks[i]``, up to the next heading or the first block
    ``ends(block, words)`` says is content again; returns the index where the section ends."""
    evidence = f"under the heading {blocks[i].text[:40]!r}"
    j = i + 1
    while j < len(blocks) and blocks[j].tag not in HEADINGS:
        nb = blocks[j]
        if ends(nb, len(nb.text.split())):
            break
        if nb.decision.keep:
            nb.decision = Decision.drop(CHROME, rule, evidence)
        j += 1
    return j


_LETTER = re.compile(r"[^\W\d_]")
_NAME = re.compile(r"[^\W\d_][\w.'’-]*(?: [^\W\d_][\w.'’-]*){0,2}:?$")  # one to three words, a name or a label


def _lines_verdict(text: str, patterns: PatternSet | None) -> Decision:
    """A block of several lines (``<br>``-separated buttons, a label over a value) is chrome when every
    line with a letter in it is: "Select a size / Add to cart / Notify me"."""
    lines = [ln for ln in text.split("\n") if _LETTER.search(ln)]
    if len(lines) < 2:
        return KEEP
    first = KEEP
    names = 0  # lines of a name or a label beside the chrome ones: "Jane Doe / Updated: / 5 May 2020"
    for ln in lines:
        d = classify_line(ln, patterns)
        if d.keep:
            if _NAME.match(ln.strip()) is None:
                return KEEP
            names += 1
            continue
        if first.keep:
            first = d
    return first if 2 * names < len(lines) else KEEP


def _drop_repeats(blocks: list[Block], p: HtmlParams) -> None:
    """A block whose text the page already showed (desktop and mobile renderings of one section, credits
    and calls to action under every item); the first copy stays."""
    for i, j in repeats([b.text for b in blocks], [b.decision.keep for b in blocks], p.chrome):
        blocks[i].decision = Decision.drop(CHROME, HTML_REPEATED, f"same text as block {j} of the page")


def _drop_bios(blocks: list[Block], p: HtmlParams) -> None:
    """Author boxes after the last long unlinked paragraph of the content."""
    texts = [b.text for b in blocks]
    for i in bios_after_body(texts, lambda t: len(t.split()), [b.decision.keep for b in blocks],
                             lambda i: blocks[i].link_chars < 0.3 * len(texts[i]), p.chrome):
        blocks[i].decision = Decision.drop(CHROME, HTML_AUTHOR_BIO, "an author box after the body of the content")


def _drop_orphan_headings(blocks: list[Block]) -> None:
    """A heading introduces what follows it. When what follows it, up to the next kept heading, was all
    dropped (a "Related posts", "Newsletter" or "Contact us" box), or when nothing kept follows it at all,
    it heads chrome and goes too. A heading directly followed by another one (title and subtitle) stays,
    and so does the page's title (``h1``): it names the page, not a section.
    Decided from the end, so a heading whose sub-headings all went goes as well."""
    for i in range(len(blocks) - 1, -1, -1):
        b = blocks[i]
        if not b.decision.keep or b.tag not in HEADINGS or b.tag == "h1" or _list_item(b):
            continue  # the page's title heads the page, not a section; a list's items styled as headings
        dropped = 0
        orphan = True
        rules = set()
        for nb in blocks[i + 1:]:
            if nb.decision.keep:
                orphan = nb.tag in HEADINGS and dropped > 0
                break
            dropped += 1
            rules.add(nb.decision.rule)
        if orphan and rules == {HTML_OUTSIDE_MAIN}:
            orphan = False  # dropped only for sitting outside the main container: too weak to compound
        if orphan:
            blocks[i].decision = Decision.drop(CHROME, HTML_ORPHAN_HEADING,
                                               f"nothing kept under it ({dropped} blocks dropped)")


def _list_item(b: Block) -> bool:
    parent = b.container.getparent() if b.container is not None else None
    return parent is not None and parent.tag == "li"


_RESCUABLE = flagged("rescuable", engine="html")
_FINAL = flagged("final", engine="html")


def _rescue_empty(blocks: list[Block], p: HtmlParams) -> None:
    """When the rules leave (almost) nothing of a page that has prose, they misread its template: the
    prose-like blocks that only structure or class rules dropped come back."""
    kept = sum(len(b.text) for b in blocks if b.decision.keep)
    if kept >= p.rescue_kept_chars:
        return
    back = [i for i, b in enumerate(blocks) if b.decision.rule in _RESCUABLE
            and len(b.text.split()) >= p.rescue_min_words and b.link_chars < 0.3 * len(b.text)]
    if sum(len(blocks[i].text) for i in back) >= p.rescue_back_chars:
        for i in back:
            blocks[i].decision = Decision(True, rule=HTML_RESCUED,
                                          evidence=f"page left nearly empty; was {blocks[i].decision.rule}")


def _held(b: Block) -> bool:
    """A structure verdict the text reading does not undo: a ``final`` rule's, or the links of the
    page's navigation or footer (a block in one that is mostly link text)."""
    rule = b.decision.rule
    return rule in _FINAL or (rule in SITE_PARTS and b.link_chars >= 0.5 * len(b.text))


def second_opinion(blocks: list[Block], keep_comments: bool, p: HtmlParams = DEFAULTS,
                   patterns: PatternSet | None = None) -> None:
    """When the structure rules keep less than a tenth of what the text classifier keeps of the same
    page read as a page dump (every block a line), they misread its template: a site that marks its
    content area "hidden" until a script runs, a page built of cards whose class names say "promo",
    a listing whose items sit in a carousel. The text reading's verdict then stands for every
    block, but for consent dialogs (their legal prose outweighs a short page), reader comments
    (a short article with a long thread under it keeps the thread out) and the links of a page's
    navigation and footer (the text reading cannot see links: a footer's comma-separated link lists
    read as a sentence, and a shop page whose products a script fills in is left with only them)."""
    total = sum(len(b.text) for b in blocks)
    kept = sum(len(b.text) for b in blocks if b.decision.keep)
    if kept >= p.second_opinion_share * total:
        return  # the text reading cannot keep ten times more than there is
    # the text reading as it stands: a rescue of its own would only inflate what it keeps
    verdicts = classify_lines([" ".join(b.text.split()) for b in blocks], patterns,
                              p=replace(p.chrome, keep_comments=keep_comments), rescue=False)
    held = [_held(b) for b in blocks]
    read = sum(len(b.text) for b, d, h in zip(blocks, verdicts, held, strict=True) if d.keep and not h)
    if read < p.second_opinion_min_chars or kept >= p.second_opinion_share * read:
        return
    for b, d, h in zip(blocks, verdicts, held, strict=True):
        if h:
            continue
        if not d.keep:
            b.decision = d
        elif not b.decision.keep:
            b.decision = Decision(True, rule=HTML_TEXT_READING,
                                  evidence=f"structure kept {kept} of the {read} characters a text reading "
                                           f"keeps; was {b.decision.rule}")


