"""Every rule dechaff decides by, once: its id, the reason it writes to ``removed/``, its family, its
flags and one line of description.

Code refers to rules through the constants below (``rules.HTML_NAV``...), never through bare strings,
and asks the registry for rule properties (:func:`flagged`) instead of keeping sets of its own. The
README's rule table is generated from here (``dechaff rules --markdown``; a test keeps the README
in step), and a test checks that every rule a run emits is registered.

Flags:

- ``weak``: a rescue of the same engine may undo it (the line engine's rescue of a page its context
  rules emptied; the HTML grid of items);
- ``rescuable``: the HTML rescue of a page left nearly empty gives these blocks back (rules about where a
  block sits in the page template, not about what it says);
- ``inline_cut``: on an inline element, the element is cut out of the block around it, and the block
  stays;
- ``final``: a second reading of the page (the text reading of ``html.text-reading``) does not undo it;
- ``keeps``: a keep decision that overrides an earlier drop (its evidence names the rule it undid);
- ``comment``: part of a reader comment thread, kept with ``keep_comments = true``.

Pattern rules are ``pattern.<name>`` for every rule name of ``data/chrome_patterns.txt``; a user's
own pattern file may add names, which :func:`get` describes generically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dechaff.model import BOILERPLATE, CHROME, COMMENT, DUPLICATE, DUPLICATE_DOCUMENT, EMPTY

FLAGS = ("weak", "rescuable", "inline_cut", "final", "keeps", "comment")


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    reason: str  # removed/.reason of its drops ("" for a rule that keeps)
    family: str  # html | pattern | feature | context | structure | boilerplate | dedup
    description: str
    flags: frozenset[str] = frozenset()

    @property
    def engine(self) -> str:
        """Which stage emits it: the HTML block engine, the text line engine, or the corpus stages."""
        if self.family == "html":
            return "html"
        if self.family in ("pattern", "feature", "context", "structure"):
            return "text"
        return "corpus"


REGISTRY: dict[str, Rule] = {}


def _rule(rule_id: str, reason: str, description: str, *flags: str) -> str:
    unknown = set(flags) - set(FLAGS)
    if unknown or rule_id in REGISTRY:
        raise ValueError(f"rule {rule_id}: unknown flags {sorted(unknown)} or registered twice")
    REGISTRY[rule_id] = Rule(rule_id, reason, rule_id.split(".", 1)[0], description, frozenset(flags))
    return rule_id


# --- HTML structure (the block engine, dechaff.html) ----------------------------------------------------
HTML_NAV = _rule("html.nav", CHROME, "inside a <nav> element", "rescuable")
HTML_ASIDE = _rule("html.aside", CHROME, "inside an <aside> element", "rescuable")
HTML_FOOTER = _rule("html.footer", CHROME, "inside a <footer> element")
HTML_MENU = _rule("html.menu", CHROME, "inside a <menu> element")
HTML_BUTTON = _rule("html.button", CHROME, "a <button> (cut out of its paragraph when inline)", "inline_cut")
HTML_NOSCRIPT = _rule("html.noscript", CHROME, "a <noscript> fallback")
HTML_DIALOG = _rule("html.dialog", CHROME, "a <dialog> box")
HTML_ROLE = _rule("html.role", CHROME, "an ARIA landmark that is not content (navigation, banner, search...)",
                  "rescuable", "inline_cut")
HTML_HIDDEN = _rule("html.hidden", CHROME, "a hidden element (hidden, aria-hidden, display:none)",
                    "rescuable", "inline_cut")
HTML_CLASS = _rule("html.class", CHROME, "class/id words that say menu, share, related, widget...",
                   "rescuable", "inline_cut")
HTML_CONSENT = _rule("html.consent", CHROME, "a cookie or consent dialog (class/id words)", "inline_cut", "final")
HTML_COMMENTS = _rule("html.comments", COMMENT, "a reader comment section (class/id words)", "final", "comment")
HTML_FORM = _rule("html.form", CHROME, "inside a <form> (not one wrapping the whole page)")
HTML_HEADER = _rule("html.header", CHROME, "a site <header> outside the article", "rescuable")
HTML_OUTSIDE_MAIN = _rule("html.outside-main", CHROME, "outside the main-content container, and not prose",
                          "weak", "rescuable")
HTML_AFTER_MAIN = _rule("html.after-main", CHROME,
                        "prose below and outside the main container (bios, pitches, teasers)", "rescuable")
HTML_AFTER_BODY = _rule("html.after-body", CHROME,
                        "after the element the page names as its article's body (itemprop, entry-content...)",
                        "rescuable")
HTML_TEASERS = _rule("html.teasers", CHROME,
                     "after the article's last paragraph, from a linked headline on: other articles' teasers",
                     "rescuable")
HTML_TEASER_BOX = _rule("html.teaser-box", CHROME,
                        "on an article page, in a repeated box the template names a teaser: another article's card",
                        "rescuable")
HTML_CAPTION = _rule("html.caption", CHROME, "on an article page, a short image caption (the picture's label and credit)",
                     "rescuable")
HTML_PITCH = _rule("html.pitch", CHROME,
                   "after the article's last paragraph: the site asking the reader to subscribe, follow, donate",
                   "rescuable")
HTML_LINK_DENSITY = _rule("html.link-density", CHROME, "a block that is mostly link text (a menu item, a teaser)",
                          "weak", "rescuable")
HTML_RELATED_SECTION = _rule("html.related-section", CHROME, "under a 'Related posts'-like heading")
HTML_AUTHOR_BIO = _rule("html.author-bio", CHROME, "an author box after the body of the content")
HTML_REPEATED = _rule("html.repeated", CHROME, "a block the page already showed")
HTML_ORPHAN_HEADING = _rule("html.orphan-heading", CHROME, "a heading with nothing kept under it")
HTML_GRID_ITEM = _rule("html.grid-item", "", "one of the page's grid of items (a listing): kept", "keeps")
HTML_RESCUED = _rule("html.rescued", "", "given back: the rules left the page nearly empty", "keeps")
HTML_TEXT_READING = _rule("html.text-reading", "",
                          "the text reading decided: the structure kept under a tenth of what it keeps", "keeps")
HTML_FALLBACK = _rule("html.fallback", "", "markup the parser could not build a tree for: its text, kept")

# --- text lines (the line engine, dechaff.chrome) --------------------------------------------------------
FEATURE_PLACEHOLDER = _rule("feature.placeholder", CHROME, "an unfilled template placeholder (%s, {{ }})")
FEATURE_CREDIT_TAIL = _rule("feature.credit-tail", CHROME,
                              "a caption ending in its image's credit ('Foto: X', '(Photo: X)', '© X')")
FEATURE_TICKER = _rule("feature.ticker", CHROME, "one short phrase said over and over (a marquee, a ticker)")
FEATURE_URL_ONLY = _rule("feature.url-only", CHROME, "a line of bare links or e-mail addresses")
FEATURE_CHROME_PARTS = _rule("feature.chrome-parts", CHROME, "a row of '|'-separated parts, each of them chrome")
FEATURE_SHARE_LINE = _rule("feature.share-line", CHROME, "only share/follow words (Facebook, X, E-mail...)")
FEATURE_BREADCRUMB = _rule("feature.breadcrumb", CHROME, "a breadcrumb trail near the top of the page")
FEATURE_MENU_RUN = _rule("feature.menu-run", CHROME, "a run of one- or two-word link-like lines", "weak")
FEATURE_REPEATED = _rule("feature.repeated", CHROME, "a line the page already showed")
FEATURE_AUTHOR_BIO = _rule("feature.author-bio", CHROME, "an author box after the body of the text")
CONTEXT_ISOLATED = _rule("context.isolated", CHROME, "a short line away from running text (jusText-style)", "weak")
CONTEXT_TEASER = _rule("context.teaser", CHROME, "another story's standfirst among two or more after the running "
                       "text (cut short, before a 'read more' link, or under a 'related stories' heading)", "weak")
CONTEXT_RESCUED = _rule("context.rescued", "", "given back: the context rules left the page nearly empty", "keeps")
STRUCTURE_COMMENT_THREAD = _rule("structure.comment-thread", COMMENT,
                                 "inside a reader comment thread (header to reply form)", "comment")
STRUCTURE_COMMENT_FORM = _rule("structure.comment-form", CHROME, "inside a reply form")
STRUCTURE_EMPTY = _rule("structure.empty", EMPTY, "a paragraph left with nothing after its lines were removed")

# --- corpus stages -------------------------------------------------------------------------------------
BOILERPLATE_TEMPLATE = _rule("boilerplate.template", BOILERPLATE,
                             "a site template: recurs at the edges of otherwise different pages of one site")
DEDUP_EXACT = _rule("dedup.exact", DUPLICATE, "the same normalised text as a kept paragraph")
DEDUP_RESEMBLANCE = _rule("dedup.resemblance", DUPLICATE, "an edited copy of a kept paragraph (Jaccard, share)")
DEDUP_CONTAINMENT = _rule("dedup.containment", DUPLICATE, "a trimmed copy inside a longer kept paragraph")
DEDUP_CONTAINED = _rule("dedup.contained", DUPLICATE,
                        "keep = longest: the kept paragraph is inside this longer one, which replaces it")
DEDUP_DOCUMENT = _rule("dedup.document", DUPLICATE_DOCUMENT, "a paragraph of a document that copies an earlier one")

# --- the pattern file (data/chrome_patterns.txt) ----------------------------------------------------------
_PATTERNS = {
    "form.start": "opens a comment/reply form", "form.field": "a field or notice of a comment form",
    "comments.start": "opens a reader comment thread", "comments.empty": "'No comments yet', 'Be the first...'",
    "mobile.toggle": "'Exit mobile version' and theme toggles", "share.prompt": "'Share this:', 'Share on...'",
    "share.follow": "'Follow us on...'", "credit.image": "an image credit line",
    "credit.enlarge": "'Click to enlarge', 'View gallery'", "cookie.banner": "a cookie or consent banner",
    "subscribe.banner": "a newsletter or subscription prompt",
    "subscribe.paywall": "a paywall notice ('To read the full story, subscribe')", "cta.button": "a call-to-action button line",
    "cta.contact": "'Contact us'-like call to action", "disclosure.affiliate": "an affiliate or funding disclosure",
    "footer.copyright": "a copyright line", "nav.toc": "a table-of-contents heading",
    "shop.cta": "a shop button ('Add to cart'...)", "shop.reviews": "review counts and review prompts",
    "forum.status": "'This topic was closed'-like thread status", "forum.member": "forum member stats, 'Sent from my ... using ...'",
    "forum.prompt": "'You are not logged in', guest notices", "forum.meta": "'Asked 2 years ago', 'Modified today'", "forum.tools": "post tools (upvote, quote, report)",
    "nav.account": "account links (sign in, register)", "nav.listing": "listing controls ('Showing 1-20 of 80', sort, filter)",
    "nav.ui": "widget labels ('Expand all', 'Copy link')", "nav.link": "a navigation link line ('Read more', 'Next post')",
    "nav.related": "a 'Related posts'-like heading (in HTML it takes its section along)",
    "nav.author": "an 'About the author' heading (in HTML it takes the bio under it along)",
    "nav.byline": "publication dates, reading times, 'Written by'", "nav.feedback": "'Was this helpful?', 'Report an error'",
    "browser.notice": "'Your browser does not support the video tag', 'Please enable JavaScript'",
}
for _name, _desc in _PATTERNS.items():
    _rule(f"pattern.{_name}", CHROME, f"pattern file: {_desc}", *(("comment",) if _name.startswith("comments.")
                                                                   else ()))
PATTERN_FORM_START = "pattern.form.start"
PATTERN_COMMENTS_START = "pattern.comments.start"
PATTERN_NAV_RELATED = "pattern.nav.related"
PATTERN_NAV_AUTHOR = "pattern.nav.author"
PATTERN_NAV_BYLINE = "pattern.nav.byline"


def get(rule_id: str) -> Rule:
    """The registered rule, or, for a rule of a user's pattern file, a generic description of it."""
    r = REGISTRY.get(rule_id)
    if r is not None:
        return r
    if rule_id.startswith("pattern."):
        return Rule(rule_id, CHROME, "pattern", "a rule of a user's pattern file",
                    frozenset({"comment"}) if is_comment_pattern(rule_id) else frozenset())
    raise KeyError(f"unregistered rule {rule_id!r}")


def is_comment_pattern(rule_id: str) -> bool:
    """A rule of the pattern file's ``comments`` family (reader comment threads), a user's file's too."""
    return rule_id.startswith("pattern.comments.")


def flagged(flag: str, engine: str | None = None) -> frozenset[str]:
    """The ids of the rules with ``flag`` (of one engine: html, text or corpus)."""
    if flag not in FLAGS:
        raise ValueError(f"unknown flag {flag!r}")
    return frozenset(r.id for r in REGISTRY.values() if flag in r.flags and (engine is None or r.engine == engine))


def markdown_table() -> str:
    """The README's rule table."""
    rows = ["| rule | reason | flags | what it removes (or keeps) |", "|---|---|---|---|"]
    for r in sorted(REGISTRY.values(), key=lambda r: (("html", "text", "corpus").index(r.engine), r.id)):
        desc = re.sub(r"(<[a-z]+>)", r"`\1`", r.description).replace("|", "\\|")
        rows.append(f"| `{r.id}` | {r.reason or '(keeps)'} | {', '.join(sorted(r.flags))} | {desc} |")
    return "\n".join(rows) + "\n"
