"""The line engine's settings and tuned numbers, in one frozen object.

The defaults are the values measured on the dev sets (``bench/bench_extract.py``); a bench or a user
can vary any of them (``ChromeParams(menu_run=5)``) the way datatrove filters take constructor
arguments. ``dechaff.html`` applies these to the text of its blocks (``HtmlParams.chrome``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChromeParams:
    keep_comments: bool = False  # reader comment threads are kept (their forms still go)
    # line features
    breadcrumb_lines: int = 4  # a breadcrumb trail is one of the first lines with text
    menu_run: int = 4  # this many consecutive short menu-like lines are navigation...
    menu_avg_words: float = 2.0  # ...when they average at most this many words (menus are one- or two-word links)
    # the context pass over page dumps
    dense_lines: int = 8  # a paragraph of this many lines is a page dump (every HTML block a line)
    context_min_lines: int = 8  # a page with fewer lines of text gets no context pass
    main_gap: int = 2  # lines between two good lines that still belong to one stretch of text
    main_share: float = 0.1  # a stretch with less than this share of the main stretch's text is a teaser or footer...
    section_chars: int = 600  # ...but a stretch before the main one with this much text...
    section_line_chars: int = 150  # ...in lines this long on average is a section of the article (reviews, steps)
    teaser_items: int = 2  # this many teasers (a standfirst cut short, before "read more", under a related heading)...
    teaser_max_chars: int = 400  # ...of at most two lines this long each: the related content from the first on...
    teaser_main_ratio: float = 3.0  # ...when the main text is this many times the largest of them (else: a listing)...
    teaser_body_run: int = 3  # ...and holds an article's body: this many paragraphs in a row, or this many...
    teaser_body_chars: int = 200  # ...of at least this length (a listing's sections are titles and short standfirsts)
    related_min_items: int = 3  # this many titles under a "related" heading after running text...
    related_max_items: int = 40  # ...at most this many...
    related_item_chars: int = 150  # ...each at most this long (a longer line: the page goes on)...
    related_after_chars: int = 1500  # ...after at least this much running text are related content
    wrap_min_chars: int = 40  # a hard-wrapped line runs close to the wrap width; list items are shorter
    item_run: int = 6  # a listing has at least this many item lines in a row...
    item_min_words: int = 3  # ...of headline length (menus are 1-3 words)
    item_max_words: int = 15
    item_avg_words: float = 4.0
    item_page_max_prose: int = 1500  # characters of running text above which a page is an article, not a listing
    code_run: int = 3  # this many code-like lines in a row are a code listing
    table_rows: int = 3  # a data table, one cell a line: this many rows of cells whose shapes repeat...
    table_max_cols: int = 12  # ...with a width of 2 to this many cells...
    table_cell_chars: int = 60  # ...each at most this long...
    table_cell_words: int = 8  # ...and a text cell of at most this many words
    heading_max_words: int = 15  # a short line right before running text is its heading
    # comment threads
    discussion_min_words: int = 80  # prose words a thread needs before it can be the page's content...
    discussion_rest: float = 0.5  # ...while the rest of the page holds less than this share of its prose...
    discussion_rest_max: int = 120  # ...and fewer words than this (a title, a byline, an opening question)
    article_run_chars: int = 2000  # unbroken running text this long is an article body, not one reader's comment...
    article_run_within: int = 8  # ...when it starts within this many lines after the comment header
    comment_counts_listing: int = 3  # this many comment counts ("14 comments", "View 3 comments"), text between each...
    comment_counts_gap: int = 30  # ...and at most this many lines with text from one to the next, are a list of posts
    form_prose_words: int = 16  # a reply form ends at a punctuated line of this many words
    # author boxes and repeats
    bio_max_words: int = 80
    body_min_words: int = 40  # a paragraph this long is the body of the text
    repeat_min_words: int = 4  # shorter lines (table cells, labels, "Reply") repeat legitimately
    # the rescue of a page the context rules emptied
    rescue_kept_chars: int = 500  # a page left with less than this...
    rescue_kept_share: float = 0.2  # ...and less than this share of its text was misread by the context rules
    rescue_min_chars: int = 300


DEFAULTS = ChromeParams()
