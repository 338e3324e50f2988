"""Download errors as one log line per URL, counted in the stats by kind.

Left to Scrapy, a URL that cannot be downloaded costs two or three log entries, tracebacks
included: RetryMiddleware's "Gave up retrying" (ERROR), then "Error downloading" with the whole
traceback from the scraper (a request without errback) or from RobotsTxtMiddleware (robots.txt).
A crawl of a few sites with a dead host drowns its log that way. Here each failed URL gets one
ERROR line, ``download failed: URL: connection refused (after 2 retries)``, and
``newsarchive/download_errors/<kind>`` in the stats:

* the spider's requests carry an errback (``NewsFeedSpider.download_failed``) calling
  :func:`report`;
* robots.txt requests, which Scrapy makes itself and gives no errback, are reported by
  :class:`DownloadErrorMiddleware`, which then raises ``IgnoreRequest``: RobotsTxtMiddleware
  crawls the host as having no robots.txt, as it does after any error, without the traceback;
* :class:`RetryMiddleware` (Scrapy's) gives up on an exception at DEBUG, since the one line names
  the retries. Giving up on a status (503 ...) is still logged by Scrapy: no errback line follows,
  except for a server error through a plain-http proxy (``proxy_may_have_answered``): the line
  says it came from the proxy or the origin, which look alike.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import TunnelError
from scrapy.downloadermiddlewares.retry import RetryMiddleware as ScrapyRetryMiddleware
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.response import response_status_message
from twisted.internet import error as tx_error
from twisted.web.client import ResponseFailed
from twisted.web.http_headers import InvalidHeaderName

from crawler.outcome import NOT_PAGES_STAT
from crawler.render import RenderError
from crawler.wire.handler import proxy_address

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

STATS_PREFIX = "newsarchive/download_errors"
# Scrapy's TunnelError message (and crawler.wire.handler.ProxyRefused's): "... proxy HOST:PORT
# [{'status': 407, 'reason': b'Proxy Authentication Required'}]".
_PROXY_ANSWER = re.compile(
    r"proxy (?P<proxy>[^\s\[]+) \[\{'status': (?P<status>\d+), 'reason': b?(?P<q>['\"])(?P<reason>.*?)(?P=q)\}\]"
)
_TOOK_LONGER = re.compile(r"took longer than ([\d.]+) seconds")
# The download handlers' message (scrapy.utils._download_handlers.get_maxsize_msg), in their
# warning and in the exception when Content-Length announced the size.
_MAX_SIZE = re.compile(
    r"(?P<prefix>Expected to receive|Received) (?P<size>\d+) bytes which is larger than download max size "
    r"\((?P<limit>\d+)\) in request <\w+ (?P<url>\S+)>"
)
# Scrapy's download handlers that log the maximum-size warning (HTTP/1.1, HTTP/2, the streaming ones).
_HANDLER_LOGGERS = (
    "scrapy.core.downloader.handlers.http11",
    "scrapy.core.downloader.handlers._base_streaming",
    "scrapy.core._http2.stream",
)


def classify(exc: BaseException, oversize: tuple[int, int] | None = None) -> tuple[str, str]:
    """``(kind, reason)`` of a download exception: the kind names the stats key, the reason is
    what a person reading the log needs, on one line. *oversize* is ``(bytes, limit)`` when the
    download handler noted that this download went over DOWNLOAD_MAXSIZE."""
    if isinstance(exc, TunnelError):
        return _proxy_refused(exc)
    if isinstance(exc, RenderError):  # render mode: the page was downloaded, the browser gave up on it
        return "render", f"not rendered: {exc}"
    if isinstance(exc, CannotResolveHostError | tx_error.DNSLookupError):
        return "dns", "DNS lookup failed"
    if isinstance(exc, DownloadConnectionRefusedError | tx_error.ConnectionRefusedError):
        return "connection_refused", "connection refused"
    if isinstance(exc, DownloadTimeoutError | tx_error.TimeoutError):
        found = _TOOK_LONGER.search(str(exc))
        return "timeout", f"timed out (took longer than {found.group(1)} seconds)" if found else "timed out"
    if isinstance(exc, DownloadCancelledError):
        found = _MAX_SIZE.search(str(exc))
        if found is not None and found.group("prefix") == "Expected to receive":
            size, limit = found.group("size"), found.group("limit")
            return "too_large", f"response of {size} bytes is larger than download max size ({limit})"
        if oversize is not None:  # the body streamed in until it went over
            size, limit = oversize
            return "too_large", f"response larger than download max size ({limit}), dropped after {size} bytes"
        return "cancelled", "download cancelled"
    if isinstance(exc, ResponseDataLossError):
        return "data_loss", "response cut short (fewer bytes than announced)"
    if isinstance(exc, UnsupportedURLSchemeError):
        return "unsupported_scheme", "unsupported URL scheme"
    if isinstance(exc, DownloadFailedError | ResponseFailed):
        return _response_failed(exc)
    if isinstance(exc, tx_error.ConnectionLost | tx_error.ConnectionDone):
        return "connection_lost", "connection closed before the response"
    if isinstance(exc, tx_error.ConnectError):
        return "connect_error", f"cannot connect ({_one_line(exc)})"
    return "other", f"{type(exc).__name__}: {_one_line(exc)}"


def _proxy_refused(exc: TunnelError) -> tuple[str, str]:
    found = _PROXY_ANSWER.search(str(exc))
    if found is None:
        return "proxy_tunnel", f"the proxy refused the tunnel ({_one_line(exc)})"
    status, reason = found.group("status"), found.group("reason").strip()
    kind = "proxy_auth" if status == "407" else "proxy_tunnel"
    return kind, f"proxy {found.group('proxy')} refused: {status} {reason}".rstrip()


# Kinds that, through a proxy, are about the connection to the proxy: the origin is the proxy's to reach.
_PROXY_CONNECTION_KINDS = frozenset({"dns", "connection_refused", "connect_error"})


def _through_proxy(kind: str, reason: str, proxy: str) -> tuple[str, str]:
    if kind not in _PROXY_CONNECTION_KINDS:
        return kind, reason
    return "proxy_unreachable", f"proxy {proxy_address(proxy)}: {reason}"


def _response_failed(exc: BaseException) -> tuple[str, str]:
    """ResponseFailed holds the real causes as failures: a TLS error or a lost connection."""
    cause = exc if isinstance(exc, ResponseFailed) else exc.__cause__
    reasons = [getattr(r, "value", r) for r in getattr(cause, "reasons", None) or []]
    for reason in reasons:
        if type(reason).__module__.startswith("OpenSSL"):
            return "tls", f"TLS error ({_ssl_reason(reason)})"
    for reason in reasons:
        if isinstance(reason, tx_error.ConnectionLost | tx_error.ConnectionDone):
            return "connection_lost", "connection closed before the whole response"
    for reason in reasons:
        if isinstance(reason, InvalidHeaderName):  # Twisted refuses the whole response for one such header
            name = reason.args[0] if reason.args else b""
            return "invalid_header_name", f"invalid header name {name.decode('latin-1')!r} in the response"
    return "failed", f"download failed ({_one_line(reasons[0] if reasons else exc)})"


def _ssl_reason(exc: BaseException) -> str:
    """OpenSSL's error list (``[('SSL routines', '', 'wrong version number')]``) as its last words."""
    args = exc.args[0] if exc.args else None
    if isinstance(args, list) and args and isinstance(args[-1], tuple):
        return str(args[-1][-1]) or type(exc).__name__
    return _one_line(exc) or type(exc).__name__


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__


