"""Real `scrapy crawl newsfeed` runs in the project directory, as a user or cron would start them."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from archive import models
from archive.db import open_database
from archive.sample_site import SampleSite
from archive.warc.index import default_index_path
from tests.support.cli import ROOT


@dataclass(frozen=True)
class CrawlRun:
    database_url: str
    warc_dir: Path
    returncode: int
    log: str


def crawl_command(
    tmp: Path, spider_args: Sequence[str], *settings: str, database_url: str | None = None, workers: int = 1
) -> list[str]:
    """`scrapy crawl newsfeed -a NAME=VALUE ... -s NAME=VALUE ...` archiving into *tmp* (archive.db, warc/),
    autothrottle off, logging at INFO, page requisites off (the tests that count requests count
    pages; tests/test_requisites.py turns them on), one extraction worker; *settings* come last and win.

    One worker: a test crawl's dozen pages keep one busy, and each more worker is a spawned
    interpreter importing trafilatura (~1 CPU-s a crawl, some 140 crawls a suite) on CI's two
    cores, which the other xdist worker needs. Still a real pool: pickled pages, a worker process."""
    database_url = database_url or f"sqlite:///{tmp / 'archive.db'}"
    command = [sys.executable, "-m", "scrapy", "crawl", "newsfeed"]
    for argument in spider_args:
        command += ["-a", argument]
    for setting in (
        f"NEWSARCHIVE_DATABASE_URL={database_url}",
        f"NEWSARCHIVE_WARC_DIR={tmp / 'warc'}",
        "AUTOTHROTTLE_ENABLED=False",
        "NEWSARCHIVE_REQUISITES=none",
        f"NEWSARCHIVE_EXTRACT_WORKERS={workers}",
        "LOG_LEVEL=INFO",
        *settings,
    ):
        command += ["-s", setting]
    return command


def crawl_env() -> dict[str, str]:
    """The environment of a test crawl: none of the developer's NEWSARCHIVE_* variables leak in."""
    return {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}


def scrapy_crawl(
    tmp: Path, start_url: str, *settings: str, database_url: str | None = None, env: dict[str, str] | None = None
) -> CrawlRun:
    """Run the real `scrapy crawl newsfeed` in the project directory, as a user would; *env* is
    added to its environment (HTTP_PROXY ...)."""
    database_url = database_url or f"sqlite:///{tmp / 'archive.db'}"
    command = crawl_command(tmp, [f"start_url={start_url}"], *settings, database_url=database_url)
    environment = {**crawl_env(), **(env or {})}
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300)
    return CrawlRun(database_url, tmp / "warc", done.returncode, done.stderr + done.stdout)


def profile_crawl(tmp: Path, listing_url: str, *settings: str, render: bool) -> CrawlRun:
    """`scrapy crawl` of *listing_url* with a sites file of its own naming it, its pages rendered
    in headless Chromium or not (render mode: the profile's ``render``)."""
    sites = tmp / "sites.toml"
    sites.write_text(f'[sites.fixture]\nlistings = ["{listing_url}"]\nrender = {"true" if render else "false"}\n')
    return scrapy_crawl(tmp, listing_url, f"NEWSARCHIVE_SITES_FILE={sites}", *settings)


def newsfeed_crawl(
    tmp: Path, spider_args: list[str], *settings: str, database_url: str | None = None, wait: bool = True
) -> Any:
    """`scrapy crawl newsfeed -a NAME=VALUE ...` in the project directory, as cron would run it
    (scrapy_crawl always passes start_url). With *wait* false, the running process."""
    database_url = database_url or f"sqlite:///{tmp / 'archive.db'}"
    command = crawl_command(tmp, spider_args, *settings, database_url=database_url)
    env = crawl_env()
    if not wait:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return CrawlRun(database_url, tmp / "warc", done.returncode, done.stderr + done.stdout)


def start_slow_crawl(site: SampleSite, tmp: Path, *settings: str) -> subprocess.Popen[str]:
    """A crawl of *site*'s news feed slow enough to be interrupted in the middle (killed, stopped,
    paused), storing in small, frequent batches; the running process, in a process group of its own."""
    command = crawl_command(
        tmp,
        [f"start_url={site.url}/news-feed/"],
        # ~70 requests at 0.06 s: over 4 s of fetching, longer than the latest kill (3 s after archiving
        # starts) however fast extraction is; at 0.03 a quick crawl could finish before it.
        "DOWNLOAD_DELAY=0.06",
        "CONCURRENT_REQUESTS=2",
        "NEWSARCHIVE_STORE_BATCH_SIZE=4",
        "NEWSARCHIVE_STORE_INTERVAL=0.2",
        *settings,
    )
    env = crawl_env()
    # Its own process group: SIGKILL then takes the extraction workers too, as `kill -9` of a
    # crawl's process group (systemd, a container stop) would.
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )


