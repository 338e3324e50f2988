"""Read side of the archive: filtered views of the latest version of each article.

``iter_articles`` streams (export); ``list_articles`` pages (the ``articles`` command);
``find_article`` / ``article_versions`` / ``diff_versions`` serve ``show``; ``site_stats`` and
``articles_per_day`` serve ``stats``. Full-text search lives in ``archive.search``.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from archive import models
from archive.db import as_utc
from archive.sites import SiteSelector, as_selector
from archive.urls import canonicalize


@dataclass(frozen=True, slots=True)
class Filters:
    site: SiteSelector | str | None = None  # a string is resolved as --site resolves it
    author: str | None = None
    since: dt.datetime | None = None  # published at or after (UTC)
    until: dt.datetime | None = None  # published before (UTC)
    language: str | None = None


def apply_filters(query: Select[Any], filters: Filters) -> Select[Any]:
    """*query* restricted by *filters*; it must have ``articles`` and the filtered
    ``article_versions`` in its FROM (sites and authors are reached by subqueries)."""
    V, A, S = models.ArticleVersion, models.Article, models.Site
    if filters.site:
        query = query.where(A.site_id.in_(select(S.id).where(as_selector(filters.site).sql(S.host))))
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
    return query


_VERSION_FIELDS = (
    "title",
    "published",
    "modified",
    "language",
    "section",
    "description",
    "image",
    "canonical_url",
    "text",
    "number",
    "content_hash",
    "extractor",
    "extractor_version",
)


def _current_versions(filters: Filters) -> Select[Any]:
    # Plain columns, not ORM entities: streaming rows must not grow the session's identity map.
    V, A, S, C = models.ArticleVersion, models.Article, models.Site, models.Capture
    query = (
        select(
            A.id,
            A.url,
            S.name.label("site"),
            V.id.label("version_id"),
            *(getattr(V, name) for name in _VERSION_FIELDS),
            C.fetched_at,
            C.status,
            C.warc_file,
            C.warc_offset,
            C.warc_length,
        )
        .join(V, V.id == A.current_version_id)
        .join(S, S.id == A.site_id)
        .join(C, C.id == V.capture_id)
    )
    return apply_filters(query, filters).order_by(A.id)


def names_by_version(
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
        version_ids = [row.version_id for row in rows]
        authors = names_by_version(session, models.ArticleVersionAuthor, models.Author, "author_id", version_ids)
        tags = names_by_version(session, models.ArticleVersionTag, models.Tag, "tag_id", version_ids)
        for row in rows:
            yield {
                "id": row.id,
                "url": row.url,
                "title": row.title,
                "authors": authors.get(row.version_id, []),
                "published": row.published,
                "modified": row.modified,
                "language": row.language,
                "site": row.site,
                "section": row.section,
                "tags": tags.get(row.version_id, []),
                "description": row.description,
                "image": row.image,
                "canonical_url": row.canonical_url,
                "text": row.text,
                "version": row.number,
                "content_hash": row.content_hash,
                "extractor": row.extractor,
                "extractor_version": row.extractor_version,
                "fetched_at": as_utc(row.fetched_at).isoformat(),
                "status": row.status,
                "warc_file": row.warc_file,
                "warc_offset": row.warc_offset,
                "warc_length": row.warc_length,
            }


def list_articles(
    session: Session, filters: Filters = Filters(), limit: int | None = 50, order: str = "published"
) -> list[dict[str, Any]]:
    """Articles (current version) newest first, with their number of versions."""
    V, A, S = models.ArticleVersion, models.Article, models.Site
    versions = (
        select(func.count())
        .select_from(models.ArticleVersion)
        .where(models.ArticleVersion.article_id == A.id)
        .correlate(A)
        .scalar_subquery()
    )
    query = (
        select(
            A.id,
            A.url,
            S.name.label("site"),
            V.id.label("version_id"),
            V.title,
            V.published,
            V.language,
            V.number,
            versions.label("versions"),
            A.last_captured_at,
        )
        .join(V, V.id == A.current_version_id)
        .join(S, S.id == A.site_id)
    )
    query = apply_filters(query, filters)
    if order == "published":
        query = query.order_by(V.published_at.desc().nulls_last(), A.id.desc())
    elif order == "captured":
        query = query.order_by(A.last_captured_at.desc(), A.id.desc())
    else:
        query = query.order_by(A.id)
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()
    authors = names_by_version(
        session, models.ArticleVersionAuthor, models.Author, "author_id", [r.version_id for r in rows]
    )
    return [
        {
            "id": r.id,
            "url": r.url,
            "site": r.site,
            "title": r.title,
            "authors": authors.get(r.version_id, []),
            "published": r.published,
            "language": r.language,
            "version": r.number,
            "versions": r.versions,
            "last_captured_at": as_utc(r.last_captured_at).isoformat(),
        }
        for r in rows
    ]


def find_article(session: Session, ref: str) -> models.Article | None:
    """The article a user means by *ref*: its numeric ID, its URL as stored, or any URL that
    canonicalizes to it (tracking parameters, fragment, scheme/host case)."""
    ref = ref.strip()
    if ref.isdigit():
        return session.get(models.Article, int(ref))
    for candidate in dict.fromkeys((ref, canonicalize(ref))):
        found = session.scalar(select(models.Article).where(models.Article.url == candidate))
        if found is not None:
            return found
    # A capture URL (before the canonical link moved the article elsewhere) leads there too.
    return session.scalar(
        select(models.Article)
        .join(models.ArticleVersion, models.ArticleVersion.article_id == models.Article.id)
        .join(models.Capture, models.Capture.id == models.ArticleVersion.capture_id)
        .where(models.Capture.url == ref)
        .limit(1)
    )


@dataclass(frozen=True, slots=True)
class VersionInfo:
    id: int
    number: int
    created_at: str
    content_hash: str
    title: str | None
    published: str | None
    modified: str | None
    extractor: str
    extractor_version: str
    capture_id: int
    capture_url: str
    fetched_at: str
    status: int
    record_type: str
    warc_file: str
    warc_offset: int
    warc_length: int
    payload_digest: str | None
    current: bool


def article_versions(session: Session, article: models.Article) -> list[VersionInfo]:
    """Every version of *article*, oldest first, with the capture (and WARC record) it came from."""
    V, C = models.ArticleVersion, models.Capture
    rows = session.execute(
        select(V, C).join(C, C.id == V.capture_id).where(V.article_id == article.id).order_by(V.number)
    ).all()
    return [
        VersionInfo(
            id=v.id,
            number=v.number,
            created_at=as_utc(v.created_at).isoformat(),
            content_hash=v.content_hash,
            title=v.title,
            published=v.published,
            modified=v.modified,
            extractor=v.extractor,
            extractor_version=v.extractor_version,
            capture_id=c.id,
            capture_url=c.url,
            fetched_at=as_utc(c.fetched_at).isoformat(),
            status=c.status,
            record_type=c.record_type,
            warc_file=c.warc_file,
            warc_offset=c.warc_offset,
            warc_length=c.warc_length,
            payload_digest=c.payload_digest,
            current=v.id == article.current_version_id,
        )
        for v, c in rows
    ]


def get_version(session: Session, article: models.Article, number: int | None = None) -> models.ArticleVersion | None:
    """Version *number* of *article* (the current one when None)."""
    if number is None:
        return article.current_version
    return session.scalar(
        select(models.ArticleVersion).where(
            models.ArticleVersion.article_id == article.id, models.ArticleVersion.number == number
        )
    )


def captures_of(session: Session, article: models.Article) -> list[models.Capture]:
    """Every capture of the article's URL (including fetches that changed nothing), oldest first."""
    urls = {article.url} | {v.capture.url for v in article.versions}
    return list(
        session.scalars(select(models.Capture).where(models.Capture.url.in_(urls)).order_by(models.Capture.fetched_at))
    )


