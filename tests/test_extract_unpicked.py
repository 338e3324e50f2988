"""Extraction on the page shapes of publishers nobody here picked (issue 20): each test is one failure class of the
issue, on a crafted page that shows it, and fails without the fix it names."""

from __future__ import annotations

import unicodedata

import pytest

from archive.extract import Article, NotAnArticle, extract
from archive.extraction.normalize import norm

_PARAGRAPHS = (
    "The district council approved the new cycling plan on Tuesday evening after a debate of almost four hours.",
    "Under the plan, twenty kilometres of protected lanes will be built along the main roads within three years.",
    "Shop owners on the high street had asked for more delivery bays, and the final version includes eleven of them.",
    "The first works are due to start in March, once the regional government has released its share of the money.",
)
_RELATED = "".join(
    f'<h3><a href="/news/other-story-{i}.html">Another story of the district, number {i}, with its headline</a></h3>'
    for i in range(4)
)


def story_page(
    *, head: str = "", title: str = "Council approves the cycling plan", lines: tuple[str, ...] = _PARAGRAPHS
) -> bytes:
    paragraphs = "".join(f"<p>{line}</p>" for line in lines)
    return f"""<html lang="en"><head><title>{title}</title>{head}</head><body>
<header><nav><a href="/">Home</a></nav></header><main><h1>{title}</h1>
<div class="content">{paragraphs}</div><div class="more">{_RELATED}</div></main></body></html>""".encode()


def assert_article(result: Article | NotAnArticle) -> Article:
    assert isinstance(result, Article), result
    return result


# ------------------------------------------------------------------ 1. real stories refused as "not an article"
@pytest.mark.parametrize(
    "url",
    [
        "https://ministry.test/DE/themen/verkehr/radverkehr/radplan-beschlossen.html",  # a page deep in a topic
        "https://blog.test/themen/der-rat-beschliesst-den-neuen-radverkehrsplan",  # a story's slug after the word
        "https://blog.test/page/how-the-council-approved-the-cycling-plan",  # "page" as a path word
        "https://blog.test/?p=31228",  # a WordPress post by its id, on the root path
        "https://headlines.test/hl?a=20170309-35097838-sci",  # an edition-like path with the document in the query
    ],
)
def test_a_story_at_a_url_with_a_listing_word_is_an_article(url: str) -> None:
    result = assert_article(extract(story_page(), url))
    assert result.text.split("\n")[0] == _PARAGRAPHS[0]


def test_a_story_whose_canonical_url_is_the_front_page_is_an_article() -> None:
    head = '<link rel="canonical" href="https://paper.test/es/"><meta property="og:type" content="article">'
    assert_article(extract(story_page(head=head), "https://paper.test/es/2016/11/30/el-plan-de-bicicletas/"))


def test_a_page_whose_headings_link_to_its_own_sections_is_one_story() -> None:
    sections = "".join(
        f'<h2><a href="#part-{i}">Part {i} of the plan</a></h2><p>{line}</p>' for i, line in enumerate(_PARAGRAPHS * 2)
    )
    toc = "".join(f'<li><a href="#part-{i}">Part {i}</a></li>' for i in range(8))
    html = f"""<html><head><title>The cycling plan</title></head><body><h1>The cycling plan</h1>
<ul class="toc">{toc}</ul><div id="content">{sections}</div></body></html>"""
    result = assert_article(extract(html.encode(), "https://wiki.test/wiki/Cycling_plan"))
    assert _PARAGRAPHS[3] in result.text


def test_a_blog_post_set_in_spans_beside_a_sidebar_of_links_is_an_article() -> None:
    # Blogger and hand-made blogs set the post as text in <span>/<font> wrappers split by <br>, inside a <div> with no
    # text of its own; beside it the sidebar's archive and blogroll are dozens of one-link items. The post is the
    # page's prose, so the links are not "a feed of headlines with no body text".
    post = "<br /><br />".join(f'<span style="font-family: inherit;">{line}</span>' for line in _PARAGRAPHS)
    archive = "".join(
        f'<li><a href="/2012/{m:02d}/a-post-of-the-month-number-{m}.html">A post of the month, number {m}</a></li>'
        for m in range(1, 13)
    )
    blogroll = "".join(
        f'<li><a href="https://friend{i}.test/">A friend\'s blog about cycling, {i}</a></li>' for i in range(10)
    )
    html = f"""<html><head><title>The cycling plan</title></head><body>
<div class="main"><h3 class="post-title"><a href="/2012/10/the-cycling-plan.html">The cycling plan</a></h3>
<div class="post-body"><div dir="ltr">{post}</div></div></div>
<div class="sidebar"><ul>{archive}</ul><ul>{blogroll}</ul></div></body></html>"""
    result = assert_article(extract(html.encode(), "https://cycling.blog.test/2012/10/the-cycling-plan.html"))
    assert result.text.split("\n") == list(_PARAGRAPHS)


