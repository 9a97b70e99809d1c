"""HTML main-content extraction on small pages written for the purpose."""

from __future__ import annotations

import pytest

import dechaff
from dechaff.html import extract_blocks

P1 = ("The council approved the new budget on Tuesday after a long debate about school funding, road "
      "repairs and the future of the public library in the town centre.")
P2 = ("Residents who spoke at the meeting were divided, with some praising the investment in schools and "
      "others warning that the library plan would cost more than promised.")
P3 = ("The mayor said the first projects would begin in the spring, and that the council would publish "
      "monthly reports on spending so that residents could follow the work.")


def page(article: str, extra: str = "") -> str:
    return f"""<html><head><title>Budget approved | Town Times</title><script>var x = 1;</script></head>
<body>
<header class="site-header"><a href="/">Town Times</a><nav><a href="/news">News</a> <a href="/sport">Sport</a></nav></header>
<div class="cookie-banner">We use cookies to improve your experience. <button>Accept</button></div>
<main><article>
{article}
</article>
{extra}
</main>
<aside class="sidebar"><h3>Most read</h3><ul><li><a href="/a">Story A</a></li><li><a href="/b">Story B</a></li></ul></aside>
<div class="share-buttons"><a href="#">Facebook</a> <a href="#">Twitter</a></div>
<footer><p>© 2024 Town Times. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
</body></html>"""


def test_article_kept_and_chrome_dropped():
    html = page(f"<h1>Budget approved</h1><p>{P1}</p><h2>What happens next</h2><p>{P2}</p><p>{P3}</p>")
    out = dechaff.clean_html(html)
    assert out.split("\n\n") == ["Budget approved", P1, "What happens next", P2, P3]


def test_lists_tables_quotes_and_long_captions_of_the_story_are_kept():
    # (a short caption is the picture's label: tests/html/test_article.py)
    caption = ("The mayor at the council meeting on Tuesday, where the budget was approved after a debate "
               "that lasted until midnight and drew the largest crowd the town hall has seen in years.")
    art = (f"<h1>Budget approved</h1><p>{P1}</p>"
           "<ul><li>Schools: 4 million</li><li>Roads: 2 million</li><li>Library: 1 million</li></ul>"
           f"<blockquote>“This is a good day for the town,” the mayor said.</blockquote>"
           f"<figure><img src='m.jpg'><figcaption>{caption}</figcaption></figure>"
           "<table><tr><th>Item</th><th>Cost</th></tr><tr><td>Schools</td><td>4m</td></tr></table>"
           f"<p>{P2}</p>")
    out = dechaff.clean_html(page(art))
    for s in ("Schools: 4 million", "Library: 1 million", "“This is a good day for the town,” the mayor said.",
              caption, "Item", "4m", P2):
        assert s in out, s
    for s in ("We use cookies", "Most read", "Story A", "Facebook", "All rights reserved", "Town Times\n"):
        assert s not in out


def test_comment_section_is_dropped_and_forms_are_chrome():
    extra = ("<section id='comments' class='comments-area'><h2>3 Comments</h2>"
             "<div class='comment-body'><p>I think this is a great decision for the town and its schools, "
             "and I hope the library gets finished on time.</p></div></section>"
             "<form id='commentform'><label>Comment</label><textarea></textarea>"
             "<p>Your email address will not be published.</p></form>")
    page_html = page(f"<p>{P1}</p><p>{P2}</p>", extra)
    out = dechaff.clean_html(page_html)
    assert P1 in out and "great decision" not in out and "will not be published" not in out
    blocks = extract_blocks(page_html).blocks
    assert any(b.decision.reason == "comment" for b in blocks)
    kept = extract_blocks(page_html, keep_comments=True).main_text()
    assert "great decision" in kept and "will not be published" not in kept


def test_a_wrapper_whose_class_says_widget_or_menu_but_holds_the_article_is_kept():
    html = (f"<html><body><div class='elementor-widget-container menu-wrapper'><p>{P1}</p><p>{P2}</p>"
            f"<p>{P3}</p></div><div class='menu'><a href='/'>Home</a></div></body></html>")
    out = dechaff.clean_html(html)
    assert P1 in out and P3 in out and "Home" not in out


def test_unclosed_button_and_noscript_do_not_swallow_the_page():
    html = f"<html><body><button class='menu-toggle'>Menu<div><p>{P1}</p><p>{P2}</p></div></body></html>"
    assert P1 in dechaff.clean_html(html)
    html = f"<html><body><noscript><div class='topic'><p>{P1}</p><p>{P2}</p></div></noscript></body></html>"
    assert P2 in dechaff.clean_html(html)


def test_related_section_under_its_heading_is_dropped():
    extra = ("<div class='more'><h2>You may also like</h2><p><a href='/x'>Another story about roads</a></p>"
             "<p>Short teaser text.</p></div>")
    out = dechaff.clean_html(page(f"<p>{P1}</p><p>{P2}</p>", extra))
    assert "You may also like" not in out and "Another story" not in out and P2 in out


def test_degenerate_input():
    assert dechaff.clean_html("") == ""
    assert dechaff.clean_html("<html></html>") == ""
    assert dechaff.clean_html("just text, no markup at all") == "just text, no markup at all"
    assert extract_blocks("<html><head><title>T</title></head><body><p>x</p></body></html>").title == "T"


def test_deterministic():
    html = page(f"<p>{P1}</p><p>{P2}</p>")
    assert dechaff.clean_html(html) == dechaff.clean_html(html)


def test_a_page_the_rules_would_empty_gets_its_prose_back():
    paras = [P1, P2, P3, P1.replace("Tuesday", "Friday")]
    body = "".join(f"<p>{p}</p>" for p in paras)
    html = f"<html><body><header>{body}</header><nav><a href='/'>Home</a></nav></body></html>"
    page = extract_blocks(html)
    assert page.main_text().split("\n\n") == paras
    assert {b.decision.rule for b in page.blocks if b.decision.keep} == {"html.rescued"}
    assert "Home" not in page.main_text()


def test_a_heading_whose_section_was_all_chrome_goes_with_it():
    art = f"<h1>Budget approved</h1><h2>The vote</h2><p>{P1}</p><p>{P2}</p>"
    extra = ('<h3>The morning briefing</h3><form><input name="email"><button>Sign up</button>'
             '<p>Get the best stories in your inbox every morning.</p></form>'
             '<h3>Around the town</h3>')
    out = dechaff.clean_html(page(art + extra)).split("\n\n")
    # title over subtitle stays; the newsletter box heading and the trailing heading go
    assert out == ["Budget approved", "The vote", P1, P2]
    rules = {b.text: b.decision.rule for b in extract_blocks(page(art + extra)).blocks}
    assert rules["The morning briefing"] == rules["Around the town"] == "html.orphan-heading"


def test_the_page_title_stays_when_all_under_it_was_dropped():
    # a post whose text the template puts in a box the rules drop: the title still names the page
    html = "<html><body><h1>Budget approved</h1><nav><a href='/'>Home</a> <a href='/n'>News</a></nav></body></html>"
    rules = {b.text: b.decision for b in extract_blocks(html).blocks}
    assert rules["Budget approved"].keep


