"""What a crawl knows from the archive, and what it tells the archive about itself.

* ``ArchiveIndex``: read-only look-ups of what is already archived (last captures with their
  validators, articles with their age and removal) in batches, for the incremental crawl and the
  WARC revisit records. Its methods run SQL and are called from threads, never from the reactor.
* ``CrawlRunRecorder``: the extension that writes a ``crawl_runs`` row when the crawl starts,
  updates it as the crawl goes and finalizes it at close; it also holds the per-site lock that keeps
  two crawls of one site from overlapping.
* ``SiteLock``: that lock: an advisory lock on PostgreSQL, a ``flock``-ed file beside the database on
  SQLite. The operating system or the server drops it when the process dies, so a killed crawl
  never leaves a stale lock behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrapy import Spider, signals
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy import Engine, and_, func, or_, select, text, update
from sqlalchemy.engine import Connection, make_url
from twisted.internet import task, threads
from twisted.python.threadpool import ThreadPool

from archive import models
from archive.db import DatabaseError, as_utc, create_db_engine

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

_CHUNK = 500  # URLs per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True, slots=True)
class Known:
    """What the archive knows about one URL."""

    url: str
    checked_at: dt.datetime  # the latest capture that answered 200 or 304: the page was as stored then
    etag: str | None
    last_modified: str | None
    born_at: dt.datetime | None  # publication date of an article, else when it was first captured
    removed: bool  # an article that answered 404/410 and has not come back


@dataclass(frozen=True, slots=True)
class Original:
    """The full response record an identical payload can point a revisit record at."""

    url: str
    fetched_at: dt.datetime
    record_id: str


class ArchiveIndex:
    """Batched, read-only queries on the archive for one crawl. Thread-safe; call from threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, database_url: str) -> ArchiveIndex:
        # No migration here: the storage pipeline opens (and migrates) the database before any
        # request goes out, and these look-ups only ever run after that.
        return cls(create_db_engine(database_url, create=True))

    def lookup(self, urls: Iterable[str]) -> dict[str, Known]:
        """What is archived of each of *urls*; URLs never fetched with success are absent."""
        wanted = list(dict.fromkeys(urls))
        found: dict[str, Known] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), _CHUNK):
                found.update(self._lookup_chunk(connection, wanted[start : start + _CHUNK]))
        return found

    def _lookup_chunk(self, connection: Connection, urls: Sequence[str]) -> dict[str, Known]:
        c = models.Capture
        ranked = (
            select(
                c.url,
                c.fetched_at,
                c.etag,
                c.last_modified,
                func.row_number().over(partition_by=c.url, order_by=c.fetched_at.desc()).label("rank"),
            )
            .where(
                c.url.in_(urls),
                c.status.in_((200, 304)),
                c.method == "GET",
                # An HTML page counts as seen once its extraction is stored, not when its bytes are:
                # a crawl killed in between must fetch it again.
                or_(
                    c.status == 304,
                    c.extracted_as.is_not(None),
                    func.coalesce(c.content_type, "").not_like("%html%"),
                ),
            )
            .subquery()
        )
        latest = {row.url: row for row in connection.execute(select(ranked).where(ranked.c.rank == 1)).all()}
        # A 304 may carry no validators of its own: keep those of the latest capture that had some.
        validators: dict[str, tuple[str | None, str | None]] = {}
        missing = [u for u, row in latest.items() if not (row.etag or row.last_modified)]
        if missing:
            rows = connection.execute(
                select(c.url, c.etag, c.last_modified)
                .where(c.url.in_(missing), c.status == 200, or_(c.etag.is_not(None), c.last_modified.is_not(None)))
                .order_by(c.fetched_at)
            ).all()
            validators = {row.url: (row.etag, row.last_modified) for row in rows}
        first = dict(
            connection.execute(select(c.url, func.min(c.fetched_at)).where(c.url.in_(urls)).group_by(c.url)).all()
        )
        a, v = models.Article, models.ArticleVersion
        articles = {
            row.url: row
            for row in connection.execute(
                select(a.url, a.removed_at, a.first_captured_at, v.published_at)
                .outerjoin(v, v.id == a.current_version_id)
                .where(a.url.in_(urls))
            ).all()
        }
        result: dict[str, Known] = {}
        for url in urls:
            row = latest.get(url)
            article = articles.get(url)
            if row is None and (article is None or article.removed_at is None):
                continue  # never fetched with success: new
            etag, last_modified = (row.etag, row.last_modified) if row is not None else (None, None)
            if not (etag or last_modified):
                etag, last_modified = validators.get(url, (None, None))
            born = None
            if article is not None:
                born = as_utc(article.published_at) or as_utc(article.first_captured_at)
            checked = as_utc(row.fetched_at) if row is not None else as_utc(article.removed_at)
            assert checked is not None
            result[url] = Known(
                url=url,
                checked_at=checked,
                etag=etag,
                last_modified=last_modified,
                born_at=born or as_utc(first.get(url)),
                removed=article is not None and article.removed_at is not None,
            )
        return result

    def articles_since(self, origins: Iterable[str], since: dt.datetime | None) -> list[str]:
        """URLs of archived, not removed articles under *origins* (``scheme://host[:port]/``)
        published (or first captured) at or after *since*; every one when *since* is None."""
        prefixes = sorted(set(origins))
        if not prefixes:
            return []
        a, v = models.Article, models.ArticleVersion
        query = (
            select(a.url)
            .outerjoin(v, v.id == a.current_version_id)
            .where(a.removed_at.is_(None), or_(*(a.url.startswith(p, autoescape=True) for p in prefixes)))
        )
        if since is not None:
            query = query.where(func.coalesce(v.published_at, a.first_captured_at) >= since)
        with self.engine.connect() as connection:
            return list(connection.scalars(query.order_by(a.id)).all())

    def original(self, url: str, payload_digest: str) -> Original | None:
        """The latest full response record of *url* with this payload digest, if any."""
        c = models.Capture
        with self.engine.connect() as connection:
            row = connection.execute(
                select(c.url, c.fetched_at, c.warc_record_id)
                .where(
                    and_(c.url == url, c.payload_digest == payload_digest, c.record_type == "response", c.status == 200)
                )
                .order_by(c.fetched_at.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        fetched = as_utc(row.fetched_at)
        assert fetched is not None
        return Original(row.url, fetched, row.warc_record_id)

    def close(self) -> None:
        self.engine.dispose()


# ------------------------------------------------------------------------------------------------ locks
class SiteLockedError(Exception):
    """Another crawl of the same site holds the lock; the message says which."""


def _lock_key(site: str) -> int:
    digest = hashlib.sha256(f"newsarchive crawl {site}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class SiteLock:
    """A lock per site name, held for the length of a crawl.

    PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a connection kept open for
    the crawl, so crawls on different machines sharing one database exclude each other. SQLite
    (and anything else): ``flock`` on ``<database file>.<site>.lock`` (or a file in *fallback_dir*
    for an in-memory database); the file also names the holder for the message the loser prints.
    """

    def __init__(self, database_url: str, fallback_dir: str | os.PathLike[str]) -> None:
        self.database_url = database_url
        self.fallback_dir = Path(fallback_dir)
        self._files: list[IO[str]] = []
        self._connection: Connection | None = None
        self._engine: Engine | None = None

    def lock_path(self, site: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", site)
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            db = Path(url.database)
            return db.with_name(f"{db.name}.{safe}.lock")
        return self.fallback_dir / f"newsarchive.{safe}.lock"

    def acquire(self, sites: Sequence[str]) -> None:
        """Take the lock of every site, or none (raising ``SiteLockedError``)."""
        try:
            if make_url(self.database_url).get_backend_name() == "postgresql":
                self._acquire_advisory(sites)
            else:
                for site in sites:
                    self._acquire_file(site)
        except BaseException:
            self.release()
            raise

    def _acquire_advisory(self, sites: Sequence[str]) -> None:
        self._engine = create_db_engine(self.database_url)
        self._connection = self._engine.connect()
        for site in sites:
            got = self._connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": _lock_key(site)})
            if not got.scalar():
                holder = self._connection.execute(
                    select(models.CrawlRun.pid, models.CrawlRun.hostname, models.CrawlRun.started_at)
                    .where(models.CrawlRun.status == "running", models.CrawlRun.site.contains(site))
                    .order_by(models.CrawlRun.started_at.desc())
                    .limit(1)
                ).first()
                who = (
                    f" (pid {holder.pid} on {holder.hostname}, since {holder.started_at:%Y-%m-%d %H:%M:%S})"
                    if holder
                    else ""
                )
                raise SiteLockedError(f"another crawl of site {site!r} is running{who}")
            self._connection.commit()

    def _acquire_file(self, site: str) -> None:
        import fcntl

        path = self.lock_path(site)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held until release())
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise SiteLockedError(
                f"another crawl of site {site!r} is running ({holder or 'holder unknown'}; lock file {path})"
            ) from None
        handle.seek(0)
        handle.truncate()
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}, since {now}\n")
        handle.flush()
        self._files.append(handle)

    def release(self) -> None:
        for handle in self._files:
            handle.close()  # closing the descriptor drops the flock
        self._files = []
        if self._connection is not None:
            self._connection.close()  # the session's advisory locks go with it
            self._connection = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


# ------------------------------------------------------------------------------------------- run records
# crawl_runs column -> the Scrapy stat it is read from
_COUNTERS = {
    "pages_fetched": "downloader/response_count",
    "not_modified": "downloader/response_status_count/304",
    "articles_new": "newsarchive/store/articles_new",
    "versions_new": "newsarchive/store/versions_new",
    "errors": "log_count/ERROR",
    "bytes_received": "downloader/response_bytes",
}


def run_sites(spider: Spider) -> list[str]:
    """The site names a crawl is about: its profiles, else the hosts of its start URLs."""
    return list(getattr(spider, "site_names", None) or []) or [spider.name]


class CrawlRunRecorder:
    """Writes the crawl's ``crawl_runs`` row and holds its site lock (see ``SiteLock``).

    A crawl that finds its site locked closes at once with finish reason ``site_locked`` and an
    error line naming the holder; it writes no row. Row writes run on a dedicated thread.

    A distributed worker (``NEWSARCHIVE_DISTRIBUTED``) takes no site lock: the workers of one run
    must crawl the same sites at once, and the shared frontier (one queue, one dupefilter per run,
    see crawler/distributed.py) is what keeps them from fetching a page twice. Its row records the
    run id (``spider_args.distributed_run``) and, at close, the sites it took work from.
    """

    def __init__(self, crawler: Crawler, database_url: str, lock_dir: str, interval: float) -> None:
        self.crawler = crawler
        self.database_url = database_url
        self.lock = SiteLock(database_url, lock_dir)
        self.interval = interval
        self.engine: Engine | None = None
        self.run_id: int | None = None
        self._pool = ThreadPool(minthreads=1, maxthreads=1, name="crawl-run")
        self._ticker = task.LoopingCall(self._tick)
        self.distributed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecorder:
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_RUN_RECORDS", True):
            raise NotConfigured("NEWSARCHIVE_RUN_RECORDS is off")
        database_url = settings.get("NEWSARCHIVE_DATABASE_URL")
        if not database_url:
            raise NotConfigured("NEWSARCHIVE_DATABASE_URL is empty")
        recorder = cls(
            crawler,
            database_url,
            settings.get("NEWSARCHIVE_WARC_DIR") or ".",
            settings.getfloat("NEWSARCHIVE_RUN_RECORD_INTERVAL", 30.0),
        )
        recorder.distributed = bool(settings.get("NEWSARCHIVE_DISTRIBUTED"))
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def _in_thread(self, function: Any, *args: Any) -> Any:
        return maybe_deferred_to_future(threads.deferToThreadPool(_reactor(), self._pool, function, *args))

    async def spider_opened(self, spider: Spider) -> None:
        self._pool.start()
        sites = run_sites(spider)
        try:
            if not self.distributed:
                await self._in_thread(self.lock.acquire, sites)
        except SiteLockedError as exc:
            logger.error("%s; this run exits without crawling", exc)
            raise CloseSpider("site_locked") from None
        try:
            self.run_id = await self._in_thread(self._insert, spider, sites)
        except (DatabaseError, Exception) as exc:  # a run record is worth a warning, not the crawl
            logger.warning("cannot write the crawl_runs row: %s", exc)
            return
        logger.info("crawl run %d of %s", self.run_id, ", ".join(sites))
        self._ticker.start(self.interval, now=False)

    def _insert(self, spider: Spider, sites: list[str]) -> int:
        self.engine = create_db_engine(self.database_url)
        now = dt.datetime.now(dt.UTC)
        arguments = dict(getattr(spider, "newsarchive_args", {}) or {})
        if self.distributed:
            from crawler.distributed import crawler_run_id

            arguments["distributed_run"] = crawler_run_id(self.crawler) or ""
        row = models.CrawlRun(
            site=",".join(sites)[:255],
            spider=spider.name,
            spider_args=json.dumps(arguments, sort_keys=True),
            status="running",
            started_at=now,
            updated_at=now,
            hostname=socket.gethostname(),
            pid=os.getpid(),
            **dict.fromkeys(_COUNTERS, 0),
        )
        with self.engine.begin() as connection:
            values = {col.name: getattr(row, col.name) for col in models.CrawlRun.__table__.columns if col.name != "id"}
            return int(connection.execute(models.CrawlRun.__table__.insert().values(**values)).inserted_primary_key[0])

    def _counters(self) -> dict[str, int]:
        stats = self.crawler.stats
        return {column: int(stats.get_value(name, 0) or 0) for column, name in _COUNTERS.items()} if stats else {}

    def _update(self, values: dict[str, Any]) -> None:
        assert self.engine is not None and self.run_id is not None
        values["updated_at"] = dt.datetime.now(dt.UTC)
        with self.engine.begin() as connection:
            connection.execute(update(models.CrawlRun).where(models.CrawlRun.id == self.run_id).values(**values))

    def _tick(self) -> Any:
        d = threads.deferToThreadPool(_reactor(), self._pool, self._update, self._counters())
        d.addErrback(lambda failure: logger.warning("cannot update the crawl_runs row: %s", failure.getErrorMessage()))
        return d

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._ticker.running:
            self._ticker.stop()
        try:
            if self.run_id is not None:
                final = {**self._counters(), "status": reason, "ended_at": dt.datetime.now(dt.UTC)}
                if self.distributed:  # a worker learns its sites from the seeds and requests it takes
                    final["site"] = ",".join(run_sites(spider))[:255]
                try:
                    await self._in_thread(self._update, final)
                except Exception as exc:
                    logger.warning("cannot finalize the crawl_runs row: %s", exc)
        finally:
            await self._in_thread(self.lock.release)
            if self.engine is not None:
                self.engine.dispose()
            self._pool.stop()


def _reactor() -> Any:
    # Imported late: importing twisted.internet.reactor at module level installs the default
    # reactor before Scrapy installs the asyncio one.
    from twisted.internet import reactor

    return reactor
