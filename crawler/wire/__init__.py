"""Wire-exact capture: the bytes of each HTTP exchange as they crossed the connection.

Scrapy's HTTP/1.1 handler parses responses with Twisted, which rebuilds what a WARC record would
need verbatim (status line, header case and order, hop-by-hop headers, chunked framing, header
bytes outside ASCII). ``handler.WireDownloadHandler`` records below that parser; the WARC
middleware takes the recording of a response from :func:`recording_of`.
"""

from __future__ import annotations

import weakref

from scrapy.http import Response

from crawler.wire.recording import WireRecording

# Keyed by the response object: a response Scrapy makes itself (or a replace() of one) has no
# recording and is archived as rebuilt; nothing travels in request.meta to redirects or retries.
_recordings: weakref.WeakKeyDictionary[Response, WireRecording] = weakref.WeakKeyDictionary()


def remember(response: Response, recording: WireRecording) -> None:
    _recordings[response] = recording


def recording_of(response: Response) -> WireRecording | None:
    """The wire recording of *response*, taken once: the WARC middleware owns it from then on."""
    return _recordings.pop(response, None)


__all__ = ["WireRecording", "recording_of", "remember"]
