"""Finding: WARC records rebuilt the HTTP messages instead of storing what crossed the wire.

Status lines were rebuilt (``200 Fine Thanks`` stored as ``200 OK``), header names re-cased and
reordered, hop-by-hop headers dropped, chunked bodies stored de-chunked, header bytes outside ASCII
re-encoded, request headers reordered. A server that logs its own bytes is crawled over http and
https: every record's block must be exactly what the server read or wrote.
"""

from __future__ import annotations

import gzip
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc.digests import payload_digest
from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun, capture_rows, scrapy_crawl
from tests.support.raw_site import RawSite, chunked_response, response, self_signed_tls
from tests.support.sample_articles import article_html
from tests.support.warc_files import warc_records

HTML = ("Content-Type", "text/html; charset=utf-8")
ODD_HEADERS = (
    ("ETag", '"odd-1"'),
    ("WWW-Authenticate", "Basic realm=news"),
    ("X-custom-HEADER", "kept as sent"),
    ("Link", "</a.css>; rel=preload"),
    ("X-Latin", b"caf\xe9"),
    ("Link", "</b.js>; rel=preload"),
    ("X-Utf8", "café".encode()),
    ("Keep-Alive", "timeout=5, max=100"),
)
ARTICLES = {
    "/news/odd-reason-story/": response(
        article_html("Odd reason phrase"), *ODD_HEADERS, HTML, status="200 Fine Thanks", close=False
    ),
    "/news/a-gzip-coded-story/": response(
        gzip.compress(article_html("Gzip body")),
        HTML,
        ("Content-Encoding", "gzip"),
        ("Vary", "Accept-Encoding"),
        close=False,
    ),
    "/news/a-chunked-body-story/": chunked_response(
        [article_html("Chunked body")[:700], article_html("Chunked body")[700:]], HTML, ("Connection", "keep-alive")
    ),
    "/news/moved-elsewhere-story/": response(
        b"", ("Location", "/news/landed-after-redirect-story/"), status="301 Moved", close=False
    ),
    "/news/after-an-interim-story/": b"HTTP/1.1 100 Continue\r\n\r\n"
    + response(article_html("After an interim 100"), HTML),
}
LANDED = response(article_html("Landed after a redirect"), HTML, ("x-lower-case", "yes"), close=False)
# What the record of each path holds: the final response, without the interim 100 Twisted skips.
EXPECTED_BLOCK = {"/news/after-an-interim-story/": ARTICLES["/news/after-an-interim-story/"].split(b"\r\n\r\n", 1)[1]}


def _routes() -> dict[str, bytes]:
    listing = "".join(f"<li><a href='{path}'>{path}</a></li>" for path in ARTICLES)
    return {
        **ARTICLES,
        "/news/landed-after-redirect-story/": LANDED,
        "/news/": response(f"<html><body><h1>News</h1><ul>{listing}</ul></body></html>".encode(), HTML, close=False),
        "/robots.txt": response(b"User-agent: *\nAllow: /\n", ("Content-Type", "text/plain"), close=False),
    }


@pytest.fixture(scope="module", params=["http", "https"])
def crawled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RawSite, CrawlRun]]:
    tls = self_signed_tls(tmp_path_factory.mktemp("tls")) if request.param == "https" else None
    with RawSite(_routes(), tls=tls) as site:
        run = scrapy_crawl(tmp_path_factory.mktemp(f"wire-{request.param}"), f"{site.url}/news/")
        assert run.returncode == 0, run.log[-3000:]
        yield site, run


def _blocks(site: RawSite, run: CrawlRun, warc_type: str) -> dict[str, bytes]:
    """The block of each record of *warc_type*, by the path of its URL."""
    return {
        fields["WARC-Target-URI"].removeprefix(site.url): block
        for fields, block in warc_records(run.warc_dir)
        if fields["WARC-Type"] == warc_type
    }


def test_every_response_record_holds_the_bytes_the_server_wrote(crawled: tuple[RawSite, CrawlRun]) -> None:
    site, run = crawled
    sent = {exchange.path: exchange.response for exchange in site.exchanges}
    recorded = _blocks(site, run, "response")
    assert set(recorded) == set(sent) >= {*ARTICLES, "/news/landed-after-redirect-story/", "/robots.txt"}
    for path, block in recorded.items():
        assert block == EXPECTED_BLOCK.get(path, sent[path]), path


def test_every_request_record_holds_the_bytes_the_server_read(crawled: tuple[RawSite, CrawlRun]) -> None:
    site, run = crawled
    read = {exchange.path: exchange.request for exchange in site.exchanges}
    assert _blocks(site, run, "request") == read


