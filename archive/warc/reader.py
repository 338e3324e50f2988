"""WARC reader: response records of any WARC (ours or foreign) as captures with decoded payloads.

Reads WARC 1.0 and 1.1, one gzip member per record or uncompressed, as written by this project,
``wget --warc-file``, Heritrix, Browsertrix or warcio. For each ``response`` record (and each
``revisit`` record, followed to the payload it refers to) it yields a :class:`ReadRecord`: the
:class:`~archive.capture.Capture` the crawl would have made for that exchange, the payload with
``Transfer-Encoding: chunked`` and ``Content-Encoding`` undone, and the HTTP headers.

The framing is parsed here rather than by warcio or FastWARC because bad input must cost one
record, not the rest of the file: a truncated or corrupt gzip member, or an uncompressed record
with a wrong ``Content-Length``, is logged with file and offset, counted, and reading resumes at
the next record that parses. A record whose ``WARC-Block-Digest`` or ``WARC-Payload-Digest`` does
not match its bytes is skipped the same way. warcio remains the reference the tests compare with.

Offsets are those of the record (its gzip member, for compressed files) as stored, and so are the
lengths: ``(warc_file, warc_offset)`` is enough to read the record again with any WARC tool.

``Capture.warc_file`` names the file relative to the WARC directory when the file lies inside it
(the form the crawl stores), and by its absolute path otherwise; :func:`locate` turns a stored
name back into a path.

Revisit records are resolved, in order, by ``WARC-Refers-To`` (record id), ``WARC-Payload-Digest``
and ``WARC-Refers-To-Target-URI`` + ``WARC-Refers-To-Date`` among the response records of the files
being read; failing that, by the optional ``resolve_digest`` callback (re-extraction asks the
captures table). A revisit whose original comes later in the run is retried at the end.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import fnmatch
import hashlib
import logging
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from archive.capture import Capture
from archive.sites import SiteSelector, as_selector

logger = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b\x08"
HTML_TYPES = ("text/html", "application/xhtml+xml")
# Records bigger than this are not kept in memory: their capture is made from the headers, their
# digests go unchecked and their payload is not extracted (extraction refuses 15 MB pages anyway).
MAX_BLOCK = 32 * 1024 * 1024
_CHUNK = 256 * 1024
_RESYNC_WINDOW = 4 * 1024 * 1024
_MAX_REVISIT_HOPS = 4
_HEAD_KEEP = 65536  # of an oversized record, enough to read its HTTP headers


# -- results -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReadRecord:
    """One response (or resolved revisit) record.

    ``payload`` is the body with transfer and content codings undone, or ``None`` when the record
    was not selected for payload decoding (see ``WarcReader(want_payload=...)``) or is too big.
    ``headers`` are the HTTP response headers (repeated names joined by ", "), minus
    ``Content-Encoding``/``Transfer-Encoding`` once those have been undone, which is what the
    crawl hands the extraction function.
    """

    capture: Capture
    payload: bytes | None
    headers: dict[str, str]
    path: Path

    @property
    def is_html_ok(self) -> bool:
        return self.capture.status == 200 and is_html(self.capture.content_type)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record (or a stretch of a file) that could not be used, and why."""

    file: str
    offset: int
    reason: str


@dataclass(slots=True)
class ReadStats:
    files: int = 0
    bytes_total: int = 0
    bytes_read: int = 0  # position reached in the files, for progress
    records: int = 0  # every WARC record seen, of any type
    responses: int = 0  # response and revisit records yielded
    revisits: int = 0
    filtered: int = 0  # responses left out by the selection
    skipped: int = 0
    skip_reasons: Counter[str] = field(default_factory=Counter)


def is_html(content_type: str | None) -> bool:
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return kind in HTML_TYPES


def wants_html_ok(status: int, content_type: str | None) -> bool:
    """The default payload selection: what the crawl extracts, HTML answers with status 200."""
    return status == 200 and is_html(content_type)


