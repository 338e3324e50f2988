"""Shared fixtures: the sample news site on 127.0.0.1 and real `scrapy crawl` runs against it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from archive.sample_site import SampleSite

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sample_site() -> Iterator[SampleSite]:
    with SampleSite() as site:
        yield site


@dataclass(frozen=True)
class CrawlRun:
    database_url: str
    warc_dir: Path
    returncode: int
    log: str


def crawl_command(
    tmp: Path, spider_args: Sequence[str], *settings: str, database_url: str | None = None, workers: int = 2
) -> list[str]:
    """`scrapy crawl newsfeed -a NAME=VALUE ... -s NAME=VALUE ...` archiving into *tmp* (archive.db, warc/),
    autothrottle off, logging at INFO; *settings* come last and win."""
    database_url = database_url or f"sqlite:///{tmp / 'archive.db'}"
    command = [sys.executable, "-m", "scrapy", "crawl", "newsfeed"]
    for argument in spider_args:
        command += ["-a", argument]
    for setting in (
        f"NEWSARCHIVE_DATABASE_URL={database_url}",
        f"NEWSARCHIVE_WARC_DIR={tmp / 'warc'}",
        "AUTOTHROTTLE_ENABLED=False",
        f"NEWSARCHIVE_EXTRACT_WORKERS={workers}",
        "LOG_LEVEL=INFO",
        *settings,
    ):
        command += ["-s", setting]
    return command


def crawl_env() -> dict[str, str]:
    """The environment of a test crawl: none of the developer's NEWSARCHIVE_* variables leak in."""
    return {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}


def scrapy_crawl(tmp: Path, start_url: str, *settings: str, database_url: str | None = None) -> CrawlRun:
    """Run the real `scrapy crawl newsfeed` in the project directory, as a user would."""
    database_url = database_url or f"sqlite:///{tmp / 'archive.db'}"
    command = crawl_command(tmp, [f"start_url={start_url}"], *settings, database_url=database_url)
    done = subprocess.run(command, cwd=ROOT, env=crawl_env(), capture_output=True, text=True, timeout=300)
    return CrawlRun(database_url, tmp / "warc", done.returncode, done.stderr + done.stdout)


def newsarchive(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console script's code (`python -m archive.cli`), as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "archive.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
