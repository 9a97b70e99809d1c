"""Labels from the markup: the chrome label an element's tag, role, hidden state or class/id words give
its whole subtree.
"""

from __future__ import annotations

import re
from functools import lru_cache

from dechaff.model import CHROME, COMMENT, Decision
from dechaff.rules import (
    HTML_ASIDE,
    HTML_BUTTON,
    HTML_CLASS,
    HTML_COMMENTS,
    HTML_CONSENT,
    HTML_DIALOG,
    HTML_FOOTER,
    HTML_FORM,
    HTML_HIDDEN,
    HTML_MENU,
    HTML_NAV,
    HTML_NOSCRIPT,
    HTML_ROLE,
    flagged,
)

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
GUARDED_TAGS = {"button": HTML_BUTTON, "noscript": HTML_NOSCRIPT, "dialog": HTML_DIALOG}
STRUCT_CHROME = {"nav": HTML_NAV, "aside": HTML_ASIDE, "footer": HTML_FOOTER, "menu": HTML_MENU}
# the site's own parts among them (not an aside, which may be the article's box): their links are never
# content, and they hold content only with prose of their own
SITE_PARTS = frozenset((HTML_NAV, HTML_FOOTER, HTML_MENU))
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
    r"footer|masthead|site-header|skip-link|skip-?to[\w-]*|skip-?nav[\w-]*|skip(?=$|\s)|pagination|pager|paging|tag-?cloud|tags|taglist|"
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
# class words naming other content than the page's own (a "related_post" list, a "promo-content" box): a
# positive word in the same class token does not make them the content
_ELSEWHERE = re.compile(r"(?:^|[\s_\-])(?:related|recommended|recommendations|more-stories|also-read|promo|"
                        r"sponsor(?:ed)?|advert(?:isement)?|share|sharing|social|newsletter|subscribe|outbrain|taboola)"
                        r"(?:$|[\s_\-])")
# consent managers (generic words and the class/id prefixes of the common platforms): their dialogs
# carry paragraphs of legal prose, so neither the "holds the page's prose" exemption nor the rescue of
# a nearly empty page may bring them back
CONSENT_RE = re.compile(r"cookie|consent|gdpr|ccpa|onetrust|didomi|cybot|usercentrics|truste-|cmplz|osano-cm|"
                        r"iubenda-cs|qc-cmp|cky-consent|borlabs|privacy-?manager")
# labels whose inline element is cut out of the block around it: a screen-reader label ("Regular price"),
# a hidden span, a button, a share link inside a paragraph. aria-hidden is not among them: it hides from
# screen readers, not from the eye (shops mark their visible prices aria-hidden next to a spoken copy)
INLINE_CHROME = flagged("inline_cut", engine="html")  # cut out of the block around them
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
WS = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")

_OVERFLOW = re.compile(r"\S*overflow\S*")
_RESPONSIVE_SHOW = re.compile(r"(?:^|\s)(?:sm|md|lg|xl|2xl):(?:block|flex|grid|inline|inline-block|inline-flex|"
                             r"table|contents)\b")
_HIDDEN_TOKEN = re.compile(r"(?:^|\s)hidden(?=\s|$)")
# hidden on some screens only (Bootstrap's hidden-xs, CSS modules' _hidden-lt-md_x1): shown on the others
_RESPONSIVE_HIDE = re.compile(r"hidden[-_](?:xs|sm|md|lg|xl|xxl|mobile|phone|tablet|desktop|small|large|print|"
                              r"(?:lt|gt)[-_][a-z]+|(?:xs|sm|md|lg|xl)[-_](?:up|down))(?![a-z])")
_ANY_HIDDEN = re.compile(r"\S*hidden\S*")
_HIDDEN_WORD = re.compile(r"(?<!visually-)(?<![^\s_\-])hidden(?![^\s_\-])")  # "hidden" as a class word


