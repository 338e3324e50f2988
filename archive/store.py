"""``store()``: the one write path, shared by the crawl and re-extraction.

It takes captures with what extraction made of them and upserts sites, captures, articles,
versions, authors and tags. It is idempotent: storing the same capture and result twice changes
nothing the second time, so a re-run, a resumed crawl or a rebuild from WARCs never duplicates.
Conflicts are resolved by the database's own ``ON CONFLICT`` so concurrent writers are safe.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from archive import models
from archive.capture import Capture
from archive.db import as_utc
from archive.extract import Article, NotAnArticle
from archive.urls import canonicalize, host_of

ExtractionResult = Article | NotAnArticle
logger = logging.getLogger(__name__)


@dataclass(slots=True)
class StoreStats:
    captures: int = 0
    articles_new: int = 0
    versions_new: int = 0
    unchanged: int = 0
    not_articles: int = 0
    removed: int = 0  # articles that started to answer 404/410

    def add(self, other: StoreStats) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _insert_ignore(session: Session, model: type[models.Base], values: Mapping[str, Any], keys: list[str]) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=keys))


def parse_timestamp(value: str | None) -> dt.datetime | None:
    """An ISO 8601 date or timestamp as an aware UTC datetime (a bare date is midnight UTC)."""
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def article_url(capture_url: str, result: Article) -> str:
    """The article's identity: its canonical URL when the page names one on the same site."""
    if result.canonical_url and host_of(result.canonical_url) == host_of(capture_url):
        return canonicalize(result.canonical_url)
    return canonicalize(capture_url)


class _Store:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.site_ids: dict[str, int] = {}
        self.named_ids: dict[tuple[type[models.Base], str], int] = {}
        self.stats = StoreStats()

    def prepare(self, entries: Sequence[tuple[Capture, ExtractionResult | None]]) -> None:
        """Take every row this batch will insert or lock in one global order: sites, then
        articles, then authors, then tags, each sorted. Two workers' batches then wait for each
        other instead of deadlocking (store_batch still retries if the database says otherwise)."""
        articles: dict[str, Capture | None] = {}
        names: dict[type[models.Author] | type[models.Tag], set[str]] = {models.Author: set(), models.Tag: set()}
        for capture, result in entries:
            if isinstance(result, Article):
                url = article_url(capture.url, result)
                if articles.get(url) is None:
                    articles[url] = capture
                names[models.Author].update(n.strip()[:255] for n in result.authors if n.strip())
                names[models.Tag].update(t.strip()[:255] for t in result.tags if t.strip())
            elif capture.method == "GET" and capture.status in (304, 404, 410):
                articles.setdefault(capture.url, None)
        for host_url in sorted({c.url for c, _ in entries} | set(articles), key=lambda u: host_of(u) or ""):
            self.site_id(host_url)
        for url in sorted(articles):
            capture = articles[url]
            if capture is not None:
                _insert_ignore(
                    self.session,
                    models.Article,
                    {
                        "site_id": self.site_id(url),
                        "url": url,
                        "first_captured_at": capture.fetched_at,
                        "last_captured_at": capture.fetched_at,
                    },
                    ["url"],
                )
            self.session.execute(select(models.Article.id).where(models.Article.url == url).with_for_update())
        for model in (models.Author, models.Tag):
            for name in sorted(names[model]):
                self.named_id(model, name)

    def site_id(self, url: str) -> int:
        host = host_of(url) or "unknown"
        if host not in self.site_ids:
            now = dt.datetime.now(dt.UTC)
            _insert_ignore(self.session, models.Site, {"name": host, "host": host, "created_at": now}, ["host"])
            self.site_ids[host] = self.session.scalar(select(models.Site.id).where(models.Site.host == host))
        return self.site_ids[host]

    def named_id(self, model: type[models.Author] | type[models.Tag], name: str) -> int:
        key = (model, name)
        if key not in self.named_ids:
            _insert_ignore(self.session, model, {"name": name}, ["name"])
            self.named_ids[key] = self.session.scalar(select(model.id).where(model.name == name))
        return self.named_ids[key]

    def capture_id(self, capture: Capture, result: ExtractionResult | None = None) -> int:
        values = {
            "site_id": self.site_id(capture.url),
            "url": capture.url,
            "method": capture.method,
            "status": capture.status,
            "fetched_at": capture.fetched_at,
            "content_type": capture.content_type,
            "content_length": capture.content_length,
            "payload_digest": capture.payload_digest,
            "record_type": capture.record_type,
            "warc_file": capture.warc_file,
            "warc_offset": capture.warc_offset,
            "warc_length": capture.warc_length,
            "warc_record_id": capture.warc_record_id,
            "ip_address": capture.ip_address,
            "etag": capture.etag,
            "last_modified": capture.last_modified,
        }
        _insert_ignore(self.session, models.Capture, values, ["warc_file", "warc_offset"])
        self.stats.captures += 1
        if capture.method == "GET" and capture.status in (304, 404, 410):
            self.recheck(capture)
        capture_id = self.session.scalar(
            select(models.Capture.id).where(
                models.Capture.warc_file == capture.warc_file, models.Capture.warc_offset == capture.warc_offset
            )
        )
        if result is not None:
            kind = "article" if isinstance(result, Article) else result.kind
            self.session.execute(
                update(models.Capture).where(models.Capture.id == capture_id).values(extracted_as=kind[:16])
            )
        return capture_id

    def recheck(self, capture: Capture) -> None:
        """A re-fetch of an archived article that brought no new content: a 304 says it is as
        stored (it was seen then); a 404/410 says it is gone (marked removed, never deleted)."""
        query = select(models.Article).where(models.Article.url == capture.url)
        if self.session.get_bind().dialect.name != "sqlite":
            # Another worker may be storing this article: read it as of its last commit, then hold it.
            query = query.with_for_update().execution_options(populate_existing=True)
        article = self.session.scalars(query).one_or_none()
        if article is None:
            return
        if capture.status == 304:
            article.last_captured_at = max(as_utc(article.last_captured_at), capture.fetched_at)
        elif article.removed_at is None and capture.fetched_at >= as_utc(article.last_captured_at):
            article.removed_at = capture.fetched_at
            self.stats.removed += 1

    def article(self, capture: Capture, capture_id: int, result: Article) -> None:
        url = article_url(capture.url, result)
        site_id = self.site_id(url)
        _insert_ignore(
            self.session,
            models.Article,
            {
                "site_id": site_id,
                "url": url,
                "first_captured_at": capture.fetched_at,
                "last_captured_at": capture.fetched_at,
            },
            ["url"],
        )
        query = select(models.Article).where(models.Article.url == url)
        if self.session.get_bind().dialect.name != "sqlite":
            # Serializes concurrent writers of one article so version numbers never collide;
            # populate_existing: an Article loaded earlier in this transaction is re-read under the
            # lock, or its current version (and what counts as "unchanged") could be stale.
            query = query.with_for_update().execution_options(populate_existing=True)
        article = self.session.scalars(query).one()
        article.first_captured_at = min(as_utc(article.first_captured_at), capture.fetched_at)
        if article.removed_at is not None and capture.fetched_at > as_utc(article.removed_at):
            article.removed_at = None  # it is back
        article.last_captured_at = max(as_utc(article.last_captured_at), capture.fetched_at)

        content_hash = result.content_hash()
        current = (
            self.session.get(models.ArticleVersion, article.current_version_id)
            if (article.current_version_id)
            else None
        )
        if current is not None and current.content_hash == content_hash:
            self.stats.unchanged += 1
            return
        already = self.session.scalar(
            select(models.ArticleVersion.id).where(
                models.ArticleVersion.article_id == article.id,
                models.ArticleVersion.content_hash == content_hash,
                models.ArticleVersion.capture_id == capture_id,
            )
        )
        # Re-extracting an older capture that already gave this content changes nothing; but when
        # the capture behind the current version now extracts differently (an extractor change,
        # even one rolled back), that is a new version like any other.
        if already is not None and (current is None or current.capture_id != capture_id):
            self.stats.unchanged += 1
            return
        number = (
            self.session.scalar(
                select(func.max(models.ArticleVersion.number)).where(models.ArticleVersion.article_id == article.id)
            )
            or 0
        ) + 1
        version = models.ArticleVersion(
            article_id=article.id,
            number=number,
            capture_id=capture_id,
            content_hash=content_hash,
            created_at=dt.datetime.now(dt.UTC),
            extractor=result.extractor,
            extractor_version=result.extractor_version,
            title=result.title,
            text=result.text,
            published=result.published,
            published_at=parse_timestamp(result.published),
            modified=result.modified,
            language=result.language,
            description=result.description,
            section=result.section,
            image=result.image,
            canonical_url=result.canonical_url,
            site_name=result.site_name,
        )
        self.session.add(version)
        self.session.flush()
        for position, name in enumerate(dict.fromkeys(n.strip() for n in result.authors if n.strip())):
            self.session.add(
                models.ArticleVersionAuthor(
                    version_id=version.id, author_id=self.named_id(models.Author, name[:255]), position=position
                )
            )
        for position, name in enumerate(dict.fromkeys(t.strip() for t in result.tags if t.strip())):
            self.session.add(
                models.ArticleVersionTag(
                    version_id=version.id, tag_id=self.named_id(models.Tag, name[:255]), position=position
                )
            )
        if number == 1:
            self.stats.articles_new += 1
        self.stats.versions_new += 1
        article.current_version_id = version.id
        self.session.flush()