def wait_until_archiving(warc_dir: Path, timeout: float = 60) -> None:
    """Block until the crawl has a WARC file open with records in it (start-up time varies)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.stat().st_size > 20_000 for p in warc_dir.glob("*.open")):
            return
        time.sleep(0.05)
    raise AssertionError("the crawl did not start archiving")


def copy_crawl(run: CrawlRun, target: Path) -> CrawlRun:
    """A copy of a finished SQLite crawl under *target*: its database (archive.db, copied through
    SQLite's backup API, so a write-ahead log is taken along), its WARC directory (warc/) and the
    CDXJ index the crawl wrote beside it (warc.cdxj). The same log and return code."""
    source = Path(run.database_url.removeprefix("sqlite:///"))
    target.mkdir(parents=True)
    database = target / "archive.db"
    with contextlib.closing(sqlite3.connect(source)) as original, contextlib.closing(sqlite3.connect(database)) as new:
        original.backup(new)
    warc_dir = target / "warc"
    shutil.copytree(run.warc_dir, warc_dir)
    index = default_index_path(run.warc_dir)
    if index.exists():
        shutil.copy2(index, default_index_path(warc_dir))
    return CrawlRun(f"sqlite:///{database}", warc_dir, run.returncode, run.log)


def crawl_stat(log: str, name: str) -> int:
    """A counter of Scrapy's stats dump at the end of a crawl's log; 0 when it was never counted."""
    found = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(found.group(1)) if found else 0


def crawl_fingerprint(run: CrawlRun) -> str:
    """A digest of everything a SQLite crawl left: every row of its database, every file of its
    WARC directory (names and bytes) and its CDXJ index. Equal fingerprints, untouched crawl."""
    digest = hashlib.sha256()
    with contextlib.closing(sqlite3.connect(run.database_url.removeprefix("sqlite:///"))) as database:
        for statement in database.iterdump():
            digest.update(statement.encode("utf-8", "surrogatepass") + b"\n")
    index = default_index_path(run.warc_dir)
    for path in sorted([*run.warc_dir.rglob("*"), *([index] if index.exists() else [])]):
        digest.update(str(path.relative_to(run.warc_dir.parent)).encode() + b"\0")
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@contextlib.contextmanager
def redis_key_prefix(redis_url: str) -> Iterator[str]:
    """A Redis key prefix of the test's own for a shared frontier; its keys are deleted afterwards."""
    from crawler.distributed import redis_client

    prefix = f"newsarchive-test-{uuid.uuid4().hex[:10]}"
    try:
        yield prefix
    finally:
        server = redis_client(redis_url)
        keys = list(server.scan_iter(match=f"{prefix}:*"))
        if keys:
            server.delete(*keys)


def distributed_worker_crawl(tmp: Path, redis_url: str, prefix: str) -> CrawlRun:
    """One `scrapy crawl newsfeed` worker of the shared frontier at *prefix*, started without
    seeds of its own, as on a crawl machine; it leaves a second after the frontier runs dry."""
    return newsfeed_crawl(
        tmp,
        [],
        f"NEWSARCHIVE_DISTRIBUTED={redis_url}",
        f"NEWSARCHIVE_DISTRIBUTED_KEY_PREFIX={prefix}",
        "NEWSARCHIVE_DISTRIBUTED_IDLE_SECONDS=1",
    )


_CAPTURE_COLUMNS = (
    "url, method, status, fetched_at, content_type, content_length, payload_digest, record_type, warc_file, "
    "warc_offset, warc_length, warc_record_id, ip_address, etag, last_modified, extracted_as"
)


def capture_rows(database_url: str) -> set[tuple[object, ...]]:
    """Every capture row of a SQLite archive, as comparable tuples (ids left out)."""
    with contextlib.closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as db:
        return set(db.execute(f"SELECT {_CAPTURE_COLUMNS} FROM captures").fetchall())


def crawl_at(when: dt.datetime, tmp: Path, spider_args: list[str], *settings: str) -> CrawlRun:
    """`scrapy crawl newsfeed` as cron would start it at *when* (tests/support/clocked_crawl.py),
    into *tmp* (archive.db, warc/)."""
    database_url = f"sqlite:///{tmp / 'archive.db'}"
    command = crawl_command(tmp, spider_args, *settings, database_url=database_url)
    command[1:3] = ["-m", "tests.support.clocked_crawl", when.isoformat()]
    done = subprocess.run(command, cwd=ROOT, env=crawl_env(), capture_output=True, text=True, timeout=300)
    return CrawlRun(database_url, tmp / "warc", done.returncode, done.stderr + done.stdout)


def requisite_rows(database_url: str) -> dict[str, list[str]]:
    """capture_requisites by the URL of their capture (each URL is fetched once a run)."""
    C, R = models.Capture, models.CaptureRequisite
    found: dict[str, list[str]] = {}
    with open_database(database_url)() as session:
        for url, requisite in session.execute(
            select(C.url, R.url).join(C, C.id == R.capture_id).order_by(C.id, R.position)
        ):
            found.setdefault(url, []).append(requisite)
    return found
