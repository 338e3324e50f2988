"""Finding: ``reextract`` of a WACZ (Browsertrix's and ArchiveWeb.page's output) was "not a WARC
file": its WARCs had to be unzipped first, and its ``pages.jsonl``, which says which HTML records
are the pages the crawler was sent to and which are requisites (frames, ads, widgets), was unused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from archive.warc.digests import payload_digest
from tests.support.cli import newsarchive
from tests.support.sample_articles import article_html
from tests.support.warc_files import gzipped, http_response, response_record, wacz, warc_record

PAGE = article_html("Harbour budget agreed")
FRAME = article_html("An advertiser's frame that reads like a story")


def _crawl() -> dict[str, bytes]:
    revisit = warc_record(
        "revisit", "https://news.example/budget/", http_response(b""),
        content_type="application/http; msgtype=response", date="2024-05-02T10:00:00Z",
        warc_headers=(("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
                      ("WARC-Payload-Digest", payload_digest(PAGE))),
    )  # fmt: skip
    # fmt: off
    return {
        "crawl-1.warc.gz": gzipped(
            warc_record("warcinfo", "", b"software: browsertrix\r\n", content_type="application/warc-fields"),
            response_record(
                "https://news.example/budget/", PAGE, warc_headers=(("WARC-Payload-Digest", payload_digest(PAGE)),)
            ),
            response_record("https://ads.example/frame.html", FRAME),
            warc_record(
                "resource", "urn:pageinfo:https://news.example/budget/", b"{}", content_type="application/json"
            ),
            revisit,
        ),
        "crawl-2.warc": response_record("https://news.example/ferry/", article_html("Ferry terminal opens")),
    }
    # fmt: on


def _reextract(tmp_path: Path, package: Path, exit_code: int = 0) -> tuple[str, Path]:
    database = tmp_path / "archive.db"
    done = newsarchive("reextract", str(package), "--db", f"sqlite:///{database}", "--workers", "0")
    assert done.returncode == exit_code, done.stdout + done.stderr[-3000:]
    return done.stdout + done.stderr, database


def test_a_wacz_is_reextracted_in_place_with_its_pages_as_the_articles(tmp_path: Path) -> None:
    package = wacz(tmp_path / "crawl.wacz", _crawl(), ["https://news.example/budget/", "https://news.example/ferry/"])
    output, database = _reextract(tmp_path, package)
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT c.url, c.record_type, c.warc_file, c.warc_offset, count(v.id) FROM captures c"
            " LEFT JOIN article_versions v ON v.capture_id = c.id GROUP BY c.id ORDER BY c.id"
        ).fetchall()
    versions = {(url, kind): count for url, kind, _, _, count in rows}
    assert versions[("https://news.example/budget/", "response")] == 1, output
    assert versions[("https://news.example/ferry/", "response")] == 1, output
    assert versions[("https://news.example/budget/", "revisit")] == 0, output  # found its original: unchanged
    assert versions[("https://ads.example/frame.html", "response")] == 0, output  # a requisite, not an article
    assert "stored as a capture (a requisite: not in the package's pages) 1" in output
    # Each capture names the package and the record's offset in it: the record is read back from there.
    data = package.read_bytes()
    for url, _, warc_file, offset, _ in rows:
        assert Path(warc_file) == package.resolve()
        assert data[offset : offset + 2] == b"\x1f\x8b" or data[offset : offset + 5] == b"WARC/", url


def test_a_deflated_warc_inside_a_wacz_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    package = wacz(tmp_path / "deflated.wacz", _crawl(), [], deflated=("crawl-2.warc",))
    output, database = _reextract(tmp_path, package, exit_code=1)
    assert "WARC deflated inside the package" in output and "crawl-2.warc" in output
    with sqlite3.connect(database) as db:
        (articles,) = db.execute("SELECT count(*) FROM article_versions").fetchone()
    assert articles == 2, output  # no pages list: every HTML page is a page (the frame too)


def test_a_file_named_wacz_that_is_no_zip_is_one_clear_skip(tmp_path: Path) -> None:
    (tmp_path / "broken.wacz").write_bytes(b"PK\x03\x04 not really")
    output, _ = _reextract(tmp_path, tmp_path / "broken.wacz", exit_code=1)
    assert "not a readable WACZ (zip) file" in output and "Traceback" not in output
