"""The block engine's tuned numbers, in one frozen object.

The defaults are the values measured on the dev sets (``bench/bench_extract.py``); a bench can vary any
of them (``extract_blocks(html, params=HtmlParams(dominant_share=0.6))``). ``chrome`` holds the
numbers of the line rules the block engine applies to its blocks' text and to its second opinion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dechaff.chrome.params import ChromeParams


@dataclass(frozen=True, slots=True)
class HtmlParams:
    # structure labels
    wrapper_prose_share: float = 0.3  # a chrome-labelled wrapper holding this share of the page's prose...
    wrapper_prose_chars: int = 1500  # ...or this many characters of it is not chrome
    prose_min_chars: int = 80  # a paragraph-like element this long is prose
    form_page_share: float = 0.5  # a <form> holding more than this share of the body's text is a layout device
    # the main container
    block_min_chars: int = 25  # blocks shorter than this do not score...
    block_max_link_density: float = 0.5  # ...nor blocks with more link text than this
    score_depth: int = 4  # a block's score goes this many levels up the tree
    widen_factor: float = 1.25  # an ancestor scoring this much more than the best container...
    widen_share: float = 0.8  # ...while the container holds less than this share of it is the real container
    dominant_share: float = 0.5  # a container with this share of the page's score makes it an article page...
    dominant_min_score: float = 10.0  # ...when it holds this much prose (one paragraph over a shop's grid does not)
    # the grid of items of a page with no dominant container
    grid_min_items: int = 4
    grid_depth: int = 6  # levels above a block's element where its item may be
    grid_min_blocks: float = 1.5  # blocks per item: a name and a price, a headline and a teaser (a menu item is one)
    # block rules
    hidden_keep_words: int = 40  # a hidden block this long with few links is a collapsed tab: kept...
    panel_keep_words: int = 10  # ...and one this long in a panel a button on the page controls (aria-controls)
    link_density: float = 0.6  # a block with more link text than this is a link...
    link_item_words: int = 4  # ...dropped when shorter than this (a menu item)...
    teaser_words: int = 10  # ...or, on an article page, shorter than this...
    teaser_link_density: float = 0.9  # ...and nearly all link (a teaser)
    caption_max_words: int = 30  # on an article page, an image caption this short is chrome (0: keep captions)
    # the rescue of a page left nearly empty
    rescue_kept_chars: int = 500  # a page keeping less than this...
    rescue_min_words: int = 10  # ...gets back its prose-like blocks of this many words...
    rescue_back_chars: int = 500  # ...when they hold at least this much text
    # the second opinion of a text reading
    second_opinion_share: float = 0.1  # structure keeping less than this share of what a text reading keeps misread the page
    second_opinion_min_chars: int = 200
    chrome: ChromeParams = field(default_factory=ChromeParams)


DEFAULTS = HtmlParams()
