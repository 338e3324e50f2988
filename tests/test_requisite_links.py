"""Each page capture knows the requisites it loaded (issue 23 §1): ``capture_requisites`` rows.

Two real crawls of tests/support/requisite_site.py (a site and a CDN on another origin), the
second a day's later run that re-checks everything (``refresh=all``) after the articles were
edited: its stylesheets, images and scripts answer 304. Every page's capture names what it loads
in its order, a stylesheet's capture what the stylesheet loads; every requisite resolves to the
record a replay at the page's time uses (the second run's to the first run's full copies);
``reextract`` into a fresh database (SQLite and PostgreSQL) writes the same rows; ``show`` lists
them and ``wacz`` packs their records."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import sqlite3
import zipfile
from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from archive import models
from archive.db import as_utc, open_database
from archive.reextract import reextract
from archive.requisite_records import Requisite, requisites_of
from tests.support.archive_data import DatabaseFactory
from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun, newsfeed_crawl, scrapy_crawl
from tests.support.requisite_site import API_STORY, STORIES, RequisiteSite
from tests.support.warc_files import warc_records

LAYOUT = "NEWSARCHIVE_REQUISITES=layout"  # the default, which the tests' crawls turn off


@dataclass(frozen=True)
class TwoRuns:
    first: CrawlRun
    second: CrawlRun
    second_started: dt.datetime
    first_files: frozenset[str]  # WARC file names the first run wrote


@pytest.fixture(scope="module")
def two_runs(requisite_site: RequisiteSite, tmp_path_factory: pytest.TempPathFactory) -> TwoRuns:
    tmp = tmp_path_factory.mktemp("requisite-links")
    first = scrapy_crawl(tmp, requisite_site.listing_url, LAYOUT)
    assert first.returncode == 0, first.log[-3000:]
    first_files = frozenset(p.name for p in first.warc_dir.glob("*.warc.gz"))
    requisite_site.edition += 1
    requisite_site.revision += 1  # the articles are edited: the second run stores new versions
    started = dt.datetime.now(dt.UTC)
    second = newsfeed_crawl(
        tmp, [f"start_url={requisite_site.listing_url}", "refresh=all"], LAYOUT, database_url=first.database_url
    )
    assert second.returncode == 0, second.log[-3000:]
    return TwoRuns(first, second, started, first_files)


def _page_captures(database_url: str) -> list[models.Capture]:
    """Every extracted page's capture (the listing and the articles of both runs), in fetch order."""
    with open_database(database_url, create=False)() as session:
        C = models.Capture
        return list(session.scalars(select(C).where(C.extracted_as.is_not(None)).order_by(C.fetched_at, C.id)))


def _resolved(database_url: str, captures: list[models.Capture]) -> dict[int, list[Requisite]]:
    with open_database(database_url, create=False)() as session:
        return requisites_of(session, [(c.id, c.fetched_at) for c in captures])


def _rows(database_url: str) -> dict[tuple[str, int], list[str]]:
    """capture_requisites by the WARC location of their capture (ids differ between databases)."""
    C, R = models.Capture, models.CaptureRequisite
    found: dict[tuple[str, int], list[str]] = defaultdict(list)
    with open_database(database_url, create=False)() as session:
        query = select(C.warc_file, C.warc_offset, R.url).join(C, C.id == R.capture_id).order_by(C.id, R.position)
        for warc_file, offset, url in session.execute(query):
            found[(warc_file, offset)].append(url)
    return dict(found)


def _named_by_markup(site: RequisiteSite, article_url: str) -> list[str]:
    """What an article's own markup names, in the order the page names them: stylesheets and icon
    (one XPath for ``<link>``), preloads, scripts, ``<img src>`` and lazy ``data-src``, then the
    ``srcset`` candidates not seen."""
    head = [
        f"{site.url}/static/site.css",
        f"{site.cdn_url}/cdn/theme.css",
        f"{site.url}/static/img/icon.png",
        f"{site.url}/static/late.css",
    ]
    if article_url.endswith(API_STORY.path):
        return [*head, f"{site.url}/static/story.js"]
    images = ("lead-800", "inline", "map", "lead-400", "lead-1600", "inline-wide", "map-1400")
    return [*head, f"{site.url}/static/panel.js", *(f"{site.url}/img/{name}.png" for name in images)]