def _layout_free(names: str) -> str:
    """Class names without the CSS-utility tokens that hide nothing: ``overflow-hidden`` clips a box,
    ``hidden md:block`` is shown on every screen but the smallest, and ``hidden-xs`` on all the others
    (a page's desktop and mobile copies of a section are both kept: the repeat goes as a repeat)."""
    if "overflow" in names:
        names = _OVERFLOW.sub(" ", names)
    if "hidden" in names:
        if _RESPONSIVE_HIDE.search(names):
            names = _ANY_HIDDEN.sub(" ", names)
        elif _RESPONSIVE_SHOW.search(names):
            names = _HIDDEN_TOKEN.sub(" ", names)
    return names


def attr_label(el, tag: str, keep_comments: bool) -> Decision | None:
    """The chrome label an element gives its whole subtree, or None."""
    if tag in STRUCT_CHROME:
        return Decision.drop(CHROME, STRUCT_CHROME[tag], f"<{tag}>")
    if tag in GUARDED_TAGS:
        return Decision.drop(CHROME, GUARDED_TAGS[tag], f"<{tag}>")
    items = el.items()  # one call for all attributes (most elements have one or two, or none)
    if not items:
        return _FORM if tag == "form" else None
    role = hidden = aria = style = cls = id_ = None
    for name, value in items:  # (one pass over the few attributes: cheaper than a dict and six lookups)
        if name in _READ:
            if name == "class":
                cls = value
            elif name == "id":
                id_ = value
            elif name == "role":
                role = value
            elif name == "style":
                style = value
            elif name == "hidden":
                hidden = value
            else:
                aria = value
    if role and role.lower() in ROLE_CHROME:
        return Decision.drop(CHROME, HTML_ROLE, f'role="{role.lower()}"')
    if hidden is not None:
        return Decision.drop(CHROME, HTML_HIDDEN, "hidden element")
    if aria and aria.lower() == "true":
        return ARIA_HIDDEN
    if style and HIDDEN_STYLE.search(style):
        return Decision.drop(CHROME, HTML_HIDDEN, "display:none")
    if tag == "form":
        return _FORM
    names = f"{cls} {id_}" if cls and id_ else cls or id_
    if not names or tag in ("body", "html"):
        return None
    return _names_label(names, keep_comments)


_READ = frozenset({"class", "id", "role", "style", "hidden", "aria-hidden"})  # the attributes a label reads
_FORM = Decision.drop(CHROME, HTML_FORM, "<form>")
ARIA_HIDDEN = Decision.drop(CHROME, HTML_HIDDEN, "aria-hidden")  # seen, though not read aloud: not cut inline
# a hidden element a disclosure button or a tab on the page shows (aria-controls): its paragraphs are
# content, its short lines (a help popover's steps) are judged like any hidden text (blocks.py)
HIDDEN_PANEL = Decision.drop(CHROME, HTML_HIDDEN, "a collapsed panel that a button on the page shows")


@lru_cache(maxsize=8192)
def _names_label(names: str, keep_comments: bool) -> Decision | None:
    """The label of an element's class/id words (cached: templates repeat a few class names on
    hundreds of elements)."""
    label = names
    names = names.lower()
    if COMMENT_RE.search(names) and not POS_RE.search(names.replace("comment-content", "")):
        if keep_comments:
            return None
        return Decision.drop(COMMENT, HTML_COMMENTS, f'class/id "{label[:60]}"')
    if CONSENT_RE.search(names) and not POS_RE.search(names):
        return Decision.drop(CHROME, HTML_CONSENT, f'class/id "{label[:60]}"')
    free = _layout_free(names)
    if NEG_RE.search(free) and not POS_RE.search(" ".join(t for t in names.split() if not _ELSEWHERE.search(t))):
        # a class that only says "hidden" ("accordion-panel-hidden", "tab-hidden") hides the element
        # the way the hidden attribute does: a collapsed panel's long text is still kept (blocks.py)
        rule = HTML_HIDDEN if not NEG_RE.search(_HIDDEN_WORD.sub(" ", free)) else HTML_CLASS
        return Decision.drop(CHROME, rule, f'class/id "{label[:60]}"')
    return None



