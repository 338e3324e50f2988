"""The baselines ``benchmarks/crawl.py`` runs beside the real crawl: a fetch-only crawl and the NAIVE pipeline.

usage: python -m benchmarks.naive {fetch,naive} START_URL WORKDIR   (run from the project root)

* ``fetch``: the project's downloader settings (robots.txt, compression, the project's downloader
  middlewares except WARC archiving) and a spider that follows the listing and drops every article
  response. Its CPU per page is the "fetch" stage cost.
* ``naive``: everything in the reactor thread, the obvious way: warcio writes each exchange from a
  downloader middleware (warcio's own gzip level 9), ``archive.extract.extract`` runs inside the
  spider callback, ``archive.store.store`` commits once per item. Same extraction and store code as
  the real crawl; only where and how they run differs.

Both write their Scrapy stats, with the process's CPU seconds between spider open and close, to
``WORKDIR/stats.json`` (``JsonStatsCollector``, also used for the real crawl via ``STATS_CLASS``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import resource
import sys
import time
from collections.abc import AsyncIterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

STATS_FILE_ENV = "NEWSARCHIVE_BENCH_STATS_FILE"
ARTICLE_PATH = "/news/"


def _cpu_seconds() -> tuple[float, float]:
    """CPU of this process and of its reaped children (the real crawl's extraction workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


class JsonStatsCollector(MemoryStatsCollector):
    """Scrapy's stats plus CPU and wall seconds from spider open to close, dumped as JSON to
    ``$NEWSARCHIVE_BENCH_STATS_FILE`` when the spider closes (after the pipelines have closed, so
    the extraction workers are reaped and their CPU is counted)."""

    def open_spider(self, spider: Any = None) -> None:
        super().open_spider(spider)
        self._cpu0 = _cpu_seconds()
        self._wall0 = time.monotonic()

    def close_spider(self, spider: Any = None, reason: str | None = None) -> None:
        own, children = _cpu_seconds()
        self.set_value("bench/wall_s", time.monotonic() - self._wall0)
        self.set_value("bench/cpu_s", own - self._cpu0[0])
        self.set_value("bench/children_cpu_s", children - self._cpu0[1])
        path = os.environ.get(STATS_FILE_ENV)
        if path:
            Path(path).write_text(json.dumps(self.get_stats(), default=str, indent=1), encoding="utf-8")
        super().close_spider(spider, reason=reason)


def _listing_links(response: Response) -> tuple[list[str], list[str]]:
    articles = [response.urljoin(h) for h in response.css("a::attr(href)").getall() if ARTICLE_PATH in h]
    following = [response.urljoin(h) for h in response.css('link[rel="next"]::attr(href)').getall()]
    return articles, following


class FetchOnlySpider(scrapy.Spider):
    """Follows the listing, fetches every article, does nothing with it."""

    name = "bench_fetch"

    def __init__(self, start_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_url = start_url

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.start_url, callback=self.parse_listing)

    def parse_listing(self, response: Response) -> Any:
        self.page(response)
        articles, following = _listing_links(response)
        for url in articles:
            yield scrapy.Request(url, callback=self.parse_article)
        for url in following:
            yield scrapy.Request(url, callback=self.parse_listing)

    def parse_article(self, response: Response) -> None:
        self.page(response)

    def page(self, response: Response) -> None:
        """What a page costs beyond fetching it: nothing here."""


class NaiveWarcMiddleware:
    """warcio writes the exchange as received, in the reactor thread, at warcio's gzip level 9."""

    def __init__(self, directory: Path) -> None:
        from warcio.warcwriter import WARCWriter

        directory.mkdir(parents=True, exist_ok=True)
        self.name = "naive.warc.gz"
        self.file = open(directory / self.name, "wb")  # noqa: SIM115 - closed when the process exits
        self.writer = WARCWriter(self.file, gzip=True)

    @classmethod
    def from_crawler(cls, crawler: Any) -> NaiveWarcMiddleware:
        return cls(Path(crawler.settings.get("NAIVE_WORKDIR")) / "warc")

    def process_response(self, request: scrapy.Request, response: Response, spider: Any = None) -> Response:
        from warcio.statusandheaders import StatusAndHeaders

        from archive.capture import Capture

        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.headers.items() for v in vs]
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        record = self.writer.create_warc_record(
            response.url,
            "response",
            payload=io.BytesIO(response.body),
            length=len(response.body),
            http_headers=StatusAndHeaders(f"{response.status} {reason}", headers, protocol="HTTP/1.1"),
        )
        offset = self.file.tell()
        self.writer.write_record(record)
        length = self.file.tell() - offset
        request_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in request.headers.items() for v in vs]
        path = "/" + response.url.split("/", 3)[3] if response.url.count("/") >= 3 else "/"
        self.writer.write_record(
            self.writer.create_warc_record(
                request.url,
                "request",
                payload=io.BytesIO(b""),
                length=0,
                http_headers=StatusAndHeaders(f"GET {path} HTTP/1.1", request_headers, is_http_request=True),
            )
        )
        content_type = response.headers.get(b"Content-Type")
        request.meta["naive_capture"] = Capture(
            url=request.url,
            status=response.status,
            fetched_at=dt.datetime.now(dt.UTC),
            warc_file=self.name,
            warc_offset=offset,
            warc_length=length,
            warc_record_id=record.rec_headers.get_header("WARC-Record-ID"),
            content_type=content_type.decode("latin-1") if content_type else None,
            content_length=len(response.body),
            payload_digest=record.rec_headers.get_header("WARC-Payload-Digest"),
        )
        return response


