"""What Google News sitemaps said of the articles they list (``sitemap_entries``).

The crawl records each entry as it reads the sitemap (``record``); ``store()`` fills what a page
lacks from it (``fill``): its title, published date, and its keywords as tags. Both the crawl and
``reextract`` go through ``store()``, so both give an article the same fields.
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

_KEPT = ("title", "publication_date", "keywords")
NewsEntry = tuple[str, str | None, str | None, tuple[str, ...], str | None]  # url, title, date, keywords, lastmod


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
