"""A revisit is given the result its original was extracted to, instead of being extracted again
(archive/extraction/reuse.py, archive/memos.py, pipelines/reuse.py, archive/reextract.py)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import sqlite3
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from archive import models
from archive.db import open_database
from archive.extract import Article, ExtractionHints, NotAnArticle
from archive.extraction import reuse, types
from archive.extraction.pool import extract_page
from archive.memos import ExtractionReuse
from archive.reextract import reextract
from archive.responses import PageInput
from archive.sample_site import SampleSite
from archive.store import store
from tests.support.archive_data import SITE, T0, article, capture
from tests.support.crawls import CrawlRun, copy_crawl, crawl_stat, scrapy_crawl

# Every page fetched in full and the same as in the first crawl: each HTML page a revisit record.
REFETCH_ALL = ("NEWSARCHIVE_INCREMENTAL=False", "NEWSARCHIVE_CONDITIONAL_REQUESTS=False")


def _sample_page(site: SampleSite, path: str) -> PageInput:
    with urllib.request.urlopen(f"{site.url}{path}") as response:
        return PageInput(f"{site.url}{path}", response.read(), {"Content-Type": response.headers["Content-Type"]})


def test_a_result_is_stored_and_read_back_whole(sample_site: SampleSite) -> None:
    article = extract_page(_sample_page(sample_site, sample_site.articles[0].path))
    listing = extract_page(_sample_page(sample_site, "/news-feed/"))
    assert isinstance(article, Article) and article.authors and article.declared_urls
    assert isinstance(listing, NotAnArticle) and listing.kind == "listing"
    for result in (article, listing):
        assert result.input_digest is not None
        again = reuse.decode(reuse.encode(result))
        assert again == result and type(again) is type(result)
        assert all(type(getattr(again, f.name)) is type(getattr(result, f.name)) for f in dataclasses.fields(result))


def test_the_input_digest_covers_all_extraction_reads(sample_site: SampleSite, monkeypatch: pytest.MonkeyPatch) -> None:
    page = _sample_page(sample_site, sample_site.articles[0].path)
    digest = reuse.input_digest(page)
    same = dataclasses.replace(page, headers={"content-type": "text/html; charset=utf-8", "Date": "today"})
    assert reuse.input_digest(same) == digest  # headers extraction does not read do not count
    different = [
        dataclasses.replace(page, url=page.url + "amp/"),
        dataclasses.replace(page, body=page.body + b" "),
        dataclasses.replace(page, headers={"Content-Type": "text/html; charset=windows-1252"}),
        dataclasses.replace(page, hints=ExtractionHints(drop_xpaths=("//aside",))),
        dataclasses.replace(page, error="cannot decode"),
    ]
    assert len({digest, *map(reuse.input_digest, different)}) == 1 + len(different)
    monkeypatch.setattr(reuse, "EXTRACTOR_VERSION", types.EXTRACTOR_VERSION + ".next")
    assert reuse.input_digest(page) != digest


def _archive_contents(run: CrawlRun) -> dict[str, Any]:
    """What a SQLite archive holds, without what two runs of one crawl cannot share: ids, times,
    WARC file names and offsets."""
    with contextlib.closing(sqlite3.connect(run.database_url.removeprefix("sqlite:///"))) as db:

        def rows(sql: str) -> Counter[tuple[Any, ...]]:
            return Counter(tuple(row) for row in db.execute(sql))

        memos = {
            url: (digest, reuse.decode(blob))
            for url, digest, blob in db.execute("SELECT url, input_digest, result FROM extraction_memos")
        }
        return {
            "captures": rows(
                "SELECT url, method, status, record_type, content_type, content_length, payload_digest, "
                "extracted_as, content_hash FROM captures"
            ),
            "articles": rows(
                "SELECT a.url, a.removed_at IS NULL, v.content_hash FROM articles a "
                "LEFT JOIN article_versions v ON v.id = a.current_version_id"
            ),
            "versions": rows(
                "SELECT a.url, v.number, v.content_hash, v.title, v.text, v.published, v.modified, v.language, "
                "v.description, v.section, v.image, v.canonical_url, v.site_name, v.extractor_version, v.changes "
                "FROM article_versions v JOIN articles a ON a.id = v.article_id"
            ),
            "authors": rows(
                "SELECT v.content_hash, au.name, va.position FROM article_version_authors va "
                "JOIN authors au ON au.id = va.author_id JOIN article_versions v ON v.id = va.version_id"
            ),
            "tags": rows(
                "SELECT v.content_hash, t.name, vt.position FROM article_version_tags vt "
                "JOIN tags t ON t.id = vt.tag_id JOIN article_versions v ON v.id = vt.version_id"
            ),
            "health": rows(
                "SELECT site, pages, articles, with_title, with_author, with_date, median_body_chars, revisited, "
                "silent_changes FROM site_run_health"
            ),
            "memos": memos,
        }


def _html_revisits(run: CrawlRun) -> int:
    with contextlib.closing(sqlite3.connect(run.database_url.removeprefix("sqlite:///"))) as db:
        return int(
            db.execute(
                "SELECT count(*) FROM captures WHERE record_type = 'revisit' AND extracted_as IS NOT NULL"
            ).fetchone()[0]
        )


@pytest.fixture(scope="module")
def second_crawls(
    sample_site: SampleSite, sample_crawl: CrawlRun, tmp_path_factory: pytest.TempPathFactory
) -> tuple[CrawlRun, CrawlRun]:
    """The sample crawl crawled again, every page fetched in full and unchanged: once as the crawl
    runs by default, once with reuse off (every revisit extracted)."""
    runs = []
    for name, reuse_setting in (("reused", "True"), ("extracted", "False")):
        copy = copy_crawl(sample_crawl, tmp_path_factory.mktemp(name) / "crawl")
        run = scrapy_crawl(
            copy.warc_dir.parent,
            f"{sample_site.url}/news-feed/",
            *REFETCH_ALL,
            f"NEWSARCHIVE_EXTRACT_REUSE={reuse_setting}",
            database_url=copy.database_url,
        )
        assert run.returncode == 0, run.log[-3000:]
        runs.append(run)
    return runs[0], runs[1]


def test_a_second_crawl_extracts_no_unchanged_page(second_crawls: tuple[CrawlRun, CrawlRun]) -> None:
    reused, extracted = second_crawls
    revisits = _html_revisits(reused)
    assert revisits >= 10  # the sample site's listings and articles, each the same as in the first crawl
    assert _html_revisits(extracted) == revisits
    assert crawl_stat(reused.log, "newsarchive/extract/reused") == revisits
    assert crawl_stat(reused.log, "newsarchive/extract/pool_pages") == 0
    assert crawl_stat(extracted.log, "newsarchive/extract/reused") == 0
    assert crawl_stat(extracted.log, "newsarchive/extract/pool_pages") == revisits
    for kind in ("article", "listing"):
        name = f"newsarchive/extracted/{kind}"
        assert crawl_stat(reused.log, name) == crawl_stat(extracted.log, name) > 0


def test_the_archive_ends_as_if_every_page_were_extracted(second_crawls: tuple[CrawlRun, CrawlRun]) -> None:
    reused, extracted = second_crawls
    contents = _archive_contents(reused)
    assert contents == _archive_contents(extracted)
    assert contents["health"].total() == 2  # one row per run: the second run's tallies the same too
    assert contents["memos"]  # and what a third run would reuse


def test_reextract_gives_revisits_their_stored_result(second_crawls: tuple[CrawlRun, CrawlRun], tmp_path: Path) -> None:
    """Re-extracting the second crawl's WARC into its own archive: its revisits are the results
    stored for them, the store changes nothing."""
    run = copy_crawl(second_crawls[1], tmp_path / "crawl")
    before = _archive_contents(run)
    warcs = sorted(run.warc_dir.glob("*.warc.gz"))[-1:]  # the second crawl's file
    result = reextract(warcs, database_url=run.database_url, warc_dir=run.warc_dir, workers=0, progress=False)
    revisits = result.read.revisits
    assert result.reused > 0 and result.reused == sum(result.results.values()) - result.extracted
    assert result.store.versions_new == 0 and result.captures_new == 0
    assert _archive_contents(run) == before
    off = reextract(
        warcs,
        database_url=run.database_url,
        warc_dir=run.warc_dir,
        workers=0,
        progress=False,
        settings=dataclasses.replace(_settings(), reuse=False),
    )
    assert off.reused == 0 and off.read.revisits == revisits
    assert json.dumps(sorted(off.results.items())) == json.dumps(sorted(result.results.items()))


def _settings() -> Any:
    from archive.reextract import ReextractSettings

    return ReextractSettings.defaults()


def test_the_store_keeps_each_urls_latest_result(backend: str, new_database_url) -> None:
    """A reextract of older WARCs after a newer crawl never puts an older result in the memo."""
    sessions = open_database(new_database_url(backend))
    url = f"https://{SITE}/news/memo/"
    old = dataclasses.replace(article(url, "Old", "Old text.", None), input_digest="a" * 64)
    new = dataclasses.replace(article(url, "New", "New text.", None), input_digest="b" * 64)
    for when, offset, result in ((T0 + dt.timedelta(hours=1), 2, new), (T0, 1, old)):
        with sessions.begin() as session:
            store(session, [(capture(url, when, offset), result)])
    reuse_ = ExtractionReuse(sessions)
    revisit = dataclasses.replace(capture(url, T0 + dt.timedelta(hours=2), 3), record_type="revisit")
    page = PageInput(url, b"<p>New</p>", {"Content-Type": "text/html"})
    with sessions() as session:
        row = session.execute(select(models.ExtractionMemo.input_digest, models.ExtractionMemo.result)).one()
    assert row.input_digest == "b" * 64 and reuse.decode(row.result) == new
    assert reuse_.result_for(revisit, page) is None  # another input than the stored result's
    assert reuse_.result_for(dataclasses.replace(revisit, record_type="response"), page) is None
    same = dataclasses.replace(new, input_digest=reuse.input_digest(page))
    with sessions.begin() as session:
        store(session, [(capture(url, T0 + dt.timedelta(hours=2), 4), same)])
    assert reuse_.result_for(revisit, page) == same