@dataclass(frozen=True, slots=True)
class Selection:
    """Which responses to yield: fetched at or after *since*, on *site* (as ``--site`` means it:
    archive/sites.py), URL matching the shell-style *url_glob*. Empty fields select everything."""

    since: dt.datetime | None = None
    site: SiteSelector | str | None = None  # a string is resolved as --site resolves it
    url_glob: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.site, str) and self.site:
            object.__setattr__(self, "site", as_selector(self.site))

    def __call__(self, url: str, fetched_at: dt.datetime) -> bool:
        if self.since is not None and fetched_at < self.since:
            return False
        if isinstance(self.site, SiteSelector) and not self.site.matches_url(url):
            return False
        return not (self.url_glob and not fnmatch.fnmatchcase(url, self.url_glob))


# -- names -------------------------------------------------------------------------------------
def stored_name(path: Path, warc_dir: Path | None) -> str:
    """The ``warc_file`` value for *path*: relative to *warc_dir* when inside it, else absolute."""
    resolved = path.resolve()
    if warc_dir is not None:
        try:
            return resolved.relative_to(warc_dir.resolve()).as_posix()
        except ValueError:
            pass
    return str(resolved)


def locate(warc_file: str, warc_dir: Path | None) -> Path:
    """The path of a stored ``warc_file`` name (see :func:`stored_name`)."""
    path = Path(warc_file)
    if path.is_absolute() or warc_dir is None:
        return path
    return warc_dir / path


# -- framing -----------------------------------------------------------------------------------
@dataclass(slots=True)
class _Raw:
    """One record as framed in its file: WARC headers (lower-case names) and block."""

    offset: int
    length: int
    version: str
    headers: dict[str, str]
    block: bytes  # the whole block, or its first bytes when ``complete`` is false
    block_length: int
    complete: bool = True  # false for records over MAX_BLOCK: digests unchecked, payload not kept
    trailer: int = 0  # uncompressed files: bytes of the record's closing CRLFs, not in ``length``


class _Bad(Exception):
    def __init__(self, offset: int, reason: str, resume_at: int | None = None) -> None:
        super().__init__(reason)
        self.offset = offset
        self.reason = reason
        self.resume_at = resume_at


def _parse_warc_head(head: bytes) -> tuple[str, dict[str, str]]:
    lines = head.decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
    version = lines[0].strip()
    if not version.startswith("WARC/"):
        raise ValueError("no WARC version line")
    headers: dict[str, str] = {}
    last = None
    for line in lines[1:]:
        if not line:
            continue
        if line[0] in " \t" and last is not None:
            headers[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"malformed WARC header line {line[:60]!r}")
        last = name.strip().lower()
        headers.setdefault(last, value.strip())
    if "content-length" not in headers:
        raise ValueError("no Content-Length")
    return version, headers


def _split_head(data: bytes) -> tuple[bytes, int] | None:
    """(head, index where the block starts) of a record starting at data[0]."""
    end = data.find(b"\r\n\r\n")
    if end >= 0:
        return data[:end], end + 4
    end = data.find(b"\n\n")  # tolerated: some old tools wrote bare LF
    return (data[:end], end + 2) if end >= 0 else None


def _record_from_member(offset: int, length: int, data: bytes, complete: bool) -> _Raw:
    split = _split_head(data)
    if split is None:
        raise _Bad(offset, "gzip member holds no WARC record header")
    head, start = split
    try:
        version, headers = _parse_warc_head(head)
        block_length = int(headers["content-length"])
    except ValueError as exc:
        raise _Bad(offset, f"not a WARC record ({exc})") from None
    if complete:
        block = data[start : start + block_length]
        if len(block) < block_length:
            raise _Bad(offset, f"record truncated ({len(block)} of {block_length} block bytes)")
        trailer = data[start + block_length :]
        if trailer.strip(b"\r\n") and trailer.lstrip(b"\r\n").startswith(b"WARC/"):
            raise _Bad(offset, "several records in one gzip member (recompress one record per member)")
        return _Raw(offset, length, version, headers, block, block_length)
    return _Raw(offset, length, version, headers, data[start:], block_length, complete=False)


