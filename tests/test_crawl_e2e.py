"""End to end: a real `scrapy crawl newsfeed` of the sample site, read back from WARC and the DB."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from base64 import b32encode
from pathlib import Path

from sqlalchemy import func, select
from warcio.archiveiterator import ArchiveIterator

from archive import models
from archive.db import open_database
from archive.sample_site import SampleSite, load_articles
from archive.urls import canonicalize
from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun, scrapy_crawl

ARTICLES = load_articles()


def _records(warc_dir: Path) -> list[tuple[str, dict[str, str], bytes, str, int]]:
    """(type, WARC headers, block bytes as stored, file name, offset) of every record, in order.

    The block is cut from the decompressed gzip member by hand, so it is the stored bytes, not
    warcio's parsed view of them."""
    found = []
    for path in sorted(warc_dir.iterdir()):
        data = path.read_bytes()
        with path.open("rb") as stream:
            iterator = ArchiveIterator(stream)
            for record in iterator:
                record.raw_stream.read()
                offset, length = iterator.get_record_offset(), iterator.get_record_length()
                member = gzip.decompress(data[offset : offset + length])
                head, _, rest = member.partition(b"\r\n\r\n")
                headers = dict(record.rec_headers.headers)
                block = rest[: int(headers["Content-Length"])]
                assert head.startswith(b"WARC/1.1")
                found.append((record.rec_type, headers, block, path.name, offset))
    return found


def _sha1_b32(data: bytes) -> str:
    return "sha1:" + b32encode(hashlib.sha1(data).digest()).decode()


def test_warc_files_are_closed_and_pass_warcio_check(sample_crawl: CrawlRun) -> None:
    names = [p.name for p in sample_crawl.warc_dir.iterdir()]
    assert names and all(n.endswith(".warc.gz") for n in names), names
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, sample_crawl.warc_dir.iterdir())],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_warc_records_are_exactly_what_the_server_sent(sample_crawl: CrawlRun, sample_site: SampleSite) -> None:
    records = _records(sample_crawl.warc_dir)
    assert records[0][0] == "warcinfo"
    assert b"robots: obey" in records[0][2]
    responses = {h["WARC-Record-ID"]: (h, p) for t, h, p, _, _ in records if t == "response"}
    requests = [h for t, h, _, _, _ in records if t == "request"]
    # every response has its request, linked by WARC-Concurrent-To, same target
    assert len(requests) == len(responses)
    for request in requests:
        response_headers, _ = responses[request["WARC-Concurrent-To"]]
        assert response_headers["WARC-Target-URI"] == request["WARC-Target-URI"]
    urls = {h["WARC-Target-URI"] for h, _ in responses.values()}
    assert f"{sample_site.url}/robots.txt" in urls
    article = ARTICLES[0]
    article_url = f"{sample_site.url}{article.path}"
    headers, block = next((h, p) for h, p in responses.values() if h["WARC-Target-URI"] == article_url)
    http_head, _, payload = block.partition(b"\r\n\r\n")
    # gzip-encoded as sent: the stored payload is the compressed body, digests over the stored bytes
    assert b"Content-Encoding: gzip" in http_head
    assert payload[:2] == b"\x1f\x8b"
    page = gzip.decompress(payload).decode("utf-8")
    assert article.paragraphs[0] in page
    assert headers["WARC-Payload-Digest"] == _sha1_b32(payload)
    assert headers["WARC-Block-Digest"] == _sha1_b32(block)
    assert headers["WARC-IP-Address"] == "127.0.0.1"
    assert not any(h.get("WARC-Target-URI", "").endswith("/private/secret/") for h, _ in responses.values())


def test_database_holds_every_article_once_with_clean_text(sample_crawl: CrawlRun, sample_site: SampleSite) -> None:
    sessions = open_database(sample_crawl.database_url, create=False)
    with sessions() as session:
        stored = {a.url: a for a in session.scalars(select(models.Article))}
        expected = {canonicalize(f"{sample_site.url}{a.path}"): a for a in ARTICLES}
        assert set(stored) == set(expected)  # no listings, tag or author pages, no duplicates
        for url, sample in expected.items():
            version = stored[url].current_version
            assert version is not None and version.number == 1
            assert version.title == sample.title
            assert [a.name for a in version.authors] == list(sample.authors)
            assert version.published is not None
            assert version.published[:19] == sample.published[:19]
            for paragraph in sample.paragraphs:
                assert paragraph in version.text, (url, paragraph)
            for clutter in (*sample.clutter, *SampleSite.SITE_CLUTTER):
                assert clutter not in version.text, (url, clutter)
        # every page fetched is a capture, and each points at a readable record of that URL
        captures = session.scalars(select(models.Capture)).all()
        assert len(captures) >= len(expected) + 3  # + robots.txt, listing pages, feeds/sitemaps
        for capture in captures:
            with (sample_crawl.warc_dir / capture.warc_file).open("rb") as stream:
                stream.seek(capture.warc_offset)
                record = next(iter(ArchiveIterator(stream)))
                assert record.rec_headers.get_header("WARC-Target-URI") == capture.url
                assert record.rec_headers.get_header("WARC-Record-ID") == capture.warc_record_id
        assert session.scalar(select(func.count()).select_from(models.Site)) == 1


def test_export_lists_every_article(sample_crawl: CrawlRun) -> None:
    done = newsarchive("export", "--format", "jsonl", "--db", sample_crawl.database_url)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == len(ARTICLES)
    required = {
        "url",
        "title",
        "authors",
        "published",
        "modified",
        "language",
        "text",
        "site",
        "fetched_at",
        "warc_file",
        "warc_offset",
    }
    for row in rows:
        assert required <= row.keys()
        assert row["language"] == "en"
        assert (sample_crawl.warc_dir / row["warc_file"]).is_file()
    csv_done = newsarchive("export", "--format", "csv", "--db", sample_crawl.database_url)
    assert csv_done.returncode == 0 and csv_done.stdout.count("\n") > len(ARTICLES)


def test_second_crawl_adds_captures_but_no_versions(
    sample_crawl_copy: CrawlRun, sample_site: SampleSite, tmp_path: Path
) -> None:
    again = scrapy_crawl(tmp_path, f"{sample_site.url}/news-feed/", database_url=sample_crawl_copy.database_url)
    assert again.returncode == 0
    sessions = open_database(sample_crawl_copy.database_url, create=False)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(models.Article)) == len(ARTICLES)
        assert session.scalar(select(func.count()).select_from(models.ArticleVersion)) == len(ARTICLES)


def test_home_page_crawl_archives_redirects_and_errors(sample_site: SampleSite, tmp_path: Path) -> None:
    run = scrapy_crawl(tmp_path, f"{sample_site.url}/")
    assert run.returncode == 0, run.log[-3000:]
    sessions = open_database(run.database_url, create=False)
    with sessions() as session:
        statuses = {c.url: c.status for c in session.scalars(select(models.Capture))}
        assert statuses[f"{sample_site.url}{SampleSite.MISSING_PATH}"] == 404
        assert 301 in statuses.values()
        assert session.scalar(select(func.count()).select_from(models.Article)) == len(ARTICLES)
