"""The web reader (`newsarchive serve`'s own pages) in real headless Chromium over two real crawls
of the sample site: what a reader sees on each page, the links between them, the WARC record
download, the sandboxed replay, the edits and their Atom feed. A screenshot of each page goes to
the test's output folder."""

from __future__ import annotations

import gzip
import io
import sqlite3
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html
from warcio.archiveiterator import ArchiveIterator

from tests.support.cli import newsarchive
from tests.support.reader import (
    CORRECTION,
    HOSTILE_PARAGRAPH,
    HOSTILE_TAG,
    HOSTILE_TITLE,
    Served,
    chromium_page,
    serving,
)
from tests.support.warc_files import ARTICLE, response_record

ATOM = "{http://www.w3.org/2005/Atom}"
WHOLE_URL = "https://foreign.example/news/whole-story/"


def _visit(page: Any, url: str, shot: Path) -> Any:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0
    return response


def _fetch(url: str) -> tuple[int, Message, bytes]:
    """(status, headers looked up by any case, body)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_home_shows_sites_and_latest_articles_with_hostile_titles_as_text(
    reader: Served, chromium: str, tmp_path: Path
) -> None:
    with chromium_page(tmp_path) as page:
        _visit(page, reader.url("/"), tmp_path / "home.png")
        assert page.title() == "newsarchive"
        site = reader.site_name()
        assert page.locator("table.sites a", has_text=site).get_attribute("href") == f"/site/{site}"
        count = reader.article_count()
        assert count >= len(reader.archive.articles)
        assert page.locator("table.sites td").nth(1).inner_text() == str(count)
        assert page.locator("ul.articles li").count() == count
        edited = reader.archive.edited
        item = page.locator("ul.articles li", has_text=edited.title)
        assert item.locator("a").get_attribute("href") == f"/article/{reader.article_id(edited)}"
        assert ", ".join(edited.authors) in item.inner_text()
        # the headline's script tag is text on the page, and never ran
        assert page.get_by_text(HOSTILE_TITLE, exact=True).count() == 1
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert "alembic_version" not in page.content()
        assert page.locator("form[role=search] input[name=q]").count() == 1


def test_search_finds_an_article_with_a_highlighted_snippet_and_filters(
    reader: Served, chromium: str, tmp_path: Path
) -> None:
    edited = reader.archive.edited
    with chromium_page(tmp_path) as page:
        page.goto(reader.url("/"))
        page.fill("header input[name=q]", "rate")
        page.click("header button")
        page.wait_for_url("**/search?q=rate")
        page.screenshot(path=str(tmp_path / "search.png"), full_page=True)
        assert page.title() == "rate"
        hit = page.locator("li.hit", has_text=edited.title)
        assert hit.count() == 1
        assert hit.locator("a").get_attribute("href") == f"/article/{reader.article_id(edited)}"
        assert hit.locator("p.snippet mark").first.inner_text().lower() == "rate"
        assert "SELECT" not in page.inner_text("main")
        # a site filter that keeps the hit, a date range that drops it
        _visit(page, reader.url(f"/search?q=rate&site={reader.site_name()}"), tmp_path / "search-site.png")
        assert page.locator("li.hit", has_text=edited.title).count() == 1
        _visit(page, reader.url("/search?q=rate&since=2030-01-01"), tmp_path / "search-dates.png")
        assert page.locator("li.hit").count() == 0 and page.get_by_text("No article matches.").count() == 1
        # a query that cannot be searched says why, in one line
        _visit(page, reader.url("/search?q=-only"), tmp_path / "search-refused.png")
        assert "at least one term that must occur" in page.inner_text("p.error")


def test_search_pages_through_every_hit_once(reader: Served, chromium: str, tmp_path: Path) -> None:
    """Five hits a page (the fixture's --set): "valdoria" is in most of the sample's articles."""
    with chromium_page(tmp_path) as page:
        _visit(page, reader.url("/search?q=valdoria"), tmp_path / "search-page-1.png")
        seen, pages = [], 0
        while True:
            pages += 1
            hits = page.locator("li.hit > a").all_inner_texts()
            assert 1 <= len(hits) <= 5
            seen += hits
            assert (page.locator("a[rel=prev]").count() == 1) == (pages > 1)
            if page.locator("a[rel=next]").count() == 0:
                break
            page.click("a[rel=next]")
            page.wait_for_url(f"**page={pages + 1}")
            page.screenshot(path=str(tmp_path / f"search-page-{pages + 1}.png"), full_page=True)
        assert pages >= 2 and len(seen) == len(set(seen)) > 5
        assert page.locator("ol.hits").get_attribute("start") == str((pages - 1) * 5 + 1)


def test_article_page_shows_body_versions_and_their_word_diff(reader: Served, chromium: str, tmp_path: Path) -> None:
    edited = reader.archive.edited
    with chromium_page(tmp_path) as page:
        _visit(page, reader.url(f"/article/{reader.article_id(edited)}"), tmp_path / "article.png")
        assert page.inner_text("article h1") == edited.title
        assert page.title() == edited.title
        body = page.locator("article div.body p").all_inner_texts()
        assert body[0] == edited.paragraphs[0] and CORRECTION in body
        assert ", ".join(edited.authors) in page.inner_text("p.byline")
        assert page.locator("ol.timeline li").count() == 2
        # the latest change is shown by default: the correction added, nothing removed
        assert CORRECTION in " ".join(page.locator("div.diff ins").all_inner_texts())
        assert page.locator("div.diff del").count() == 0
        # and any two versions can be compared, the other way round too
        page.select_option("form.compare select[name=a]", "2")
        page.select_option("form.compare select[name=b]", "1")
        page.click("form.compare button")
        page.wait_for_url("**a=2&b=1**")
        page.screenshot(path=str(tmp_path / "article-diff.png"), full_page=True)
        assert CORRECTION in " ".join(page.locator("div.diff del").all_inner_texts())


def test_the_record_download_is_the_warc_record_warcio_reads(reader: Served, chromium: str, tmp_path: Path) -> None:
    edited = reader.archive.edited
    with chromium_page(tmp_path) as page:
        _visit(page, reader.url(f"/article/{reader.article_id(edited)}"), tmp_path / "article-captures.png")
        links = page.locator("a.record")
        assert links.count() >= 2  # a capture per crawl
        with page.expect_download() as download_info:
            links.last.click()
        download = download_info.value
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
    assert saved.name.endswith(".warc.gz")
    records = [
        (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
        for r in ArchiveIterator(io.BytesIO(saved.read_bytes()))
    ]
    assert len(records) == 1 and records[0][0] == "response" and records[0][1].endswith(edited.path)
    assert CORRECTION.encode() in records[0][2]  # the second crawl's capture: the edited page
    status, _, _ = _fetch(reader.url("/capture/999999.warc"))
    assert status == 404


def test_view_as_archived_is_a_sandboxed_iframe_with_a_strict_csp(
    reader: Served, chromium: str, tmp_path: Path
) -> None:
    hostile = reader.archive.hostile
    with chromium_page(tmp_path) as page:
        page.goto(reader.url(f"/article/{reader.article_id(hostile)}"))
        page.locator("a.archived").first.click()
        page.wait_for_url("**view=*")
        frame = page.locator("iframe.replay")
        assert frame.get_attribute("sandbox") == ""  # no allow-scripts, no allow-same-origin
        page.frame_locator("iframe.replay").locator("h1").first.wait_for()
        page.screenshot(path=str(tmp_path / "replay.png"), full_page=True)
        source = frame.get_attribute("src")
        assert source is not None
        assert HOSTILE_PARAGRAPH in page.frame_locator("iframe.replay").locator("body").inner_text()
        # the archived page's own words as text, the reader's too, and no script of either ran
        assert HOSTILE_PARAGRAPH in page.locator("article div.body p").all_inner_texts()
        assert HOSTILE_TAG in page.inner_text("article dl")
        assert page.evaluate("typeof window.pwned") == "undefined"
    status, headers, body = _fetch(reader.url(source))
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    csp = headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
    assert csp.endswith("; sandbox") and "script-src" not in csp  # tests/test_reader_archived.py: the whole policy
    assert b"memo read: &lt;script&gt;window.pwned" in body  # the archived text, as the site sent it


def test_site_page_charts_articles_per_day_and_shows_extraction_health(
    reader: Served, chromium: str, tmp_path: Path
) -> None:
    site = reader.site_name()
    with chromium_page(tmp_path) as page:
        page.goto(reader.url("/"))
        page.click(f"table.sites a:text-is('{site}')")
        page.wait_for_url(f"**/site/{site}")
        page.screenshot(path=str(tmp_path / "site.png"), full_page=True)
        assert page.inner_text("h1") == site
        bars = page.locator("svg.chart rect.bar")
        assert bars.count() >= 1
        titles = " ".join(page.locator("svg.chart rect.bar title").all_text_contents())
        published = {a.published[:10] for a in reader.archive.articles}
        assert all(day in titles for day in published)
        assert "<script" not in page.inner_html("svg.chart") and page.locator("script").count() == 0
        health = page.locator("table.health tr")
        assert health.count() == 3  # the header and one row per crawl
        assert page.locator("table.health th").all_inner_texts()[:3] == ["run", "site", "started"]
        assert page.locator("table.health tr").nth(1).locator("td").last.inner_text() in {"learning", "ok", "drift"}


def test_recent_edits_page_and_atom_feed_list_the_edit(reader: Served, chromium: str, tmp_path: Path) -> None:
    feedparser = pytest.importorskip("feedparser")
    edited = reader.archive.edited
    article_id = reader.article_id(edited)
    site = reader.site_name()
    with chromium_page(tmp_path) as page:
        for path, shot in (("/edits", "edits.png"), (f"/site/{site}/edits", "site-edits.png")):
            _visit(page, reader.url(path), tmp_path / shot)
            items = page.locator("ul.edits li")
            assert items.count() == 1
            assert items.first.locator("a").inner_text() == edited.title
            assert f"{site} · version 2" in items.first.inner_text()
            assert "{+" in items.first.locator("p.summary").inner_text() and "Correction:" in items.first.inner_text()
        feed_link = page.locator("a.feed").get_attribute("href")
        assert feed_link == f"/edits.atom?site={site}"
        _visit(page, reader.url("/edits?since=1h"), tmp_path / "edits-hour.png")
        assert page.locator("ul.edits li a").count() == 1
        status, headers, body = _fetch(reader.url(feed_link))
        assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
        root = ET.fromstring(body)
        assert root.tag == f"{ATOM}feed" and root.find(f"{ATOM}updated") is not None
        entries = root.findall(f"{ATOM}entry")
        assert len(entries) == 1
        parsed = feedparser.parse(body)
        assert not parsed.bozo and parsed.version == "atom10"
        entry = parsed.entries[0]
        assert entry.title.startswith(edited.title) and "version 2" in entry.title
        assert entry.link == reader.url(f"/article/{article_id}?a=1&b=2#diff")
        assert "Correction:" in entry.summary
        # the entry's link opens the article on its diff
        _visit(page, entry.link, tmp_path / "edit-diff.png")
        assert CORRECTION in " ".join(page.locator("div.diff ins").all_inner_texts())
    status, _, body = _fetch(reader.url("/edits.atom?site=nowhere"))
    assert status == 404 and b"no site named" in body


def test_mistakes_are_a_page_that_says_so(reader: Served) -> None:
    for path, code, words in (
        ("/article/999999", 404, b"no article 999999"),
        ("/article/1?a=1", 400, b"a diff needs two version numbers"),
        ("/article/1?a=1&b=9", 404, b"not 1 and 9"),
        ("/edits?since=soon", 400, b"since must be a number"),
        ("/search?q=x&since=yesterday", 400, b"dates are YYYY-MM-DD"),
        ("/site/nowhere", 404, b"no site named"),
        ("/capture/999999/archived", 404, b"no capture 999999"),
    ):
        status, _, body = _fetch(reader.url(path))
        assert status == code and words in body and b"Traceback" not in body, (path, status, body[:300])


def test_reading_writes_nothing(reader: Served) -> None:
    database = Path(reader.archive.run.database_url.removeprefix("sqlite:///"))
    before = database.stat().st_mtime_ns, database.stat().st_size
    for path in ("/", "/search?q=rate", "/article/1", "/edits", "/edits.atom", f"/site/{reader.site_name()}"):
        assert _fetch(reader.url(path))[0] == 200
    assert (database.stat().st_mtime_ns, database.stat().st_size) == before


def test_record_download_and_replay_of_foreign_warcs(tmp_path: Path) -> None:
    """Records of other tools' files, imported by reextract: an uncompressed WARC and a WARC gzipped
    whole (no member per record) download as a WARC warcio reads, and replay."""
    warcs = tmp_path / "warc"
    warcs.mkdir()
    (warcs / "plain.warc").write_bytes(
        response_record("https://foreign.example/news/plain-story/") + response_record("https://foreign.example/x/")
    )
    (warcs / "whole.warc.gz").write_bytes(
        gzip.compress(response_record("https://foreign.example/x/y/") + response_record(WHOLE_URL))
    )
    database = f"sqlite:///{tmp_path / 'foreign.db'}"
    done = newsarchive("reextract", "--db", database, "--warc-dir", str(warcs), "--workers", "1")
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "foreign.db") as db:
        captures = dict(db.execute("SELECT url, id FROM captures"))
    assert len(captures) == 4
    with serving(database, "--warc-dir", str(warcs)) as base:
        for url in ("https://foreign.example/news/plain-story/", WHOLE_URL):
            status, headers, body = _fetch(f"{base}/capture/{captures[url]}.warc")
            assert status == 200 and headers["Content-Type"] == "application/warc"
            assert "attachment" in headers["Content-Disposition"] and ".warc.gz" not in headers["Content-Disposition"]
            records = [
                (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
                for r in ArchiveIterator(io.BytesIO(body))
            ]
            assert records == [("response", url, ARTICLE)]
            status, headers, page = _fetch(f"{base}/capture/{captures[url]}/archived")
            assert status == 200 and "default-src 'none'" in headers["Content-Security-Policy"]
            # The archived page, written back out by the archived view's rewriting (it names no URL).
            shown, archived = (lxml_html.document_fromstring(markup).text_content() for markup in (page, ARTICLE))
            assert shown == archived
