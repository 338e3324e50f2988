"""WACZ packages read in place: the WARC files inside the zip, and its list of pages.

A WACZ (Browsertrix's and ArchiveWeb.page's output, and ``newsarchive wacz``'s) is a zip holding
``archive/*.warc.gz`` (or ``.warc``), a CDXJ index and ``pages/pages.jsonl``. The WACZ spec has
the WARCs stored, not deflated, so that a replay tool can read a record at its offset: each WARC
is a stretch of the package's own bytes, and a record's offset in the package is all
``read_record_at`` needs. A deflated WARC cannot be read so and is reported, not guessed at.

``pages.jsonl`` (and ``extraPages.jsonl``) list the pages the crawler was sent to; every other
record in the package is a requisite (an image, a script, an embedded frame, an ad's HTML): a
capture, never an article.
"""

from __future__ import annotations

import json
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urldefrag

_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... file name length, extra field length
_PAGE_LISTS = ("pages/pages.jsonl", "pages/extraPages.jsonl")


class PackageError(ValueError):
    """A package that cannot be read at all, and why (one line)."""


@dataclass(frozen=True, slots=True)
class PackagedWarc:
    """A WARC file inside a package: its member name and where its bytes lie in the package."""

    member: str
    start: int
    size: int


@dataclass(slots=True)
class Package:
    warcs: list[PackagedWarc] = field(default_factory=list)
    pages: frozenset[str] | None = None  # the page URLs (no fragment); None: no pages list
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (member, why) of WARCs not read

    def is_page(self, url: str) -> bool:
        return self.pages is None or urldefrag(url).url in self.pages


def _data_start(stream: IO[bytes], info: zipfile.ZipInfo) -> int:
    """Where a stored member's bytes start: after its local header (whose name and extra field
    may differ in length from the central directory's)."""
    stream.seek(info.header_offset)
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(stream.read(_LOCAL_HEADER.size))
    if signature != b"PK\x03\x04":
        raise PackageError(f"{info.filename}: no local file header at its offset")
    return info.header_offset + _LOCAL_HEADER.size + name_length + extra_length


def _pages(archive: zipfile.ZipFile) -> frozenset[str] | None:
    names = set(archive.namelist())
    lists = [name for name in _PAGE_LISTS if name in names]
    if not lists:
        return None
    urls: set[str] = set()
    for name in lists:
        with archive.open(name) as lines:
            for line in lines:  # one JSON object a line, the first the list's own header
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and isinstance(entry.get("url"), str):
                    urls.add(urldefrag(entry["url"]).url)
    return frozenset(urls) or None  # an empty list names no page: it says nothing of the records


def open_package(path: Path) -> Package:
    """The WARCs and pages of the WACZ at *path*; raises :class:`PackageError` when it is no zip."""
    try:
        with path.open("rb") as stream, zipfile.ZipFile(stream) as archive:
            package = Package(pages=_pages(archive))
            for info in archive.infolist():
                if not info.filename.startswith("archive/") or not info.filename.endswith((".warc.gz", ".warc")):
                    continue
                if info.compress_type != zipfile.ZIP_STORED:
                    package.unreadable.append(
                        (info.filename, "WARC deflated inside the package (unzip it and read the WARC)")
                    )
                    continue
                package.warcs.append(PackagedWarc(info.filename, _data_start(stream, info), info.file_size))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, struct.error, OSError, EOFError) as exc:
        raise PackageError(f"not a readable WACZ (zip) file ({exc})") from None
    if not package.warcs and not package.unreadable:
        raise PackageError("a WACZ without WARC files under archive/")
    return package


class Window:
    """The bytes ``[start, start + size)`` of *stream* as a file of their own (read, readline, seek,
    tell): a WARC stored inside a package, read without copying it out."""

    def __init__(self, stream: IO[bytes], start: int, size: int) -> None:
        self.stream = stream
        self.start = start
        self.size = size
        self.position = 0
        stream.seek(start)

    def _left(self, wanted: int) -> int:
        left = max(0, self.size - self.position)
        return left if wanted is None or wanted < 0 else min(wanted, left)

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(self._left(size))
        self.position += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self.stream.readline(self._left(size))
        self.position += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.position, 2: self.size}[whence]
        self.position = max(0, base + offset)
        self.stream.seek(self.start + self.position)
        return self.position

    def tell(self) -> int:
        return self.position
