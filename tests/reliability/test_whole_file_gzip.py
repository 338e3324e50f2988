"""Finding: a WARC gzipped whole (one gzip member for the file, as ``gzip crawl.warc`` leaves it)
was refused under 32 MiB uncompressed ("several records in one gzip member") and, over 32 MiB,
read as 0 records, 0 skipped, exit 0: a silent loss of the file."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.warc.digests import payload_digest
from tests.support.cli import newsarchive
from tests.support.sample_articles import article_html
from tests.support.warc_files import http_response, response_record, warc_record


def _articles(prefix: str, count: int) -> list[bytes]:
    return [response_record(f"https://news.example/{prefix}-{i}/", article_html(f"{prefix} {i}")) for i in range(count)]


def _reextract(tmp_path: Path, data: bytes, *, exit_code: int = 0) -> tuple[str, dict[str, tuple[str, int]]]:
    warc_dir = tmp_path / "warcs"
    warc_dir.mkdir()
    (warc_dir / "whole.warc.gz").write_bytes(data)
    database = tmp_path / "archive.db"
    done = newsarchive("reextract", "--warc-dir", str(warc_dir), "--db", f"sqlite:///{database}", "--workers", "0")
    assert done.returncode == exit_code, done.stdout + done.stderr[-3000:]
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT c.url, c.record_type, count(v.id) FROM captures c"
            " LEFT JOIN article_versions v ON v.capture_id = c.id GROUP BY c.id"
        ).fetchall()
    return done.stdout + done.stderr, {url: (kind, versions) for url, kind, versions in rows}


def test_a_small_whole_file_gzip_is_read_and_its_revisits_resolved(tmp_path: Path) -> None:
    first = article_html("first")
    digest = payload_digest(first)
    records = [
        warc_record("warcinfo", "", b"software: gzip\r\n", content_type="application/warc-fields"),
        response_record("https://news.example/first/", first, warc_headers=(("WARC-Payload-Digest", digest),)),
        *_articles("small", 3),
        warc_record(
            "revisit", "https://news.example/first/", http_response(b""),
            content_type="application/http; msgtype=response", date="2024-05-03T10:00:00Z",
            warc_headers=(("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
                          ("WARC-Payload-Digest", digest)),
        ),
    ]  # fmt: skip
    (tmp_path / "check.warc").write_bytes(b"".join(records))
    with (tmp_path / "check.warc").open("rb") as stream:
        assert len(list(ArchiveIterator(stream))) == 6  # warcio reads them uncompressed (it refuses them gzipped)
    data = gzip.compress(b"".join(records))
    output, captures = _reextract(tmp_path, data)
    assert len(captures) == 4, output  # by URL: the revisit shares its original's
    assert all(captures[f"https://news.example/small-{i}/"] == ("response", 1) for i in range(3)), output
    assert "skipped: " not in output and "several records" not in output
    # The revisit is found by its payload digest and its original is read back from the gzip stream.
    assert "revisit records: extracted 1" in output, output


def test_a_whole_file_gzip_over_32_mib_is_streamed(tmp_path: Path) -> None:
    big = warc_record(
        "response",
        "https://news.example/big.jpg",
        http_response(b"\0" * (34 * 1024 * 1024), content_type="image/jpeg"),
        content_type="application/http; msgtype=response",
    )
    data = gzip.compress(b"".join([*_articles("before", 3), big, *_articles("after", 3)]), compresslevel=1)
    output, captures = _reextract(tmp_path, data)
    assert len(captures) == 7, output
    assert all(
        captures[f"https://news.example/{p}-{i}/"] == ("response", 1) for p in ("before", "after") for i in range(3)
    )
    assert captures["https://news.example/big.jpg"] == ("response", 0)
    assert "records read: 7 (response 7)" in output


def test_a_truncated_whole_file_gzip_fails_loudly_keeping_what_came_before(tmp_path: Path) -> None:
    data = gzip.compress(b"".join(_articles("cut", 40)))
    output, captures = _reextract(tmp_path, data[: len(data) * 2 // 3], exit_code=1)
    assert 10 < len(captures) < 40, output
    assert "skipped: corrupt or truncated gzip stream" in output or "skipped: record truncated" in output, output
