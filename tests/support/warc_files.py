"""WARC files written byte by byte, as other tools (or damage) leave them: warcio and our writer
refuse to write a bad URL, date or length, and a test must be able to."""

from __future__ import annotations

import uuid
import zlib

ARTICLE = (
    b"<html><head><title>A story</title></head><body><article><h1>A story worth keeping</h1>"
    + b"<p>The council met on Monday and agreed the budget for the harbour. " * 30
    + b"</p></article></body></html>"
)


def response_record(
    url: str,
    body: bytes = ARTICLE,
    *,
    date: str = "2024-05-01T10:00:00Z",
    status: str = "200 OK",
    content_length: str | None = None,
    warc_headers: tuple[tuple[str, str], ...] = (),
) -> bytes:
    """One uncompressed ``response`` record of an HTML page; *content_length* replaces the true one."""
    block = (
        f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    lines = [
        "WARC/1.1",
        "WARC-Type: response",
        f"WARC-Target-URI: {url}",
        f"WARC-Date: {date}",
        f"WARC-Record-ID: <urn:uuid:{uuid.uuid4()}>",
        "Content-Type: application/http; msgtype=response",
        *(f"{name}: {value}" for name, value in warc_headers),
        f"Content-Length: {content_length if content_length is not None else len(block)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + block + b"\r\n\r\n"


def gzip_member(data: bytes) -> bytes:
    """*data* as one gzip member, the way WARC files compress each record."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return compressor.compress(data) + compressor.flush()


def gzipped(*records: bytes) -> bytes:
    """A ``.warc.gz``: one gzip member per record."""
    return b"".join(map(gzip_member, records))