def test_a_short_post_beside_a_blogroll_and_category_lists_is_an_article() -> None:
    # A short post has less prose than a "no body text" listing; what makes a listing is its headlines leading to
    # the site's stories. A sidebar's links lead to other sites (a blogroll) and to the site's own listings
    # (categories, tags), in link items and in look-alike cards alike.
    lines = _PARAGRAPHS[:2]
    blogroll = "".join(
        f'<li class="blogroll-item"><a href="https://rider{i}.test/">The cycling diary of rider number {i}</a></li>'
        for i in range(12)
    )
    categories = "".join(
        f'<li class="cat-item"><a href="/category/cycling-topic-{i}/">Cycling topic number {i} of the blog</a></li>'
        for i in range(12)
    )
    paragraphs = "".join(f"<p>{line}</p>" for line in lines)
    html = f"""<html><head><title>The cycling plan</title></head><body>
<div class="main"><h1>The cycling plan</h1><div class="entry">{paragraphs}</div></div>
<div class="sidebar"><ul>{blogroll}</ul><ul>{categories}</ul></div></body></html>"""
    result = assert_article(extract(html.encode(), "https://cycling.blog.test/2012/10/the-cycling-plan/"))
    assert result.text.split("\n") == list(lines)


def test_a_story_beside_a_linked_heading_in_its_column_is_not_a_card_s_summary() -> None:
    # A card is a linked headline with a summary of a paragraph or two beside it. A column that holds the whole
    # story beside one heading linking elsewhere (the previous post, a "related" box's title) is the story: its
    # paragraphs are the page's prose, not a teaser's, and the recent-posts list beside it does not make a listing.
    paragraphs = "".join(f"<p>{line}</p>" for line in _PARAGRAPHS)
    recent = "".join(
        f'<li><a href="/2012/10/recent-post-{i}.html">Recent post number {i} of the blog</a></li>' for i in range(10)
    )
    html = f"""<html><head><title>The cycling plan</title></head><body><div id="wrap">
<div id="contentleft"><h1>The cycling plan</h1>
<div class="nav-previous"><h3><a href="/2012/10/the-bus-plan.html">Previous: the bus plan</a></h3></div>
{paragraphs}</div><div id="sidebar"><ul>{recent}</ul></div></div></body></html>"""
    result = assert_article(extract(html.encode(), "https://cycling.blog.test/2012/10/the-cycling-plan.html"))
    assert result.text.split("\n") == list(_PARAGRAPHS)


# ------------------------------------------------------------------------ 4. the line filter drops real lines
def test_addresses_phone_numbers_and_the_first_line_of_the_story_are_kept() -> None:
    lines = (
        "Residents who want the lanes sooner can sign the petition. The council said: the cycling plan",
        *_PARAGRAPHS,
        "http://www.openpetition.test",
        "+81 158-23-2012",
        "Questions about the works can be sent to the district office at verkehr@district.test.",
    )
    result = assert_article(extract(story_page(title="The cycling plan", lines=lines), "https://paper.test/news/plan"))
    assert result.text.split("\n") == list(lines)


def test_a_dated_line_in_the_story_is_kept_and_a_timestamp_still_goes() -> None:
    timeline = (
        "3 May 2024 – The council met in the town hall to vote on the cycling plan, three years in the making.",
        *_PARAGRAPHS,
        "The plan went through three readings before the vote:",
        "March 12, 2024",
        "The first draft is shown to residents in the town hall.",
        "On 5 May 2024 at 10:00",
        "The council's transport committee meets to discuss the objections.",
        "Updated May 7, 2024, 18:30",
        *_PARAGRAPHS[:2],
    )
    result = assert_article(extract(story_page(lines=timeline), "https://paper.test/news/2024/05/the-cycling-plan"))
    assert result.text.split("\n") == [line for line in timeline if not line.startswith("Updated")]


def test_a_date_marked_up_in_a_sentence_stays_in_the_sentence() -> None:
    # trafilatura drops every <time> element, and with it the date a sentence gives ("start on , once").
    sentence = 'The first works start on <time datetime="2024-03-04">March 4</time>, once the money is released.'
    lines = (_PARAGRAPHS[0], sentence, *_PARAGRAPHS[1:])
    head = '<meta property="article:published_time" content="2024-05-17T16:09:00+02:00">'
    page = story_page(head=head, lines=lines).replace(
        b"<h1>", b'<p class="meta">Published <time datetime="2024-05-17T16:09">May 17, 2024</time></p><h1>'
    )
    result = assert_article(extract(page, "https://paper.test/news/2024/05/the-cycling-plan"))
    assert result.text.split("\n") == [
        _PARAGRAPHS[0],
        "The first works start on March 4, once the money is released.",
        *_PARAGRAPHS[1:],
    ]


def test_a_label_with_an_address_and_a_contact_line_still_go() -> None:
    lines = (*_PARAGRAPHS, "Follow us on Facebook https://facebook.test/paper", "Write to the desk at desk@paper.test")
    result = assert_article(extract(story_page(lines=lines), "https://paper.test/news/plan"))
    assert result.text.split("\n") == list(_PARAGRAPHS)


# ---------------------------------------------------------------------------------------- 5. Unicode NFC
def test_text_and_fields_are_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Müller fordert größere Radwege in Köln")
    lines = (unicodedata.normalize("NFD", "Jürgen Müller, der Sprecher der Bürgerinitiative, begrüßte den Plan."),)
    head = f'<meta name="author" content="{unicodedata.normalize("NFD", "Jürgen Müller")}">'
    result = assert_article(
        extract(story_page(head=head, title=decomposed, lines=lines + _PARAGRAPHS), "https://p.test/a/b")
    )
    for value in (result.title, result.text, *result.authors):
        assert value == unicodedata.normalize("NFC", value), value
    assert result.title == "Müller fordert größere Radwege in Köln"


