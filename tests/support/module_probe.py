"""A Scrapy extension for tests: the modules the crawl's own process has imported when the spider
closes (extraction workers are other processes), written one a line to MODULE_PROBE_FILE."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler


class ModuleProbe:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ModuleProbe:
        probe = cls(Path(crawler.settings.get("MODULE_PROBE_FILE")))
        crawler.signals.connect(probe.spider_closed, signal=signals.spider_closed)
        return probe

    def spider_closed(self, spider: Any) -> None:
        self.path.write_text("\n".join(sorted(sys.modules)))