class _MaxSizeNotes(logging.Filter):
    """Takes the download handlers' "larger than download max size" warnings out of the log and
    keeps their figures by URL for :func:`report`: the line it writes says the same, once. (When
    the body streams in, the exception the errback gets says only "cancelled".)"""

    def __init__(self, keep: int = 1024) -> None:
        super().__init__()
        self.keep = keep  # a handful in flight at a time; bounded whatever happens to their requests
        self.notes: OrderedDict[str, tuple[int, int]] = OrderedDict()

    def filter(self, record: logging.LogRecord) -> bool:
        found = _MAX_SIZE.search(record.getMessage())
        if found is None:
            return True
        self.notes[found.group("url")] = (int(found.group("size")), int(found.group("limit")))
        while len(self.notes) > self.keep:
            self.notes.popitem(last=False)
        return False

    def take(self, url: str) -> tuple[int, int] | None:
        return self.notes.pop(url, None)


_max_size_notes = _MaxSizeNotes()


def proxy_may_have_answered(request: Request, status: int) -> bool:
    """Whether an answer of *status* to *request* may be its forward proxy's own rather than the
    origin's: a server error to a plain-http request through a proxy. A proxy that cannot reach the
    origin answers 502, 503 or 504 itself (Squid, tinyproxy), and those bytes are the same as an
    origin's server error that it relays: no header tells them apart reliably (``Via`` is added to
    both, a CDN in front of the origin sends its own ``Proxy-Status``). Through a CONNECT tunnel
    (https) the answer is the origin's: the proxy's own is to the CONNECT, a tunnel error."""
    return bool(request.meta.get("proxy")) and request.url.startswith("http:") and status >= 500


