"""Page requisites (issue 23 §1): what a page needs to look as it did is archived with it.

Real crawls of tests/support/requisite_site.py (a site and a CDN on another origin): every URL a
browser loads for its articles, and every srcset candidate, has a response record; a stylesheet a
hundred pages share is fetched once; a second run re-validates instead of storing a second copy;
the level and the caps bound it; requisites are never articles."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from parsel import Selector
from sqlalchemy import select

from archive import models
from archive.db import open_database
from archive.requisite_records import requisites_of
from archive.requisites import css_urls, page_requisites
from tests.support.crawls import crawl_stat, requisite_rows, scrapy_crawl
from tests.support.requisite_site import RequisiteSite
from tests.support.warc_files import warc_records

LAYOUT = "NEWSARCHIVE_REQUISITES=layout"  # the default, which the tests' crawls turn off


def _responses(warc_dir: Path) -> Counter[tuple[str, int]]:
    """(URL, HTTP status) of every response record, counted."""
    found: Counter[tuple[str, int]] = Counter()
    for fields, block in warc_records(warc_dir):
        if fields.get("WARC-Type") == "response":
            status = int(block.split(b" ", 2)[1])
            found[(fields["WARC-Target-URI"], status)] += 1
    return found


def _article_urls(database_url: str) -> set[str]:
    with open_database(database_url)() as session:
        return set(session.scalars(select(models.Article.url)))


def test_every_requisite_is_archived_once_and_revalidated_on_the_next_run(
    requisite_site: RequisiteSite, tmp_path: Path
) -> None:
    requisite_site.clear_log()
    run = scrapy_crawl(tmp_path, requisite_site.listing_url, LAYOUT)
    assert run.returncode == 0, run.log[-3000:]
    archived = _responses(run.warc_dir)
    for article in requisite_site.article_urls():
        # What a script asks for as it runs (the JSON of the script-built story) is no page's
        # markup: render mode records it (tests/test_render.py).
        named = {url for url in requisite_site.requisites_of(article) if "/api/" not in url}
        missing = sorted(url for url in named if archived[(url, 200)] == 0)
        assert missing == [], f"{article}: requisites not archived"
    # Shared by every page, fetched and stored in full once.
    full = Counter((hit.origin, hit.path) for hit in requisite_site.hits() if hit.status == 200)
    assert full[("site", "/static/site.css")] == 1
    assert full[("cdn", "/cdn/theme.css")] == 1
    assert archived[(f"{requisite_site.url}/static/fonts/headline.ttf", 200)] == 1
    # Requisites are archived, not articles.
    articles = _article_urls(run.database_url)
    assert not any("/static/" in url or "/img/" in url or "/cdn/" in url for url in articles)
    assert {u for u in requisite_site.article_urls() if "live-results" not in u} <= articles
    # The run's "pages fetched" are its pages; its requisites are counted apart.
    named = {url for article in requisite_site.article_urls() for url in requisite_site.requisites_of(article)}
    requisite_paths = {url.split("/", 3)[3] for url in named}
    hits = requisite_site.hits()
    fetched_requisites = [hit for hit in hits if hit.path.lstrip("/") in requisite_paths]
    assert crawl_stat(run.log, "newsarchive/requisites_fetched") == len(fetched_requisites) > 0
    with open_database(run.database_url)() as session:
        (pages_fetched,) = session.scalars(select(models.CrawlRun.pages_fetched))
    assert pages_fetched == len(hits) - len(fetched_requisites)

    # The next run: a new edition of the listing, the same stylesheets, icon and script.
    requisite_site.edition += 1
    requisite_site.clear_log()
    again = scrapy_crawl(tmp_path, requisite_site.listing_url, LAYOUT, database_url=run.database_url)
    assert again.returncode == 0, again.log[-3000:]
    assert [hit.status for hit in requisite_site.hits() if hit.path == "/news/"] == [200]
    second = [hit for hit in requisite_site.hits() if "/static/" in hit.path or "/cdn/" in hit.path]
    assert second, "the second run asked for no requisite"
    assert all(hit.conditional and hit.status == 304 for hit in second), second
    # The stylesheets answered 304, and what only they name (an @import, the font, the
    # backgrounds) is re-validated too, read from their archived copies.
    named_by_stylesheets = {
        "/static/base.css",
        "/static/fonts/headline.ttf",
        "/static/img/paper.png",
        "/cdn/masthead.png",
    }
    assert named_by_stylesheets <= {hit.path for hit in second}
    # No second full copy of anything unchanged: every 200 record of a requisite is still the one.
    assert _responses(run.warc_dir)[(f"{requisite_site.url}/static/site.css", 200)] == 1


@pytest.mark.parametrize(
    ("settings", "expect"),
    [
        (("NEWSARCHIVE_REQUISITES=none",), "none"),  # last: it wins
        (("NEWSARCHIVE_REQUISITES_PER_PAGE=2",), "capped"),
        (("NEWSARCHIVE_REQUISITE_MAXSIZE=20000",), "small"),
    ],
)
def test_the_level_and_the_caps_bound_what_is_fetched(
    requisite_site: RequisiteSite, tmp_path: Path, settings: tuple[str, ...], expect: str
) -> None:
    requisite_site.clear_log()
    run = scrapy_crawl(tmp_path, requisite_site.listing_url, LAYOUT, *settings)
    assert run.returncode == 0, run.log[-3000:]
    paths = [hit.path for hit in requisite_site.hits()]
    requisites = [p for p in paths if p.startswith(("/static/", "/img/", "/cdn/", "/api/"))]
    assert len(_article_urls(run.database_url)) >= 2  # articles are found as without requisites
    rows = requisite_rows(run.database_url)
    if expect == "none":
        assert requisites == []
        assert rows == {}, "no page records requisites at level none"
    elif expect == "capped":
        # Two per page at most, however many the page names (18 on an article).
        assert 0 < len(set(requisites)) <= 2 * 4 and "/img/lead-1600.png" not in requisites
        # Its capture records the two it asked for, in the page's order.
        article = f"{requisite_site.url}/news/2026/harbour-bridge-reopens/"
        assert rows[article] == [f"{requisite_site.url}/static/site.css", f"{requisite_site.cdn_url}/cdn/theme.css"]
    else:
        archived = _responses(run.warc_dir)
        assert archived[(f"{requisite_site.url}/static/site.css", 200)] == 1
        # Over the cap: not archived as if whole (the font is ~330 KB, the large lead image too).
        assert archived[(f"{requisite_site.url}/static/fonts/headline.ttf", 200)] == 0
        assert "newsarchive/download_errors/too_large" in run.log or "too large" in run.log.lower()
        # The stylesheet still names it; a replay finds no copy, and says so.
        font = f"{requisite_site.url}/static/fonts/headline.ttf"
        assert font in rows[f"{requisite_site.url}/static/site.css"]
        with open_database(run.database_url)() as session:
            C = models.Capture
            page = session.scalars(select(C).where(C.url.like("%/harbour-bridge-reopens/"))).first()
            assert page is not None
            loaded = {r.url: r for r in requisites_of(session, [(page.id, page.fetched_at)])[page.id]}
        assert loaded[font].record is None and (loaded[font].missing or "").startswith("no capture of this URL")


def test_preloads_lazy_images_and_image_sets_are_requisites_preloaded_media_only_at_all() -> None:
    """What the crawls above cannot show: preloads of each kind, lazy-load attributes other
    than requisite_site's, and the level a preloaded video needs."""
    page = Selector(
        text="""<html><head>
<link rel="preload" as="image" href="/hero.jpg" imagesrcset="/hero-1x.jpg 1x, /hero-2x.jpg 2x">
<link rel="preload" as="font" href="/f.woff2" crossorigin><link rel="modulepreload" href="/app.js">
<link rel="preload" as="video" href="/clip.mp4"><link rel="prefetch" href="/next-story/">
<link rel="Shortcut Icon" href="/favicon.ico"></head><body>
<img data-lazy-src="/a.jpg" data-lazy-srcset="/a-2x.jpg 2x"><img data-original="/b.jpg">
<picture><source data-srcset="/c.webp 1x, /c-2x.webp 2x"><img data-src="/c.jpg"></picture></body></html>"""
    )
    layout = page_requisites(page, "https://example.com/story/", "layout")
    paths = [url.removeprefix("https://example.com") for url in layout]
    assert set(paths) == {
        "/hero.jpg", "/hero-1x.jpg", "/hero-2x.jpg", "/f.woff2", "/app.js", "/favicon.ico",
        "/a.jpg", "/a-2x.jpg", "/b.jpg", "/c.webp", "/c-2x.webp", "/c.jpg",
    }  # fmt: skip
    assert "https://example.com/clip.mp4" in page_requisites(page, "https://example.com/story/", "all")
    # image-set() candidates as bare strings, not the type() that may follow one.
    css = """.hero { background: image-set("a.avif" type("image/avif"), 'a.png' 1x, url(a-2x.png) 2x) }"""
    assert sorted(css_urls(css)) == ["a-2x.png", "a.avif", "a.png"]


