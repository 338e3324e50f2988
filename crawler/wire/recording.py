"""One HTTP exchange as it crossed the connection: the request bytes written, the response bytes read.

Bytes are those above TLS (what the HTTP parser saw), so an https record holds plain HTTP.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Iterator

# Twisted splits header lines on LF and drops a CR before it: the header block ends at the first
# empty line, whichever of the two line ends the server used.
_HEAD_END = re.compile(rb"\n\r?\n")
_READ_CHUNK = 1 << 20


class WireRecording:
    """The bytes of one request/response exchange on one connection.

    The response is kept from its final status line on: interim ``1xx`` responses, which Twisted
    skips, are dropped so the block is one HTTP message. The header block stays in memory (it is
    parsed for the capture row); the body goes to a temporary file once it is over *spool_bytes*,
    so a large body is not held twice (Scrapy holds the parsed copy).
    """

    def __init__(self, spool_bytes: int) -> None:
        # WARC-Date is when capture began (WARC 1.1 §5.4): the request's first byte, not the body's last.
        self.started_at = dt.datetime.now(dt.UTC)
        self.request = bytearray()
        self.head: bytes | None = None  # status line, header lines and the empty line, as read
        self.complete = False
        self.body_length = 0
        self._pending = bytearray()  # response bytes before the final header block is whole
        self._body = tempfile.SpooledTemporaryFile(max_size=spool_bytes)  # noqa: SIM115 (closed by close())

    # -- what the connection carried -----------------------------------------------------------
    def sent(self, data: bytes) -> None:
        if not self.complete:
            self.request += data

    def received(self, data: bytes) -> None:
        if self.complete:
            return
        if self.head is not None:
            self._body.write(data)
            self.body_length += len(data)
            return
        self._pending += data
        self._take_head()

    def _take_head(self) -> None:
        while self.head is None:
            end = _HEAD_END.search(self._pending)
            if end is None:
                return
            head, rest = bytes(self._pending[: end.end()]), self._pending[end.end() :]
            self._pending = bytearray(rest)
            if not _is_interim(head):
                self.head = head
                self._pending = bytearray()
                if rest:
                    self._body.write(rest)
                    self.body_length += len(rest)

    def finished(self, rest: bytes) -> None:
        """The parser has the whole response; *rest* (bytes after it in the last read) is not part of it."""
        if self.complete:
            return
        extra = min(len(rest), self.body_length)
        if extra:
            self.body_length -= extra
            self._body.truncate(self.body_length)
        self.complete = True

    # -- what the WARC record holds ------------------------------------------------------------
    @property
    def response_length(self) -> int:
        return len(self.head or b"") + self.body_length

    def response_chunks(self) -> Iterator[bytes]:
        """The response block: the header block, then the body as read (chunked framing included)."""
        yield self.head or b""
        self._body.seek(0)
        remaining = self.body_length
        while remaining > 0:
            chunk = self._body.read(min(_READ_CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk

    def request_block(self, drop: frozenset[bytes] = frozenset()) -> bytes:
        """The request as the origin reads it: as written, without ``Proxy-*`` header lines (meant
        for a proxy, credentials among them) nor those named in *drop* (lower case), and with an
        absolute-form target (written so to a forward proxy) in origin form, as the proxy passes it on."""
        end = _HEAD_END.search(self.request)
        split = end.end() if end else len(self.request)
        request_line, *lines = bytes(self.request[:split]).split(b"\n")
        kept = [line for line in lines if not _dropped(line.split(b":", 1)[0].strip().lower(), drop)]
        return b"\n".join([_origin_form(request_line), *kept]) + bytes(self.request[split:])

    def close(self) -> None:
        self._body.close()


def _is_interim(head: bytes) -> bool:
    parts = head.split(None, 2)
    return len(parts) > 1 and len(parts[1]) == 3 and parts[1][:1] == b"1" and parts[1].isdigit()


def _dropped(name: bytes, drop: frozenset[bytes]) -> bool:
    return name.startswith(b"proxy-") or name in drop


def _origin_form(request_line: bytes) -> bytes:
    """``GET http://host:port/path?q HTTP/1.1`` as ``GET /path?q HTTP/1.1``; other lines unchanged."""
    parts = request_line.split(b" ", 2)
    if len(parts) != 3 or b"://" not in parts[1]:
        return request_line
    method, target, version = parts
    path = target.split(b"://", 1)[1].partition(b"/")
    return b" ".join([method, b"/" + path[2], version])
