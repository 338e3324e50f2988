"""WARC framing: the records of a file as stored, and the stretches of it that hold none.

Reads one gzip member per record, or uncompressed records one after another, and yields each as a
:class:`RawRecord` (WARC headers and block, with its offset and stored length) or, for bad input,
a :class:`BadStretch`: a truncated or corrupt gzip member, or an uncompressed record with a wrong
``Content-Length``, costs that one record, and reading resumes at the next record that parses.
Nothing above this module knows whether a file is compressed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import re
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO

from archive.warc.arc import ARC_LINE, ARC_VERSION, arc_headers, starts_arc

# Members are inflated by zlib-ng when it is installed (a dependency, for the writer's gzip): the
# same bytes out at about half zlib's CPU (0.40 against 0.75 ms for the 62 KB member of a 325 KB
# page), the largest part of reading a record.
_inflating: ModuleType
try:
    from zlib_ng import zlib_ng as _inflating
except ImportError:  # pragma: no cover - as archive/warc/compression.py, zlib then
    _inflating = zlib
_INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error, _inflating.error)

GZIP_MAGIC = b"\x1f\x8b\x08"
# Records bigger than this are not kept in memory: their capture is made from the headers, their
# digests go unchecked and their payload is not extracted (extraction refuses 15 MB pages anyway).
MAX_BLOCK = 32 * 1024 * 1024
_CHUNK = 256 * 1024
_RESYNC_WINDOW = 4 * 1024 * 1024
_HEAD_KEEP = 65536  # of an oversized record, enough to read its HTTP headers
_UNBOUNDED = sys.maxsize  # the size of a stream whose size is not known before it is read


@dataclass(slots=True)
class RawRecord:
    """One record as framed in its file: WARC headers (lower-case names) and block."""

    offset: int
    length: int
    version: str
    headers: dict[str, str]
    block: bytes  # the whole block, or its first bytes when ``complete`` is false
    block_length: int
    complete: bool = True  # false for records over MAX_BLOCK: digests unchecked, payload not kept
    trailer: int = 0  # uncompressed files: bytes of the record's closing CRLFs, not in ``length``


def is_truncated(raw: RawRecord) -> bool:
    """Whether the record's writer cut its block short (``WARC-Truncated``: length, time,
    disconnect, unspecified): what it holds is not the whole answer, and is never read as one."""
    return "warc-truncated" in raw.headers


class BadStretch(Exception):
    """A record (or a stretch of a file) that cannot be read, at *offset*, and why.

    Raised while framing, and yielded by :class:`Framer` in place of the records it cost."""

    def __init__(self, offset: int, reason: str, resume_at: int | None = None) -> None:
        super().__init__(reason)
        self.offset = offset
        self.reason = reason
        self.resume_at = resume_at


def parse_warc_head(head: bytes) -> tuple[str, dict[str, str]]:
    """The version and headers (lower-case names, first value kept) of a record's head;
    ``ValueError`` when it is no WARC head."""
    lines = head.decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
    # Upper case by the spec; some writers (and hand-made files) write "warc/1.0", which warcio reads.
    version = lines[0].strip().upper()
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
    length = headers.get("content-length")
    if length is None:
        raise ValueError("no Content-Length")
    # int() would take "-5", "+5", "1_000" and non-ASCII digits: a negative length reads the rest
    # of the file, and no other WARC tool would frame the record the same way.
    if not (length.isascii() and length.isdigit()):
        raise ValueError(f"Content-Length {length[:40]!r} is not a number")
    return version, headers


# The blank line that ends a head: CRLF CRLF by the spec; bare LFs (old tools) and CR CR LF (a
# writer that added CR to lines already ending in CRLF) are read as warcio reads them.
_BLANK_LINE = re.compile(rb"\r?\n\r*\n")


def split_head(data: bytes) -> tuple[bytes, int] | None:
    """(head, index where the block starts) of a record starting at data[0]."""
    end = _BLANK_LINE.search(data)
    return (data[: end.start()], end.end()) if end is not None else None


def _arc_record(offset: int, line: bytes, block: bytes, complete: bool) -> RawRecord:
    """The ARC record whose header *line* (its newline included) is followed by *block* (the
    whole block, or its first bytes when not *complete*)."""
    try:
        headers = arc_headers(line, offset, block[:8])
    except ValueError as exc:
        raise BadStretch(offset, f"not an ARC record ({exc})") from None
    block_length = int(headers["content-length"])
    if complete and len(block) < block_length:
        raise BadStretch(offset, f"record truncated ({len(block)} of {block_length} block bytes)")
    return RawRecord(
        offset, len(line) + block_length, ARC_VERSION, headers, block[:block_length], block_length, complete=complete
    )


def _record_from_member(offset: int, length: int, data: bytes, complete: bool) -> RawRecord:
    if not data[:5].upper().startswith(b"WARC/") and starts_arc(data):
        line_end = data.find(b"\n") + 1
        raw = _arc_record(offset, data[:line_end], data[line_end:], complete)
        raw.length = length
        return raw
    split = split_head(data)
    if split is None:
        raise BadStretch(offset, "gzip member holds no WARC record header")
    head, start = split
    try:
        version, headers = parse_warc_head(head)
        block_length = int(headers["content-length"])
    except ValueError as exc:
        raise BadStretch(offset, f"not a WARC record ({exc})") from None
    if complete:
        block = data[start : start + block_length]
        if len(block) < block_length:
            raise BadStretch(offset, f"record truncated ({len(block)} of {block_length} block bytes)")
        trailer = data[start + block_length :]
        if trailer.strip(b"\r\n") and trailer.lstrip(b"\r\n").startswith(b"WARC/"):
            raise BadStretch(offset, "several records in one gzip member (recompress one record per member)")
        return RawRecord(offset, length, version, headers, block, block_length)
    return RawRecord(offset, length, version, headers, data[start:], block_length, complete=False)


def _record_end(data: bytes) -> int | None:
    """Where the record starting at data[0] ends (its closing CRLFs not included), when its head
    is in *data*; ``None`` otherwise."""
    split = split_head(data)
    if split is None:
        return None
    try:
        _, headers = parse_warc_head(split[0])
    except ValueError:
        return None
    return split[1] + int(headers["content-length"])


def _head(parts: list[bytes], size: int) -> bytes:
    """The first *size* bytes of *parts* joined, joining no more of them than that takes."""
    head = bytearray()
    for part in parts:
        if len(head) >= size:
            break
        head += part
    return bytes(head[:size])


class _Inflation:
    """One gzip member inflated from *stream*, *data* being its first bytes already read."""

    def __init__(self, stream: IO[bytes], data: bytes) -> None:
        self.stream = stream
        self.inflater = _inflating.decompressobj(zlib.MAX_WBITS | 16)
        self.data = data
        self.fed = len(data)  # compressed bytes given to the inflater

    @property
    def leftover(self) -> bytes:
        """What was read past the member's end: the start of the next one."""
        return self.inflater.unused_data

    @property
    def consumed(self) -> int:
        return self.fed - len(self.leftover)

    def chunks(self, offset: int) -> Iterator[bytes]:
        """The member's inflated bytes, at most _CHUNK at a time: a member of a few kilobytes that
        inflates to gigabytes (a bomb in a foreign WARC) then costs one step's output at a time,
        never a whole input chunk's inflation at once."""
        inflater, data = self.inflater, self.data
        while True:
            try:
                out = inflater.decompress(data, _CHUNK)
                # A full step may leave output pending even when all the input was taken in.
                while not inflater.eof and (inflater.unconsumed_tail or len(out) == _CHUNK):
                    yield out
                    out = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
            except _INFLATE_ERRORS as exc:
                raise BadStretch(offset, f"corrupt gzip member ({exc})") from None
            yield out
            if inflater.eof:
                return
            data = self.stream.read(_CHUNK)
            if not data:
                raise BadStretch(offset, "truncated gzip member (file ends inside it)")
            self.fed += len(data)