FORUM_POSTS = [
    "I am planning a new build for video editing and would like advice on the processor and the graphics "
    "card, since my budget is limited and I would rather spend it where it matters most.",
    "For editing, memory and a fast disk matter more than people think; I would take the cheaper processor "
    "and put the difference into more memory and a second drive for the cache files.",
    "Agreed with the reply above. The software uses the graphics card for effects, so a mid-range card is "
    "fine unless you work with very high resolution footage every day.",
]


def test_a_forum_topic_keeps_its_posts_but_not_the_reply_form():
    """On a discussion page the thread is the content, not reader comments under an article."""
    posts = "".join(f"<div class='comment'><h3 class='comment-author'>user{i}</h3><p>{p}</p>"
                    f"<a href='#'>Link to comment</a></div>" for i, p in enumerate(FORUM_POSTS))
    html = (f"<html><body><nav><a href='/'>Forums</a> <a href='/new'>New posts</a></nav>"
            f"<h1>Advice on a video editing build</h1><div class='comments-list'>{posts}</div>"
            "<form class='reply'><p>Your email address will not be published.</p><textarea></textarea></form>"
            "</body></html>")
    out = dechaff.clean_html(html)
    for p in FORUM_POSTS:
        assert p in out
    assert "Advice on a video editing build" in out
    assert "will not be published" not in out and "New posts" not in out


P4 = ("Opposition members voted against the plan, saying that the council had not consulted the schools, "
      "and asked for an independent review of the library costs before any contract is signed next year.")


def test_an_article_with_a_longer_comment_thread_still_loses_the_thread():
    """A short article (four paragraphs, some 110 words) under which readers wrote more than it holds."""
    comments = "".join(f"<div class='comment-body'><p>{p}</p></div>" for p in FORUM_POSTS * 2)
    html = page(f"<h1>Budget approved</h1><p>{P1}</p><p>{P2}</p><p>{P3}</p><p>{P4}</p>",
                f"<section class='comments-area'>{comments}</section>")
    out = dechaff.clean_html(html)
    assert P1 in out and P4 in out
    assert FORUM_POSTS[0] not in out


def test_a_forum_topic_whose_opening_question_sits_outside_the_thread_keeps_its_replies():
    """Forum software often renders the opening post apart from the replies: a question of some
    eighty words over a thread three times as long is a topic, not an article with comments."""
    question = f"{P1} {P2} {P3}"
    replies = "".join(f"<div class='comment-body'><p>{p}</p></div>" for p in FORUM_POSTS * 3)
    html = page(f"<h1>Is the budget any good?</h1><p>{question}</p>",
                f"<section class='comments-area'>{replies}</section>")
    out = dechaff.clean_html(html)
    assert question in out and FORUM_POSTS[0] in out and FORUM_POSTS[2] in out


def test_content_after_a_premature_closing_html_tag_is_read():
    """Some templates close the document before the article; libxml2 would drop what follows."""
    html = ("<html><head><title>t</title></head><body><nav><a href='/'>Home</a></nav></body></html>"
            f"<div class='post'><h1>Budget approved</h1><p>{P1}</p><p>{P2}</p></div>")
    out = dechaff.clean_html(html)
    assert P1 in out and P2 in out and "Home" not in out


BIO = ("Jane Smith has covered local government for the Town Times since 2015, and before that reported "
       "on education and housing for several regional newspapers across the north of the country.")
PITCH = ("Our premium plan gives you unlimited access to every story, the morning briefing, and exclusive "
         "events with our reporters, for less than the price of a coffee each week.")


def test_prose_below_the_article_outside_its_container_is_chrome():
    """An author bio or a product pitch under the article, in a box of its own, is not the story."""
    # a story several times longer than the boxes under it (a container holding clearly more prose
    # than the article's own element is taken as a split article, and the boxes would be inside it)
    story = [p.replace("the ", f"the {w} ", 1) for w in ("new", "old", "first", "last") for p in (P1, P2, P3)]
    art = "<h1>Budget approved</h1>" + "".join(f"<p>{p}</p>" for p in story)
    extra = f"<div class='profile'><p>{BIO}</p></div><div class='plans'><p>{PITCH}</p></div>"
    page_ = extract_blocks(page(art, extra))
    out = page_.main_text()
    assert all(p in out for p in story)
    assert BIO not in out and PITCH not in out
    assert {b.decision.rule for b in page_.blocks if b.text in (BIO, PITCH)} == {"html.after-main"}


def test_the_next_section_of_the_same_kind_below_the_main_one_is_kept():
    """A thread whose replies share the first post's markup: the replies below it are content too."""
    first = "".join(f"<p>{p.replace('the ', f'the {w} ', 1)}</p>" for w in ("new", "old", "first", "last")
                    for p in (P1, P2, P3))
    replies = "".join(f"<li><div class='message'><p>{p}</p></div></li>" for p in FORUM_POSTS)
    html = (f"<html><body><nav><a href='/'>Forums</a></nav><h1>Budget thread</h1>"
            f"<div class='message'>{first}</div><ul class='posts'>{replies}</ul>"
            f"<div class='profile'><p>{BIO}</p></div></body></html>")
    page_ = extract_blocks(html)
    out = page_.main_text()
    for p in FORUM_POSTS:
        assert p in out
    assert BIO not in out


CONSENT = ("We and our partners store and access information on your device, such as cookies, and process "
           "personal data such as unique identifiers for personalised advertising, audience measurement and "
           "the development of our services; you may change your choices at any time from the settings page.")


def test_a_consent_dialog_full_of_legal_prose_is_chrome():
    """A cookie dialog can hold more prose than a short page: its label still holds."""
    dialog = (f"<div id='onetrust-consent-sdk'><h2>About your privacy</h2><p>{CONSENT}</p>"
              f"<p>{CONSENT.replace('device', 'phone')}</p><h4>Targeting cookies</h4><div>Off</div></div>")
    html = (f"<html><body><h1>Tomato recipes</h1><ul><li>Quick tomato sauce with basil</li>"
            f"<li>Slow-roasted tomato soup</li></ul><p>{P1}</p>{dialog}</body></html>")
    out = dechaff.clean_html(html)
    assert P1 in out and "Tomato recipes" in out
    assert "partners" not in out and "Targeting cookies" not in out


def test_a_wrapper_named_after_the_cookie_state_that_holds_the_article_is_kept():
    html = (f"<html><body><div class='page cookie-consent-given'><h1>Budget approved</h1>"
            f"<p>{P1}</p><p>{P2}</p><p>{P3}</p></div></body></html>")
    out = dechaff.clean_html(html)
    assert P1 in out and P2 in out and P3 in out


def test_a_block_the_page_already_showed_is_dropped_but_short_repeated_cells_stay():
    """Responsive templates render a section twice; tables repeat short cells legitimately."""
    table = ("<table><tr><th>Item</th><th>Funded</th></tr><tr><td>Schools</td><td>Yes</td></tr>"
             "<tr><td>Roads</td><td>Yes</td></tr><tr><td>Library</td><td>Yes</td></tr></table>")
    art = (f"<h1>Budget approved</h1><div class='d-none d-md-block'><h3>Key numbers at a glance</h3>"
           f"<p>{P1}</p></div><div class='d-md-none'><h3>Key numbers at a glance</h3><p>{P1}</p></div>"
           f"<p>{P2}</p>{table}<p>{P3}</p>")
    page_ = extract_blocks(page(art))
    out = page_.main_text()
    assert out.count(P1) == 1 and out.count("Key numbers at a glance") == 1
    assert P2 in out and P3 in out
    assert out.count("Yes") == 3
    assert [b.decision.rule for b in page_.blocks if b.text == P1] == ["", "html.repeated"]


