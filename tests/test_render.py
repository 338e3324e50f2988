"""Render mode (issue 23 §2): pages whose story a script builds from a JSON API.

Real crawls of tests/support/requisite_site.py in real headless Chromium (Debian's, through
Playwright); the WARC read back with warcio and re-extracted into a fresh database.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from lxml import html as lxml_html
from warcio.archiveiterator import ArchiveIterator

from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun, profile_crawl
from tests.support.reader import ServedCrawl, serving
from tests.support.requisite_site import API_STORY, MASTHEAD_LINE, STORIES, RequisiteSite
from tests.support.stalling_site import QUICK_TEXT, StallingSite

try:
    import playwright.async_api  # noqa: F401

    _PLAYWRIGHT = True
except ImportError:
    _PLAYWRIGHT = False

needs_browser = pytest.mark.skipif(
    shutil.which("chromium") is None or not _PLAYWRIGHT,
    reason="render mode needs Debian's chromium (apt-get install chromium) and Playwright "
    "(pip install -e '.[browser]')",
)


def _stored(database_url: str) -> dict[str, tuple[str | None, str]]:
    """url → (title, text) of each article's latest version."""
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
        rows = db.execute(
            "SELECT a.url, v.title, v.text FROM articles a JOIN article_versions v ON v.article_id = a.id ORDER BY v.id"
        ).fetchall()
    return {url: (title, text) for url, title, text in rows}


def _extracted_as(database_url: str, url: str) -> list[str | None]:
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
        return [row[0] for row in db.execute("SELECT extracted_as FROM captures WHERE url = ?", (url,))]


def _records(warc_dir: Path) -> list[tuple[str, str, dict[str, str], bytes]]:
    records = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                headers = dict(record.rec_headers.headers)
                records.append(
                    (record.rec_type, headers.get("WARC-Target-URI", ""), headers, record.content_stream().read())
                )
    return records


def test_without_render_the_api_page_is_a_script_built_capture_and_a_hint(
    requisite_site: RequisiteSite, tmp_path: Path
) -> None:
    run = profile_crawl(tmp_path, requisite_site.listing_url, render=False)
    assert run.returncode == 0, run.log[-3000:]
    api_url = f"{requisite_site.url}{API_STORY.path}"
    stored = _stored(run.database_url)
    assert api_url not in stored  # not an article whose text is the masthead line
    assert all(
        MASTHEAD_LINE not in text for text in (t for u, (_, t) in stored.items() if u != requisite_site.listing_url)
    )
    assert _extracted_as(run.database_url, api_url) == ["script-built"]
    for story in STORIES:  # pages with their story in the HTML are articles as before
        assert story.paragraphs[0] in stored[f"{requisite_site.url}{story.path}"][1]
    hints = [line for line in run.log.splitlines() if "set render = true" in line]
    assert len(hints) == 1, hints  # once per site and run
    assert "'newsarchive/extracted/script-built': 1" in run.log


@needs_browser
def test_render_stores_the_api_story_as_the_article(requisite_site: RequisiteSite, rendered_crawl: CrawlRun) -> None:
    title, text = _stored(rendered_crawl.database_url)[f"{requisite_site.url}{API_STORY.path}"]
    assert title == API_STORY.title
    assert text.splitlines() == list(API_STORY.paragraphs)
    assert _extracted_as(rendered_crawl.database_url, f"{requisite_site.url}{API_STORY.path}") == ["article"]