def test_every_page_capture_names_what_it_loads_in_its_order(two_runs: TwoRuns, requisite_site: RequisiteSite) -> None:
    database = two_runs.first.database_url
    captures = _page_captures(database)
    rows = _rows(database)
    resolved = _resolved(database, captures)
    articles = [c for c in captures if c.url in requisite_site.article_urls()]
    # Both runs' captures of both edited stories, and the script-built story's first capture.
    assert len(articles) == 2 * len(STORIES) + 1
    for capture in articles:
        assert rows[(capture.warc_file, capture.warc_offset)] == _named_by_markup(requisite_site, capture.url)
        # With what its stylesheets load: exactly every URL the page needs to look as it does
        # (but the JSON a script asks for as it runs, which no markup names).
        expected = {url for url in requisite_site.requisites_of(capture.url) if "/api/" not in url}
        loaded = resolved[capture.id]
        assert [r.url for r in loaded] == list(dict.fromkeys(r.url for r in loaded)), "each URL once"
        assert {r.url for r in loaded} == expected
        for requisite in loaded:
            assert requisite.record is not None and requisite.body is not None, requisite
            assert (requisite.record.status, requisite.record.url) == (200, requisite.url)
    # A stylesheet's capture names what it loads, resolved against the stylesheet's own URL.
    with open_database(database, create=False)() as session:
        C = models.Capture
        css = session.scalars(
            select(C).where(C.url == f"{requisite_site.cdn_url}/cdn/theme.css", C.status == 200)
        ).one()
    assert rows[(css.warc_file, css.warc_offset)] == [f"{requisite_site.cdn_url}/cdn/masthead.png"]


def test_shared_requisites_resolve_to_one_full_record_and_304s_to_the_earlier_copy(
    two_runs: TwoRuns, requisite_site: RequisiteSite
) -> None:
    database = two_runs.first.database_url
    captures = _page_captures(database)
    resolved = _resolved(database, captures)
    shared = (f"{requisite_site.url}/static/site.css", f"{requisite_site.url}/static/fonts/headline.ttf")
    for url in shared:
        records = {r.record for found in resolved.values() for r in found if r.url == url}
        assert len(records) == 1, f"{url}: every page of both runs replays one record"
        (record,) = records
        assert record is not None and (record.status, record.record_type) == (200, "response")
        assert record.warc_file in two_runs.first_files
    second = [c for c in captures if as_utc(c.fetched_at) >= two_runs.second_started]
    assert {c.url for c in second} >= set(requisite_site.article_urls()) - {f"{requisite_site.url}{API_STORY.path}"}
    with open_database(database, create=False)() as session:
        C = models.Capture
        revalidated = set(
            session.scalars(select(C.url).where(C.status == 304, C.fetched_at >= two_runs.second_started))
        )
    for capture in second:
        for requisite in resolved[capture.id]:
            assert requisite.record is not None, requisite
            # The second run's requisites are the first run's full copies, which its 304s vouch for.
            assert requisite.record.warc_file in two_runs.first_files, requisite
            assert requisite.record.fetched_at < two_runs.second_started
        assert {r.url for r in resolved[capture.id]} & revalidated, "the second run revalidated none"


def test_reextract_into_a_fresh_database_writes_the_same_rows(
    two_runs: TwoRuns, backend: str, new_database_url: DatabaseFactory
) -> None:
    crawl_db = two_runs.first.database_url
    warc_dir = two_runs.first.warc_dir
    crawled = _rows(crawl_db)
    assert len(crawled) >= 2 * len(STORIES) + 1 + 2, "pages and stylesheets of both runs have rows"
    fresh = new_database_url(backend)
    # One worker: the pages are read for their requisites there, as for extraction.
    reextract([warc_dir], database_url=fresh, warc_dir=warc_dir, workers=1, progress=False)
    assert _rows(fresh) == crawled

    # Resolved alike: each page's requisites to the records at the same WARC locations.
    def located(database_url: str) -> dict[tuple[str, int], list[tuple[str, str | None]]]:
        captures = _page_captures(database_url)
        resolved = _resolved(database_url, captures)
        return {(c.warc_file, c.warc_offset): [(r.url, r.location) for r in resolved[c.id]] for c in captures}

    assert located(fresh) == located(crawl_db)
    # Into the crawl's own database: nothing new, nothing changed.
    reextract([warc_dir], database_url=crawl_db, warc_dir=warc_dir, workers=0, progress=False)
    assert _rows(crawl_db) == crawled


