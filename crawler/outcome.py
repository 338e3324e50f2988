"""A crawl's outcome: Scrapy's finish reason, unless the run lost something on the way.

Scrapy says ``finished`` whenever the spider ran out of requests, even when the database refused
pages, threw a whole batch away at the final flush, or when not one page could be downloaded.
``run_status()`` is the one rule for what a run is called: the ``finish_reason`` stat (what
``newsarchive crawl`` and ``demo`` exit by, what ``scrapy crawl`` prints) and the ``crawl_runs``
row (what ``newsarchive runs`` shows) both use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from scrapy import Spider, signals

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

DATABASE_ERROR = "database_error"  # the finish reason of a run whose database failed
LOST_STAT = "newsarchive/store/lost"  # entries of batches the database failed on: all of them lost
SKIPPED_STAT = "newsarchive/store/skipped"  # entries the database refused alone
DOWNLOAD_ERRORS_STAT = "newsarchive/download_errors/count"  # crawler/download_errors.py


def run_status(reason: str, stats: Mapping[str, Any]) -> str:
    """What the run is called: *reason* (Scrapy's finish reason), or why a "finished" run failed."""
    if reason != "finished":
        return reason
    if stats.get(LOST_STAT):
        return DATABASE_ERROR
    if stats.get(SKIPPED_STAT):
        return "store_skipped"
    if stats.get(DOWNLOAD_ERRORS_STAT) and not _pages_received(stats):
        return "all_downloads_failed"
    return reason


def _pages_received(stats: Mapping[str, Any]) -> int:
    # robots.txt is no page: a site whose robots.txt answers and whose every page fails fetched nothing.
    responses = int(stats.get("downloader/response_count", 0) or 0)
    return responses - int(stats.get("robotstxt/response_count", 0) or 0)


class RunOutcome:
    """Puts ``run_status()`` in the ``finish_reason`` stat once Scrapy's CoreStats has set it: this
    extension loads after it, so its handler runs after CoreStats'."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunOutcome:
        outcome = cls(crawler)
        crawler.signals.connect(outcome.spider_closed, signal=signals.spider_closed)
        return outcome

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        if stats is not None:
            stats.set_value("finish_reason", run_status(reason, stats.get_stats()))
