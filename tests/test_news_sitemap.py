"""Google News sitemaps date and title the articles whose pages lack them (issue 22).

A real crawl of a local site whose news sitemap gives a title, a publication date and keywords
for each story: one page declares none of them, another declares its own. Then `reextract` of
the crawl's WARC files into the same database: the same fields, no new version."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select

from archive import models
from archive.db import open_database
from tests.support.archive_data import DatabaseFactory
from tests.support.cli import newsarchive
from tests.support.crawls import newsfeed_crawl
from tests.support.editable_site import EditableSite, Newsroom

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _fields(database_url: str) -> dict[str, tuple[str | None, str | None, tuple[str, ...], int]]:
    """Article path -> (title, published, tags, number of versions)."""
    sessions = open_database(database_url)
    V, A, VT = models.ArticleVersion, models.Article, models.ArticleVersionTag
    found = {}
    with sessions() as session:
        for article in session.scalars(select(A)):
            version = session.get(V, article.current_version_id)
            assert version is not None
            tags = session.scalars(
                select(models.Tag.name)
                .join(VT, VT.tag_id == models.Tag.id)
                .where(VT.version_id == version.id)
                .order_by(VT.position)
            ).all()
            count = session.scalar(select(func.count()).select_from(V).where(V.article_id == article.id))
            path = "/" + article.url.split("/", 3)[3]
            found[path] = (version.title, version.published, tuple(tags), count or 0)
    return found


def test_the_news_sitemap_dates_and_titles_what_the_page_lacks(
    backend: str, new_database_url: DatabaseFactory, tmp_path: Path
) -> None:
    room = Newsroom(NOW)
    bare = room.story("a-page-without-title-or-date", days_old=1)
    bare = replace(bare, bare=True)
    own = room.story("a-page-with-its-own", days_old=2)
    own = replace(own, keywords=("budget",))
    database_url = new_database_url(backend)
    with EditableSite([bare, own]) as site:
        site.news_titles[own.slug] = "The sitemap's other title"
        start = f"start_url={site.url}/news-sitemap.xml"
        run = newsfeed_crawl(tmp_path, [start], database_url=database_url)
        assert run.returncode == 0, run.log[-3000:]
        crawled = _fields(database_url)
        # The next run downloads the unchanged page in full again while the sitemap rewords its
        # title: the entry as first seen fills it, so no version is made from the sitemap.
        site.ignore_validators.add(bare.slug)
        site.news_titles[bare.slug] = "A reworded title for the news sitemap"
        site.clear_log()
        again = newsfeed_crawl(tmp_path, [start], database_url=database_url)
        assert again.returncode == 0, again.log[-3000:]
        assert [h.status for h in site.hits(bare.path)] == [200]
    assert _fields(database_url) == crawled

    title, published, tags, versions = crawled[bare.path]
    assert title == bare.title  # the sitemap's, as the page has none
    assert published == bare.updated.isoformat()
    assert tags == ("council", "vote")
    assert versions == 1
    title, published, tags, versions = crawled[own.path]
    assert title == own.title != "The sitemap's other title"
    assert published is not None and dt.datetime.fromisoformat(published) == own.published
    assert tags == ("budget",)

    done = newsarchive("reextract", "--db", database_url, "--warc-dir", str(run.warc_dir), "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert _fields(database_url) == crawled  # the same fields, and no new version

    # Into a database that never saw the crawl, the WARC's sitemap records tell the same: first
    # the first run's sitemap (the WARC files in their order), then the pages.
    fresh = new_database_url(backend)
    done = newsarchive("reextract", "--db", fresh, "--warc-dir", str(run.warc_dir), "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert _fields(fresh) == crawled