def test_forum_user_titles_are_chrome_and_the_posts_stay():
    posts = "".join(f"<article class='message'><div class='message-user'><h4>user{i}</h4>"
                    f"<h5 class='userTitle message-userTitle'>Well-known member</h5></div>"
                    f"<div class='message-body'><p>{p}</p></div></article>" for i, p in enumerate(FORUM_POSTS))
    html = f"<html><body><h1>Advice on a video editing build</h1>{posts}</body></html>"
    out = dechaff.clean_html(html)
    assert all(p in out for p in FORUM_POSTS)
    assert "Well-known member" not in out


def _long_story(extra: str) -> str:
    story = "".join(f"<p>{p.replace('the ', f'the {w} ', 1)}</p>" for w in ("new", "old", "first", "last")
                    for p in (P1, P2, P3))
    return page(f"<h1>Budget approved</h1>{story}{extra}")


def test_css_utility_classes_that_hide_nothing_do_not_make_chrome():
    """``overflow-hidden`` clips a box; ``hidden md:block`` shows on all but the smallest screens."""
    faq = ("When will the library reopen? The council expects the work to finish in the autumn, and the "
           "reading rooms will open first, followed by the archive and the children's floor.")
    out = dechaff.clean_html(_long_story(f"<div class='faq rounded overflow-hidden'><p>{faq}</p></div>"))
    assert faq in out
    out = dechaff.clean_html(_long_story(f"<div class='hidden md:block'><p>{faq}</p></div>"))
    assert faq in out
    out = dechaff.clean_html(_long_story(f"<div class='hidden'><p>{faq}</p></div>"))
    assert faq not in out


def test_search_results_are_content_and_the_search_box_is_not():
    hits = ["The council approved the new budget on Tuesday night.", "Residents were divided over the library plan.",
            "Work on the first projects will begin in the spring.", "The mayor promised monthly spending reports.",
            "Road repairs take the largest share of the money.", "School funding rises for the third year."]
    results = "".join(f"<li><a href='/r{i}'>Story {i}</a><p>{h}</p></li>" for i, h in enumerate(hits))
    html = (f"<html><body><div class='site-search'><input name='q'><span>Search this site</span></div>"
            f"<h1>Results for budget</h1><ul class='search-results'>{results}</ul></body></html>")
    out = dechaff.clean_html(html)
    assert all(h in out for h in hits)
    assert "Search this site" not in out


def test_an_author_box_inside_the_article_after_its_text_goes():
    bio = ("Jane Smith is a freelance writer and editor who has covered local government and housing for "
           "regional papers since 2015.")
    body = f"<p>{P1} {P2}</p><p>{P2} {P3}</p><p>{P3} {P1}</p>"  # paragraphs of 40+ words
    page_ = extract_blocks(page(f"<h1>Budget approved</h1>{body}<div class='byline-box'><p>{bio}</p></div>"))
    assert [b.decision.rule for b in page_.blocks if b.text == bio] == ["html.author-bio"]
    assert f"{P3} {P1}" in page_.main_text()
    opening = extract_blocks(page(f"<h1>A writer's year</h1><p>{bio}</p>{body}"))
    assert bio in opening.main_text()


def test_the_boxes_under_about_the_author_and_about_the_reviewer_headings_go():
    """Health and finance sites end articles with a box per author and reviewer, followed by more
    article-like text (a disclaimer), so the bio is not after the last paragraph: the heading says it."""
    bio = ("Jane Smith is the executive editor of the Town Times. She also writes for the Weekly Review, "
           "and has covered local government since 2015.")
    rev = "Dr. Ann Lee is a physician practising in Boston, and a member of our editorial advisory board."
    boxes = (f"<h2>About the Author</h2><p>Jane Smith, Executive Editor</p><div>{bio}</div>"
             f"<h2>About the Reviewer</h2><p>Ann Lee, MD</p><div>{rev}</div><h2>What happens next</h2><p>{P3}</p>")
    out = dechaff.clean_html(page(f"<h1>Budget approved</h1><p>{P1}</p><p>{P2}</p>{boxes}"))
    for s in (bio, rev, "Jane Smith, Executive Editor", "Ann Lee, MD", "About the Reviewer"):
        assert s not in out, s
    assert P2 in out and "What happens next" in out and P3 in out


def test_a_block_of_lines_that_are_all_chrome_goes_but_a_label_over_a_value_stays():
    art = f"<h1>Budget approved</h1><p>{P1}</p><p>{P2}</p>"
    # inline elements on lines of their own in the source: one block of several lines
    buttons = "<div class='actions'><span>Select a size</span>\n<a>Add to cart</a>\n-\n<a>Notify me</a></div>"
    label = "<div class='spec'><span>Add to cart</span>\n<span>The council's new budget plan, in full</span></div>"
    page_ = extract_blocks(page(art + buttons + label + f"<p>{P3}</p>"))
    texts = {b.text.replace("\n", " / "): b.decision for b in page_.blocks}
    assert not texts["Select a size / Add to cart / - / Notify me"].keep
    assert texts["Add to cart / The council's new budget plan, in full"].keep


def test_headline_links_are_the_items_of_a_listing_but_teasers_on_an_article():
    """Inside the chosen container, a link of 4-9 words is dropped on an article page (a teaser) and
    kept on a page with no dominant container (a headline or product name of a listing)."""
    from dechaff.html.blocks import finish_blocks as _finish
    from dechaff.html.page import Block

    head = "Council approves the new town budget"

    def blocks() -> list[Block]:
        return [Block(text=head, tag="div", link_chars=len(head)), Block(text=P1, tag="p")]

    article, listing = blocks(), blocks()
    _finish(article, None, dominant=True)
    _finish(listing, None, dominant=False)
    assert article[0].decision.rule == "html.link-density" and listing[0].decision.keep
    menu = [Block(text="Sport", tag="div", link_chars=5), Block(text=P1, tag="p")]
    _finish(menu, None, dominant=False)
    assert menu[0].decision.rule == "html.link-density"


def test_linked_table_cells_and_list_items_of_an_article_are_kept_but_a_lone_menu_link_goes():
    """A link of a few words is a menu item, except in a table cell (a name in a table of results) or,
    on an article page, a list item (a list of sources or tools the text cites)."""
    from dechaff.html.blocks import finish_blocks as _finish
    from dechaff.html.page import Block

    def run(tag: str) -> Block:
        blocks = [Block(text="Ada Lovelace", tag=tag, link_chars=12), Block(text=P1, tag="p")]
        _finish(blocks, None, dominant=True)
        return blocks[0]

    assert run("td").decision.keep and run("th").decision.keep and run("li").decision.keep
    assert run("div").decision.rule == "html.link-density"
    listing = [Block(text="Ada Lovelace", tag="li", link_chars=12), Block(text=P1, tag="p")]
    _finish(listing, None, dominant=False)
    assert listing[0].decision.rule == "html.link-density"  # no article: a list of short links is a menu


