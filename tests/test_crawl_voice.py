"""What a crawl says, and what it exits with, as a user at a terminal or a cron job meets it.

A crawl on a terminal shows a live progress line and the summary; piped, it prints plain lines
(no control characters) and Scrapy's whole log goes to a file under the log directory. Its exit
status follows one rule (crawler/outcome.py), for `newsarchive crawl`, `demo` and `scrapy crawl`.
"""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import time
from pathlib import Path

from archive.db import open_database
from archive.sample_site import SampleSite
from tests.support.cli import newsarchive, newsarchive_in_terminal
from tests.support.crawls import scrapy_crawl, start_slow_crawl, wait_until_archiving
from tests.support.raw_site import RawSite, closed_port, response

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # escape sequences, carriage returns: a terminal's
HTML = ("Content-Type", "text/html; charset=utf-8")
PROSE = (
    "The regional council voted on Thursday to rebuild the old river bridge, a project that has been "
    "debated for a decade and will close the main road for most of next year."
)


def _places(tmp: Path) -> list[str]:
    """Where the crawl archives and logs, and the test crawls' pace: autothrottle off (its 1 s start
    delay is most of a three-page crawl) and one extraction worker (a dozen pages keep it busy)."""
    return [
        "--db",
        f"sqlite:///{tmp / 'a.db'}",
        "--warc-dir",
        str(tmp / "warc"),
        "--set",
        f"NEWSARCHIVE_LOG_DIR={tmp / 'logs'}",
        "--set",
        "AUTOTHROTTLE_ENABLED=False",
        "--set",
        "NEWSARCHIVE_EXTRACT_WORKERS=1",
    ]


def _article(title: str) -> bytes:
    body = "".join(f"<p>{PROSE} Paragraph {i} about {title.lower()}.</p>" for i in range(4))
    head = f"<html><head><title>{title}</title></head>"
    return f"{head}<body><article><h1>{title}</h1>{body}</article></body></html>".encode()


