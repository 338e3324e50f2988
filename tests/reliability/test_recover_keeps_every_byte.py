"""`newsarchive warc recover` never destroys data: the original keeps every byte, every whole
record stays at the offset the database knows it by, damage in the middle costs only the damaged
record, uncompressed and multi-record files are read, and a live crawl's file is left alone."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from archive import models
from archive.db import open_database
from archive.sample_site import SampleSite
from archive.warc.reader import WarcReader
from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun, start_slow_crawl, wait_until_archiving
from tests.support.warc_files import response_record


def _recover(*arguments: str) -> subprocess.CompletedProcess[str]:
    done = newsarchive("warc", "recover", *arguments)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _warcio_check(path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _record_id_at(path: Path, offset: int) -> str | None:
    with path.open("rb") as stream:
        stream.seek(offset)
        return next(iter(ArchiveIterator(stream))).rec_headers.get_header("WARC-Record-ID")


def _largest_warc(warc_dir: Path) -> Path:
    return max(warc_dir.glob("*.warc.gz"), key=lambda p: p.stat().st_size)


def test_zeros_in_the_middle_cost_the_damaged_record_only(sample_crawl_copy: CrawlRun) -> None:
    """A crawl's file left .open with 100 zero bytes inside a record (a power loss) and its last
    record cut short: every other capture in the database still finds its record at its offset."""
    closed = _largest_warc(sample_crawl_copy.warc_dir)
    sessions = open_database(sample_crawl_copy.database_url, create=False)
    with sessions() as session:
        captures = session.execute(
            select(models.Capture.warc_offset, models.Capture.warc_record_id)
            .where(models.Capture.warc_file == closed.name)
            .order_by(models.Capture.warc_offset)
        ).all()
    assert len(captures) > 4
    damaged_at, damaged_id = captures[len(captures) // 2]
    data = bytearray(closed.read_bytes())
    data[damaged_at + 40 : damaged_at + 140] = bytes(100)
    original = bytes(data[:-30])  # and the last record cut short
    left_open = closed.with_name(closed.name + ".open")
    closed.unlink()
    left_open.write_bytes(original)

    done = _recover("--warc-dir", str(sample_crawl_copy.warc_dir))

    assert done.returncode == 0, done.stderr
    assert "complete records" in done.stdout and ".damaged" in done.stdout
    assert not left_open.exists()
    damaged = closed.with_name(closed.name + ".damaged")
    assert damaged.read_bytes() == original  # not a byte of the original removed
    _warcio_check(closed)
    for offset, record_id in captures:
        if offset != damaged_at:
            assert _record_id_at(closed, offset) == record_id
    assert _record_id_at(closed, damaged_at) != damaged_id
    reader = WarcReader([closed])
    assert len(list(reader)) == len(captures) - 1 and reader.stats.skipped == 0


def test_an_uncompressed_warc_open_is_renamed_whole(tmp_path: Path) -> None:
    records = [response_record(f"http://news.example/news/story-{n}/") for n in range(3)]
    left_open = tmp_path / "foreign.warc.open"
    left_open.write_bytes(b"".join(records))
    before = hashlib.sha256(left_open.read_bytes()).hexdigest()

    done = _recover(str(left_open))

    assert done.returncode == 0, done.stderr
    assert "kept 3 complete records" in done.stdout
    assert hashlib.sha256((tmp_path / "foreign.warc").read_bytes()).hexdigest() == before
    assert not list(tmp_path.glob("*.damaged"))


def test_an_uncompressed_warc_cut_short_keeps_its_whole_records(tmp_path: Path) -> None:
    records = [response_record(f"http://news.example/news/story-{n}/") for n in range(3)]
    original = b"".join(records)[:-200]
    left_open = tmp_path / "foreign.warc.open"
    left_open.write_bytes(original)

    done = _recover(str(left_open))

    assert done.returncode == 0, done.stderr
    assert "kept 2 complete records" in done.stdout
    assert (tmp_path / "foreign.warc").read_bytes() == b"".join(records[:2])
    assert (tmp_path / "foreign.warc.damaged").read_bytes() == original


def test_a_gzip_member_of_several_records_counts_each(tmp_path: Path) -> None:
    left_open = tmp_path / "whole-file-gzip.warc.gz.open"
    left_open.write_bytes(gzip.compress(b"".join(response_record(f"http://news.example/{n}/") for n in range(4))))

    done = _recover(str(left_open))

    assert done.returncode == 0, done.stderr
    assert "kept 4 complete records" in done.stdout


def test_a_file_that_is_no_warc_is_left_as_it_is(tmp_path: Path) -> None:
    left_open = tmp_path / "notes.warc.gz.open"
    left_open.write_bytes(b"these are not records\n" * 100)

    done = _recover(str(left_open))

    assert done.returncode == 1
    assert "holds no whole WARC record; left as it is" in done.stderr
    assert left_open.read_bytes() == b"these are not records\n" * 100
    assert sorted(p.name for p in tmp_path.iterdir()) == [left_open.name]


def test_a_live_crawl_s_open_file_is_left_alone(big_site: SampleSite, tmp_path: Path) -> None:
    crawl = start_slow_crawl(big_site, tmp_path)
    warc_dir = tmp_path / "warc"
    try:
        wait_until_archiving(warc_dir)
        (live,) = warc_dir.glob("*.open")
        swept = _recover("--warc-dir", str(warc_dir))
        assert swept.returncode == 0, swept.stderr
        assert "still being written by a running process; left alone" in swept.stderr
        named = _recover(str(live))
        assert named.returncode == 1 and "left alone" in named.stderr
        assert live.exists() and not list(warc_dir.glob("*.damaged"))
    finally:
        output, _ = crawl.communicate(timeout=240)
    assert crawl.returncode == 0, output[-3000:]
    assert "Traceback" not in output and "log_count/ERROR" not in output, output[-3000:]
    assert not list(warc_dir.glob("*.open"))  # the crawl closed and renamed its file itself
    _warcio_check(live.with_name(live.name.removesuffix(".open")))
