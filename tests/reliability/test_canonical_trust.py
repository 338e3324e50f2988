"""A page joins the article it names as canonical only when the evidence agrees.

Any page of a site can carry ``<link rel=canonical>``: a user's post on the site's community pages
named the real article as its canonical and became its current version. Real crawls of raw-socket
sites on 127.0.0.1, then ``newsarchive reextract`` of their WARCs, which must decide the same.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
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


# -- the scenarios below share their crawls: one a stage --------------------------------------------
# Each scenario is a few crawls of its own pages, the site changing between them. A crawl's cost is
# mostly its start-up, so stage n of every scenario is one crawl (their pages apart: no page of
# one names a page of another), into one archive; each test reads its own pages' versions and
# log lines, and `newsarchive reextract` of the whole archive must decide the same for them.
Stage = tuple[dict[str, bytes], tuple[str, ...]]  # routes set before the stage's crawl, the paths it starts from

NOT_YET_CAPTURED = "/news/2024/03/13/harbour-reopens", "/community/user-posts/12346-harbour-closed-for-good"
ELSEWHERE = "/news/2024/03/14/bridge-vote"
MOVED = "/news/2024/03/15/ferry-strike", "/news/2024/03/15/ferry-strike-ends"
SECTION = "/world"
SECTION_STORIES = tuple(f"/news/2024/03/16/story-number-{n}" for n in range(3))
RETRACTED = "/news/2024/03/17/retracted-report"
REFRESHED = "/news/2024/03/18/tram-line", "/news/2024/03/18/tram-line-cancelled"


def _not_yet_captured(base: str) -> list[Stage]:
    # The community page's own head says where it lives; the canonical link came in with the post.
    article, post = NOT_YET_CAPTURED
    head = f"<meta property='og:url' content='{base + post}'>"
    body = page("Harbour closed for good", FORGED_TEXT, head).replace(
        b"<article>", f"<article>{canonical(base + article)}".encode()
    )
    routes = {
        article: response(page("Harbour reopens", REAL_TEXT, canonical(base + article)), HTML),
        post: response(body, HTML),
    }
    return [(routes, (post,)), ({}, (article,))]


def _elsewhere(base: str) -> list[Stage]:
    """AMP and print copies, before and after the article itself was captured."""
    article = ELSEWHERE
    declared = canonical(base + article) + f"<meta property='og:url' content='{base + article}'>"
    story = response(page("Council votes on the bridge", REAL_TEXT, declared), HTML)
    routes = {article: story, article + "/amp": story, article + "?output=print": story}
    return [(routes, (article + "/amp",)), ({}, (article,)), ({}, (article + "?output=print",))]


def _moved(base: str) -> list[Stage]:
    """The site moves its story and redirects the old address to the new, which names the old as canonical."""
    old, new = MOVED
    head = canonical(base + old) + f"<meta property='og:url' content='{base + new}'>"
    moved = {
        new: response(page("Ferry strike ends", FORGED_TEXT, head), HTML),
        old: response(b"moved", ("Location", base + new), status="301 Moved Permanently"),
    }
    return [({old: response(page("Ferry strike", REAL_TEXT, canonical(base + old)), HTML)}, (old,)), (moved, (old,))]


def _section(base: str) -> list[Stage]:
    """A CMS that names the front page, or a section page, as every article's canonical."""
    teasers = "".join(
        f"<article><h2><a href='{path}'>Story {n}</a></h2></article>" for n, path in enumerate(SECTION_STORIES)
    )
    collection = '<script type=\'application/ld+json\'>{"@type": "CollectionPage"}</script>'
    listing = response(f"<html><head>{collection}</head><body>{teasers}</body></html>".encode(), HTML)
    stories = {}
    for n, path in enumerate(SECTION_STORIES):
        named = base + ("/" if n < 2 else SECTION)
        head = canonical(named) + f"<meta property='og:url' content='{named}'>"
        stories[path] = response(page(f"Story {n}", f"{REAL_TEXT} Story {n}.", head), HTML)
    return [({SECTION: listing}, (SECTION,)), (stories, SECTION_STORIES)]


def _retracted(base: str) -> list[Stage]:
    """The story is taken down (404); a stale copy elsewhere on the site still names it as canonical."""
    article = RETRACTED
    story = response(page("A report later retracted", REAL_TEXT, canonical(base + article)), HTML)
    gone = response(b"gone", ("Content-Type", "text/plain"), status="404 Not Found")
    return [
        ({article: story, article + "/amp": story}, (article,)),
        ({article: gone}, (article,)),
        ({}, (article + "/amp",)),
    ]


def _refreshed(base: str) -> list[Stage]:
    """The old address becomes a page with a meta refresh to a new one that names the old as canonical."""
    old, new = REFRESHED
    refresh = f"<html><head><meta http-equiv='refresh' content='0; url={new}'></head><body></body></html>"
    refreshed = {
        old: response(refresh.encode(), HTML),
        new: response(page("Tram line cancelled", FORGED_TEXT, canonical(base + old)), HTML),
    }
    return [({old: response(page("Tram line", REAL_TEXT, canonical(base + old)), HTML)}, (old,)), (refreshed, (old,))]


