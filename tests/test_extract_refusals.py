"""Stories refused as "not an article" (issue 20, class 1): a page is a listing by the evidence of one, not by
what it lacks. Each test is a page shape of a real refusal, crafted, and fails without the fix it names; beside each,
the listing it must not be confused with stays a listing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from archive.extract import Article, NotAnArticle, extract
from tests.support.cli import newsarchive
from tests.support.crawls import scrapy_crawl
from tests.support.raw_site import RawSite, response

_SHORT_POST = (
    "Ever wondered who rings at your door while you are at work? This small project answers the question.",
    "Each time the bell rings, a camera takes a picture and the system sends it to your phone by text message.",
    "It can also take pictures when it notices movement, and the full instructions are on the maker's page.",
)


def linked_headings(wrapper_class: str, href: str, count: int) -> str:
    """`count` blocks of a linked heading each, to `href` with the block's number: a rail's or a listing's teasers."""
    return "".join(
        f'<div class="{wrapper_class}"><h3><a href="{href.format(i)}">Another story of the week, number {i}</a></h3>'
        "</div>"
        for i in range(count)
    )


_RAIL = linked_headings("featured", "/hack/another-project-of-the-week-number-{}/", 7)


def short_post_page(*, title: str = "A doorbell that sends you a photo", rail: str = _RAIL) -> bytes:
    paragraphs = "".join(f"<p>{line}</p>" for line in _SHORT_POST)
    return f"""<html lang="en"><head><title>{title} | Projects</title></head><body>
<div id="header"><a href="/">Projects</a></div><div id="content"><div class="post"><h1>{title}</h1>
<div class="meta">Posted in Electronics</div><div id="entry">{paragraphs}</div>
<div class="related"><h4>Similar projects</h4><ul>{rail}</ul></div></div>
<div id="sidebar">{rail}</div></div></body></html>""".encode()


def assert_article(result: Article | NotAnArticle) -> Article:
    assert isinstance(result, Article), result
    return result


def assert_listing(result: Article | NotAnArticle) -> None:
    assert isinstance(result, NotAnArticle) and result.kind == "listing", result


# ------------------------------------------------------- a short post under its headline, beside rails of teasers
def test_a_short_post_under_its_headline_beside_a_rail_of_teasers_is_an_article() -> None:
    # A post of a few hundred characters, undeclared, its related-story rail and its sidebar's featured posts
    # headings that link to other posts: the prose is what the page's <h1> heads, at a URL that names one document.
    result = assert_article(
        extract(short_post_page(), "https://projects.test/hack/diy-doorbell-video-security-system/")
    )
    assert result.text.split("\n")[0] == _SHORT_POST[0]
    assert "story of the week" not in result.text


def test_a_section_page_whose_headings_come_before_its_intro_is_still_a_listing() -> None:
    # The same page parts in a listing's order: the section's name, its teasers, then a paragraph about the section.
    intro = "".join(f"<p>{line}</p>" for line in _SHORT_POST)
    html = f"""<html><head><title>Electronics</title></head><body><div id="content"><h1>Electronics</h1>
<div class="teasers">{_RAIL}</div><div class="about">{intro}</div></div></body></html>"""
    assert_listing(extract(html.encode(), "https://projects.test/hack/diy-doorbell-video-security-system/"))


@pytest.mark.parametrize("url", ["https://projects.test/electronics/", "https://projects.test/"])
def test_a_short_text_under_a_heading_at_a_section_s_url_is_still_a_listing(url: str) -> None:
    # Without a URL that names one document, a heading with a paragraph above teasers is a section page's intro.
    assert_listing(extract(short_post_page(title="Electronics"), url))


_MORE_LINES = (
    "Sheets shopping can be a snooze, and the boutique's founders want to change that without breaking your budget.",
    "A decorator from Texas started the shop with two friends, who draw bright patterns for duvets and linen alike.",
    "Every pattern is named after someone in their lives, from a fellow designer to a blogger who loves cycling.",
)