# ------------------------------------------------------------ 3. class-name clutter rules that fire on the story
_SIDEBAR = (
    '<div class="widget HTML"><h2>Blogroll</h2><ul>'
    + "".join(f'<li><a href="/blogroll-{i}">A blog we read, number {i}</a></li>' for i in range(6))
    + "</ul></div>"
)
_COMMENTS = '<div class="comments"><h3>2 comments</h3><p>Great news, about time this city did something.</p></div>'


def blocks_page(blocks: str) -> bytes:
    return f"""<html><head><title>Council approves the cycling plan</title><meta property="og:type" content="article">
</head><body><h1>Council approves the cycling plan</h1>{blocks}{_SIDEBAR}{_COMMENTS}</body></html>""".encode()


@pytest.mark.parametrize(
    "blocks",
    [
        # a page builder's text widgets, one a paragraph
        "".join(
            '<div class="elementor-element elementor-widget elementor-widget-text-editor">'
            f'<div class="elementor-widget-container"><p>{line}</p></div></div>'
            for line in _PARAGRAPHS
        ),
        # a live ticker's entries
        '<div class="ticker">'
        + "".join(
            f'<div class="live-match-comment"><span class="minute">{10 * i}.</span><p>{line}</p></div>'
            for i, line in enumerate(_PARAGRAPHS)
        )
        + "</div>",
        # a video page whose text is the videos' descriptions
        '<div class="videos">'
        + "".join(f'<div class="video"><div class="video-caption"><p>{line}</p></div></div>' for line in _PARAGRAPHS)
        + "</div>",
        # a gallery whose captions are the story
        '<div class="gallery">'
        + "".join(
            f'<figure><img src="/{i}.jpg" alt=""><figcaption>{line}</figcaption></figure>'
            for i, line in enumerate(_PARAGRAPHS)
        )
        + "</div>",
    ],
    ids=["widget", "comment", "caption", "figure"],
)
def test_a_class_word_that_names_most_of_the_page_s_prose_is_not_clutter_there(blocks: str) -> None:
    result = assert_article(extract(blocks_page(blocks), "https://blog.test/2024/05/cycling-plan.html"))
    assert result.text.split("\n") == list(_PARAGRAPHS)


def test_a_list_of_links_to_other_sites_inside_the_story_is_its_text() -> None:
    sources = "".join(
        f'<li><a href="https://statistics-{i}.test/report">The report number {i} on the state of the lanes</a></li>'
        for i in range(4)
    )
    rail = "".join(
        f'<li><a href="/news/story-{i}.html">Another story of this site, number {i}</a></li>' for i in range(4)
    )
    blocks = f'<div class="body"><p>{_PARAGRAPHS[0]}</p><ul>{sources}</ul><p>{_PARAGRAPHS[1]}</p><ul>{rail}</ul>'
    blocks += "".join(f"<p>{line}</p>" for line in _PARAGRAPHS[2:]) + "</div>"
    result = assert_article(extract(blocks_page(blocks), "https://blog.test/2024/05/cycling-plan.html"))
    assert "The report number 3 on the state of the lanes" in result.text
    assert "Another story of this site" not in result.text


def notes_page() -> bytes:
    """A weekly-notes post written as bullet lists under headings, with no <p> at all: short items, items that are
    one link to another site, a date in an item, and long items; a reader's comment below it."""
    subjects = ("lanes", "bus routes", "crossings", "parking", "trees", "benches", "lights", "bridges")
    long_items = [
        f'The council has approved <a href="https://council.example.org/motion/{i}">motion {i}</a> on the {s}, after '
        "the residents of the district had asked for it in the consultation last spring, and the works will be paid "
        "for out of the budget that the regional government has set aside for the next three years."
        for i, s in enumerate(subjects)
    ]
    short_items = [
        f'Work on the {s} starts on <time datetime="2024-03-0{i + 1}">March {i + 1}</time>.'
        for i, s in enumerate(subjects[:4])
    ]
    links = [
        f'<a href="https://news{i}.example.org/2024/review">Here is our year in review number {i}!</a>' for i in (0, 1)
    ]
    sections = (
        ("Highlights", links + short_items[:2] + long_items[:4]),
        ("Next steps", long_items[4:] + short_items[2:]),
    )
    post = "".join(f"<h3>{h}</h3><ul>" + "".join(f"<li>{x}</li>" for x in items) + "</ul>" for h, items in sections)
    comment = "<p>I have lived on the high street for twenty years and never seen the traffic this bad.</p>"
    return f"""<html lang="en"><head><title>These weeks in the council: issue 85</title></head><body>
<header><a href="https://blog.test/"><h4>Council Notes</h4><p>What the council did this week</p></a></header>
<main><article><header><h1>These weeks in the council: issue 85</h1><div class="entry-info"><address>
<a href="/author/jane">Jane Doe</a></address><time datetime="2024-05-17T16:09">May 17, 2024</time></div></header>
<div class="entry-content">{post}</div></article>
<section class="comments"><h2>2 comments</h2><ol><li><blockquote>{comment}</blockquote></li></ol></section>
</main></body></html>""".encode()


