"""Storage pipeline: batches captures and extraction results into ``store()`` transactions.

Every exchange the WARC middleware archives arrives through the ``exchange_archived`` signal
(robots.txt, redirects and errors too); pages arrive as items with their extraction result. They
are written in one transaction per batch (``NEWSARCHIVE_STORE_BATCH_SIZE`` entries or every
``NEWSARCHIVE_STORE_INTERVAL`` seconds) on a dedicated thread, so SQL never runs in the reactor
thread and an interrupted crawl leaves whole batches only.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, TypeVar

from scrapy import Spider
from scrapy.exceptions import CloseSpider
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from sqlalchemy.orm import Session, sessionmaker
from twisted.internet import defer, task, threads
from twisted.python.threadpool import ThreadPool

from archive.capture import Capture
from archive.db import DatabaseError, open_database
from archive.responses import body_is_read, stylesheet_answer, wants_extraction
from archive.store import ExtractionResult, StoreStats, store_batch
from crawler.items import PageItem
from crawler.outcome import DATABASE_ERROR, LOST_STAT
from crawler.reactor import get_reactor
from crawler.signals import batch_stored, exchange_archived, requisites_named

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

# The capture of an HTML page comes back as an item once extracted; it waits this long for it in
# the pending batch, so it is written once, with its result, instead of twice.
ITEM_WAIT_SECONDS = 60.0


class StoragePipeline:
    def __init__(self, crawler: Crawler, database_url: str, batch_size: int, interval: float, requisites: bool) -> None:
        self.crawler = crawler
        self.requisites = requisites  # NEWSARCHIVE_REQUISITES is not "none": stylesheets name theirs
        self.database_url = database_url
        self.batch_size = batch_size
        self.interval = interval
        self.sessions: sessionmaker[Session] | None = None
        self.pending: dict[tuple[str, int], tuple[Capture, ExtractionResult | None]] = {}
        self._awaiting: dict[tuple[str, int], float] = {}  # pending captures whose item is due, since when
        self.totals = StoreStats()
        self._pool = ThreadPool(minthreads=1, maxthreads=1, name="store")
        self._in_flight: set[defer.Deferred[Any]] = set()
        self._ticker = task.LoopingCall(self.flush)
        self._failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        settings = crawler.settings
        pipeline = cls(
            crawler,
            settings.get("NEWSARCHIVE_DATABASE_URL"),
            max(1, settings.getint("NEWSARCHIVE_STORE_BATCH_SIZE")),
            settings.getfloat("NEWSARCHIVE_STORE_INTERVAL"),
            settings.get("NEWSARCHIVE_REQUISITES") != "none",
        )
        crawler.signals.connect(pipeline.capture_archived, signal=exchange_archived)
        crawler.signals.connect(pipeline.stylesheet_read, signal=requisites_named)
        return pipeline

    async def open_spider(self, spider: Spider | None = None) -> None:
        # A coroutine, so that its CloseSpider is raised as it is awaited, beside the other pipelines'.
        try:
            self.sessions = open_database(self.database_url)
        except DatabaseError as exc:
            # CloseSpider is what Scrapy lets a component that fails to start close the crawl with;
            # any other exception leaves its engine half-open, idling forever.
            logger.error("%s; this run exits without crawling", exc)
            raise CloseSpider(DATABASE_ERROR) from None
        self._pool.start()
        self._ticker.start(self.interval, now=False)

    def capture_archived(self, capture: Capture, spider: Spider | None = None) -> None:
        key = (capture.warc_file, capture.warc_offset)
        if key not in self.pending:
            self.pending[key] = (capture, None)
            if _expects_item(capture) or (self.requisites and _names_requisites(capture)):
                self._awaiting[key] = time.monotonic()
        self._maybe_flush()

    def stylesheet_read(self, capture: Capture, spider: Spider | None = None) -> None:
        """A stylesheet's capture with what it loads (its capture_requisites rows): written in its
        place, or after it when it went without them (written once its wait was over)."""
        key = (capture.warc_file, capture.warc_offset)
        self.pending[key] = (capture, None)
        self._awaiting.pop(key, None)
        self._maybe_flush()

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, PageItem):
            key = (item.capture.warc_file, item.capture.warc_offset)
            self.pending[key] = (item.capture, item.result)
            self._awaiting.pop(key, None)
            self._maybe_flush()
        return item

    def _maybe_flush(self) -> None:
        if len(self.pending) - len(self._awaiting) >= self.batch_size:
            self.flush()

    def flush(self, final: bool = False) -> defer.Deferred[Any] | None:
        if not self.pending or self.sessions is None or self._failed:
            return None
        batch = self._take_ready(final)
        if not batch:
            return None
        d = threads.deferToThreadPool(get_reactor(), self._pool, self._store_batch, batch)
        self._in_flight.add(d)
        d.addCallbacks(self._stored, self._store_failed, callbackArgs=(batch,), errbackArgs=(len(batch),))
        d.addBoth(self._done, d)
        return d

    def _done(self, result: _T, d: defer.Deferred[Any]) -> _T:
        self._in_flight.discard(d)
        return result

    def _take_ready(self, final: bool) -> list[tuple[Capture, ExtractionResult | None]]:
        """The pending entries to write now: all of them at the end, else all but the captures still
        waiting (less than ITEM_WAIT_SECONDS) for their item."""
        if final or not self._awaiting:
            batch = list(self.pending.values())
            self.pending, self._awaiting = {}, {}
            return batch
        cutoff = time.monotonic() - ITEM_WAIT_SECONDS
        batch, keep = [], {}
        for key, entry in self.pending.items():
            since = self._awaiting.get(key)
            if since is not None and since > cutoff:
                keep[key] = entry
            else:
                batch.append(entry)
                self._awaiting.pop(key, None)
        self.pending = keep
        return batch

    def _store_batch(self, batch: list[tuple[Capture, ExtractionResult | None]]) -> StoreStats:
        assert self.sessions is not None
        # Own transaction, retried on deadlock: distributed workers write the same rows at once.
        return store_batch(self.sessions, batch)

    def _stored(self, stats: StoreStats, batch: list[tuple[Capture, ExtractionResult | None]]) -> None:
        self.totals.add(stats)
        if self.crawler.stats is not None:
            for name in stats.COUNTERS:
                self.crawler.stats.inc_value(f"newsarchive/store/{name}", getattr(stats, name))
        self.crawler.signals.send_catch_log(batch_stored, entries=batch, stats=stats)

    def _store_failed(self, failure: Any, entries: int) -> None:
        # The WARC still holds every record of the lost batch: `newsarchive reextract` rebuilds it.
        self._count_lost(entries)
        if not self._failed:
            self._failed = True
            logger.error(
                "cannot write to the database (%s); stopping the crawl. The WARC files hold everything "
                "fetched: run `newsarchive reextract` once the database is fixed.",
                failure.getErrorMessage(),
            )
            if self.crawler.engine is not None:
                deferred_from_coro(self.crawler.engine.close_spider_async(reason=DATABASE_ERROR))

    def _count_lost(self, entries: int) -> None:
        if self.crawler.stats is not None and entries:
            self.crawler.stats.inc_value(LOST_STAT, entries)

    async def close_spider(self, spider: Spider | None = None) -> None:
        if self._ticker.running:
            self._ticker.stop()
        self.flush(final=True)
        if self._in_flight:
            await maybe_deferred_to_future(defer.DeferredList(list(self._in_flight)))
        if self._failed:  # never written: the database failed before their batch was due
            self._count_lost(len(self.pending))
        if self._pool.started:
            self._pool.stop()
        logger.info(
            "stored %d captures, %d new articles, %d new versions (%d unchanged, %d not articles)",
            self.totals.captures,
            self.totals.articles_new,
            self.totals.versions_new,
            self.totals.unchanged,
            self.totals.not_articles,
        )


def _expects_item(capture: Capture) -> bool:
    """An HTML page the spider turns into a ``PageItem`` (revisits included)."""
    return body_is_read(capture.method) and wants_extraction(capture.status, capture.content_type)


def _names_requisites(capture: Capture) -> bool:
    """A stylesheet the spider reads for what it loads (``requisites_named``)."""
    return body_is_read(capture.method) and stylesheet_answer(capture.status, capture.content_type, capture.url)