DIFF_FIELDS = ("title", "published", "modified", "language", "description", "section")


def version_lines(version: models.ArticleVersion) -> list[str]:
    """A version as lines: metadata fields, authors, tags, then the text one paragraph a line."""
    lines = [f"{name}: {getattr(version, name) or ''}" for name in DIFF_FIELDS]
    lines.append("authors: " + "; ".join(a.name for a in version.authors))
    lines.append("tags: " + "; ".join(t.name for t in version.tags))
    lines.append("")
    lines.extend(version.text.splitlines())
    return lines


def diff_versions(old: models.ArticleVersion, new: models.ArticleVersion) -> list[str]:
    """A unified diff from version *old* to version *new* (empty when they read the same)."""
    return list(
        difflib.unified_diff(
            version_lines(old),
            version_lines(new),
            fromfile=f"version {old.number} ({old.content_hash[:12]})",
            tofile=f"version {new.number} ({new.content_hash[:12]})",
            lineterm="",
        )
    )


@dataclass(frozen=True, slots=True)
class SiteStats:
    site: str
    articles: int
    captures: int
    versions: int
    authors: int
    first_published: str | None
    last_published: str | None
    warc_bytes: int  # the stored length of the captures' WARC records (compressed): disk, not network
    bytes_received: int = 0  # the captures' bytes_received (archive/capture.py): what crawls fetched


