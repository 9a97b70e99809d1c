"""Rules for an article page (one container holds most of the page's prose): where the article ends and
what is not the article inside or around it.

- after the element the page names as its body (``articleBody``, ``entry-content``): not the article
  (``html.after-body``);
- the boxes the template names teasers and repeats, wherever they sit (``html.teaser-box``);
- short image captions: the picture's label and credit (``html.caption``);
- after the last body paragraph, from a linked headline on: other articles' teasers (``html.teasers``);
- after the last body paragraph: the site's calls to subscribe, follow, donate (``html.pitch``).
"""

from __future__ import annotations

import re

from dechaff.chrome.heuristics import NO_SPACE_SCRIPT, ends_sentence
from dechaff.html.labels import HEADINGS
from dechaff.html.page import Block
from dechaff.html.params import HtmlParams
from dechaff.model import CHROME, Decision
from dechaff.rules import HTML_AFTER_BODY, HTML_CAPTION, HTML_PITCH, HTML_TEASER_BOX, HTML_TEASERS


def trim_article(blocks: list[Block], best, block_scores: list[float | None], total: float, p: HtmlParams,
                 teasers: bool = True) -> None:
    """Drop what is not the article on an article page whose main container is ``best``. ``teasers``:
    whether the page's markup names a teaser at all (:func:`names_teasers`)."""
    _drop_after_body(blocks, block_scores, total)
    if teasers:
        _drop_teaser_boxes(blocks, best, block_scores, total)
    if p.caption_max_words > 0:
        _drop_captions(blocks, p)
    _drop_teasers(blocks, p)
    _drop_pitches(blocks)


# the element a page names as its article's body: schema.org's itemprop, or the class / id names the
# common CMSs and news templates give it
_BODY_NAMES = re.compile(r"(?:^|[\s_-])(?:article-?body|articlebody|entry-content|post-content|post-body|story-body|"
                         r"article-content|article__body|article__content|article-text|articletext|story-content|"
                         r"body-text|text-body|content-body)(?:$|[\s_-])")


def _body_element(el) -> bool:
    get = el.get
    if get("itemprop") == "articleBody":
        return True
    names = f"{get('class') or ''} {get('id') or ''}"
    return len(names) > 1 and _BODY_NAMES.search(names.lower()) is not None


def _drop_after_body(blocks: list[Block], block_scores: list[float | None], total: float) -> None:
    """When the page names its article's body (``itemprop="articleBody"``, an ``entry-content`` or
    ``article-body`` class) and that element holds most of the page's prose, what comes after it is not
    the article: tags, boxes, teasers, the site's own text (``html.after-body``). What comes before it
    (the title, the standfirst) is left to the other rules."""
    score: dict[int, float] = {}  # body element id -> the score of the blocks it holds
    memo: dict[int, tuple[object, list[int]]] = {}  # element id -> (element, ids of its body ancestors)
    for b, s in zip(blocks, block_scores, strict=True):
        if s is None or not b.decision.keep:
            continue
        chain: list[object] = []
        el = b.container
        below: list[int] = []
        while el is not None and el.tag not in ("body", "html"):
            hit = memo.get(id(el))
            if hit is not None:
                below = hit[1]
                break
            chain.append(el)
            el = el.getparent()
        for e in reversed(chain):
            below = [id(e), *below] if _body_element(e) else below
            memo[id(e)] = (e, below)
        for k in below:
            score[k] = score.get(k, 0.0) + s
    if not score:
        return
    # the innermost of those holding enough of the prose: an entry-content inside an <article> that
    # also holds the post's tags and boxes
    held = [k for k in score if score[k] >= 0.4 * total]
    if not held:
        return
    body = next(memo[k][0] for k in held if not any(o != k and _inside(memo[o][0], memo[k][0]) for o in held))
    inside = {id(e) for e in body.iter()}
    last = max((i for i, b in enumerate(blocks) if b.container is not None and id(b.container) in inside), default=None)
    if last is None:
        return
    tag = body.tag if isinstance(body.tag, str) else "?"
    evidence = f"after the article body <{tag}>"
    for b in blocks[last + 1:]:
        if b.decision.keep and not (b.container is not None and id(b.container) in inside):
            b.decision = Decision.drop(CHROME, HTML_AFTER_BODY, evidence)


def _inside(el, anc) -> bool:
    """Whether ``el`` is ``anc`` or below it."""
    while el is not None:
        if el is anc:
            return True
        el = el.getparent()
    return False


def _body_paragraph(b: Block) -> bool:
    """A paragraph of an article's body: unlinked running text closed by a full stop."""
    if b.tag in HEADINGS or b.tag == "li":
        return False
    t = b.text
    n = len(t)
    if n < 23 or b.link_chars > 0.3 * n or not ends_sentence(t):
        return False  # (twelve words take 23 characters or more)
    return len(t.split()) >= 12 or (n >= 40 and NO_SPACE_SCRIPT.search(t) is not None)


