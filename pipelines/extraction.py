"""Extraction pipeline: runs ``archive.extract.extract`` in a pool of worker processes.

Extraction is CPU-bound (lxml + trafilatura, ~25–100 ms a page); run in the reactor thread it
would cap the crawl at one core and stall downloads. Each item waits on its own future while
the reactor goes on; Scrapy's CONCURRENT_ITEMS and the scraper's memory cap bound how many pages
are in flight, so memory stays flat.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from scrapy import Spider

from archive.extract import Article, NotAnArticle, extract
from archive.extraction.worker import init_worker
from crawler.items import PageItem

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


# Submitted once per worker so it imports the heavy modules before the first page waits on them. The
# task is extract() itself: a helper of this module would make each worker import Scrapy to unpickle it.
_WARM_UP_PAGE = (b"<html><body><p>warm up</p></body></html>", "http://localhost/", {"Content-Type": "text/html"})


class ExtractionPipeline:
    def __init__(self, crawler: Crawler, workers: int, niceness: int = 0) -> None:
        self.crawler = crawler
        self.workers = workers
        self.niceness = niceness
        self.pool: ProcessPoolExecutor | None = None
        # Time with fewer pages in the pool than workers (a core the pool could have used), for the stats.
        self._in_flight = 0
        self._idle_since: float | None = None
        self.idle_seconds = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        workers = crawler.settings.getint("NEWSARCHIVE_EXTRACT_WORKERS", os.cpu_count() or 1)
        niceness = crawler.settings.getint("NEWSARCHIVE_EXTRACT_NICENESS", 10)
        return cls(crawler, max(0, workers), max(0, niceness))

    def open_spider(self, spider: Spider | None = None) -> None:
        if self.workers:
            self.pool = self._new_pool()
            self._idle_since = time.monotonic()

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: forking a process that runs a reactor and threads is unsafe.
        # Workers ignore SIGINT: a Ctrl-C in the terminal reaches the whole process group, and Scrapy's
        # graceful shutdown still needs them to extract the pages in flight.
        pool = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
            initargs=(self.niceness, True),
        )
        for _ in range(self.workers):
            pool.submit(extract, *_WARM_UP_PAGE)
        return pool

    async def close_spider(self, spider: Spider | None = None) -> None:
        if self.pool is not None:
            pool, self.pool = self.pool, None
            # Joining the workers takes a second; on a thread, so the reactor goes on meanwhile.
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
            if self.crawler.stats is not None:
                self._count_in_flight(0)
                self.crawler.stats.set_value("newsarchive/extract/pool_underfed_s", round(self.idle_seconds, 2))

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, PageItem):
            return item
        item.result = await self._extract(item)
        item.body = b""  # the bytes are in the WARC; do not carry them on to storage
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value(f"newsarchive/extracted/{item.result.kind}")
        return item

    async def _extract(self, item: PageItem) -> Article | NotAnArticle:
        if self.pool is None:
            return extract(item.body, item.url, item.headers, item.hints)
        self._count_in_flight(+1)
        try:
            return await asyncio.wrap_future(self.pool.submit(extract, item.body, item.url, item.headers, item.hints))
        except BrokenProcessPool:
            # A worker died (out of memory, a crash in C code): one page lost, not the crawl.
            logger.error("extraction worker died on %s; restarting the pool", item.url)
            self.pool = self._new_pool()
            return NotAnArticle(url=item.url, reason="extraction worker crashed", kind="error")
        except Exception as exc:  # extract() never raises; pickling or the pool itself might
            logger.exception("extraction failed on %s", item.url)
            return NotAnArticle(url=item.url, reason=f"extraction failed: {exc}", kind="error")
        finally:
            self._count_in_flight(-1)

    def _count_in_flight(self, change: int) -> None:
        now = time.monotonic()
        self._in_flight += change
        underfed = self._in_flight < self.workers
        if underfed and self._idle_since is None:
            self._idle_since = now
        elif not underfed and self._idle_since is not None:
            self.idle_seconds += now - self._idle_since
            self._idle_since = None
        if change == 0 and self._idle_since is not None:  # closing: count the idle tail too
            self.idle_seconds += now - self._idle_since
            self._idle_since = None