def report(request: Request, exc: BaseException, stats: StatsCollector | None) -> str:
    """Log the one line for *request*'s failed download and count it; returns the kind."""
    kind, reason = classify(exc, _max_size_notes.take(request.url))
    proxy = request.meta.get("proxy")
    if proxy:
        kind, reason = _through_proxy(kind, reason, proxy)
    _log(request, kind, reason, stats)
    return kind


def report_proxy_or_origin(request: Request, status: int, stats: StatsCollector | None) -> None:
    """The one line for a server error that may be the proxy's (``proxy_may_have_answered``): kept
    in the WARC as received, and counted as a download error, since the page may never have been reached."""
    _log(request, "proxy_or_origin", status_reason(request, status), stats)


def status_reason(request: Request, status: int) -> str:
    """*status* as a log line gives it: "503 Service Unavailable", or for an answer that may be a
    plain-http proxy's own (``proxy_may_have_answered``) that status from the proxy or the origin."""
    reason = _status_message(status)
    if not proxy_may_have_answered(request, status):
        return reason
    proxy = proxy_address(request.meta["proxy"])
    return (
        f"{reason} from the proxy {proxy} or from the origin"
        " (a plain-http proxy's own answer and one it relays look alike)"
    )


def _status_message(status: int) -> str:
    """ "429 Too Many Requests": Python's names of the statuses, which Twisted's table behind
    Scrapy's ``response_status_message`` lacks some of (429 is "Unknown Status" there)."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return response_status_message(status)


def retries_said(request: Request) -> str:
    """ " (after N retries)" when *request* was retried, else ""."""
    retries = int(request.meta.get("retry_times", 0))
    return f" (after {retries} {'retry' if retries == 1 else 'retries'})" if retries else ""


def _log(request: Request, kind: str, reason: str, stats: StatsCollector | None) -> None:
    logger.error("download failed: %s: %s%s", request.url, reason, retries_said(request))
    if stats is not None:
        stats.inc_value(f"{STATS_PREFIX}/{kind}")
        stats.inc_value(f"{STATS_PREFIX}/count")


def report_failure(failure: Failure, stats: StatsCollector | None) -> bool:
    """For an errback: report a download error and return True; False for what is not one
    (IgnoreRequest and its HttpError, errors raised by callbacks), which the caller re-raises."""
    exc = failure.value
    request = getattr(failure, "request", None)
    if isinstance(exc, HttpError) and request is not None and proxy_may_have_answered(request, exc.response.status):
        report_proxy_or_origin(request, exc.response.status, stats)
        return True
    if request is None or exc is None or isinstance(exc, IgnoreRequest):
        return False
    report(request, exc, stats)
    return True


class DownloadErrorMiddleware:
    """Reports the download errors of requests that have no errback to do it: robots.txt.

    Priority below RetryMiddleware (550): ``process_exception`` runs from the downloader up, so it
    sees an exception only once the retries are spent.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        for name in _HANDLER_LOGGERS:
            handler_logger = logging.getLogger(name)
            if _max_size_notes not in handler_logger.filters:
                handler_logger.addFilter(_max_size_notes)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DownloadErrorMiddleware:
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        if isinstance(exception, IgnoreRequest) or not _is_robots_txt(request):
            return None
        report(request, exception, self.crawler.stats)
        raise IgnoreRequest(f"robots.txt unavailable: {request.url}") from exception


def _is_robots_txt(request: Request) -> bool:
    return bool(request.meta.get("dont_obey_robotstxt")) and request.url.endswith("/robots.txt")


class RetryMiddleware(ScrapyRetryMiddleware):
    """Scrapy's RetryMiddleware, giving up on a download exception at DEBUG: the one line that
    follows it (errback or :class:`DownloadErrorMiddleware`) says how many retries were made."""

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        robots = _is_robots_txt(request)
        proxy_or_origin = proxy_may_have_answered(request, response.status) and not robots
        if proxy_or_origin:
            # The spider's errback says it, in one line naming the proxy (report_proxy_or_origin).
            request.meta.setdefault("give_up_log_level", logging.DEBUG)
        outcome = super().process_response(request, response)
        if (proxy_or_origin or (robots and isinstance(outcome, Request))) and self.crawler.stats is not None:
            self.crawler.stats.inc_value(NOT_PAGES_STAT)  # whether a page came back (crawler/outcome.py)
        return outcome

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> Request | None:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        assert self.crawler.spider is not None
        return get_retry_request(
            request,
            reason=exception,
            spider=self.crawler.spider,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
            give_up_log_level=logging.DEBUG,
        )
