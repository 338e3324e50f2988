"""What Google News sitemaps said of the articles they list (``sitemap_entries``).

The crawl records each entry as it reads the sitemap (``record``); ``reextract`` records those of
the sitemap responses it reads in the WARC files (``news_in_sitemap``), before the pages that follow
them; ``store()`` fills what a page lacks from it (``fill``): its title, published date, and its
keywords as tags. Both ways in read entries by ``news_entries`` and store through ``store()``, so
both give an article the same fields, into the crawl's database or a fresh one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Engine, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from archive import models
from archive.extract import Article
from archive.responses import is_html
from archive.urls import canonicalize

_KEPT = ("title", "publication_date", "keywords")
NewsEntry = tuple[str, str | None, str | None, tuple[str, ...], str | None]  # url, title, date, keywords, lastmod


SITEMAP_MAX_BYTES = 50 * 1024 * 1024  # a gzipped sitemap is read up to this many bytes (the protocol's cap)


def news_entries(entries: Iterable[Any]) -> list[NewsEntry]:
    """The Google News entries among sitemap entries (``crawler.discovery.SitemapEntry``), as
    ``record`` takes them: the URL canonical, the news fields as the sitemap gave them."""
    return [
        (canonicalize(e.url), e.news_title, e.news_published, e.news_keywords, e.lastmod)
        for e in entries
        if e.news_title or e.news_published or e.news_keywords
    ]


def may_be_sitemap(status: int, content_type: str | None) -> bool:
    """Whether a response could be a sitemap, so that ``reextract`` reads its payload: a 200 that
    is not HTML and whose type says XML, gzip, plain text or nothing (as sitemaps are served)."""
    if status != 200 or is_html(content_type):
        return False
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return not media or "xml" in media or media in ("text/plain", "application/gzip", "application/x-gzip")


def news_in_sitemap(url: str, body: bytes) -> list[NewsEntry]:
    """The Google News entries of the sitemap *body* (gzipped when *url* ends in .gz, as the crawl
    reads it); none when the body is not a ``urlset``."""
    from crawler.discovery import gunzip_within, sitemap_entries, xml_root_name

    if url.endswith(".gz") and body[:2] == b"\x1f\x8b":
        body = gunzip_within(body, SITEMAP_MAX_BYTES + 1)[:SITEMAP_MAX_BYTES]
    if b"<" not in body[:2048] or xml_root_name(body) != "urlset":
        return []
    return news_entries(sitemap_entries(body, False))


def record(engine: Engine, entries: Sequence[NewsEntry], seen_at: dt.datetime) -> None:
    """Upsert *entries*. Title, date and keywords stay as first seen: a sitemap that rewords a title
    or re-dates an update must not make a new version of what was stored with the first one."""
    rows: dict[str, dict[str, Any]] = {}
    for url, title, published, keywords, lastmod in entries:
        rows[url] = {
            "url": models.storable(url),
            "title": models.storable(title) if title else None,
            "publication_date": models.storable(published) if published else None,
            "keywords": models.storable(", ".join(keywords)) if keywords else None,
            "lastmod": models.storable(lastmod) if lastmod else None,
            "seen_at": seen_at,
        }
    if not rows:
        return
    table: Table = models.SitemapEntry.__table__  # type: ignore[assignment]
    insert = postgresql.insert(table) if engine.dialect.name == "postgresql" else sqlite.insert(table)
    kept = {name: func.coalesce(table.c[name], insert.excluded[name]) for name in _KEPT}
    upsert = insert.on_conflict_do_update(
        index_elements=["url"], set_={**kept, "lastmod": insert.excluded.lastmod, "seen_at": insert.excluded.seen_at}
    )
    with engine.begin() as connection:
        # Sorted: concurrent crawls lock rows in one order.
        connection.execute(upsert, [rows[url] for url in sorted(rows)])


def fill(session: Session, results: Iterable[tuple[str, Article]]) -> dict[int, Article]:
    """For each (capture URL, article) in *results*, by position: the article with the title,
    published date and tags it lacks taken from the sitemap entry of its URL (or of its canonical
    URL). Only the articles that changed are returned; what a page declares is never overridden."""
    wanting = [
        (position, url, article)
        for position, (url, article) in enumerate(results)
        if not article.title or not article.published or not article.tags
    ]
    urls = sorted({u for _, url, a in wanting for u in (url, a.canonical_url) if u})
    if not urls:
        return {}
    S = models.SitemapEntry
    known: dict[str, models.SitemapEntry] = {}
    for start in range(0, len(urls), 500):
        known.update((e.url, e) for e in session.scalars(select(S).where(S.url.in_(urls[start : start + 500]))))
    filled: dict[int, Article] = {}
    for position, url, article in wanting:
        entry = known.get(url) or known.get(article.canonical_url or "")
        if entry is None:
            continue
        tags = tuple(k.strip() for k in (entry.keywords or "").split(",") if k.strip())
        changed = dataclasses.replace(
            article,
            title=article.title or entry.title,
            published=article.published or entry.publication_date,
            tags=article.tags or tags,
        )
        if changed != article:
            filled[position] = changed
    return filled