def test_a_post_written_as_bullet_lists_keeps_every_item() -> None:
    # trafilatura takes a page with no <p> text for a failed extraction of its own and swaps in its fallbacks',
    # which keep only the long items: the headings, the one-link items and the short items went.
    result = assert_article(extract(notes_page(), "https://blog.test/2024/05/these-weeks-85/"))
    lines = [line.removeprefix("- ") for line in result.text.split("\n")]
    for line in ("Highlights", "Here is our year in review number 0!", "Next steps", "Work on the parking starts on"):
        assert any(x.startswith(line) for x in lines), line
    assert sum("The council has approved motion" in x for x in lines) == 8
    assert "twenty years" not in result.text


# ------------------------------------------------------------------ 2. a site's own pages are not news articles
_YOAST_GRAPH = (
    '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
    '{"@type": "WebPage", "@id": "https://blog.test/privacy-policy/", "name": "Privacy Policy"},'
    '{"@type": "WebSite", "@id": "https://blog.test/#website", "name": "Blog"}]}</script>'
    '<meta property="og:type" content="article">'
)
_POLICY = (
    "This privacy policy explains which personal data this website collects when you visit it and why.",
    "We store the address of your computer for seven days to protect the website against attacks.",
    "You may ask us at any time which data we hold about you, and have it corrected or deleted.",
)


@pytest.mark.parametrize(
    ("url", "head"),
    [
        ("https://blog.test/privacy-policy/", _YOAST_GRAPH),  # a WordPress page: og:type article, a WebPage
        ("https://blog.test/about-us/", ""),
        ("https://verein.test/de/impressum.html", ""),
        ("https://blog.test/team/", '<script type="application/ld+json">{"@type": "AboutPage"}</script>'),
    ],
)
def test_a_site_s_page_about_itself_is_archived_but_not_as_an_article(url: str, head: str) -> None:
    result = extract(story_page(head=head, title="Privacy Policy", lines=_POLICY), url)
    assert isinstance(result, NotAnArticle), result
    assert result.kind == "site-page"
    assert result.title == "Privacy Policy"


def test_a_story_that_declares_itself_an_article_at_a_site_page_word_is_an_article() -> None:
    ld = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "The new privacy rules"}</script>'
    result = extract(story_page(head=ld, title="The new privacy rules"), "https://paper.test/2024/05/privacy/")
    assert_article(result)


# ------------------------------------------------------- 6. the standfirst, articleBody and split-body steps
def test_another_story_s_teaser_between_the_headline_and_the_body_is_not_the_standfirst() -> None:
    card = (
        '<div class="card"><h3><a href="/news/the-bridge-reopens.html">The old bridge reopens after two years</a></h3>'
        '<p class="teaser">Engineers finished the repairs a month early; the first buses crossed on Monday.</p></div>'
    )
    paragraphs = "".join(f"<p>{line}</p>" for line in _PARAGRAPHS)
    html = f"""<html><head><title>Council approves the cycling plan</title><meta property="og:type" content="article">
</head><body><main><h1>Council approves the cycling plan</h1>{card}<div class="content">{paragraphs}</div></main>
</body></html>"""
    result = assert_article(extract(html.encode(), "https://paper.test/news/cycling-plan.html"))
    assert result.text.split("\n") == list(_PARAGRAPHS)


def test_the_article_body_of_a_story_the_page_only_links_to_is_not_this_page_s_text() -> None:
    other = " ".join(f"Sentence {i} of the other story, about the harbour and its new cranes." for i in range(40))
    ld = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "The harbour gets new cranes",'
        f' "mainEntityOfPage": "https://paper.test/news/harbour-cranes.html", "articleBody": "{other}"}}</script>'
        '<meta property="og:type" content="article">'
        '<link rel="canonical" href="https://paper.test/news/cycling-plan.html">'
    )
    result = assert_article(extract(story_page(head=ld), "https://paper.test/news/cycling-plan.html"))
    assert result.text.split("\n") == list(_PARAGRAPHS)


def test_sections_of_the_next_story_loaded_below_are_not_joined_to_this_one() -> None:
    from trafilatura.utils import load_html

    from archive.extraction.core import _join_split_body
    from archive.extraction.listing import measure

    one = [f"Part {i} of the cycling story: the council heard residents, engineers and shop owners." for i in range(6)]
    more = [
        f"Part {i} of the cycling story, continued after the advert, with the timetable of the works." for i in range(5)
    ]
    next_story = [
        f"Part {i} of the harbour story: the new cranes arrive in spring and cost millions." for i in range(4)
    ]

    def section(lines: list[str]) -> str:
        return '<div class="row"><div class="story-body">' + "".join(f"<p>{p}</p>" for p in lines) + "</div></div>"

    html = f"""<html><head><title>Cycling plan</title></head><body><main><h1>Council approves the cycling plan</h1>
{section(one)}<div class="advert">Advertisement</div>{section(more)}<h1>The harbour gets new cranes</h1>
{section(next_story)}</main></body></html>"""
    tree = load_html(html)
    shape = measure(tree)
    joined = _join_split_body("\n".join(one), shape.main, shape.prose_parents, "https://paper.test/news/cycling-plan")
    assert joined.split("\n") == one + more


