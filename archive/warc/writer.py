"""WARC writer: request/response pairs, one gzip member per record, rotation, atomic names.

A file being written is named ``*.warc.gz.open`` and renamed to ``*.warc.gz`` only once it is
complete, so no reader ever sees a half-written file under its final name; until then the writer
holds an exclusive ``flock`` on it, which ``newsarchive warc recover`` respects. Records are built by
warcio (headers, digests) and compressed here, because warcio hard-codes gzip level 9, which costs
twice the CPU of level 6 for a few percent of size; the deflate library is a setting
(``archive/warc/compression.py``).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import io
import itertools
import logging
import os
import re
import socket
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import BufferWARCWriter

from archive.warc.blocks import (
    RevisitOf,
    WireExchange,
    gzip_member,
    new_record_id,
    record_head,
    request_fields,
    response_fields,
)
from archive.warc.compression import Gzip, gzip_codec

logger = logging.getLogger(__name__)

OPEN_SUFFIX = ".open"
WARC_SUFFIX = ".warc.gz"
_serial = itertools.count(1)


@dataclass(frozen=True, slots=True)
class ExchangeRequest:
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class ExchangeResponse:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes  # payload exactly as received: still Content-Encoded
    protocol: str = "HTTP/1.1"
    ip_address: str | None = None
    fetched_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


@dataclass(frozen=True, slots=True)
class WrittenRecord:
    """Where the response (or revisit) record of an exchange landed."""

    warc_file: str  # final file name (without .open), relative to the WARC directory
    offset: int
    length: int
    record_id: str
    record_type: str
    payload_digest: str | None
    date: str


def _safe_name_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-") or "host"


def warc_date(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class WarcWriter:
    """Appends request/response records to a rotating series of ``.warc.gz`` files.

    Thread-safe: the crawl calls it from a worker thread so compression stays off the reactor.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        prefix: str = "newsarchive",
        max_size: int = 1_000_000_000,
        gzip_level: int = 6,
        gzip_library: str = "zlib",
        warcinfo: Mapping[str, str] | None = None,
        warc_version: str = "WARC/1.1",
    ) -> None:
        self.directory = Path(directory)
        self.prefix = _safe_name_part(prefix)
        self.max_size = max_size
        self.gzip: Gzip = gzip_codec(gzip_library, gzip_level)
        self.warcinfo = dict(warcinfo or {})
        self.warc_version = warc_version
        self.hostname = _safe_name_part(socket.gethostname())
        self._builder = BufferWARCWriter(gzip=False, warc_version=warc_version)
        self._lock = threading.Lock()
        self._file: io.FileIO | None = None
        self._path: Path | None = None
        self._size = 0
        self.files_written: list[str] = []
        self.bytes_written = 0

    # -- files ---------------------------------------------------------------------------------
    def _new_name(self) -> str:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S%f")
        return f"{self.prefix}-{stamp}-{next(_serial):05d}-{self.hostname}-{os.getpid()}{WARC_SUFFIX}"

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = self._new_name()
        self._path = self.directory / name
        # 'x' refuses to clobber: names are unique, a collision is a bug worth failing on. Unbuffered,
        # so a failed write (disk full) leaves no buffered half-record behind to be flushed later.
        self._file = open(self.directory / (name + OPEN_SUFFIX), "xb", buffering=0)  # noqa: SIM115
        # Held until the file has its final name: `newsarchive warc recover` leaves a file alone while
        # its writer lives, and the kernel drops the lock with the process however it dies.
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:  # a file system without locks (NFS mounted nolock): archive anyway
            logger.warning("cannot lock %s (%s): `newsarchive warc recover` cannot tell it is in use", name, exc)
        self._size = 0
        self._append(self._warcinfo_record(name))

    def _warcinfo_record(self, filename: str) -> bytes:
        info = {"software": "newsarchive", "hostname": socket.gethostname(), **self.warcinfo}
        info.setdefault("format", f"WARC File Format {self.warc_version.split('/')[-1]}")
        info.setdefault("conformsTo", "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/")
        record = self._builder.create_warcinfo_record(filename, info)
        return self._serialize(record)

    def close(self) -> None:
        """Close the current file and give it its final name. Safe to call twice."""
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        if self._file is None or self._path is None:
            return
        try:
            os.fsync(self._file.fileno())
        except OSError as exc:
            logger.error("fsync of %s failed: %s", self._path.name, exc)
        path, self._path = self._path, None
        # Renamed (or removed) before it is closed, so before its lock goes: recover never sees it
        # unlocked under its .open name.
        try:
            if self._size == 0:  # not even its warcinfo fitted (disk full): nothing worth a name
                os.unlink(str(path) + OPEN_SUFFIX)
                return
            os.replace(str(path) + OPEN_SUFFIX, path)
        finally:
            self._file.close()
            self._file = None
        self.files_written.append(path.name)
        logger.info("closed WARC %s (%d bytes)", path.name, self._size)

    def sync(self) -> None:
        """fsync the current file: what is written survives a power loss, not only a crash."""
        with self._lock:
            if self._file is not None:
                os.fsync(self._file.fileno())

    # -- records -------------------------------------------------------------------------------
    def _serialize(self, record: object) -> bytes:
        self._builder.out = io.BytesIO()
        self._builder.write_record(record)
        raw = self._builder.get_contents()
        return self.gzip.compress(raw)

    def _append(self, member: bytes | Iterable[bytes]) -> tuple[int, int]:
        """Append one record's gzip member, given whole or as the parts it is compressed into."""
        assert self._file is not None
        offset = self._size
        length = 0
        try:
            for part in [member] if isinstance(member, bytes) else member:
                view = memoryview(part)
                while view:
                    written = self._file.write(view)
                    view = view[written or 0 :]
                length += len(part)
        except OSError:
            # Disk full or an I/O error: cut the file back to its last whole record, so what is
            # on disk stays a valid WARC, then let the caller decide.
            self._file.truncate(offset)
            self._file.seek(offset)
            raise
        self._size += length
        self.bytes_written += length
        return offset, length

    def _ensure_open(self) -> None:
        if self._file is not None and self._size >= self.max_size:
            self._close_locked()
        if self._file is None:
            self._open()

    def _request_record(self, request: ExchangeRequest, date: str, concurrent_to: str) -> object:
        target = request.url
        path = _request_target(target)
        http_headers = StatusAndHeaders(
            f"{request.method} {path} HTTP/1.1", list(request.headers), is_http_request=True
        )
        return self._builder.create_warc_record(
            target,
            "request",
            payload=io.BytesIO(request.body),
            length=len(request.body),
            http_headers=http_headers,
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": concurrent_to},
        )

    def write_exchange(self, request: ExchangeRequest, response: ExchangeResponse) -> WrittenRecord:
        """Write the response record, then its request record; return where the response is."""
        date = warc_date(response.fetched_at)
        http_headers = StatusAndHeaders(
            f"{response.status} {response.reason}".strip(), list(response.headers), protocol=response.protocol
        )
        warc_headers = {"WARC-Date": date}
        if response.ip_address:
            warc_headers["WARC-IP-Address"] = response.ip_address
        record = self._builder.create_warc_record(
            request.url,
            "response",
            payload=io.BytesIO(response.body),
            length=len(response.body),
            http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )
        return self._write_pair(record, request, date)

    def write_revisit(
        self,
        request: ExchangeRequest,
        response: ExchangeResponse,
        *,
        refers_to_uri: str,
        refers_to_date: str,
        payload_digest: str,
    ) -> WrittenRecord:
        """Write a revisit record (identical-payload-digest profile) instead of a second copy."""
        date = warc_date(response.fetched_at)
        http_headers = StatusAndHeaders(
            f"{response.status} {response.reason}".strip(), list(response.headers), protocol=response.protocol
        )
        record = self._builder.create_revisit_record(
            request.url, payload_digest, refers_to_uri, refers_to_date, http_headers=http_headers
        )
        record.rec_headers.replace_header("WARC-Date", date)
        if response.ip_address:
            record.rec_headers.add_header("WARC-IP-Address", response.ip_address)
        return self._write_pair(record, request, date)

    def write_conversion(
        self, url: str, body: bytes, *, content_type: str, refers_to: str, refers_to_date: str, note: str
    ) -> WrittenRecord:
        """Write a ``conversion`` record of *url*'s response record *refers_to*: what a program made of
        it (the DOM a browser built), never the bytes received. *note* says how it was made."""
        date = warc_date(dt.datetime.now(dt.UTC))
        record = self._builder.create_warc_record(
            url,
            "conversion",
            payload=io.BytesIO(body),
            length=len(body),
            warc_content_type=content_type,
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Refers-To": refers_to,
                "WARC-Refers-To-Target-URI": url,
                "WARC-Refers-To-Date": refers_to_date,
                "WARC-Json-Metadata": note,
            },
        )
        record_id = record.rec_headers.get_header("WARC-Record-ID")  # type: ignore[attr-defined]
        member = self._serialize(record)
        with self._lock:
            self._ensure_open()
            assert self._path is not None
            offset, length = self._append(member)
            name = self._path.name
        return WrittenRecord(name, offset, length, record_id, "conversion", None, date)

    def _write_pair(self, record: object, request: ExchangeRequest, date: str) -> WrittenRecord:
        record_id = record.rec_headers.get_header("WARC-Record-ID")  # type: ignore[attr-defined]
        response_member = self._serialize(record)
        payload_digest = record.rec_headers.get_header("WARC-Payload-Digest")  # type: ignore[attr-defined]
        record_type = record.rec_headers.get_header("WARC-Type")  # type: ignore[attr-defined]
        request_member = self._serialize(self._request_record(request, date, record_id))
        name, offset, length = self._append_pair(response_member, request_member)
        return WrittenRecord(name, offset, length, record_id, record_type, payload_digest, date)

    def write_blocks(self, exchange: WireExchange, revisit: RevisitOf | None = None) -> WrittenRecord:
        """Write the response (a revisit of *revisit*, when given) and request records of
        *exchange*, each record's block exactly the bytes given."""
        record_id = new_record_id()
        version = self.warc_version
        response_head = record_head(version, response_fields(exchange, record_id, version, revisit), exchange.response)
        request_head = record_head(version, request_fields(exchange, new_record_id(), record_id), exchange.request)
        request_member = b"".join(gzip_member(request_head, exchange.request, self.gzip))
        response_member = gzip_member(response_head, exchange.response, self.gzip)
        name, offset, length = self._append_pair(response_member, request_member)
        record_type = "revisit" if revisit else "response"
        return WrittenRecord(name, offset, length, record_id, record_type, exchange.payload_digest, exchange.date)

    def _append_pair(self, response_member: bytes | Iterable[bytes], request_member: bytes) -> tuple[str, int, int]:
        with self._lock:
            self._ensure_open()
            assert self._path is not None
            offset, length = self._append(response_member)
            try:
                self._append(request_member)
            except OSError:
                # The pair goes together or not at all.
                assert self._file is not None
                self._file.truncate(offset)
                self._file.seek(offset)
                self._size = offset
                raise
            # Unbuffered writes: the OS has the pair, so a killed process loses nothing written.
            return self._path.name, offset, length

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _request_target(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return target


# What ``reextract`` reads besides WARC files: ARC files and WACZ packages (archive/warc/packages.py).
READABLE_SUFFIXES = (".warc.gz", ".warc", ".arc.gz", ".arc", ".wacz")


def closed_warc_files(
    directory: str | os.PathLike[str], suffixes: tuple[str, ...] = (".warc.gz", ".warc")
) -> Iterable[Path]:
    """Every closed WARC under *directory* (never ``.open`` ones), oldest name first; with
    ``suffixes=READABLE_SUFFIXES``, every ARC and WACZ too."""
    root = Path(directory)
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith(suffixes))


