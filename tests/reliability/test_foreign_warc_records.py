"""Finding: records of other tools' WARCs were ignored without being counted.

A ``response`` record typed ``message/http`` (not ``application/http``), the ``resource`` records
browser-based crawlers store pages as (ArchiveWeb.page, Browsertrix, a WACZ's pages) and revisits
pointing at such resources were read past in silence: no capture, no article, no line in the
summary. The summary had no totals per record type either, so ``dns:``, ``metadata`` and
``request`` records were invisible.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.warc.digests import payload_digest
from tests.support.cli import newsarchive
from tests.support.sample_articles import article_html
from tests.support.warc_files import gzipped, response_record, warc_record

PAGE = article_html("Harbour budget agreed")
RESOURCE_ID = "<urn:uuid:11111111-2222-3333-4444-555555555555>"


def _browser_crawl() -> bytes:
    """What a browser-based crawler leaves: pages as resources, a revisit of one, DNS, metadata."""
    return gzipped(
        warc_record("warcinfo", "", b"software: hand-made\r\n", content_type="application/warc-fields"),
        warc_record("response", "dns:news.example", b"20240501100000\nnews.example. 60 IN A 10.0.0.1\n",
                    content_type="text/dns"),
        response_record("https://news.example/message-http/", article_html("Typed message/http"),
                        content_type="message/http; msgtype=response"),
        warc_record("request", "https://news.example/message-http/", b"GET /message-http/ HTTP/1.1\r\n\r\n",
                    content_type="application/http; msgtype=request"),
        warc_record("resource", "https://news.example/as-resource/", PAGE, content_type="text/html; charset=utf-8",
                    record_id=RESOURCE_ID, warc_headers=(("WARC-Payload-Digest", payload_digest(PAGE)),)),
        warc_record("resource", "https://news.example/logo.png", b"\x89PNG\r\n\x1a\n", content_type="image/png"),
        warc_record("revisit", "https://news.example/as-resource/", b"", content_type="text/html",
                    date="2024-05-02T10:00:00Z",
                    warc_headers=(("WARC-Refers-To", RESOURCE_ID),
                                  ("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
                                  ("WARC-Payload-Digest", payload_digest(PAGE)))),
        warc_record("metadata", "https://news.example/as-resource/", b"outlink: /x\r\n",
                    content_type="application/warc-fields"),
    )  # fmt: skip


def _reextract(tmp_path: Path, data: bytes) -> tuple[str, Path]:
    warc_dir = tmp_path / "warcs"
    warc_dir.mkdir()
    (warc_dir / "browser.warc.gz").write_bytes(data)
    database = tmp_path / "archive.db"
    done = newsarchive("reextract", "--warc-dir", str(warc_dir), "--db", f"sqlite:///{database}", "--workers", "0")
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, database


def test_message_http_responses_resources_and_their_revisits_are_stored(tmp_path: Path) -> None:
    data = _browser_crawl()
    (tmp_path / "check.warc.gz").write_bytes(data)
    with (tmp_path / "check.warc.gz").open("rb") as stream:
        assert len(list(ArchiveIterator(stream))) == 8  # warcio reads every record
    output, database = _reextract(tmp_path, data)
    with sqlite3.connect(database) as db:
        captures = db.execute("SELECT url, record_type, status, content_type FROM captures ORDER BY id").fetchall()
        articles = {
            url for (url,) in db.execute("SELECT c.url FROM article_versions v JOIN captures c ON c.id = v.capture_id")
        }
        revisit_kept = db.execute(
            "SELECT count(*) FROM captures WHERE record_type = 'revisit' AND url LIKE '%/as-resource/'"
        ).fetchone()[0]
    assert ("https://news.example/as-resource/", "resource", 200, "text/html; charset=utf-8") in captures, output
    assert ("https://news.example/logo.png", "resource", 200, "image/png") in captures, output
    assert any(url.endswith("/message-http/") and kind == "response" for url, kind, _, _ in captures), output
    assert {"https://news.example/message-http/", "https://news.example/as-resource/"} <= articles, output
    assert revisit_kept == 1, output  # the revisit found the resource it points at
    assert "revisit whose original" not in output


def test_the_summary_counts_every_record_type_and_what_became_of_it(tmp_path: Path) -> None:
    output, _ = _reextract(tmp_path, _browser_crawl())
    rows = dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)
    assert rows["records read"] == (
        "8 (dns 1, metadata 1, request 1, resource 2, response 1, revisit 1, warcinfo 1)"
    ), output
    assert rows["dns records"] == "not read (its block is no HTTP message) 1", output
    assert rows["resource records"] == "extracted 1; stored as a capture (not HTML, or not 200) 1", output
    assert rows["revisit records"] == "extracted 1", output
    assert rows["warcinfo records"] == "nothing to extract 1", output


def test_the_json_summary_carries_the_same_totals(tmp_path: Path) -> None:
    warc_dir = tmp_path / "warcs"
    warc_dir.mkdir()
    (warc_dir / "browser.warc.gz").write_bytes(_browser_crawl())
    database = tmp_path / "archive.db"
    done = newsarchive(
        "reextract", "--warc-dir", str(warc_dir), "--db", f"sqlite:///{database}", "--workers", "0", "--format", "json"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["records_read"] == 8
    assert summary["records"]["resource"] == {
        "read": 2,
        "outcomes": {"extracted": 1, "stored as a capture (not HTML, or not 200)": 1},
    }
    assert summary["records"]["dns"]["outcomes"] == {"not read (its block is no HTTP message)": 1}
    assert summary["captures_new"] == 4 and summary["skipped"] == 0
