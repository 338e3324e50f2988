"""Requests the crawl does not make, each said once: a URL that is not http or https, or longer
than ``URLLENGTH_LIMIT``.

A downloader middleware, so it sees every request whichever way it came: a link, a redirect, a
sitemap robots.txt names, a distributed seed. Scrapy's own URL-length check (a spider middleware)
saw links only, and let a long URL from robots.txt or a redirect be fetched.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest

from archive.urls import is_crawlable, redact_url

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

STATS_PREFIX = "newsarchive/skipped"
# A URL in a log line is cut here: a 100 kB URL is a trap, not something to read.
_SHOWN_URL_CHARS = 200


class RequestGuardMiddleware:
    def __init__(self, max_url_length: int, stats: StatsCollector | None) -> None:
        self.max_url_length = max_url_length
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RequestGuardMiddleware:
        return cls(crawler.settings.getint("URLLENGTH_LIMIT"), crawler.stats)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if not is_crawlable(request.url):
            self._skip(request, "scheme", "only http and https URLs are crawled")
        if self.max_url_length and len(request.url) > self.max_url_length:
            self._skip(
                request,
                "url_too_long",
                f"URL of {len(request.url)} characters, over URLLENGTH_LIMIT ({self.max_url_length})",
            )

    def _skip(self, request: Request, kind: str, reason: str) -> None:
        shown = redact_url(request.url)
        if len(shown) > _SHOWN_URL_CHARS:
            shown = shown[:_SHOWN_URL_CHARS] + "..."
        logger.warning("not fetched: %s: %s", shown, reason)
        if self.stats is not None:
            self.stats.inc_value(f"{STATS_PREFIX}/{kind}")
            self.stats.inc_value(f"{STATS_PREFIX}/count")
        raise IgnoreRequest(f"not fetched: {reason}")
