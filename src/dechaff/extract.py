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
   of sibling items of one kind is content too (``html.grid-item``);
3. inside it, link-dense blocks (menus, tag lists) and text-level chrome lines are dropped.

Inline elements that are chrome (a button, a screen-reader label, a hidden span, a share link) are cut
out of the block around them; what they held is kept on the page (``Page.cuts``) for the audit.

The tree is built with lxml directly: beautifulsoup4 is used for encoding detection (UnicodeDammit) in
the readers, but building a BeautifulSoup tree costs several times lxml's parse (measured by
``bench/bench_extract.py``), and the extractor needs none of its API.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache

from dechaff.chrome import (
    BODY_MIN_WORDS,
    ChromeOptions,
    classify_line,
    classify_lines,
    is_author_bio,
    is_discussion,
)
from dechaff.model import CHROME, COMMENT, KEEP, Decision

BLOCK_TAGS = frozenset({
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "section",
    "article", "header", "footer", "nav", "aside", "main", "blockquote", "pre", "table", "form", "dd", "dt",
    "dl", "figcaption", "figure", "caption", "address", "details", "summary", "hr", "center", "body",
    "option", "legend", "fieldset", "tbody", "thead", "tfoot",
})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
DROP_TAGS = frozenset({"script", "style", "template", "svg", "iframe", "canvas", "object", "embed", "head",
                       "select", "textarea", "input", "math", "video", "audio", "map"})
# chrome unless they hold the page's prose: libxml2 lets an unclosed <button> swallow the page, and
# forum software serves its crawler view inside <noscript>
GUARDED_TAGS = {"button": "html.button", "noscript": "html.noscript", "dialog": "html.dialog"}
STRUCT_CHROME = {"nav": "html.nav", "aside": "html.aside", "footer": "html.footer", "menu": "html.menu"}
ROLE_CHROME = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "menu",
                         "menubar", "dialog", "alertdialog", "toolbar", "tablist"})
# class / id words that mark page chrome (matched on word-ish boundaries of the attribute value).
# These four patterns are lower case and matched on lower-cased names: re.IGNORECASE makes Python's
# engine try every position of an alternation char by char (measured: 24 us a name against 6)
NEG_RE = re.compile(
    r"(?:^|[\s_\-])(?:nav|navbar|navigation|menu|menubar|breadcrumbs?|crumbs?|sidebar|side-bar|"
    r"share|sharing|social|socials|sharedaddy|addthis|related|recommended|recommendations|"
    r"more-stories|read-more|also-read|promo|advert|advertisement|ads?|adsense|sponsor(?:ed)?|banner|"
    r"cookies?|consent|gdpr|newsletter|subscribe|subscription|signup|sign-up|popup|modal|overlay|"
    r"footer|masthead|site-header|skip-link|skip|pagination|pager|paging|tag-?cloud|tags|taglist|"
    r"author-bio|about-author|author-box|jp-relatedposts|usertitle|user-title|userrank|user-rank|print|toolbar|toc-toggle|login|"
    r"search(?![-_](?:page|results?|grid|items?|list|\d))|"
    r"hidden|visually-hidden|sr-only|screen-reader-text|offscreen|disclaimer|rss|outbrain|taboola)"
    r"(?:$|[\s_\-])")
COMMENT_RE = re.compile(r"(?:^|[\s_\-])(?:comments?|comment-list|commentlist|comment-respond|respond|"
                        r"replies|disqus|discussion|reactions|"
                        r"(?:customer|user)-?reviews?|reviews?-(?:list|section|widget|container)|"
                        r"yotpo|okendo|jdgm|judgeme|stamped|bazaarvoice|bv-rr|trustpilot|reviews-io)(?:$|[\s_\-])")
POS_RE = re.compile(r"(?:^|[\s_\-])(?:article|content|main|post|entry|story|body|text|blog|"
                    r"prose|markdown|page-content|post-content|entry-content|article-body)(?:$|[\s_\-])")