@needs_browser
def test_render_archives_every_browser_request_and_the_rendered_dom(
    requisite_site: RequisiteSite, rendered_crawl: CrawlRun
) -> None:
    records = _records(rendered_crawl.warc_dir)
    page = f"{requisite_site.url}{API_STORY.path}"
    for url in (
        page,
        f"{requisite_site.url}/static/story.js",
        f"{requisite_site.url}/api/stories/{API_STORY.slug}.json",
    ):
        kinds = {kind for kind, uri, _, _ in records if uri == url}
        assert {"request", "response"} <= kinds, (url, kinds)
    api_body = next(body for kind, uri, _, body in records if kind == "response" and uri.endswith(".json"))
    assert API_STORY.paragraphs[0].encode() in api_body  # the JSON as the server sent it
    (response_id,) = [h["WARC-Record-ID"] for kind, uri, h, _ in records if kind == "response" and uri == page]
    (dom,) = [(h, body) for kind, uri, h, body in records if kind == "conversion" and uri == page]
    headers, body = dom
    assert headers["WARC-Refers-To"] == response_id
    assert headers["WARC-Refers-To-Target-URI"] == page
    assert headers["Content-Type"].startswith("text/html")
    assert API_STORY.paragraphs[1].encode() in body
    # The page's own response is the HTML as received: the empty container, not the DOM.
    page_body = next(body for kind, uri, _, body in records if kind == "response" and uri == page)
    assert API_STORY.paragraphs[0].encode() not in page_body
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, rendered_crawl.warc_dir.glob("*.warc.gz"))],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr


@needs_browser
def test_what_the_pages_share_is_fetched_once_a_run(requisite_site: RequisiteSite, rendered_crawl: CrawlRun) -> None:
    """Every page's browser asks for the shared stylesheets, font and scripts, and the spider names
    them too: one request and one response record each, whichever asked first (a second download
    would be a revisit record: no second copy, but a request the site need not have answered)."""
    records = _records(rendered_crawl.warc_dir)
    requests = Counter(uri for kind, uri, _, _ in records if kind == "request")
    responses = Counter(uri for kind, uri, _, _ in records if kind in ("response", "revisit"))
    shared = requisite_site.requisites_of(requisite_site.article_urls()[0]) & requisite_site.requisites_of(
        requisite_site.article_urls()[1]
    )
    assert f"{requisite_site.url}/static/site.css" in shared and f"{requisite_site.cdn_url}/cdn/theme.css" in shared
    assert {url: (requests[url], responses[url]) for url in shared} == dict.fromkeys(shared, (1, 1))
    assert [uri for uri, count in requests.items() if count > 1] == []