# URLs a page may name, resolved: the fast path (spelled as w3lib would spell it, parse skipped)
# must give what safe_url_string gives, and raise where it raises.
_TRICKY_URLS = [
    "https://example.com/a/b.css",
    "https://example.com",  # gains "/"
    "https://example.com?q=1",
    "https://example.com/x?",  # the bare "?" is dropped
    "https://Example.COM/x.css",
    "HTTPS://example.com/x.css",
    "https://example.com/a b.css",
    "https://example.com/a\tb.css",
    "https://example.com/a\x01b.css",
    " https://example.com/x.css ",
    "https://example.com/é.css",
    "https://bücher.example/x.css",
    "https://xn--bcher-kva.example/x.css",
    "https://example.com/%zz/%41%2F.css",
    "https://example.com/a/%2e%2E/b.css",
    "https://example.com/a/./b/../c.css",
    "https://example.com/.well-known/x",
    "https://example.com/x.css#frag",
    "https://example.com/x.css?a='b'",
    "https://example.com/it's.css",
    "https://example.com/a|b[c].css",
    "https://example.com\\x.css",
    "https://example.com/a\\b.css?c\\d",
    "https://user:pw@example.com/x.css",
    "https://example.com:443/x.css",
    "https://example.com:0443/x.css",
    "https://example.com:99999/x.css",
    "https://127.0.0.1/x.css",
    "https://0x7f.1/x.css",
    "https://1.2.3.08/x.css",
    "https://example.123/x.css",
    "https://a..b/x.css",
    "https://-a-.example/x.css",
    "https://[::1]:8080/x.css",
    "https://example.com/x.css?q=ä&r=%20&s=a b",
    "https://example.com/;p?q;r",
    "http://example.com//x//y.css",
]