# A name _new_name made: prefix, the moment the file was opened, a serial, then the host and
# process of the writer; by it, a writer's files sort in the order it wrote them.
_OUR_NAME = re.compile(r"^.+-\d{20}-\d{5}-(?P<writer>.+-\d+)\.warc\.gz$")


def later_files(path: Path) -> list[Path]:
    """The WARC files beside *path* that its writer went on to, oldest first: after a rotation, a
    record written after one in *path* (render mode's rendered DOM) is in one of them. For a name
    of ours, the same writer's (host and process) later files, closed or still open; for a foreign
    name, every WARC file beside it whose name sorts after it."""
    name = path.name.removesuffix(OPEN_SUFFIX)
    if not name.endswith((".warc.gz", ".warc")):
        return []  # an ARC file, a WACZ package: no writer of ours went on from it
    ours = _OUR_NAME.match(name)
    later = []
    for sibling in path.parent.iterdir():
        other = sibling.name.removesuffix(OPEN_SUFFIX)
        if other <= name or not other.endswith((".warc.gz", ".warc")) or not sibling.is_file():
            continue
        if ours is not None:
            theirs = _OUR_NAME.match(other)
            if theirs is None or theirs["writer"] != ours["writer"]:
                continue
        later.append(sibling)
    return sorted(later, key=lambda p: p.name.removesuffix(OPEN_SUFFIX))