# ------------------------------------------------------------------------------ 7. titles and dates
def _undeclared_page(headings: str, title_tag: str) -> bytes:
    paragraphs = "".join(f"<p>{line}</p>" for line in _PARAGRAPHS)
    header = headings if "</header>" in headings else f"{headings}</header><main>"
    return f"""<html><head><title>{title_tag}</title></head><body><header>{header}
<div class="content">{paragraphs}</div></main></body></html>""".encode()


@pytest.mark.parametrize(
    ("headings", "title_tag"),
    [
        # the site's logo is the first <h1>, the headline the second
        (
            '<h1><a href="/">Engine Notes</a></h1><nav><a href="/">Home</a></nav></header><main>'
            "<h1>Council approves the cycling plan</h1>",
            "Council approves the cycling plan · Engine Notes",
        ),
        # the only <h1> names the section; the <title> tag holds the headline
        ("<h1>Transport and Mobility Centre</h1>", "Council approves the cycling plan"),
    ],
    ids=["logo-h1", "section-h1"],
)
def test_without_declared_titles_the_title_tag_tells_which_heading_is_the_headline(
    headings: str, title_tag: str
) -> None:
    result = assert_article(extract(_undeclared_page(headings, title_tag), "https://blog.test/2024/05/cycling-plan"))
    assert result.title == "Council approves the cycling plan"


def _news_ld(headline: str) -> str:
    return (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",'
        f' "headline": "{headline}"}}</script>'
    )


@pytest.mark.parametrize(
    ("headings", "title_tag"),
    [
        # a documentation theme's permalink anchor ("¶") after the headline is not part of it
        (
            '<h1>Council approves the cycling plan<a class="headerlink" href="#council" title="Permalink">¶</a></h1>',
            "Engine Notes",
        ),
        # the logo is an <h1> that only links to the front page; the <title> tag names it and the headline
        (
            '<h1 class="heading"><a href="index.html"><span>Engine notes of the district council</span></a></h1>'
            '</header><main><h1><a href="#top">Council approves the cycling plan</a></h1>',
            "Council approves the cycling plan — Engine notes of the district council",
        ),
    ],
    ids=["permalink-anchor", "home-link-logo"],
)
def test_a_heading_s_permalink_and_a_logo_linking_home_are_not_the_headline(headings: str, title_tag: str) -> None:
    result = assert_article(extract(_undeclared_page(headings, title_tag), "https://docs.test/evolve/concepts.html"))
    assert result.title == "Council approves the cycling plan"


@pytest.mark.parametrize(
    "heading",
    [
        # <span>Kicker</span>Headline: a theme shows the two on their own lines; their words are two words
        "<h1><span>Cycling plan</span>Council approves the new lanes</h1>",
        "<h1>Cycling plan<br>council approves the new lanes</h1>",  # a line break
        "<h1><div>Cycling plan</div><div>council approves the new lanes</div></h1>",  # two blocks
    ],
    ids=["span", "line-break", "blocks"],
)
def test_the_words_of_a_heading_s_two_elements_are_not_glued_together(heading: str) -> None:
    result = assert_article(extract(_undeclared_page(heading, "District News"), "https://paper.test/news/lanes"))
    assert norm(result.title) == "cycling plan council approves the new lanes"


def test_an_entity_escaped_twice_in_the_heading_is_decoded() -> None:
    # A CMS that escapes the headline twice makes the page show "council&#8217;s": the headline says "council’s".
    heading = "<h1>The council&amp;#8217;s cycling plan &amp;amp; its lanes</h1>"
    result = assert_article(extract(_undeclared_page(heading, "District News"), "https://paper.test/news/lanes"))
    assert result.title == "The council\u2019s cycling plan & its lanes"


def test_a_document_title_declared_in_dublin_core_beats_the_window_title() -> None:
    page = _undeclared_page("", "draft-council-cycling-plan-04 - Council approves the cycling plan").replace(
        b"</head>", b'<meta name="DC.title" content="Council approves the cycling plan"></head>'
    )
    result = assert_article(extract(page, "https://docs.test/html/draft-council-cycling-plan-04"))
    assert result.title == "Council approves the cycling plan"


def test_a_meta_tag_that_names_two_properties_declares_both() -> None:
    # RDFa lets one tag serve several properties: property="og:title twitter:title" is an og:title.
    head = _news_ld("Cycling plan: the council says yes") + (
        '<meta property="og:title twitter:title" content="Council approves the cycling plan">'
    )
    result = assert_article(extract(story_page(head=head), "https://paper.test/news/2024/cycling-plan"))
    assert result.title == "Council approves the cycling plan"


@pytest.mark.parametrize(
    "og_title",
    [
        "Council approves the new lanes - District-News.de",  # the site by its host name
        "Council approves the new lanes « District News",  # WordPress themes' separator
        "Council approves the new lanes (District News)",  # the site's name in brackets
        "Council approves the new lanes [District News]",
    ],
    ids=["host-name", "guillemet", "parentheses", "square-brackets"],
)
def test_a_title_suffix_that_names_the_site_goes(og_title: str) -> None:
    head = f'<meta property="og:title" content="{og_title}"><meta property="og:site_name" content="District News">'
    paragraphs = "".join(f"<p>{line}</p>" for line in _PARAGRAPHS)
    html = f"""<html><head><title>District News</title>{head}</head><body><main>
<div class="content">{paragraphs}</div></main></body></html>"""
    result = assert_article(extract(html.encode(), "https://www.district-news.de/news/2024/lanes"))
    assert result.title == "Council approves the new lanes"