_NAMES = ["river", "harbour", "castle", "market", "garden", "station", "bridge", "library", "theatre", "museum",
          "stadium", "airport", "school", "chapel", "tower", "square", "quarter", "mill", "forest", "valley",
          "island", "canal", "palace", "abbey", "orchard", "meadow", "pier", "lighthouse", "tunnel", "college"]


def _listing(extra: str = "") -> str:
    """A listing whose thirty items sit in a grid named "promo": the structure rules drop them all as
    chrome, a template misread."""
    intro = ("Our guide to the region, with walks, rides, tours, day trips, markets, festivals, museums, "
             "galleries, gardens, beaches, castles, abbeys, harbours, islands and lakes, is updated weekly. ")
    cards = "".join(f'<div class="tile"><div class="t"><a href="/{n}">The {n} walk</a></div>'
                    f'<div class="s">A gentle {part} route past the old {n} and back along the water</div></div>'
                    for part in ("morning", "afternoon", "evening") for n in _NAMES)
    return f"""<html><body><nav><a href="/">Home</a> <a href="/a">About</a></nav>
<div class="intro"><h1>Walks</h1><p>{intro * 3}</p></div><div class="promo-grid">{cards}</div>{extra}
<div class="cookie-consent"><p>{P2} We and our partners store cookies on your device to measure.</p></div>
<footer><a href="/privacy">Privacy</a> <a href="/terms">Terms</a></footer></body></html>"""


def test_a_page_whose_structure_drops_nearly_all_its_text_is_read_as_text():
    page = extract_blocks(_listing())
    kept = [b.text for b in page.blocks if b.decision.keep]
    for n in _NAMES:
        assert f"A gentle evening route past the old {n} and back along the water" in kept
    assert not any("cookies" in t for t in kept) and "Home" not in kept and "Privacy" not in kept
    back = [b for b in page.blocks if b.decision.rule == "html.text-reading"]
    assert back and all("was html.class" in b.decision.evidence for b in back)


def test_reader_comments_stay_out_when_a_page_is_read_as_text():
    thread = "".join(f'<div class="comment"><p>{p}</p></div>' for p in (P1, P2, P3))
    page = extract_blocks(_listing(f'<div class="comments">{thread}</div>'))
    assert any(b.decision.rule == "html.text-reading" for b in page.blocks)
    kept = {b.text for b in page.blocks if b.decision.keep}
    assert not {P1, P2, P3} & kept


def _footer_only(indent: str = "\n" + " " * 24) -> str:
    """A shop page whose product a script fills in: all it serves is its footer, link lists joined by
    commas in indented definition lists (the template leaves blank lines before the first link)."""
    def links(*names: str) -> str:
        lead = ("\n" + " " * 20) * 5 + indent if indent else ""
        return lead + ",".join(f'{indent}<a href="/{n.lower().replace(" ", "-")}">{n}</a>' for n in names) + indent
    cols = [("Help", links("Help Center", "Disputes & Reports", "Return and refund policy", "Report infringement",
                           "Integrity Compliance", "Transparency Center", "Recalls", "Return Policy")),
            ("Sites in other languages", links("Russian", "Portuguese", "Spanish", "French", "German", "Italian",
                                               "Dutch", "Turkish", "Japanese", "Korean", "Polish")),
            ("Browse by category", links("All Popular", "Product", "Promotion", "Low Price", "Great Value",
                                         "Reviews", "Blog", "Video"))]
    dl = "".join(f"<dl><dt><h5>{h}</h5></dt><dd>{ls}</dd></dl>" for h, ls in cols)
    return f'<html><body><div id="root"></div><footer><div class="site-links">{dl}</div></footer></body></html>'


def test_a_page_of_only_its_footer_keeps_none_of_its_link_lists():
    """Neither the "wrapper that holds the page's prose" exemption (the indentation around the links is not
    prose) nor the text reading (the comma-separated links read as a sentence) brings a footer's links back."""
    page = extract_blocks(_footer_only())
    assert not [b.text for b in page.blocks if b.decision.keep and "," in b.text]
    assert {b.decision.rule for b in page.blocks if "," in b.text} == {"html.footer"}
    assert "Help Center" not in dechaff.clean_html(_footer_only(indent=""))


def test_a_footer_wrapping_the_articles_prose_is_still_content():
    html = f"<html><body><footer><p>{P1}</p><p>{P2}</p><p>{P3}</p></footer></body></html>"
    out = dechaff.clean_html(html)
    assert P1 in out and P3 in out


def test_extraction_from_several_threads_at_once_matches_one_thread():
    # shard tasks run in a thread pool: each thread parses with a parser of its own
    from concurrent.futures import ThreadPoolExecutor

    pages = [page(f"<h1>Story {i}</h1><p>{P1}</p><p>{P2 * (i % 3 + 1)}</p>") for i in range(40)] + [_listing()] * 4
    alone = [dechaff.clean_html(h) for h in pages]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(dechaff.clean_html, pages)) == alone


def _shop_category(items: int, rows: int = 1) -> str:
    def deep(cls: str, inner: str) -> str:  # templates nest each section a few levels deep
        return f'<section class="{cls}"><div><div><div>{inner}</div></div></div></section>'

    def card(i: int) -> str:
        return (f'<div class="card"><div class="name"><a href="/p{i}">Oak desk organiser no. {i}</a></div>'
                f'<p class="price">$ {20 + i}.00</p></div>')

    per = items // rows
    cards = "".join(card(i) for i in range(items))
    if rows > 1:  # the same cards, laid out in rows of their own
        cards = "".join('<div class="row">' + "".join(card(i) for i in range(r * per, (r + 1) * per)) + "</div>"
                        for r in range(rows))
    menu = "".join(f'<div class="m"><a href="/c{i}">Category {i}</a><p>All items</p></div>' for i in range(6))
    intro = deep("intro", "<h1>Desk accessories</h1><p>Choose from hundreds of accessories designed to complement "
                          "your workspace, made from solid oak, bamboo and recycled steel, and shipped, assembled, "
                          "from our own workshop.</p>")
    sale = deep("sale", "<p>Buy more, save more when you outfit your full office, with one coupon at checkout, on "
                        "desks, chairs, lamps and shelves, while supplies last, until the end of the month.</p>")
    delivery = deep("delivery", "<p>Every order ships free within two days, arrives fully assembled, and can be "
                                "returned, for any reason, within thirty days, with the label in the box.</p>")
    return f"""<html><body><div class="top">{menu}</div>{intro}
<div class="grid">{cards}</div>{sale}{delivery}
<footer><a href="/privacy">Privacy</a></footer></body></html>"""


