"""Finding: ARC files (the Internet Archive's format before WARC, in every old collection) were one
"not a WARC record" skip each, though warcio reads them; and a directory's ``.arc`` files were not
even looked at."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from tests.support.cli import ROOT, newsarchive
from tests.support.sample_articles import article_html
from tests.support.warc_files import arc_file, arc_record, gzip_member, http_response


def _records(prefix: str) -> list[bytes]:
    return [
        arc_record(f"https://old.example/{prefix}-{i}/", http_response(article_html(f"Old story {prefix} {i}")))
        for i in range(3)
    ] + [
        arc_record("dns:old.example", b"20240501100000\nold.example. 60 IN A 10.0.0.1\n", content_type="text/dns"),
        # A URL holding spaces, as old crawlers wrote them: the date field tells where it ends.
        arc_record(f"https://old.example/a story {prefix}/", http_response(article_html(f"Spaced story {prefix}"))),
    ]


def test_arc_and_arc_gz_files_are_read_and_reextracted(tmp_path: Path) -> None:
    warc_dir = tmp_path / "collection"
    (warc_dir / "1999").mkdir(parents=True)
    plain = arc_file(*_records("plain"))
    (warc_dir / "1999" / "old.arc").write_bytes(plain)
    # One gzip member per record, as ARC files were compressed.
    head = arc_file(name="old.arc.gz")
    members = [head, *_records("gz")]
    (warc_dir / "old.arc.gz").write_bytes(b"".join(map(gzip_member, members)))
    for name in ("1999/old.arc", "old.arc.gz"):
        with (warc_dir / name).open("rb") as stream:
            assert (
                sum(r.rec_type == "response" for r in ArchiveIterator(stream, arc2warc=True)) == 5
            )  # warcio reads them
    database = tmp_path / "archive.db"
    done = newsarchive("reextract", "--warc-dir", str(warc_dir), "--db", f"sqlite:///{database}", "--workers", "0")
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    with sqlite3.connect(database) as db:
        stored = dict(
            db.execute(
                "SELECT c.url, count(v.id) FROM captures c LEFT JOIN article_versions v ON v.capture_id = c.id"
                " GROUP BY c.id"
            ).fetchall()
        )
        fetched = db.execute("SELECT fetched_at FROM captures WHERE url LIKE '%plain-0/'").fetchone()[0]
    for prefix in ("plain", "gz"):
        for i in range(3):
            assert stored[f"https://old.example/{prefix}-{i}/"] == 1, done.stdout
    assert stored["https://old.example/a%20story%20gz/"] == 1, done.stdout
    assert stored["dns:old.example"] == 0, done.stdout  # kept as a capture, nothing to extract
    assert fetched.startswith("2024-05-01 10:00:00")
    assert "WARC files: 2" in done.stdout and "warcinfo records: nothing to extract 2" in done.stdout


def test_show_raw_prints_the_http_message_an_arc_record_holds(tmp_path: Path) -> None:
    warc_dir = tmp_path / "collection"
    warc_dir.mkdir()
    message = http_response(article_html("Shown from an ARC"))
    (warc_dir / "old.arc.gz").write_bytes(
        b"".join(map(gzip_member, [arc_file(name="old.arc.gz"), arc_record("https://old.example/shown/", message)]))
    )
    common = ("--db", f"sqlite:///{tmp_path / 'archive.db'}", "--warc-dir", str(warc_dir))
    assert newsarchive("reextract", *common, "--workers", "0").returncode == 0
    shown = subprocess.run(  # bytes: text mode would turn the CRLFs into LFs
        [sys.executable, "-m", "archive.cli", "show", "https://old.example/shown/", "--raw", *common],
        cwd=ROOT, capture_output=True, timeout=120,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == message
