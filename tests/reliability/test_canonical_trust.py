"""A page joins the article it names as canonical only when the evidence agrees.

Any page of a site can carry ``<link rel=canonical>``: a user's post on the site's community pages
named the real article as its canonical and became its current version. Real crawls of raw-socket
sites on 127.0.0.1, then ``newsarchive reextract`` of their WARCs, which must decide the same.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive import models
from archive.db import open_database
from archive.warc.redirects import RedirectChains
from tests.support.archive_data import DatabaseFactory
from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun, scrapy_crawl
from tests.support.raw_site import RawSite, response

HTML = ("Content-Type", "text/html; charset=utf-8")
ARTICLE = "/news/2024/03/12/mayor-announces-new-budget"
POST = "/community/user-posts/12345-the-mayor-resigns-over-the-budget"
REAL_TEXT = (
    "The mayor announced a new city budget on Tuesday that raises spending on schools and public transport. "
    "The council will vote on the proposal next month after three public hearings."
)
FORGED_TEXT = (
    "The mayor resigned on Tuesday after the council rejected the new budget, a city hall source said. "
    "Residents gathered outside city hall as the news spread through the evening."
)


def page(title: str, text: str, head: str = "") -> bytes:
    """An article page: *head* goes into <head> (declarations), *text* makes four paragraphs."""
    paragraphs = "".join(f"<p>{text} Paragraph {i}.</p>" for i in range(4))
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta property='og:type' content='article'>{head}</head>"
        f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


def canonical(url: str) -> str:
    return f"<link rel='canonical' href='{url}'>"


@pytest.fixture(scope="module")
def site() -> Iterator[RawSite]:
    with RawSite({}) as raw:
        yield raw


def crawl(tmp: Path, site: RawSite, *paths: str, database_url: str | None = None) -> CrawlRun:
    run = scrapy_crawl(tmp, " ".join(site.url + p for p in paths), "ROBOTSTXT_OBEY=False", database_url=database_url)
    assert run.returncode == 0, run.log[-3000:]
    return run


def versions(database_url: str) -> dict[str, list[str]]:
    """Per article URL, the texts of its versions in order, the current one last."""
    sessions = open_database(database_url, create=False)
    A, V = models.Article, models.ArticleVersion
    with sessions() as session:
        rows = session.execute(select(A.url, V.text).join(V, V.article_id == A.id).order_by(A.url, V.number))
        found: dict[str, list[str]] = {}
        for url, text in rows:
            found.setdefault(url, []).append(text)
    sessions.kw["bind"].dispose()
    return found


def rebuilt(run: CrawlRun, database_url: str) -> dict[str, list[str]]:
    """What `newsarchive reextract` of the crawl's WARCs makes of them in the empty *database_url*."""
    done = newsarchive("reextract", "--warc-dir", str(run.warc_dir), "--db", database_url, "--workers", "0")
    assert done.returncode == 0, done.stderr[-3000:]
    return versions(database_url)


def test_a_post_naming_a_captured_article_as_canonical_is_stored_as_itself(
    site: RawSite, tmp_path: Path, backend: str, new_database_url: DatabaseFactory
) -> None:
    site.routes[ARTICLE] = response(page("Mayor announces new budget", REAL_TEXT, canonical(site.url + ARTICLE)), HTML)
    site.routes[POST] = response(page("The mayor resigns", FORGED_TEXT, canonical(site.url + ARTICLE)), HTML)
    database_url = new_database_url(backend)
    crawl(tmp_path, site, ARTICLE, database_url=database_url)
    run = crawl(tmp_path, site, POST, database_url=database_url)

    stored = versions(run.database_url)
    (real,) = stored[site.url + ARTICLE]
    assert REAL_TEXT in real
    (post,) = stored[site.url + POST]
    assert FORGED_TEXT in post
    assert f"canonical {site.url + ARTICLE} of {site.url + POST} not followed" in run.log
    assert rebuilt(run, new_database_url(backend)) == stored


