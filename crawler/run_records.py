"""The extension that tells the archive about each crawl: its ``crawl_runs`` row.

``CrawlRunRecorder`` writes the row when the crawl starts, updates it as the crawl goes and
finalizes it at close; it also holds the per-site lock (crawler/site_lock.py) that keeps two crawls
of one site from overlapping.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
from typing import TYPE_CHECKING, Any

from scrapy import Spider, signals
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy import Engine, insert, update
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet import task, threads
from twisted.python.threadpool import ThreadPool

from archive import models
from archive.db import DatabaseError, create_db_engine
from archive.progress import pages_fetched
from archive.urls import redact_urls
from crawler.middlewares import BYTES_RECEIVED_STAT
from crawler.outcome import DATABASE_ERROR, crawler_status
from crawler.reactor import get_reactor
from crawler.site_lock import SiteLock, SiteLockedError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

RUN_ID_STAT = "newsarchive/run_id"  # the crawl_runs row of this crawl

# crawl_runs column -> the Scrapy stat it is read from
_COUNTERS = {
    "pages_fetched": "downloader/response_count",
    "not_modified": "downloader/response_status_count/304",
    "articles_new": "newsarchive/store/articles_new",
    "versions_new": "newsarchive/store/versions_new",
    "errors": "log_count/ERROR",
    "bytes_received": BYTES_RECEIVED_STAT,
    "rechecks_sent": "newsarchive/incremental/rechecks_sent",
    "edits_found": "newsarchive/store/edits",
    "rechecks_deferred": "newsarchive/incremental/recheck_deferred",
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
        if not settings.getbool("NEWSARCHIVE_RUN_RECORDS"):
            raise NotConfigured("NEWSARCHIVE_RUN_RECORDS is off")
        database_url = settings.get("NEWSARCHIVE_DATABASE_URL")
        if not database_url:
            raise NotConfigured("NEWSARCHIVE_DATABASE_URL is empty")
        recorder = cls(
            crawler,
            database_url,
            settings.get("NEWSARCHIVE_WARC_DIR") or ".",
            settings.getfloat("NEWSARCHIVE_RUN_RECORD_INTERVAL"),
        )
        recorder.distributed = bool(settings.get("NEWSARCHIVE_DISTRIBUTED"))
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def _in_thread(self, function: Any, *args: Any) -> Any:
        return maybe_deferred_to_future(threads.deferToThreadPool(get_reactor(), self._pool, function, *args))

    async def spider_opened(self, spider: Spider) -> None:
        self._pool.start()
        sites = run_sites(spider)
        try:
            if not self.distributed:
                await self._in_thread(self.lock.acquire, sites)
        except SiteLockedError as exc:
            logger.error("%s; this run exits without crawling", exc)
            raise CloseSpider("site_locked") from None
        except (SQLAlchemyError, OSError) as exc:  # no database for the advisory lock, no room for the lock file
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__]
            logger.warning("cannot take the site lock: %s", reason[0])
            raise CloseSpider(DATABASE_ERROR) from None
        try:
            self.run_id = await self._in_thread(self._insert, spider, sites)
        except (DatabaseError, Exception) as exc:  # a run record is worth a warning, not the crawl
            logger.warning("cannot write the crawl_runs row: %s", exc)
            return
        logger.info("crawl run %d of %s", self.run_id, ", ".join(sites))
        if self.crawler.stats is not None:  # what the run's other records (site_run_health) point at
            self.crawler.stats.set_value(RUN_ID_STAT, self.run_id)
        self._ticker.start(self.interval, now=False)

    def _insert(self, spider: Spider, sites: list[str]) -> int:
        self.engine = create_db_engine(self.database_url)
        now = dt.datetime.now(dt.UTC)
        # A password in an argument (a URL's, a seed's) is not kept: `newsarchive runs` shows them all.
        given = getattr(spider, "newsarchive_args", {}) or {}
        arguments = {name: redact_urls(str(value)) for name, value in given.items()}
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
            key = connection.execute(insert(models.CrawlRun).values(**values)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def _counters(self) -> dict[str, int]:
        stats = self.crawler.stats
        if not stats:
            return {}
        counters = {column: int(stats.get_value(name, 0) or 0) for column, name in _COUNTERS.items()}
        counters["pages_fetched"] = pages_fetched(stats.get_stats())  # page requisites are not pages
        return counters

    def _update(self, values: dict[str, Any]) -> None:
        assert self.engine is not None and self.run_id is not None
        values["updated_at"] = dt.datetime.now(dt.UTC)
        with self.engine.begin() as connection:
            connection.execute(update(models.CrawlRun).where(models.CrawlRun.id == self.run_id).values(**values))

    def _tick(self) -> Any:
        d = threads.deferToThreadPool(get_reactor(), self._pool, self._update, self._counters())
        d.addErrback(lambda failure: logger.warning("cannot update the crawl_runs row: %s", failure.getErrorMessage()))
        return d

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._ticker.running:
            self._ticker.stop()
        try:
            if self.run_id is not None:
                status = crawler_status(self.crawler, reason)
                final = {**self._counters(), "status": status, "ended_at": dt.datetime.now(dt.UTC)}
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