class Framer:
    """Iterates the records of one file, raising nothing: bad stretches become ``BadStretch`` items.

    *compressed* says how the file is framed when its first bytes cannot (they are damaged);
    ``None``: by those bytes, and a file that starts with neither is no WARC file."""

    def __init__(self, stream: IO[bytes], size: int, compressed: bool | None = None, start: int = 0) -> None:
        self.stream = stream
        self.size = size
        self.position = 0
        self.compressed = compressed
        self.start = start  # the offset of a record to read from (the reader's look past a page)
        # Read as one gzip stream: the records' offsets are in the inflated stream (gzipped_whole).
        self.gzipped_whole = False

    def __iter__(self) -> Iterator[RawRecord | BadStretch]:
        start = self.stream.read(8)
        self.stream.seek(0)
        if start.startswith(GZIP_MAGIC[:2]) and self.compressed is None and self.whole_file_gzip():
            # No member to seek to: the stream is inflated from its start, the records before skipped.
            self.gzipped_whole = True
            yield from (item for item in self._whole_file_records() if item.offset >= self.start)
        elif start.startswith(GZIP_MAGIC[:2]) or (self.compressed and not start.startswith(b"WARC/")):
            yield from self._gzip_records()
        elif start.upper().startswith(b"WARC/") or starts_arc(self.stream.read(4096)) or self.compressed is False:
            yield from self._plain_records()
        else:
            self.position = self.size
            yield BadStretch(0, "not a WARC file")

    # gzip: the whole file one stream ---------------------------------------------------------
    def whole_file_gzip(self) -> bool:
        """Whether the file's first gzip member holds more than one record: the whole file
        gzipped as one stream (``gzip crawl.warc``), not one member per record. Inflates the
        first record once more, keeping its head only."""
        self.stream.seek(0)
        member = _Inflation(self.stream, self.stream.read(_CHUNK))
        head = bytearray()  # the member's first bytes, until they hold the first record's head
        record_end: int | None = None
        inflated = 0  # bytes of the member before ``out``
        following = bytearray()  # the first bytes after the first record, its CRLFs stripped
        try:
            for out in member.chunks(0):
                if record_end is None:
                    head += out
                    record_end = _record_end(bytes(head[:_HEAD_KEEP]))
                    if record_end is None:
                        if len(head) > _HEAD_KEEP:
                            return False  # no record head: reading member by member reports it
                        continue
                    out, inflated = bytes(head), 0
                if inflated + len(out) > record_end:
                    following += out[max(0, record_end - inflated) :][:64]
                    stripped = bytes(following).lstrip(b"\r\n")
                    if len(stripped) >= 5:
                        return stripped[:5].upper() == b"WARC/"
                inflated += len(out)
        except BadStretch:
            return False
        finally:
            self.stream.seek(0)
        return False

    def _whole_file_records(self) -> Iterator[RawRecord | BadStretch]:
        """The records of a file gzipped whole, read as one uncompressed stream, never held whole:
        offsets are positions in the inflated stream (``read_record_at`` takes them so)."""
        inflated = gzip.GzipFile(fileobj=self.stream, mode="rb")
        inner = Framer(inflated, _UNBOUNDED, compressed=False)  # type: ignore[arg-type]
        try:
            for item in inner:
                self.position = min(self.stream.tell(), self.size)
                yield item
        except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
            yield BadStretch(inner.position, f"corrupt or truncated gzip stream; the rest of the file is lost ({exc})")
        self.position = self.size

    # gzip: one record per member -------------------------------------------------------------
    def _gzip_records(self) -> Iterator[RawRecord | BadStretch]:
        offset = self.start
        self.stream.seek(offset)
        pending = b""  # bytes read past the end of the previous member
        while offset < self.size:
            try:
                raw, consumed, pending = self._member(offset, pending)
            except BadStretch as bad:
                yield bad
                resume = self.resync_gzip(offset + 1)
                if resume is None:
                    self.position = self.size
                    return
                offset, pending = resume, b""
                self.stream.seek(offset)
                continue
            if raw is None and not consumed:  # trailing padding
                self.position = self.size
                return
            self.position = offset + consumed
            if raw is not None:  # else an empty member: padding (`newsarchive warc recover` fills damage so)
                yield raw
            offset += consumed

    def _member(self, offset: int, pending: bytes) -> tuple[RawRecord | None, int, bytes]:
        """(record, compressed length, bytes read past it) of the member at *offset*; no record
        for padding (length 0) or an empty member."""
        data = pending
        while len(data) < 16:
            more = self.stream.read(_CHUNK)
            if not more:
                break
            data += more
        if not data.strip(b"\x00\r\n\t "):
            return None, 0, b""  # end of file, or padding after the last member
        if not data.startswith(GZIP_MAGIC):
            raise BadStretch(offset, "not a gzip member where a record should start")
        member = _Inflation(self.stream, data)
        parts: list[bytes] = []
        kept = 0
        complete = True
        for out in member.chunks(offset):
            if not complete:
                continue
            if kept + len(out) > MAX_BLOCK + _HEAD_KEEP:
                # Keep the head (enough for the headers); drop the rest of a huge record.
                complete = False
                parts = [_head([*parts, out], _HEAD_KEEP)]
            else:
                parts.append(out)
                kept += len(out)
        consumed = member.consumed
        content = b"".join(parts)
        if not content:
            return None, consumed, member.leftover  # an empty member: recover's filler for a damaged stretch
        return _record_from_member(offset, consumed, content, complete), consumed, member.leftover

    def resync_gzip(self, start: int) -> int | None:
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
        return head.upper().startswith(b"WARC/")

    # uncompressed ----------------------------------------------------------------------------
    def _plain_records(self) -> Iterator[RawRecord | BadStretch]:
        stream = self.stream
        offset = self.start
        while offset < self.size:
            stream.seek(offset)
            try:
                raw = self._plain_record(offset)
            except BadStretch as bad:
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

    def _plain_record(self, offset: int) -> RawRecord | None:
        stream = self.stream
        first = stream.readline()
        while first and not first.strip(b"\r\n"):  # tolerate extra blank lines between records
            offset += len(first)
            first = stream.readline()
        if not first:
            return None
        if starts_arc(first):
            return self._plain_arc_record(offset, first)
        if not first.upper().startswith(b"WARC/"):
            raise BadStretch(offset, "no WARC record where one should start")
        lines = [first]
        while True:
            line = stream.readline()
            if not line:
                raise BadStretch(offset, "truncated record (file ends in its headers)")
            if not line.strip(b"\r\n"):
                break
            lines.append(line)
        head_length = sum(map(len, lines)) + len(line)
        try:
            version, headers = parse_warc_head(b"".join(lines))
            block_length = int(headers["content-length"])
        except ValueError as exc:
            raise BadStretch(offset, f"not a WARC record ({exc})") from None
        if offset + head_length + block_length > self.size:
            raise BadStretch(offset, "record truncated (file ends inside its block)")
        complete = block_length <= MAX_BLOCK
        if complete:
            block = stream.read(block_length)
        else:
            block = stream.read(_HEAD_KEEP)
            stream.seek(offset + head_length + block_length)
        if (len(block) if complete else stream.tell() - offset - head_length) < block_length:
            # A stream of unknown size (a gzip stream) ends early: the check above cannot see it.
            raise BadStretch(offset, "record truncated (file ends inside its block)")
        trailer = stream.read(4)
        # Two CRLFs by the spec; one (node-warc), bare LFs or none are read as warcio reads them,
        # as long as the next record (or the end of the file) follows.
        trailer_length = len(trailer) - len(trailer.lstrip(b"\r\n"))
        following = trailer[trailer_length:].upper()
        if following and not b"WARC/".startswith(following):
            # The next record does not start where Content-Length says: the length (or the file)
            # is damaged, so this record's block cannot be trusted either.
            raise BadStretch(offset, "record does not end where its Content-Length says")
        # The length leaves the two closing CRLFs out, as warcio (and so its CDX indexes) counts it.
        raw = RawRecord(offset, head_length + block_length, version, headers, block, block_length, complete=complete)
        raw.trailer = trailer_length
        return raw

    def _plain_arc_record(self, offset: int, line: bytes) -> RawRecord:
        try:
            block_length = int(arc_headers(line, offset, b"")["content-length"])
        except ValueError as exc:
            raise BadStretch(offset, f"not an ARC record ({exc})") from None
        if offset + len(line) + block_length > self.size:
            raise BadStretch(offset, "record truncated (file ends inside its block)")
        complete = block_length <= MAX_BLOCK
        block = self.stream.read(block_length if complete else _HEAD_KEEP)
        self.stream.seek(offset + len(line) + block_length)
        raw = _arc_record(offset, line, block, complete)
        following = self.stream.read(2)
        raw.trailer = len(following) - len(following.lstrip(b"\r\n"))  # one newline by the spec
        return raw

    def _resync_plain(self, start: int) -> int | None:
        position = start
        while position < self.size:
            self.stream.seek(position)
            window = self.stream.read(_RESYNC_WINDOW + 8)
            if not window:
                return None
            index = window.find(b"\nWARC/1.")
            arc = ARC_LINE.search(window)  # an ARC file's next header line
            while arc is not None and arc.start() and window[arc.start() - 1 : arc.start()] != b"\n":
                arc = ARC_LINE.search(window, arc.start() + 1)
            if arc is not None and (index < 0 or arc.start() < index):
                return position + arc.start()
            if index >= 0:
                return position + index + 1
            position += max(1, len(window) - 8)
        return None


