"""A crawl that could download nothing (the site is down, the URL mistyped) is no "finished" crawl:
cron must see it fail, and so must ``newsarchive runs``."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import newsarchive
from tests.support.crawls import scrapy_crawl
from tests.support.raw_site import closed_port


def test_a_crawl_whose_every_download_failed_fails(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/news/"
    run = scrapy_crawl(tmp_path / "scrapy", url, "RETRY_TIMES=0")
    assert "'finish_reason': 'all_downloads_failed'" in run.log, run.log[-3000:]

    database = f"sqlite:///{tmp_path / 'cli.db'}"
    cli = newsarchive("crawl", url, "--db", database, "--warc-dir", str(tmp_path / "warc"), "--set", "RETRY_TIMES=0")
    assert cli.returncode == 1, cli.stderr[-3000:]
    assert "all_downloads_failed" in cli.stderr

    runs = newsarchive("runs", "--db", database, "--format", "jsonl")
    assert runs.returncode == 0, runs.stderr
    assert [json.loads(line)["status"] for line in runs.stdout.splitlines()] == ["all_downloads_failed"]


def test_a_crawl_that_fetched_pages_is_not_failed_by_some_errors(tmp_path: Path, sample_site) -> None:
    """One dead link among many pages is a finished crawl (its error is in the log and the errors column)."""
    run = scrapy_crawl(tmp_path, f"{sample_site.url}/news-feed/", "RETRY_TIMES=0")
    assert run.returncode == 0, run.log[-3000:]
    assert "'finish_reason': 'finished'" in run.log, run.log[-3000:]