@pytest.mark.parametrize(
    "declared",
    [
        '<meta property="og:title" content="District News">',  # the share card of the front page
        '<meta property="og:title" content="district-news.test">',
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "District News"}</script>',
    ],
    ids=["og-site-name", "og-host", "json-ld-site-name"],
)
def test_a_declared_title_that_only_names_the_site_is_not_the_headline(declared: str) -> None:
    head = declared + '<meta property="og:site_name" content="District News">'
    result = assert_article(extract(story_page(head=head), "https://www.district-news.test/news/2024/cycling-plan"))
    assert result.title == "Council approves the cycling plan"


_LONG_HEADLINE = "Under the press law three journalists of the district paper are released on bail"
_SHARE_TITLE = "three journalists of the district paper are released on bail"


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        # the share titles drop the headline's first words; the <h1> and the <title> tag show all of it
        (f"<h1>{_LONG_HEADLINE}</h1>", _LONG_HEADLINE),
        # the dropped words are the <h1>'s own element (a kicker line): the shorter version stays the headline
        (f"<h1><span>Under the press law</span>{_SHARE_TITLE}</h1>", _SHARE_TITLE),
    ],
    ids=["cut-from-the-front", "kicker-element"],
)
def test_share_titles_that_drop_the_headline_s_first_words_vote_for_the_whole_heading(
    heading: str, expected: str
) -> None:
    head = _news_ld(_SHARE_TITLE) + (
        f'<meta property="og:title" content="{_SHARE_TITLE}"><meta property="og:site_name" content="District News">'
    )
    paragraphs = "".join(f"<p>{line}</p>" for line in _PARAGRAPHS)
    html = f"""<html><head><title>{_LONG_HEADLINE} - District News</title>{head}</head><body><main>{heading}
<div class="content">{paragraphs}</div></main></body></html>"""
    result = assert_article(extract(html.encode(), "https://paper.test/news/2024/journalists-released"))
    assert result.title == expected


def test_a_json_ld_headline_that_describes_the_page_loses_to_its_name_and_the_heading() -> None:
    # An encyclopedia's JSON-LD: the `headline` is the one-line description, the `name` what the <h1> shows.
    ld = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Article",'
        ' "name": "Cycling plan", "headline": "plan of the district council for protected bike lanes"}</script>'
    )
    page = story_page(head=ld, title="Cycling plan")
    result = assert_article(extract(page, "https://wiki.test/wiki/Cycling_plan"))
    assert result.title == "Cycling plan"


_HEADLINE = "How the district council approved the cycling plan after four hours of debate"


@pytest.mark.parametrize(
    ("ld_headline", "og_title"),
    [
        (_HEADLINE[:40] + "…", "Cycling plan approved"),  # JSON-LD cut to a length limit
        (_HEADLINE[:40] + "...", "Cycling plan approved"),  # cut, against a share card's own wording
        (_HEADLINE.upper(), "Cycling plan approved"),  # the same words in capitals
    ],
    ids=["ellipsis", "three-dots", "capitals"],
)
def test_a_json_ld_headline_cut_short_or_in_capitals_gives_the_heading_s_wording(
    ld_headline: str, og_title: str
) -> None:
    ld = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",'
        f' "headline": "{ld_headline}"}}</script><meta property="og:title" content="{og_title}">'
        '<meta property="og:site_name" content="District News">'
    )
    result = assert_article(extract(story_page(head=ld, title=_HEADLINE), "https://paper.test/news/2024/cycling-plan"))
    assert result.title == _HEADLINE


def test_json_ld_wrapped_in_cdata_is_read() -> None:
    ld = (
        '<script type="application/ld+json"><![CDATA[ [{"@context": "https://schema.org", "@type": "NewsArticle",'
        ' "headline": "Council approves the cycling plan", "datePublished": "2020-07-10T14:15:42+00:00",'
        ' "dateModified": "2025-01-07T09:08:22+00:00"}] ]]></script>'
        '<meta property="article:modified_time" content="2025-01-07T09:08:22+00:00">'
    )
    result = assert_article(extract(story_page(head=ld), "https://paper.test/news/cycling-plan.html"))
    assert result.published == "2020-07-10T14:15:42+00:00"


def test_a_listicle_whose_item_headings_link_to_other_sites_is_one_story() -> None:
    items = "".join(
        f'<h2><a href="https://cafe-{i}.test/">Café number {i} by the river</a></h2>'
        f"<p>Good coffee, a quiet terrace and cakes baked on the spot, open every day {i}.</p>"
        for i in range(8)
    )
    html = f"""<html><head><title>The best cafés of the city</title><meta property="og:type" content="website">
</head><body><h1>The best cafés of the city</h1><div class="content">{items}</div></body></html>"""
    result = assert_article(extract(html.encode(), "https://guide.test/best-cafes-of-the-city"))
    assert "Café number 7 by the river" in result.text


