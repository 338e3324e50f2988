"""The web reader under test: an archive of two crawls of the sample site (the second finds one
article edited, and one headline carries a script tag), served by `newsarchive serve` on a free
port of 127.0.0.1, and a headless Chromium driven by Playwright."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from archive.sample_site import SampleArticle, SampleSite, load_articles
from tests.support.cli import ROOT
from tests.support.crawls import CrawlRun, newsfeed_crawl

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Extraction drops a JSON-LD headline's tags, so the title carries an unclosed one; the body and
# the tags keep whole script elements.
HOSTILE_TITLE = "Ministers meet over grain <script"
HOSTILE_PARAGRAPH = "The leaked memo read: <script>window.pwned = 1</script> and nothing more."
HOSTILE_TAG = "<script>window.pwned = 2</script>"
HOSTILE_INDEX, EDITED_INDEX = 2, 0
READER_PAGE_SIZE = "NEWSARCHIVE_READER_PAGE_SIZE"
CORRECTION = "Correction: an earlier version of this story gave the wrong rate."


@dataclasses.dataclass(frozen=True)
class ReaderArchive:
    run: CrawlRun
    articles: list[SampleArticle]  # as the second crawl found them
    edited: SampleArticle
    hostile: SampleArticle


def _first_articles() -> list[SampleArticle]:
    articles = load_articles()
    hostile = articles[HOSTILE_INDEX]
    articles[HOSTILE_INDEX] = dataclasses.replace(
        hostile,
        title=HOSTILE_TITLE,
        paragraphs=(*hostile.paragraphs, HOSTILE_PARAGRAPH),
        tags=(*hostile.tags, HOSTILE_TAG),
    )
    return articles


def _edited(articles: list[SampleArticle]) -> list[SampleArticle]:
    edited = dataclasses.replace(
        articles[EDITED_INDEX],
        paragraphs=(*articles[EDITED_INDEX].paragraphs, CORRECTION),
        modified=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    )
    return [edited if i == EDITED_INDEX else a for i, a in enumerate(articles)]


def two_crawls(tmp: Path) -> ReaderArchive:
    """Two real crawls of the sample site on one port (one site in the archive), the article at
    EDITED_INDEX given a correction between them: two versions of it."""
    first = _first_articles()
    with SampleSite(articles=first) as site:
        run = newsfeed_crawl(tmp, [f"start_url={site.url}/news-feed/"])
        assert run.returncode == 0, run.log[-3000:]
        port = site.port
    time.sleep(1.1)  # the edit is dated after the first run's captures
    second = _edited(first)
    with SampleSite(port=port, articles=second) as site:
        run = newsfeed_crawl(tmp, [f"start_url={site.url}/news-feed/"], database_url=run.database_url)
        assert run.returncode == 0, run.log[-3000:]
    return ReaderArchive(run, second, second[EDITED_INDEX], second[HOSTILE_INDEX])


@dataclasses.dataclass(frozen=True)
class ServedCrawl:
    """`newsarchive serve` over a crawl's archive."""

    base: str
    run: CrawlRun

    def url(self, path: str) -> str:
        return self.base + path

    def database(self) -> sqlite3.Connection:
        return sqlite3.connect(self.run.database_url.removeprefix("sqlite:///"))

    def captures(self, url: str) -> list[tuple[int, int, str]]:
        """(id, status, record type) of every capture of *url*, oldest first."""
        with self.database() as db:
            rows = db.execute(
                "SELECT id, status, record_type FROM captures WHERE url = ? ORDER BY fetched_at, id", (url,)
            ).fetchall()
        return [(int(i), int(status), str(kind)) for i, status, kind in rows]

    def capture_id(self, url: str, *, last: bool = False) -> int:
        """The first (or last) full capture (a 200 response) of *url*."""
        full = [i for i, status, kind in self.captures(url) if status == 200 and kind == "response"]
        assert full, f"{url} has no full capture"
        return full[-1] if last else full[0]


@dataclasses.dataclass(frozen=True)
class Served(ServedCrawl):
    """`newsarchive serve` over the two crawls of the sample site."""

    archive: ReaderArchive

    def article_id(self, article: SampleArticle) -> int:
        """The archive's id of a sample article (found by the path of its URL)."""
        with self.database() as db:
            row = db.execute("SELECT id FROM articles WHERE url LIKE ?", (f"%{article.path}",)).fetchone()
        assert row is not None, f"{article.path} is not archived"
        return int(row[0])

    def article_count(self) -> int:
        with self.database() as db:
            return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])

    def site_name(self) -> str:
        with self.database() as db:
            return str(db.execute("SELECT name FROM sites").fetchone()[0])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(database_url: str, *options: str) -> Iterator[str]:
    """`newsarchive serve` on a free port until the block ends; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "archive.cli", "serve", "--db", database_url, "--port", str(port), *options],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # up to 30 s; Datasette imports take a few seconds on a busy machine
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None:
                    raise AssertionError(f"serve exited: {process.stdout.read() if process.stdout else ''}") from None
                time.sleep(0.1)
        else:
            raise AssertionError("serve did not answer within 30 s")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def chromium_page(tmp_path: Path) -> Iterator[Any]:
    """A Playwright page in Debian's headless Chromium (Playwright's own browser download is not used)."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(accept_downloads=True, viewport={"width": 1200, "height": 900})
            page = context.new_page()
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()