def test_a_piped_demo_prints_plain_lines_and_logs_to_a_file(tmp_path: Path) -> None:
    done = newsarchive("demo", "--port", "0", *_places(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    output = done.stdout + done.stderr
    assert not CONTROL.search(output), repr(output)
    lines = output.splitlines()
    # Was ~145 lines of Scrapy INFO for `crawl`: now a line of what is served, the summary, a hint.
    assert len(lines) <= 20, output
    assert "INFO" not in output and "scrapy.core" not in output, output
    logs = list((tmp_path / "logs").glob("crawl-*.log"))
    assert len(logs) == 1, logs
    assert re.search(rf"^log file +{re.escape(str(logs[0]))}$", output, re.MULTILINE), output
    log = logs[0].read_text()
    assert "[scrapy.core.engine] INFO: Spider opened" in log
    assert "'finish_reason': 'finished'" in log


def test_a_crawl_at_a_terminal_shows_live_progress_then_the_summary(tmp_path: Path) -> None:
    returncode, shown = newsarchive_in_terminal("demo", "--port", "0", *_places(tmp_path))
    assert returncode == 0, shown[-3000:]
    assert "crawling: " in shown and " fetched, " in shown and " pages/s, " in shown, shown[-3000:]
    assert "crawl summary" in shown and "extraction health" in shown, shown[-3000:]
    assert "\x1b[" in shown  # rich drew it: a terminal's output
    assert "[scrapy.core.engine] INFO" not in shown


def test_quiet_prints_the_summary_only_and_json_is_one_object(tmp_path: Path) -> None:
    done = newsarchive("demo", "--port", "0", "-q", "--format", "json", *_places(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr == ""
    summary = json.loads(done.stdout)
    assert summary["finish_reason"] == "finished"
    assert summary["pages_fetched"] == 22 and summary["new_articles"] == 12
    # One byte total: the summary's, the run's and the archive's are one sum of one definition.
    runs = newsarchive("runs", "--db", f"sqlite:///{tmp_path / 'a.db'}", "--format", "jsonl")
    stats = newsarchive("stats", "--db", f"sqlite:///{tmp_path / 'a.db'}", "--format", "json")
    assert runs.returncode == 0 and stats.returncode == 0, runs.stderr + stats.stderr
    (run,) = [json.loads(line) for line in runs.stdout.splitlines()]
    (site,) = json.loads(stats.stdout)["sites"]
    assert summary["bytes_received"] > 0
    assert summary["bytes_received"] == run["bytes_received"] == site["bytes_received"]
    warc = newsarchive(
        "reextract", "--warc-dir", str(tmp_path / "warc"), "--db", f"sqlite:///{tmp_path / 'b.db'}", "--workers", "1"
    )
    assert warc.returncode == 0, warc.stderr[-3000:]
    with sqlite3.connect(tmp_path / "b.db") as db:
        assert db.execute("SELECT sum(bytes_received) FROM captures").fetchone()[0] == summary["bytes_received"]


def test_every_download_failed_exits_1_with_one_line_per_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/news/"
    done = newsarchive("crawl", url, *_places(tmp_path), "--set", "RETRY_TIMES=0")
    assert done.returncode == 1, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    failures = [line for line in done.stderr.splitlines() if line.startswith("error: download failed")]
    assert len(failures) == 2, done.stderr  # robots.txt and the page
    assert re.search(r"finish reason\s+all_downloads_failed", done.stderr), done.stderr
    runs = newsarchive("runs", "--db", f"sqlite:///{tmp_path / 'a.db'}", "--format", "jsonl")
    assert [json.loads(line)["status"] for line in runs.stdout.splitlines()] == ["all_downloads_failed"]


def test_scrapy_crawl_exits_by_the_same_rule(tmp_path: Path) -> None:
    run = scrapy_crawl(tmp_path, f"http://127.0.0.1:{closed_port()}/", "RETRY_TIMES=0")
    assert run.returncode == 1, run.log[-3000:]
    assert "'finish_reason': 'all_downloads_failed'" in run.log


def test_a_crawl_that_fetched_nothing_exits_1(tmp_path: Path) -> None:
    routes = {"/robots.txt": response(b"User-agent: *\nDisallow: /\n", ("Content-Type", "text/plain"))}
    with RawSite(routes) as site:
        done = newsarchive("crawl", f"{site.url}/news/", *_places(tmp_path))
    assert done.returncode == 1, done.stderr[-3000:]
    assert re.search(r"finish reason\s+nothing_fetched", done.stderr), done.stderr
    runs = newsarchive("runs", "--db", f"sqlite:///{tmp_path / 'a.db'}", "--format", "jsonl")
    assert [json.loads(line)["status"] for line in runs.stdout.splitlines()] == ["nothing_fetched"]


def test_a_crawl_that_lost_a_page_exits_1(tmp_path: Path) -> None:
    slugs = ("a-story-that-is-kept", "a-story-the-database-refuses")
    links = "".join(f"<li><a href='/news/{slug}/'>{slug}</a></li>" for slug in slugs)
    listing = f"<html><body><h1>News</h1><ul>{links}</ul></body></html>".encode()
    routes = {
        "/news/": response(listing, HTML),
        f"/news/{slugs[0]}/": response(_article("A story that is kept"), HTML),
        f"/news/{slugs[1]}/": response(_article("A story the database refuses"), HTML),
    }
    database = tmp_path / "a.db"
    open_database(f"sqlite:///{database}").kw["bind"].dispose()
    with sqlite3.connect(database) as db:  # as an operator's constraint would
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON article_versions WHEN NEW.title = 'A story the database refuses' "
            "BEGIN SELECT RAISE(ABORT, 'refused by the operator'); END"
        )
    with RawSite(routes) as site:
        done = newsarchive("crawl", f"{site.url}/news/", *_places(tmp_path), "--set", "ROBOTSTXT_OBEY=False")
    assert done.returncode == 1, done.stderr[-3000:]
    assert re.search(r"finish reason\s+store_skipped", done.stderr), done.stderr


def test_a_paused_crawl_exits_1_and_says_it_can_resume(big_site: SampleSite, tmp_path: Path) -> None:
    process = start_slow_crawl(big_site, tmp_path, f"JOBDIR={tmp_path / 'job'}")
    wait_until_archiving(tmp_path / "warc")
    time.sleep(0.5)  # not a timed assertion: only so that the pause comes mid-crawl
    process.send_signal(signal.SIGINT)  # Ctrl-C: Scrapy stops gracefully, its queue kept in JOBDIR
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 1, output[-3000:]
    assert "'finish_reason': 'paused'" in output, output[-3000:]
    runs = newsarchive("runs", "--db", f"sqlite:///{tmp_path / 'archive.db'}", "--format", "jsonl")
    assert [json.loads(line)["status"] for line in runs.stdout.splitlines()] == ["paused"]