# ------------------------------------------------------------------ 7. dates (issue 20 round 5)
@pytest.mark.parametrize(
    ("meta_line", "expected"),
    [
        ("By Jane Doe / Agency / <span>Updated: Oct 9, 2019, 11:05</span>", "2019-10-09T11:05:00"),
        ("最終更新日：2019年4月2日<br>情報処理推進機構", "2019-04-02"),
    ],
)
def test_a_story_that_shows_only_its_update_date_is_dated_by_it(meta_line: str, expected: str) -> None:
    # No date declared, and the only one under the headline is labelled as the update's: that is the story's
    # date as the page tells it (before, the label made it a modified date and the story had none).
    page = f"""<html lang="en"><head><title>Council approves the cycling plan</title></head><body>
<main><h1>Council approves the cycling plan</h1><p class="meta">{meta_line}</p>
<div class="content">{"".join(f"<p>{line}</p>" for line in _PARAGRAPHS)}</div></main></body></html>""".encode()
    result = assert_article(extract(page, "https://news.example.org/city/cycling-plan.html", {}, None))
    assert result.published == expected


def test_an_update_date_does_not_stand_for_a_publication_date_the_page_shows() -> None:
    page = f"""<html lang="en"><head><title>Council approves the cycling plan</title></head><body>
<main><h1>Council approves the cycling plan</h1><p class="meta">Published March 3, 2019</p>
<p class="meta">Updated: Oct 9, 2019</p>
<div class="content">{"".join(f"<p>{line}</p>" for line in _PARAGRAPHS)}</div></main></body></html>""".encode()
    result = assert_article(extract(page, "https://news.example.org/city/cycling-plan.html", {}, None))
    assert result.published == "2019-03-03"


# ------------------------------------------------------------------ 7. titles (issue 20 round 5)
def test_a_window_title_glued_to_its_section_and_the_logo_s_name_by_underscores_loses_them() -> None:
    # "Headline_Section_Site", the window title of many Chinese CMSs, on a page that declares no title and whose only
    # <h1> is its logo: the logo names the site, and the piece before it is the section.
    headline = "这个约会软件想用你和对方的相似好恶来帮你找对象"
    page = f"""<html lang="zh"><head><title>{headline}_智能_好奇心日报</title></head><body>
<header><a href="https://www.example.cn/" class="logo"><h1 class="hidden">好奇心日报</h1></a></header>
<main><h2 class="title">{headline}</h2>
<div class="content">{"".join(f"<p>{line}</p>" for line in _PARAGRAPHS)}</div></main></body></html>""".encode()
    result = assert_article(extract(page, "https://www.example.cn/articles/12345.html", {}, None))
    assert result.title == headline


# ------------------------------------------------------------------ 7. titles (issue 20 round 6)
_SEO_TITLE = "Council cycling plan: what it means for you"
_SHOWN_HEADLINE = "The district council approves twenty kilometres of protected lanes"


def _seo_page(headings: str, og_type: str = "article") -> bytes:
    # No JSON-LD; the CMS writes one SEO title into the <title> tag, og:title and twitter:title alike.
    head = (
        f'<meta property="og:title" content="{_SEO_TITLE}"><meta name="twitter:title" content="{_SEO_TITLE}">'
        f'<meta property="og:type" content="{og_type}"><meta property="og:site_name" content="District News">'
    )
    paragraphs = "".join(f"<p>{line}</p>" for line in _PARAGRAPHS)
    return f"""<html lang="en"><head><title>{_SEO_TITLE} | District News</title>{head}</head><body>
<header><a href="/" class="logo">District News</a></header><main>{headings}
<div class="content">{paragraphs}</div></main></body></html>""".encode()


@pytest.mark.parametrize(
    ("headings", "og_type", "expected"),
    [
        # the share title is only the window title again: the headline is what the page shows above the story
        (f"<h1>{_SHOWN_HEADLINE}</h1>", "article", _SHOWN_HEADLINE),
        # the page shows the SEO title as a heading too (the first <h1> is a "Log In" dialog's): it stays
        (f"<h1>Log In</h1><h1>{_SEO_TITLE}</h1>", "article", _SEO_TITLE),
        # not an article: a product or landing page's title is its SEO title
        (f"<h1>{_SHOWN_HEADLINE}</h1>", "website", _SEO_TITLE),
    ],
    ids=["shown-headline", "seo-title-shown-too", "website"],
)
def test_a_share_title_that_is_only_the_window_title_loses_to_the_headline_the_page_shows(
    headings: str, og_type: str, expected: str
) -> None:
    result = assert_article(extract(_seo_page(headings, og_type), "https://paper.test/news/2024/cycling-plan"))
    assert result.title == expected


def test_a_share_title_written_for_the_card_still_beats_the_heading() -> None:
    # og:title its own wording, the <title> tag the <h1>'s: the share card was written on purpose (publishers' own
    # parsers take it), so the order of the vote decides as before.
    page = _seo_page(f"<h1>{_SHOWN_HEADLINE}</h1>").replace(
        f"<title>{_SEO_TITLE} | District News</title>".encode(),
        f"<title>{_SHOWN_HEADLINE} | District News</title>".encode(),
    )
    result = assert_article(extract(page, "https://paper.test/news/2024/cycling-plan"))
    assert result.title == _SEO_TITLE


def test_a_title_suffix_that_names_the_site_without_its_article_goes() -> None:
    # og:site_name "The Times of the District", the suffix "- Times of the District": one name.
    head = (
        '<meta property="og:title" content="Council approves the new lanes - Times of the District">'
        '<meta property="og:site_name" content="The Times of the District">'
    )
    paragraphs = "".join(f"<p>{line}</p>" for line in _PARAGRAPHS)
    html = f"""<html><head><title>Times of the District</title>{head}</head><body><main>
<div class="content">{paragraphs}</div></main></body></html>"""
    result = assert_article(extract(html.encode(), "https://district.test/news/2024/lanes"))
    assert result.title == "Council approves the new lanes"


