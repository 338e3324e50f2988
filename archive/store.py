"""``store()``: the one write path, shared by the crawl and re-extraction.

It takes captures with what extraction made of them and upserts sites, captures, articles,
versions, authors and tags. It is idempotent: storing the same capture and result twice changes
nothing the second time, so a re-run, a resumed crawl or a rebuild from WARCs never duplicates.
Conflicts are resolved by the database's own ``ON CONFLICT`` so concurrent writers are safe.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from archive import models
from archive.canonical import article_owners
from archive.capture import Capture
from archive.changes import Story, describe
from archive.db import as_utc
from archive.extract import Article, NotAnArticle
from archive.memos import memo_rows
from archive.sitemaps import fill
from archive.urls import host_of

ExtractionResult = Article | NotAnArticle
logger = logging.getLogger(__name__)


@dataclass(slots=True)
class StoreStats:
    captures: int = 0
    articles_new: int = 0
    versions_new: int = 0
    edits: int = 0  # new versions of articles that had one: what changed, since
    unchanged: int = 0
    not_articles: int = 0
    removed: int = 0  # articles that started to answer 404/410
    skipped: int = 0  # entries the database refused even alone: logged, their WARC records kept
    # By site host, for the extraction health (archive/health.py): article pages of an article that
    # already had a version, and those among them whose body changed while the page declared no new
    # modification date. Only store() knows the previous version, so it counts them.
    revisited: Counter[str] = field(default_factory=Counter)
    silent_changes: Counter[str] = field(default_factory=Counter)

    COUNTERS = ("captures", "articles_new", "versions_new", "edits", "unchanged", "not_articles", "removed", "skipped")

    def add(self, other: StoreStats) -> None:
        for name in self.COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.revisited.update(other.revisited)
        self.silent_changes.update(other.silent_changes)


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


def is_recheck(capture: Capture) -> bool:
    """A re-fetch that says something about an archived article without new content: 304, 404, 410."""
    return capture.method == "GET" and capture.status in (304, 404, 410)


@dataclass(slots=True)
class _VersionState:
    """What deciding on a new version of one article needs, read once per batch."""

    current_hash: str | None  # None: the article has no version yet
    current_capture_id: int | None
    last_number: int
    current_id: int | None = None  # the current version's row, for its body (read only when it changed)
    current_story: Story | None = None  # what a reader sees of it (read only when needed)


class _Store:
    """One batch: every lookup and insert that does not depend on another row of the batch is one
    statement for the whole batch (sites, authors, tags, captures, articles, current versions);
    what does (versions, rechecks) is decided in entry order, in memory, then flushed at once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self.site_ids: dict[str, int] = {}
        self.named_ids: dict[tuple[type[models.Base], str], int] = {}
        self.articles: dict[str, models.Article] = {}
        self.versions: dict[int, _VersionState] = {}
        self.capture_hashes: dict[int, str | None] = {}  # captures.content_hash as the batch goes
        self.hash_updates: dict[int, str] = {}
        self.stats = StoreStats()

    # -- statements for the whole batch ----------------------------------------------------------
    def in_insert_order(self, values: Iterable[Any]) -> list[Any]:
        """New rows go in first seen first, so ids follow the order pages came in; on PostgreSQL sorted
        instead, so concurrent writers take their locks in one global order and wait rather than
        deadlock (store_batch still retries if the database says otherwise)."""
        return sorted(values) if self.dialect == "postgresql" else list(values)

    def _insert(self, model: type[models.Base]) -> Any:
        table: Table = model.__table__  # type: ignore[attr-defined, assignment]
        return postgresql.insert(table) if self.dialect == "postgresql" else sqlite.insert(table)

    def insert_ignore(self, model: type[models.Base], rows: list[dict[str, Any]], keys: list[str]) -> None:
        if rows:
            self.session.execute(self._insert(model).on_conflict_do_nothing(index_elements=keys), rows)

    def sites(self, urls: Iterable[str]) -> None:
        hosts = self.in_insert_order(h for h in dict.fromkeys(map(site_host, urls)) if h not in self.site_ids)
        if not hosts:
            return
        now = dt.datetime.now(dt.UTC)
        self.insert_ignore(models.Site, [{"name": h, "host": h, "created_at": now} for h in hosts], ["host"])
        for chunk in _chunks(hosts):
            self.site_ids.update(
                (host, site_id)
                for site_id, host in self.session.execute(
                    select(models.Site.id, models.Site.host).where(models.Site.host.in_(chunk))
                )
            )

    def site_id(self, url: str) -> int:
        host = site_host(url)
        if host not in self.site_ids:
            self.sites([url])
        return self.site_ids[host]

    def names(self, model: type[models.Author] | type[models.Tag], names: Iterable[str]) -> None:
        """Ids of authors or tags by name, inserting the new ones."""
        missing = self._look_up(
            model, self.in_insert_order(n for n in dict.fromkeys(names) if (model, n) not in self.named_ids)
        )
        if missing:
            self.insert_ignore(model, [{"name": n} for n in missing], ["name"])
            if self._look_up(model, missing):
                raise RuntimeError(f"{model.__tablename__}: cannot insert {missing[:3]}")

    def _look_up(self, model: type[models.Author] | type[models.Tag], names: list[str]) -> list[str]:
        """Remember the ids of *names* the table has; the names it has not."""
        for chunk in _chunks(names):
            for named_id, name in self.session.execute(select(model.id, model.name).where(model.name.in_(chunk))):
                self.named_ids[(model, name)] = named_id
        return [n for n in names if (model, n) not in self.named_ids]

    def captures(self, entries: Sequence[tuple[Capture, ExtractionResult | None]]) -> list[int]:
        """Upsert every capture of the batch; their ids, in entry order."""
        rows: dict[tuple[str, int], dict[str, Any]] = {}
        for capture, result in entries:
            key = (capture.warc_file, capture.warc_offset)
            kind = None if result is None else result.kind[:16]
            if key in rows:  # the same record twice in one batch: one row, the last result wins
                if kind is not None:
                    rows[key]["extracted_as"] = kind
                continue
            rows[key] = {
                "site_id": self.site_id(capture.url),
                "url": capture.url,
                "method": capture.method,
                "status": capture.status,
                "fetched_at": capture.fetched_at,
                "content_type": capture.content_type,
                "content_length": capture.content_length,
                "bytes_received": capture.bytes_received,
                "payload_digest": capture.payload_digest,
                "record_type": capture.record_type,
                "warc_file": capture.warc_file,
                "warc_offset": capture.warc_offset,
                "warc_length": capture.warc_length,
                "warc_record_id": capture.warc_record_id,
                "ip_address": capture.ip_address,
                "etag": capture.etag,
                "last_modified": capture.last_modified,
                "extracted_as": kind,
            }
        keys = ["warc_file", "warc_offset"]
        extracted = [row for row in rows.values() if row["extracted_as"] is not None]
        if extracted:
            upsert = self._insert(models.Capture)
            upsert = upsert.on_conflict_do_update(
                index_elements=keys, set_={"extracted_as": upsert.excluded.extracted_as}
            )
            self.session.execute(upsert, extracted)
        self.insert_ignore(models.Capture, [row for row in rows.values() if row["extracted_as"] is None], keys)
        self.stats.captures += len(entries)
        ids: dict[tuple[str, int], int] = {}
        C = models.Capture
        for warc_file in sorted({k[0] for k in rows}):
            offsets = sorted(offset for name, offset in rows if name == warc_file)
            for chunk in _chunks(offsets):
                query = select(C.id, C.warc_offset, C.content_hash).where(
                    C.warc_file == warc_file, C.warc_offset.in_(chunk)
                )
                for capture_id, offset, content_hash in self.session.execute(query):
                    ids[(warc_file, offset)] = capture_id
                    self.capture_hashes[capture_id] = content_hash
        return [ids[(c.warc_file, c.warc_offset)] for c, _ in entries]

    def load_articles(self, urls: dict[str, Capture | None]) -> None:
        """Insert the batch's new articles (those with a capture) and load every article it touches,
        with what deciding on their versions needs. On PostgreSQL the rows are locked, in URL order:
        concurrent workers storing one article wait for each other instead of colliding on version
        numbers or deadlocking."""
        new = [
            {
                "site_id": self.site_id(url),
                "url": url,
                "first_captured_at": capture.fetched_at,
                "last_captured_at": capture.fetched_at,
            }
            for url, capture in self.in_insert_order(urls.items())
            if capture is not None
        ]
        self.insert_ignore(models.Article, new, ["url"])
        for chunk in _chunks(sorted(urls)):
            query = select(models.Article).where(models.Article.url.in_(chunk)).order_by(models.Article.url)
            if self.dialect == "postgresql":
                # populate_existing: re-read under the lock, not as an earlier read of this session saw it.
                query = query.with_for_update().execution_options(populate_existing=True)
            for article in self.session.scalars(query):
                self.articles[article.url] = article
        by_id = {a.id: a for a in self.articles.values()}
        current_ids = [a.current_version_id for a in by_id.values() if a.current_version_id is not None]
        current: dict[int, tuple[str, int]] = {}
        last_numbers: dict[int, int] = {}
        V = models.ArticleVersion
        for chunk in _chunks(current_ids):
            rows = self.session.execute(select(V.id, V.content_hash, V.capture_id).where(V.id.in_(chunk)))
            current.update((version_id, (digest, capture_id)) for version_id, digest, capture_id in rows)
        for chunk in _chunks(sorted(by_id)):
            numbers = self.session.execute(
                select(V.article_id, func.max(V.number)).where(V.article_id.in_(chunk)).group_by(V.article_id)
            )
            last_numbers.update((article_id, number) for article_id, number in numbers)
        for article_id, article in by_id.items():
            digest, capture_id = current.get(article.current_version_id or 0, (None, None))
            self.versions[article_id] = _VersionState(
                digest, capture_id, last_numbers.get(article_id, 0), article.current_version_id
            )

    # -- one entry ----------------------------------------------------------------------------
    def recheck(self, capture: Capture, url: str) -> None:
        """A re-fetch of an archived article that brought no new content: a 304 says it is as
        stored (it was seen then); a 404/410 says it is gone (marked removed, never deleted)."""
        article = self.articles.get(url)
        if article is None:
            return
        if capture.status == 304:
            article.last_captured_at = max(as_utc(article.last_captured_at), capture.fetched_at)
        elif article.removed_at is None and capture.fetched_at >= as_utc(article.last_captured_at):
            article.removed_at = capture.fetched_at
            self.stats.removed += 1

    def article(self, capture: Capture, capture_id: int, result: Article, url: str) -> models.ArticleVersion | None:
        """Update the capture dates of the article of *url*; its new version, when the content changed."""
        article = self.articles[url]
        article.first_captured_at = min(as_utc(article.first_captured_at), capture.fetched_at)
        if article.removed_at is not None and capture.fetched_at > as_utc(article.removed_at):
            article.removed_at = None  # it is back
        article.last_captured_at = max(as_utc(article.last_captured_at), capture.fetched_at)

        state = self.versions[article.id]
        content_hash = result.content_hash()
        previous = self.capture_hashes.get(capture_id)
        if previous != content_hash:
            self.capture_hashes[capture_id] = self.hash_updates[capture_id] = content_hash
        if state.current_hash is not None:
            self.stats.revisited[site_host(capture.url)] += 1
        # Re-extracting a capture to what it gave last time changes nothing, even when a later
        # capture's content is current; but when a capture now extracts differently (an extractor
        # change, even one rolled back) and that differs from the current version, that is a new
        # version like any other.
        if previous == content_hash or state.current_hash == content_hash:
            self.stats.unchanged += 1
            return None
        # A capture stored before captures.content_hash existed: the versions it made tell.
        if (
            previous is None
            and state.current_hash is not None
            and state.current_capture_id != capture_id
            and self._has_version(article.id, content_hash, capture_id)
        ):
            self.stats.unchanged += 1
            return None
        changes = None
        if state.current_hash is not None:
            previous_story, story = self._current_story(state, result), _story(result)
            # A different hash with the same story: what changed is not the story (description,
            # tags, section: clutter a site rotates), and a reader would see no edit.
            if previous_story == story:
                self.stats.unchanged += 1
                return None
            changes = json.dumps(describe(previous_story, story), sort_keys=True)
            if previous_story.text != story.text and previous_story.modified == story.modified:
                self.stats.silent_changes[site_host(capture.url)] += 1
        state.last_number += 1
        version = models.ArticleVersion(
            article_id=article.id,
            number=state.last_number,
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
            changes=changes,
        )
        state.current_hash, state.current_capture_id = content_hash, capture_id
        state.current_story = _story(result)
        if state.last_number == 1:
            self.stats.articles_new += 1
        else:
            self.stats.edits += 1
        self.stats.versions_new += 1
        return version

    def _current_story(self, state: _VersionState, result: Article) -> Story:
        """The current version's story, read once."""
        if state.current_story is None:
            V, VA = models.ArticleVersion, models.ArticleVersionAuthor
            row = self.session.execute(
                select(V.title, V.text, V.published, V.modified).where(V.id == state.current_id)
            ).one_or_none()
            if row is None:
                return _story(result)
            authors = self.session.scalars(
                select(models.Author.name)
                .join(VA, VA.author_id == models.Author.id)
                .where(VA.version_id == state.current_id)
                .order_by(VA.position)
            ).all()
            state.current_story = Story(row.title, row.text, tuple(authors), row.published, row.modified)
        return state.current_story

    def memos(self, rows: list[dict[str, Any]]) -> None:
        """Keep each URL's latest extraction result for its revisits (``memo_rows``); a result of
        an older capture (a reextract of old WARCs) never replaces a newer one."""
        if rows:
            table: Table = models.ExtractionMemo.__table__  # type: ignore[assignment]
            upsert = self._insert(models.ExtractionMemo)
            upsert = upsert.on_conflict_do_update(
                index_elements=["url"],
                set_={name: upsert.excluded[name] for name in ("input_digest", "result", "fetched_at")},
                where=table.c.fetched_at <= upsert.excluded.fetched_at,
            )
            by_url = {row["url"]: row for row in rows}
            self.session.execute(upsert, [by_url[url] for url in self.in_insert_order(by_url)])

    def aliases(self, entries: Sequence[tuple[Capture, ExtractionResult | None]]) -> None:
        """Remember each URL the server redirected (``Capture.redirect_to``) as an alias of its target."""
        rows: dict[str, dict[str, Any]] = {}
        for capture, _ in entries:
            if capture.redirect_to and capture.method == "GET":
                rows[capture.url] = {"alias": capture.url, "target": capture.redirect_to, "seen_at": capture.fetched_at}
        if rows:
            upsert = self._insert(models.UrlAlias)
            upsert = upsert.on_conflict_do_update(
                index_elements=["alias"], set_={"target": upsert.excluded.target, "seen_at": upsert.excluded.seen_at}
            )
            self.session.execute(upsert, [rows[alias] for alias in self.in_insert_order(rows)])

    def requisites(self, entries: Sequence[tuple[Capture, ExtractionResult | None]], capture_ids: list[int]) -> None:
        """What each page or stylesheet of the batch loads (``Capture.requisites``), as rows of its
        capture: written once, so a second store of the capture (a reextract into the crawl's
        database) keeps the rows it has and fills those of captures stored before the table existed."""
        named = {cid: c.requisites for (c, _), cid in zip(entries, capture_ids, strict=True) if c.requisites}
        if not named:
            return
        R = models.CaptureRequisite
        for chunk in _chunks(sorted(named)):
            for capture_id in self.session.scalars(select(R.capture_id).where(R.capture_id.in_(chunk)).distinct()):
                named.pop(capture_id, None)
        rows = [
            {"capture_id": capture_id, "position": position, "url": models.storable(url)}
            for capture_id in sorted(named)
            for position, url in enumerate(named[capture_id])
        ]
        self.insert_ignore(R, rows, ["capture_id", "position"])

    def _has_version(self, article_id: int, content_hash: str, capture_id: int) -> bool:
        V = models.ArticleVersion
        query = select(V.id).where(
            V.article_id == article_id, V.content_hash == content_hash, V.capture_id == capture_id
        )
        return self.session.scalar(query.limit(1)) is not None

    def update_capture_hashes(self) -> None:
        if self.hash_updates:
            table: Table = models.Capture.__table__  # type: ignore[assignment]
            statement = (
                update(table).where(table.c.id == bindparam("capture_id")).values(content_hash=bindparam("hash"))
            )
            rows = [{"capture_id": capture_id, "hash": digest} for capture_id, digest in self.hash_updates.items()]
            self.session.execute(statement, rows)

    def add_versions(self, made: list[tuple[models.ArticleVersion, Article]]) -> None:
        """Insert the batch's new versions in one flush, then their authors and tags, then point each
        article at its last one."""
        if not made:
            return
        self.session.add_all(version for version, _ in made)
        self.session.flush()
        authors: list[dict[str, Any]] = []
        tags: list[dict[str, Any]] = []
        current: dict[int, int] = {}
        for version, result in made:
            for position, name in enumerate(_names(result.authors)):
                author_id = self.named_ids[(models.Author, name)]
                authors.append({"version_id": version.id, "author_id": author_id, "position": position})
            for position, name in enumerate(_names(result.tags)):
                tags.append(
                    {"version_id": version.id, "tag_id": self.named_ids[(models.Tag, name)], "position": position}
                )
            current[version.article_id] = version.id
        self.insert_ignore(models.ArticleVersionAuthor, authors, ["version_id", "author_id"])
        self.insert_ignore(models.ArticleVersionTag, tags, ["version_id", "tag_id"])
        for article in self.articles.values():
            if article.id in current:
                article.current_version_id = current[article.id]
        self.session.flush()