class _Framer:
    """Iterates the records of one file, raising nothing: bad stretches become ``_Bad`` items."""

    def __init__(self, stream: BinaryIO, size: int) -> None:
        self.stream = stream
        self.size = size
        self.position = 0

    def __iter__(self) -> Iterator[_Raw | _Bad]:
        start = self.stream.read(8)
        self.stream.seek(0)
        if start.startswith(GZIP_MAGIC[:2]):
            yield from self._gzip_records()
        elif start.startswith(b"WARC/"):
            yield from self._plain_records()
        else:
            self.position = self.size
            yield _Bad(0, "not a WARC file")

    # gzip: one record per member -------------------------------------------------------------
    def _gzip_records(self) -> Iterator[_Raw | _Bad]:
        offset = 0
        pending = b""  # bytes read past the end of the previous member
        while offset < self.size:
            try:
                raw, consumed, pending = self._member(offset, pending)
            except _Bad as bad:
                yield bad
                resume = self._resync_gzip(offset + 1)
                if resume is None:
                    self.position = self.size
                    return
                offset, pending = resume, b""
                self.stream.seek(offset)
                continue
            if raw is None:  # trailing padding
                self.position = self.size
                return
            self.position = offset + consumed
            yield raw
            offset += consumed

    def _member(self, offset: int, pending: bytes) -> tuple[_Raw | None, int, bytes]:
        data = pending
        while len(data) < 16:
            more = self.stream.read(_CHUNK)
            if not more:
                break
            data += more
        if not data.strip(b"\x00\r\n\t "):
            return None, 0, b""  # end of file, or padding after the last member
        if not data.startswith(GZIP_MAGIC):
            raise _Bad(offset, "not a gzip member where a record should start")
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        parts: list[bytes] = []
        kept = 0
        complete = True
        consumed = 0
        while True:
            try:
                out = inflater.decompress(data)
            except zlib.error as exc:
                raise _Bad(offset, f"corrupt gzip member ({exc})") from None
            if complete:
                if kept + len(out) > MAX_BLOCK + _HEAD_KEEP:
                    # Keep the head (enough for the headers); drop the rest of a huge record.
                    complete = False
                    parts.append(out[: max(0, _HEAD_KEEP - kept)])
                else:
                    parts.append(out)
                    kept += len(out)
            if inflater.eof:
                leftover = inflater.unused_data
                consumed += len(data) - len(leftover)
                break
            consumed += len(data)
            data = self.stream.read(_CHUNK)
            if not data:
                raise _Bad(offset, "truncated gzip member (file ends inside it)")
        raw = _record_from_member(offset, consumed, b"".join(parts), complete)
        return raw, consumed, leftover

    def _resync_gzip(self, start: int) -> int | None:
        """Offset of the next gzip member at or after *start* that begins with a WARC record."""
        position = start
        while position < self.size:
            self.stream.seek(position)
            window = self.stream.read(_RESYNC_WINDOW + 2)
            if not window:
                return None
            index = window.find(GZIP_MAGIC)
            while index >= 0:
                if self._member_starts_record(position + index):
                    return position + index
                index = window.find(GZIP_MAGIC, index + 1)
            position += max(1, len(window) - 2)
        return None

    def _member_starts_record(self, offset: int) -> bool:
        self.stream.seek(offset)
        try:
            head = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(self.stream.read(4096), 16)
        except zlib.error:
            return False
        return head.startswith(b"WARC/")

    # uncompressed ----------------------------------------------------------------------------
    def _plain_records(self) -> Iterator[_Raw | _Bad]:
        stream = self.stream
        offset = 0
        while offset < self.size:
            stream.seek(offset)
            try:
                raw = self._plain_record(offset)
            except _Bad as bad:
                yield bad
                resume = self._resync_plain(offset + 1)
                if resume is None:
                    self.position = self.size
                    return
                offset = resume
                continue
            if raw is None:
                self.position = self.size
                return
            offset = raw.offset + raw.length + raw.trailer
            self.position = offset
            yield raw

    def _plain_record(self, offset: int) -> _Raw | None:
        stream = self.stream
        first = stream.readline()
        while first in (b"\r\n", b"\n"):  # tolerate extra blank lines between records
            offset += len(first)
            first = stream.readline()
        if not first:
            return None
        if not first.startswith(b"WARC/"):
            raise _Bad(offset, "no WARC record where one should start")
        lines = [first]
        while True:
            line = stream.readline()
            if not line:
                raise _Bad(offset, "truncated record (file ends in its headers)")
            if line in (b"\r\n", b"\n"):
                break
            lines.append(line)
        head_length = sum(map(len, lines)) + len(line)
        try:
            version, headers = _parse_warc_head(b"".join(lines))
            block_length = int(headers["content-length"])
        except ValueError as exc:
            raise _Bad(offset, f"not a WARC record ({exc})") from None
        if offset + head_length + block_length > self.size:
            raise _Bad(offset, "record truncated (file ends inside its block)")
        complete = block_length <= MAX_BLOCK
        if complete:
            block = stream.read(block_length)
        else:
            block = stream.read(_HEAD_KEEP)
            stream.seek(offset + head_length + block_length)
        trailer = stream.read(4)
        if not trailer.startswith(b"\r\n\r\n") and not trailer.startswith(b"\n\n") and trailer:
            # The next record does not start where Content-Length says: the length (or the file)
            # is damaged, so this record's block cannot be trusted either.
            raise _Bad(offset, "record does not end where its Content-Length says")
        trailer_length = 4 if trailer.startswith(b"\r\n\r\n") else (2 if trailer else 0)
        # The length leaves the two closing CRLFs out, as warcio (and so its CDX indexes) counts it.
        raw = _Raw(offset, head_length + block_length, version, headers, block, block_length, complete=complete)
        raw.trailer = trailer_length
        return raw

    def _resync_plain(self, start: int) -> int | None:
        position = start
        while position < self.size:
            self.stream.seek(position)
            window = self.stream.read(_RESYNC_WINDOW + 8)
            if not window:
                return None
            index = window.find(b"\nWARC/1.")
            if index >= 0:
                return position + index + 1
            position += max(1, len(window) - 8)
        return None


