"""Recover WARC files left ``.open`` by a crawl that died (SIGKILL, power loss, full disk).

Nothing of the original is removed. A file whose records are all whole is only renamed to its
final name, the one the database already refers to. Otherwise the repaired copy is written beside
it under that name, and the original keeps every byte under ``<final name>.damaged``:

* every whole record is kept **at its offset**, so the ``(warc_file, warc_offset)`` of each capture
  the crawl stored still points at its record;
* a damaged stretch (a corrupt member, zeros a power loss left, garbage) is skipped as the reader
  skips it (:mod:`archive.warc.framing`'s resync) and replaced by filler of the same length that
  every WARC reader passes over: an empty gzip member (its header comment padded) in a ``.warc.gz``,
  blank lines or a ``metadata`` record in an uncompressed ``.warc``;
* what follows the last whole record (a record cut short by the kill) is left out.

A gzip member may hold several records (whole-file gzip): they are counted one by one.

A file a live process still writes is refused: the writer holds an exclusive ``flock`` on its
``.open`` file until it has renamed it (archive/warc/writer.py), and a crawl that dies, however it
dies, loses the lock with its process. On NFS Linux maps ``flock`` to NFS locks, so this holds for
workers on other machines writing into a shared WARC directory too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import stat
import struct
import tempfile
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import IO

from archive.warc.framing import GZIP_MAGIC, MAX_BLOCK, Framer, RawRecord
from archive.warc.writer import OPEN_SUFFIX

logger = logging.getLogger(__name__)

DAMAGED_SUFFIX = ".damaged"
_CHUNK = 1 << 20
_EMPTY_MEMBER = 20  # gzip header (10) + an empty final deflate block (2) + CRC and size (8)


class StillOpen(Exception):
    """The ``.open`` file is held by a live process (a running crawl): not touched."""


class NothingToRecover(Exception):
    """The file holds no whole WARC record (not a WARC file, or damaged from its first byte)."""


@dataclass(frozen=True, slots=True)
class Recovery:
    path: Path  # the final name
    records: int  # whole records kept
    kept_bytes: int
    dropped_bytes: int  # replaced by filler, or cut off after the last whole record
    damaged: Path | None = None  # the original, every byte of it, when anything was dropped


@dataclass(frozen=True, slots=True)
class _Span:
    """Bytes of the file holding whole records, kept as they are."""

    start: int
    end: int
    records: int


# -- spans of whole records ----------------------------------------------------------------------
def _records_in(content: IO[bytes], size: int) -> int | None:
    """How many WARC records an inflated member holds; ``None`` unless they are all whole."""
    if size == 0:
        return 0  # an empty member: padding, or the filler of an earlier recovery
    count = 0
    content.seek(0)
    for item in Framer(content, size, compressed=False):
        if not isinstance(item, RawRecord):
            return None
        count += 1
    return count


def _whole_member(stream: IO[bytes], offset: int) -> tuple[int, int] | None:
    """(length, records) of the gzip member at *offset* when it is whole (its CRC checks) and
    holds whole WARC records only; ``None`` otherwise. Inflates in bounded memory."""
    stream.seek(offset)
    if stream.read(len(GZIP_MAGIC)) != GZIP_MAGIC:
        return None
    stream.seek(offset)
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    fed = 0
    with tempfile.SpooledTemporaryFile(max_size=MAX_BLOCK) as content:
        while not inflater.eof:
            data = inflater.unconsumed_tail
            if not data:
                data = stream.read(_CHUNK)
                if not data:
                    return None  # the file ends inside the member
                fed += len(data)
            try:
                content.write(inflater.decompress(data, _CHUNK))
            except zlib.error:
                return None
        records = _records_in(content, content.tell())
    return None if records is None else (fed - len(inflater.unused_data), records)


def _gzip_spans(stream: IO[bytes], size: int) -> Iterator[_Span]:
    framer = Framer(stream, size, compressed=True)
    offset = 0
    while offset < size:
        member = _whole_member(stream, offset)
        if member is not None:
            length, records = member
            yield _Span(offset, offset + length, records)
            offset += length
            continue
        resume = framer.resync_gzip(offset + 1)
        if resume is None:
            return
        offset = resume


def _plain_spans(stream: IO[bytes], size: int) -> Iterator[_Span]:
    for item in Framer(stream, size, compressed=False):
        if isinstance(item, RawRecord):
            yield _Span(item.offset, item.offset + item.length + item.trailer, 1)


def _is_gzip(stream: IO[bytes], name: str) -> bool:
    stream.seek(0)
    start = stream.read(8)
    if start.startswith(GZIP_MAGIC[:2]):
        return True
    # Damaged from its first byte: the name says how it was written.
    return not start.startswith(b"WARC/") and name.removesuffix(OPEN_SUFFIX).endswith(".gz")


# -- filler --------------------------------------------------------------------------------------
def _gzip_filler(length: int) -> bytes | None:
    """An empty gzip member of exactly *length* bytes, its header comment saying what it stands for."""
    if length < _EMPTY_MEMBER:
        return None
    flags, comment = 0, b""
    if length > _EMPTY_MEMBER:
        note = f"newsarchive warc recover: {length} damaged bytes replaced ".encode()
        text = (note * (length // len(note) + 1))[: length - _EMPTY_MEMBER - 1]
        flags, comment = 0x10, text + b"\0"  # FCOMMENT: zero-terminated, ignored by readers
    header = GZIP_MAGIC + bytes([flags]) + b"\0\0\0\0\0\xff"
    return header + comment + b"\x03\x00" + struct.pack("<II", 0, 0)


def _plain_filler(length: int) -> bytes:
    """A ``metadata`` record of exactly *length* bytes saying what it stands for, or blank lines
    (which readers pass over between records) when no record fits."""
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    head = (
        f"WARC/1.1\r\nWARC-Type: metadata\r\nWARC-Record-ID: <urn:uuid:{uuid.uuid4()}>\r\nWARC-Date: {date}\r\n"
        "Content-Type: text/plain\r\nContent-Length: {}\r\n\r\n"
    )
    note = f"newsarchive warc recover: {length} damaged bytes replaced"
    for digits in range(1, 13):
        block = length - (len(head) - 2 + digits) - 4
        if block >= len(note) and len(str(block)) == digits:
            return (head.format(block) + note.ljust(block) + "\r\n\r\n").encode("ascii")
    return b"\n" * length


# -- the repair ----------------------------------------------------------------------------------
def _copy(source: IO[bytes], out: IO[bytes], start: int, end: int) -> None:
    source.seek(start)
    while start < end:
        data = source.read(min(_CHUNK, end - start))
        if not data:
            raise OSError(f"the file shrank while it was read (at byte {start})")
        out.write(data)
        start += len(data)


def _write_repaired(source: IO[bytes], spans: list[_Span], compressed: bool, out: IO[bytes]) -> tuple[int, int]:
    """Write the whole records at their offsets, filler between them; (records, bytes kept)."""
    position = records = kept = 0
    for span in spans:
        if span.start > position:
            gap = span.start - position
            filler = _gzip_filler(gap) if compressed else _plain_filler(gap)
            if filler is None:
                continue  # a gap too short for any filler: this span's records go with it
            out.write(filler)
        _copy(source, out, span.start, span.end)
        position, records, kept = span.end, records + span.records, kept + span.end - span.start
    return records, kept


@contextlib.contextmanager
def _held(open_path: Path) -> Iterator[IO[bytes]]:
    """*open_path*, opened and locked as its writer locks it; ``StillOpen`` if a writer holds it."""
    with open_path.open("rb") as stream:
        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StillOpen(f"{open_path.name} is still being written by a running process") from None
        if os.stat(open_path).st_ino != os.fstat(stream.fileno()).st_ino:
            raise StillOpen(f"{open_path.name} was renamed by its writer meanwhile")
        yield stream


def recover(open_path: Path) -> Recovery:
    """Give *open_path* its final name, repaired beside the original if anything in it is damaged."""
    if not open_path.name.endswith(OPEN_SUFFIX):
        raise ValueError(f"{open_path} is not an .open WARC file")
    final = open_path.with_name(open_path.name[: -len(OPEN_SUFFIX)])
    damaged = final.with_name(final.name + DAMAGED_SUFFIX)
    with _held(open_path) as stream:
        for taken in (final, damaged):
            if taken.exists():
                raise FileExistsError(f"{taken} exists already; not overwriting it")
        size = os.fstat(stream.fileno()).st_size
        compressed = _is_gzip(stream, open_path.name)
        spans = list((_gzip_spans if compressed else _plain_spans)(stream, size))
        if not any(span.records for span in spans):
            raise NothingToRecover(f"{open_path.name} holds no whole WARC record; left as it is")
        whole = spans[0].start == 0 and spans[-1].end == size and all(a.end == b.start for a, b in pairwise(spans))
        if whole:
            os.replace(open_path, final)
            result = Recovery(final, sum(s.records for s in spans), size, 0)
        else:
            result = _repair(stream, spans, compressed, open_path, final, damaged, size)
    logger.info("recovered %s: %d records kept, %d bytes dropped", final.name, result.records, result.dropped_bytes)
    return result


def _repair(
    stream: IO[bytes], spans: list[_Span], compressed: bool, open_path: Path, final: Path, damaged: Path, size: int
) -> Recovery:
    with tempfile.NamedTemporaryFile(dir=final.parent, prefix=f".{final.name}.", delete=False) as out:
        try:
            records, kept = _write_repaired(stream, spans, compressed, out)
            os.chmod(out.name, stat.S_IMODE(os.fstat(stream.fileno()).st_mode))  # not the temporary file's 0600
            out.flush()
            os.fsync(out.fileno())
        except BaseException:
            os.unlink(out.name)
            raise
    # The repaired file takes the final name before the original leaves its own: a crash between
    # the two leaves both, and nothing lost.
    os.replace(out.name, final)
    os.replace(open_path, damaged)
    return Recovery(final, records, kept, size - kept, damaged)


def open_files(directory: Path) -> list[Path]:
    """The ``.open`` WARC files under *directory*."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.rglob(f"*{OPEN_SUFFIX}") if p.is_file())
