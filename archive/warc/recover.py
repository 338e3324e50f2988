"""Recover WARC files left ``.open`` by a crawl that died (SIGKILL, power loss, full disk).

Records are gzip members written whole, one after another, so a file cut anywhere holds a run of
complete records followed by at most one partial member. Recovery keeps the complete records,
truncates the rest and gives the file its final name, the one the database already refers to.
"""

from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from archive.warc.writer import OPEN_SUFFIX

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Recovery:
    path: Path  # the final name
    records: int  # complete records kept
    kept_bytes: int
    dropped_bytes: int


def _complete_record(data: bytes) -> bool:
    """True when *data* (one decompressed member) is a whole WARC record."""
    if not data.startswith(b"WARC/"):
        return False
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                return False
    return length is not None and len(rest) >= length + 4 and rest[length : length + 4] == b"\r\n\r\n"


def iter_members(path: Path) -> Iterator[tuple[int, int, bool]]:
    """(offset, length, is a complete WARC record) of each whole gzip member of *path*; stops at
    the first member that is cut short or is not gzip."""
    with path.open("rb") as stream:
        offset = 0
        buffer = b""
        eof = False
        while True:
            decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
            consumed = 0
            output = []
            while not decompressor.eof:
                if not buffer:
                    if eof:
                        return
                    buffer = stream.read(_CHUNK)
                    if not buffer:
                        eof = True
                        return
                try:
                    output.append(decompressor.decompress(buffer))
                except zlib.error:
                    return
                used = len(buffer) - len(decompressor.unused_data)
                consumed += used
                buffer = decompressor.unused_data
            yield offset, consumed, _complete_record(b"".join(output))
            offset += consumed


def recover(open_path: Path) -> Recovery:
    """Truncate *open_path* after its last complete record and rename it to its final name."""
    if not open_path.name.endswith(OPEN_SUFFIX):
        raise ValueError(f"{open_path} is not an .open WARC file")
    final = open_path.with_name(open_path.name[: -len(OPEN_SUFFIX)])
    if final.exists():
        raise FileExistsError(f"{final} exists already; not overwriting it")
    size = open_path.stat().st_size
    kept = 0
    records = 0
    for offset, length, complete in iter_members(open_path):
        if not complete:
            break
        kept = offset + length
        records += 1
    with open_path.open("r+b") as stream:
        stream.truncate(kept)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(open_path, final)
    result = Recovery(final, records, kept, size - kept)
    logger.info("recovered %s: %d records kept, %d bytes dropped", final.name, records, result.dropped_bytes)
    return result


def open_files(directory: Path) -> list[Path]:
    """The ``.open`` WARC files under *directory*."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.rglob(f"*{OPEN_SUFFIX}") if p.is_file())