# consent managers (generic words and the class/id prefixes of the common platforms): their dialogs
# carry paragraphs of legal prose, so neither the "holds the page's prose" exemption nor the rescue of
# a nearly empty page may bring them back
CONSENT_RE = re.compile(r"cookie|consent|gdpr|ccpa|onetrust|didomi|cybot|usercentrics|truste-|cmplz|osano-cm|"
                        r"iubenda-cs|qc-cmp|cky-consent|borlabs|privacy-?manager")
# labels whose inline element is cut out of the block around it: a screen-reader label ("Regular price"),
# a hidden span, a button, a share link inside a paragraph. aria-hidden is not among them: it hides from
# screen readers, not from the eye (shops mark their visible prices aria-hidden next to a spoken copy)
INLINE_CHROME = frozenset({"html.hidden", "html.class", "html.consent", "html.button", "html.role"})
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
WS = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")


@dataclass(slots=True)
class Block:
    text: str
    tag: str
    decision: Decision = KEEP
    link_chars: int = 0
    container: object | None = None  # the lxml element that holds the block


@dataclass(slots=True)
class Page:
    title: str | None
    blocks: list[Block] = field(default_factory=list)
    # chrome cut out of a block's text (an inline button, a hidden label): (index of that block, text,
    # decision), so that the audit can say what left the block and why
    cuts: list[tuple[int, str, Decision]] = field(default_factory=list)

    def main_text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks if b.decision.keep)

    def all_blocks(self) -> list[tuple[str, Decision]]:
        """Every block and every cut-out piece, in page order, with its decision."""
        out: list[tuple[str, Decision]] = []
        k = 0  # cuts are in page order; a cut belongs after the block it was cut from
        for i, b in enumerate(self.blocks):
            out.append((b.text, b.decision))
            while k < len(self.cuts) and self.cuts[k][0] <= i:
                out.append(self.cuts[k][1:])
                k += 1
        out.extend(c[1:] for c in self.cuts[k:])
        return out


_OVERFLOW = re.compile(r"\S*overflow\S*")
_RESPONSIVE_SHOW = re.compile(r"(?:^|\s)(?:sm|md|lg|xl|2xl):(?:block|flex|grid|inline|inline-block|inline-flex|"
                             r"table|contents)\b")
_HIDDEN_TOKEN = re.compile(r"(?:^|\s)hidden(?=\s|$)")


def _layout_free(names: str) -> str:
    """Class names without the CSS-utility tokens that hide nothing: ``overflow-hidden`` clips a box,
    and ``hidden md:block`` is shown on every screen but the smallest."""
    if "overflow" in names:
        names = _OVERFLOW.sub(" ", names)
    if "hidden" in names and _RESPONSIVE_SHOW.search(names):
        names = _HIDDEN_TOKEN.sub(" ", names)
    return names


def _attr_label(el, tag: str, keep_comments: bool) -> Decision | None:
    """The chrome label an element gives its whole subtree, or None."""
    if tag in STRUCT_CHROME:
        return Decision.drop(CHROME, STRUCT_CHROME[tag], f"<{tag}>")
    if tag in GUARDED_TAGS:
        return Decision.drop(CHROME, GUARDED_TAGS[tag], f"<{tag}>")
    items = el.items()  # one call for all attributes (most elements have one or two, or none)
    if not items:
        return _FORM if tag == "form" else None
    get = dict(items).get
    role = get("role")
    if role and role.lower() in ROLE_CHROME:
        return Decision.drop(CHROME, "html.role", f'role="{role.lower()}"')
    if get("hidden") is not None:
        return Decision.drop(CHROME, "html.hidden", "hidden element")
    aria = get("aria-hidden")
    if aria and aria.lower() == "true":
        return _ARIA_HIDDEN
    style = get("style")
    if style and HIDDEN_STYLE.search(style):
        return Decision.drop(CHROME, "html.hidden", "display:none")
    if tag == "form":
        return _FORM
    cls, id_ = get("class"), get("id")
    names = f"{cls} {id_}" if cls and id_ else cls or id_
    if not names or tag in ("body", "html"):
        return None
    return _names_label(names, keep_comments)


