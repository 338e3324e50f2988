"""Credentials stay out of WARC request records; Scrapy's JOBDIR resume works with our pipelines."""

from __future__ import annotations

import gzip
import json
import signal
from pathlib import Path

from sqlalchemy import func, select

from archive import models
from archive.db import open_database
from archive.sample_site import SampleSite
from tests.support.crawls import scrapy_crawl, start_slow_crawl, wait_until_archiving

SECRET_HEADERS = json.dumps({"Authorization": "Bearer s3cr3t-token", "Cookie": "session=s3cr3t-cookie"})


def _request_records(warc_dir: Path) -> bytes:
    return b"".join(gzip.decompress(p.read_bytes()) for p in warc_dir.glob("*.warc.gz"))


def test_credentials_are_not_archived_unless_asked(sample_site: SampleSite, tmp_path: Path) -> None:
    plain = scrapy_crawl(
        tmp_path / "plain", f"{sample_site.url}/news-feed/", f"DEFAULT_REQUEST_HEADERS={SECRET_HEADERS}"
    )
    assert plain.returncode == 0, plain.log[-2000:]
    archived = _request_records(plain.warc_dir)
    assert b"WARC-Type: request" in archived and b"User-Agent: newsarchive/" in archived
    assert b"s3cr3t" not in archived
    kept = scrapy_crawl(
        tmp_path / "kept",
        f"{sample_site.url}/news-feed/",
        f"DEFAULT_REQUEST_HEADERS={SECRET_HEADERS}",
        "NEWSARCHIVE_WARC_KEEP_CREDENTIALS=True",
    )
    assert b"Authorization: Bearer s3cr3t-token" in _request_records(kept.warc_dir)


def test_warc_names_do_not_follow_urls(sample_site: SampleSite, tmp_path: Path) -> None:
    run = scrapy_crawl(tmp_path, f"{sample_site.url}/news-feed/?x=../../etc/passwd")
    assert run.returncode == 0
    assert [p.parent for p in tmp_path.rglob("*.warc.gz")] == [run.warc_dir] * len(list(run.warc_dir.iterdir()))


def test_jobdir_pause_and_resume(big_site: SampleSite, tmp_path: Path) -> None:
    jobdir = f"JOBDIR={tmp_path / 'job'}"
    first = start_slow_crawl(big_site, tmp_path, jobdir)
    wait_until_archiving(tmp_path / "warc")
    first.send_signal(signal.SIGINT)  # Ctrl-C: Scrapy pauses, keeping its queue in JOBDIR
    output, _ = first.communicate(timeout=120)
    # Paused, not done: exit 1 with its own status, so cron knows to run it again (crawler/outcome.py).
    assert first.returncode == 1, output[-3000:]
    assert "'finish_reason': 'paused'" in output, output[-3000:]
    assert (tmp_path / "job" / "requests.queue").is_dir()
    second = start_slow_crawl(big_site, tmp_path, jobdir)
    output, _ = second.communicate(timeout=300)
    assert second.returncode == 0, output[-3000:]
    sessions = open_database(f"sqlite:///{tmp_path / 'archive.db'}", create=False)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(models.Article)) == len(big_site.articles)
        assert session.scalar(select(func.count()).select_from(models.ArticleVersion)) == len(big_site.articles)
