"""Run the ``newsfeed`` spider in-process, with the project's settings, from anywhere.

``scrapy crawl newsfeed`` needs the project directory (scrapy.cfg); the CLI's ``crawl`` and
``demo`` commands use this instead, so an installed newsarchive works from any directory.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

if TYPE_CHECKING:
    from archive.progress import CrawlVoice


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
    log_file: Path | None = None

    @property
    def pages(self) -> int:
        """Responses to everything but page requisites (those are ``requisites``)."""
        from archive.progress import pages_fetched

        return pages_fetched(self.stats)

    @property
    def requisites(self) -> int:
        from archive.progress import REQUISITES_STAT

        return int(self.stats.get(REQUISITES_STAT, 0) or 0)

    @property
    def articles_new(self) -> int:
        return int(self.stats.get("newsarchive/store/articles_new", 0))

    @property
    def versions_new(self) -> int:
        return int(self.stats.get("newsarchive/store/versions_new", 0))

    @property
    def bytes_received(self) -> int:
        """The bytes of the HTTP responses as they came off the wire (crawler/middlewares.py)."""
        from crawler.middlewares import BYTES_RECEIVED_STAT

        return int(self.stats.get(BYTES_RECEIVED_STAT, 0))

    @property
    def warc_bytes(self) -> int:
        return int(self.stats.get("newsarchive/warc_bytes", 0))

    @property
    def finish_reason(self) -> str:
        return str(self.stats.get("finish_reason", "unknown"))


def run_crawl(
    spider_args: Mapping[str, str],
    overrides: Mapping[str, Any] | None = None,
    voice: CrawlVoice | None = None,
    log_file: Path | None = None,
) -> CrawlSummary:
    """Crawl with the newsfeed spider until it is done; return its stats. Blocks.

    With *log_file*, Scrapy's log goes there (at the crawl's ``LOG_LEVEL``) and *voice* says on the
    console what it is asked to; without, Scrapy's root handler speaks on stderr as in ``scrapy crawl``."""
    # Scrapy's root handler, at the crawl's LOG_LEVEL, is the one that should write the log.
    for handler in list(logging.root.handlers):
        logging.root.removeHandler(handler)
    settings = dict(overrides or {})
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        settings["LOG_FILE"] = str(log_file)
    process = CrawlerProcess(project_settings(settings))
    crawler = process.create_crawler("newsfeed")
    if voice is not None:
        voice.install()
        voice.attach(crawler)
    started = time.monotonic()
    try:
        process.crawl(crawler, **spider_args)
        process.start()
    finally:
        if voice is not None:
            voice.uninstall()
    stats = dict(crawler.stats.get_stats()) if crawler.stats is not None else {}
    return CrawlSummary(seconds=time.monotonic() - started, stats=stats, log_file=log_file)
