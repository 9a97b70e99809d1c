"""Page structure in text: a reader comment thread runs from its header to the reply form; a reply
form runs from its header over the short lines after it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dechaff.chrome.features import TERMINAL, short_menu_line, words_of
from dechaff.chrome.heuristics import good_line_words, is_discussion, line_class
from dechaff.chrome.params import ChromeParams
from dechaff.model import CHROME, COMMENT, KEEP, Decision
from dechaff.rules import (
    PATTERN_COMMENTS_START,
    PATTERN_FORM_START,
    STRUCTURE_COMMENT_FORM,
    STRUCTURE_COMMENT_THREAD,
    is_comment_pattern,
)


def _article_run(lines: Sequence[str], out: list[Decision], start: int, stop: int, p: ChromeParams) -> bool:
    """Whether an article body starts within a few lines after ``start`` (before ``stop``): an unbroken
    run of prose lines (blank lines aside) of ``article_run_chars``. Comments come one by one between
    names, dates and reply links; an article's paragraphs follow each other."""
    run = 0
    seen = 0
    for j in range(start + 1, stop):
        s = lines[j].strip()
        if not s:
            continue
        if out[j].keep and line_class(s) == "good":
            run += len(s)
            if run >= p.article_run_chars:
                return True
            continue
        if run:
            return False  # the first run of prose ended short: a comment
        seen += 1
        if seen > p.article_run_within:
            return False
    return False


def structure_pass(lines: Sequence[str], out: list[Decision], p: ChromeParams) -> None:
    """Reader comment threads (header to the first reply form after it, or the end) and reply forms
    (header, then the short lines after it)."""
    form_starts = [i for i, d in enumerate(out) if d.rule == PATTERN_FORM_START]
    _comment_thread(lines, out, form_starts, p)
    if form_starts:
        _reply_form(lines, out, form_starts[0], p)


_STRONG = re.compile(r"^(one|two|three|four|five|six|seven|eight|nine|ten|\d+)\b|^\w+ (all )?\d+ comments\b")
_NUMBER = re.compile(r"\d+")
_COUNT = re.compile(r"^(\w+ (all )?)?\d+\s+\w+$")  # a count: "14 comments", "0 Kommentare", "View 3 comments"


def _comment_thread(lines: Sequence[str], out: list[Decision], form_starts: list[int], p: ChromeParams) -> None:
    """The first comment header that opens a real thread: its lines go as comments (or, with
    ``keep_comments``, its comment-pattern lines are kept)."""
    heads = [i for i, d in enumerate(out) if d.rule == PATTERN_COMMENTS_START]
    per_item = _counts_of_posts(lines, [i for i in heads if _COUNT.match(lines[i].strip())], p)
    for i in heads:
        s = lines[i].strip().lower()
        strong = bool(_STRONG.match(s))
        if i in per_item:
            continue  # one comment count per item of a list of posts, between their titles: not a thread
        if not strong and _in_menu(lines, i, p):
            continue  # "Comments" among "Friends", "Groups", "Quotes": a menu's link
        end = next((f for f in form_starts if f > i), None)
        if not strong and end is None:
            out[i] = KEEP  # a bare "Comments" heading without a form after it proves nothing
            continue
        stop = end if end is not None else len(lines)
        thread = sum(good_line_words(lines[j]) for j in range(i, stop) if out[j].keep)
        before = sum(good_line_words(lines[j]) for j in range(i) if out[j].keep)
        if is_discussion(thread, before, p):
            # nothing like an article before it: a comment count in the byline, or a forum topic
            # whose posts are the content; a later header may still open the real thread
            continue
        if _article_run(lines, out, i, stop, p):
            continue  # an article body follows the header (a comment count in its byline), not posts
        for j in range(i, stop):
            if p.keep_comments:
                if is_comment_pattern(out[j].rule):
                    out[j] = KEEP
                continue
            if out[j].keep or out[j].rule == PATTERN_COMMENTS_START:
                out[j] = Decision.drop(COMMENT, STRUCTURE_COMMENT_THREAD,
                                       f"inside the reader comment thread opened at line {i}")
        return


def _counts_of_posts(lines: Sequence[str], counts: list[int], p: ChromeParams) -> set[int]:
    """The comment counts (lines ``counts``: "14 comments", "View 3 comments") that stand under each of
    several posts of a list, not over a thread: runs of ``comment_counts_listing`` or more of one
    wording, each two with a title or more between them and at most a post's few lines
    (``comment_counts_gap``), not all one number (a thread's own count may show two or three times:
    byline, header, footer). A thread's header ("Search 87 Comments") is no such run with the counts of
    the stories listed after the thread ("42 comments")."""
    found: set[int] = set()

    def close(run: list[int]) -> None:
        if len(run) >= p.comment_counts_listing and len({_NUMBER.search(lines[i]).group()  # type: ignore[union-attr]
                                                         for i in run}) > 1:
            found.update(run)

    def shape(i: int) -> str:  # ("view # comment": the posts' counts are one link repeated, 1 or 2 of them)
        return _NUMBER.sub("#", lines[i].strip().lower()).rstrip("s")

    run = counts[:1]
    for a, b in zip(counts, counts[1:], strict=False):
        between = [j for j in range(a + 1, b) if lines[j].strip()]
        if (shape(a) == shape(b) and len(between) <= p.comment_counts_gap
                and any(len(words_of(lines[j])) >= p.item_min_words for j in between)):
            run.append(b)
        else:
            close(run)
            run = [b]
    close(run)
    return found


def _in_menu(lines: Sequence[str], i: int, p: ChromeParams) -> bool:
    """Whether line ``i`` sits in a run of menu-like lines: the ``menu_run`` lines with text on each
    side of it all are."""
    def side(rng: range) -> bool:
        seen = 0
        for j in rng:
            if not lines[j].strip():
                continue
            if not short_menu_line(lines[j]):
                return False
            seen += 1
            if seen == p.menu_run:
                return True
        return False
    return side(range(i - 1, -1, -1)) and side(range(i + 1, len(lines)))


def _reply_form(lines: Sequence[str], out: list[Decision], first_form: int, p: ChromeParams) -> None:
    """The reply form: its header, then the short lines after it, up to the first real prose line."""
    for j in range(first_form, len(lines)):
        s = lines[j].strip()
        if not s:
            continue
        if out[j].keep:
            w = words_of(s)
            if len(w) >= p.form_prose_words and TERMINAL.search(s[-2:]):
                break
            out[j] = Decision.drop(CHROME, STRUCTURE_COMMENT_FORM, f"inside the reply form opened at line {first_form}")
