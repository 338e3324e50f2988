"""One bad record costs that record: `newsarchive reextract` skips and counts it, and stores every
other record of the file, before it and after it, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from archive import models
from archive.db import open_database
from tests.support.archive_data import DatabaseFactory
from tests.support.cli import newsarchive
from tests.support.warc_files import gzipped, response_record

# Each a field another tool (or damage) wrote that the reader once passed on to something that raised.
BAD_RECORDS = {
    "ipv6": response_record("http://[::1/bad"),
    "port": response_record("http://news.example:99999/news/port-out-of-range/"),
    "date before year 1 in UTC": response_record("http://news.example/news/old/", date="0001-01-01T00:00:00+01:00"),
    "superscript status": response_record("http://news.example/news/sup/", status="\u00b200 OK"),
    "status too big for the database": response_record("http://news.example/news/big/", status="99999999999 OK"),
}
# A digest by an algorithm of no fixed length cannot be checked: the record is read unchecked
# (it once raised TypeError), as a digest by an unknown algorithm is.
UNCHECKABLE = response_record(
    "http://news.example/news/shake-digest/", warc_headers=(("WARC-Block-Digest", "shake_128:AAAA"),)
)


def _good(number: int) -> bytes:
    return response_record(f"http://news.example/news/good-story-{number}/")


def test_reextract_skips_and_counts_each_bad_record_and_stores_the_rest(
    backend: str, new_database_url: DatabaseFactory, tmp_path: Path
) -> None:
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    records = [_good(0), UNCHECKABLE]
    for number, bad in enumerate(BAD_RECORDS.values(), start=1):
        records += [bad, _good(number)]
    (warc_dir / "foreign.warc.gz").write_bytes(gzipped(*records))
    # Uncompressed: a negative Content-Length once read the rest of the file as the record's block.
    plain = [_good(100), response_record("http://news.example/news/negative/", content_length="-5"), _good(101)]
    (warc_dir / "foreign-plain.warc").write_bytes(b"".join(plain))
    database_url = new_database_url(backend)

    done = newsarchive("reextract", "--warc-dir", str(warc_dir), "--db", database_url, "--workers", "0")

    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 1, done.stderr[-3000:]
    skipped = len(BAD_RECORDS) + 1
    assert f"newsarchive: {skipped} record(s) skipped as unreadable" in done.stderr
    assert f"skipped (bad input): {skipped}" in done.stdout
    assert "skipped: WARC-Target-URI is not a URL: 2" in done.stdout
    assert "skipped: unreadable WARC-Date: 1" in done.stdout
    assert "http://[::1/bad" in done.stderr  # the warning names the record's field
    sessions = open_database(database_url, create=False)
    with sessions() as session:
        urls = set(session.scalars(select(models.Capture.url)))
    expected = {f"http://news.example/news/good-story-{n}/" for n in range(len(BAD_RECORDS) + 1)}
    expected |= {"http://news.example/news/shake-digest/"}
    assert urls == expected | {"http://news.example/news/good-story-100/", "http://news.example/news/good-story-101/"}