def gzipped_whole(path: Path) -> bool:
    """Whether *path* is a WARC gzipped whole (``gzip crawl.warc``): one gzip stream over its
    records, no member of a record's own, so the offsets the reader gives its records are offsets
    in the inflated stream, which only this reader reads back (``addressed``)."""
    with path.open("rb") as stream:
        return _gzipped_whole(stream, path.stat().st_size)


def _gzipped_whole(stream: IO[bytes], size: int) -> bool:
    stream.seek(0)
    whole = stream.read(3) == GZIP_MAGIC and Framer(stream, size).whole_file_gzip()
    stream.seek(0)
    return whole


def recompress_hint(name: str) -> str:
    """What a replay tool needs of a WARC gzipped whole, and the command that makes it."""
    stem = name.removesuffix(".gz").removesuffix(".warc")
    return (
        "gzipped whole, one gzip stream over all its records: replay tools (pywb, ReplayWeb.page) seek to"
        f" a record's own gzip member and it has none; `warcio recompress {name} {stem}-recompressed.warc.gz`"
        " writes it one record per member: keep that file in its place"
    )


def addressed(stream: IO[bytes], size: int) -> IO[bytes]:
    """The stream the reader's offsets of a file's records are positions in: *stream* (the file,
    *size* bytes) itself, or for a WARC gzipped whole its inflated stream (seeking it inflates up
    to the offset)."""
    if not _gzipped_whole(stream, size):
        return stream
    return gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[return-value]