def test_a_post_naming_an_article_not_yet_captured_is_stored_as_itself(site: RawSite, tmp_path: Path) -> None:
    # The community page's own head says where it lives; the canonical link came in with the post.
    article, post = "/news/2024/03/13/harbour-reopens", "/community/user-posts/12346-harbour-closed-for-good"
    site.routes[article] = response(page("Harbour reopens", REAL_TEXT, canonical(site.url + article)), HTML)
    head = f"<meta property='og:url' content='{site.url + post}'>"
    body = page("Harbour closed for good", FORGED_TEXT, head).replace(
        b"<article>", f"<article>{canonical(site.url + article)}".encode()
    )
    site.routes[post] = response(body, HTML)
    run = crawl(tmp_path, site, post)
    assert f"the page also names {site.url + post} as its own URL" in run.log
    run = crawl(tmp_path, site, article)

    stored = versions(run.database_url)
    assert [FORGED_TEXT in text for text in stored[site.url + post]] == [True]
    assert [REAL_TEXT in text for text in stored[site.url + article]] == [True]
    assert rebuilt(run, f"sqlite:///{tmp_path / 'rebuilt.db'}") == stored


def test_the_same_story_at_another_address_joins_its_article(site: RawSite, tmp_path: Path) -> None:
    """AMP and print copies, before and after the article itself was captured: one article, one version."""
    article = "/news/2024/03/14/bridge-vote"
    declared = canonical(site.url + article) + f"<meta property='og:url' content='{site.url + article}'>"
    story = response(page("Council votes on the bridge", REAL_TEXT, declared), HTML)
    site.routes.update({article: story, article + "/amp": story, article + "?output=print": story})
    crawl(tmp_path, site, article + "/amp")
    crawl(tmp_path, site, article)
    run = crawl(tmp_path, site, article + "?output=print")

    stored = versions(run.database_url)
    assert list(stored) == [site.url + article] and len(stored[site.url + article]) == 1
    assert "not followed" not in run.log
    assert rebuilt(run, f"sqlite:///{tmp_path / 'rebuilt.db'}") == stored


def test_a_redirect_from_the_canonical_url_is_evidence_enough(site: RawSite, tmp_path: Path) -> None:
    """The site moved its story and redirects the old address: the new page, naming the old one as
    canonical, is the article's next version, on the crawl and on reextract."""
    old, new = "/news/2024/03/15/ferry-strike", "/news/2024/03/15/ferry-strike-ends"
    site.routes[old] = response(page("Ferry strike", REAL_TEXT, canonical(site.url + old)), HTML)
    crawl(tmp_path, site, old)
    head = canonical(site.url + old) + f"<meta property='og:url' content='{site.url + new}'>"
    site.routes[new] = response(page("Ferry strike ends", FORGED_TEXT, head), HTML)
    site.routes[old] = response(b"moved", ("Location", site.url + new), status="301 Moved Permanently")
    run = crawl(tmp_path, site, old)

    stored = versions(run.database_url)
    assert list(stored) == [site.url + old]
    assert [REAL_TEXT in text for text in stored[site.url + old]] == [True, False]
    assert FORGED_TEXT in stored[site.url + old][1]
    assert rebuilt(run, f"sqlite:///{tmp_path / 'rebuilt.db'}") == stored


def test_a_canonical_naming_a_listing_is_not_followed(site: RawSite, tmp_path: Path) -> None:
    """A CMS that names the front page, or a section page, as every article's canonical."""
    section = "/world"
    stories = [f"/news/2024/03/16/story-number-{n}" for n in range(3)]
    teasers = "".join(f"<article><h2><a href='{path}'>Story {n}</a></h2></article>" for n, path in enumerate(stories))
    collection = '<script type=\'application/ld+json\'>{"@type": "CollectionPage"}</script>'
    site.routes[section] = response(f"<html><head>{collection}</head><body>{teasers}</body></html>".encode(), HTML)
    crawl(tmp_path, site, section)
    for n, path in enumerate(stories):
        named = site.url + ("/" if n < 2 else section)
        head = canonical(named) + f"<meta property='og:url' content='{named}'>"
        site.routes[path] = response(page(f"Story {n}", f"{REAL_TEXT} Story {n}.", head), HTML)
    run = crawl(tmp_path, site, *stories)

    stored = versions(run.database_url)
    assert sorted(stored) == sorted(site.url + path for path in stories)
    assert run.log.count("is a listing's") == 3
    assert rebuilt(run, f"sqlite:///{tmp_path / 'rebuilt.db'}") == stored


