"""Disk full: the crawl stops cleanly with a clear message; no half record under a final name."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from archive import models
from archive.db import open_database
from archive.sample_site import SampleSite
from tests.support.crawls import scrapy_crawl


def _mount_tmpfs(tmp_path: Path, size: str) -> Iterator[Path]:
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 192 KiB file system: room for a few pages of WARC, not for the whole crawl."""
    yield from _mount_tmpfs(tmp_path, "192k")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """4 MiB: room for the database schema, filled up by the test."""
    yield from _mount_tmpfs(tmp_path, "4m")


def test_warc_disk_full_stops_the_crawl_cleanly(big_site: SampleSite, tmp_path: Path, tiny_disk: Path) -> None:
    run = scrapy_crawl(tmp_path, f"{big_site.url}/news-feed/", f"NEWSARCHIVE_WARC_DIR={tiny_disk}")
    # Stopped cleanly, yet pages were lost: `scrapy crawl` says so in its exit status (crawler/outcome.py).
    assert run.returncode == 1, run.log[-3000:]
    assert "cannot write WARC record" in run.log
    assert "'finish_reason': 'warc_write_error'" in run.log
    files = list(tiny_disk.iterdir())
    assert files and all(f.name.endswith(".warc.gz") for f in files), files  # closed, renamed
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, files)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    sessions = open_database(run.database_url, create=False)
    with sessions() as session:
        captures = session.scalars(select(models.Capture)).all()
        assert captures
        for capture in captures:  # the DB only knows records that made it to disk whole
            with (tiny_disk / capture.warc_file).open("rb") as stream:
                stream.seek(capture.warc_offset)
                assert next(iter(ArchiveIterator(stream))).rec_headers.get_header("WARC-Record-ID") == (
                    capture.warc_record_id
                )


def test_database_disk_full_stops_the_crawl_cleanly(big_site: SampleSite, tmp_path: Path, small_disk: Path) -> None:
    tiny_disk = small_disk
    database_url = f"sqlite:///{tiny_disk / 'archive.db'}"
    open_database(database_url)  # the schema fits...
    free = os.statvfs(tiny_disk).f_bavail * os.statvfs(tiny_disk).f_frsize
    (tiny_disk / "filler").write_bytes(b"\0" * max(0, free - 8_000))  # ...the crawl's rows do not
    run = scrapy_crawl(
        tmp_path, f"{big_site.url}/news-feed/", "NEWSARCHIVE_STORE_BATCH_SIZE=4", database_url=database_url
    )
    assert run.returncode == 1, run.log[-3000:]
    assert "cannot write to the database" in run.log
    assert "'finish_reason': 'database_error'" in run.log
    assert not list((tmp_path / "warc").glob("*.open"))  # the WARC side still closed cleanly