@pytest.fixture(scope="module")
def rendered_reextract(rendered_crawl: CrawlRun, tmp_path_factory: pytest.TempPathFactory) -> str:
    """`newsarchive reextract` of ``rendered_crawl``'s WARCs into a fresh database: its URL. Read only."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('rendered-reextract') / 'fresh.db'}"
    done = newsarchive("reextract", "--warc-dir", str(rendered_crawl.warc_dir), "--db", database_url, "--workers", "1")
    assert done.returncode == 0, done.stderr
    return database_url


@needs_browser
def test_reextract_reads_the_rendered_dom(
    requisite_site: RequisiteSite, rendered_crawl: CrawlRun, rendered_reextract: str
) -> None:
    database_url = rendered_reextract
    page = f"{requisite_site.url}{API_STORY.path}"
    assert _stored(database_url)[page] == _stored(rendered_crawl.database_url)[page]
    assert _extracted_as(database_url, page) == ["article"]


def _requisite_rows(database_url: str) -> dict[tuple[str, int], list[str]]:
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
        rows = db.execute(
            "SELECT c.warc_file, c.warc_offset, r.url FROM capture_requisites r JOIN captures c ON c.id = r.capture_id"
            " ORDER BY c.id, r.position"
        ).fetchall()
    found: dict[tuple[str, int], list[str]] = {}
    for warc_file, offset, url in rows:
        found.setdefault((warc_file, offset), []).append(url)
    return found


@needs_browser
def test_a_rendered_page_records_the_requisites_its_html_names_both_ways(
    requisite_site: RequisiteSite, rendered_crawl: CrawlRun, rendered_reextract: str
) -> None:
    """What a replay of the page loads is what its HTML names (the browser's own requests are
    archived besides): the crawl and a reextract, which reads the DOM for extraction, agree."""
    run = rendered_crawl  # render mode, requisites at the default level: the crawl this needs
    crawled = _requisite_rows(run.database_url)
    page = f"{requisite_site.url}{API_STORY.path}"
    with sqlite3.connect(run.database_url.removeprefix("sqlite:///")) as db:
        (location,) = db.execute("SELECT warc_file, warc_offset FROM captures WHERE url = ? AND status = 200", (page,))
    named = [f"{requisite_site.url}/static/site.css", f"{requisite_site.cdn_url}/cdn/theme.css"]
    assert crawled[tuple(location)] == [
        *named,
        f"{requisite_site.url}/static/img/icon.png",
        f"{requisite_site.url}/static/late.css",
        f"{requisite_site.url}/static/story.js",
    ]
    assert _requisite_rows(rendered_reextract) == crawled


@needs_browser
def test_a_render_timeout_loses_that_page_only(stalling_site: StallingSite, tmp_path: Path) -> None:
    run = profile_crawl(
        tmp_path, stalling_site.listing_url, "NEWSARCHIVE_RENDER_TIMEOUT=8", "DOWNLOAD_TIMEOUT=12", render=True
    )
    stalled = f"{stalling_site.url}/news/2026/page-never-loads/"
    assert f"download failed: {stalled}: not rendered" in run.log
    assert "'newsarchive/download_errors/render': 1" in run.log  # counted as the crawl's download errors
    assert run.returncode == 0, run.log[-3000:]  # a lost render is not a lost run
    stored = _stored(run.database_url)
    assert f"{stalling_site.url}/news/2026/ferry-timetable-changes/" in stored, run.log[-5000:]
    assert stored[f"{stalling_site.url}/news/2026/ferry-timetable-changes/"][1] == QUICK_TEXT, run.log[-4000:]
    assert stalled not in stored
    assert _extracted_as(run.database_url, stalled) == ["script-built"]  # archived, its HTML extracted


@needs_browser
def test_a_rendered_dom_written_after_the_writer_rotated_files_is_found(
    requisite_site: RequisiteSite, tmp_path: Path
) -> None:
    """A WARC file closed at every record (NEWSARCHIVE_WARC_MAX_SIZE=1): the page's conversion
    record lies in a later file than its response. "View as archived" and a reextract find it."""
    run = profile_crawl(tmp_path, requisite_site.listing_url, "NEWSARCHIVE_WARC_MAX_SIZE=1", render=True)
    assert run.returncode == 0, run.log[-3000:]
    page = f"{requisite_site.url}{API_STORY.path}"
    with sqlite3.connect(run.database_url.removeprefix("sqlite:///")) as db:
        query = "SELECT warc_file FROM captures WHERE url = ? AND status = 200"
        (response_file,) = db.execute(query, (page,)).fetchone()
    conversions = [
        path.name
        for path in run.warc_dir.glob("*.warc.gz")
        for record in ArchiveIterator(path.open("rb"))
        if record.rec_type == "conversion" and record.rec_headers.get_header("WARC-Target-URI") == page
    ]
    assert len(conversions) == 1 and conversions[0] != response_file  # the fault's setting, as made
    assert _extracted_as(run.database_url, page) == ["article"]
    with serving(run.database_url, "--warc-dir", str(run.warc_dir)) as base:
        served = ServedCrawl(base, run)
        with urllib.request.urlopen(served.url(f"/capture/{served.capture_id(page)}/archived"), timeout=30) as answer:
            view = lxml_html.document_fromstring(answer.read())
    assert view.xpath("string(//article[@id='story']/h1)") == API_STORY.title
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    done = newsarchive("reextract", "--warc-dir", str(run.warc_dir), "--db", fresh, "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert _extracted_as(fresh, page) == ["article"]
    assert _stored(fresh)[page] == _stored(run.database_url)[page]
    # Given the page's file alone, reextract finds the DOM in the file its writer went on to.
    alone = f"sqlite:///{tmp_path / 'alone.db'}"
    done = newsarchive("reextract", str(run.warc_dir / response_file), "--db", alone, "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert _extracted_as(alone, page) == ["article"]
    assert _stored(alone)[page] == _stored(run.database_url)[page]
