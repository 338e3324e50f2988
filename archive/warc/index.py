"""CDXJ index of the WARC directory, kept current incrementally.

The lines are made by cdxj-indexer (the Webrecorder tool pywb and py-wacz use), so pywb,
ReplayWeb.page and any other CDXJ reader understand them; this module decides which WARC files
need indexing and which of their records a replay may serve, and merges their lines into the
sorted index.

A ``304 Not Modified`` (the answer to a conditional request: a re-check that found a page or a
stylesheet unchanged, or a Heritrix ``server-not-modified`` revisit) is archived as received but
not indexed: it holds no representation, and a replay tool that finds it nearest in time serves
it as the capture, a browser gets a 304 it never asked for and draws the page unstyled. Left out,
the URL's earlier full capture is the nearest, which the 304 confirmed was still current; the
Wayback Machine's indexer leaves them out for the same reason.

Incremental: closed WARC files are immutable, so a file whose name already appears in the index's
``filename`` fields is done; so is one named in the index's ``.nolines`` file beside it, a file
indexed that gave no line (all 304s, a warcinfo alone), which no line could name. Only new files
are indexed, and their sorted lines are merged into the existing index in one streaming pass. The
new index replaces the old one atomically, under an exclusive lock, so a crawl's close hook and a
user's ``newsarchive index`` cannot interleave.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import mmap
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cdxj_indexer.main import CDXJIndexer, SortingWriter
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import BufferWARCWriter

from archive.warc.framing import BadStretch, Framer, gzipped_whole, recompress_hint
from archive.warc.writer import closed_warc_files

logger = logging.getLogger(__name__)

INDEX_SUFFIX = ".cdxj"


_SPOOL = 8 * 1024 * 1024  # a file's lines held in memory before they spill to disk


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file in the WARC directory that could not be indexed (not a WARC, damaged), and why."""

    name: str  # relative to the WARC directory
    reason: str


@dataclass(frozen=True, slots=True)
class IndexUpdate:
    index: Path
    files_added: tuple[str, ...]
    lines_added: int
    lines_total: int
    seconds: float
    skipped: tuple[Skipped, ...] = ()  # left out of the index; tried again by the next update


def default_index_path(warc_dir: str | os.PathLike[str]) -> Path:
    """Where the index of *warc_dir* goes by default: beside it, named after it (data/warc -> data/warc.cdxj).

    Not inside it: the WARC directory holds WARC files only, and tools that read every file there
    as WARC (warcio check, archive_paths globs) keep working."""
    directory = Path(warc_dir)
    return directory.with_name(directory.name + INDEX_SUFFIX)


# cdxj-indexer writes the JSON with json.dumps' default separators. A regex over the whole file
# runs at C speed; parsing every line as JSON would make a no-op update of a million-line index
# take seconds. A name with a quote or backslash escapes the pattern and is merely indexed again:
# the merge drops the duplicate lines.
_FILENAME = re.compile(rb'"filename": "([^"\\\n]*)"')


def _no_lines(index: Path) -> Path:
    """The file naming the WARC files indexed into *index* that gave no line (module docstring)."""
    return index.with_name(index.name + ".nolines")


def _read_no_lines(index: Path) -> set[str]:
    try:
        return set(_no_lines(index).read_text(encoding="utf-8").splitlines())
    except FileNotFoundError:
        return set()


def _write_no_lines(index: Path, names: set[str], scratch: Path) -> None:
    """Replace the ``.nolines`` file of *index* atomically (under the index's lock) with *names*,
    written first in *scratch* (beside it, like the index)."""
    target = _no_lines(index)
    if not names:
        target.unlink(missing_ok=True)
        return
    written = scratch / "nolines"
    written.write_text("".join(f"{name}\n" for name in sorted(names)), encoding="utf-8")
    os.replace(written, target)


def _scan(index: Path) -> tuple[set[str], int]:
    """The WARC file names (relative to the WARC directory) an index has lines for, and its line count."""
    if not index.exists() or index.stat().st_size == 0:
        return set(), 0
    with index.open("rb") as stream:
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
            names = {match.decode("utf-8") for match in set(_FILENAME.findall(data))}
        lines = sum(block.count(b"\n") for block in iter(lambda: stream.read(1 << 20), b""))
    return names, lines