_FORM = Decision.drop(CHROME, "html.form", "<form>")
_ARIA_HIDDEN = Decision.drop(CHROME, "html.hidden", "aria-hidden")  # seen, though not read aloud: not cut inline


@lru_cache(maxsize=8192)
def _names_label(names: str, keep_comments: bool) -> Decision | None:
    """The label of an element's class/id words (cached: templates repeat a few class names on
    hundreds of elements)."""
    label = names
    names = names.lower()
    if COMMENT_RE.search(names) and not POS_RE.search(names.replace("comment-content", "")):
        if keep_comments:
            return None
        return Decision.drop(COMMENT, "html.comments", f'class/id "{label[:60]}"')
    if CONSENT_RE.search(names) and not POS_RE.search(names):
        return Decision.drop(CHROME, "html.consent", f'class/id "{label[:60]}"')
    if NEG_RE.search(_layout_free(names)) and not POS_RE.search(names):
        return Decision.drop(CHROME, "html.class", f'class/id "{label[:60]}"')
    return None


def _prose_words(b: Block) -> int:
    """Words of a block that reads like prose (not a link list, not a label), else 0."""
    n = len(b.text)
    words = len(b.text.split())
    if words < 8 or (n and b.link_chars / n > 0.3):
        return 0
    return words


def _is_discussion(blocks: list[Block]) -> bool:
    """A page whose comment-marked blocks hold nearly all of its prose is a discussion page (forum
    topic, Q&A): the posts are not reader comments under an article, they are the content. An article
    with comments has prose of its own outside the thread, and keeps its thread removed."""
    thread = rest = 0
    for b in blocks:
        if b.decision.rule == "html.comments":
            thread += _prose_words(b)
        elif b.decision.keep:
            rest += _prose_words(b)
    return is_discussion(thread, rest)


_END_TAGS = re.compile(r"</(?:body|html)\s*>", re.I)


_LOCAL = threading.local()  # lxml parsers and XPath evaluators are not to be shared between threads


def _lxml():
    """This thread's HTML parser and string() evaluator (shard tasks may run in a thread pool)."""
    from lxml import etree

    if not hasattr(_LOCAL, "parser"):
        _LOCAL.parser = etree.HTMLParser()
        _LOCAL.string = etree.XPath("string()")
    return _LOCAL.parser, _LOCAL.string


def _string(el) -> str:
    return str(_lxml()[1](el))


