"""Hostile and broken input: each trap gets a logged skip or a clear error, and the run goes on."""

from __future__ import annotations

import gzip
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from archive import models
from archive.db import open_database
from tests.support.crawls import CrawlRun, scrapy_crawl
from tests.support.hostile_site import GOOD_TEXT, SECRET, HostileSite

MAX_SIZE = 8_000_000


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileSite]:
    with HostileSite(MAX_SIZE) as site:
        yield site


@pytest.fixture(scope="module")
def hostile_crawl(hostile: HostileSite, tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlRun, float]:
    started = time.monotonic()
    run = scrapy_crawl(
        tmp_path_factory.mktemp("hostile"),
        f"{hostile.url}/news-feed/ {hostile.url}/links-flood/",
        f"DOWNLOAD_MAXSIZE={MAX_SIZE}",
        f"DOWNLOAD_WARNSIZE={MAX_SIZE // 2}",
        "DOWNLOAD_TIMEOUT=5",
        "RETRY_TIMES=0",
        "NEWSARCHIVE_MAX_LINKS_PER_PAGE=150",
    )
    return run, time.monotonic() - started


def _warc_bytes(warc_dir: Path) -> bytes:
    return b"".join(gzip.decompress(p.read_bytes()) for p in warc_dir.glob("*.warc.gz"))


def test_the_run_survives_every_trap_and_keeps_the_honest_article(hostile_crawl: tuple[CrawlRun, float]) -> None:
    run, _ = hostile_crawl
    assert run.returncode == 0, run.log[-3000:]
    assert "'finish_reason': 'finished'" in run.log
    sessions = open_database(run.database_url, create=False)
    with sessions() as session:
        texts = {a.url: a.current_version.text for a in session.scalars(select(models.Article))}
    honest = [url for url in texts if url.endswith("/news/honest-breakwater-story/")]
    assert honest and GOOD_TEXT in texts[honest[0]]
    for text in texts.values():
        assert "\x00" not in text


def test_each_trap_is_logged_as_skipped(hostile_crawl: tuple[CrawlRun, float]) -> None:
    log = hostile_crawl[0].log
    assert re.search(r"decompression-bomb-story.*exceeded DOWNLOAD_MAXSIZE|exceeded DOWNLOAD_MAXSIZE.*bomb", log)
    # One line per URL that cannot be downloaded (crawler/download_errors.py).
    assert re.search(r"download failed: \S+/huge-response-story/: .*larger than download max size", log)
    assert re.search(r"download failed: \S+/endless-response-story/: .*larger than download max size", log)
    assert re.search(r"slow-loris-story.*took longer than 5.0 seconds", log)
    assert "'offsite/filtered': 1" in log  # the redirect to another host was dropped


def test_nothing_secret_or_offsite_is_fetched_or_archived(
    hostile_crawl: tuple[CrawlRun, float], hostile: HostileSite
) -> None:
    run, _ = hostile_crawl
    archived = _warc_bytes(run.warc_dir)
    assert SECRET.encode() not in archived  # no file:// redirect followed, no XXE resolved
    assert b"lollollol" not in archived  # the billion laughs were never expanded
    assert not any(p.startswith("/stolen") for p in hostile.paths)
    # a redirect loop stops: a handful of hops, not an endless ping-pong
    assert hostile.paths.count("/loop-b/") <= 11


def test_a_page_with_100k_links_does_not_flood_the_frontier(
    hostile_crawl: tuple[CrawlRun, float], hostile: HostileSite
) -> None:
    run, seconds = hostile_crawl
    followed = [p for p in hostile.paths if p.startswith("/page-")]
    assert 0 < len(followed) <= 150
    assert "links; following the first" in run.log
    assert seconds < 240