SCENARIOS = (_not_yet_captured, _elsewhere, _moved, _section, _retracted, _refreshed)


@dataclass(frozen=True)
class Staged:
    base: str
    database_url: str
    logs: list[str]  # each stage's crawl log
    stored: dict[str, list[str]]
    rebuilt: dict[str, list[str]]  # what `newsarchive reextract` of the archive's WARCs made of it

    def versions(self, *paths: str, rebuilt: bool = False) -> dict[str, list[str]]:
        """The versions of the articles at *paths* (and only those)."""
        urls = {self.base + path for path in paths}
        return {url: texts for url, texts in (self.rebuilt if rebuilt else self.stored).items() if url in urls}

    def lines(self, stage: int, *paths: str) -> list[str]:
        """The lines of stage *stage*'s crawl log that name one of *paths*' URLs."""
        urls = tuple(self.base + path for path in paths)
        return [line for line in self.logs[stage].splitlines() if any(url in line for url in urls)]


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Staged]:
    tmp = tmp_path_factory.mktemp("canonical-stages")
    with RawSite({}) as site:
        scenarios = [scenario(site.url) for scenario in SCENARIOS]
        logs = []
        for stage in range(max(map(len, scenarios))):
            paths: list[str] = []
            for stages in scenarios:
                if stage < len(stages):
                    routes, starts = stages[stage]
                    site.routes.update(routes)
                    paths += starts
            logs.append(crawl(tmp, site, *paths).log)
        run = CrawlRun(f"sqlite:///{tmp / 'archive.db'}", tmp / "warc", 0, logs[-1])
        stored = versions(run.database_url)
        yield Staged(site.url, run.database_url, logs, stored, rebuilt(run, f"sqlite:///{tmp / 'rebuilt.db'}"))


def test_a_post_naming_an_article_not_yet_captured_is_stored_as_itself(staged: Staged) -> None:
    article, post = NOT_YET_CAPTURED
    assert f"the page also names {staged.base + post} as its own URL" in "\n".join(staged.lines(0, post))
    stored = staged.versions(article, post)
    assert [FORGED_TEXT in text for text in stored[staged.base + post]] == [True]
    assert [REAL_TEXT in text for text in stored[staged.base + article]] == [True]
    assert staged.versions(article, post, rebuilt=True) == stored


def test_the_same_story_at_another_address_joins_its_article(staged: Staged) -> None:
    """AMP and print copies, before and after the article itself was captured: one article, one version."""
    copies = (ELSEWHERE, ELSEWHERE + "/amp", ELSEWHERE + "?output=print")
    stored = staged.versions(*copies)
    assert list(stored) == [staged.base + ELSEWHERE] and len(stored[staged.base + ELSEWHERE]) == 1
    assert [line for line in staged.lines(2, *copies) if "not followed" in line] == []
    assert staged.versions(*copies, rebuilt=True) == stored


def test_a_redirect_from_the_canonical_url_is_evidence_enough(staged: Staged) -> None:
    """The site moved its story and redirects the old address: the new page, naming the old one as
    canonical, is the article's next version, on the crawl and on reextract."""
    old, _ = MOVED
    stored = staged.versions(*MOVED)
    assert list(stored) == [staged.base + old]
    assert [REAL_TEXT in text for text in stored[staged.base + old]] == [True, False]
    assert FORGED_TEXT in stored[staged.base + old][1]
    assert staged.versions(*MOVED, rebuilt=True) == stored


def test_a_canonical_naming_a_listing_is_not_followed(staged: Staged) -> None:
    """A CMS that names the front page, or a section page, as every article's canonical."""
    stored = staged.versions(SECTION, *SECTION_STORIES)
    assert sorted(stored) == sorted(staged.base + path for path in SECTION_STORIES)
    assert sum("is a listing's" in line for line in staged.lines(1, *SECTION_STORIES)) == 3
    assert staged.versions(SECTION, *SECTION_STORIES, rebuilt=True) == stored


def test_a_copy_does_not_bring_back_a_removed_article(staged: Staged) -> None:
    """The story was taken down (404); a stale copy elsewhere on the site still names it as canonical."""
    article = staged.base + RETRACTED
    assert "that article is marked removed" in "\n".join(staged.lines(2, RETRACTED + "/amp"))
    with sqlite3.connect(staged.database_url.removeprefix("sqlite:///")) as db:
        removed = dict(db.execute("SELECT url, removed_at IS NOT NULL FROM articles").fetchall())
    assert {url: removed[url] for url in removed if url.startswith(article)} == {article: 1, article + "/amp": 0}


def test_a_meta_refresh_is_not_taken_for_a_redirect(staged: Staged) -> None:
    """A refresh is markup in a page, not a redirect the WARC records: the crawl and reextract both
    keep the page it led to apart from an article it does not match."""
    old, new = REFRESHED
    stored = staged.versions(*REFRESHED)
    assert [REAL_TEXT in text for text in stored[staged.base + old]] == [True]
    assert [FORGED_TEXT in text for text in stored[staged.base + new]] == [True]
    assert staged.versions(*REFRESHED, rebuilt=True) == stored


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
