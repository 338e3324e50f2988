"""A crawl's outcome: Scrapy's finish reason, unless the run lost something on the way.

Scrapy says ``finished`` whenever the spider ran out of requests, even when the database refused
pages, threw a whole batch away at the final flush, or when not one page could be downloaded.
``run_status()`` is the one rule for what a run is called: the ``finish_reason`` stat (what
``newsarchive crawl`` and ``demo`` exit by, what ``scrapy crawl`` prints) and the ``crawl_runs``
row (what ``newsarchive runs`` shows) both use it. ``exit_status()`` is the one rule for what a
crawl exits with, for ``newsarchive crawl``, ``demo`` and ``scrapy crawl`` (crawler/commands/crawl.py)
alike: 0 for ``finished`` (or a CLOSESPIDER_* limit the user set, reached); everything else, a
pause included, is 1 (2 is left to usage errors).
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
# Responses the downloader counts that are no proof a page came back (crawler/download_errors.py
# RetryMiddleware): a server error that may be a forward proxy's own, a robots.txt answer retried
# (the last one is in robotstxt/response_count).
NOT_PAGES_STAT = "newsarchive/responses_not_pages"
ALL_FAILED = "all_downloads_failed"  # every download failed: not one page came back
NOTHING_FETCHED = "nothing_fetched"  # no download failed, yet no page was fetched (all disallowed, no seeds)
PAUSED = "paused"  # stopped with a JOBDIR: the next run with the same JOBDIR resumes it
FINISHED = "finished"
# A limit the user set (CLOSESPIDER_PAGECOUNT, _ITEMCOUNT, _TIMEOUT) ends a run as asked: as good as finished.
LIMITS_REACHED = frozenset({"closespider_pagecount", "closespider_itemcount", "closespider_timeout"})
EXIT_OK, EXIT_LOST = 0, 1


def run_status(reason: str, stats: Mapping[str, Any], *, resumable: bool = False, waits: bool = False) -> str:
    """What the run is called: *reason* (Scrapy's finish reason), or why a "finished" run failed.
    *resumable*: the crawl has a JOBDIR, so a shutdown is a pause. *waits*: a distributed worker,
    for which an empty frontier is no failure (the other workers took the work)."""
    if reason == "shutdown" and resumable:
        return PAUSED
    if reason != FINISHED and reason not in LIMITS_REACHED:
        return reason
    if stats.get(LOST_STAT):
        return DATABASE_ERROR
    if stats.get(SKIPPED_STAT):
        return "store_skipped"
    if not _pages_received(stats) and not waits:
        return ALL_FAILED if stats.get(DOWNLOAD_ERRORS_STAT) else NOTHING_FETCHED
    return reason


def crawler_status(crawler: Crawler, reason: str) -> str:
    """``run_status()`` of *crawler*'s run closing for *reason*, with what its settings say of it."""
    stats = crawler.stats.get_stats() if crawler.stats is not None else {}
    settings = crawler.settings
    return run_status(
        reason, stats, resumable=bool(settings.get("JOBDIR")), waits=bool(settings.get("NEWSARCHIVE_DISTRIBUTED"))
    )


def exit_status(status: str) -> int:
    """What a crawl whose run is called *status* exits with: 0 only when nothing was lost."""
    return EXIT_OK if status == FINISHED or status in LIMITS_REACHED else EXIT_LOST


def _pages_received(stats: Mapping[str, Any]) -> int:
    # robots.txt is no page: a site whose robots.txt answers and whose every page fails fetched nothing.
    responses = int(stats.get("downloader/response_count", 0) or 0)
    return responses - int(stats.get("robotstxt/response_count", 0) or 0) - int(stats.get(NOT_PAGES_STAT, 0) or 0)


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
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("finish_reason", crawler_status(self.crawler, reason))
