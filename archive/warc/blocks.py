"""WARC records whose block is given byte for byte (the HTTP messages as they crossed the wire).

warcio builds a record by parsing the HTTP head it is given and serializing it again, which
re-cases, reorders and re-encodes it; these records are built here instead, head fields in the
order warcio writes them, so the block is exactly the bytes recorded.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archive.warc.compression import Gzip

REVISIT_PROFILES = {
    "WARC/1.1": "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
    "WARC/1.0": "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest",
}
RESPONSE_TYPE = "application/http; msgtype=response"
REQUEST_TYPE = "application/http; msgtype=request"


@dataclass(frozen=True, slots=True)
class Block:
    """A record block: *chunks* gives its bytes again on every call (hashed, then written)."""

    chunks: Callable[[], Iterable[bytes]]
    length: int

    @classmethod
    def of(cls, data: bytes) -> Block:
        return cls(lambda: (data,), len(data))


@dataclass(frozen=True, slots=True)
class WireExchange:
    """An exchange as recorded: the response block (status line, header block, body as read) and
    the request block (as written). ``payload_digest`` is over the entity body, de-chunked."""

    url: str
    response: Block
    request: Block
    date: str
    payload_digest: str
    ip_address: str | None = None


@dataclass(frozen=True, slots=True)
class RevisitOf:
    """The earlier full record a revisit points at (identical-payload-digest profile)."""

    uri: str
    date: str


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def sha1_digest(chunks: Iterable[bytes]) -> str:
    hasher = hashlib.sha1()
    for chunk in chunks:
        hasher.update(chunk)
    return "sha1:" + base64.b32encode(hasher.digest()).decode("ascii")


def record_head(version: str, fields: list[tuple[str, str]], block: Block) -> bytes:
    lines = [version, *(f"{name}: {value}" for name, value in fields)]
    lines.append(f"WARC-Block-Digest: {sha1_digest(block.chunks())}")
    lines.append(f"Content-Length: {block.length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def gzip_member(head: bytes, block: Block, codec: Gzip) -> Iterator[bytes]:
    """The record as one gzip member, compressed as it is read (a large body is never whole in memory)."""
    compressor = codec.compressobj()
    yield compressor.compress(head)
    for chunk in block.chunks():
        yield compressor.compress(chunk)
    yield compressor.compress(b"\r\n\r\n")
    yield compressor.flush()


def response_fields(
    exchange: WireExchange, record_id: str, version: str, revisit: RevisitOf | None
) -> list[tuple[str, str]]:
    fields = [
        ("WARC-Type", "revisit" if revisit else "response"),
        ("WARC-Record-ID", record_id),
        ("WARC-Target-URI", exchange.url),
        ("WARC-Date", exchange.date),
    ]
    if exchange.ip_address:
        fields.append(("WARC-IP-Address", exchange.ip_address))
    if revisit is not None:
        fields += [
            ("WARC-Profile", REVISIT_PROFILES.get(version, REVISIT_PROFILES["WARC/1.1"])),
            ("WARC-Refers-To-Target-URI", revisit.uri),
            ("WARC-Refers-To-Date", revisit.date),
        ]
    fields += [("Content-Type", RESPONSE_TYPE), ("WARC-Payload-Digest", exchange.payload_digest)]
    return fields


def request_fields(exchange: WireExchange, record_id: str, concurrent_to: str) -> list[tuple[str, str]]:
    return [
        ("WARC-Type", "request"),
        ("WARC-Record-ID", record_id),
        ("WARC-Target-URI", exchange.url),
        ("WARC-Date", exchange.date),
        ("WARC-Concurrent-To", concurrent_to),
        ("Content-Type", REQUEST_TYPE),
    ]
