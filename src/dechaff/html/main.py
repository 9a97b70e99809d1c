"""The main-content container: text and link density scored up the tree (readability-style); what
lies outside it; the grid of items of a page with no dominant container.
"""

from __future__ import annotations

import re

from dechaff.html.article import trim_article
from dechaff.html.labels import HEADINGS
from dechaff.html.page import Block
from dechaff.html.params import DEFAULTS, HtmlParams
from dechaff.model import CHROME, Decision
from dechaff.rules import HTML_AFTER_MAIN, HTML_GRID_ITEM, HTML_OUTSIDE_MAIN, flagged

_PUNCT_END = re.compile(r"[.!?:;\"'\u201d\u2019)\]]\s*$")


def choose_main(blocks: list[Block], grid: bool = True, p: HtmlParams = DEFAULTS, teasers: bool = True) -> bool:
    """Score candidate containers by the prose they hold and drop the blocks outside the best one.
    Returns whether that container holds most of the page's prose (an article page) or not (a
    listing, a collection, a home page). ``teasers``: whether the markup names a teaser at all."""
    # each kept block's score, once (None: it does not count)
    scores = [block_score(b, p) if b.decision.keep and b.container is not None else None for b in blocks]
    found = _best_container(blocks, scores, p)
    if found is None:
        return False
    best, best_sub, total = found
    # when no container holds most of the prose (listings, collections), only blocks that are plainly
    # not content go: link lists and lone words outside the best container
    dominant = best_sub >= p.dominant_share * total
    inside = {id(el) for el in best.iter()}  # (the container's elements)
    grids = None
    if dominant and grid and best_sub < p.dominant_min_score:
        # a paragraph or two over a shop's grid of products: the grid, holding more text, is the page
        text = sum(len(b.text) for b in blocks if b.container is not None and id(b.container) in inside)
        # (what the grid rule could keep: kept blocks and those only the weak rules dropped)
        keepable = [b.decision.keep or b.decision.rule in _GRID_WEAK for b in blocks]
        if sum(len(b.text) for b, k in zip(blocks, keepable, strict=True) if k) > 2 * text:  # (else no grid can)
            grids = item_grids(blocks, p)
            dominant = not any(sum(len(blocks[i].text) for i in members if keepable[i]) > text
                               for _n, _k, members in grids)
    _drop_outside(blocks, best, inside, dominant)
    if dominant:
        trim_article(blocks, best, scores, total, p, teasers)
    if grid and not dominant:
        _keep_item_grid(blocks, p, grids)
    return dominant


def _best_container(blocks: list[Block], block_scores: list[float | None], p: HtmlParams):
    """The element whose subtree scores highest (each block's score counted in its element and, damped,
    in a few ancestors), widened to an ancestor holding clearly more of the prose (a split article);
    with its subtree's score and the page's total score. None for a page with (almost) no prose."""
    scores: dict[int, float] = {}
    elems: dict[int, object] = {}
    total = 0.0
    for b, s in zip(blocks, block_scores, strict=True):
        if s is None:
            continue
        total += s
        for depth, anc in enumerate(_ancestors(b.container, p.score_depth)):
            k = id(anc)
            elems[k] = anc
            scores[k] = scores.get(k, 0.0) + s / (1 + depth * 0.5) if depth else scores.get(k, 0.0) + s
    if not scores or total < 5:
        return None
    best_k = max(scores, key=lambda k: scores[k])
    best = elems[best_k]
    best_score = scores[best_k]
    if best.tag in ("tbody", "thead", "tfoot", "tr"):
        # the rows of a data table (many cells, full of commas) outscored the article's paragraphs:
        # the element that holds the table and its text is the container
        table = next(best.iterancestors("table"), None)
        holder = table.getparent() if table is not None else None
        if holder is not None and holder.tag not in ("body", "html"):
            best, best_score = holder, _subtree_score(blocks, block_scores, holder)
    best_sub = _subtree_score(blocks, block_scores, best)
    anc = best.getparent()
    while anc is not None and anc.tag not in ("body", "html"):
        s = _subtree_score(blocks, block_scores, anc)
        if s >= best_score * p.widen_factor and best_sub < p.widen_share * s:
            best, best_score, best_sub = anc, s, s
            anc = anc.getparent()
        else:
            break
    return best, best_sub, total


def _drop_outside(blocks: list[Block], best, inside: set[int], dominant: bool) -> None:
    """The kept blocks outside the main container: prose below an article is its tail (bios, pitches,
    teasers: ``html.after-main``); other blocks go when they do not read like content
    (``html.outside-main``; on a page with no dominant container, only link lists and lone words).
    ``inside``: the ids of the container's elements."""
    best_sig = (best.tag, best.get("class")) if best.get("class") else None
    last_inside = max((i for i, b in enumerate(blocks) if b.container is not None and id(b.container) in inside),
                      default=len(blocks))
    for i, b in enumerate(blocks):
        if not b.decision.keep:
            continue
        if b.container is not None and id(b.container) in inside:
            continue
        n = len(b.text)
        ld = b.link_chars / n if n else 1.0
        words = len(b.text.split())
        # a heading right before the container (the article title often sits outside it) stays
        if b.tag in HEADINGS and b.tag in ("h1", "h2") and _next_kept_inside(blocks, i, inside):
            continue
        if dominant and i > last_inside and _prose_like(b, words, ld) and not _same_kind(b.container, best_sig):
            # below the article, outside it: author bios, newsletter and product pitches, disclaimers,
            # teasers of other articles (on the dev pages 7 chrome tokens for each content token)
            blocks[i].decision = Decision.drop(CHROME, HTML_AFTER_MAIN,
                                               f"after the main container <{best.tag}>, {words} words")
            continue
        if _prose_like(b, words, ld) if dominant else not (ld >= 0.5 or (words < 3 and b.tag not in HEADINGS)):
            continue  # text that reads like content outside the container: not chrome
        blocks[i].decision = Decision.drop(CHROME, HTML_OUTSIDE_MAIN,
                                           f"outside the main container <{best.tag}>, {words} words")