def test_the_grid_of_items_of_a_page_without_an_article_is_its_content():
    """A shop category: no container holds most of the text (an introduction, a sale banner, delivery
    terms), and the products sit outside the one chosen as linked names and prices. They are the grid of items and stay; the menu above the title does not."""
    out = dechaff.clean_html(_shop_category(12))
    assert "Desk accessories" in out
    assert "Oak desk organiser no. 3" in out and "$ 23.00" in out and "Oak desk organiser no. 11" in out
    assert "Category 2" not in out
    page_ = extract_blocks(_shop_category(12))
    assert any(b.decision.rule == "html.grid-item" for b in page_.blocks)
    rows = dechaff.clean_html(_shop_category(12, rows=2))
    assert "Oak desk organiser no. 0" in rows and "Oak desk organiser no. 11" in rows
    few = dechaff.clean_html(_shop_category(2))  # two cards are not a grid
    assert "Oak desk organiser no. 1" not in few


def test_chrome_inside_a_paragraph_is_cut_out_of_it():
    """Inline elements that are chrome (a screen-reader label, a hidden span, a button, a share link)
    lose their text; the paragraph around them stays. An aria-hidden span is still seen, and stays."""
    art = (f"<h1>Budget approved</h1><p>{P1}</p>"
           "<p>The new plan costs <span class='visually-hidden'>Regular price</span> 4 million "
           "<span style='display:none'>Loading price</span>this year <button>Add to cart</button>"
           "<a class='share-link' href='#'>Share on Facebook</a> and less next year, "
           "<span aria-hidden='true'>said</span> the mayor.</p>"
           f"<p>{P2}</p>")
    out = dechaff.clean_html(page(art))
    assert "The new plan costs 4 million this year and less next year, said the mayor." in out
    for s in ("Regular price", "Loading price", "Add to cart", "Share on Facebook"):
        assert s not in out, s
    cut = {t: d.rule for t, d in extract_blocks(page(art)).all_blocks() if not d.keep}
    assert cut["Regular price"] == "html.class" and cut["Loading price"] == "html.hidden"
    assert cut["Add to cart"] == "html.button" and cut["Share on Facebook"] == "html.class"


def test_customer_reviews_under_a_product_are_reader_comments_but_an_editorial_review_is_content():
    desc = ("This oak desk organiser holds pens, cards and a phone, and its three drawers slide on felt, so "
            "nothing scratches the desk. Each one is cut, sanded and oiled by hand in our own workshop.")
    review = "Great organiser, sturdy and good looking, the drawers are a bit small for my notebooks though."
    reviews = "".join(f"<div class='review'><p>{review} ({i} of 5)</p></div>" for i in range(3))
    html = page(f"<h1>Oak desk organiser</h1><p>{desc}</p>", f"<div class='customer-reviews'>{reviews}</div>")
    out = dechaff.clean_html(html)
    assert desc in out and review not in out
    kept = extract_blocks(html, keep_comments=True).main_text()
    assert review in kept
    card = page(f"<h1>The best desk organisers</h1><p>{P1}</p><div class='product-review-card'><p>{desc}</p></div>")
    assert desc in dechaff.clean_html(card)  # a review site's own verdict on a product is its article


def test_class_and_id_words_are_matched_whatever_their_case():
    """The class/id patterns are matched on lower-cased names (see NEG_RE): capitalised template names
    label as their lower-case forms do, and their evidence keeps the name as written."""
    menu = "<div class='SiteMenu NavBar'><a href='/a'>Politics today</a> <a href='/b'>Sport results here</a></div>"
    thread = f"<div id='Comments'><p>{P2.replace('divided', 'split')}</p></div>"
    pg = extract_blocks(_long_story(menu + thread))
    by_text = {b.text: b.decision for b in pg.blocks}
    assert by_text["Politics today Sport results here"].rule == "html.class"
    assert "NavBar" in by_text["Politics today Sport results here"].evidence
    assert by_text[P2.replace("divided", "split")].rule == "html.comments"
    out = dechaff.clean_html(_long_story("<div class='Entry-Content Comment-Tools'><p>An editor's note.</p></div>"))
    assert "An editor's note." in out  # a content word beside the comment word keeps it


# --- where an article ends (issue #21) -------------------------------------------------------------------

def _teaser(title: str, standfirst: str, date: str) -> str:
    # a teaser card without a class name that says so: headline link, standfirst link, date
    return (f"<div><h3><a href='/news/{abs(hash(title))}'>{title}</a></h3>"
            f"<p><a href='/news/{abs(hash(title))}'>{standfirst}</a></p><span>{date}</span></div>")


TEASERS = [("Bridge repairs will close the river road for a month",
            "Drivers should expect delays on the eastern side of town while the work is done.", "3 May 2024"),
           ("School choir wins the regional competition again",
            "Forty pupils travelled to the city for the final and came home with the trophy.", "2 May 2024"),
           ("New bakery opens in the old post office building",
            "The owners say they hope to bring life back to the high street after years of closures.", "1 May 2024")]


def test_an_article_followed_by_a_grid_of_teasers_stops_at_its_last_paragraph():
    grid = "<div>" + "".join(_teaser(*t) for t in TEASERS) + "</div>"
    page_html = page(f"<h1>Budget approved</h1><p>{P1}</p><p>{P2}</p><p>{P3}</p>" + grid)
    out = dechaff.clean_html(page_html)
    assert out.split("\n\n") == ["Budget approved", P1, P2, P3]
    rules = {b.decision.rule for b in extract_blocks(page_html).blocks if TEASERS[0][0] in b.text}
    assert rules == {"html.teasers"}


def test_an_article_whose_last_paragraphs_are_short_keeps_them():
    short = ["He did not say when.", "The vote is on Friday.", "— Reporting by Jane Doe"]
    grid = "".join(_teaser(*t) for t in TEASERS)
    out = dechaff.clean_html(page(f"<p>{P1}</p><p>{P2}</p>" + "".join(f"<p>{s}</p>" for s in short) + grid))
    for s in (P1, P2, *short):
        assert s in out
    assert TEASERS[1][0] not in out


def test_an_article_with_a_list_of_linked_sources_keeps_the_list():
    sources = ["<li><a href='https://example.org/report.pdf'>Town budget report 2024</a></li>",
               "<li><a href='https://example.org/minutes'>Minutes of the council meeting of 12 March</a></li>",
               "<li><a href='https://example.org/library'>The library plan and its costs</a></li>"]
    out = dechaff.clean_html(page(f"<p>{P1}</p><p>{P2}</p><h2>Sources</h2><ul>{''.join(sources)}</ul>"))
    for s in ("Sources", "Town budget report 2024", "Minutes of the council meeting of 12 March",
              "The library plan and its costs"):
        assert s in out


def test_a_liveblog_keeps_its_linked_entry_headings_and_entries():
    entries = []
    for hh, text in (("14:05", P1), ("13:40", P2), ("13:02", P3)):
        entries.append(f"<div class='entry'><h3><a href='#post-{hh}'>{hh} Council debate continues into the evening"
                       f"</a></h3><p>{text}</p></div>")
    out = dechaff.clean_html(page("<h1>Live: the budget vote</h1>" + "".join(entries)))
    for hh, text in (("14:05", P1), ("13:40", P2), ("13:02", P3)):
        assert f"{hh} Council debate continues into the evening" in out and text in out


