"""Incremental crawls: two real `scrapy crawl` runs of a sample site that changes between them.

The site of the first run has old articles (2023) and fresh ones (published hours ago, inside the
48-hour refresh window). Between the runs two articles appear, an old one is edited (its sitemap
lastmod moves past the first run), a fresh one is removed (404) and the rest stay as they were. The
new articles are dated between the fresh ones, so the "latest news" sidebar on every article page
stays the same and an unchanged article really is byte-identical (otherwise a conditional request
would rightly get a 200).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from warcio.archiveiterator import ArchiveIterator

from archive import models
from archive.db import open_database
from archive.sample_site import SampleArticle, SampleSite, load_articles
from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun, newsfeed_crawl

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
OLD = load_articles()  # published July 2023


def _fresh(article: SampleArticle, slug: str, hours_ago: float) -> SampleArticle:
    moment = (NOW - dt.timedelta(hours=hours_ago)).isoformat()
    return dataclasses.replace(
        article, slug=slug, path=f"/news/{slug}/", title=f"{article.title} ({slug})", published=moment, modified=moment
    )


FRESH = [_fresh(OLD[i], f"fresh-story-number-{i}", hours_ago=1 + i) for i in range(4)]  # the 4 newest
DOOMED = _fresh(OLD[4], "fresh-story-to-be-retracted", hours_ago=30)
NEW = [_fresh(OLD[5], "new-story-published-between-runs", hours_ago=10), _fresh(OLD[6], "another-new-story", 12)]
EDITED_INDEX = 7
FIRST = [*OLD, *FRESH, DOOMED]


def _second_site_articles() -> list[SampleArticle]:
    edited = dataclasses.replace(
        OLD[EDITED_INDEX],
        paragraphs=(*OLD[EDITED_INDEX].paragraphs, "Correction: an earlier version of this story misstated the date."),
        modified=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    )
    old = [edited if i == EDITED_INDEX else a for i, a in enumerate(OLD)]
    return [*old, *FRESH, *NEW]


@dataclasses.dataclass
class TwoRuns:
    first: CrawlRun
    second: CrawlRun
    first_requests: list[tuple[str, str, dict[str, str]]]
    second_requests: list[tuple[str, str, dict[str, str]]]
    base: str
    before: dict[str, int]
    site: SampleSite  # the changed site, still serving


def _counts(database_url: str) -> dict[str, int]:
    sessions = open_database(database_url, create=False)
    with sessions() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (models.Article, models.ArticleVersion, models.Capture)
        }


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoRuns]:
    tmp = tmp_path_factory.mktemp("incremental")
    with SampleSite(articles=FIRST) as site:
        first = newsfeed_crawl(tmp, [f"start_url={site.url}/news-feed/"])
        assert first.returncode == 0, first.log[-3000:]
        first_requests, port = list(site.requests), site.port
    before = _counts(first.database_url)
    time.sleep(1.1)  # the edit is dated after the first run's captures, to the second
    with SampleSite(port=port, articles=_second_site_articles()) as site:
        second = newsfeed_crawl(tmp, [f"start_url={site.url}/news-feed/"], database_url=first.database_url)
        assert second.returncode == 0, second.log[-3000:]
        yield TwoRuns(first, second, first_requests, list(site.requests), site.url, before, site)


def _article_requests(requests: list[tuple[str, str, dict[str, str]]]) -> list[tuple[str, dict[str, str]]]:
    return [(path, headers) for _, path, headers in requests if path.startswith("/news/")]


def test_second_run_fetches_unchanged_articles_only_conditionally(two_runs: TwoRuns) -> None:
    first = _article_requests(two_runs.first_requests)
    second = _article_requests(two_runs.second_requests)
    unchanged = {a.path for i, a in enumerate(OLD) if i != EDITED_INDEX} | {a.path for a in FRESH}
    new = {a.path for a in NEW}
    # first run: every article once, none conditional
    assert sorted(p for p, _ in first) == sorted(a.path for a in FIRST)
    assert not any("If-None-Match" in h or "If-Modified-Since" in h for _, h in first)
    # second run: the new ones plainly, the edited, the fresh and the removed ones conditionally;
    # no old unchanged article at all
    paths = [p for p, _ in second]
    assert len(paths) == len(set(paths))
    assert set(paths) == new | {OLD[EDITED_INDEX].path, DOOMED.path} | {a.path for a in FRESH}
    for path, headers in second:
        conditional = "If-None-Match" in headers
        assert conditional == (path not in new), path
        if path in unchanged:
            assert "If-Modified-Since" in headers
    # ... and each unchanged one was answered 304: recorded as a capture, not as a version
    sessions = open_database(two_runs.second.database_url, create=False)
    with sessions() as session:
        statuses: dict[str, list[int]] = {}
        for capture in session.scalars(select(models.Capture).order_by(models.Capture.fetched_at)):
            statuses.setdefault(capture.url.removeprefix(two_runs.base), []).append(capture.status)
    for fresh in FRESH:
        assert statuses[fresh.path] == [200, 304]
    assert statuses[DOOMED.path] == [200, 404]
    assert statuses[OLD[EDITED_INDEX].path] == [200, 200]
    for path in new:
        assert statuses[path] == [200]
    for i, old in enumerate(OLD):
        if i != EDITED_INDEX:
            assert statuses[old.path] == [200]


def test_second_run_stores_exactly_the_new_articles_and_versions(two_runs: TwoRuns) -> None:
    after = _counts(two_runs.second.database_url)
    assert after["articles"] == two_runs.before["articles"] + len(NEW)
    assert after["article_versions"] == two_runs.before["article_versions"] + len(NEW) + 1
    sessions = open_database(two_runs.second.database_url, create=False)
    with sessions() as session:
        articles = {a.url.removeprefix(two_runs.base): a for a in session.scalars(select(models.Article))}
        assert set(articles) == {a.path for a in FIRST} | {a.path for a in NEW}  # nothing lost
        edited = articles[OLD[EDITED_INDEX].path]
        assert [v.number for v in edited.versions] == [1, 2]
        assert "Correction: an earlier version" in edited.versions[1].text
        assert "Correction: an earlier version" not in edited.versions[0].text
        assert edited.current_version_id == edited.versions[1].id
        removed = articles[DOOMED.path]
        assert removed.removed_at is not None and removed.current_version is not None  # marked, kept
        assert all(a.removed_at is None for path, a in articles.items() if path != DOOMED.path)
        for path, article in articles.items():
            expected = 2 if path == OLD[EDITED_INDEX].path else 1
            assert len(article.versions) == expected, path


def test_second_run_is_cheap_and_stops_listing_pagination(two_runs: TwoRuns) -> None:
    first_paths = [p for _, p, _ in two_runs.first_requests]
    second_paths = [p for _, p, _ in two_runs.second_requests]
    listing_pages = [p for p in first_paths if p.startswith("/news-feed/")]
    assert len(listing_pages) == (len(FIRST) + 4) // 5
    # page 1 has a new article, page 2 the other one, page 3 nothing new: no page 4
    assert sorted(p for p in second_paths if p.startswith("/news-feed/")) == [
        "/news-feed/",
        "/news-feed/page/2/",
        "/news-feed/page/3/",
    ]
    print(f"\nrequests: first run {len(first_paths)}, second run {len(second_paths)}")
    # robots.txt, the sitemap index and its 4 sitemaps, the RSS feed: always (their lastmod moved)
    fixed = 1 + 1 + 4 + 1
    assert len(first_paths) == fixed + len(listing_pages) + len(FIRST)
    # + 3 listing pages, the 2 new articles, the edited one, 4 fresh ones (304) and the removed one (404)
    assert len(second_paths) == fixed + 3 + len(NEW) + 1 + len(FRESH) + 1


def test_identical_payloads_become_revisit_records(two_runs: TwoRuns) -> None:
    """robots.txt and the tag/author sitemaps did not change: the second run stores revisits."""
    sessions = open_database(two_runs.second.database_url, create=False)
    with sessions() as session:
        robots = session.scalars(
            select(models.Capture).where(models.Capture.url.endswith("/robots.txt")).order_by(models.Capture.id)
        ).all()
    assert [c.record_type for c in robots] == ["response", "revisit"]
    assert robots[0].payload_digest == robots[1].payload_digest
    with (two_runs.second.warc_dir / robots[1].warc_file).open("rb") as stream:
        stream.seek(robots[1].warc_offset)
        record = next(iter(ArchiveIterator(stream)))
    assert record.rec_type == "revisit"
    headers = record.rec_headers
    assert headers.get_header("WARC-Profile").endswith("/revisit/identical-payload-digest")
    assert headers.get_header("WARC-Refers-To-Target-URI") == robots[0].url
    assert headers.get_header("WARC-Payload-Digest") == robots[0].payload_digest


def test_run_records_and_runs_command(two_runs: TwoRuns) -> None:
    done = newsarchive("runs", "--format", "jsonl", "--db", two_runs.second.database_url)
    assert done.returncode == 0, done.stderr
    runs = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["status"] for r in runs] == ["finished", "finished"]
    second, first = runs
    assert first["articles_new"] == len(FIRST) and first["versions_new"] == len(FIRST)
    assert second["articles_new"] == len(NEW) and second["versions_new"] == len(NEW) + 1
    assert second["not_modified"] == len(FRESH)
    assert second["pages_fetched"] == len(two_runs.second_requests)
    assert second["spider_args"] == {"start_url": f"{two_runs.base}/news-feed/"}
    assert second["site"] == "127.0.0.1" and second["ended_at"] >= second["started_at"]
    assert second["bytes_received"] > 0 and second["errors"] == 0
    plain = newsarchive("runs", "--db", two_runs.second.database_url)
    assert plain.returncode == 0 and plain.stdout.splitlines()[0].startswith("id\tsite\tstatus")
    missing = newsarchive("runs", "--db", "sqlite:////nonexistent/dir/x.db")
    assert missing.returncode != 0 and missing.stderr.startswith("newsarchive: error:")
    assert "Traceback" not in missing.stderr


def test_refresh_all_rechecks_every_article_conditionally(two_runs: TwoRuns, tmp_path: Path) -> None:
    site = two_runs.site
    site.clear_requests()
    run = newsfeed_crawl(
        tmp_path,
        [f"start_url={site.url}/news-feed/", "refresh=all"],
        "NEWSARCHIVE_RUN_RECORDS=False",
        database_url=two_runs.second.database_url,
    )
    assert run.returncode == 0, run.log[-3000:]
    articles = _article_requests(site.requests)
    live = {a.path for a in _second_site_articles()}
    assert {p for p, _ in articles} == live  # every archived article, not the removed one
    assert all("If-None-Match" in h for _, h in articles)
    assert _counts(two_runs.second.database_url)["article_versions"] == two_runs.before["article_versions"] + 3


def test_a_second_crawl_of_a_locked_site_exits_at_once(sample_site: SampleSite, tmp_path: Path) -> None:
    from crawler.site_lock import SiteLock

    database_url = f"sqlite:///{tmp_path / 'archive.db'}"
    holder = SiteLock(database_url, tmp_path)  # what a running crawl of 127.0.0.1 holds
    holder.acquire(["127.0.0.1"])
    try:
        sample_site.clear_requests()
        run = newsfeed_crawl(tmp_path, [f"start_url={sample_site.url}/news-feed/"], database_url=database_url)
        assert "another crawl of site '127.0.0.1' is running" in run.log
        assert f"pid {os.getpid()}" in run.log  # the message names the holder
        assert "'finish_reason': 'site_locked'" in run.log
        assert sample_site.requests == []
        assert _counts(database_url)["captures"] == 0
    finally:
        holder.release()
    run = newsfeed_crawl(tmp_path, [f"start_url={sample_site.url}/news-feed/"], database_url=database_url)
    assert run.returncode == 0 and "'finish_reason': 'finished'" in run.log


def test_site_lock_on_postgres() -> None:
    url = os.environ.get("NEWSARCHIVE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("NEWSARCHIVE_TEST_POSTGRES_URL is not set (CI sets it)")
    from crawler.site_lock import SiteLock, SiteLockedError

    open_database(url)  # migrated, crawl_runs included
    first, second = SiteLock(url, "."), SiteLock(url, ".")
    first.acquire(["lock-test-site"])
    try:
        with pytest.raises(SiteLockedError, match="another crawl of site 'lock-test-site' is running"):
            second.acquire(["lock-test-site"])
        second.acquire(["another-site"])  # other sites are free
        second.release()
    finally:
        first.release()
    second.acquire(["lock-test-site"])  # released with the first holder's connection
    second.release()