def picks_page(url_title: str = "Biscuit Home Boutique Launches") -> bytes:
    related = linked_headings("item", "/everywhere/article/13900{}/Another-Pick-Of-The-Week", 4)
    sections = "".join(
        f'<section><h1>Pick number {i} in the footer</h1><div><h2><a href="/{name}/">{name.upper()}</a></h2></div>'
        "</section>"
        for i, name in enumerate(("fashion", "beauty", "food", "home", "kids"))
    )
    paragraphs = "".join(f"<p>{line}</p>" for line in (*_SHORT_POST, *_MORE_LINES))
    return f"""<html><head><title>{url_title}</title><meta property="og:type" content="website"></head><body>
<div id="top"><a href="/"><h1>Picks</h1></a></div><div id="main"><article class="article_detail">
<header><hgroup><h1>{url_title}</h1><h2>Bedding at your fingertips</h2></hgroup></header>{paragraphs}</article>
<div class="related"><section><div><h1>Related Stories</h1></div><div>{related}</div></section></div></div>
<footer><div>{sections}</div></footer></body></html>""".encode()


def test_a_short_story_in_its_article_element_on_a_page_declared_a_website_is_an_article() -> None:
    # og:type "website" with four teasers and under 1200 characters was a listing; here the teasers are a related
    # box below the <article> the headline heads and the footer's section links.
    result = assert_article(extract(picks_page(), "https://picks.test/article/139043/Biscuit-Home-Decor-and-Bedding"))
    assert _SHORT_POST[0] in result.text and _MORE_LINES[2] in result.text
    assert "story of the week" not in result.text


def link_list(href: str, count: int) -> str:
    items = "".join(
        f'<li><a href="{href.format(i)}">A page of the site about subject number {i}</a></li>' for i in range(count)
    )
    return f"<ul>{items}</ul>"


def video_page(*, between: str = "", window_title: str = "Weekly address: remembering the victims") -> bytes:
    # An institution's blog: a menu of dozens of one-link items above the headline, columns of them in the footer,
    # and under the headline one short paragraph beside the video.
    return f"""<html><head><title>{window_title}</title></head><body>
<div id="navigation">{link_list("/issues/subject-{}", 20)}{link_list("/briefing-room/subject-{}", 20)}</div>
<div id="page"><div class="blog-title"><h1>The Institution's Blog</h1></div>{between}<div class="post">
<h3>Weekly address: remembering the victims</h3><div class="content-inner"><p>The president honours the victims of the
tragedy, the people who knew them and loved them, and those who are still struggling to recover.</p>
<div class="video"><iframe src="https://video.test/embed/1"></iframe></div></div></div></div>
<div id="footer">{link_list("/about/subject-{}", 25)}</div></body></html>""".encode()


def test_a_short_post_between_the_site_s_menus_of_links_is_an_article() -> None:
    # 65 one-link items and one paragraph was "65 linked headlines, no body text": the items are the menus above the
    # headline and the footer below the prose, not what the headline heads.
    url = "https://institution.test/blog/2012/07/21/weekly-address-remembering-the-victims"
    result = assert_article(extract(video_page(), url))
    assert result.text.startswith("The president honours the victims")


def test_a_feed_of_links_under_the_headline_before_its_text_is_still_a_listing() -> None:
    between = f'<div class="archive">{link_list("/blog/2012/07/{}/a-post-of-the-blog-of-this-month", 20)}</div>'
    url = "https://institution.test/blog/2012/07/21/weekly-address-remembering-the-victims"
    # The page's name is the blog's, the heading over the paragraph names no page: the links are what the <h1> heads.
    assert_listing(extract(video_page(between=between, window_title="The Institution's Blog"), url))


def test_a_short_post_under_its_h3_title_beside_a_list_of_recent_posts_is_an_article() -> None:
    # Blog themes title the post with an <h3> (the <h1> is the blog's name, or there is none) linking to the post's own
    # page; the sidebar lists the blog's recent posts, one link each. The window title names the post: its heading
    # heads the prose, and the recent posts beside it are a rail.
    url = "https://blog.test/2012/11/riding-the-wave-of-diversity"
    recent = link_list("/2012/10/{}/an-earlier-post-of-this-blog", 24)
    paragraphs = "".join(f"<p>{line}</p>" for line in _SHORT_POST)
    html = f"""<html><head><title>Riding the wave of diversity | Marketing blog</title></head><body>
<div id="main"><div class="post"><h3><a href="{url}">Riding the wave of diversity</a></h3>
<p class="published">by Dick on 5 November, 2012</p>{paragraphs}</div></div>
<div id="sidebar"><h2>Recent posts</h2>{recent}</div></body></html>"""
    result = assert_article(extract(html.encode(), url))
    assert _SHORT_POST[2] in result.text and "earlier post" not in result.text


