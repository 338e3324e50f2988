"""Garbage-collector freeze at spider open: start-up objects leave the full collections."""

from __future__ import annotations

import gc
import logging
from typing import TYPE_CHECKING

from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class GcFreeze:
    """Moves every object alive when the spider opens into the collector's permanent generation.

    A crawl process holds a few hundred thousand long-lived objects (Scrapy, Twisted, SQLAlchemy and
    their modules); each full (generation 2) collection walks them all, holding the GIL, which the
    stall probe saw as reactor stalls of a few hundred ms. Frozen, they are no longer walked; what the
    crawl allocates afterwards is collected as before. On unless ``NEWSARCHIVE_GC_FREEZE`` is false.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GcFreeze:
        if not crawler.settings.getbool("NEWSARCHIVE_GC_FREEZE"):
            raise NotConfigured("NEWSARCHIVE_GC_FREEZE is off")
        extension = cls()
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        # No gc.collect() first: on a crawl process that is itself a 100-300 ms stall.
        gc.freeze()
        logger.debug("froze %d objects out of the garbage collector's reach", gc.get_freeze_count())
