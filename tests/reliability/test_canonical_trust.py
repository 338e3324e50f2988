"""A page joins the article it names as canonical only when the evidence agrees.

Any page of a site can carry ``<link rel=canonical>``: a user's post on the site's community pages
named the real article as its canonical and became its current version. Real crawls of raw-socket
sites on 127.0.0.1, then ``newsarchive reextract`` of their WARCs, which must decide the same.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

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


def crawl(tmp: Path, site: RawSite, *paths: str) -> CrawlRun:
    run = scrapy_crawl(tmp, ",".join(site.url + p for p in paths), "ROBOTSTXT_OBEY=False")
    assert run.returncode == 0, run.log[-3000:]
    return run


def versions(database_url: str) -> dict[str, list[str]]:
    """Per article URL, the texts of its versions in order, the current one last."""
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
        rows = db.execute(
            "SELECT a.url, v.text FROM articles a JOIN article_versions v ON v.article_id = a.id "
            "ORDER BY a.url, v.number"
        ).fetchall()
    found: dict[str, list[str]] = {}
    for url, text in rows:
        found.setdefault(url, []).append(text)
    return found


def rebuilt(run: CrawlRun, tmp: Path) -> dict[str, list[str]]:
    """What `newsarchive reextract` of the crawl's WARCs makes of them in an empty database."""
    database_url = f"sqlite:///{tmp / 'rebuilt.db'}"
    done = newsarchive("reextract", "--warc-dir", str(run.warc_dir), "--db", database_url, "--workers", "0")
    assert done.returncode == 0, done.stderr[-3000:]
    return versions(database_url)


def test_a_post_naming_a_captured_article_as_canonical_is_stored_as_itself(site: RawSite, tmp_path: Path) -> None:
    site.routes[ARTICLE] = response(page("Mayor announces new budget", REAL_TEXT, canonical(site.url + ARTICLE)), HTML)
    site.routes[POST] = response(page("The mayor resigns", FORGED_TEXT, canonical(site.url + ARTICLE)), HTML)
    crawl(tmp_path, site, ARTICLE)
    run = crawl(tmp_path, site, POST)

    stored = versions(run.database_url)
    (real,) = stored[site.url + ARTICLE]
    assert REAL_TEXT in real
    (post,) = stored[site.url + POST]
    assert FORGED_TEXT in post
    assert f"canonical {site.url + ARTICLE} of {site.url + POST} not followed" in run.log
    assert rebuilt(run, tmp_path) == stored
