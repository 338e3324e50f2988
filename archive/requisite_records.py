"""Which archived record each requisite of a page is: what a replay of the page at its time loads.

A page's capture names its requisites by URL (``capture_requisites``, in the page's order); a
stylesheet's capture names what it loads the same way. Which record of such a URL a replay uses
depends on when it replays: the capture of the URL nearest in time to the page's with a full body
(status 200: a response, or a revisit, whose body is its original's). A ``304`` nearer in time says
the copy the crawl already had was still current then: it points back to the latest full copy at
or before it. A redirect is followed to its target (``url_aliases``). Requisites of a stylesheet
are those of the stylesheet's record used, resolved at the page's time too.

``requisites_of`` is the one function ``show`` and ``wacz`` read this through.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive import models
from archive.db import as_utc
from archive.warc.revisits import ORIGINAL_TYPES

REDIRECTS = frozenset({301, 302, 303, 307, 308})
FULL_TYPES = ORIGINAL_TYPES | {"revisit"}  # records of a 200 that hold a body, or point at one
MAX_DEPTH = 4  # page -> stylesheet -> @import -> ... : deeper chains are not followed
MAX_HOPS = 5  # redirects followed from one requisite URL
_CHUNK = 500  # bound parameters of one IN (...)


@dataclass(frozen=True, slots=True)
class Record:
    """A capture row, as much of it as a listing of requisites shows."""

    id: int
    url: str
    status: int
    fetched_at: dt.datetime  # aware, UTC
    record_type: str
    content_type: str | None
    content_length: int | None
    payload_digest: str | None
    warc_file: str
    warc_offset: int
    warc_length: int


@dataclass(frozen=True, slots=True)
class Requisite:
    """One URL a page loads and the record a replay of the page at its time uses for it."""

    url: str
    named_by: str  # the URL of the page, or of the stylesheet, that names it
    record: Record | None  # the capture used: a 200 response (or resource), or a revisit; None: not archived
    body: Record | None  # the record holding its bytes: ``record``, or the revisit's original
    missing: str | None = None  # why there is no record, when there is none

    @property
    def location(self) -> str | None:
        """``file@offset+length`` of the record used, as ``show`` writes every WARC location."""
        r = self.record
        return None if r is None else f"{r.warc_file}@{r.warc_offset}+{r.warc_length}"


def _record(capture: models.Capture) -> Record:
    return Record(
        capture.id,
        capture.url,
        capture.status,
        as_utc(capture.fetched_at),
        capture.record_type,
        capture.content_type,
        capture.content_length,
        capture.payload_digest,
        capture.warc_file,
        capture.warc_offset,
        capture.warc_length,
    )


def _chunks(values: Sequence[str] | Sequence[int]) -> Iterable[Sequence[str] | Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class _Archive:
    """The rows resolution reads, each looked up once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.by_url: dict[str, list[Record]] = {}
        self.aliases: dict[str, str | None] = {}

    def captures(self, urls: Iterable[str]) -> None:
        wanted = sorted({u for u in urls if u not in self.by_url})
        C = models.Capture
        for chunk in _chunks(wanted):
            for url in chunk:
                self.by_url[str(url)] = []
            query = select(C).where(C.url.in_(chunk), C.method == "GET").order_by(C.fetched_at, C.id)
            for capture in self.session.scalars(query):
                self.by_url[capture.url].append(_record(capture))

    def target(self, url: str) -> str | None:
        if url not in self.aliases:
            self.aliases[url] = self.session.scalar(select(models.UrlAlias.target).where(models.UrlAlias.alias == url))
        return self.aliases[url]

    def rows(self, capture_ids: Iterable[int]) -> dict[int, list[str]]:
        R = models.CaptureRequisite
        found: dict[int, list[str]] = defaultdict(list)
        for chunk in _chunks(sorted(set(capture_ids))):
            query = select(R.capture_id, R.url).where(R.capture_id.in_(chunk)).order_by(R.capture_id, R.position)
            for capture_id, url in self.session.execute(query):
                found[capture_id].append(url)
        return found

    def original(self, revisit: Record) -> Record | None:
        """The full record whose body a revisit stands for: the same payload, latest at or before it,
        of the same URL when there is one (as a replay resolves it)."""
        if not revisit.payload_digest:
            return None
        C = models.Capture
        query = select(C).where(C.payload_digest == revisit.payload_digest, C.record_type.in_(ORIGINAL_TYPES))
        candidates = [_record(c) for c in self.session.scalars(query)]
        earlier = [c for c in candidates if c.fetched_at <= revisit.fetched_at] or candidates
        same_url = [c for c in earlier if c.url == revisit.url] or earlier
        return max(same_url, key=lambda c: (c.fetched_at, c.id), default=None)


def _nearest(records: list[Record], at: dt.datetime) -> Record | None:
    """The record nearest in time to *at* that a replay can use (earlier on a tie)."""
    usable = [
        r
        for r in records
        if (r.status == 200 and r.record_type in FULL_TYPES) or r.status == 304 or r.status in REDIRECTS
    ]
    return min(usable, key=lambda r: (abs(r.fetched_at - at), r.fetched_at > at, r.id), default=None)


