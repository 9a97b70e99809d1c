"""The rules of an article page (``dechaff.html.article``): teaser boxes, captions, the site's pitches,
and the content each must leave alone."""

from __future__ import annotations

import dechaff
from dechaff.html import HtmlParams, extract_blocks
from tests.html.test_extract import P1, P2, P3, page


def _rules(html: str, texts: tuple[str, ...], params: HtmlParams | None = None) -> dict[str, str]:
    """The rule that decided each block holding one of ``texts`` ('' for a kept block)."""
    blocks = extract_blocks(html, params=params or HtmlParams()).blocks
    return {t: next((b.decision.rule if not b.decision.keep else "") for b in blocks if t in b.text) for t in texts}


CARDS = [
    ("Harbour works delayed again as costs rise",
     "The harbour contractor said the second phase would be finished a year late, blaming the weather."),
    ("New bus routes for the northern estates",
     "Three routes will link the estates to the station from May, the transport office announced."),
    ("Library volunteers honoured at town hall",
     "Forty volunteers who kept the library open during the repairs were given awards on Friday."),
]


def _cards(cls: str) -> str:
    # unlinked cards: only their class names say they are teasers
    return "".join(f"<div class='{cls}'><h3>{t}</h3><p>{s}</p></div>" for t, s in CARDS)


def test_repeated_teaser_boxes_go_wherever_they_sit_and_a_lone_teaser_standfirst_stays():
    standfirst = "The town's spending plan for the next two years passed by eleven votes to four on Tuesday."
    art = (f"<h1>Budget approved</h1><p class='article-teaser'>{standfirst}</p><p>{P1}</p><p>{P2}</p>"
           f"<div class='rail'>{_cards('c-teaser c-teaser--small')}</div><p>{P3}</p>")
    texts = (standfirst, P1, P2, P3, CARDS[0][0], CARDS[1][1], CARDS[2][1])
    rules = _rules(page(art), texts)
    assert [rules[t] for t in (standfirst, P1, P2, P3)] == ["", "", "", ""]
    assert {rules[t] for t in texts[4:]} == {"html.teaser-box"}


def test_teaser_boxes_on_a_page_with_no_article_are_its_items():
    # a listing: no container holds most of the prose, the cards are the page
    listing = page(f"<h1>News</h1>{_cards('teaser')}")
    out = dechaff.clean_html(listing)
    for title, standfirst in CARDS:
        assert title in out and standfirst in out


def test_short_captions_go_on_an_article_page_and_long_ones_stay():
    short = "The mayor at the council meeting on Tuesday"
    long_ = ("The old library building on Market Street, which the council plans to restore with money from the new "
             "budget after years in which the roof leaked and the reading room was closed to the public every winter.")
    art = (f"<h1>Budget approved</h1><p>{P1}</p>"
           f"<figure><img src='m.jpg'><figcaption>{short}</figcaption></figure><p>{P2}</p>"
           f"<figure><img src='l.jpg'><figcaption>{long_}</figcaption></figure><p>{P3}</p>"
           f"<div class='wp-caption'><img src='x.jpg'><p class='wp-caption-text'>Residents queue at the hall</p></div>")
    rules = _rules(page(art), (short, long_, "Residents queue at the hall", P3))
    assert rules == {short: "html.caption", long_: "", "Residents queue at the hall": "html.caption", P3: ""}
    # the setting keeps every caption
    kept = _rules(page(art), (short,), HtmlParams(caption_max_words=0))
    assert kept == {short: ""}


def test_a_related_posts_list_is_chrome_though_its_class_also_says_post():
    items = ["Why the council changed its mind about the harbour plan last year",
             "Five things we learned from the budget debate in the town hall"]
    lst = "<ul class='related_post wp_rp'>" + "".join(f"<li>{t}, and what it means for residents.</li>" for t in items) + "</ul>"
    # a content class beside a chrome word in another class token is still the content
    art = f"<div class='entry-content social-ready'><h1>Budget approved</h1><p>{P1}</p><p>{P2}</p>{lst}<p>{P3}</p></div>"
    rules = _rules(page(art), (P1, P2, P3, *items))
    assert [rules[t] for t in (P1, P2, P3)] == ["", "", ""]
    assert {rules[t] for t in items} == {"html.class"}


def test_a_click_here_pitch_goes_but_a_list_of_click_here_links_stays():
    pitch = "The Town Times is now digital! Simply click here and subscribe to the digital edition!"
    art = f"<h1>Budget approved</h1><p>{P1}</p><p>{P2}</p><p>{P3}</p><p>{pitch}</p>"
    assert _rules(page(art), (pitch, P3)) == {pitch: "html.pitch", P3: ""}
    downloads = [f"Section {i} - Budget tables part {i}: Click Here" for i in range(1, 4)]
    art = f"<h1>Budget approved</h1><p>{P1}</p><p>{P2}</p><p>{P3}</p>" + "".join(f"<p>{d}</p>" for d in downloads)
    assert set(_rules(page(art), tuple(downloads)).values()) == {""}