def _retryable(exc: DBAPIError) -> bool:
    # PostgreSQL: deadlock_detected (two workers' batches locking the same rows in opposite order)
    # and serialization_failure. Retrying the whole batch is safe: store() is idempotent.
    return getattr(exc.orig, "sqlstate", None) in ("40P01", "40001") or getattr(exc.orig, "pgcode", None) in (
        "40P01",
        "40001",
    )


def store_batch(
    sessions: sessionmaker[Session],
    entries: Sequence[tuple[Capture, ExtractionResult | None]],
    *,
    attempts: int = 5,
) -> StoreStats:
    """``store()`` *entries* in one transaction of its own, retried when the database aborted it
    for a deadlock or a serialization failure (concurrent writers: several crawl workers)."""
    for attempt in range(1, attempts + 1):
        try:
            with sessions.begin() as session:
                return store(session, entries)
        except DBAPIError as exc:
            if attempt == attempts or not _retryable(exc):
                raise
            logger.info("store: transaction aborted (%s); retrying, attempt %d", exc.orig, attempt + 1)
            time.sleep(random.uniform(0.05, 0.2) * attempt)
    raise AssertionError("unreachable")


def store(session: Session, entries: Iterable[tuple[Capture, ExtractionResult | None]]) -> StoreStats:
    """Upsert each capture and, for articles, the article and (when its content changed) a new
    version. The caller owns the transaction: one ``store()`` call per batch, one commit."""
    writer = _Store(session)
    entries = list(entries)
    if session.get_bind().dialect.name == "postgresql":
        writer.prepare(entries)
    for capture, result in entries:
        capture_id = writer.capture_id(capture, result)
        if isinstance(result, Article):
            writer.article(capture, capture_id, result)
        elif isinstance(result, NotAnArticle):
            writer.stats.not_articles += 1
    return writer.stats