def _why_missing(records: list[Record]) -> str:
    if not records:
        return "no capture of this URL (not fetched: robots.txt, over NEWSARCHIVE_REQUISITE_MAXSIZE, a download error)"
    statuses = ", ".join(str(s) for s in sorted({r.status for r in records}))
    return f"no full copy: answered {statuses}"


def _full(archive: _Archive, chosen: Record) -> tuple[Record, Record | None] | str:
    """The record that stands for *chosen* (a 304's latest full copy at or before it; itself
    otherwise) and the one holding its bytes (a revisit's original; a redirect is its own); or
    why there is none."""
    if chosen.status == 304:
        archive.captures([chosen.url])
        full = [r for r in archive.by_url[chosen.url] if r.status == 200 and r.record_type in FULL_TYPES]
        before = [r for r in full if r.fetched_at <= chosen.fetched_at]
        if not before:
            return "answered 304, and no earlier full copy is archived"
        chosen = before[-1]
    return chosen, chosen if chosen.record_type != "revisit" else archive.original(chosen)


def _resolve(archive: _Archive, url: str, named_by: str, at: dt.datetime) -> Requisite:
    for _ in range(MAX_HOPS):
        archive.captures([url])
        records = archive.by_url[url]
        chosen = _nearest(records, at)
        if chosen is None:
            return Requisite(url, named_by, None, None, _why_missing(records))
        if chosen.status in REDIRECTS:
            target = archive.target(url)
            if target is None or target == url:
                return Requisite(url, named_by, None, None, f"redirected ({chosen.status}) to a URL not known")
            url = target
            continue
        full = _full(archive, chosen)
        if isinstance(full, str):
            return Requisite(url, named_by, None, None, full)
        return Requisite(url, named_by, *full)
    return Requisite(url, named_by, None, None, f"more than {MAX_HOPS} redirects")


def replayed(session: Session, url: str, at: dt.datetime) -> tuple[Record, Record] | None:
    """The GET capture of *url* a replay at *at* uses (nearest in time: a 200, a 304, or a
    redirect, which is not followed) and the record holding its bytes (a 304's latest full copy
    before it, a revisit's original); None when the archive has no copy. What the reader's
    archived view serves."""
    archive = _Archive(session)
    archive.captures([url])
    chosen = _nearest(archive.by_url[url], as_utc(at))
    return None if chosen is None else _bytes(archive, chosen)


def full_record(session: Session, capture: models.Capture) -> Record | None:
    """The record holding *capture*'s bytes, as :func:`replayed` finds it for the capture it
    chooses; None when the archive lacks it."""
    found = _bytes(_Archive(session), _record(capture))
    return None if found is None else found[1]


def _bytes(archive: _Archive, chosen: Record) -> tuple[Record, Record] | None:
    full = _full(archive, chosen)
    if isinstance(full, str) or full[1] is None:
        return None
    return chosen, full[1]


def requisites_of(session: Session, pages: Sequence[tuple[int, dt.datetime]]) -> dict[int, list[Requisite]]:
    """For each page capture ``(capture id, fetched at)``: what it loads, in its order, each URL
    once, then what its stylesheets load (depth first by level), with the record a replay at the
    page's time uses for each."""
    archive = _Archive(session)
    C = models.Capture
    urls: dict[int, str] = {}
    for chunk in _chunks(sorted({capture_id for capture_id, _ in pages})):
        for capture_id, url in session.execute(select(C.id, C.url).where(C.id.in_(chunk))):
            urls[capture_id] = url
    found: dict[int, list[Requisite]] = {page: [] for page, _ in pages}
    seen: dict[int, set[str]] = {page: set() for page, _ in pages}
    # Per page: the captures whose rows are read next, with the URL that names what they load.
    frontier: dict[int, list[tuple[int, str]]] = {page: [(page, urls.get(page, ""))] for page, _ in pages}
    at = {page: as_utc(moment) for page, moment in pages}
    for _ in range(MAX_DEPTH):
        rows = archive.rows(capture_id for named in frontier.values() for capture_id, _ in named)
        if not rows:
            break
        archive.captures(url for named_urls in rows.values() for url in named_urls)
        following: dict[int, list[tuple[int, str]]] = {}
        for page, named in frontier.items():
            for capture_id, named_by in named:
                for url in rows.get(capture_id, []):
                    if url in seen[page]:
                        continue
                    seen[page].add(url)
                    requisite = _resolve(archive, url, named_by, at[page])
                    found[page].append(requisite)
                    for record in dict.fromkeys(r for r in (requisite.record, requisite.body) if r is not None):
                        following.setdefault(page, []).append((record.id, requisite.url))
        frontier = following
    return found


def requisite_files(requisites: Iterable[Requisite]) -> set[str]:
    """The WARC files holding the records of *requisites* (the record used and its body)."""
    return {r.warc_file for requisite in requisites for r in (requisite.record, requisite.body) if r is not None}
