"""Read side of the archive: filtered, streaming views of the latest version of each article."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from archive import models
from archive.store import _aware

EXPORT_FIELDS = (
    "id",
    "url",
    "title",
    "authors",
    "published",
    "modified",
    "language",
    "site",
    "section",
    "tags",
    "description",
    "image",
    "canonical_url",
    "text",
    "version",
    "content_hash",
    "extractor",
    "extractor_version",
    "fetched_at",
    "status",
    "warc_file",
    "warc_offset",
    "warc_length",
)


@dataclass(frozen=True, slots=True)
class Filters:
    site: str | None = None
    author: str | None = None
    since: dt.datetime | None = None  # published at or after (UTC)
    until: dt.datetime | None = None  # published before (UTC)
    language: str | None = None


def _current_versions(filters: Filters) -> Select[Any]:
    V, A, S, C = models.ArticleVersion, models.Article, models.Site, models.Capture
    query = (
        select(A.id, A.url, S.name.label("site"), V, C.fetched_at, C.status, C.warc_file, C.warc_offset, C.warc_length)
        .join(V, V.id == A.current_version_id)
        .join(S, S.id == A.site_id)
        .join(C, C.id == V.capture_id)
    )
    if filters.site:
        query = query.where((S.name == filters.site) | (S.host == filters.site))
    if filters.language:
        query = query.where(V.language == filters.language)
    if filters.since:
        query = query.where(V.published_at >= filters.since)
    if filters.until:
        query = query.where(V.published_at < filters.until)
    if filters.author:
        query = query.where(
            V.id.in_(
                select(models.ArticleVersionAuthor.version_id)
                .join(models.Author, models.Author.id == models.ArticleVersionAuthor.author_id)
                .where(models.Author.name == filters.author)
            )
        )
    return query.order_by(A.id)


def _names(
    session: Session, link: type[models.Base], target: type[models.Base], key: str, version_ids: list[int]
) -> dict[int, list[str]]:
    rows = session.execute(
        select(link.version_id, target.name)  # type: ignore[attr-defined]
        .join(target, target.id == getattr(link, key))  # type: ignore[attr-defined]
        .where(link.version_id.in_(version_ids))  # type: ignore[attr-defined]
        .order_by(link.version_id, link.position)  # type: ignore[attr-defined]
    )
    names: dict[int, list[str]] = defaultdict(list)
    for version_id, name in rows:
        names[version_id].append(name)
    return names


def iter_articles(session: Session, filters: Filters = Filters(), chunk: int = 500) -> Iterator[dict[str, Any]]:
    """Every article's latest version as a flat dict (``EXPORT_FIELDS``), streamed in chunks so
    memory stays constant however large the archive."""
    result = session.execute(_current_versions(filters).execution_options(yield_per=chunk))
    for rows in result.partitions(chunk):
        version_ids = [row.ArticleVersion.id for row in rows]
        authors = _names(session, models.ArticleVersionAuthor, models.Author, "author_id", version_ids)
        tags = _names(session, models.ArticleVersionTag, models.Tag, "tag_id", version_ids)
        for row in rows:
            version: models.ArticleVersion = row.ArticleVersion
            yield {
                "id": row.id,
                "url": row.url,
                "title": version.title,
                "authors": authors.get(version.id, []),
                "published": version.published,
                "modified": version.modified,
                "language": version.language,
                "site": row.site,
                "section": version.section,
                "tags": tags.get(version.id, []),
                "description": version.description,
                "image": version.image,
                "canonical_url": version.canonical_url,
                "text": version.text,
                "version": version.number,
                "content_hash": version.content_hash,
                "extractor": version.extractor,
                "extractor_version": version.extractor_version,
                "fetched_at": _aware(row.fetched_at).isoformat(),
                "status": row.status,
                "warc_file": row.warc_file,
                "warc_offset": row.warc_offset,
                "warc_length": row.warc_length,
            }
        session.expunge_all()
