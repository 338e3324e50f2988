"""A link reader for a page task that also says which of Scrapy and Twisted its worker has imported.

Its own module, importing neither: unpickling a task that names it imports this module in the
worker, and a test module importing Scrapy would load it there itself."""

from __future__ import annotations

import sys

from parsel import Selector

from crawler.discovery import Links, page_links


def links_and_frameworks(selector: Selector, url: str) -> tuple[Links, list[str]]:
    """``page_links`` of the page, and the Scrapy and Twisted modules loaded in this process once
    the task has read everything else (the response, its requisites)."""
    loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("scrapy", "twisted"))
    return page_links(selector, url), loaded
