"""Scrapy's lenient HTTP/1.1 client protocol, recording each exchange's bytes as it goes.

The protocol is the one place that sees both directions of a connection above TLS and knows where
one response ends (the parser's ``rest``), so it records there: one :class:`WireRecording` per
request, handed on with the Twisted response. Keep-alive is untouched: the connection goes back to
the pool as before, and the next request on it starts a new recording.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers.http11 import _LenientHTTP11ClientFactory, _LenientHTTP11ClientProtocol

from crawler.wire.recording import WireRecording

if TYPE_CHECKING:
    from twisted.internet.defer import Deferred
    from twisted.internet.interfaces import IAddress
    from twisted.web._newclient import HTTP11ClientProtocol
    from twisted.web._newclient import Request as TxRequest
    from twisted.web.iweb import IResponse

# The attribute of a Twisted response that carries its recording (Scrapy stashes the certificate so).
WIRE_ATTRIBUTE = "_newsarchive_wire"


class _RecordingTransport:
    """The connection's transport as a request is written to it, copying what is written."""

    def __init__(self, transport: Any, recording: WireRecording) -> None:
        self._transport = transport
        self._recording = recording

    def write(self, data: bytes) -> None:
        self._recording.sent(data)
        self._transport.write(data)

    def writeSequence(self, data: list[bytes]) -> None:
        for part in data:
            self._recording.sent(part)
        self._transport.writeSequence(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class WireHTTP11ClientProtocol(_LenientHTTP11ClientProtocol):
    spool_bytes = 1 << 20

    _wire: WireRecording | None = None

    def request(self, request: TxRequest) -> Deferred[IResponse]:
        recording = WireRecording(self.spool_bytes)
        self._wire = recording
        write_to = request.writeTo
        # Only the writing of this request is wrapped: the parser and the pool keep the real transport.
        request.writeTo = lambda transport: write_to(_RecordingTransport(transport, recording))  # type: ignore[method-assign]
        d = super().request(request)

        def attach(response: IResponse) -> IResponse:
            setattr(response, WIRE_ATTRIBUTE, recording)
            return response

        d.addCallback(attach)
        return d

    def dataReceived(self, data: bytes) -> None:
        # Copied before the parser runs: it may finish the response (and call _finishResponse) within.
        if self._wire is not None:
            self._wire.received(data)
        super().dataReceived(data)

    def _finishResponse(self, rest: bytes) -> None:
        if self._wire is not None:
            self._wire.finished(rest)
        super()._finishResponse(rest)


class WireHTTP11ClientFactory(_LenientHTTP11ClientFactory):
    protocol_class: type[WireHTTP11ClientProtocol] = WireHTTP11ClientProtocol

    def buildProtocol(self, addr: IAddress | None) -> HTTP11ClientProtocol:
        return self.protocol_class(self._quiescentCallback)  # type: ignore[no-untyped-call]


def wire_factory(spool_bytes: int) -> type[WireHTTP11ClientFactory]:
    """The connection pool's factory class (the pool instantiates it), with bodies over
    *spool_bytes* recorded to a temporary file."""
    protocol = type("WireProtocol", (WireHTTP11ClientProtocol,), {"spool_bytes": spool_bytes})
    return type("WireFactory", (WireHTTP11ClientFactory,), {"protocol_class": protocol})