# the site speaking to its reader at the end of an article, in the languages of the pattern file: calls
# to subscribe, download the app, follow, donate, join, click; with the site's "we/our" in it
_PITCH_ACT = re.compile(
    r"\b(subscrib\w*|sign(ing)? up|newsletters?|download\w*|follow (us|the|@)\w*|like us|join us|support (us|our|"
    r"independent)|donat\w+|become a (member|subscriber|patron)|click here|tap here|app store|google play|whatsapp|"
    r"telegram|youtube channel|inbox|"
    r"abonn\w+|abo\b|herunterlad\w*|folg(e|en sie) uns|unterstütz\w+|spende\w*|mitglied werden|registrier\w+|"
    r"hier klicken|klicken sie|kundenkonto|posteingang|e-paper|"
    r"suscr[ií]b\w+|suscripci[oó]n|s[ií]gu?enos|descarga\w*|[uú]nete|hazte|donaci[oó]n|canal de (youtube|telegram)|"
    r"haz clic|bolet[ií]n|"
    r"abonnez|abonnement|suivez-nous|t[ée]l[ée]charg\w+|soutenez|faites un don|inscrivez|cliquez|"
    r"assin[ea]\w*|inscreva|siga-nos|baix[ea]|apoie|clique aqui|iscriviti|abbonati|seguici|scarica|sostieni|"
    r"clicca qui)\b", re.I)
_PITCH_WHO = re.compile(
    r"\b(we|our|us|wir|unser\w*|uns|nuestr\w+|nos|nous|notre|nosso|nossa|noi|nostr\w)\b", re.I)


# ...or as an order to the reader, or about the site's apps and channels
_PITCH_ORDER = re.compile(
    r"^(follow|subscribe|sign up|download|join|support|donate|get (the|our)|abonnier\w*|folg\w*|unterstütz\w*|lade|"
    r"hol dir|suscr[ií]b\w+|s[ií]gue\w*|descarga\w*|[uú]nete|ap[oó]ya\w*|abonnez|suivez|t[ée]l[ée]chargez|"
    r"soutenez|assine|siga|baixe|apoie|iscriviti|seguici|scarica|sostieni|hazte)\b|\b(ios|android|app store|google play|"
    r"sign up (here|now|today))\b",
    re.I)


# ...or with a "click here" beside another call to act ("click here and register for the digital edition")
_PITCH_CLICK = re.compile(r"\b((click|tap) here|hier klicken|klicken sie hier|haz clic aqu[ií]|cliquez ici|clique aqui|"
                          r"clicca qui)\b", re.I)


def _pitch(b: Block) -> bool:
    """A short paragraph in which the site asks the reader to act (subscribe, download, follow, donate)."""
    t = b.text
    if len(t.split()) > 40 or _PITCH_ACT.search(t) is None:
        return False
    if _PITCH_WHO.search(t) is not None or _PITCH_ORDER.search(t) is not None:
        return True
    # a link labelled "click here" alone is not a pitch: a list of downloads says it on every line
    return _PITCH_CLICK.search(t) is not None and _PITCH_ACT.search(_PITCH_CLICK.sub(" ", t)) is not None


def _drop_pitches(blocks: list[Block]) -> None:
    """The paragraphs after an article's last paragraph of its own that pitch the site to the reader
    ("Follow us on...", "Download our app", "Support our journalism", "Newsletter abonnieren"): walked
    back from the end, up to the last body paragraph that is not one. Short lines between them (a
    signature, a dateline) stay."""
    for i in range(len(blocks) - 1, -1, -1):
        b = blocks[i]
        if not b.decision.keep:
            continue
        if _pitch(b):
            b.decision = Decision.drop(CHROME, HTML_PITCH, "the site's call to the reader after the article's last paragraph")
        elif _body_paragraph(b):
            return


def _linked_heading(b: Block) -> bool:
    return b.decision.keep and b.tag in HEADINGS and b.link_chars >= 0.5 * len(b.text)


def _drop_teasers(blocks: list[Block], p: HtmlParams) -> None:
    """On an article page, what follows the article's last body paragraph from a linked headline on is
    other articles' teasers (a "More from X" grid, a "Most read" list), whether or not a heading
    names it: headline links, their standfirsts, dates and bylines. The article's own tail before that
    headline (a signature, a list of linked sources) stays."""
    last = next((i for i in range(len(blocks) - 1, -1, -1) if blocks[i].decision.keep and _body_paragraph(blocks[i])),
                None)
    if last is None:
        return
    # headlines: linked headings; the zone starts at the first one that reads like a headline (four
    # words or more: a card grid of a documentation index or a shop is named in one to three) and holds
    # at least two of them (one linked heading may be the article's own "Sources")
    heads = [i for i in range(last + 1, len(blocks)) if _linked_heading(blocks[i])]
    start = next((i for i in heads if len(blocks[i].text.split()) >= 4), None)
    if start is None or sum(1 for i in heads if i >= start) < 2:
        return
    evidence = f"after the article's last paragraph (block {last}), from the linked headline {blocks[start].text[:40]!r}"
    for b in blocks[start:]:
        if b.decision.keep:
            b.decision = Decision.drop(CHROME, HTML_TEASERS, evidence)


