"""The HTTP message in a WARC block: status, headers and body, and the body with its transfer
coding undone and its content codings undone by the rules the crawl applies (archive/responses.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from archive.content_coding import ContentDecodingError, codings
from archive.responses import HeaderPairs, decode_body, decoded_pairs, resource_answer
from archive.warc.framing import RawRecord, split_head

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class HttpBlock:
    """The HTTP response in a WARC block: header pairs in order as stored, body still coded."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _is_status(code: str) -> bool:
    # Three ASCII digits (RFC 9110): str.isdigit() takes "²00", which int() refuses, and a longer
    # number overflows the database's status column.
    return len(code) == 3 and code.isascii() and code.isdigit()


def parse_http(block: bytes) -> HttpBlock | None:
    """The HTTP response in *block*; ``None`` when it does not start with a status line."""
    split = split_head(block)
    if split is None:
        head, start = block, len(block)
    else:
        head, start = split
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    status_line = lines[0].split(None, 2)
    if len(status_line) < 2 or not status_line[0].upper().startswith("HTTP/") or not _is_status(status_line[1]):
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


def http_message_type(content_type: str | None) -> bool:
    """Whether a record's ``Content-Type`` says its block is an HTTP message (``application/http``,
    or ``message/http`` as some writers have it); a missing type leaves it to the status line."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in {"application/http", "message/http", ""}


def resource_block(raw: RawRecord) -> HttpBlock:
    """A ``resource`` record as the HTTP answer it stands for (:func:`archive.responses.resource_answer`)."""
    status, headers = resource_answer(raw.headers.get("content-type"))
    return HttpBlock(status, headers, raw.block)


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


@dataclass(frozen=True, slots=True)
class Payload:
    """A stored body as re-extraction hands it on: decoded when its codings could be undone,
    else as stored, with the header lines that describe it either way."""

    body: bytes
    headers: HeaderPairs
    error: str | None = None  # why the content codings could not be undone


def decode_payload(http: HttpBlock, limit: int, headers: HeaderPairs | None = None) -> Payload:
    """Undo the chunked transfer coding, then the content codings by the crawl's rules
    (:func:`archive.responses.decode_body`, within *limit*). *headers* describe the message when
    they are not the block's own (a revisit's, over its original's body)."""
    body = http.body
    if "chunked" in codings(v for k, v in http.headers if k.lower() == "transfer-encoding"):
        try:
            body = dechunk(body)
        except ValueError:
            # Some crawlers store the body de-chunked but keep the header (our crawl drops it).
            logger.debug("Transfer-Encoding: chunked over a body that is not chunked; used as stored")
    described = [(k, v) for k, v in (headers or http.headers) if k.lower() != "transfer-encoding"]
    try:
        decoded = decode_body(http.headers, body, limit)
    except ContentDecodingError as exc:
        return Payload(body, described, str(exc))
    return Payload(decoded, decoded_pairs(described))
