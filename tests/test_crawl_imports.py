"""What the crawl's own process imports (issue 19's peak RSS: the crawl process is about half of
it). Extraction runs in workers, and what is turned off or only needed at the end is not loaded
while the crawl runs: trafilatura (extraction), Scrapy's telnet console and remote control
(``twisted.conch``, ``aiohttp``: both off, 8 MB), cdxj-indexer (the index on close, 10 MB), the
web reader's package (its templates: only a stylesheet answered 304 reads an archived record)."""

from __future__ import annotations

import json
from pathlib import Path

from archive.sample_site import SampleSite
from crawler import settings
from tests.support.crawls import crawl_stat, scrapy_crawl

# Prefixes of module names.
NOT_WHILE_CRAWLING = (
    "trafilatura",
    "twisted.conch",
    "aiohttp",
    "cdxj_indexer",
    "scrapy.extensions.telnet",
    "archive.reader",
)


def test_the_crawl_process_imports_no_extraction_nor_what_is_off(tmp_path: Path) -> None:
    probe = tmp_path / "modules.txt"
    extensions = {**settings.EXTENSIONS, "tests.support.module_probe.ModuleProbe": 0}
    with SampleSite() as site:
        run = scrapy_crawl(
            tmp_path / "crawl",
            site.url + "/news-feed/",
            f"EXTENSIONS={json.dumps(extensions)}",
            f"MODULE_PROBE_FILE={probe}",
            "NEWSARCHIVE_EXTRACT_WORKERS=1",
        )
    assert run.returncode == 0, run.log[-3000:]
    assert crawl_stat(run.log, "newsarchive/extract/pool_pages") > 0  # pages were extracted, in the worker
    assert "CDXJ index" in run.log  # made at close all the same
    loaded = set(probe.read_text().split())
    assert "archive.page_reading" in loaded and "crawler.extensions_index" in loaded
    assert sorted(name for name in loaded if name.startswith(NOT_WHILE_CRAWLING)) == []


def test_the_telnet_console_still_starts_when_turned_on(tmp_path: Path) -> None:
    """Left out of the crawl's imports while off, not taken away: TELNETCONSOLE_ENABLED=True gives
    Scrapy's console, listening, as it would without this project."""
    with SampleSite() as site:
        run = scrapy_crawl(
            tmp_path / "crawl", site.url + "/news-feed/", "TELNETCONSOLE_ENABLED=True", "CLOSESPIDER_PAGECOUNT=1"
        )
    assert "Telnet console listening on 127.0.0.1:" in run.log, run.log[-3000:]
    assert "TelnetConsole" in run.log  # in the enabled extensions Scrapy lists