def test_a_question_and_answer_page_keeps_question_and_answers():
    q = ("How do I renew a parking permit for a second car when the first permit is still valid for another "
         "three months and I have moved house?")
    answers = [("You can renew it online: the council's form asks for both registration numbers and your new "
                "address, and the permit is posted within ten days."),
               ("I did this last year. Call the permit office first, because the online form did not accept my "
                "new address until they updated the register.")]
    body = (f"<div class='question'><h1>Renewing a parking permit</h1><p>{q}</p></div>"
            + "".join(f"<div class='answer'><p>{a}</p><span>answered 2 days ago</span></div>" for a in answers))
    out = dechaff.clean_html(page(body))
    for s in (q, *answers):
        assert s in out


def _foreign_page(lang: str, title: str, paras: list[str], related: str, teasers: list[str], share: str) -> str:
    items = "".join(f"<li><a href='/{i}'>{t}</a></li>" for i, t in enumerate(teasers))
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (f"<html lang='{lang}'><head><title>{title}</title></head><body><main><article><h1>{title}</h1>{body}"
            f"<div>{share}</div><h2>{related}</h2><ul>{items}</ul></article></main></body></html>")


FOREIGN = [
    ("de", "Stadtrat beschließt den Haushalt",
     ["Der Stadtrat hat am Dienstag nach einer langen Debatte über Schulen, Straßen und die Bibliothek den neuen "
      "Haushalt beschlossen.",
      "Die Bürgerinnen und Bürger, die bei der Sitzung sprachen, waren gespalten, und einige warnten vor den "
      "Kosten des Bibliotheksplans."],
     "Mehr zum Thema", ["Brücke wird im Sommer saniert", "Chor gewinnt den Landeswettbewerb"],
     "Möchten Sie den Artikel teilen?"),
    ("fr", "Le conseil adopte le budget",
     ["Le conseil municipal a adopté mardi le nouveau budget après un long débat sur les écoles, les routes et "
      "l'avenir de la bibliothèque.",
      "Les habitants présents à la séance étaient partagés, certains saluant l'effort pour les écoles et d'autres "
      "craignant le coût du projet."],
     "À lire aussi", ["Le pont sera rénové cet été", "La chorale remporte le concours régional"],
     "Partager sur Facebook"),
    ("es", "El concejo aprueba el presupuesto",
     ["El concejo municipal aprobó el martes el nuevo presupuesto tras un largo debate sobre las escuelas, las "
      "carreteras y la biblioteca.",
      "Los vecinos que hablaron en la sesión estaban divididos, y algunos advirtieron que el plan de la biblioteca "
      "costaría más de lo prometido."],
     "Noticias relacionadas", ["El puente será reparado este verano", "El coro gana el concurso regional"],
     "Compartir en Twitter"),
]


@pytest.mark.parametrize("lang,title,paras,related,teasers,share", FOREIGN, ids=[f[0] for f in FOREIGN])
def test_non_english_articles_drop_their_related_lists_and_share_prompts(lang, title, paras, related, teasers, share):
    out = dechaff.clean_html(_foreign_page(lang, title, paras, related, teasers, share))
    assert out.split("\n\n") == [title, *paras]


def test_a_read_also_box_inside_the_text_takes_only_its_links_along():
    box = ("<p>Lee también...</p><div><a href='/x'>El puente será reparado este verano</a></div>")
    mid = "Según el alcalde, las obras comenzarán en primavera y se publicarán informes mensuales."
    html = _foreign_page("es", "El concejo aprueba el presupuesto",
                         [FOREIGN[2][2][0]], "Noticias relacionadas", ["El coro gana el concurso regional"], "")
    html = html.replace("</p><div></div>", f"</p>{box}<p>{mid}</p><div></div>")
    out = dechaff.clean_html(html)
    assert mid in out and FOREIGN[2][2][0] in out
    assert "El puente será reparado" not in out and "Lee también" not in out


def test_the_sites_pitch_after_the_article_goes_and_reporting_about_subscriptions_stays():
    pitch_en = "Enjoyed this story? Subscribe to our newsletter and follow us on Twitter for more."
    pitch_de = "Gefällt dir unser Magazin? Dann unterstütze uns und abonniere unseren Newsletter!"
    news = "Subscriptions to the paper rose by a fifth last year, the publisher said on Monday in a statement."
    page_html = page(f"<p>{P1}</p><p>{P2}</p><p>{news}</p><p>{pitch_en}</p><p>{pitch_de}</p>")
    out = dechaff.clean_html(page_html)
    assert out.split("\n\n") == [P1, P2, news]
    rules = {b.decision.rule for b in extract_blocks(page_html).blocks if b.text in (pitch_en, pitch_de)}
    assert rules == {"html.pitch"}
    # the same words inside the article, before its last paragraph, are the article's
    out = dechaff.clean_html(page(f"<p>{P1}</p><p>{pitch_en}</p><p>{P2}</p>"))
    assert pitch_en in out


def test_skip_links_go_but_a_section_class_that_starts_with_skip_is_content():
    body = (f"<a class='skip-link' href='#main'>Skip to content</a><div class='skip-item topic3'><h2>What happens next"
            f"</h2><p>{P2}</p></div>")
    p4 = ("Opposition councillors said they would table amendments at the next meeting, arguing that the "
          "library plan should be put to residents in a consultation before any money is spent on it.")
    # the section holds well under a third of the page's prose: no exemption for a wrapper of the text
    out = dechaff.clean_html(page(f"<h1>Budget approved</h1><p>{P1}</p>{body}<p>{P3}</p><p>{p4}</p>"))
    assert P2 in out and "What happens next" in out
    assert "Skip to content" not in out


def test_what_follows_the_element_the_page_names_as_its_body_is_not_the_article():
    after = ("Our newsroom has covered the town council for more than forty years, and our reporters attend "
             "every meeting so that you do not have to.")
    box = "<div class='box'><h3>Topics</h3><p>Council, Budget, Library, Schools</p></div>"
    html = page(f"<h1>Budget approved</h1><div class='entry-content'><p>{P1}</p><p>{P2}</p><p>{P3}</p></div>"
                f"<p>{after}</p>{box}")
    blocks = extract_blocks(html).blocks
    out = dechaff.clean_html(html)
    assert out.split("\n\n") == ["Budget approved", P1, P2, P3]
    assert {b.decision.rule for b in blocks if b.text == after} == {"html.after-body"}
    # a page whose named body holds little of its prose (a lead box) keeps the prose after it
    html = page(f"<h1>Budget approved</h1><div class='entry-content'><p>{P1[:60]}.</p></div>"
                f"<p>{P2}</p><p>{P3}</p><p>{after}</p>")
    out = dechaff.clean_html(html)
    assert P2 in out and P3 in out and after in out


def test_a_byline_block_of_a_name_and_date_lines_goes_and_a_block_of_names_stays():
    # one block of several lines (the markup's own line breaks): a name beside chrome lines is a byline
    meta = "<div>Jane Doe\nStand:\n05. Februar 2020</div>"
    cast = "<div>Ann Smith\nJohn Smith\nMary Major</div>"
    out = dechaff.clean_html(page(f"<h1>Budget approved</h1>{meta}<p>{P1}</p><p>{P2}</p>{cast}<p>{P3}</p>"))
    assert "Jane Doe" not in out and "Stand:" not in out and "Februar 2020" not in out
    assert "Ann Smith\nJohn Smith\nMary Major" in out and P3 in out