def test_a_copy_does_not_bring_back_a_removed_article(site: RawSite, tmp_path: Path) -> None:
    """The story was taken down (404); a stale copy elsewhere on the site still names it as canonical."""
    article = "/news/2024/03/17/retracted-report"
    story = response(page("A report later retracted", REAL_TEXT, canonical(site.url + article)), HTML)
    site.routes.update({article: story, article + "/amp": story})
    crawl(tmp_path, site, article)
    site.routes[article] = response(b"gone", ("Content-Type", "text/plain"), status="404 Not Found")
    crawl(tmp_path, site, article)
    run = crawl(tmp_path, site, article + "/amp")

    assert "that article is marked removed" in run.log
    with sqlite3.connect(run.database_url.removeprefix("sqlite:///")) as db:
        removed = dict(db.execute("SELECT url, removed_at IS NOT NULL FROM articles").fetchall())
    assert removed == {site.url + article: 1, site.url + article + "/amp": 0}


def test_a_meta_refresh_is_not_taken_for_a_redirect(site: RawSite, tmp_path: Path) -> None:
    """A refresh is markup in a page, not a redirect the WARC records: the crawl and reextract both
    keep the page it led to apart from an article it does not match."""
    old, new = "/news/2024/03/18/tram-line", "/news/2024/03/18/tram-line-cancelled"
    site.routes[old] = response(page("Tram line", REAL_TEXT, canonical(site.url + old)), HTML)
    crawl(tmp_path, site, old)
    refresh = f"<html><head><meta http-equiv='refresh' content='0; url={new}'></head><body></body></html>"
    site.routes[old] = response(refresh.encode(), HTML)
    site.routes[new] = response(page("Tram line cancelled", FORGED_TEXT, canonical(site.url + old)), HTML)
    run = crawl(tmp_path, site, old)

    stored = versions(run.database_url)
    assert [REAL_TEXT in text for text in stored[site.url + old]] == [True]
    assert [FORGED_TEXT in text for text in stored[site.url + new]] == [True]
    assert rebuilt(run, f"sqlite:///{tmp_path / 'rebuilt.db'}") == stored


def test_a_later_404_of_a_tracking_link_removes_its_article(tmp_path: Path) -> None:
    """Another tool's WARC fetched the story by its link from a feed, tracking parameters and all,
    and later found it gone: the 404 is about the article the 200 was stored as."""
    url = "https://news.example/news/2024/03/19/bus-fares-rise?utm_source=rss&utm_medium=feed"
    warc = tmp_path / "warc" / "other-tool.warc.gz"
    warc.parent.mkdir()
    with warc.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for status, body, date in (
            ("200 OK", page("Bus fares rise", REAL_TEXT), "2024-03-19T10:00:00Z"),
            ("404 Not Found", b"gone", "2024-03-25T10:00:00Z"),
        ):
            headers = StatusAndHeaders(status, [HTML], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=headers, warc_headers_dict={"WARC-Date": date}
            )
            writer.write_record(record)
    database = tmp_path / "archive.db"
    done = newsarchive("reextract", "--warc-dir", str(warc.parent), "--db", f"sqlite:///{database}", "--workers", "0")
    assert done.returncode == 0, done.stderr[-3000:]
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT url, removed_at FROM articles").fetchall()
    assert [(article, removed is not None) for article, removed in rows] == [
        ("https://news.example/news/2024/03/19/bus-fares-rise", True)
    ]


def test_redirects_waiting_for_their_target_are_bounded() -> None:
    """A run over millions of records keeps the most recent redirects not yet followed, not all of them."""
    chains = RedirectChains(keep=3)
    for n in range(5):
        chains.answered(f"https://news.example/go/{n}", (), 301, f"/news/story-{n}?utm_source=go")
    assert chains.arrived("https://news.example/news/story-0") == ()  # forgotten: its target never came
    assert chains.arrived("https://news.example/news/story-4") == ("https://news.example/go/4",)
    assert chains.arrived("https://news.example/news/story-4") == ()  # one fetch took it