def read_record_at(path: Path, offset: int) -> _Raw:
    """The record at *offset* of *path* (compressed or not); raises ``_Bad`` when unusable."""
    size = path.stat().st_size
    with path.open("rb") as stream:
        stream.seek(offset)
        framer = _Framer(stream, size)
        magic = stream.read(3)
        stream.seek(offset)
        if magic == GZIP_MAGIC:
            raw, _, _ = framer._member(offset, b"")
        else:
            raw = framer._plain_record(offset)
    if raw is None:
        raise _Bad(offset, "no record at this offset")
    return raw


# -- digests and HTTP --------------------------------------------------------------------------
def _digest_matches(declared: str, data: bytes | Iterable[bytes]) -> bool | None:
    """Whether *declared* ("sha1:BASE32", hex or base64 accepted) is the digest of *data*;
    ``None`` when the algorithm is unknown."""
    algorithm, sep, value = declared.strip().partition(":")
    if not sep:
        return None
    try:
        hasher = hashlib.new(algorithm.lower().replace("-", ""))
    except ValueError:
        return None
    for part in [data] if isinstance(data, bytes) else data:
        hasher.update(part)
    digest = hasher.digest()
    value = value.strip()
    candidates = {base64.b32encode(digest).decode().rstrip("="), digest.hex()}
    if value.upper().rstrip("=") in {c.upper() for c in candidates}:
        return True
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True) == digest
    except (binascii.Error, ValueError):
        return False


@dataclass(slots=True)
class _Http:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _parse_http(block: bytes) -> _Http | None:
    split = _split_head(block)
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
    return _Http(int(status_line[1]), headers, block[start:])


def _first(headers: list[tuple[str, str]], name: str) -> str | None:
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


def decode_payload(http: _Http) -> tuple[bytes, dict[str, str]]:
    """Undo chunked transfer coding and content codings; headers as the crawl's extraction sees
    them. Raises ``ValueError`` (or ``zlib.error``) when a declared coding cannot be undone."""
    headers: dict[str, str] = {}
    for name, value in http.headers:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    body = http.body
    transfer = [t.strip().lower() for t in (_first(http.headers, "Transfer-Encoding") or "").split(",") if t.strip()]
    if "chunked" in transfer:
        try:
            body = dechunk(body)
        except ValueError:
            # Some crawlers store the body de-chunked but keep the header (our crawl drops it).
            logger.debug("Transfer-Encoding: chunked over a body that is not chunked; used as stored")
    codings = [c.strip().lower() for c in (_first(http.headers, "Content-Encoding") or "").split(",") if c.strip()]
    if codings:
        try:
            body = _decode_content(body, codings)
        except Exception as exc:
            # A few tools store the decoded body under the original header: accept what is
            # plainly markup, refuse the rest.
            if not body.lstrip()[:1] == b"<":
                raise ValueError(f"cannot undo Content-Encoding {', '.join(codings)} ({exc})") from None
    drop = {"content-encoding", "transfer-encoding"}
    return body, {k: v for k, v in headers.items() if k.lower() not in drop}