def _parse(markup: str):
    """The page's tree: lxml's HTML parser with plain elements (lxml.html's element classes cost a
    Python call for every element the walk touches, a tenth of the extraction)."""
    from lxml import etree

    parser = _lxml()[0]
    markup = re.sub(r"^\s*<\?xml[^>]*>", "", markup)
    # libxml2 drops whatever follows </html> (an HTML5 parser puts it in the body): templates that
    # close the document before the article are rare but real
    markup = _END_TAGS.sub("", markup)
    if not markup.strip():
        return None
    try:
        root = etree.fromstring(markup, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    return root if root is not None and isinstance(root.tag, str) else None


def extract_blocks(markup: str, url: str | None = None, *, keep_comments: bool = False) -> Page:
    """Cut the page into blocks and decide each. Deterministic, no state."""
    root = _parse(markup)
    if root is None:
        return _fallback(markup)
    blocks, cuts = _cut(root, keep_comments)
    if not blocks and _TAG.sub(" ", markup).strip():
        # libxml2 gives up on pathological markup (e.g. nesting thousands of levels deep): keep the text
        return _fallback(markup)
    discussion = not keep_comments and _is_discussion(blocks)
    if discussion:
        # the thread is what the page is (a forum topic, a Q&A page): its posts are the content, so
        # the tree is cut again without the comment label (forms, menus and link lists in it still go)
        blocks, cuts = _cut(root, keep_comments=True)
    title = _title(root)
    # the posts of a thread are not a grid of items: their user panels ("Joined", "Messages") stay out
    dominant = _choose_main(blocks, grid=not discussion)
    _finish(blocks, title, dominant)
    _second_opinion(blocks, keep_comments)
    return Page(title=title, blocks=blocks, cuts=cuts)


def _cut(root, keep_comments: bool) -> tuple[list[Block], list[tuple[int, str, Decision]]]:
    """Walk the tree into text blocks, each labelled by the structure around it (its own element's or
    the nearest labelled ancestor's chrome label)."""
    from lxml import etree

    blocks: list[Block] = []
    cuts: list[tuple[int, str, Decision]] = []
    buf: list[str] = []
    links = 0  # characters of ``buf`` inside links
    # (element, tag, inherited label, innermost block-level tag, innermost block-level element but <br>):
    # the last two are carried down so that a block's tag and container are not searched for up the stack
    stack: list[tuple[object, str, Decision | None, str | None, object]] = []
    skip_depth = 0
    link_depth = 0
    # the label of a subtree whose forms contain most of the page (ASP.NET wraps pages in one <form>)
    body = root.find("body")
    body_len = len(_text_of(body)) if body is not None else 0
    prose_total = _prose(root)
    block_tags, drop_tags = BLOCK_TAGS, DROP_TAGS

    def flush(links: int) -> None:
        """The text gathered since the last block boundary becomes a block (called only when there is some)."""
        raw = "".join(buf)
        buf.clear()
        if raw.isspace():
            return  # the whitespace between two tags (most flushes)
        text = WS.sub(" ", raw).strip()
        if not text:
            return
        if stack:
            _el, tag, label, btag, container = stack[-1]
        else:
            tag, label, btag, container = "", None, None, None
        blocks.append(Block(text=text, tag=btag or tag, decision=label or KEEP, link_chars=min(links, len(text)),
                            container=container))

    walker = etree.iterwalk(root, events=("start", "end"))
    for ev, el in walker:
        tag = el.tag
        if tag.__class__ is not str:
            tag = ""
        if ev == "start":
            if not tag:  # comment / PI: only its tail counts
                continue
            if skip_depth or tag in drop_tags:
                skip_depth += 1
                walker.skip_subtree()  # its descendants are not walked (an <svg> may hold thousands)
                continue
            if stack:
                _p, _t, parent_label, btag, container = stack[-1]
            else:
                parent_label, btag, container = None, None, None
            label = parent_label
            if label is None:
                label = _attr_label(el, tag, keep_comments)
                if label is not None:
                    if (label.reason == CHROME and _holds_prose(el, prose_total)
                            and not (label.rule == "html.consent" and _holds_no_article(el))):
                        label = None  # a wrapper that holds much of the page's prose is not chrome
                    elif (label.rule == "html.form" and body_len
                            and len(_text_of(el)) > 0.5 * body_len):
                        label = None  # a form wrapping the page is a layout device, not a form
            is_block = tag in block_tags
            if (not is_block and label is not None and parent_label is None
                    and label.rule in INLINE_CHROME and label is not _ARIA_HIDDEN):
                skip_depth += 1  # chrome inside a block is cut out of it; the block's own text stays
                walker.skip_subtree()
                cut = " ".join(_text_of(el).split())
                if cut:
                    cuts.append((len(blocks), cut, label))
                continue
            if is_block:
                if buf:
                    flush(links)
                    links = 0
                btag = tag
                if tag != "br":
                    container = el
            if (tag == "header" and label is None and not _inside(stack, ("article", "main"))
                    and el.find(".//h1") is None):
                label = Decision.drop(CHROME, "html.header", "<header> outside the article")
            stack.append((el, tag, label, btag, container))
            if tag == "a":
                link_depth += 1
            text = el.text
            if text:
                buf.append(text)
                if link_depth:
                    links += len(text)
        else:
            if not tag:
                if not skip_depth and el.tail:
                    buf.append(el.tail)
                continue
            if skip_depth:
                skip_depth -= 1
                if skip_depth == 0 and el.tail and stack:
                    buf.append(el.tail)
                    if link_depth:
                        links += len(el.tail)
                continue
            if tag in block_tags:
                if buf:
                    flush(links)
                    links = 0
            elif tag == "a" and link_depth:
                link_depth -= 1
            if tag == "br":
                buf.append("\n")
            stack.pop()
            tail = el.tail
            if tail:
                buf.append(tail)
                if link_depth:
                    links += len(tail)
    if buf:
        flush(links)
    return blocks, cuts


_TAG = re.compile(r"<[^>]*>")
_DROP_RE = re.compile(r"(?is)<(script|style|noscript|template|svg|head)\b.*?</\1\s*>")
_BLOCK_RE = re.compile(r"(?i)</?(?:p|div|br|li|h[1-6]|tr|td|section|article|blockquote|pre|table|ul|ol)\b[^>]*>")


def _fallback(markup: str) -> Page:
    """Text of markup the parser could not build a tree for: tags stripped, blocks kept apart."""
    import html as _html

    text = _BLOCK_RE.sub("\n", _DROP_RE.sub(" ", markup))
    text = _html.unescape(_TAG.sub(" ", text))
    blocks = [Block(text=t, tag="p", decision=Decision(True, rule="html.fallback"))
              for t in (WS.sub(" ", ln).strip() for ln in text.split("\n")) if t]
    _finish(blocks, None)
    return Page(title=None, blocks=blocks)


_PROSE_TAGS = ("p", "li", "td", "blockquote", "pre", "dd")


def _prose(el) -> int:
    """Characters of prose (paragraph-like elements of 80+ characters) under ``el``."""
    n = 0
    for p in el.iter(_PROSE_TAGS):
        t = _string(p) if p.tag == "p" else (p.text or "")
        if len(t) >= 80:
            n += len(t)
    return n


def _holds_no_article(el) -> bool:
    return el.find(".//h1") is None and el.find(".//article") is None and el.find(".//main") is None


def _holds_prose(el, total: int) -> bool:
    if total <= 0:
        return False
    mine = _prose(el)
    return mine >= 0.3 * total or mine >= 1500


def _text_of(el) -> str:
    """The element's text (empty for a missing or unreadable element)."""
    if el is None:
        return ""
    try:
        return _string(el)
    except ValueError:
        return ""


def _inside(stack, tags: tuple[str, ...]) -> bool:
    return any(entry[1] in tags for entry in stack)


def _title(root) -> str | None:
    for xp in ('//meta[@property="og:title"]/@content', "//title/text()", "//h1//text()"):
        try:
            vals = root.xpath(xp)
        except Exception:  # noqa: BLE001 - a broken tree has no title
            vals = []
        for v in vals:
            v = WS.sub(" ", str(v)).strip()
            if v:
                return v
    return None


_PUNCT_END = re.compile(r"[.!?:;\"'\u201d\u2019)\]]\s*$")


DOMINANT_SHARE = 0.5


def _choose_main(blocks: list[Block], grid: bool = True) -> bool:
    """Score candidate containers by the prose they hold and drop the blocks outside the best one.
    Returns whether that container holds most of the page's prose (an article page) or not (a
    listing, a collection, a home page)."""
    scores: dict[int, float] = {}
    elems: dict[int, object] = {}
    total = 0.0
    for b in blocks:
        if not b.decision.keep or b.container is None:
            continue
        n = len(b.text)
        ld = b.link_chars / n if n else 1.0
        if n < 25 or ld > 0.5:
            continue
        s = (1 + b.text.count(",") + b.text.count("\uff0c") + min(n / 100, 3.0)) * (1 - ld)
        total += s
        el = b.container
        for depth, anc in enumerate(_ancestors(el, 4)):
            k = id(anc)
            elems[k] = anc
            scores[k] = scores.get(k, 0.0) + s / (1 + depth * 0.5) if depth else scores.get(k, 0.0) + s
    if not scores or total < 5:
        return False
    best_k = max(scores, key=lambda k: scores[k])
    best = elems[best_k]
    # widen: an ancestor that holds clearly more of the prose is the real container (split articles)
    best_score = scores[best_k]
    anc = best.getparent()
    while anc is not None and anc.tag not in ("body", "html"):
        s = _subtree_score(blocks, anc)
        if s >= best_score * 1.25 and _subtree_score(blocks, best) < 0.8 * s:
            best, best_score = anc, s
            anc = anc.getparent()
        else:
            break
    # when no container holds most of the prose (listings, collections), only blocks that are plainly
    # not content go: link lists and lone words outside the best container
    dominant = _subtree_score(blocks, best) >= DOMINANT_SHARE * total
    inside = set()
    for el in best.iter():
        inside.add(id(el))
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
            blocks[i].decision = Decision.drop(CHROME, "html.after-main",
                                               f"after the main container <{best.tag}>, {words} words")
            continue
        if _prose_like(b, words, ld) if dominant else not (ld >= 0.5 or (words < 3 and b.tag not in HEADINGS)):
            continue  # text that reads like content outside the container: not chrome
        blocks[i].decision = Decision.drop(CHROME, "html.outside-main",
                                           f"outside the main container <{best.tag}>, {words} words")
    if grid and not dominant:
        _keep_item_grid(blocks)
    return dominant


GRID_MIN_ITEMS = 4
GRID_DEPTH = 6  # levels above a block's element where its item may be
GRID_MIN_BLOCKS = 1.5  # blocks per item: a name and a price, a headline and a teaser (a menu item is one)
_GRID_WEAK = ("html.outside-main", "html.link-density")


def _keep_item_grid(blocks: list[Block]) -> None:
    """On a page with no dominant text container (a listing, a shop category), the content is its grid
    of items: the largest run of sibling elements of one kind (tag and class), each holding a few blocks
    (every run of that size: a page may split its grid into rows).
    Their blocks that only the weak rules dropped (outside the chosen container, link density) stay."""
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
                top = [((id(parent), el.tag, el.get("class") or ""), id(el)), *top[:GRID_DEPTH - 1]]
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
             if len(its) >= GRID_MIN_ITEMS and len(members[key]) >= GRID_MIN_BLOCKS * len(its)
             and members[key][0] >= h1]
    if not grids:
        return
    most = max(n for n, _k in grids)
    for n, key in grids:
        if n < most:
            continue  # smaller grids beside the largest: carousels of other items (measured: more leak than text)
        for i in members[key]:
            b = blocks[i]
            if b.decision.rule in _GRID_WEAK:
                b.decision = Decision(True, rule="html.grid-item",
                                      evidence=f"one of {n} <{key[1]}> items of the page; was {b.decision.rule}")


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
    punct = bool(_PUNCT_END.search(b.text))
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


