"""Extraction pipeline: the crawl's extraction pool, off the reactor thread, and what goes through it.

The pipeline owns the crawl's one pool (opened and closed with the spider) and serves two callers:
the spider, which hands it each HTML page's one task (:meth:`ExtractionPipeline.read`:
``archive/page_reading.py``, the page extracted and its requisites and links read from one
parse) and attaches the result to the page's item, which this pipeline then passes on; and the
items that still carry their page (a revisit the reuse pipeline had no result for, a rendered
page's DOM, a body that could not be decoded), extracted here. Each waits on its own future while
the reactor goes on; the scraper's memory cap (responses in the spider's callbacks) and Scrapy's
CONCURRENT_ITEMS bound how many pages are in flight, so memory stays flat. The pool is the one
re-extraction uses (``archive/extraction/pool.py``): same workers, same crash policy.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Spider

from archive.extraction.pool import ExtractionPool
from archive.page_reading import PageRead, PageTask
from crawler.items import PageItem

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

POOL_PAGES_STAT = "newsarchive/extract/pool_pages"  # pages the workers extracted
# Pages whose requisites or links were read from extraction's tree, or from a parse of their own
# (Scrapy's selector: archive/page_reading.py says when); and those read in the crawl's process
# (no workers, or a worker that crashed twice), which the reactor thread parsed.
ONE_PARSE_STAT = "newsarchive/read/one_parse"
OWN_PARSE_STAT = "newsarchive/read/own_parse"
IN_CRAWL_PROCESS_STAT = "newsarchive/read/in_crawl_process"
logger = logging.getLogger(__name__)


class ExtractionPipeline:
    def __init__(self, crawler: Crawler, workers: int, niceness: int) -> None:
        self.crawler = crawler
        self.workers = max(0, workers)
        self.niceness = max(0, niceness)
        self.pool: ExtractionPool | None = None
        # Time with fewer pages in the pool than workers (a core the pool could have used), for the stats.
        self._in_flight = 0
        self._idle_since: float | None = None
        self.idle_seconds = 0.0
        self._hinted: set[str] = set()  # sites told this run that their pages need rendering

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        settings = crawler.settings
        workers = settings.getint("NEWSARCHIVE_EXTRACT_WORKERS")
        return cls(crawler, workers, settings.getint("NEWSARCHIVE_EXTRACT_NICENESS"))

    def open_spider(self, spider: Spider | None = None) -> None:
        self.pool = ExtractionPool(self.workers, self.niceness)
        if self.crawler.stats is not None:  # in the stats when none is: the reactor parsed no HTML
            self.crawler.stats.set_value(IN_CRAWL_PROCESS_STAT, 0)
        self._idle_since = time.monotonic()

    async def close_spider(self, spider: Spider | None = None) -> None:
        if self.pool is not None:
            pool, self.pool = self.pool, None
            # Joining the workers takes a second; on a thread, so the reactor goes on meanwhile.
            await asyncio.to_thread(pool.close)
            if self.crawler.stats is not None and self.workers:
                self._count_in_flight(0)
                self.crawler.stats.set_value("newsarchive/extract/pool_underfed_s", round(self.idle_seconds, 2))

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, PageItem) or item.page is None or self.pool is None:
            # No page: not HTML, or its result came with it (the spider's read of the page) or
            # from pipelines/reuse.py.
            return item
        read = await self.read(PageTask.extracting(item.page))
        assert read.result is not None
        item.result = read.result
        item.page = None  # the bytes are in the WARC; do not carry them on to storage
        return item

    async def read(self, task: PageTask) -> PageRead:
        """*task* through the pool (the spider's one task a page: its extraction, its requisites,
        its links), counted as the pipeline counts the pages it extracts itself."""
        assert self.pool is not None
        extracting = task.page is not None
        if extracting and self.crawler.stats is not None:  # against newsarchive/extract/reused: what reuse spared
            self.crawler.stats.inc_value(POOL_PAGES_STAT)
        self._count_in_flight(+1)
        try:
            read = await self.pool.read(task)
        finally:
            self._count_in_flight(-1)
        if task.level != "none" or task.links is not None:
            self._inc(ONE_PARSE_STAT if read.shared else OWN_PARSE_STAT)
            if read.in_caller:
                self._inc(IN_CRAWL_PROCESS_STAT)
        if read.result is not None:
            self._inc(f"newsarchive/extracted/{read.result.kind}")
            if read.result.kind == "script-built":
                self._hint_render(task.url)
        return read

    def _inc(self, stat: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(stat)

    def _hint_render(self, url: str) -> None:
        """Once per site and run: its pages are built by scripts, and render mode would read them."""
        site = urlsplit(url).netloc
        if site in self._hinted:
            return
        self._hinted.add(site)
        logger.warning(
            "%s builds its pages with scripts (%s has no text in its HTML): set render = true for the site "
            "in the sites file, or crawl with --render",
            site,
            url,
        )

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