def _spelled(spell: Callable[[str], str], url: str) -> str:
    try:
        return spell(url)
    except ValueError as exc:
        return f"raises {type(exc).__name__}"


@pytest.mark.parametrize("url", _TRICKY_URLS)
def test_a_requisite_is_spelled_as_w3lib_spells_it_fast_path_or_not(url: str) -> None:
    from w3lib.url import safe_url_string

    from archive.requisites import _requested

    assert _spelled(_requested, url) == _spelled(lambda u: safe_url_string(u, "utf-8"), url)


def test_one_walk_of_the_tree_names_what_each_kinds_xpath_selected_in_their_order() -> None:
    # The order the XPaths gave, kind by kind; an element's srcsets in its attributes' order;
    # markup after </html>, which libxml2 parses into a second root, is read as "//" reads it.
    html = """<html><head><base href="/sub/"><link rel=stylesheet href=a.css><script src=s1.js></script>
    <link rel=preload as=video href=v.mp4><link rel="shortcut icon" href=i.ico></head><body>
    <img data-srcset="d1 1w" src=i1.png srcset="s1 1w" data-lazy-srcset="l1 1w" data-src=ds1.png>
    <input type=image src=in.png><input type=text src=no.png><video poster=p.jpg src=v1.mp4>
    <source src=v2.mp4></video><picture><source data-srcset="pd 1w" srcset="ps 1w"><img src=i2.png>
    </picture><source srcset="loose 1w"><audio src=a1.mp3><source src=a2.mp3></audio><track src=t.vtt>
    <div style="background: url(bg.png)"></div></body></html><script src=after.js></script>"""
    page = "https://example.com/page/"
    layout = [
        "a.css", "i.ico", "s1.js", "after.js", "i1.png", "i2.png", "in.png", "p.jpg", "ds1.png",
        "d1", "s1", "l1", "pd", "ps", "bg.png",
    ]  # fmt: skip
    media = ["v.mp4", "v1.mp4", "a1.mp3", "v2.mp4", "a2.mp3", "t.vtt"]
    expected_all = ["a.css", "v.mp4", *layout[1:9], *media[1:], *layout[9:]]
    base = "https://example.com/sub/"
    assert page_requisites(Selector(text=html), page, "layout") == [base + url for url in layout]
    assert page_requisites(Selector(text=html), page, "all") == [base + url for url in expected_all]