def _subtree_score(blocks: list[Block], el) -> float:
    ids = {id(e) for e in el.iter()}
    s = 0.0
    for b in blocks:
        if b.decision.keep and b.container is not None and id(b.container) in ids:
            n = len(b.text)
            ld = b.link_chars / n if n else 1.0
            if n >= 25 and ld <= 0.5:
                s += (1 + b.text.count(",") + min(n / 100, 3.0)) * (1 - ld)
    return s


def _ancestors(el, n: int):
    out = []
    while el is not None and len(out) < n:
        if el.tag in ("html",):
            break
        out.append(el)
        el = el.getparent()
    return out


def _finish(blocks: list[Block], title: str | None, dominant: bool = True) -> None:
    """Block-level rules inside the content: link-dense blocks and text-level chrome lines."""
    for i, b in enumerate(blocks):
        if b.decision.rule == "html.hidden" and len(b.text.split()) >= 40 and b.link_chars < 0.2 * len(b.text):
            blocks[i].decision = KEEP  # collapsed tabs / accordions hold real text
        if not b.decision.keep:
            continue
        n = len(b.text)
        ld = b.link_chars / n if n else 0.0
        words = len(b.text.split())
        # a link of a few words is a menu item; one of 4-9 words is a teaser on an article page but an
        # item (a headline, a product name) on a page with no dominant text container. A table cell is
        # data whatever it links to (on the dev pages 2,759 content tokens to 13 in such cells), and so is
        # a list item of an article (the sources and tools its text cites)
        if (ld > 0.6 and b.tag not in HEADINGS and b.tag not in ("td", "th") and not (dominant and b.tag == "li")
                and (words < 4 or (dominant and words < 10 and ld > 0.9))):
            blocks[i].decision = Decision.drop(CHROME, "html.link-density", f"link density {ld:.2f}")
            continue
        d = classify_line(b.text)
        if d.keep and "\n" in b.text:
            d = _lines_verdict(b.text)
        if not d.keep:
            blocks[i].decision = d
    # a heading that announces related / recommended content takes the short items under it along
    # (it ends at a paragraph of unlinked prose); an "About the author" heading takes the name, the role
    # and the bio under it (it ends at a long paragraph that is not a bio)
    i = 0
    while i < len(blocks):
        b = blocks[i]
        if b.decision.rule == "pattern.nav.related" and (b.tag in HEADINGS or len(b.text.split()) <= 6):
            i = _drop_section(blocks, i, "html.related-section",
                              lambda nb, w: w >= 30 and nb.link_chars < 0.3 * len(nb.text))
        elif b.decision.rule == "pattern.nav.author" and b.tag in HEADINGS:
            i = _drop_section(blocks, i, "html.author-bio",
                              lambda nb, w: w >= BODY_MIN_WORDS * 3 or (w >= 30 and not is_author_bio(nb.text, w)))
        else:
            i += 1
    _drop_repeats(blocks)
    _drop_bios(blocks)
    _drop_orphan_headings(blocks)
    _rescue_empty(blocks)
    # blocks may not hold blank lines: paragraphs are cut on them downstream
    for b in blocks:
        if "\n" in b.text:
            b.text = re.sub(r"\n\s*\n+", "\n", b.text)


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


