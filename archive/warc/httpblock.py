"""The HTTP message in a WARC block: status, headers and body, and the body with its transfer and
content codings undone.

These are the decoding rules re-extraction applies to stored payloads; they live together here so
they can be replaced as one.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass

from archive.warc.framing import split_head

logger = logging.getLogger(__name__)

# What the payload no longer has once decoded, so what a reader must not claim it still has.
DROPPED_AFTER_DECODING = frozenset({"content-encoding", "transfer-encoding"})


@dataclass(slots=True)
class HttpBlock:
    """The HTTP response in a WARC block: header pairs in order as stored, body still coded."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def parse_http(block: bytes) -> HttpBlock | None:
    """The HTTP response in *block*; ``None`` when it does not start with a status line."""
    split = split_head(block)
    if split is None:
        head, start = block, len(block)
    else:
        head, start = split
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    status_line = lines[0].split(None, 2)
    if len(status_line) < 2 or not status_line[0].upper().startswith("HTTP/") or not status_line[1].isdigit():
        return None
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        if line[0] in " \t" and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
            continue
        name, sep, value = line.partition(":")
        if sep:
            headers.append((name.strip(), value.strip()))
    return HttpBlock(int(status_line[1]), headers, block[start:])


def first_header(headers: list[tuple[str, str]], name: str) -> str | None:
    """The first value of header *name*, compared case-insensitively."""
    lowered = name.lower()
    return next((v for k, v in headers if k.lower() == lowered), None)


def dechunk(body: bytes) -> bytes:
    """The body of a ``Transfer-Encoding: chunked`` message; ``ValueError`` if not chunked."""
    out: list[bytes] = []
    position = 0
    while True:
        line_end = body.find(b"\n", position)
        if line_end < 0:
            raise ValueError("chunk size line missing")
        size_text = body[position:line_end].split(b";", 1)[0].strip()
        size = int(size_text, 16)  # ValueError when this is no chunk size
        position = line_end + 1
        if size == 0:
            return b"".join(out)
        chunk = body[position : position + size]
        if len(chunk) < size:
            raise ValueError("chunk shorter than its size")
        out.append(chunk)
        position += size
        if body[position : position + 2] == b"\r\n":
            position += 2
        elif body[position : position + 1] == b"\n":
            position += 1


def _decode_content(body: bytes, codings: list[str]) -> bytes:
    for coding in reversed(codings):
        if coding in ("gzip", "x-gzip"):
            inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header
            body = inflater.decompress(body) + inflater.flush()
        elif coding == "deflate":
            try:
                body = zlib.decompress(body)
            except zlib.error:
                body = zlib.decompress(body, -zlib.MAX_WBITS)  # raw deflate, as some servers send
        elif coding == "br":
            import brotli  # optional, as in Scrapy

            body = brotli.decompress(body)
        elif coding == "zstd":
            import zstandard  # optional

            body = zstandard.ZstdDecompressor().decompressobj().decompress(body)
        elif coding not in ("identity", ""):
            raise ValueError(f"unknown Content-Encoding {coding!r}")
    return body


def decode_payload(http: HttpBlock) -> tuple[bytes, dict[str, str]]:
    """Undo chunked transfer coding and content codings; headers as the crawl's extraction sees
    them. Raises ``ValueError`` (or ``zlib.error``) when a declared coding cannot be undone."""
    headers = header_dict(http.headers)
    body = http.body
    transfer = _coding_list(first_header(http.headers, "Transfer-Encoding"))
    if "chunked" in transfer:
        try:
            body = dechunk(body)
        except ValueError:
            # Some crawlers store the body de-chunked but keep the header (our crawl drops it).
            logger.debug("Transfer-Encoding: chunked over a body that is not chunked; used as stored")
    codings = _coding_list(first_header(http.headers, "Content-Encoding"))
    if codings:
        try:
            body = _decode_content(body, codings)
        except Exception as exc:
            # A few tools store the decoded body under the original header: accept what is
            # plainly markup, refuse the rest.
            if not body.lstrip()[:1] == b"<":
                raise ValueError(f"cannot undo Content-Encoding {', '.join(codings)} ({exc})") from None
    return body, {k: v for k, v in headers.items() if k.lower() not in DROPPED_AFTER_DECODING}


def _coding_list(value: str | None) -> list[str]:
    return [c.strip().lower() for c in (value or "").split(",") if c.strip()]


def header_dict(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Header pairs as a dict; a repeated name's values are joined by ", " as HTTP allows."""
    headers: dict[str, str] = {}
    for name, value in pairs:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers
