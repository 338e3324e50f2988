"""Finding: WARCs other tools write were lost whole, or misreported, for their framing.

node-warc ends records with one CRLF instead of two: every record of such a file was skipped
("record does not end where its Content-Length says") though warcio reads them all. A lower-case
``warc/1.0`` version line was refused, and a record whose WARC-Date cannot be read was reported as
lacking one.
"""

from __future__ import annotations

import gzip
import hashlib
import sqlite3
import uuid
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.warc.digests import payload_digest
from tests.support.cli import newsarchive
from tests.support.sample_articles import article_html


def _record(
    url: str,
    body: bytes,
    *,
    version: str = "WARC/1.0",
    date: str = "2024-03-04T05:06:07Z",
    trailer: bytes,
    digests: tuple[str, str] | None = None,
) -> bytes:
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n" + (
        f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    )
    record_id = uuid.UUID(hashlib.md5(url.encode()).hexdigest())
    head = (
        f"{version}\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{record_id}>"
        f"\r\nWARC-Date: {date}\r\nWARC-Target-URI: {url}\r\nContent-Type: application/http; msgtype=response\r\n"
        + (f"WARC-Block-Digest: {digests[0]}\r\nWARC-Payload-Digest: {digests[1]}\r\n" if digests else "")
        + f"Content-Length: {len(block)}\r\n\r\n"
    )
    return head.encode() + block + trailer


def _reextract(tmp_path: Path, name: str, data: bytes, *, exit_code: int = 0) -> tuple[str, int]:
    warc_dir = tmp_path / name
    warc_dir.mkdir()
    (warc_dir / (f"{name}.warc.gz" if data.startswith(b"\x1f\x8b") else f"{name}.warc")).write_bytes(data)
    database = tmp_path / f"{name}.db"
    done = newsarchive("reextract", "--warc-dir", str(warc_dir), "--db", f"sqlite:///{database}", "--workers", "0")
    assert done.returncode == exit_code, done.stderr[-3000:]  # 1: the run skipped records
    with sqlite3.connect(database) as db:
        (captures,) = db.execute("SELECT count(*) FROM captures").fetchone()
    return done.stdout + done.stderr, captures


def test_records_closed_by_one_crlf_are_all_read(tmp_path: Path) -> None:
    data = b"".join(
        _record(f"https://news.example/story-{i}/", article_html(f"Story {i}"), trailer=b"\r\n") for i in range(30)
    )
    with (tmp_path / "check.warc").open("wb") as out:
        out.write(data)
    with (tmp_path / "check.warc").open("rb") as stream:
        assert sum(record.rec_type == "response" for record in ArchiveIterator(stream)) == 30  # warcio reads them
    output, captures = _reextract(tmp_path, "one-crlf", data)
    assert captures == 30, output
    assert "skipped (bad input)" in output and "does not end" not in output


def test_bare_lf_and_missing_trailers_are_read_too(tmp_path: Path) -> None:
    trailers = [b"\n\n", b"\n", b"", b"\r\n\r\n\r\n"]
    data = b"".join(
        _record(f"https://news.example/lf-{i}/", article_html(f"Trailer {i}"), trailer=trailer)
        for i, trailer in enumerate(trailers)
    )
    output, captures = _reextract(tmp_path, "trailers", data)
    assert captures == len(trailers), output


def test_a_lower_case_version_line_is_read(tmp_path: Path) -> None:
    data = b"".join(
        _record(f"https://news.example/lower-{i}/", article_html(f"Lower {i}"), version="warc/1.0", trailer=b"\r\n\r\n")
        for i in range(3)
    )
    output, captures = _reextract(tmp_path, "lower", data)
    assert captures == 3, output


def test_an_unreadable_warc_date_is_reported_as_such(tmp_path: Path) -> None:
    data = _record(
        "https://news.example/bad-date/", article_html("Bad date"), date="yesterday-ish", trailer=b"\r\n\r\n"
    )
    data += _record("https://news.example/good-date/", article_html("Good date"), trailer=b"\r\n\r\n")
    output, captures = _reextract(tmp_path, "dates", data, exit_code=1)
    assert captures == 1, output
    assert "unreadable WARC-Date" in output and "lacks WARC-Target-URI" not in output


def _block(body: bytes) -> bytes:
    return _record("x", body, trailer=b"").split(b"\r\n\r\n", 1)[1]


def test_a_wrong_payload_digest_is_flagged_and_never_used(tmp_path: Path) -> None:
    # The block digest is right (the bytes are intact), the payload digest is not (a writer's bug):
    # the page is stored, its capture carries no digest a revisit could be matched to, the run says so.
    body = article_html("Wrong payload digest")
    good_block = payload_digest(_block(body))
    data = _record("https://news.example/wrong/", body, trailer=b"\r\n\r\n", digests=(good_block, payload_digest(b"x")))
    right = payload_digest(body)
    data += _record("https://news.example/right/", article_html("Right"), trailer=b"\r\n\r\n")
    data += _record("https://news.example/both/", body, trailer=b"\r\n\r\n", digests=(good_block, right))
    output, captures = _reextract(tmp_path, "digests", data)
    assert captures == 3, output
    assert "wrong payload digests (records kept, digest not used)" in output
    with sqlite3.connect(tmp_path / "digests.db") as db:
        digests = dict(db.execute("SELECT url, payload_digest FROM captures").fetchall())
    assert digests["https://news.example/wrong/"] is None
    assert digests["https://news.example/both/"] == right


def test_clueweb_dates_records_without_an_id_and_cr_cr_lf_lines_are_read(tmp_path: Path) -> None:
    # ClueWeb09 wrote the day of the year as the day (294: 20 October 2008); webarchive-commons'
    # test data has records without WARC-Record-ID; pywb's, header lines ending in CR CR LF.
    clueweb = _record("https://news.example/clueweb/", article_html("Clueweb"), date="2008-10-294T05:21:46-0700",
                      trailer=b"\r\n\r\n")  # fmt: skip
    no_id = _record("https://news.example/no-id/", article_html("No id"), trailer=b"\r\n\r\n")
    no_id = no_id.replace(no_id[no_id.index(b"WARC-Record-ID") : no_id.index(b"\r\nWARC-Date")], b"X-No-Id: 1")
    crcr = _record("https://news.example/cr-cr-lf/", article_html("CR CR LF"), trailer=b"\r\n\r\n")
    head_end = crcr.index(b"\r\n\r\n") + 4
    crcr = crcr[:head_end].replace(b"\r\n", b"\r\r\n") + crcr[head_end:]
    output, captures = _reextract(tmp_path, "quirks", clueweb + no_id + crcr)
    assert captures == 3, output
    with sqlite3.connect(tmp_path / "quirks.db") as db:
        rows = dict(db.execute("SELECT url, fetched_at FROM captures").fetchall())
        (versions,) = db.execute("SELECT count(*) FROM article_versions").fetchone()
    assert rows["https://news.example/clueweb/"].startswith("2008-10-20 12:21:46"), rows
    assert versions == 3, output
    again = newsarchive(
        "reextract",
        "--warc-dir",
        str(tmp_path / "quirks"),
        "--db",
        f"sqlite:///{tmp_path / 'quirks.db'}",
        "--workers",
        "0",
    )
    assert "captures new: 0 of 3" in again.stdout, again.stdout  # a second read adds nothing


def test_a_member_whose_deflate_data_is_corrupt_costs_that_record_only(tmp_path: Path) -> None:
    # Members are inflated by zlib-ng, whose errors are not zlib's: a corrupt one must still be one
    # skipped record with its reason, not the end of the run.
    members = [
        gzip.compress(_record(f"https://news.example/story-{i}/", article_html(f"Story {i}"), trailer=b"\r\n\r\n"))
        for i in range(3)
    ]
    damaged = bytearray(members[1])
    damaged[12:40] = b"\xff" * 28  # past the gzip header, inside the deflate stream
    members[1] = bytes(damaged)
    output, captures = _reextract(tmp_path, "corrupt-member", b"".join(members), exit_code=1)
    assert captures == 2, output
    assert "corrupt gzip member" in output, output