REPEAT_MIN_WORDS = 4  # shorter blocks (table cells, labels, "Yes") repeat legitimately


_LETTER = re.compile(r"[^\W\d_]")


def _lines_verdict(text: str) -> Decision:
    """A block of several lines (``<br>``-separated buttons, a label over a value) is chrome when every
    line with a letter in it is: "Select a size / Add to cart / Notify me"."""
    lines = [ln for ln in text.split("\n") if _LETTER.search(ln)]
    if len(lines) < 2:
        return KEEP
    first = KEEP
    for ln in lines:
        d = classify_line(ln)
        if d.keep:
            return KEEP
        if first.keep:
            first = d
    return first


def _drop_repeats(blocks: list[Block]) -> None:
    """A block whose text the page already showed is dropped: responsive templates render the same
    section twice (desktop and mobile), and credits or calls to action recur under every item. The
    first copy stays."""
    first: dict[str, int] = {}
    for i, b in enumerate(blocks):
        if not b.decision.keep:
            continue
        key = " ".join(b.text.lower().split())
        if key.count(" ") + 1 < REPEAT_MIN_WORDS:
            continue
        j = first.setdefault(key, i)
        if j != i:
            blocks[i].decision = Decision.drop(CHROME, "html.repeated", f"same text as block {j} of the page")