def parse_warc_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _unbracket(value: str | None) -> str | None:
    # WARC 1.0's grammar put URIs in angle brackets and some writers followed it.
    return value.strip().removeprefix("<").removesuffix(">") if value else value


# -- the reader --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Target:
    """Where the payload of a response record is, for revisits."""

    path: Path
    offset: int


class _Deferred:
    """A revisit whose original has not been read (yet): retried once every file is read."""


_DEFER = _Deferred()
_DROP_AFTER_DECODING = frozenset({"content-encoding", "transfer-encoding"})


class WarcReader:
    """Iterate the response records of *paths* as :class:`ReadRecord` (see the module doc).

    ``select(url, fetched_at)`` filters responses before their payload is decoded;
    ``want_payload(status, content_type)`` says which payloads to decode (default: HTML, 200);
    ``resolve_digest(payload_digest)`` may return ``(warc_file, offset)`` of a stored response
    with that payload, for revisits whose original is not in *paths*; ``on_skip`` hears every
    skipped record. Statistics accumulate in ``stats``.
    """

    def __init__(
        self,
        paths: Iterable[Path],
        *,
        warc_dir: Path | None = None,
        select: Callable[[str, dt.datetime], bool] | None = None,
        want_payload: Callable[[int, str | None], bool] = wants_html_ok,
        resolve_digest: Callable[[str], tuple[str, int] | None] | None = None,
        on_skip: Callable[[Skipped], None] | None = None,
        verify_digests: bool = True,
    ) -> None:
        self.paths = [Path(p) for p in paths]
        self.warc_dir = warc_dir
        self.select = select
        self.want_payload = want_payload
        self.resolve_digest = resolve_digest
        self.on_skip = on_skip
        self.verify_digests = verify_digests
        self.stats = ReadStats(files=len(self.paths))
        # Originals a revisit may point at: HTML 200 responses only, the only ones worth following.
        self._by_id: dict[str, _Target] = {}
        self._by_digest: dict[str, _Target] = {}
        self._by_uri_date: dict[tuple[str, str], _Target] = {}

    def _skip(self, file: str, offset: int, reason: str) -> None:
        self.stats.skipped += 1
        self.stats.skip_reasons[reason.split(" (", 1)[0]] += 1
        logger.warning("skipped %s at offset %d: %s", file, offset, reason)
        if self.on_skip is not None:
            self.on_skip(Skipped(file, offset, reason))

    def __iter__(self) -> Iterator[ReadRecord]:
        sizes: dict[Path, int] = {}
        for path in self.paths:
            try:
                sizes[path] = path.stat().st_size
            except OSError:
                sizes[path] = 0
        self.stats.bytes_total = sum(sizes.values())
        deferred: list[tuple[Path, str, _Raw]] = []
        done = 0
        for path in self.paths:
            yield from self._file(path, sizes[path], done, deferred)
            done += sizes[path]
            self.stats.bytes_read = done
        for path, name, raw in deferred:
            record = self._revisit(path, name, raw, final=True)
            if isinstance(record, ReadRecord):
                yield self._counted(record)

    def _file(self, path: Path, size: int, done: int, deferred: list[tuple[Path, str, _Raw]]) -> Iterator[ReadRecord]:
        name = stored_name(path, self.warc_dir)
        try:
            stream = path.open("rb")
        except OSError as exc:
            self._skip(str(path), 0, f"cannot open ({exc.strerror or exc})")
            return
        with stream:
            framer = _Framer(stream, size)
            for item in framer:
                self.stats.bytes_read = done + framer.position
                if isinstance(item, _Bad):
                    self._skip(name, item.offset, item.reason)
                    continue
                self.stats.records += 1
                kind = item.headers.get("warc-type", "").lower()
                if kind == "response":
                    record = self._response(path, name, item)
                elif kind == "revisit":
                    outcome = self._revisit(path, name, item, final=False)
                    if outcome is _DEFER:
                        deferred.append((path, name, item))
                    record = outcome if isinstance(outcome, ReadRecord) else None
                else:
                    continue
                if record is not None:
                    yield self._counted(record)

    def _counted(self, record: ReadRecord) -> ReadRecord:
        self.stats.responses += 1
        self.stats.revisits += record.capture.record_type == "revisit"
        return record

    # -- checks --------------------------------------------------------------------------------
    def _block_ok(self, name: str, raw: _Raw) -> bool:
        declared = raw.headers.get("warc-block-digest")
        if not self.verify_digests or not declared or not raw.complete:
            return True
        if _digest_matches(declared, raw.block) is False:
            if raw.headers.get("warc-type") == "revisit" and _digest_matches(declared, b""):
                # wget (1.21 at least) stamps revisit records with the digest of an empty block
                # while storing the HTTP headers in it: a known quirk, not damage.
                return True
            self._skip(name, raw.offset, "wrong WARC-Block-Digest")
            return False
        return True

    def _payload_ok(self, name: str, raw: _Raw, http: _Http) -> bool:
        declared = raw.headers.get("warc-payload-digest")
        if not self.verify_digests or not declared or not raw.complete:
            return True
        if "warc-block-digest" in raw.headers:
            # Checked already, and it covers every byte of the payload: hashing the payload again
            # would cost a third of the reading time to catch only a writer's arithmetic.
            return True
        verdict = _digest_matches(declared, http.body)
        if verdict is False:
            # Tools disagree on whether the payload digest covers the chunked framing: accept either.
            with contextlib.suppress(ValueError):
                verdict = _digest_matches(declared, dechunk(http.body))
        if verdict is False:
            self._skip(name, raw.offset, "wrong WARC-Payload-Digest")
            return False
        return True

    @staticmethod
    def _is_http(raw: _Raw) -> bool:
        content_type = raw.headers.get("content-type", "").lower()
        # Some writers leave the type out; the status line decides then.
        return "application/http" in content_type or not content_type

    def _selected(self, raw: _Raw) -> bool:
        if self.select is None:
            return True
        url = _unbracket(raw.headers.get("warc-target-uri"))
        fetched_at = parse_warc_date(raw.headers.get("warc-date"))
        if url and fetched_at and not self.select(url, fetched_at):
            self.stats.filtered += 1
            return False
        return True

    def _capture(
        self, name: str, raw: _Raw, http: _Http, *, record_type: str, content_length: int | None
    ) -> Capture | None:
        url = _unbracket(raw.headers.get("warc-target-uri"))
        fetched_at = parse_warc_date(raw.headers.get("warc-date"))
        record_id = raw.headers.get("warc-record-id")
        if not url or fetched_at is None or not record_id:
            self._skip(name, raw.offset, "record lacks WARC-Target-URI, WARC-Date or WARC-Record-ID")
            return None
        return Capture(
            url=url,
            status=http.status,
            fetched_at=fetched_at,
            warc_file=name,
            warc_offset=raw.offset,
            warc_length=raw.length,
            warc_record_id=record_id,
            record_type=record_type,
            content_type=_first(http.headers, "Content-Type"),
            content_length=content_length,
            payload_digest=raw.headers.get("warc-payload-digest"),
            ip_address=raw.headers.get("warc-ip-address"),
            etag=_first(http.headers, "ETag"),
            last_modified=_first(http.headers, "Last-Modified"),
        )

    def _decoded(
        self, name: str, raw: _Raw, capture: Capture, source: _Http, headers: dict[str, str], path: Path
    ) -> ReadRecord | None:
        if not self.want_payload(capture.status, capture.content_type):
            return ReadRecord(capture, None, headers, path)
        try:
            payload, _ = decode_payload(source)
        except (ValueError, zlib.error, ImportError) as exc:
            self._skip(name, raw.offset, str(exc))
            return None
        return ReadRecord(
            capture, payload, {k: v for k, v in headers.items() if k.lower() not in _DROP_AFTER_DECODING}, path
        )

    # -- record types --------------------------------------------------------------------------
    def _response(self, path: Path, name: str, raw: _Raw) -> ReadRecord | None:
        if not self._is_http(raw) or not self._block_ok(name, raw):
            return None
        http = _parse_http(raw.block)
        if http is None:
            if raw.block_length:
                self._skip(name, raw.offset, "response record without an HTTP status line")
            return None
        if not self._payload_ok(name, raw, http):
            return None
        body_length = len(http.body) + (raw.block_length - len(raw.block))
        capture = self._capture(name, raw, http, record_type="response", content_length=body_length)
        if capture is None:
            return None
        if raw.complete and wants_html_ok(capture.status, capture.content_type):
            target = _Target(path, raw.offset)
            self._by_id[capture.warc_record_id] = target
            if capture.payload_digest:
                self._by_digest.setdefault(capture.payload_digest, target)
            self._by_uri_date[(capture.url, raw.headers.get("warc-date", ""))] = target
        if not self._selected(raw):
            return None
        if not raw.complete:
            logger.info("%s at offset %d: %d-byte record not decoded", name, raw.offset, raw.block_length)
            return ReadRecord(capture, None, _header_dict(http.headers), path)
        return self._decoded(name, raw, capture, http, _header_dict(http.headers), path)

    def _revisit(self, path: Path, name: str, raw: _Raw, *, final: bool) -> ReadRecord | _Deferred | None:
        if not self._is_http(raw) or not raw.complete:
            return None
        if not final and (not self._block_ok(name, raw) or not self._selected(raw)):
            return None
        http = _parse_http(raw.block) if raw.block.strip() else None
        if http is not None and not self.want_payload(http.status, _first(http.headers, "Content-Type")):
            # Nothing to extract (a 304 "server-not-modified" revisit, an image, a feed): the
            # capture is all there is to store, the original need not be found.
            capture = self._capture(name, raw, http, record_type="revisit", content_length=None)
            return ReadRecord(capture, None, _header_dict(http.headers), path) if capture else None
        original = self._find_original(raw)
        if original is None and not final:
            return _DEFER
        if original is None:
            original = self._resolve_stored(raw)
        if original is None:
            self._skip(name, raw.offset, "revisit whose original record was not found")
            return None
        try:
            source = self._load_original(original)
        except _Bad as bad:
            self._skip(name, raw.offset, f"revisit whose original is unusable ({original.path}: {bad.reason})")
            return None
        # The payload is the original's; status and headers are the revisit's when it has them.
        headers = http.headers if http is not None and http.headers else source.headers
        merged = _Http(http.status if http is not None else source.status, headers, source.body)
        capture = self._capture(name, raw, merged, record_type="revisit", content_length=len(source.body))
        if capture is None:
            return None
        # Codings are undone as the original declared them: the bytes are the original's.
        return self._decoded(name, raw, capture, source, _header_dict(headers), path)

    def _find_original(self, raw: _Raw) -> _Target | None:
        headers = raw.headers
        refers_to = headers.get("warc-refers-to")
        if refers_to and refers_to in self._by_id:
            return self._by_id[refers_to]
        digest = headers.get("warc-payload-digest")
        if digest and digest in self._by_digest:
            return self._by_digest[digest]
        uri = _unbracket(headers.get("warc-refers-to-target-uri"))
        date = headers.get("warc-refers-to-date")
        if uri and date:
            return self._by_uri_date.get((uri, date))
        return None

    def _resolve_stored(self, raw: _Raw) -> _Target | None:
        digest = raw.headers.get("warc-payload-digest")
        if not digest or self.resolve_digest is None:
            return None
        found = self.resolve_digest(digest)
        if found is None:
            return None
        warc_file, offset = found
        return _Target(locate(warc_file, self.warc_dir), offset)

    def _load_original(self, target: _Target, hops: int = 0) -> _Http:
        try:
            raw = read_record_at(target.path, target.offset)
        except OSError as exc:
            raise _Bad(target.offset, f"cannot read ({exc.strerror or exc})") from None
        kind = raw.headers.get("warc-type", "").lower()
        if not raw.complete:
            raise _Bad(target.offset, "original record too large")
        if kind == "revisit" and hops < _MAX_REVISIT_HOPS:
            nested = self._find_original(raw) or self._resolve_stored(raw)
            if nested is None:
                raise _Bad(target.offset, "original is itself a revisit that cannot be followed")
            return self._load_original(nested, hops + 1)
        if kind != "response":
            raise _Bad(target.offset, f"original is a {kind or 'typeless'} record")
        declared = raw.headers.get("warc-block-digest")
        if self.verify_digests and declared and _digest_matches(declared, raw.block) is False:
            raise _Bad(target.offset, "wrong WARC-Block-Digest")
        http = _parse_http(raw.block)
        if http is None:
            raise _Bad(target.offset, "original has no HTTP status line")
        return http


def _header_dict(pairs: list[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in pairs:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers
