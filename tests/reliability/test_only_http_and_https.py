"""Only http and https are crawled, and a start URL is one URL, commas and all.

A ``file://`` start URL archived local files (in WARCs whose digests fail ``warcio check``), an
``ftp://`` one was attempted, and ``/kraj,12345.html`` (a common shape on Polish sites) was split at
its comma into two URLs. Now another scheme is refused up front, by ``newsarchive crawl``,
``scrapy crawl -a start_url=`` and ``newsarchive enqueue`` alike, a link or sitemap entry of another
scheme is never followed, and several start URLs are separate CLI arguments (``-a start_url=``:
separated by whitespace).
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from archive import models
from archive.db import open_database
from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun, distributed_worker_crawl, redis_key_prefix, scrapy_crawl
from tests.support.raw_site import RawSite, response

SECRET = "root:x:0:0:the-local-file-that-must-never-be-archived"
REDIS_URL = os.environ.get("NEWSARCHIVE_TEST_REDIS_URL", "")
COMMA_PATH = "/kraj,12345.html"


def _html(body: str) -> bytes:
    return response(f"<!doctype html><html><body>{body}</body></html>".encode(), ("Content-Type", "text/html"))


def _article(title: str) -> bytes:
    paragraph = f"<p>{title} was reported on Tuesday by the regional council, which met in the evening.</p>"
    return _html(f"<article><h1>{title}</h1>{paragraph * 4}</article>")


@pytest.fixture(scope="module")
def site() -> Iterator[RawSite]:
    with RawSite({}) as site:
        ftp = site.url.replace("http://", "ftp://")  # the same host and port: only the scheme is wrong
        site.routes.update(
            {
                "/robots.txt": response(f"Sitemap: {ftp}/sitemap.xml\nSitemap: {site.url}/sitemap.xml\n".encode()),
                "/news-feed/": _html(
                    f'<link rel="next" href="{ftp}/news-feed/page/2/">'
                    f'<link rel="alternate" type="application/rss+xml" href="{ftp}/rss.xml">'
                    f'<a href="{ftp}/news/an-ftp-story-about-the-river/">An ftp story about the river</a>'
                    '<a href="/news/an-honest-story-about-the-river/">An honest story about the river</a>'
                ),
                "/sitemap.xml": response(
                    (
                        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                        f"<url><loc>{ftp}/news/a-sitemap-ftp-story/</loc></url></urlset>"
                    ).encode(),
                    ("Content-Type", "application/xml"),
                ),
                "/news/an-honest-story-about-the-river/": _article("An honest story about the river"),
                COMMA_PATH: _article("Kraj: a story whose address has a comma"),
                "/second-start/": _article("A second start URL of the same crawl"),
            }
        )
        yield site


def _fetched(run: CrawlRun) -> list[str]:
    sessions = open_database(run.database_url, create=False)
    with sessions() as session:
        return list(session.scalars(select(models.Capture.url)))


def _warc_bytes(warc_dir: Path) -> bytes:
    return b"".join(gzip.decompress(p.read_bytes()) for p in warc_dir.glob("*.warc.gz"))


def test_file_and_ftp_start_urls_are_refused_by_the_cli_in_one_line(tmp_path: Path, site: RawSite) -> None:
    secret = tmp_path / "secret.html"
    secret.write_text(f"<html><body><p>{SECRET}</p></body></html>")
    for url in (secret.as_uri(), f"{site.url.replace('http://', 'ftp://')}/news-feed/"):
        done = newsarchive("crawl", url, "--db", f"sqlite:///{tmp_path / 'a.db'}", "--warc-dir", str(tmp_path / "warc"))
        assert done.returncode == 2, done.stderr[-2000:]
        assert done.stderr == f"newsarchive: error: only http and https URLs are crawled, not {url}\n"
        assert not (tmp_path / "warc").exists()


def test_a_file_start_url_is_refused_by_scrapy_crawl(tmp_path: Path) -> None:
    secret = tmp_path / "secret.html"
    secret.write_text(f"<html><body><p>{SECRET}</p></body></html>")
    run = scrapy_crawl(tmp_path, secret.as_uri())
    assert run.returncode != 0
    assert f"only http and https URLs are crawled, not {secret.as_uri()}" in run.log
    assert not list(tmp_path.rglob("*.warc.gz"))


def test_enqueue_refuses_another_scheme_in_one_line() -> None:
    for url in ("ftp://news.example/feed.xml", "file:///etc/passwd"):
        done = newsarchive("enqueue", url, "--redis", "redis://127.0.0.1:1/0")
        assert done.returncode == 2
        assert done.stderr == f"newsarchive: error: only http and https URLs are crawled, not {url}\n"


def test_links_sitemaps_and_feeds_of_another_scheme_are_never_followed(tmp_path: Path, site: RawSite) -> None:
    run = scrapy_crawl(tmp_path, f"{site.url}/news-feed/", "DOWNLOAD_TIMEOUT=3", "RETRY_TIMES=0")
    assert run.returncode == 0, run.log[-3000:]
    fetched = _fetched(run)
    assert f"{site.url}/news/an-honest-story-about-the-river/" in fetched
    assert all(url.startswith("http://") for url in fetched)
    # Not attempted at all: no download error, no timeout, no skip line names an ftp:// URL.
    assert "ftp://" not in run.log, [line for line in run.log.splitlines() if "ftp://" in line]
    assert not re.search(rb"WARC-Target-URI: (?!http)", _warc_bytes(run.warc_dir))


def test_a_comma_in_a_start_url_keeps_it_one_url(tmp_path: Path, site: RawSite) -> None:
    done = newsarchive(
        "crawl",
        f"{site.url}{COMMA_PATH}",
        f"{site.url}/second-start/",
        "--db",
        f"sqlite:///{tmp_path / 'cli.db'}",
        "--warc-dir",
        str(tmp_path / "cli-warc"),
        "--set",
        "AUTOTHROTTLE_ENABLED=False",
        "--set",
        "NEWSARCHIVE_EXTRACT_WORKERS=1",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    cli = _fetched(CrawlRun(f"sqlite:///{tmp_path / 'cli.db'}", tmp_path / "cli-warc", 0, ""))
    assert {f"{site.url}{COMMA_PATH}", f"{site.url}/second-start/"} <= set(cli)
    assert not [url for url in cli if url.endswith(("/kraj", "12345.html")) and "," not in url]
    # scrapy crawl: several start URLs in one -a start_url= are separated by whitespace.
    run = scrapy_crawl(tmp_path / "scrapy", f"{site.url}{COMMA_PATH}  {site.url}/second-start/")
    assert run.returncode == 0, run.log[-3000:]
    assert {f"{site.url}{COMMA_PATH}", f"{site.url}/second-start/"} <= set(_fetched(run))


@pytest.mark.skipif(not REDIS_URL, reason="NEWSARCHIVE_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/0)")
def test_an_enqueued_start_url_with_a_comma_is_crawled_whole(tmp_path: Path, site: RawSite) -> None:
    with redis_key_prefix(REDIS_URL) as prefix:
        done = newsarchive("enqueue", f"{site.url}{COMMA_PATH}", "--redis", REDIS_URL, "--prefix", prefix)
        assert done.returncode == 0, done.stderr
        worker = distributed_worker_crawl(tmp_path, REDIS_URL, prefix)
    assert worker.returncode == 0, worker.log[-3000:]
    assert re.search(r"seed \{.*kraj,12345\.html.*\}: \d+ start requests", worker.log), worker.log[-3000:]
    assert f"{site.url}{COMMA_PATH}" in _fetched(worker)
