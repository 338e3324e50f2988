"""A crawl whose database cannot be opened stops at once with one line, instead of idling forever
(cron jobs piling up behind it)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.cli import ROOT, newsarchive
from tests.support.crawls import crawl_command, crawl_env
from tests.support.raw_site import closed_port


def _unopenable(kind: str, tmp: Path) -> str:
    if kind == "truncated":
        path = tmp / "truncated.db"
        path.write_bytes(b"SQLite format 3\x00" + b"\x10\x00\x01\x01" + b"\x00" * 20)  # a header cut short
        return f"sqlite:///{path}"
    if kind == "directory":
        (tmp / "a-directory.db").mkdir()
        return f"sqlite:///{tmp / 'a-directory.db'}"
    if kind == "proc":
        return "sqlite:////proc/x.db"
    return f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/archive"


KINDS = ["truncated", "directory", "proc", "postgresql-port-closed"]


@pytest.mark.parametrize("kind", KINDS)
def test_scrapy_crawl_stops_at_once(kind: str, tmp_path: Path) -> None:
    database_url = _unopenable(kind, tmp_path)
    command = crawl_command(tmp_path, ["start_url=http://127.0.0.1:9/news/"], database_url=database_url)
    done = subprocess.run(command, cwd=ROOT, env=crawl_env(), capture_output=True, text=True, timeout=60)
    log = done.stderr + done.stdout
    assert "'finish_reason': 'database_error'" in log, log[-3000:]
    assert "Traceback" not in log and "AssertionError" not in log, log[-3000:]
    assert log.count("cannot open database") == 1, log[-3000:]


@pytest.mark.parametrize("kind", KINDS)
def test_newsarchive_crawl_says_so_in_one_line(kind: str, tmp_path: Path) -> None:
    database_url = _unopenable(kind, tmp_path)
    done = newsarchive("crawl", "http://127.0.0.1:9/news/", "--db", database_url, "--warc-dir", str(tmp_path / "w"))
    assert done.returncode == 1, done.stderr[-3000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("newsarchive: error: cannot open database"), done.stderr[-3000:]
