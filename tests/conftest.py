"""Shared fixtures: the sample news site on 127.0.0.1 and real `scrapy crawl` runs against it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
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


def scrapy_crawl(tmp: Path, start_url: str, *settings: str, database_url: str | None = None) -> CrawlRun:
    """Run the real `scrapy crawl newsfeed` in the project directory, as a user would."""
    database_url = database_url or f"sqlite:///{tmp / 'archive.db'}"
    warc_dir = tmp / "warc"
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "newsfeed",
        "-a",
        f"start_url={start_url}",
        "-s",
        f"NEWSARCHIVE_DATABASE_URL={database_url}",
        "-s",
        f"NEWSARCHIVE_WARC_DIR={warc_dir}",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "NEWSARCHIVE_EXTRACT_WORKERS=2",
        "-s",
        "LOG_LEVEL=INFO",
    ]
    for setting in settings:
        command += ["-s", setting]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return CrawlRun(database_url, warc_dir, done.returncode, done.stderr + done.stdout)


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
