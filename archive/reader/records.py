"""A capture's WARC record for the reader: its bytes as stored, for download, the archived
answer it holds (a page or a page's requisite), for the archived view, and the DOM a browser built
from a page (render mode's ``conversion`` record). Read through archive/warc/ (framing, locate, the
HTTP block), so a gzip member, an uncompressed record, a WARC gzipped whole or a foreign file read
as reextract reads them."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path

from archive.responses import first_header, is_html
from archive.warc.framing import GZIP_MAGIC, BadStretch, addressed, is_truncated, parse_warc_date, read_record_at
from archive.warc.httpblock import decode_payload, parse_http, resource_block
from archive.warc.reader import OutsideWarcDir, locate
from archive.warc.rendered import Look, conversions_after

OPEN_SUFFIX = ".open"
REPLAY_LIMIT = 50 * 1024 * 1024  # the most a replayed page may inflate to
# The archived view runs no script (no script-src; `sandbox` without allow-scripts, so no
# same-origin either) and loads only from the reader, which answers from the archive: styles,
# fonts, images, media, never a connection, a frame, an object, a form or a <base>.
REPLAY_CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "media-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox"
)


class RecordUnavailable(LookupError):
    """The record cannot be served; the message is shown to the reader."""


@dataclass(frozen=True, slots=True)
class StoredRecord:
    data: bytes
    compressed: bool  # one gzip member: a .warc.gz of its own


@dataclass(frozen=True, slots=True)
class ArchivedPage:
    """An archived answer: its status, header lines and body with its codings undone."""

    status: int
    headers: list[tuple[str, str]]
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
        records = addressed(stream, path.stat().st_size)
        records.seek(offset)
        data = records.read(raw.length + raw.trailer)
    return StoredRecord(data, compressed=data[:3] == GZIP_MAGIC)


def archived_page(warc_dir: Path, name: str, offset: int) -> ArchivedPage:
    """The response's (or resource's) body with its codings undone, and the type it was served as."""
    path = _path(warc_dir, name)
    try:
        raw = read_record_at(path, offset)
    except BadStretch as bad:
        raise RecordUnavailable(f"no usable WARC record at {name} offset {offset} ({bad.reason})") from None
    kind = raw.headers.get("warc-type")
    if kind not in ("response", "resource") or not raw.complete:
        raise RecordUnavailable(f"the record at {name} offset {offset} holds no archived page to show")
    if is_truncated(raw):
        raise RecordUnavailable(
            f"the record at {name} offset {offset} is cut short (WARC-Truncated: "
            f"{raw.headers['warc-truncated'][:40]}): not the whole answer, so it is not shown as one"
        )
    http = parse_http(raw.block) if kind == "response" else resource_block(raw)
    if http is None:
        raise RecordUnavailable(f"the record at {name} offset {offset} holds no HTTP response")
    payload = decode_payload(http, REPLAY_LIMIT)
    if payload.error:
        raise RecordUnavailable(f"the archived body cannot be decoded ({payload.error})")
    content_type = first_header(payload.headers, "Content-Type") or "text/html"
    return ArchivedPage(http.status, list(payload.headers), payload.body, content_type)


def rendered_dom(warc_dir: Path, name: str, offset: int, record_id: str, within: dt.timedelta) -> bytes | None:
    """The DOM a browser built from the page whose record is at *offset* (crawler/render.py): the
    HTML of the ``conversion`` record referring to it, or None.

    Looked for as archive/warc/rendered.py says: after the page's record, in its file and its
    writer's later ones, up to the first record dated *within* after the page."""
    path = _path(warc_dir, name)
    key = (path, path.stat().st_mtime_ns, offset, record_id, within)
    found = _FOUND.get(key)
    if found is None:
        found, settled = _conversion_of(path, offset, record_id, within)
        # A look that read to the end of a file still being written may end elsewhere later: not kept.
        if found or settled:
            with _FOUND_LOCK:  # the reader's views run on several threads
                _FOUND[key] = found
                while len(_FOUND) > _FOUND_KEPT:
                    del _FOUND[next(iter(_FOUND))]
    if not found:
        return None
    try:
        conversion = read_record_at(*found)
    except BadStretch:
        return None
    return conversion.block if conversion.complete and is_html(conversion.headers.get("content-type")) else None


# Where each page's conversion record was found (or that there is none: ``()``), by the page's
# file, its modification time (`warc recover` rewrites a file), offset and record id: closed files
# do not change, so the look is made once per page, not once per view.
_FOUND: dict[tuple[Path, int, int, str, dt.timedelta], tuple[Path, int] | tuple[()]] = {}
_FOUND_KEPT = 4096
_FOUND_LOCK = threading.Lock()


def _conversion_of(
    path: Path, offset: int, record_id: str, within: dt.timedelta
) -> tuple[tuple[Path, int] | tuple[()], bool]:
    """(where the conversion record referring to *record_id* (the record at *offset*) is, or
    ``()``; whether the answer is final: archive/warc/rendered.py ``Look``)."""
    try:
        page = read_record_at(path, offset)
    except BadStretch:
        return (), True
    fetched = parse_warc_date(page.headers.get("warc-date"))
    if fetched is None:
        return (), True
    look = Look()
    start = offset + page.length + page.trailer
    for found, record in conversions_after(path, start, {record_id}, fetched, within, look):
        return (found, record.offset), True
    return (), look.final
