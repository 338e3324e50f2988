"""Spider traps: documents that would make the crawl fetch, hold or log without end.

Real `scrapy crawl` runs against a raw-socket site on 127.0.0.1: a chain of sitemap indexes each
naming the next, a sitemap of 200,000 URLs, a feed of thousands of entries, URLs over
URLLENGTH_LIMIT arriving as a link, from robots.txt and as a redirect, and a response with a header
name HTTP does not allow. Each cap that bites is one warning and a stat; nothing is fetched past it.
"""

from __future__ import annotations

import contextlib
import re
import resource
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from archive import models
from archive.db import open_database
from tests.support.cli import ROOT
from tests.support.crawls import CrawlRun, crawl_command, crawl_env, crawl_stat, scrapy_crawl
from tests.support.raw_site import RawSite, response

CHAIN = 60  # sitemap indexes, each naming the next
FEED_ENTRIES = 2_000
FEED_CAP = 40
BIG_SITEMAP = 200_000
HEAD_LINKS = 3_000  # feeds a listing announces in its head
MAX_LINKS = 100
LONG_PATH = "/news/" + "very-long-story-slug-" * 120 + "/"  # over Scrapy's URLLENGTH_LIMIT of 2083


def _xml(body: str) -> bytes:
    return response(body.encode(), ("Content-Type", "application/xml"))


def _html(body: str) -> bytes:
    return response(f"<!doctype html><html><body>{body}</body></html>".encode(), ("Content-Type", "text/html"))


def _index(url: str) -> str:
    return f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>{url}</loc></sitemap></sitemapindex>'