def _iso(moment: Any) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, str):  # SQLite aggregates hand back the stored text
        moment = dt.datetime.fromisoformat(moment)
    return as_utc(moment).isoformat()


def site_stats(session: Session, site: SiteSelector | str | None = None) -> list[SiteStats]:
    """Per site: articles, captures (and their WARC bytes), versions, distinct authors and the
    range of publication dates of the current versions."""
    S, A, V, C, VA = models.Site, models.Article, models.ArticleVersion, models.Capture, models.ArticleVersionAuthor

    def per_site(query: Select[*tuple[Any, ...]]) -> dict[int, Any]:
        return {row[0]: row[1:] for row in session.execute(query)}

    articles = per_site(select(A.site_id, func.count()).group_by(A.site_id))
    captures = per_site(
        select(
            C.site_id,
            func.count(),
            func.coalesce(func.sum(C.warc_length), 0),
            func.coalesce(func.sum(C.bytes_received), 0),
        ).group_by(C.site_id)
    )
    versions = per_site(select(A.site_id, func.count()).join(V, V.article_id == A.id).group_by(A.site_id))
    authors = per_site(
        select(A.site_id, func.count(func.distinct(VA.author_id)))
        .join(V, V.article_id == A.id)
        .join(VA, VA.version_id == V.id)
        .group_by(A.site_id)
    )
    published = per_site(
        select(A.site_id, func.min(V.published_at), func.max(V.published_at))
        .join(V, V.id == A.current_version_id)
        .group_by(A.site_id)
    )
    sites = select(S.id, S.name).order_by(S.name)
    if site:
        sites = sites.where(as_selector(site).sql(S.host))
    return [
        SiteStats(
            site=name,
            articles=articles.get(site_id, (0,))[0],
            captures=captures.get(site_id, (0, 0))[0],
            versions=versions.get(site_id, (0,))[0],
            authors=authors.get(site_id, (0,))[0],
            first_published=_iso(published.get(site_id, (None, None))[0]),
            last_published=_iso(published.get(site_id, (None, None))[1]),
            warc_bytes=int(captures.get(site_id, (0, 0, 0))[1]),
            bytes_received=int(captures.get(site_id, (0, 0, 0))[2]),
        )
        for site_id, name in session.execute(sites)
    ]


def articles_per_day(session: Session, filters: Filters = Filters()) -> list[tuple[dt.date, int]]:
    """(UTC day, number of articles whose current version was published that day), oldest first."""
    A, V = models.Article, models.ArticleVersion
    if session.get_bind().dialect.name == "sqlite":
        day = func.date(V.published_at)
    else:
        day = func.date(func.timezone("UTC", V.published_at))
    query = select(day.label("day"), func.count()).select_from(A).join(V, V.id == A.current_version_id)
    query = apply_filters(query.where(V.published_at.is_not(None)), filters).group_by(day).order_by(day)
    return [
        (value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)), count)
        for value, count in session.execute(query)
    ]
