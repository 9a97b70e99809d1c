"""Web chrome in extracted text: a line classifier plus page-structure rules.

Three layers, each returning :class:`~dechaff.model.Decision` objects (never deleting anything itself):

- **patterns** (``data/chrome_patterns.txt``, user-extendable): common CMS chrome phrased generally —
  comment forms, mobile-theme toggles, share/follow prompts, image credits, cookie and subscribe banners,
  browser notices, navigation links;
- **line features**: template placeholders (``%s``, ``{{ }}``), lines that are only URLs or social
  network names, breadcrumb trails (``Home › World › ...`` or ``Home World Eurasia <the title>``), runs of
  short menu-like lines;
- **page structure**: a reader comment thread runs from its header ("3 thoughts on ...") to the reply
  form; a reply form runs from its header ("Leave a Reply") over the short lines that follow it; after
  the article, other stories' teasers (standfirsts cut short, before "read more", or under a "related
  stories" heading) go with their titles.

Precision first: a rule that could fire on article prose (short headings, captions, lists) needs
structural support before it drops anything.

The package: ``patterns`` (the pattern file and its matcher), ``features`` (context-free line
features), ``structure`` (comment threads and reply forms), ``context`` (the jusText-style pass over
page dumps), ``heuristics`` (what this engine and ``dechaff.html`` share: the class of a line, comment
threads that are the page, author boxes, repeats), ``params`` (the tuned numbers), ``lines`` (the
engine: ``classify_lines``, ``apply_chrome``, ``clean_text``).
"""

from __future__ import annotations

from dechaff.chrome.features import classify_line
from dechaff.chrome.heuristics import is_author_bio, is_discussion, line_class
from dechaff.chrome.lines import apply_chrome, classify_lines, clean_text
from dechaff.chrome.params import DEFAULTS, ChromeParams
from dechaff.chrome.patterns import (
    Pattern,
    PatternSet,
    as_pattern_set,
    builtin_patterns,
    load_patterns,
    parse_patterns,
    pattern_set,
)

__all__ = [
    "DEFAULTS",
    "ChromeParams",
    "Pattern",
    "PatternSet",
    "apply_chrome",
    "as_pattern_set",
    "builtin_patterns",
    "classify_line",
    "classify_lines",
    "clean_text",
    "is_author_bio",
    "is_discussion",
    "line_class",
    "load_patterns",
    "parse_patterns",
    "pattern_set",
]
