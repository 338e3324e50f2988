"""The README's Scrapyd set-up, for real: a scrapyd on 127.0.0.1, the project deployed with
`scrapyd-deploy`, a crawl of the sample site scheduled through schedule.json, seen to finish."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from archive import models
from archive.db import open_database
from archive.sample_site import SampleSite, load_articles
from tests.support.cli import ROOT

pytest.importorskip("scrapyd", reason="scrapyd is not installed (pip install -e '.[test]')")
pytest.importorskip("scrapyd_client", reason="scrapyd-client is not installed (pip install -e '.[test]')")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _api(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=30) as response:
        result: dict[str, Any] = json.loads(response.read())
    return result


def _wait(predicate: Any, deadline: float, what: str) -> Any:
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.fixture()
def scrapyd(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    home = tmp_path / "scrapyd"
    home.mkdir()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\n"
        f"logs_dir = {home / 'logs'}\n"
        f"dbs_dir = {home / 'dbs'}\n"
        "items_dir =\n"
        "max_proc = 1\n"
        "poll_interval = 0.5\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    log = (home / "scrapyd.out").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "scrapyd", "--nodaemon", "--pidfile="], cwd=home, env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _api(base, "daemonstatus.json").get("status") == "ok", time.monotonic() + 60, "scrapyd to start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_scrapyd_deploy_and_schedule_a_crawl(scrapyd: str, tmp_path: Path) -> None:
    # scrapyd-deploy packs the Scrapy project (crawler/, pipelines/) as an egg; the newsarchive
    # library it imports is installed on the Scrapyd host, as the README says.
    project = tmp_path / "project"
    for package in ("crawler", "pipelines"):
        shutil.copytree(ROOT / package, project / package, ignore=shutil.ignore_patterns("__pycache__"))
    (project / "scrapy.cfg").write_text(
        f"[settings]\ndefault = crawler.settings\n\n[deploy:local]\nurl = {scrapyd}/\nproject = newsarchive\n",
        encoding="utf-8",
    )
    deploy = subprocess.run(
        [sys.executable, "-m", "scrapyd_client.deploy", "local", "-p", "newsarchive", "--version", "r1"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert json.loads(deploy.stdout)["status"] == "ok", deploy.stdout
    assert _api(scrapyd, "listspiders.json?project=newsarchive")["spiders"] == ["newsfeed"]

    database_url = f"sqlite:///{tmp_path / 'archive.db'}"
    with SampleSite() as site:
        job = _api(
            scrapyd,
            "schedule.json",
            [
                ("project", "newsarchive"),
                ("spider", "newsfeed"),
                ("start_url", f"{site.url}/news-feed/"),
                ("setting", f"NEWSARCHIVE_DATABASE_URL={database_url}"),
                ("setting", f"NEWSARCHIVE_WARC_DIR={tmp_path / 'warc'}"),
                ("setting", "AUTOTHROTTLE_ENABLED=False"),
                ("setting", "NEWSARCHIVE_EXTRACT_WORKERS=1"),
            ],
        )
        assert job["status"] == "ok", job
        job_id = job["jobid"]

        def finished() -> bool:
            jobs = _api(scrapyd, "listjobs.json?project=newsarchive")
            return any(j["id"] == job_id for j in jobs["finished"])

        _wait(finished, time.monotonic() + 240, "the scheduled crawl to finish")
    sessions = open_database(database_url, create=False)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(models.Article)) == len(load_articles())
        runs = session.scalars(select(models.CrawlRun)).all()
        assert [(r.status, json.loads(r.spider_args)) for r in runs] == [
            ("finished", {"start_url": f"{site.url}/news-feed/", "_job": job_id})
        ]