def test_a_users_pattern_file_reaches_the_block_rules(tmp_path):
    """A related-stories heading of the user's own pattern file heads a section for the block rules as it
    does for the line rules: the short items under it go with it, in the shard step too."""
    from dechaff.chrome import as_pattern_set, load_patterns
    from dechaff.config import Config
    from dechaff.pipeline.shard import Cleaner
    from dechaff.readers import RawInput, read_input

    mine = tmp_path / "mine.txt"
    mine.write_text("nav.related   ^legu anka(ŭ|u)\\W*$\n", encoding="utf-8")
    items = "".join(f"<p>Mallonga titolo numero {n}</p>" for n in ("unu", "du", "tri"))
    html = page(f"<h1>Budget approved</h1><p>{P1}</p><p>{P2}</p><p>{P3}</p><h2>Legu ankaŭ</h2>{items}")
    by_rule = {b.text: b.decision for b in extract_blocks(html, patterns=as_pattern_set(load_patterns([mine]))).blocks}
    assert by_rule[P3].keep and by_rule["Legu ankaŭ"].rule == "pattern.nav.related"
    assert {by_rule[f"Mallonga titolo numero {n}"].rule for n in ("unu", "du", "tri")} == {"html.related-section"}
    builtin = {b.text: b.decision for b in extract_blocks(html).blocks}
    assert builtin["Legu ankaŭ"].keep and builtin["Mallonga titolo numero unu"].keep

    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.html").write_text(html, encoding="utf-8")
    (doc,) = read_input(RawInput(tmp_path / "raw" / "a.html", "a.html")).documents
    assert Cleaner(Config(chrome_patterns=(str(mine),))).clean(doc) is None
    rules = {p.raw_text: p.decision.rule for p in doc.paragraphs}
    assert rules["Mallonga titolo numero du"] == "html.related-section"


def test_a_marquee_that_repeats_one_phrase_is_chrome_inside_the_article_too():
    ticker = " ".join(["Book your table now \u2605"] * 40)  # (long enough to pass for prose by length)
    html = page(f"<h1>Budget approved</h1><p>{P1}</p><div class='strip'><span>{ticker}</span></div>"
                f"<p>{P2}</p><p>{P3}</p>")
    pg = extract_blocks(html)
    assert pg.main_text().split("\n\n") == ["Budget approved", P1, P2, P3]
    dropped = [d for t, d in pg.all_blocks() if "Book your table" in t]
    assert dropped and all(d.rule == "feature.ticker" and "40 times" in d.evidence for d in dropped)


def test_a_data_table_that_outscores_the_paragraphs_does_not_become_the_article():
    """A table's cells, many and full of commas, can outscore the article's few paragraphs: its rows
    are then the best container, and the article's list of linked reports lay outside it."""
    rows = "".join(f"<tr><td>Ward {i}</td><td>roads, schools, parks, libraries, lights</td><td>{i},200,000</td></tr>"
                   for i in range(1, 25))
    links = "".join(f"<li><a href='/r{i}'>Report {i}: spending on roads and schools in ward {i}</a></li>"
                    for i in range(1, 6))
    art = (f"<h1>Budget approved</h1><p>{P1}</p><p>Where the money goes:</p><table><tbody>{rows}</tbody></table>"
           f"<p>{P2}</p><p>The reports:</p><ul>{links}</ul>")
    out = extract_blocks(page(art)).main_text()
    assert P1 in out and P2 in out and "Ward 24" in out
    assert all(f"Report {i}: spending" in out for i in range(1, 6))
    assert "Story A" not in out and "All rights reserved" not in out


def test_list_items_styled_as_headings_are_a_list_not_orphan_headings():
    """A page builder that sets each list item in an <h3>: the items are the list's content, and a
    dropped link after them does not make them headings of nothing."""
    brands = [("Benetton", ["organic options", "linen options", "eco packaging"]),
              ("Cambridge Baby", ["linen sun hats", "organic cotton sun hats"]),
              ("Carve Designs", ["organic denim", "recycled swim fabric"])]
    art = f"<h1>Sustainable clothing brands</h1><p>{P1}</p>" + "".join(
        f"<h2>{name}</h2><p><a href='https://example.com/{name}'>{name.lower()}</a></p>"
        f"<ul>{''.join(f'<li><h3>{item}</h3></li>' for item in items)}</ul>" for name, items in brands)
    out = extract_blocks(page(art)).main_text().split("\n\n")
    assert all(item in out for _n, items in brands for item in items)
    # a real section heading over a box that all went still goes
    box = f"<h1>Budget approved</h1><p>{P1}</p><p>{P2}</p><h2>Newsletter</h2><form><p>Your e-mail</p></form>"
    assert "Newsletter" not in extract_blocks(page(box)).main_text()


def test_a_collapsed_panel_named_hidden_by_its_class_keeps_its_long_text():
    """An accordion whose closed panels carry a "...-hidden" class (not the hidden attribute) holds the
    page's answers; a short hidden label and a hidden menu still go."""
    answer = " ".join([P2, P3])
    faq = (f"<h2>Frequently asked questions</h2><div class='accordion'><button>How was the budget set?</button>"
           f"<div class='accordion-panel accordion-panel-hidden'><p>{answer}</p></div></div>"
           f"<span class='label-hidden'>Opens a dialog</span>"
           f"<div class='menu hidden'><p>{P3.replace('mayor', 'menu')}</p></div>")
    story = "".join(f"<p>{p.replace('the ', f'the {w} ', 1)}</p>" for w in ("new", "old", "first") for p in (P1, P2, P3))
    blocks = extract_blocks(page(f"<h1>Budget approved</h1>{story}{faq}")).blocks
    out = "\n\n".join(b.text for b in blocks if b.decision.keep)
    assert answer in out and "Opens a dialog" not in out
    assert {b.decision.rule for b in blocks if "menu said" in b.text} == {"html.class"}


def _streamed(scripts: bool) -> str:
    """A React page streamed by the server: the article's body arrives last, hidden, and a script
    puts it in the boundary that showed "Loading..."; a later paragraph fills a placeholder in it."""
    run = ("<script>$RC=function(b,c){};$RC(\"B:0\",\"S:0\")</script><script>$RS(\"S:1\",\"P:1\")</script>"
           if scripts else "")
    return (f"<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav><main><article>"
            f"<h1>Budget approved</h1><!--$?--><template id=\"B:0\"></template><div>Loading paragraph...</div>"
            f"<!--/$--></article></main><footer><p>© 2024 Town Times</p></footer>"
            f"<div hidden id=\"S:0\"><p>{P1}</p><div><template id=\"P:1\"></template></div><p>{P2}</p></div>"
            f"{run}<div hidden id=\"S:1\"><p>{P3}</p></div></body></html>")


@pytest.mark.parametrize("scripts", [True, False])
def test_a_react_page_streamed_in_hidden_segments_is_read_as_the_browser_shows_it(scripts):
    """(A saved copy of the page may have lost its scripts: a segment then goes where its number says.)"""
    assert dechaff.clean_html(_streamed(scripts)).split("\n\n") == ["Budget approved", P1, P3, P2]
    # hidden <div>s that are not segments are not moved, and the loading text stays
    assert "Loading paragraph..." in dechaff.clean_html(_streamed(scripts).replace('id="S:', 'id="X:'))


