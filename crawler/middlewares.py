"""Downloader middleware that writes every HTTP exchange to WARC, exactly as received."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import platform
import socket
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from http import HTTPStatus
from importlib.metadata import version as package_version
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy import Request, Spider, signals
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet import threads
from twisted.python.threadpool import ThreadPool

from archive import __version__
from archive.capture import Capture
from archive.progress import REQUISITES_STAT
from archive.responses import capture_headers, header_pairs, redirect_target
from archive.warc.blocks import Block, RevisitOf, WireExchange
from archive.warc.digests import payload_digest
from archive.warc.httpblock import parse_http
from archive.warc.warcinfo import recorded_settings
from archive.warc.writer import ExchangeRequest, ExchangeResponse, WarcWriter, WrittenRecord, warc_date
from crawler.archive_index import ArchiveIndex, Original
from crawler.items import is_requisite
from crawler.reactor import get_reactor
from crawler.signals import exchange_archived
from crawler.wire import WireRecording, recording_of

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# Proxy-* request headers (Proxy-Authorization included) are the proxy's, never the origin's: never recorded.
CREDENTIAL_HEADERS = frozenset({b"authorization", b"cookie"})
# Twisted removes the chunked framing before Scrapy sees the body; a stored "Transfer-Encoding:
# chunked" over a de-chunked body would make readers try to de-chunk it again.
_DROPPED_RESPONSE_HEADERS = frozenset({b"transfer-encoding"})
CAPTURE_META_KEY = "newsarchive_capture"
# Set by the spider on a request for a URL the archive held no capture of when it was made: no
# earlier record to point a revisit at, so the writer does not ask the database for one.
NOT_ARCHIVED_META_KEY = "newsarchive_not_archived"
# The crawl's one byte total: the sum of its captures' bytes_received (archive/capture.py), which
# the crawl summary, `newsarchive runs` (crawl_runs.bytes_received) and `newsarchive stats` all show.
BYTES_RECEIVED_STAT = "newsarchive/bytes_received"
# Full records of this crawl remembered by URL for revisits (~330 bytes each). A URL fetched again
# after this many others is in the database by then (store batches flush within a minute).
ORIGINALS_KEEP = 10_000


def _header_pairs(headers: Any, drop: frozenset[bytes] = frozenset()) -> list[tuple[str, str]]:
    return [(name, value) for name, value in header_pairs(headers) if name.lower().encode("latin-1") not in drop]


def _request_header_pairs(headers: Any, drop: frozenset[bytes]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in _header_pairs(headers, drop) if not name.lower().startswith("proxy-")]


class WarcArchiveMiddleware:
    """Writes a WARC request and response record for every exchange of the crawl.

    Priority 950 puts it closest to the downloader: it sees bodies still Content-Encoded and
    redirects, errors and retries before other middlewares act on them. The write runs on a
    dedicated thread (record compression is CPU work that must not stall the reactor); the
    response continues once its record is on disk, carrying a ``Capture`` in
    ``request.meta["newsarchive_capture"]``, and the ``exchange_archived`` signal reports it.
    """

    def __init__(self, crawler: Crawler, writer: WarcWriter, keep_credentials: bool) -> None:
        self.crawler = crawler
        self.writer = writer
        self.keep_credentials = keep_credentials
        self._pool = ThreadPool(minthreads=1, maxthreads=1, name="warc-writer")
        self._failed = False
        self.revisits: _Revisits | None = None
        # Full records written by this crawl, by URL: not in the database yet when a URL comes twice.
        # The most recent ORIGINALS_KEEP only: one entry per URL would grow with the crawl (330 MB a
        # million URLs), and older ones are found in the database. Used on the writer thread only.
        self._originals: OrderedDict[str, Original] = OrderedDict()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcArchiveMiddleware:
        settings = crawler.settings
        directory = settings.get("NEWSARCHIVE_WARC_DIR")
        if not directory:
            raise NotConfigured("NEWSARCHIVE_WARC_DIR is empty")
        warcinfo = {
            "software": f"newsarchive/{__version__} (Scrapy {scrapy.__version__}; warcio {package_version('warcio')})",
            "hostname": socket.gethostname(),
            "ip": _local_ip(),
            "operator": settings.get("NEWSARCHIVE_OPERATOR") or "",
            "http-header-user-agent": settings.get("USER_AGENT"),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "python": platform.python_version(),
            "description": "Request and response records hold the HTTP messages as they crossed the "
            "connection (above TLS), chunked framing included; WARC-Payload-Digest is over the de-chunked "
            "body. A response Scrapy made itself is rebuilt from its parsed form, without Transfer-Encoding.",
            # What reextract reads back to store what this crawl stored (archive/warc/warcinfo.py).
            **recorded_settings(settings),
        }
        writer = WarcWriter(
            directory,
            prefix=settings.get("NEWSARCHIVE_WARC_PREFIX"),
            max_size=settings.getint("NEWSARCHIVE_WARC_MAX_SIZE"),
            gzip_level=settings.getint("NEWSARCHIVE_WARC_GZIP_LEVEL"),
            gzip_library=settings.get("NEWSARCHIVE_WARC_GZIP_LIBRARY"),
            warcinfo={k: v for k, v in warcinfo.items() if v},
        )
        middleware = cls(crawler, writer, settings.getbool("NEWSARCHIVE_WARC_KEEP_CREDENTIALS"))
        if settings.getbool("NEWSARCHIVE_WARC_REVISITS") and settings.get("NEWSARCHIVE_DATABASE_URL"):
            middleware.revisits = _Revisits(settings.get("NEWSARCHIVE_DATABASE_URL"))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        self._pool.start()
        logger.info("writing WARC files to %s", self.writer.directory.resolve())

    def spider_closed(self, spider: Spider) -> None:
        self._pool.stop()  # joins: every queued record is written before the file closes
        if self.revisits is not None:
            self.revisits.close()
        self.writer.close()
        stats = self.crawler.stats
        if stats is not None:
            stats.set_value("newsarchive/warc_bytes", self.writer.bytes_written)
            stats.set_value("newsarchive/warc_files", len(self.writer.files_written))

    def _exchange(self, request: Request, response: Response) -> tuple[ExchangeRequest, ExchangeResponse]:
        drop = frozenset() if self.keep_credentials else CREDENTIAL_HEADERS
        request_headers = _request_header_pairs(request.headers, drop)
        if not any(name.lower() == "host" for name, _ in request_headers):
            host = request.url.split("/", 3)[2] if "://" in request.url else ""
            request_headers.insert(0, ("Host", host))
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        return (
            ExchangeRequest(request.method, request.url, request_headers, request.body or b""),
            ExchangeResponse(
                status=response.status,
                reason=reason,
                headers=_header_pairs(response.headers, _DROPPED_RESPONSE_HEADERS),
                body=response.body,
                protocol=getattr(response, "protocol", None) or "HTTP/1.1",
                ip_address=_ip_of(request, response),
                fetched_at=dt.datetime.now(dt.UTC),
            ),
        )

    def _write(self, request: ExchangeRequest, response: ExchangeResponse, archived: bool = True) -> WrittenRecord:
        """Runs on the writer thread: a 200 whose payload equals the last full record of the same
        URL becomes a revisit record pointing at it (identical-payload-digest profile)."""
        if self.revisits is None or response.status != 200 or request.method != "GET":
            return self.writer.write_exchange(request, response)
        digest = payload_digest(response.body)
        original = self._original(request.url, digest, archived)
        if original is not None:
            return self._counted_revisit(
                self.writer.write_revisit(
                    request,
                    response,
                    refers_to_uri=original.url,
                    refers_to_date=warc_date(original.fetched_at),
                    payload_digest=digest,
                )
            )
        written = self.writer.write_exchange(request, response)
        self._remember(request.url, response.fetched_at, written.payload_digest or digest, written.record_id)
        return written

    def _write_wire(
        self, request: Request, response: Response, recording: WireRecording, archived: bool = True
    ) -> WrittenRecord:
        """Runs on the writer thread: the exchange as recorded on the connection, a revisit by the
        same rule as :meth:`_write` (its block then the response's header block only)."""
        try:
            drop = frozenset() if self.keep_credentials else CREDENTIAL_HEADERS
            digest = payload_digest(response.body)  # the entity body, de-chunked (WARC 1.1)
            exchange = WireExchange(
                url=request.url,
                response=Block(recording.response_chunks, recording.response_length),
                request=Block.of(recording.request_block(drop)),
                date=warc_date(recording.started_at),
                payload_digest=digest,
                ip_address=_ip_of(request, response),
            )
            wants_revisit = self.revisits is not None and response.status == 200 and request.method == "GET"
            original = self._original(request.url, digest, archived) if wants_revisit else None
            if original is not None:
                head_only = replace(exchange, response=Block.of(recording.head or b""))
                revisit = RevisitOf(original.url, warc_date(original.fetched_at))
                return self._counted_revisit(self.writer.write_blocks(head_only, revisit))
            written = self.writer.write_blocks(exchange)
            if wants_revisit:
                self._remember(request.url, recording.started_at, digest, written.record_id)
            return written
        finally:
            recording.close()

    def _original(self, url: str, digest: str, archived: bool) -> Original | None:
        """The earlier full record of *url* with this payload, from this crawl or the database
        (not asked when the spider found, as it made the request, that the archive holds no
        capture of the URL: most of a first crawl's requests, a page's requisites above all)."""
        assert self.revisits is not None
        original = self._originals.get(url)
        if original is None and not archived:
            return None
        if original is None or original.payload_digest != digest:
            try:
                original = self.revisits.original(url, digest)
            except Exception as exc:  # no revisit is worth a failed write: store the full record
                logger.warning("cannot look up earlier captures of %s: %s", url, exc)
                original = None
        return original if original is not None and original.payload_digest == digest else None

    def _remember(self, url: str, fetched_at: dt.datetime, digest: str, record_id: str) -> None:
        self._originals[url] = Original(url, fetched_at, digest, record_id)
        self._originals.move_to_end(url)
        if len(self._originals) > ORIGINALS_KEEP:
            self._originals.popitem(last=False)

    def _counted_revisit(self, written: WrittenRecord) -> WrittenRecord:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("newsarchive/warc_revisits")
        return written

    async def process_response(self, request: Request, response: Response) -> Response:
        recording = recording_of(response)
        archived = not request.meta.get(NOT_ARCHIVED_META_KEY)
        if recording is not None:
            # The header lines as the record holds them, read by the WARC reader's own parser.
            http = parse_http(recording.head or b"")
            recorded_pairs = http.headers if http is not None else header_pairs(response.headers)
            fetched_at = recording.started_at
            job = functools.partial(self._write_wire, request, response, recording, archived)
        else:
            exchange_request, exchange_response = self._exchange(request, response)
            recorded_pairs, fetched_at = exchange_response.headers, exchange_response.fetched_at
            job = functools.partial(self._write, exchange_request, exchange_response, archived)
        written = await self._written(job)
        recorded = capture_headers(recorded_pairs)  # by the rules the WARC reader applies to them
        capture = Capture(
            url=request.url,
            status=response.status,
            fetched_at=fetched_at,
            warc_file=written.warc_file,
            warc_offset=written.offset,
            warc_length=written.length,
            warc_record_id=written.record_id,
            record_type=written.record_type,
            method=request.method,
            content_type=recorded.content_type,
            content_length=len(response.body),
            bytes_received=_bytes_received(recording, response),
            payload_digest=written.payload_digest,
            ip_address=_ip_of(request, response),
            etag=recorded.etag,
            last_modified=recorded.last_modified,
            redirected_from=http_redirects(request.meta),
            redirect_to=redirect_target(request.url, response.status, recorded_pairs),
        )
        request.meta[CAPTURE_META_KEY] = capture
        if self.crawler.stats is not None:  # the progress display's "archived"; the crawl's one byte total
            self.crawler.stats.inc_value("newsarchive/warc_responses")
            if is_requisite(request.meta):
                self.crawler.stats.inc_value(REQUISITES_STAT)
            self.crawler.stats.inc_value(BYTES_RECEIVED_STAT, capture.bytes_received or 0)
        self.crawler.signals.send_catch_log(exchange_archived, capture=capture)
        return response

    async def write_rendered(self, capture: Capture, dom: bytes) -> WrittenRecord:
        """The DOM a browser built from *capture*'s page (crawler/render.py), as a ``conversion``
        record referring to its response record: what the scripts made, never the bytes received."""
        note = '{"newsarchive":"rendered DOM (page.content() after load and network idle) in headless Chromium"}'
        job = functools.partial(
            self.writer.write_conversion,
            capture.url,
            dom,
            content_type="text/html; charset=utf-8",
            refers_to=capture.warc_record_id,
            refers_to_date=warc_date(capture.fetched_at),
            note=note,
        )
        return await self._written(job)

    async def _written(self, job: Callable[[], WrittenRecord]) -> WrittenRecord:
        try:
            return await maybe_deferred_to_future(threads.deferToThreadPool(get_reactor(), self._pool, job))
        except OSError as exc:
            # A record that cannot be written (disk full, permissions) must not become a DB row
            # pointing at nothing: stop the crawl cleanly instead of archiving holes.
            if not self._failed:
                self._failed = True
                logger.error("cannot write WARC record (%s); stopping the crawl", exc)
                assert self.crawler.engine is not None
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="warc_write_error"))
            raise IgnoreRequest(f"WARC write failed: {exc}") from exc


