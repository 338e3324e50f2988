"""A capture's WARC record for the reader: its bytes as stored, for download, and the archived
page it holds, for replay. Read through archive/warc/ (framing, locate, the HTTP block), so a
gzip member, an uncompressed record, a WARC gzipped whole or a foreign file read as reextract reads them."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

from archive.warc.framing import GZIP_MAGIC, BadStretch, Framer, read_record_at
from archive.warc.httpblock import decode_payload, parse_http
from archive.warc.reader import OutsideWarcDir, locate

OPEN_SUFFIX = ".open"
REPLAY_LIMIT = 50 * 1024 * 1024  # the most a replayed page may inflate to
# The archived page runs no script and loads nothing: not from the archived site, not from us.
REPLAY_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


class RecordUnavailable(LookupError):
    """The record cannot be served; the message is shown to the reader."""


@dataclass(frozen=True, slots=True)
class StoredRecord:
    data: bytes
    compressed: bool  # one gzip member: a .warc.gz of its own


@dataclass(frozen=True, slots=True)
class ArchivedPage:
    body: bytes
    content_type: str


def _path(warc_dir: Path, name: str) -> Path:
    try:
        path = locate(name, warc_dir)
    except OutsideWarcDir as exc:
        raise RecordUnavailable(str(exc)) from None
    if not path.is_file() and Path(str(path) + OPEN_SUFFIX).is_file():
        return Path(str(path) + OPEN_SUFFIX)  # still being written; its finished records are readable
    if not path.is_file():
        raise RecordUnavailable(f"WARC file {name} is not in {warc_dir}")
    return path


def stored_record(warc_dir: Path, name: str, offset: int) -> StoredRecord:
    """The record at *offset* exactly as the file holds it: its gzip member, or its uncompressed
    bytes (for a WARC gzipped whole, the record as inflated: no member of its own exists)."""
    path = _path(warc_dir, name)
    try:
        raw = read_record_at(path, offset)
    except BadStretch as bad:
        raise RecordUnavailable(f"no usable WARC record at {name} offset {offset} ({bad.reason})") from None
    with path.open("rb") as stream:
        whole = stream.read(3) == GZIP_MAGIC and Framer(stream, path.stat().st_size).whole_file_gzip()
        if whole:
            stream.seek(0)
            with gzip.GzipFile(fileobj=stream, mode="rb") as inflated:
                inflated.seek(offset)
                return StoredRecord(inflated.read(raw.length + raw.trailer), compressed=False)
        stream.seek(offset)
        data = stream.read(raw.length + raw.trailer)
    return StoredRecord(data, compressed=data[:3] == GZIP_MAGIC)


def archived_page(warc_dir: Path, name: str, offset: int) -> ArchivedPage:
    """The response's body with its codings undone, and the type it was served as."""
    path = _path(warc_dir, name)
    try:
        raw = read_record_at(path, offset)
    except BadStretch as bad:
        raise RecordUnavailable(f"no usable WARC record at {name} offset {offset} ({bad.reason})") from None
    if raw.headers.get("warc-type") != "response" or not raw.complete:
        raise RecordUnavailable(f"the record at {name} offset {offset} holds no archived page to show")
    http = parse_http(raw.block)
    if http is None:
        raise RecordUnavailable(f"the record at {name} offset {offset} holds no HTTP response")
    payload = decode_payload(http, REPLAY_LIMIT)
    if payload.error:
        raise RecordUnavailable(f"the archived body cannot be decoded ({payload.error})")
    content_type = next((v for k, v in payload.headers if k.lower() == "content-type"), "text/html")
    return ArchivedPage(payload.body, content_type)
