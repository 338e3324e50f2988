"""The HTTP method of each response read from a WARC: the one its ``request`` record says.

A response record does not say which request it answered; the request record beside it does, and
``WARC-Concurrent-To`` links the two. Writers link them either way: wget writes the request first
and points the response at it; Heritrix, warcio, pywb, Browsertrix and this project's writer write
the response first and point the request back at it. So the reader learns a request's method one
record ahead of the record it reads (:meth:`Methods.ahead`): either order is known before the
response's capture is made.

A response no request record speaks for is a GET's: most tools record the request, and one that
does not (a hand-made WARC, ``warcio`` without ``--requests``) archives what it fetched, which is
pages. Only the last :data:`METHODS_LOOKBACK` links are kept: a request lies next to its response.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import TypeVar

from archive.warc.framing import RawRecord
from archive.warc.httpblock import http_message_type

# Requests remembered for a response that has not been read yet; a writer puts a pair together.
METHODS_LOOKBACK = 10_000
DEFAULT_METHOD = "GET"
# A method is a token (RFC 9110); the captures table keeps 16 characters of it.
_REQUEST_LINE = re.compile(rb"[ \t\r\n]*([!#$%&'*+.^_`|~0-9A-Za-z-]{1,16}) +\S")

_Item = TypeVar("_Item")


def request_method(raw: RawRecord) -> str | None:
    """The method of a ``request`` record's HTTP request line; None when it holds no HTTP request."""
    if raw.headers.get("warc-type", "").lower() != "request" or not http_message_type(raw.headers.get("content-type")):
        return None
    match = _REQUEST_LINE.match(raw.block)
    return match.group(1).decode("ascii") if match else None


class Methods:
    """The methods of the request records read, by the record ids that lead to them."""

    def __init__(self, keep: int | None = None) -> None:
        self.keep = METHODS_LOOKBACK if keep is None else keep
        # A request's own id (a response pointing at it) and the id it points at (its response).
        self._by_id: OrderedDict[str, str] = OrderedDict()

    def learn(self, raw: RawRecord) -> None:
        method = request_method(raw)
        if method is None:
            return
        for record_id in (raw.headers.get("warc-record-id"), raw.headers.get("warc-concurrent-to")):
            if record_id:
                self._by_id[record_id.strip()] = method
                self._by_id.move_to_end(record_id.strip())
        while len(self._by_id) > self.keep:
            self._by_id.popitem(last=False)

    def of(self, raw: RawRecord) -> str:
        """The method of the request a response (or revisit) record answered: GET unless its
        request record says otherwise."""
        for record_id in (raw.headers.get("warc-record-id"), raw.headers.get("warc-concurrent-to")):
            if record_id and (method := self._by_id.get(record_id.strip())) is not None:
                return method
        return DEFAULT_METHOD

    def ahead(self, items: Iterable[_Item]) -> Iterator[_Item]:
        """*items* as they come, each yielded once the record after it has been learnt from: a
        request written after its response (Heritrix's order) is known when the response is read."""
        previous: list[_Item] = []
        for item in items:
            if isinstance(item, RawRecord):
                self.learn(item)
            if previous:
                yield previous.pop()
            previous.append(item)
        yield from previous
