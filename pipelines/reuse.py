"""Reuse pipeline: a revisit's page is given the result its original was extracted to.

Runs before the extraction pipeline. A ``PageItem`` whose capture is a revisit record, and whose
extraction input digests as the URL's stored result's (``archive/extraction/reuse.py``), gets that
result here and goes on without its page, so the extraction pipeline passes it by: no worker
spends 30 ms on a page the archive has already read. The look-up is one primary-key query, on a
thread of its own, never on the reactor thread.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from twisted.internet import threads
from twisted.python.threadpool import ThreadPool

from archive.db import create_db_engine
from archive.memos import ExtractionReuse
from crawler.items import PageItem
from crawler.reactor import get_reactor

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

REUSED_STAT = "newsarchive/extract/reused"


class ReusePipeline:
    def __init__(self, crawler: Crawler, database_url: str) -> None:
        self.crawler = crawler
        self.database_url = database_url
        self.reuse: ExtractionReuse | None = None
        self._engine: Engine | None = None
        self._pool = ThreadPool(minthreads=1, maxthreads=1, name="extraction-reuse")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReusePipeline:
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_EXTRACT_REUSE"):
            raise NotConfigured("NEWSARCHIVE_EXTRACT_REUSE is off")
        if not settings.get("NEWSARCHIVE_DATABASE_URL"):
            raise NotConfigured("no NEWSARCHIVE_DATABASE_URL")
        return cls(crawler, settings.get("NEWSARCHIVE_DATABASE_URL"))

    def open_spider(self, spider: Spider | None = None) -> None:
        self._pool.start()

    def close_spider(self, spider: Spider | None = None) -> None:
        if self._pool.started:
            self._pool.stop()
        if self._engine is not None:
            self._engine.dispose()

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, PageItem) or item.page is None or item.capture.record_type != "revisit":
            return item
        try:
            result = await maybe_deferred_to_future(
                threads.deferToThreadPool(get_reactor(), self._pool, self._result_for, item)
            )
        except Exception as exc:  # a failed look-up costs an extraction, never the page
            logger.warning("cannot look up the earlier extraction of %s: %s", item.url, exc)
            return item
        if result is not None:
            item.result, item.page = result, None
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value(REUSED_STAT)
                self.crawler.stats.inc_value(f"newsarchive/extracted/{result.kind}")
        return item

    def _result_for(self, item: PageItem) -> Any:
        if self.reuse is None:
            # Opened at the first revisit: by then the storage pipeline has migrated the database.
            self._engine = create_db_engine(self.database_url)
            self.reuse = ExtractionReuse(sessionmaker(self._engine))
        assert item.page is not None
        return self.reuse.result_for(item.capture, item.page)
