"""Where a page's rendered DOM lies: render mode's ``conversion`` record (crawler/render.py), which
refers to the page's response record and is written after it once the page rendered, in the same
WARC file or, when the writer rotated files meanwhile, in one of the same writer's later files
(archive/warc/writer.py ``later_files``); in a WACZ package, in its WARCs.

No table points at it, so it is looked for among the records after the page's, up to the first one
dated more than *within* after the page: records are written in order, and that one was written
later than any render of the page can end. The reader's archived view looks for one page's
(archive/reader/records.py), reextract for the pages of a file given without the file after it
(archive/warc/reader.py): both by :func:`conversions_after`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from archive.warc.framing import BadStretch, Framer, RawRecord, parse_warc_date
from archive.warc.packages import PackageError, Window, open_package
from archive.warc.writer import OPEN_SUFFIX, later_files


@dataclass(slots=True)
class Look:
    """How a look ended: ``final`` when nothing it did not find can turn up later (a record past
    the window was read, or every file it read to the end is closed)."""

    final: bool = False


def _stretches(path: Path, start: int, later_only: bool) -> list[tuple[Path, int, int, int]]:
    """The WARCs to look through, in order, as (file, where the WARC starts in it, its size, where
    to start reading it): *path* from *start* and its writer's later files; a WACZ package's WARCs
    from the one holding *start* on (its records' offsets are offsets in the package, and a
    rotated file's successor is a later WARC of the same package)."""
    if path.name.endswith(".wacz"):
        try:
            warcs = [] if later_only else open_package(path).warcs
        except PackageError:
            return []
        return [(path, w.start, w.size, max(0, start - w.start)) for w in warcs if w.start + w.size > start]
    candidates = later_files(path) if later_only else [path, *later_files(path)]
    return [(c, 0, c.stat().st_size, start if c == path else 0) for c in candidates]


def conversions_after(
    path: Path,
    start: int,
    pages: set[str],
    latest: dt.datetime,
    within: dt.timedelta,
    look: Look | None = None,
    *,
    later_only: bool = False,
) -> Iterator[tuple[Path, RawRecord]]:
    """The conversion records referring to any of *pages* (record ids), with the file each is in:
    from *start* in *path*, then in its writer's later files, up to the first record dated more
    than *within* after *latest* (the last of the pages' dates). *later_only*: the later files only
    (*path* was read). *look* is told how the look ended."""
    waiting = set(pages)
    look = look if look is not None else Look()
    stretches = _stretches(path, start, later_only)
    look.final = not any(candidate.name.endswith(OPEN_SUFFIX) for candidate, *_ in stretches)
    for candidate, base, size, within_start in stretches:
        with candidate.open("rb") as stream:
            warc: IO[bytes] = Window(stream, base, size) if base else stream  # type: ignore[assignment]
            for item in Framer(warc, size, start=within_start):
                if isinstance(item, BadStretch):
                    continue
                item.offset += base
                headers = item.headers
                if headers.get("warc-type") == "conversion" and headers.get("warc-refers-to") in waiting:
                    waiting.discard(headers["warc-refers-to"])
                    yield candidate, item
                    if not waiting:
                        look.final = True
                        return
                written = parse_warc_date(headers.get("warc-date"))
                if written is not None and written - latest > within:
                    look.final = True
                    return