@pytest.mark.parametrize("base", ["https://example.com/a/page.html", "http://example.com/a/", "https://other.example"])
@pytest.mark.parametrize(
    "url", [*_TRICKY_URLS, "https://example.com/x;", "https://example.com/a;b/c;", "//cdn.example/x"]
)
def test_a_written_url_is_resolved_as_urljoin_resolves_it_fast_path_or_not(base: str, url: str) -> None:
    from urllib.parse import urljoin

    from archive.requisites import _joined

    assert _joined(base, url.strip()) == urljoin(base, url.strip()).split("#", 1)[0]


def test_a_requisite_whose_scheme_is_written_in_capitals_is_a_requisite() -> None:
    """A scheme is case-insensitive (RFC 3986 §3.1): a page that writes ``HTTPS://cdn…/site.css``
    loads it in a browser, and Scrapy fetches it. It was dropped as not http(s), and the page
    replayed without its stylesheet."""
    page = Selector(
        text="""<html><head><link rel="stylesheet" href="HTTPS://CDN.example.com/site.css">
<script src="Http://cdn.example.com/app.js"></script></head><body><img src="/a.jpg"></body></html>"""
    )
    found = page_requisites(page, "https://example.com/story/", "layout")
    # Spelled as written or as urljoin gives them back: named_requisites then spells them as Scrapy requests them.
    assert [url.lower() for url in found] == [
        "https://cdn.example.com/site.css", "http://cdn.example.com/app.js", "https://example.com/a.jpg"
    ]  # fmt: skip


def test_the_archived_view_loads_a_requisite_whose_scheme_is_in_capitals_from_the_archive() -> None:
    """The reader's rewrite took only lowercase http(s) for a URL to load from the archive: a
    stylesheet's ``url(HTTPS://…)`` was emptied, though the crawl archived it."""
    from archive.reader.rewrite import ReaderRoutes, rewrite_css

    css = "body { background: url(HTTPS://CDN.example.com/bg.png) } h1 { background: url(Http://x.example/a.png) }"
    rewritten = rewrite_css(css, "https://example.com/site.css", ReaderRoutes(7))
    assert rewritten.count("/capture/7/archived/requisite?url=") == 2, rewritten