def test_a_post_fetched_at_another_spelling_of_its_url_whose_title_links_to_its_permalink_is_an_article() -> None:
    # Fetched as the mobile edition (?m=1), the post's title heading links to the permalink without the query: another
    # page by its URL, so it was a teaser, its paragraphs that teaser's summary, and the page a feed of the sidebar's
    # links. The window title shows the heading: it is this page's headline.
    permalink = "https://blog.test/2012/10/not-all-regions-are-created-equal.html"
    recent = link_list("/2012/09/{}/an-earlier-post-of-this-blog.html", 15)
    paragraphs = "".join(f"<p>{line}</p>" for line in _SHORT_POST)
    html = f"""<html><head><title>Scaling blog - Not all regions are created equal</title></head><body>
<div id="sidebar"><h2>Archive</h2>{recent}</div><div id="main"><div class="entry">
<h2 class="title"><a href="{permalink}">Not all regions are created equal</a></h2><div class="body">{paragraphs}</div>
</div></div></body></html>"""
    result = assert_article(extract(html.encode(), permalink + "?m=1"))
    assert _SHORT_POST[0] in result.text and "earlier post" not in result.text


# ------------------------------------------- a crawl and its export: short posts in, a site's own pages (class 2) out
_POLICY = (
    "This privacy policy explains which personal data this website collects when you visit it and why it does.",
    "We store the address of your computer for seven days to protect the website against attacks of every kind.",
    "You may ask us at any time which data we hold about you, and have it corrected or deleted within a month.",
)
_YOAST_PAGE = (
    '<script type="application/ld+json">{{"@context": "https://schema.org", "@graph": ['
    '{{"@type": "WebPage", "@id": "{url}", "name": "{title}"}},'
    '{{"@type": "WebSite", "@id": "/#website", "name": "Projects"}}]}}</script>'
    '<meta property="og:type" content="article">'
)


def wordpress_page(title: str, url: str) -> bytes:
    paragraphs = "".join(f"<p>{line}</p>" for line in _POLICY)
    return f"""<html lang="en"><head><title>{title} | Projects</title>{_YOAST_PAGE.format(url=url, title=title)}</head>
<body><div id="content"><h1>{title}</h1><div class="entry">{paragraphs}</div></div>
<div id="sidebar">{_RAIL}</div></body></html>""".encode()


def test_a_crawl_exports_the_short_post_and_archives_the_site_s_own_pages_as_no_articles(tmp_path: Path) -> None:
    html = ("Content-Type", "text/html; charset=utf-8")
    post, policy, terms = "/hack/diy-doorbell-video-security-system/", "/privacy-policy/", "/terms-and-conditions/"
    with RawSite({"/robots.txt": response(b"User-agent: *\nAllow: /\n", ("Content-Type", "text/plain"))}) as site:
        entries = "".join(f"<url><loc>{site.url}{path}</loc></url>" for path in (post, policy, terms))
        site.routes["/sitemap.xml"] = response(
            f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'.encode(),
            ("Content-Type", "application/xml"),
        )
        site.routes[post] = response(short_post_page(), html)
        site.routes[policy] = response(wordpress_page("Privacy Policy", site.url + policy), html)
        site.routes[terms] = response(wordpress_page("Terms and Conditions", site.url + terms), html)
        run = scrapy_crawl(tmp_path, f"{site.url}/sitemap.xml", "ROBOTSTXT_OBEY=False")
    assert run.returncode == 0, run.log[-3000:]
    with sqlite3.connect(run.database_url.removeprefix("sqlite:///")) as db:
        kinds = dict(db.execute("SELECT url, extracted_as FROM captures WHERE url NOT LIKE '%.xml'").fetchall())
    assert kinds == {site.url + post: "article", site.url + policy: "site-page", site.url + terms: "site-page"}
    exported = newsarchive("export", "--format", "jsonl", "--db", run.database_url)
    assert exported.returncode == 0, exported.stderr[-3000:]
    records = [json.loads(line) for line in exported.stdout.splitlines() if line.strip()]
    assert [r["url"] for r in records] == [site.url + post]
    assert records[0]["text"].startswith(_SHORT_POST[0])