def _drop_bios(blocks: list[Block]) -> None:
    """Author boxes after the last long paragraph of the content."""
    words = [len(b.text.split()) for b in blocks]
    body = [i for i, b in enumerate(blocks) if b.decision.keep and words[i] >= BODY_MIN_WORDS
            and b.link_chars < 0.3 * len(b.text) and not is_author_bio(b.text, words[i])]
    if not body:
        return
    for i, b in enumerate(blocks):
        if b.decision.keep and i > body[-1] and is_author_bio(b.text, words[i]):
            blocks[i].decision = Decision.drop(CHROME, "html.author-bio", "an author box after the body of the content")


def _drop_orphan_headings(blocks: list[Block]) -> None:
    """A heading introduces what follows it. When what follows it, up to the next kept heading, was all
    dropped (a "Related posts", "Newsletter" or "Contact us" box), or when nothing kept follows it at all,
    it heads chrome and goes too. A heading directly followed by another one (title and subtitle) stays,
    and so does the page's title (``h1``): it names the page, not a section.
    Decided from the end, so a heading whose sub-headings all went goes as well."""
    for i in range(len(blocks) - 1, -1, -1):
        b = blocks[i]
        if not b.decision.keep or b.tag not in HEADINGS or b.tag == "h1":
            continue  # the page's title heads the page, not a section
        dropped = 0
        orphan = True
        rules = set()
        for nb in blocks[i + 1:]:
            if nb.decision.keep:
                orphan = nb.tag in HEADINGS and dropped > 0
                break
            dropped += 1
            rules.add(nb.decision.rule)
        if orphan and rules == {"html.outside-main"}:
            orphan = False  # dropped only for sitting outside the main container: too weak to compound
        if orphan:
            blocks[i].decision = Decision.drop(CHROME, "html.orphan-heading",
                                               f"nothing kept under it ({dropped} blocks dropped)")