def _show(run: CrawlRun, url: str, *options: str, database_url: str | None = None) -> str:
    common = ["--db", database_url or run.database_url, "--warc-dir", str(run.warc_dir)]
    done = newsarchive("show", url, "--no-text", *options, *common)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_show_lists_the_requisites_of_the_shown_capture(
    two_runs: TwoRuns, requisite_site: RequisiteSite, tmp_path: Path
) -> None:
    article = f"{requisite_site.url}{STORIES[0].path}"
    shown = json.loads(_show(two_runs.first, article, "--format", "json"))
    listed = {r["url"]: r for r in shown["requisites"]}
    assert set(listed) == {url for url in requisite_site.requisites_of(article) if "/api/" not in url}
    font = listed[f"{requisite_site.url}/static/fonts/headline.ttf"]
    assert (font["status"], font["type"], font["record_type"]) == (200, "font/ttf", "response")
    assert font["named_by"] == f"{requisite_site.url}/static/site.css" and font["size"] > 10_000
    assert font["warc_file"] in two_runs.first_files and font["warc"].startswith(f"{font['warc_file']}@")
    assert listed[f"{requisite_site.url}/img/lead-1600.png"]["named_by"] == article
    # The text output: a line per requisite with its record's location.
    table = _show(two_runs.first, article)
    line = next(row for row in table.splitlines() if row.endswith(f"{requisite_site.url}/static/site.css\t"))
    assert f"\t{listed[f'{requisite_site.url}/static/site.css']['warc']}\t" in line
    # One the archive has no copy of is listed as not archived, and why.
    copy = tmp_path / "archive.db"
    # SQLite's own backup: a copy of the file alone would miss what is still in its write-ahead log.
    with (
        closing(sqlite3.connect(two_runs.first.database_url.removeprefix("sqlite:///"))) as source,
        closing(sqlite3.connect(copy)) as target,
    ):
        source.backup(target)
    with open_database(f"sqlite:///{copy}")() as session, session.begin():
        session.execute(delete(models.Capture).where(models.Capture.url.like("%/static/fonts/headline.ttf")))
    shown = json.loads(_show(two_runs.first, article, "--format", "json", database_url=f"sqlite:///{copy}"))
    font = next(r for r in shown["requisites"] if r["url"].endswith("/static/fonts/headline.ttf"))
    assert font["status"] is None and font["missing"].startswith("no capture of this URL")
    assert font["warc"].startswith("not archived: no capture of this URL")


def test_wacz_packs_the_records_of_each_pages_requisites(
    two_runs: TwoRuns, requisite_site: RequisiteSite, tmp_path: Path
) -> None:
    package = tmp_path / "second-run.wacz"
    common = ["--db", two_runs.first.database_url, "--warc-dir", str(two_runs.first.warc_dir)]
    since = two_runs.second_started.isoformat()
    done = newsarchive("wacz", "--since", since, "-o", str(package), "--format", "json", *common)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["requisites_not_archived"] == 0 and summary["requisite_records"] >= 13
    with zipfile.ZipFile(package) as zf:
        names = set(zf.namelist())
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").decode().splitlines()[1:]]
        index = [
            json.loads(line.split(" ", 2)[2])
            for line in gzip.decompress(zf.read("indexes/index.cdx.gz")).decode().splitlines()
        ]
        extracted = tmp_path / "archive"
        extracted.mkdir()
        for name in names:
            if name.startswith("archive/"):
                (extracted / Path(name).name).write_bytes(zf.read(name))
    # The second run's pages only; their stylesheets were 304s then: the first run's file is packed.
    assert pages and all(
        p["url"] in requisite_site.article_urls() or p["url"] == requisite_site.listing_url for p in pages
    )
    assert {f"archive/{name}" for name in two_runs.first_files} <= names
    full = {(entry["url"], entry.get("status")) for entry in index}
    for url in {u for u in requisite_site.requisites_of(f"{requisite_site.url}{STORIES[0].path}") if "/api/" not in u}:
        assert (url, "200") in full, f"{url}: no full record in the package"
    bodies = {
        fields["WARC-Target-URI"]: block
        for fields, block in warc_records(extracted)
        if fields.get("WARC-Type") == "response" and block.startswith(b"HTTP/1.1 200")
    }
    assert b"@font-face" in bodies[f"{requisite_site.url}/static/site.css"]