def http_redirects(meta: dict[str, Any]) -> tuple[str, ...]:
    """The URLs whose 3xx answers led to this request: the hops of Scrapy's redirect chain after its
    last meta refresh. A refresh is markup in a page, and not in the WARC as a redirect, so
    re-extraction could not see it (archive/warc/redirects.py reads the same chain from the 3xx records)."""
    urls, reasons = meta.get("redirect_urls") or [], meta.get("redirect_reasons") or []
    chain: list[str] = []
    for url, reason in zip(reversed(urls), reversed(reasons), strict=False):
        if not isinstance(reason, int):
            break
        chain.append(url)
    return tuple(reversed(chain))


# Scrapy reads a meta refresh from the first 4096 characters: at most 16 KB in UTF-8 (and in any
# single-byte charset); UTF-16/32 pages are recognised by their NUL bytes.
_META_REFRESH_SCAN_BYTES = 4 * 4096


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's MetaRefreshMiddleware, without decoding pages that cannot hold a refresh.

    Scrapy decodes the whole body (``response.text``, a unicode copy of a 300 KB page kept on the
    response) to look at its first 4096 characters. A page whose first 16 KB do not contain
    ``refresh`` has none there; pages with NUL bytes up front (UTF-16/32) get Scrapy's check.
    """

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if isinstance(response, HtmlResponse):
            head = response.body[:_META_REFRESH_SCAN_BYTES]
            if b"\x00" not in head and b"refresh" not in head.lower():
                return response
        return super().process_response(request, response)


class _Revisits:
    """Finds the earlier full record of a URL with the same payload, in the archive database."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._index: ArchiveIndex | None = None

    def original(self, url: str, digest: str) -> Original | None:
        if self._index is None:
            self._index = ArchiveIndex.from_url(self.database_url)
        return self._index.original(url, digest)

    def close(self) -> None:
        if self._index is not None:
            self._index.close()


def _ip_of(request: Request, response: Response) -> str | None:
    """The origin's address; unknown through a proxy (the connection's peer is the proxy)."""
    if request.meta.get("proxy"):
        return None
    ip = getattr(response, "ip_address", None)
    return str(ip) if ip else None


def _local_ip() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return ""


def _bytes_received(recording: WireRecording | None, response: Response) -> int:
    """The response's bytes as they came off the connection (archive/capture.py ``bytes_received``):
    the recorded head and body, or, for a response Scrapy made itself, its headers and body as rebuilt."""
    if recording is not None:
        return len(recording.head or b"") + recording.body_length
    head = sum(len(name) + len(value) + 4 for name, values in response.headers.items() for value in values)
    return head + len(response.body)