def test_a_streamed_segment_that_names_a_place_inside_itself_is_left_where_it_is():
    from dechaff.html.tree import parse

    html = (f"<html><body><h1>Budget approved</h1><p>{P1}</p><div hidden id=\"S:2\"><p>{P2}</p>"
            f"<template id=\"P:2\"></template></div><script>$RS(\"S:2\",\"P:2\")</script></body></html>")
    root = parse(html)
    assert [el.get("id") for el in root.iter("div")] == ["S:2"] and P2 in "".join(root.itertext())


def _shop(n: int) -> str:
    cards = "".join(f"<div class='card'><a href='/p{i}'><h3>Walnut standing desk, model {i}, 48 by 30 inches</h3></a>"
                    f"<span class='price'>${400 + i * 10}</span><a href='/p{i}'>Free shipping and a 15-year warranty</a>"
                    f"</div>" for i in range(n))
    return (f"<html><body><nav><a href='/'>Home</a> <a href='/desks'>Desks</a></nav>"
            f"<div class='intro'><h1>Standing desks</h1><p>Improve your health, comfort and productivity with a "
            f"standing desk, tested by our team, built to order and shipped the same day.</p></div>"
            f"<div class='grid'>{cards}</div><footer><p>© 2024 Desk Shop</p></footer></body></html>")


def test_one_paragraph_over_a_grid_of_products_does_not_make_an_article_page():
    """A shop category's intro paragraph holds all the prose, but the page is its grid of products."""
    out = dechaff.clean_html(_shop(8))
    assert "improve your health" in out.lower()
    assert all(f"model {i}, 48 by 30 inches" in out for i in range(8))
    assert "© 2024 Desk Shop" not in out
    # an article with that much prose is an article, and the same cards beside it are not its content
    story = "".join(f"<p>{p.replace('the ', f'the {w} ', 1)}</p>" for w in ("new", "old") for p in (P1, P2, P3))
    html = _shop(8).replace("shipped the same day.</p>", f"shipped the same day.</p>{story}")
    assert "model 3, 48 by 30 inches" not in dechaff.clean_html(html)


def test_a_layout_wrapper_named_after_the_footer_that_holds_main_is_not_chrome():
    """A sticky-footer layout wraps the whole page in a 'flex-wrap-footer' element: it holds <main>,
    so it is no footer, even on a page with little prose (a list of papers)."""
    papers = [(f"Attention sinks in large models, part {i}", f"Author {chr(65 + i)}. Smith") for i in range(12)]
    entries = "".join(f"<dt>[{i}] arXiv:2603.{i:05d}</dt><dd><div class='title'>Title: {t}</div>"
                      f"<div class='authors'><a href='/a/{i}'>{a}</a></div></dd>" for i, (t, a) in enumerate(papers))
    html = (f"<html><body><div class='flex-wrap-footer'><header><a href='/'>arXiv</a></header><main>"
            f"<h1>Artificial Intelligence</h1><h2>Authors and titles for recent submissions</h2><dl>{entries}</dl>"
            f"</main><footer><a href='/help'>Help</a> <a href='/about'>About</a></footer></div></body></html>")
    blocks = extract_blocks(html).blocks
    titles = [b for b in blocks if b.text.startswith("Title:")]
    assert len(titles) == len(papers) and all(b.decision.keep for b in titles)
    # content in its own right, not brought back by the text reading of a page the rules emptied
    assert {b.decision.rule for b in titles} <= {None, ""}
    # a box named 'related' is still chrome, whatever it holds
    story = "".join(f"<p>{p.replace('the ', f'the {w} ', 1)}</p>" for w in ("new", "old") for p in (P1, P2))
    box = page(f"<h1>Budget approved</h1>{story}", f"<div class='related'><article><p>{P3}</p></article></div>")
    assert P3 not in dechaff.clean_html(box)


def test_a_section_hidden_on_some_screens_only_is_shown_and_its_other_copy_goes_as_a_repeat():
    """'hidden-xs' (Bootstrap), '_hidden-lt-md_x1' (CSS modules) and 'hidden-print' hide a section on
    some screens only: a reader on the others sees it. Plain 'hidden' still hides."""
    story = "".join(f"<p>{p.replace('the ', f'the {w} ', 1)}</p>" for w in ("new", "old") for p in (P1, P2))
    desk = f"<div class='_hidden_snh3y_1 _hidden-lt-md_snh3y_18'><p>{P3}</p></div>"
    mobile = f"<div class='_hidden_snh3y_1 _hidden-gt-md_snh3y_24'><p>{P3}</p></div>"
    note = "<div class='hidden-xs hidden-print'><p>Figures in this story come from the council's own budget papers.</p></div>"
    gone = "<div class='hidden'><p>Placeholder text for a lightbox that opens when the chart is clicked.</p></div>"
    page_ = extract_blocks(page(f"<h1>Budget approved</h1>{story}{desk}{mobile}{note}{gone}"))
    kept = [b.text for b in page_.blocks if b.decision.keep]
    assert kept.count(P3) == 1 and "Figures in this story come from the council's own budget papers." in kept
    assert not any("Placeholder text" in t for t in kept)
    copies = [b.decision for b in page_.blocks if b.text == P3]
    assert [d.keep for d in copies] == [True, False] and copies[1].rule == "html.repeated"


def test_a_hidden_panel_that_a_button_on_the_page_shows_keeps_its_paragraphs():
    """An accordion's closed answers and a tab's hidden panels (aria-controls of a button with
    aria-expanded, or of a role="tab") are what a click shows; their short lines are judged like
    any hidden text. The same hidden text that no button controls stays hidden."""
    story = "".join(f"<p>{p.replace('the ', f'the {w} ', 1)}</p>" for w in ("new", "old") for p in (P1, P2))
    answer = "The library will reopen in the autumn, once the roof and the lifts are finished."
    faq = (f"<h2>Questions</h2><button aria-expanded='false' aria-controls='a1'>When will the library reopen?</button>"
           f"<div id='a1' hidden><p>{answer}</p><p>Tap Permissions.</p></div>")
    out = dechaff.clean_html(page(f"<h1>Budget approved</h1>{story}{faq}"))
    assert answer in out and "Tap Permissions." not in out
    tabs = faq.replace("aria-expanded='false' ", "role='tab' ")
    assert answer in dechaff.clean_html(page(f"<h1>Budget approved</h1>{story}{tabs}"))
    alone = faq.replace("aria-controls='a1'", "")
    assert answer not in dechaff.clean_html(page(f"<h1>Budget approved</h1>{story}{alone}"))


def test_a_streamed_segment_keeps_its_loose_text_and_the_text_around_its_place_in_order():
    from dechaff.html.tree import parse

    html = ("<html><body><div id='x'>before <template id=\"P:1\"></template> after</div> end"
            "<div hidden id=\"S:1\">lead <b>bold</b> tail</div></body></html>")
    root = parse(html)
    assert " ".join("".join(root.find("body").itertext()).split()) == "before lead bold tail after end"
    assert root.find(".//template") is None and root.find(".//div[@hidden]") is None