def read_record_at(path: Path, offset: int) -> RawRecord:
    """The record at *offset* of *path* (compressed or not); raises ``BadStretch`` when unusable."""
    size = path.stat().st_size
    if offset < 0:
        raise BadStretch(offset, "negative offset")
    with path.open("rb") as stream:
        framer = Framer(stream, size)
        inflated = addressed(stream, size)
        if inflated is not stream:
            # An offset in the inflated stream: inflated up to it (seeking a gzip stream reads it).
            try:
                inflated.seek(offset)
                raw = Framer(inflated, _UNBOUNDED)._plain_record(offset)  # type: ignore[arg-type]
            except (OSError, EOFError, zlib.error) as exc:
                raise BadStretch(offset, f"corrupt or truncated gzip stream ({exc})") from None
            if raw is None:
                raise BadStretch(offset, "no record at this offset")
            return raw
        if offset >= size:  # an offset from the database, not from this file
            raise BadStretch(offset, f"offset outside the file ({size} bytes)")
        stream.seek(offset)
        magic = stream.read(3)
        stream.seek(offset)
        if magic == GZIP_MAGIC:
            raw, _, _ = framer._member(offset, b"")
        else:
            raw = framer._plain_record(offset)
    if raw is None:
        raise BadStretch(offset, "no record at this offset")
    return raw


# ClueWeb09's writer put the day of the year where the day of the month goes: 2008-10-294T05:21:46-0700.
_DAY_OF_YEAR = re.compile(r"(\d{4})-\d{2}-(\d{3})(T.*)")


def parse_warc_date(value: str | None) -> dt.datetime | None:
    """A ``WARC-Date`` as an aware UTC datetime (naive values taken as UTC); ``None`` if unusable."""
    if not value:
        return None
    value = value.strip()
    quirk = _DAY_OF_YEAR.fullmatch(value)
    if quirk is not None:
        with contextlib.suppress(ValueError):
            day = dt.date(int(quirk[1]), 1, 1) + dt.timedelta(days=int(quirk[2]) - 1)
            value = day.isoformat() + quirk[3]
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC)
    except (ValueError, OverflowError):  # "0001-01-01T00:00:00+01:00" is before year 1 in UTC
        return None


def unbracket(value: str | None) -> str | None:
    """A URI header's value without the angle brackets some writers put around it."""
    # WARC 1.0's grammar put URIs in angle brackets and some writers followed it.
    return value.strip().removeprefix("<").removesuffix(">") if value else value