class NaiveSpider(FetchOnlySpider):
    """Extracts inline and commits one transaction per page, in the reactor thread."""

    name = "bench_naive"

    def __init__(self, start_url: str, database_url: str, **kwargs: Any) -> None:
        super().__init__(start_url, **kwargs)
        from archive.db import open_database

        self.sessions = open_database(database_url)

    def page(self, response: Response) -> None:
        from archive.extract import extract
        from archive.store import store

        capture = response.meta.get("naive_capture")
        if capture is None or response.status != 200:
            return
        result = extract(response.body, response.url, dict(response.headers.to_unicode_dict()))
        with self.sessions.begin() as session:
            store(session, [(capture, result)])


def settings_for(mode: str, workdir: Path) -> Settings:
    """The project's Scrapy-level settings (politeness, reactor, robots.txt); for ``fetch`` also its
    downloader middlewares except WARC archiving; for ``naive`` Scrapy's own defaults otherwise."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    project_middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    project_middlewares.pop("crawler.middlewares.WarcArchiveMiddleware", None)
    overrides: dict[str, Any] = {
        "ITEM_PIPELINES": {},
        "EXTENSIONS": {"crawler.extensions_probe.StallProbe": 0},
        "NEWSARCHIVE_STALL_PROBE": True,
        "AUTOTHROTTLE_ENABLED": False,
        "STATS_CLASS": "benchmarks.naive.JsonStatsCollector",
        "LOG_LEVEL": os.environ.get("NEWSARCHIVE_BENCH_LOG_LEVEL", "INFO"),
        "NAIVE_WORKDIR": str(workdir),
    }
    if mode == "fetch":
        overrides["DOWNLOADER_MIDDLEWARES"] = project_middlewares
    else:
        overrides["DOWNLOADER_MIDDLEWARES"] = {"benchmarks.naive.NaiveWarcMiddleware": 950}
        overrides["CONCURRENT_ITEMS"] = 100  # Scrapy's default
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings


def main(argv: list[str] | None = None) -> int:
    mode, start_url, workdir_arg = (argv if argv is not None else sys.argv[1:])[:3]
    workdir = Path(workdir_arg)
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault(STATS_FILE_ENV, str(workdir / "stats.json"))
    process = CrawlerProcess(settings_for(mode, workdir))
    if mode == "fetch":
        process.crawl(FetchOnlySpider, start_url=start_url)
    elif mode == "naive":
        process.crawl(NaiveSpider, start_url=start_url, database_url=f"sqlite:///{workdir / 'naive.db'}")
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    process.start()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