def _feed(base: str, entries: int) -> str:
    items = "".join(
        f"<item><title>Story {i}</title><link>{base}/news/feed-story-number-{i}/</link></item>" for i in range(entries)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>All of it</title>{items}</channel></rss>'


def _trap_routes(base: str) -> dict[str, bytes]:
    routes = {
        "/robots.txt": response(
            f"User-agent: *\nSitemap: {base}/sitemap-0.xml\nSitemap: {base}{LONG_PATH}sitemap.xml\n".encode(),
            ("Content-Type", "text/plain"),
        ),
        "/news-feed/": _html(
            '<link rel="alternate" type="application/rss+xml" href="/all.rss">'
            + "".join(
                f'<link rel="alternate" type="application/rss+xml" href="/feed-{i}.rss">' for i in range(HEAD_LINKS)
            )
            + f'<a href="{LONG_PATH}">A story whose address goes on and on</a>'
            '<a href="/news/redirect-to-a-long-story/">A story that moved somewhere very long</a>'
            '<a href="/news/bad-header-name-story/">A story served with a bad header name</a>'
        ),
        "/all.rss": response(_feed(base, FEED_ENTRIES).encode(), ("Content-Type", "application/rss+xml")),
        "/news/redirect-to-a-long-story/": response(b"", ("Location", f"{base}{LONG_PATH}moved/"), status="302 Found"),
        "/news/bad-header-name-story/": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nBad Name: x\r\n"
        b"Content-Length: 5\r\nConnection: close\r\n\r\nhello",
    }
    for level in range(CHAIN):
        routes[f"/sitemap-{level}.xml"] = _xml(_index(f"{base}/sitemap-{level + 1}.xml"))
    return routes


@pytest.fixture(scope="module")
def trap_crawl(tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    """One crawl of a site holding every trap but the big sitemap, from its listing; robots.txt
    names the sitemap chain and a long URL."""
    settings = (
        f"NEWSARCHIVE_FEED_MAX_ENTRIES={FEED_CAP}",
        f"NEWSARCHIVE_MAX_LINKS_PER_PAGE={MAX_LINKS}",
        "RETRY_TIMES=0",
        "DOWNLOAD_TIMEOUT=10",
    )
    with RawSite({}) as site:
        site.routes.update(_trap_routes(site.url))
        return scrapy_crawl(tmp_path_factory.mktemp("traps"), f"{site.url}/news-feed/", *settings)


def _fetched(run: CrawlRun) -> list[str]:
    """Every URL the crawl fetched, as the captures (404s included) record them."""
    sessions = open_database(run.database_url, create=False)
    with sessions() as session:
        return list(session.scalars(select(models.Capture.url)))


def test_a_chain_of_sitemap_indexes_stops_at_the_depth_cap(trap_crawl: CrawlRun) -> None:
    assert trap_crawl.returncode == 0, trap_crawl.log[-3000:]
    sitemaps = sorted(int(m.group(1)) for url in _fetched(trap_crawl) if (m := re.search(r"/sitemap-(\d+)\.xml$", url)))
    # robots.txt names sitemap-0; NEWSARCHIVE_SITEMAP_MAX_DEPTH (3) indexes below it are followed.
    assert sitemaps == [0, 1, 2, 3]
    assert re.search(r"WARNING: \S+/sitemap-3\.xml is a sitemap index nested 3 deep: not following", trap_crawl.log)
    assert crawl_stat(trap_crawl.log, "newsarchive/capped/sitemap_depth") == 1


def test_a_huge_feed_is_read_up_to_its_cap(trap_crawl: CrawlRun) -> None:
    articles = [url for url in _fetched(trap_crawl) if "/news/feed-story-number-" in url]
    assert len(articles) == FEED_CAP
    assert re.search(rf"WARNING: \S+/all\.rss lists more than {FEED_CAP} entries: reading the first", trap_crawl.log)
    assert "NEWSARCHIVE_FEED_MAX_ENTRIES" in trap_crawl.log
    assert crawl_stat(trap_crawl.log, "newsarchive/capped/feed_entries") == 1


def test_a_listing_announcing_thousands_of_feeds_is_read_up_to_the_links_cap(trap_crawl: CrawlRun) -> None:
    feeds = [url for url in _fetched(trap_crawl) if re.search(r"/feed-\d+\.rss$", url)]
    assert len(feeds) == MAX_LINKS - 1  # /all.rss comes first
    assert re.search(rf"/news-feed/ has more than {MAX_LINKS} links; following the first {MAX_LINKS}", trap_crawl.log)


def test_urls_over_the_length_limit_are_logged_counted_and_never_fetched(trap_crawl: CrawlRun) -> None:
    assert not [url for url in _fetched(trap_crawl) if len(url) > 2083]
    # A link, a sitemap robots.txt names, a redirect's target: each one warning, cut short.
    lines = re.findall(
        r"WARNING: not fetched: (\S+): URL of (\d+) characters, over URLLENGTH_LIMIT \(2083\)", trap_crawl.log
    )
    assert len(lines) == 3, trap_crawl.log[-5000:]
    assert all(shown.endswith("...") and len(shown) < 300 for shown, _ in lines)
    assert crawl_stat(trap_crawl.log, "newsarchive/skipped/url_too_long") == 3


def test_a_response_with_an_invalid_header_name_is_one_line_and_acrawl_stat(trap_crawl: CrawlRun) -> None:
    assert re.search(
        r"ERROR: download failed: \S+/news/bad-header-name-story/: invalid header name 'bad name' in the response",
        trap_crawl.log,
    )
    assert crawl_stat(trap_crawl.log, "newsarchive/download_errors/invalid_header_name") == 1
    assert "Traceback" not in trap_crawl.log


def _big_sitemap(base: str) -> bytes:
    urls = "".join(
        f"<url><loc>{base}/news/story-number-{i}-of-many/</loc><lastmod>2026-01-01</lastmod></url>"
        for i in range(BIG_SITEMAP)
    )
    return _xml(f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>')


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _crawl_measured(tmp: Path, start_url: str, *settings: str) -> tuple[CrawlRun, int, float]:
    """A `scrapy crawl`, its peak resident memory (VmHWM: Scrapy's memusage stats start from the
    size of the process that started the crawl, here pytest's) and the CPU seconds it took."""
    log_path = tmp / "crawl.log"
    cpu_before = _children_cpu_seconds()
    with log_path.open("w") as log:
        command = crawl_command(tmp, [f"start_url={start_url}"], *settings)
        crawl = subprocess.Popen(command, cwd=ROOT, env=crawl_env(), stdout=log, stderr=subprocess.STDOUT)
        peak = 0
        while crawl.poll() is None:
            with contextlib.suppress(OSError):  # gone between poll() and the read
                found = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{crawl.pid}/status").read_text())
                peak = int(found.group(1)) * 1024 if found else peak
            time.sleep(0.2)
    run = CrawlRun(f"sqlite:///{tmp / 'archive.db'}", tmp / "warc", crawl.returncode, log_path.read_text())
    return run, peak, _children_cpu_seconds() - cpu_before


def test_a_sitemap_of_200000_urls_is_read_up_to_its_cap_in_bounded_time_and_memory(tmp_path: Path) -> None:
    with RawSite({}) as site:
        site.routes["/sitemap.xml"] = _big_sitemap(site.url)
        # The cap is what is measured, not fetching 50,000 pages.
        run, peak, cpu_seconds = _crawl_measured(tmp_path, f"{site.url}/sitemap.xml", "CLOSESPIDER_PAGECOUNT=20")
    assert run.returncode == 0, run.log[-3000:]
    assert re.search(r"WARNING: \S+/sitemap\.xml lists more than 50000 entries: reading the first", run.log)
    assert crawl_stat(run.log, "newsarchive/capped/sitemap_urls") == 1
    assert crawl_stat(run.log, "newsarchive/incremental/fetch/new") == 50_000
    # Before: 750 MB and 67 s for the whole sitemap, every URL a request; now ~300 MB and ~12 s.
    assert 0 < peak < 450_000_000
    assert cpu_seconds < 45