@pytest.mark.parametrize("separator", ["–", "|", "·", "—", "-"])
def test_a_window_title_that_is_the_only_title_loses_its_site_suffix(separator: str) -> None:
    # No heading, no declared title, no site name anywhere: "Headline – My website" still ends with the site's name,
    # the convention of window titles.
    paragraphs = "".join(f"<p>{line}</p>" for line in _PARAGRAPHS)
    html = f"""<html><head><title>Council approves the new lanes {separator} My website</title></head><body>
<article><div>{paragraphs}</div></article></body></html>"""
    result = assert_article(extract(html.encode(), "https://blog.test/2024/lanes.html"))
    assert result.title == "Council approves the new lanes"


@pytest.mark.parametrize(
    "title_tag",
    [
        "Google - Site Reliability Engineering",  # too short a head: the name and its subject
        "Weekly notes: week 12",  # a colon is no site separator
        "Council approves the new lanes - and the shop owners get eleven delivery bays",  # a long tail
        "The cycling plan of the district council - Part 2",  # a number: the headline's own
        "The cycling plan of the district council | Why now?",
    ],
)
def test_a_window_title_without_a_site_suffix_is_kept_whole(title_tag: str) -> None:
    paragraphs = "".join(f"<p>{line}</p>" for line in _PARAGRAPHS)
    html = f"""<html><head><title>{title_tag}</title></head><body>
<article><div>{paragraphs}</div></article></body></html>"""
    result = assert_article(extract(html.encode(), "https://blog.test/2024/lanes.html"))
    assert result.title == title_tag


def test_a_share_title_that_is_the_standfirst_loses_to_the_headline() -> None:
    # og:title and twitter:title repeat the description (the standfirst shown under the headline, with its full
    # stop): that is the dek, not the headline the <h1> and the <title> tag give.
    dek = "It has been a rough few months for the council's cycling plan"
    head = (
        f'<meta property="og:title" content="{dek}"><meta name="twitter:title" content="{dek}">'
        f'<meta name="description" content="{dek}."><meta property="og:description" content="{dek}.">'
        '<meta property="og:type" content="article">'
    )
    paragraphs = "".join(f"<p>{line}</p>" for line in _PARAGRAPHS)
    html = f"""<html lang="en"><head><title>What is holding up the lanes?</title>{head}</head><body><main>
<h1>What is holding up the lanes?</h1><div class="dek">{dek}.</div>
<div class="content">{paragraphs}</div></main></body></html>"""
    result = assert_article(extract(html.encode(), "https://paper.test/news/2024/lanes-hold-up"))
    assert result.title == "What is holding up the lanes?"


@pytest.mark.parametrize("separator", [": ", "："])
def test_a_share_title_cut_to_the_headline_s_first_part_votes_for_the_whole_heading(separator: str) -> None:
    # og:title keeps the headline's first part; the <h1> and the <title> tag go on with its second part.
    first, second = "Six cargo bikes compared on the new lanes", "farewell to the car, hello to the hill"
    heading = f"{first}{separator}{second}"
    head = f'<meta property="og:title" content="{first}"><meta property="og:site_name" content="District News">'
    paragraphs = "".join(f"<p>{line}</p>" for line in _PARAGRAPHS)
    html = f"""<html lang="en"><head><title>{heading} - District News</title>{head}</head><body><main>
<h1>{heading}</h1><div class="content">{paragraphs}</div></main></body></html>"""
    result = assert_article(extract(html.encode(), "https://paper.test/news/2024/cargo-bikes"))
    assert result.title == heading


# ------------------------------------------------------------------ 7. dates (issue 20 round 6)
@pytest.mark.parametrize(
    ("lang", "shown", "expected"),
    [
        ("ja", "2019年4月28日 8:00", "2019-04-28T08:00:00+09:00"),  # Japan's one clock, no summer time
        ("zh-CN", "2017-03-01 14:27:02", "2017-03-01T14:27:02+08:00"),
        ("ko", "2019.04.28 08:00", "2019-04-28T08:00:00+09:00"),
        ("de", "28.04.2019, 08:00", "2019-04-28T08:00:00"),  # summer time: which offset is not known, none given
        ("ja", "2019年4月28日", "2019-04-28"),  # a day alone stays a day
    ],
)
def test_a_time_shown_without_a_zone_on_a_page_in_a_one_clock_language_is_that_clock_s(
    lang: str, shown: str, expected: str
) -> None:
    # An article a reader in Japan dates "28 April, 8:00" was published on 27 April in UTC: the time is only
    # absolute with the zone every page in the language means.
    page = f"""<html lang="{lang}"><head><title>Council approves the cycling plan</title></head><body>
<main><h1>Council approves the cycling plan</h1><p class="meta">{shown}</p>
<div class="content">{"".join(f"<p>{line}</p>" for line in _PARAGRAPHS)}</div></main></body></html>""".encode()
    result = assert_article(extract(page, "https://news.example.org/city/cycling-plan.html", {}, None))
    assert result.published == expected