def _story(result: Article) -> Story:
    return Story(result.title, result.text, tuple(_names(result.authors)), result.published, result.modified)


def site_host(url: str) -> str:
    """The sites row of *url*, by host as stored: the batch's lookups are keyed by what the database
    hands back."""
    return models.storable(host_of(url) or "unknown", 255)


def _names(values: Iterable[str]) -> list[str]:
    """Author or tag names as stored: without NULs, stripped, at most 255 characters, first occurrence kept."""
    names = (models.storable(v).strip()[:255] for v in values)
    return list(dict.fromkeys(name for name in names if name))


def _chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    # Bound the bound parameters of one IN (...): SQLite allows 32,766, older builds 999.
    for start in range(0, len(values), size):
        yield values[start : start + size]


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
    for a deadlock or a serialization failure (concurrent writers: several crawl workers).

    A batch the database refuses for what is in it is stored in halves, down to the one entry it
    refuses: that entry alone is skipped and logged (``StoreStats.skipped``), its capture kept
    without its result when the database takes that, so the next crawl or a reextract tries again."""
    try:
        return _store_retrying(sessions, entries, attempts)
    except (DataError, IntegrityError) as exc:
        if len(entries) == 1:
            return _skip(sessions, entries[0], attempts, exc)
    middle = len(entries) // 2
    stats = StoreStats()
    for half in (entries[:middle], entries[middle:]):
        stats.add(store_batch(sessions, half, attempts=attempts))
    return stats


def _store_retrying(
    sessions: sessionmaker[Session], entries: Sequence[tuple[Capture, ExtractionResult | None]], attempts: int
) -> StoreStats:
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


def _skip(
    sessions: sessionmaker[Session],
    entry: tuple[Capture, ExtractionResult | None],
    attempts: int,
    refusal: DBAPIError,
) -> StoreStats:
    capture, result = entry
    logger.error(
        "store: the database refused %s (WARC %s at offset %d): %s; skipped, the WARC record is kept for "
        "`newsarchive reextract`",
        capture.url,
        capture.warc_file,
        capture.warc_offset,
        str(refusal.orig).strip().splitlines()[0] if str(refusal.orig).strip() else type(refusal.orig).__name__,
    )
    stats = StoreStats(skipped=1)
    if result is not None:
        # Refused too, the capture row: then the WARC record is all there is.
        with contextlib.suppress(DataError, IntegrityError):
            stats.add(_store_retrying(sessions, [(capture, None)], attempts))
    return stats


def store(session: Session, entries: Iterable[tuple[Capture, ExtractionResult | None]]) -> StoreStats:
    """Upsert each capture and, for articles, the article and (when its content changed) a new
    version. The caller owns the transaction: one ``store()`` call per batch, one commit.

    Entries are applied in order, as if stored one by one: two captures of one article in a batch
    give two versions when their content differs, numbered in entry order."""
    writer = _Store(session)
    entries = list(entries)
    memos = memo_rows(entries)  # what extraction made, before the sitemap fills anything in
    # Before anything hashes a result: what a Google News sitemap said fills what the page lacks.
    articles = [(position, c.url, r) for position, (c, r) in enumerate(entries) if isinstance(r, Article)]
    filled = fill(session, [(url, r) for _, url, r in articles])
    for index, article in filled.items():
        position = articles[index][0]
        entries[position] = (entries[position][0], article)
    owners = article_owners(session, entries)  # which article each result belongs to
    urls: dict[str, Capture | None] = {}
    authors: dict[str, None] = {}  # first seen first: ids follow the order pages came in
    tags: dict[str, None] = {}
    for (capture, result), url in zip(entries, owners, strict=True):
        if isinstance(result, Article):
            if urls.get(url) is None:
                urls[url] = capture
            authors.update(dict.fromkeys(_names(result.authors)))
            tags.update(dict.fromkeys(_names(result.tags)))
        elif is_recheck(capture):
            urls.setdefault(url, None)
    # One global order for what concurrent writers lock: sites, articles, authors, tags.
    writer.sites([c.url for c, _ in entries] + list(urls))
    writer.load_articles(urls)
    writer.names(models.Author, authors)
    writer.names(models.Tag, tags)
    capture_ids = writer.captures(entries)
    made: list[tuple[models.ArticleVersion, Article]] = []
    for (capture, result), capture_id, url in zip(entries, capture_ids, owners, strict=True):
        if isinstance(result, Article):
            version = writer.article(capture, capture_id, result, url)
            if version is not None:
                made.append((version, result))
        else:
            if is_recheck(capture):
                writer.recheck(capture, url)
            if isinstance(result, NotAnArticle):
                writer.stats.not_articles += 1
    writer.add_versions(made)
    writer.requisites(entries, capture_ids)
    writer.aliases(entries)
    writer.memos(memos)
    writer.update_capture_hashes()
    session.flush()
    return writer.stats
