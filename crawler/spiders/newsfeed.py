"""The ``newsfeed`` spider: discovery only.

Give it any entry point of a news site (a news-feed listing, an RSS/Atom feed, a sitemap or
sitemap index, or the home page) and it finds the articles: listing pagination ("Show More",
``rel=next``, ``/page/N/``), feed autodiscovery, sitemaps named in robots.txt. Every HTML page it
fetches becomes a ``PageItem``; deciding whether a page is an article is the extraction
function's job, so the crawl and re-extraction decide the same way.
"""

from __future__ import annotations

import gzip
import io
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap

from archive.urls import canonicalize
from crawler.discovery import feed_entries, is_listing_url, page_links, xml_root_name
from crawler.items import PageItem
from crawler.middlewares import CAPTURE_META_KEY

logger = logging.getLogger(__name__)

ROLE = "newsarchive_role"  # listing | article | feed | sitemap
LISTING_PAGE = "newsarchive_listing_page"
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_SITEMAP_MAX_BYTES = 50 * 1024 * 1024


class NewsFeedSpider(scrapy.Spider):
    name = "newsfeed"

    def __init__(self, start_url: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not start_url:
            raise ValueError("the newsfeed spider needs -a start_url=URL (a listing, feed, sitemap or home page)")
        self.start_urls_given = [canonicalize(u) for u in start_url.split(",") if u.strip()]
        hosts = {urlsplit(u).hostname or "" for u in self.start_urls_given}
        self.allowed_domains = sorted(hosts | {h.removeprefix("www.") for h in hosts} - {""})

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsFeedSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if crawler.settings.getbool("NEWSARCHIVE_FOLLOW_ROBOTS_SITEMAPS", True):
            crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
        spider.max_listing_pages = crawler.settings.getint("NEWSARCHIVE_MAX_LISTING_PAGES", 50)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_urls_given:
            yield scrapy.Request(url, callback=self.parse, meta={ROLE: "listing", LISTING_PAGE: 1})

    # -- robots.txt ----------------------------------------------------------------------------
    def robots_parsed(self, robotparser: Any, request: scrapy.Request) -> None:
        """RobotsTxtMiddleware parsed a robots.txt: fetch the sitemaps it names, no extra request."""
        rp = getattr(robotparser, "rp", None)
        sitemaps = list(getattr(rp, "sitemaps", []) or [])
        engine = self.crawler.engine
        for url in sitemaps:
            if engine is not None and self._on_site(url):
                engine.crawl(scrapy.Request(canonicalize(url), callback=self.parse, meta={ROLE: "sitemap"}))

    def _on_site(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)

    # -- dispatch ------------------------------------------------------------------------------
    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        body = response.body
        if response.url.endswith(".gz") and body[:2] == b"\x1f\x8b":
            body = _gunzip(body, _SITEMAP_MAX_BYTES)
        is_html = any(t in content_type for t in _HTML_TYPES)
        if not is_html or response.meta.get(ROLE) in ("feed", "sitemap"):
            root = xml_root_name(body) if b"<" in body[:2048] else None
            if root in ("urlset", "sitemapindex"):
                yield from self.parse_sitemap(response, body)
                return
            if root in ("rss", "feed", "rdf"):
                yield from self.parse_feed(response, body)
                return
        if is_html and isinstance(response, TextResponse):
            yield from self.parse_page(response)
        else:
            logger.debug("not HTML, archived only: %s (%s)", response.url, content_type or "no type")

    def parse_page(self, response: TextResponse) -> Iterator[Any]:
        capture = response.meta.get(CAPTURE_META_KEY)
        if capture is not None and response.status == 200:
            headers = dict(response.headers.to_unicode_dict())
            yield PageItem(url=response.url, capture=capture, body=response.body, headers=headers)
        if response.meta.get(ROLE) != "listing":
            return  # articles are leaves: following their links would crawl the whole site
        max_links = self.settings.getint("NEWSARCHIVE_MAX_LINKS_PER_PAGE", 2000)
        links = page_links(response.selector, response.url, max_links)
        if links.truncated:
            logger.warning("%s has more than %d links; following the first %d", response.url, max_links, max_links)
        page = response.meta.get(LISTING_PAGE, 1)
        for url in links.feeds:
            if self._on_site(url):
                yield response.follow(url, callback=self.parse, meta={ROLE: "feed"})
        if page < self.max_listing_pages:
            for url in links.pagination:
                yield response.follow(url, callback=self.parse, meta={ROLE: "listing", LISTING_PAGE: page + 1})
        for url in links.articles:
            yield response.follow(url, callback=self.parse, meta={ROLE: "article"})

    def parse_feed(self, response: Response, body: bytes) -> Iterator[scrapy.Request]:
        for entry in feed_entries(body, response.url):
            yield scrapy.Request(canonicalize(entry.url), callback=self.parse, meta={ROLE: "article"})

    def parse_sitemap(self, response: Response, body: bytes) -> Iterator[scrapy.Request]:
        sitemap = Sitemap(body)
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                yield scrapy.Request(canonicalize(loc), callback=self.parse, meta={ROLE: "sitemap"})
            elif not is_listing_url(loc):
                # Sitemaps list tag and author pages too; those are not what we archive articles from.
                yield scrapy.Request(canonicalize(loc), callback=self.parse, meta={ROLE: "article"})


def _gunzip(data: bytes, limit: int) -> bytes:
    """Decompress at most *limit* bytes: a gzip bomb stops there instead of filling memory."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            return stream.read(limit)
    except (OSError, EOFError):
        return data