def _rescue_empty(blocks: list[Block]) -> None:
    """When the rules leave (almost) nothing of a page that has prose, they misread its template: the
    prose-like blocks that only structure or class rules dropped come back."""
    kept = sum(len(b.text) for b in blocks if b.decision.keep)
    if kept >= 500:
        return
    structural = ("html.class", "html.header", "html.role", "html.nav", "html.aside", "html.outside-main",
                  "html.after-main",
                  "html.hidden", "html.link-density")
    back = [i for i, b in enumerate(blocks) if b.decision.rule in structural
            and len(b.text.split()) >= 10 and b.link_chars < 0.3 * len(b.text)]
    if sum(len(blocks[i].text) for i in back) >= 500:
        for i in back:
            blocks[i].decision = Decision(True, rule="html.rescued",
                                          evidence=f"page left nearly empty; was {blocks[i].decision.rule}")


SECOND_OPINION_SHARE = 0.1  # structure keeping less than this share of what a text reading keeps misread the page
SECOND_OPINION_MIN_CHARS = 200


def _second_opinion(blocks: list[Block], keep_comments: bool) -> None:
    """When the structure rules keep less than a tenth of what the text classifier keeps of the same
    page read as a page dump (every block a line), they misread its template: a site that marks its
    content area "hidden" until a script runs, a page built of cards whose class names say "promo",
    a listing whose items sit in a carousel. The text reading's verdict then stands for every
    block, but for consent dialogs (their legal prose outweighs a short page) and reader comments
    (a short article with a long thread under it keeps the thread out)."""
    total = sum(len(b.text) for b in blocks)
    kept = sum(len(b.text) for b in blocks if b.decision.keep)
    if kept >= SECOND_OPINION_SHARE * total:
        return  # the text reading cannot keep ten times more than there is
    # the text reading as it stands: a rescue of its own would only inflate what it keeps
    verdicts = classify_lines([" ".join(b.text.split()) for b in blocks],
                              opts=ChromeOptions(keep_comments=keep_comments), rescue=False)
    stay = ("html.consent", "html.comments")
    read = sum(len(b.text) for b, d in zip(blocks, verdicts, strict=True) if d.keep and b.decision.rule not in stay)
    if read < SECOND_OPINION_MIN_CHARS or kept >= SECOND_OPINION_SHARE * read:
        return
    for b, d in zip(blocks, verdicts, strict=True):
        if b.decision.rule in stay:
            continue
        if not d.keep:
            b.decision = d
        elif not b.decision.keep:
            b.decision = Decision(True, rule="html.text-reading",
                                  evidence=f"structure kept {kept} of the {read} characters a text reading "
                                           f"keeps; was {b.decision.rule}")


def clean_html(html: str, url: str | None = None) -> str:
    """The main content of an HTML page as text, paragraphs separated by a blank line."""
    return extract_blocks(html, url).main_text()
