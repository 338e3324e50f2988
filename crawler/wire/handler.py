"""The http/https download handler: Scrapy's HTTP/1.1 handler, recording every exchange's bytes.

Scrapy goes on working on the parsed response exactly as with its own handler (same agent, pool,
proxies, TLS context, size limits, timeouts); each response it returns is also remembered with its
:class:`~crawler.wire.recording.WireRecording` (``crawler.wire.recording_of``), which the WARC
middleware writes as the record's block.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler, TunnelError, _ResultT, _ScrapyAgent
from scrapy.exceptions import ResponseDataLossError
from scrapy.http import Response
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.wire import recording_of, remember
from crawler.wire.protocol import WIRE_ATTRIBUTE, wire_factory

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

    from crawler.wire.recording import WireRecording

logger = logging.getLogger(__name__)


def proxy_address(proxy: str) -> str:
    """``host:port`` of a ``meta["proxy"]`` URL, as Scrapy connects to it (never its credentials)."""
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


class ProxyRefused(TunnelError):
    """A forward proxy answered an http request itself with 407: what a CONNECT tunnel refused
    with 407 raises (TunnelError), so both are retried, reported and counted alike."""

    def __init__(self, proxy: str, status: int, reason: bytes) -> None:
        # Worded as Scrapy words a refused tunnel, which crawler/download_errors.py reads.
        extra = {"status": status, "reason": reason}
        super().__init__(f"Could not send the request through proxy {proxy_address(proxy)} [{extra!r}]")


class _WireAgent(_ScrapyAgent):
    def _cb_bodydone(self, result: _ResultT, url: str) -> Response:
        response = super()._cb_bodydone(result, url)
        recording: WireRecording | None = getattr(result["txresponse"], WIRE_ATTRIBUTE, None)
        # A download stopped on purpose (StopDownload) has a partial body: archived as rebuilt.
        if recording is not None and recording.complete and result.get("stop_download") is None:
            remember(response, recording)
        return response


class WireDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._pool._factory = wire_factory(crawler.settings.getint("NEWSARCHIVE_WARC_SPOOL_BYTES"))

    async def download_request(self, request: Request) -> Response:
        # Scrapy's own, with the agent that hands the recording on (the deprecated spider
        # attributes download_maxsize/download_warnsize are not read: use the settings or meta).
        agent = _WireAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=self._default_maxsize,
            warnsize=self._default_warnsize,
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with wrap_twisted_exceptions():
                response = await maybe_deferred_to_future(agent.download_request(request))
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                logger.warning(get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise
        proxy = request.meta.get("proxy")
        if proxy and response.status == 407 and request.url.startswith("http:"):
            # The proxy's own answer, not the page's: never archived as the page.
            recording = recording_of(response)
            status_line = (recording.head or b"").split(b"\r\n", 1)[0] if recording is not None else b""
            if recording is not None:
                recording.close()
            raise ProxyRefused(proxy, 407, (status_line.split(b" ", 2)[2:] or [b""])[0].strip())
        return response
