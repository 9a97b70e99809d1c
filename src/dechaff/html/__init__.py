"""Main-content extraction from HTML.

The page is cut into *blocks* (the text between block-level boundaries: paragraphs, headings, list items,
table cells, captions...). Every block gets a :class:`~dechaff.model.Decision`:

1. structure: blocks inside ``nav``/``aside``/``footer``/site ``header``, ARIA landmarks that are not
   content (navigation, banner, contentinfo, complementary, search), hidden elements, forms, and elements
   whose class/id say menu, share, related, cookie, comment... are chrome (or ``comment`` for reader
   comment threads);
2. the main-content container: text and link density are scored up the tree (readability-style); blocks
   outside the best container are chrome unless they are prose themselves and come before its end (below
   it, outside it, prose is a bio, a pitch or a teaser, unless it sits in an element of the container's
   own kind: the next post of a thread);
   on a page where no container holds most of the text (a listing, a shop category), the largest grid
   of sibling items of one kind is content too (``html.grid-item``); on an article page, what follows its
   body, other articles' teaser boxes, short image captions and the site's pitches go;
3. inside it, link-dense blocks (menus, tag lists) and text-level chrome lines are dropped.

Inline elements that are chrome (a button, a screen-reader label, a hidden span, a share link) are cut
out of the block around them; what they held is kept on the page (``Page.cuts``) for the audit.

The tree is built with lxml directly: beautifulsoup4 is used for encoding detection (UnicodeDammit) in
the readers, but building a BeautifulSoup tree costs several times lxml's parse (measured by
``bench/bench_extract.py``), and the extractor needs none of its API.

The package: ``tree`` (lxml parsing), ``labels`` (what an element's tag, role and class say), ``walk``
(the tree cut into blocks), ``main`` (the main-content container and the grid of items), ``article`` (on an
article page: what follows its body, teaser boxes, captions, the site's pitches), ``blocks`` (the
block rules inside the content), ``params`` (the tuned numbers), ``extract`` (``extract_blocks``,
``clean_html``). Page heuristics shared with the line engine live in ``dechaff.chrome.heuristics``.
"""

from __future__ import annotations

from dechaff.html.extract import clean_html, extract_blocks
from dechaff.html.page import Block, Page
from dechaff.html.params import DEFAULTS, HtmlParams

__all__ = ["DEFAULTS", "Block", "HtmlParams", "Page", "clean_html", "extract_blocks"]