@contextlib.contextmanager
def _locked(index: Path) -> Iterator[None]:
    index.parent.mkdir(parents=True, exist_ok=True)
    with open(index.with_name(index.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _not_a_warc(path: Path) -> str | None:
    """Why *path* is no WARC file, by its first record as the reader frames it; ``None`` if it is one.

    cdxj-indexer raises on some files that are not WARCs and reads others (a line of five words
    passes for an ARC header) as records of nonsense: neither belongs in the index."""
    try:
        with path.open("rb") as stream:
            first = next(iter(Framer(stream, path.stat().st_size)), None)
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    if first is None:
        return "empty"
    return f"not a WARC file: {first.reason}" if isinstance(first, BadStretch) else None


def replayable(record: Any) -> bool:
    """Whether a WARC record (warcio's, as cdxj-indexer reads it) may be a replay's answer: not a
    304 (module docstring), nor the answer to a HEAD, which has no body: a replay would serve an
    empty page for the URL; nor a record its writer cut short (WARC-Truncated), whose first part a
    replay would serve as the whole (``archive/warc/framing.py`` ``is_truncated`` asks it of the
    reader's records). The WACZ's index (archive/wacz.py) asks the same."""
    if record.rec_headers.get_header("WARC-Truncated") is not None:
        return False
    http = record.http_headers if record.rec_type in ("response", "revisit") else None
    if http is not None and http.get_statuscode() == "304":
        return False
    # Its request record, when cdxj-indexer paired them (post_append: beside it, WARC-Concurrent-To).
    request = getattr(getattr(record, "req", None), "http_headers", None)
    return request is None or str(request.protocol).upper() != "HEAD"


# The record types indexed, named here: cdxj-indexer's default list is a class attribute py-wacz
# appends "warcinfo" to when it is imported, which would then change every index this process writes.
_INDEXED = "response,revisit,resource,metadata"


class _DigestedRecords(ArchiveIterator):  # type: ignore[misc]
    """warcio's records, each given its payload digest (when it declares none) before it is read:
    with ``post_append``, cdxj-indexer reads every record's content into a buffer first, and then
    digests the stream that buffering emptied (the digest of nothing, for every such record)."""

    def _iterate_records(self) -> Iterator[Any]:
        writer = BufferWARCWriter()
        for record in super()._iterate_records():
            writer.ensure_digest(record, block=False, payload=True)
            yield record


class DigestsBeforeBuffering:
    """For a cdxj-indexer indexer run with ``post_append`` (ours, py-wacz's): records read through
    :class:`_DigestedRecords`, so an undeclared payload digest is the payload's."""

    record_parse: bool
    verify_http: bool

    def _create_record_iter(self, input_: Any) -> Any:
        return _DigestedRecords(
            input_, no_record_parse=not self.record_parse, arc2warc=True, verify_http=self.verify_http
        )


class _ReplayIndexer(DigestsBeforeBuffering, CDXJIndexer):  # type: ignore[misc]
    """cdxj-indexer's lines of the replayable records; a POST's (or PUT's) answer keyed by its
    request body (``__wb_method=post&...``), as py-wacz's index and pywb's own key it, so a replay
    of the URL never serves it for a GET."""

    def __init__(self, **options: Any) -> None:
        super().__init__(post_append=True, **options)

    def filter_record(self, record: Any) -> bool:
        return bool(super().filter_record(record)) and replayable(record)


def index_lines(path: Path, warc_dir: Path, out: IO[str]) -> str | None:
    """Write the CDXJ lines of *path* to *out*; ``None``, or why the file cannot be indexed (then
    *out* may hold some of its lines). py-wacz indexes with cdxj-indexer too: what fails here
    fails there."""
    reason = _not_a_warc(path)
    if reason is not None:
        return reason
    if gzipped_whole(path):
        # cdxj-indexer refuses it too, in a dozen lines; were it read as the reader reads it, the
        # lines' offsets would be in the inflated stream, where no replay tool looks.
        return recompress_hint(path.name)
    try:
        _ReplayIndexer(output=out, inputs=[str(path)], dir_root=str(warc_dir), records=_INDEXED).process_all()
    except Exception as exc:  # whatever cdxj-indexer (warcio) raises on a record it cannot parse
        message = " ".join(str(exc).split())  # one line: warcio's messages span several
        if "warcio recompress" in message:  # a gzip member of several records further on
            return recompress_hint(path.name)
        return f"{type(exc).__name__}: {message[:200]}"
    return None


def _index_files(files: list[Path], warc_dir: Path, out: IO[str]) -> tuple[int, list[Skipped], set[str]]:
    """Write the sorted CDXJ lines of *files* to *out*; return how many, the files skipped, and
    the names of those indexed that gave no line."""
    counter = _CountingWriter(out)
    # SortingWriter spills to temporary files past 32 MB, so a rebuild of a large archive sorts
    # in bounded memory; it also drops duplicate lines.
    sorter = SortingWriter(counter)
    skipped: list[Skipped] = []
    no_lines: set[str] = set()
    for path in files:
        name = path.relative_to(warc_dir).as_posix()
        # A file's lines go in only once all of them are made: lines of half a file would mark it
        # indexed, and it would never be indexed whole.
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL, mode="w+", encoding="utf-8") as lines:
            reason = index_lines(path, warc_dir, lines)
            if reason is not None:
                skipped.append(Skipped(name, reason))
                continue
            if not lines.tell():
                no_lines.add(name)
            lines.seek(0)
            for line in lines:
                sorter.write(line)
    sorter.flush()
    return counter.count, skipped, no_lines


class _CountingWriter:
    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.count = 0

    def write(self, line: str) -> None:
        self.count += 1
        self.out.write(line)

    def flush(self) -> None:
        self.out.flush()


_COPY = 8 * 1024 * 1024  # bytes of the old index copied at a time


def _next_insertion(data: mmap.mmap | bytes, line: bytes, lo: int) -> int:
    """The start of the first line at or after *lo* (a line start) not below *line*: a binary
    search over byte offsets, each probe widened to the line it falls in."""
    hi = len(data)
    while lo < hi:
        mid = (lo + hi) // 2
        start = data.rfind(b"\n", lo, mid) + 1 or lo  # the line that byte mid is in
        end = data.find(b"\n", start)
        end = hi if end < 0 or end >= hi else end + 1
        if data[start:end] < line:
            lo = end
        else:
            hi = start
    return lo


def _merge(old: Path | None, new: Path, out: IO[bytes]) -> int:
    """Merge the sorted, duplicate-free lines of *new* into the sorted index *old*, writing *out*;
    returns the number of lines written.

    The new lines are few beside a large index, so each is placed by binary search and the old
    index between them is copied as bytes: a merge line by line in Python cost 0.6 s a million
    lines. Byte order of UTF-8 is code point order, the order pywb's binary search expects."""
    with new.open("rb") as stream:
        fresh = stream.readlines()
    if old is None or old.stat().st_size == 0:
        out.writelines(fresh)
        return len(fresh)
    count = 0
    with old.open("rb") as stream, mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
        position = 0

        def copy_to(end: int) -> None:
            nonlocal count, position
            while position < end:
                chunk = data[position : min(end, position + _COPY)]
                out.write(chunk)
                count += chunk.count(b"\n")
                position += len(chunk)

        for line in fresh:
            copy_to(_next_insertion(data, line, position))
            if data[position : position + len(line)] != line:  # already in the index: once is enough
                out.write(line)
                count += 1
        copy_to(len(data))
        if data[-1:] != b"\n":
            count += 1
    return count


def update_index(
    warc_dir: str | os.PathLike[str], index: str | os.PathLike[str] | None = None, *, rebuild: bool = False
) -> IndexUpdate:
    """Bring the CDXJ *index* of *warc_dir* up to date: index closed WARC files it does not cover
    yet (every file when *rebuild*), merge, and atomically replace it. Returns what changed."""
    started = time.monotonic()
    root = Path(warc_dir)
    target = Path(index) if index is not None else default_index_path(root)
    with _locked(target):
        have, total = (set(), 0) if rebuild else _scan(target)
        no_lines = set() if rebuild else _read_no_lines(target)
        done = have | no_lines
        todo = [p for p in closed_warc_files(root) if p.relative_to(root).as_posix() not in done]
        if not todo and target.exists() and not rebuild:
            return IndexUpdate(target, (), 0, total, time.monotonic() - started)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".cdxj-") as scratch:
            fresh = Path(scratch) / "new.cdxj"
            with fresh.open("w", encoding="utf-8") as out:
                added, skipped, gave_none = _index_files(todo, root, out)
            merged = Path(scratch) / "merged.cdxj"
            with merged.open("wb") as out:
                old = target if target.exists() and not rebuild else None
                total = _merge(old, fresh, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(merged, target)
            if gave_none or rebuild:
                _write_no_lines(target, no_lines | gave_none, Path(scratch))
    left_out = {skip.name for skip in skipped}
    names = tuple(name for name in (p.relative_to(root).as_posix() for p in todo) if name not in left_out)
    seconds = time.monotonic() - started
    logger.info(
        "indexed %d WARC file(s), %d line(s), into %s (%d lines, %.2fs)", len(names), added, target, total, seconds
    )
    return IndexUpdate(target, names, added, total, seconds, tuple(skipped))