# a class token naming a teaser: "teaser", "c-teaser__title", "newsteaser", "imgTeaserL". The markup of a
# page that names none holds neither spelling, and the rule is skipped for it (nine pages in ten)
_TEASER_WORDS = ("teaser", "Teaser")
_TEASER_DEPTH = 8  # levels above a block's element where its teaser box may be
_CAPTION_DEPTH = 3  # ...and its caption


def names_teasers(markup: str) -> bool:
    """Whether the page's markup holds a teaser class at all (a substring test: reading every
    element's class costs a hundred times more; one scan for what both spellings share rules out
    most pages, where a scan for each would read the page twice)."""
    return "easer" in markup and any(w in markup for w in _TEASER_WORDS)


def _teaser_kind(el) -> tuple[str, str] | None:
    """(tag, class token) of an element whose class names it a teaser, else None."""
    cls = el.get("class")
    if not cls or not names_teasers(cls):
        return None
    return el.tag, next(t for t in cls.split() if names_teasers(t))


def _drop_teaser_boxes(blocks: list[Block], best, block_scores: list[float | None], total: float) -> None:
    """Blocks inside an element the template names a teaser, of a kind (tag and class token) the page
    repeats, that does not hold the main container: other articles' cards, wherever they sit (a rail
    beside the article, a grid inside its container). A lone "teaser" is often the article's own
    standfirst, and stays; so does a page whose teasers hold most of its prose (a listing)."""
    # element id -> (element, its teaser kind): the element is held, lxml reuses a freed proxy's id
    kind_of: dict[int, tuple[object, tuple[str, str] | None]] = {}
    members: dict[tuple[str, str], int] = {}  # teaser kind -> how many elements of it hold blocks
    boxes: list[int | None] = []  # per block: the id of the innermost teaser element around it
    for b in blocks:
        box = None
        el, depth = b.container, 0
        while el is not None and depth < _TEASER_DEPTH and el.tag not in ("body", "html"):
            k = id(el)
            known = kind_of.get(k)
            if known is None:
                known = kind_of[k] = (el, _teaser_kind(el))
                if known[1] is not None:
                    members[known[1]] = members.get(known[1], 0) + 1
            if box is None and known[1] is not None:
                box = k
            el, depth = el.getparent(), depth + 1
        boxes.append(box)
    if not members:
        return
    holds_best = set()
    el = best
    while el is not None:
        holds_best.add(id(el))
        el = el.getparent()
    drops: list[tuple[int, str]] = []
    share = 0.0  # of the page's prose score
    for i, (b, box) in enumerate(zip(blocks, boxes, strict=True)):
        if box is None or not b.decision.keep or box in holds_best:
            continue
        tag, token = kind_of[box][1]
        n = members[(tag, token)]
        if n >= 2:
            drops.append((i, f'in <{tag} class="{token[:40]}">, one of {n}'))
            share += block_scores[i] or 0.0
    if share >= 0.5 * total:
        return
    for i, evidence in drops:
        blocks[i].decision = Decision.drop(CHROME, HTML_TEASER_BOX, evidence)


def _drop_captions(blocks: list[Block], p: HtmlParams) -> None:
    """Short image captions (``figcaption``, or a class naming a caption or legend, up to three levels
    up): a picture's label and credit ("Jane Doe at the launch. Photo: Reuters"), not the story. A long
    caption tells a story of its own, and stays."""
    most = p.caption_max_words
    caption: dict[int, tuple[object, bool]] = {}  # element id -> (element, whether it is a caption)
    for b in blocks:
        # (a block with that many spaces has more words: most blocks are ruled out without a split)
        if not b.decision.keep or b.container is None or b.text.count(" ") >= most:
            continue
        el, depth = b.container, _CAPTION_DEPTH
        while el is not None and depth:
            known = caption.get(id(el))
            if known is None:
                cls = el.get("class")
                known = caption[id(el)] = (el, el.tag in ("figcaption", "caption") or (
                    cls is not None and ("aption" in cls or "egend" in cls)))
            if known[1]:
                words = len(b.text.split())
                if words <= most:
                    b.decision = Decision.drop(CHROME, HTML_CAPTION, f"an image caption of {words} words")
                break
            el, depth = el.getparent(), depth - 1