def test_connections_are_kept_alive(crawled: tuple[RawSite, CrawlRun]) -> None:
    site, _ = crawled
    # Recording must not cost keep-alive: responses without "Connection: close" reuse their connection.
    assert site.connections < len(site.exchanges)
    assert len({exchange.connection for exchange in site.exchanges}) == site.connections


def test_warcio_checks_every_digest_and_reads_every_record_de_chunked(crawled: tuple[RawSite, CrawlRun]) -> None:
    _, run = crawled
    bodies, problems = {}, {}
    for path in sorted(run.warc_dir.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream, check_digests=True):
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                body = record.content_stream().read()  # warcio checks as it reads, as `warcio check` does
                if record.rec_type == "response":
                    bodies[url.split("/", 3)[3]] = body
                if record.digest_checker.passed is False:
                    problems[url.split("/", 3)[3]] = list(record.digest_checker.problems)
    chunked = "news/a-chunked-body-story/"
    assert bodies[chunked] == article_html("Chunked body")
    # warcio hashes the chunked framing for the payload digest (warcio#74, open); WARC 1.1 §6.3.2 says
    # "with any transfer-encoding removed", as Heritrix and warcprox do: that record's payload digest
    # is the one difference, and it is the digest of the de-chunked body.
    assert {url: [p.split(" sha1:")[0] for p in found] for url, found in problems.items()} == {
        chunked: ["payload digest failed"]
    }
    records = {
        f["WARC-Target-URI"].split("/", 3)[3]: f for f, _ in warc_records(run.warc_dir) if f["WARC-Type"] == "response"
    }
    assert records[chunked]["WARC-Payload-Digest"] == payload_digest(article_html("Chunked body"))


def test_warcio_check_passes_on_a_crawl_without_chunked_bodies(sample_crawl: CrawlRun) -> None:
    files = sorted(str(path) for path in sample_crawl.warc_dir.glob("*.warc.gz"))
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", *files], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_capture_rows_read_the_recorded_header_lines(crawled: tuple[RawSite, CrawlRun]) -> None:
    site, run = crawled
    with sqlite3.connect(run.database_url.removeprefix("sqlite:///")) as db:
        rows = dict(db.execute("SELECT url, etag FROM captures").fetchall())
    assert rows[f"{site.url}/news/odd-reason-story/"] == '"odd-1"'
    with sqlite3.connect(run.database_url.removeprefix("sqlite:///")) as db:
        titles = {row[0] for row in db.execute("SELECT title FROM article_versions")}
    assert {
        "Odd reason phrase",
        "Gzip body",
        "Chunked body",
        "Landed after a redirect",
        "After an interim 100",
    } <= titles


def test_large_bodies_are_recorded_exactly_through_the_spool(tmp_path: Path) -> None:
    # Over NEWSARCHIVE_WARC_SPOOL_BYTES the body goes to a temporary file: the record is the same bytes.
    big = article_html("A very long report").replace(
        b"</article>", b"<p>" + b"more words " * 60_000 + b"</p></article>"
    )
    routes = {
        "/news/": response(b"<html><body><a href='/news/a-long-report-story/'>long</a></body></html>", HTML),
        "/news/a-long-report-story/": chunked_response([big[i : i + 50_000] for i in range(0, len(big), 50_000)], HTML),
    }
    with RawSite(routes) as site:
        run = scrapy_crawl(tmp_path, f"{site.url}/news/", "ROBOTSTXT_OBEY=False", "NEWSARCHIVE_WARC_SPOOL_BYTES=65536")
        assert run.returncode == 0, run.log[-3000:]
    blocks = {f["WARC-Target-URI"]: b for f, b in warc_records(run.warc_dir) if f["WARC-Type"] == "response"}
    assert blocks[f"{site.url}/news/a-long-report-story/"] == routes["/news/a-long-report-story/"]


def test_reextract_of_wire_records_reads_every_capture_as_the_crawl_did(
    crawled: tuple[RawSite, CrawlRun], tmp_path: Path
) -> None:
    # Chunked framing, odd case, repeated and non-ASCII header lines: the record is what the crawl
    # read, so re-reading it gives the same capture row, column for column.
    _, run = crawled
    database_url = f"sqlite:///{tmp_path / 'again.db'}"
    done = newsarchive("reextract", "--warc-dir", str(run.warc_dir), "--db", database_url, "--workers", "0")
    assert done.returncode == 0, done.stderr[-3000:]
    assert capture_rows(database_url) == capture_rows(run.database_url)
