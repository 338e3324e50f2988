"""Run the ``newsfeed`` spider in-process, with the project's settings, from anywhere.

``scrapy crawl newsfeed`` needs the project directory (scrapy.cfg); the CLI's ``crawl`` and
``demo`` commands use this instead, so an installed newsarchive works from any directory.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings


def project_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


@dataclass(frozen=True, slots=True)
class CrawlSummary:
    seconds: float
    stats: dict[str, Any]

    @property
    def pages(self) -> int:
        return int(self.stats.get("downloader/response_count", 0))

    @property
    def articles_new(self) -> int:
        return int(self.stats.get("newsarchive/store/articles_new", 0))

    @property
    def versions_new(self) -> int:
        return int(self.stats.get("newsarchive/store/versions_new", 0))

    @property
    def warc_bytes(self) -> int:
        return int(self.stats.get("newsarchive/warc_bytes", 0))

    @property
    def finish_reason(self) -> str:
        return str(self.stats.get("finish_reason", "unknown"))


def run_crawl(spider_args: Mapping[str, str], overrides: Mapping[str, Any] | None = None) -> CrawlSummary:
    """Crawl with the newsfeed spider until it is done; return its stats. Blocks."""
    # Scrapy's root handler, at the crawl's LOG_LEVEL, is the one that should speak during a crawl.
    for handler in list(logging.root.handlers):
        logging.root.removeHandler(handler)
    process = CrawlerProcess(project_settings(overrides))
    crawler = process.create_crawler("newsfeed")
    started = time.monotonic()
    process.crawl(crawler, **spider_args)
    process.start()
    stats = dict(crawler.stats.get_stats()) if crawler.stats is not None else {}
    return CrawlSummary(seconds=time.monotonic() - started, stats=stats)