_GRID_WEAK = flagged("weak", engine="html")  # what a grid item gets back: dropped for where it sits, or as a link


def _keep_item_grid(blocks: list[Block], p: HtmlParams, grids: list[tuple[int, tuple, list[int]]] | None = None
                    ) -> None:
    """On a page with no dominant text container (a listing, a shop category), the content is its grid
    of items (:func:`item_grids`). Their blocks that only the weak rules dropped (outside the chosen
    container, link density) stay."""
    for n, key, members in item_grids(blocks, p) if grids is None else grids:
        for i in members:
            b = blocks[i]
            if b.decision.rule in _GRID_WEAK:
                b.decision = Decision(True, rule=HTML_GRID_ITEM,
                                      evidence=f"one of {n} <{key[1]}> items of the page; was {b.decision.rule}")


def item_grids(blocks: list[Block], p: HtmlParams) -> list[tuple[int, tuple, list[int]]]:
    """The page's largest grid of items: the largest run of sibling elements of one kind (tag and
    class), each holding a few blocks (every run of that size: a page may split its grid into rows),
    as (items, key, the blocks in it); smaller grids beside it are carousels of other items (measured:
    more leak than text)."""
    items: dict[tuple, set[int]] = {}
    members: dict[tuple, list[int]] = {}
    # (item key, item id) of an element and its ancestors, six levels up; blocks share most of them.
    # The elements are held in the memo: lxml makes a new proxy for an element nobody holds, and a
    # freed proxy's id would be reused
    memo: dict[int, tuple[object, list[tuple[tuple, int]]]] = {}

    def chain(el) -> list[tuple[tuple, int]]:
        path = []  # el and its ancestors not seen yet, up to one that was (or the top)
        top: list[tuple[tuple, int]] = []
        while el is not None:
            hit = memo.get(id(el))
            if hit is not None:
                top = hit[1]
                break
            path.append(el)
            el = el.getparent() if el.tag not in ("body", "html") else None
        for el in reversed(path):
            parent = el.getparent()
            if parent is None or el.tag in ("body", "html"):
                top = []
            else:
                top = [((id(parent), el.tag, el.get("class") or ""), id(el)), *top[:p.grid_depth - 1]]
            memo[id(el)] = (el, top)
        return top

    for i, b in enumerate(blocks):
        if b.container is None:
            continue
        for key, item in chain(b.container):
            items.setdefault(key, set()).add(item)
            members.setdefault(key, []).append(i)
    h1 = next((i for i, b in enumerate(blocks) if b.tag == "h1"), -1)
    grids = [(len(its), key) for key, its in items.items()
             if len(its) >= p.grid_min_items and len(members[key]) >= p.grid_min_blocks * len(its)
             and members[key][0] >= h1]
    if not grids:
        return []
    most = max(n for n, _k in grids)
    return [(n, key, members[key]) for n, key in grids if n == most]


def _same_kind(el, sig, depth: int = 4) -> bool:
    """Whether ``el`` or one of its nearest ancestors is an element of the same kind (tag and class)
    as the main container: the next post of a thread, the next section of a split article."""
    if sig is None:
        return False
    while el is not None and depth:
        if el.tag == sig[0] and el.get("class") == sig[1]:
            return True
        el = el.getparent()
        depth -= 1
    return False


def _prose_like(b: Block, words: int, ld: float) -> bool:
    """Blocks outside the main container that measured more content than chrome on the dev pages:
    unlinked sentences, headings and list items; short unpunctuated or linked blocks stay chrome."""
    if ld >= 0.3:
        return False
    punct = bool(_PUNCT_END.search(b.text.rstrip()[-1:]))
    if b.tag in HEADINGS:
        return words >= 2 and ld == 0
    if b.tag == "li":
        return punct and words >= 4
    return (punct and words >= 10) or words >= 20


def _next_kept_inside(blocks, i, inside) -> bool:
    for b in blocks[i + 1: i + 6]:
        if b.decision.keep and b.container is not None and id(b.container) in inside:
            return True
    return False


def block_score(b: Block, p: HtmlParams = DEFAULTS) -> float | None:
    """How much a block says the container around it is the content (readability-style): its commas
    (fullwidth too) and its length, less its link share; None for a block too short or too linked to
    count."""
    n = len(b.text)
    ld = b.link_chars / n if n else 1.0
    if n < p.block_min_chars or ld > p.block_max_link_density:
        return None
    return (1 + b.text.count(",") + b.text.count("\uff0c") + min(n / 100, 3.0)) * (1 - ld)


def _subtree_score(blocks: list[Block], block_scores: list[float | None], el) -> float:
    ids = {id(e) for e in el.iter()}
    s = 0.0
    for b, bs in zip(blocks, block_scores, strict=True):
        if bs is not None and id(b.container) in ids:
            s += bs
    return s


def _ancestors(el, n: int):
    out = []
    while el is not None and len(out) < n:
        if el.tag in ("html",):
            break
        out.append(el)
        el = el.getparent()
    return out


