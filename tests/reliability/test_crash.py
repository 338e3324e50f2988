"""Crash safety: a crawl killed at random points loses nothing already archived."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from warcio.archiveiterator import ArchiveIterator

from archive import models
from archive.db import open_database
from archive.sample_site import SampleSite
from tests.support.cli import newsarchive
from tests.support.crawls import start_slow_crawl, wait_until_archiving


def _warcio_check(paths: list[Path]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, paths)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _assert_db_points_at_records(tmp: Path) -> int:
    sessions = open_database(f"sqlite:///{tmp / 'archive.db'}", create=False)
    with sessions() as session:
        captures = session.scalars(select(models.Capture)).all()
        for capture in captures:
            path = tmp / "warc" / capture.warc_file
            assert path.is_file(), capture.warc_file
            with path.open("rb") as stream:
                stream.seek(capture.warc_offset)
                record = next(iter(ArchiveIterator(stream)))
                assert record.rec_headers.get_header("WARC-Record-ID") == capture.warc_record_id
        return len(captures)


def _counts(tmp: Path) -> tuple[int, int]:
    sessions = open_database(f"sqlite:///{tmp / 'archive.db'}", create=False)
    with sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(models.Article)) or 0,
            session.scalar(select(func.count()).select_from(models.ArticleVersion)) or 0,
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_then_recover_and_resume(big_site: SampleSite, tmp_path: Path, seed: int) -> None:
    process = start_slow_crawl(big_site, tmp_path)
    wait_until_archiving(tmp_path / "warc")
    # Kill somewhere between "just started archiving" and "well into the articles".
    time.sleep(random.Random(seed).uniform(0.3, 3.0))
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    warc_dir = tmp_path / "warc"
    assert warc_dir.is_dir(), "the crawl was killed before it archived anything; kill later"
    closed = sorted(warc_dir.glob("*.warc.gz"))
    if closed:
        _warcio_check(closed)
    left_open = sorted(warc_dir.glob("*.open"))
    assert left_open, "a killed crawl leaves its current file .open"
    done = newsarchive("warc", "recover", "--warc-dir", str(warc_dir))
    assert done.returncode == 0, done.stderr
    assert "complete records" in done.stdout
    assert not list(warc_dir.glob("*.open"))
    _warcio_check(sorted(warc_dir.glob("*.warc.gz")))
    _assert_db_points_at_records(tmp_path)

    resumed = start_slow_crawl(big_site, tmp_path)
    output, _ = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, output[-3000:]
    articles, versions = _counts(tmp_path)
    assert articles == len(big_site.articles) == versions  # every article once, no duplicate versions
    _assert_db_points_at_records(tmp_path)
    _warcio_check(sorted(warc_dir.glob("*.warc.gz")))


def test_sigterm_closes_files_and_commits(big_site: SampleSite, tmp_path: Path) -> None:
    process = start_slow_crawl(big_site, tmp_path)
    wait_until_archiving(tmp_path / "warc")
    time.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=120)
    # Stopped early is not "all good": a cron wrapper must see it (crawler/outcome.py exit_status).
    assert process.returncode == 1, output[-3000:]
    assert "'finish_reason': 'shutdown'" in output
    warc_dir = tmp_path / "warc"
    assert not list(warc_dir.glob("*.open")), "a clean shutdown renames its files"
    _warcio_check(sorted(warc_dir.glob("*.warc.gz")))
    assert _assert_db_points_at_records(tmp_path) > 0
    articles, versions = _counts(tmp_path)
    assert 0 < articles < len(big_site.articles)
    assert articles == versions
