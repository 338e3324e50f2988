"""Passwords are never printed, logged or recorded: database URLs, start URLs, Redis URLs.

The crawl summary printed the database URL with its password; a start URL with credentials
(``http://alice:S3cretPass@host/``) was kept verbatim in ``crawl_runs.spider_args`` and in the log,
and could not even be fetched (Scrapy takes the userinfo for part of the host). Every one is now
shown as ``user:***@`` (archive/urls.py ``redact_url``), and credentials in a start URL are refused
up front with a line saying how to give them instead.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from archive import models
from archive.db import open_database
from archive.sample_site import SampleSite
from crawler.distributed import SharedRun, redis_client
from tests.support.archive_data import fresh_postgres_schema
from tests.support.cli import newsarchive
from tests.support.crawls import distributed_worker_crawl, newsfeed_crawl, redis_key_prefix, scrapy_crawl

PASSWORD = "S3cretPass"
REDIS_URL = os.environ.get("NEWSARCHIVE_TEST_REDIS_URL", "")


def test_the_crawl_summary_hides_the_database_password(
    sample_site: SampleSite, postgres_database: str | None, tmp_path: Path
) -> None:
    if postgres_database is None:
        pytest.skip("needs NEWSARCHIVE_TEST_POSTGRES_URL (a PostgreSQL URL with a password; CI sets it)")
    url = fresh_postgres_schema(postgres_database)
    password = make_url(url).password
    assert password, "the test server's URL must carry a password"
    done = newsarchive(
        "crawl",
        f"{sample_site.url}/news-feed/",
        "--db",
        url,
        "--warc-dir",
        str(tmp_path / "warc"),
        "--set",
        "AUTOTHROTTLE_ENABLED=False",
        "--set",
        "CLOSESPIDER_PAGECOUNT=3",
        "--set",
        "NEWSARCHIVE_EXTRACT_WORKERS=1",
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    output = done.stdout + done.stderr
    assert "pages fetched" in output
    (log_line,) = [line for line in output.splitlines() if line.startswith("log file ")]
    output += Path(log_line.removeprefix("log file").strip()).read_text()  # Scrapy's log, in its file
    assert f":{password}@" not in output
    assert ":***@" in output


def test_credentials_in_a_start_url_are_refused_without_showing_them(tmp_path: Path) -> None:
    url = f"http://alice:{PASSWORD}@127.0.0.1:9/news-feed/"
    done = newsarchive("crawl", url, "--db", f"sqlite:///{tmp_path / 'a.db'}", "--warc-dir", str(tmp_path / "warc"))
    assert done.returncode == 2
    assert done.stderr.startswith(
        "newsarchive: error: credentials in a start URL are not supported: http://alice:***@127.0.0.1:9/news-feed/"
    )
    assert done.stderr.count("\n") == 1 and "HTTPAUTH_USER" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    enqueued = newsarchive("enqueue", url, "--redis", "redis://127.0.0.1:1/0")
    assert enqueued.returncode == 2 and "http://alice:***@127.0.0.1:9/" in enqueued.stderr
    assert PASSWORD not in enqueued.stderr
    run = scrapy_crawl(tmp_path / "scrapy", url)
    assert run.returncode != 0
    assert "credentials in a start URL are not supported: http://alice:***@" in run.log
    assert PASSWORD not in run.log
    assert not _recorded_arguments(tmp_path / "scrapy" / "archive.db")


def _recorded_arguments(database: Path) -> list[str]:
    if not database.exists():
        return []
    with sqlite3.connect(database) as connection:
        return [row[0] for row in connection.execute("SELECT spider_args FROM crawl_runs")]


def test_spider_arguments_are_recorded_without_passwords(sample_site: SampleSite, tmp_path: Path) -> None:
    # Any -a argument is recorded in crawl_runs (and shown by `newsarchive runs`): a URL in one
    # keeps its user and loses its password.
    run = newsfeed_crawl(
        tmp_path,
        [f"start_url={sample_site.url}/news-feed/", f"upstream=https://bob:{PASSWORD}@feeds.example/all"],
        "CLOSESPIDER_PAGECOUNT=2",
    )
    assert run.returncode == 0, run.log[-3000:]
    recorded = [json.loads(args) for args in _recorded_arguments(tmp_path / "archive.db")]
    assert recorded and recorded[0]["upstream"] == "https://bob:***@feeds.example/all"
    assert PASSWORD not in json.dumps(recorded)


def test_an_unreachable_redis_is_named_without_its_password() -> None:
    done = newsarchive("enqueue", "https://news.example/", "--redis", f"redis://:{PASSWORD}@127.0.0.1:1/0")
    assert done.returncode == 2
    assert done.stderr.startswith("newsarchive: error: cannot reach Redis at redis://:***@127.0.0.1:1/0")
    assert PASSWORD not in done.stderr


def test_a_mistyped_database_url_is_named_without_its_password(tmp_path: Path) -> None:
    # No scheme: SQLAlchemy cannot parse it, so cannot hide its password either.
    done = newsarchive("runs", "--db", f"alice:{PASSWORD}@db.example/archive")
    assert done.returncode != 0 and done.stderr.count("\n") == 1, done.stderr
    assert "not a database URL" in done.stderr and "alice:***@db.example/archive" in done.stderr
    assert PASSWORD not in done.stderr


def test_credentials_given_as_the_refusal_advises_stay_out_of_the_log(sample_site: SampleSite, tmp_path: Path) -> None:
    # Scrapy logs the settings a crawl overrides, HTTPAUTH_PASS in the clear.
    run = newsfeed_crawl(
        tmp_path,
        [f"start_url={sample_site.url}/news-feed/"],
        "HTTPAUTH_USER=alice",
        f"HTTPAUTH_PASS={PASSWORD}",
        "HTTPAUTH_DOMAIN=127.0.0.1",
        "CLOSESPIDER_PAGECOUNT=2",
    )
    assert run.returncode == 0, run.log[-3000:]
    assert "'HTTPAUTH_PASS': '***'" in run.log
    assert PASSWORD not in run.log


@pytest.mark.skipif(not REDIS_URL, reason="NEWSARCHIVE_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/0)")
def test_a_seed_with_credentials_from_another_tool_is_refused_by_the_worker_without_showing_them(
    tmp_path: Path,
) -> None:
    seed = {"start_url": f"http://alice:{PASSWORD}@127.0.0.1:9/"}
    with redis_key_prefix(REDIS_URL) as prefix:
        SharedRun(redis_client(REDIS_URL), prefix, "newsfeed").join(seeds=[seed])  # as another tool would
        worker = distributed_worker_crawl(tmp_path, REDIS_URL, prefix)
    assert worker.returncode == 0, worker.log[-3000:]
    assert 'ERROR: cannot start seed {"start_url": "http://alice:***@127.0.0.1:9/"}: credentials' in worker.log
    assert PASSWORD not in worker.log


def test_runs_recorded_before_the_masking_are_shown_without_passwords(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    sessions = open_database(url)
    now = dt.datetime.now(dt.UTC)
    with sessions.begin() as session:  # as a crawl before this fix recorded its arguments
        session.add(
            models.CrawlRun(
                site="news.example",
                spider="newsfeed",
                spider_args=json.dumps({"start_url": f"http://alice:{PASSWORD}@news.example/"}),
                status="finished",
                started_at=now,
                updated_at=now,
                hostname="old",
                pid=1,
                **dict.fromkeys(["pages_fetched", "not_modified", "articles_new", "versions_new", "errors"], 0),
                bytes_received=0,
            )
        )
    for options in ((), ("--format", "jsonl")):
        done = newsarchive("runs", "--db", url, *options)
        assert done.returncode == 0, done.stderr
        assert "alice:***@" in done.stdout, done.stdout
        assert PASSWORD not in done.stdout
