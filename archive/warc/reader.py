"""WARC reader: response records of any WARC (ours or foreign) as captures with decoded payloads.

Reads WARC 1.0 and 1.1, one gzip member per record or uncompressed, as written by this project,
``wget --warc-file``, Heritrix, Browsertrix or warcio. For each ``response`` record (and each
``revisit`` record, followed to the payload it refers to) it yields a :class:`ReadRecord`: the
:class:`~archive.capture.Capture` the crawl would have made for that exchange, the payload with
``Transfer-Encoding: chunked`` and ``Content-Encoding`` undone, and the HTTP headers. The
capture's method is its ``request`` record's (:mod:`~archive.warc.methods`; GET when there is
none), and only a GET's payload is decoded: a HEAD's or a POST's answer is a capture, as in the crawl.

This module is the iteration and the checks; the work is done in the modules beside it:
:mod:`~archive.warc.framing` (records as framed in a file, resync past damage),
:mod:`~archive.warc.httpblock` (the HTTP message and its codings), :mod:`~archive.warc.digests`
and :mod:`~archive.warc.revisits`.

The framing is parsed by this package rather than by warcio or FastWARC because bad input must
cost one record, not the rest of the file: a truncated or corrupt gzip member, or an uncompressed
record with a wrong ``Content-Length``, is logged with file and offset, counted, and reading
resumes at the next record that parses. A record whose ``WARC-Block-Digest`` or ``WARC-Payload-Digest`` does
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

import contextlib
import datetime as dt
import fnmatch
import functools
import logging
import os
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from archive.capture import Capture
from archive.responses import (
    HeaderPairs,
    body_is_read,
    capture_headers,
    first_header,
    header_dict,
    is_html,
    redirect_target,
    wants_extraction,
)
from archive.sites import SiteSelector, as_selector
from archive.warc.arc import derived_record_id
from archive.warc.digests import digest_matches
from archive.warc.framing import (
    MAX_BLOCK,
    BadStretch,
    Framer,
    RawRecord,
    is_truncated,
    parse_warc_date,
    unbracket,
)
from archive.warc.httpblock import HttpBlock, dechunk, decode_payload, http_message_type, parse_http, resource_block
from archive.warc.methods import DEFAULT_METHOD, Methods
from archive.warc.packages import Package, PackageError, Window, open_package
from archive.warc.redirects import RedirectChains
from archive.warc.rendered import conversions_after
from archive.warc.revisits import DEFER, Deferred, Location, Originals
from archive.warc.warcinfo import crawl_settings
from archive.warc.writer import later_files

logger = logging.getLogger(__name__)
# HTML pages remembered for the conversion records (rendered DOMs) that refer to them.
RENDERED_LOOKBACK = 10_000


def _is_chunked(headers: HeaderPairs) -> bool:
    return any(name.lower() == "transfer-encoding" and "chunked" in value.lower() for name, value in headers)


# -- results -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReadRecord:
    """One response (or resolved revisit) record.

    ``payload`` is the body with transfer and content codings undone (by the crawl's rules,
    archive/responses.py), or as stored when its content codings cannot be undone
    (``decoding_error`` says why), or ``None`` when the record was not selected for payload
    decoding (see ``WarcReader(want_payload=...)``) or is too big. ``http_headers`` are the
    header lines that describe ``payload``: ``Content-Encoding`` and ``Transfer-Encoding`` are
    gone once undone, as they are from the crawl's decoded response.
    """

    capture: Capture
    payload: bytes | None
    http_headers: HeaderPairs
    path: Path
    decoding_error: str | None = None
    # The payload is the DOM a browser built from the capture's page (a ``conversion`` record that
    # refers to its response), which extraction reads in place of the page's HTML.
    rendered: bool = False

    @property
    def headers(self) -> dict[str, str]:
        return header_dict(self.http_headers)


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
    bad_payload_digests: int = 0  # records kept whose declared payload digest is wrong
    # Files gzipped whole: their captures' offsets are in the inflated stream (framing.gzipped_whole).
    gzipped_whole: list[str] = field(default_factory=list)
    # Every record read, by type ("dns" for the response records of DNS lookups), and what became
    # of each: (type, outcome) -> count; every record has exactly one outcome.
    types: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)


# What became of a record (the outcomes of ``ReadStats.outcomes`` besides "skipped: REASON").
EXTRACTED = "extracted"
CAPTURE_ONLY = "stored as a capture (not HTML, or not 200)"
TOO_LARGE = "stored as a capture (too large to decode)"
REQUISITE = "stored as a capture (a requisite: not in the package's pages)"
FILTERED = "left out by filters"
NOT_HTTP = "not read (its block is no HTTP message)"
NOTHING = "nothing to extract"
METHOD_READ = "read for its response's method"
TRUNCATED = "stored as a capture (WARC-Truncated: not the whole record)"


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


class OutsideWarcDir(ValueError):
    """A stored ``warc_file`` name that names no file inside the WARC directory."""


def locate(warc_file: str, warc_dir: Path | None, *, also_in: Iterable[Path] = ()) -> Path:
    """The path of a stored ``warc_file`` name (see :func:`stored_name`), which must lie inside
    *warc_dir* or one of the directories *also_in*; raises :class:`OutsideWarcDir` otherwise.

    Names come from the database, which other machines and tools write to: a name must not make a
    command read (and package, or print) any file the user may read. So a name is followed only into
    a directory the user gave: the WARC directory, and for ``reextract`` the directories of the
    files it was given (whose absolute names it stored). The check is on the name (``..``, absolute
    paths), not on symbolic links, which only the user can put in those directories.
    """
    if "\0" in warc_file:
        raise OutsideWarcDir(f"WARC file name {warc_file!r} holds a NUL byte")
    base = warc_dir if warc_dir is not None else Path.cwd()
    path = Path(os.path.abspath(Path(base, warc_file)))  # an absolute name stays absolute
    for directory in [*([warc_dir] if warc_dir is not None else []), *also_in]:
        for root in {Path(os.path.abspath(directory)), Path(directory).resolve()}:
            if path != root and path.is_relative_to(root):
                return path
    raise OutsideWarcDir(f"WARC file name {warc_file!r} lies outside the WARC directory {warc_dir}")


def target_uri(headers: dict[str, str]) -> str | None:
    """A record's ``WARC-Target-URI`` when it is a URL the archive can store and match (its host,
    its port), else ``None``: ``http://[::1/bad`` would raise in every function handed it later."""
    url = unbracket(headers.get("warc-target-uri"))
    if not url:
        return None
    try:
        _ = urlsplit(url).port  # urlsplit checks brackets; the port, only when asked for
    except ValueError:
        return None
    return url


def _unusable_fields(headers: dict[str, str], url: str | None, fetched_at: dt.datetime | None) -> str:
    """Why a record's URL, date or id cannot make a capture (the one reason, the field's value)."""
    if url is None and headers.get("warc-target-uri"):
        return f"WARC-Target-URI is not a URL ({headers['warc-target-uri'][:200]!r})"
    if fetched_at is None and headers.get("warc-date"):
        return f"unreadable WARC-Date ({headers['warc-date'][:60]!r})"
    return "record lacks WARC-Target-URI or WARC-Date"


def record_kind(headers: dict[str, str]) -> str:
    """A record's type as the summary counts it: its ``WARC-Type``, and ``dns:`` for the response
    records of DNS lookups (Heritrix, Browsertrix), which hold no HTTP message."""
    kind = headers.get("warc-type", "").strip().lower() or "(no WARC-Type)"
    if kind in {"response", "resource"} and headers.get("warc-target-uri", "").lower().startswith("dns:"):
        return "dns"
    return kind[:40]


# -- the reader --------------------------------------------------------------------------------
# A revisit put off until every file is read: its file, its stored name, the record.
_Pending = tuple[Path, str, RawRecord]


class WarcReader:
    """Iterate the response records of *paths* as :class:`ReadRecord` (see the module doc).

    ``select(url, fetched_at)`` filters responses before their payload is decoded;
    ``want_payload(status, content_type)`` says which payloads to decode (default: what the crawl
    extracts, HTML with status 200), at most ``max_size`` bytes once decoded;
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
        want_payload: Callable[[int, str | None], bool] = wants_extraction,
        max_size: int = MAX_BLOCK,
        resolve_digest: Callable[[str], tuple[str, int] | None] | None = None,
        on_skip: Callable[[Skipped], None] | None = None,
        verify_digests: bool = True,
        rendered_within: dt.timedelta | None = None,
    ) -> None:
        self.paths = [Path(p) for p in paths]
        # A file's rendered DOMs are looked for in its writer's later files this run does not
        # read, up to this long after its last page (archive/warc/rendered.py); None: not looked for.
        self.rendered_within = rendered_within
        self.warc_dir = warc_dir
        self.select = select
        self.want_payload = want_payload
        self.max_size = max_size  # of a decoded payload: the crawl's DOWNLOAD_MAXSIZE
        self.resolve_digest = resolve_digest
        self.on_skip = on_skip
        self.verify_digests = verify_digests
        self.stats = ReadStats(files=len(self.paths))
        # Originals a revisit may point at: HTML 200 responses only, the only ones worth following.
        self._originals = Originals(
            resolve_digest=resolve_digest,
            # Names from the database: into the WARC directory, or beside the files being read.
            locate=functools.partial(locate, warc_dir=warc_dir, also_in={p.parent for p in self.paths}),
            verify_digests=verify_digests,
        )
        self._redirects = RedirectChains()
        self._kind: str | None = None  # the type of the record being read, until its outcome is noted
        self._pages: Package | None = None  # the package being read, which says what is a page
        # HTML pages read, by record id, for the rendered DOM (a conversion record) that may follow
        # them: the crawl writes it within its render timeout, so the recent ones are enough.
        self._pages_read: OrderedDict[str, Capture] = OrderedDict()
        self._methods = Methods()  # the method of each response, from its request record
        # The settings of the crawl that wrote each file, as its latest warcinfo record says them
        # (archive/warc/warcinfo.py): what reextract stores beyond the page follows them.
        self.crawl_settings: dict[Path, dict[str, str]] = {}

    def _note(self, outcome: str) -> None:
        """What became of the record being read (once: the first outcome noted is its outcome)."""
        if self._kind is not None:
            self.stats.outcomes[self._kind, outcome] += 1
            self._kind = None

    def _skip(self, file: str, offset: int, reason: str) -> None:
        self.stats.skipped += 1
        self.stats.skip_reasons[reason.split(" (", 1)[0]] += 1
        self._note("skipped: " + reason.split(" (", 1)[0])
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
        deferred: list[_Pending] = []
        done = 0
        for path in self.paths:
            yield from self._file(path, sizes[path], done, deferred)
            done += sizes[path]
            self.stats.bytes_read = done
        for path, name, raw in deferred:
            self._kind = "revisit"
            record = self._revisit(path, name, raw, final=True)
            if isinstance(record, ReadRecord):
                yield self._counted(record)
            self._note(NOTHING)

    def _file(self, path: Path, size: int, done: int, deferred: list[_Pending]) -> Iterator[ReadRecord]:
        name = stored_name(path, self.warc_dir)
        try:
            stream = path.open("rb")
        except OSError as exc:
            self._skip(str(path), 0, f"cannot open ({exc.strerror or exc})")
            return
        with stream:
            if path.name.endswith(".wacz"):
                yield from self._package(path, name, stream, done, deferred)
            else:
                framer = Framer(stream, size)
                yield from self._frames(path, name, framer, 0, done, deferred)
                if framer.gzipped_whole:
                    self.stats.gzipped_whole.append(name)
                yield from self._rendered_beyond(path, name)

    def _package(
        self, path: Path, name: str, stream: IO[bytes], done: int, deferred: list[_Pending]
    ) -> Iterator[ReadRecord]:
        """The WARCs inside a WACZ, read in place: their records' offsets are offsets in the package."""
        try:
            package = open_package(path)
        except PackageError as exc:
            self._skip(name, 0, str(exc))
            return
        for member, why in package.unreadable:
            self._skip(name, 0, f"{why} ({member})")
        self._pages = package
        try:
            for warc in package.warcs:
                framer = Framer(Window(stream, warc.start, warc.size), warc.size)  # type: ignore[arg-type]
                yield from self._frames(path, name, framer, warc.start, done + warc.start, deferred)
        finally:
            self._pages = None

    def _frames(
        self, path: Path, name: str, framer: Framer, base: int, done: int, deferred: list[_Pending]
    ) -> Iterator[ReadRecord]:
        """The records *framer* finds, at *base* in the file *path* (a package's WARC lies inside it)."""
        for item in self._methods.ahead(framer):  # its request may follow a response
            self.stats.bytes_read = done + framer.position
            item.offset += base
            if isinstance(item, BadStretch):
                self._skip(name, item.offset, item.reason)
                continue
            self.stats.records += 1
            self._kind = record_kind(item.headers)
            self.stats.types[self._kind] += 1
            try:
                record = self._record(path, name, item, deferred)
            except (ValueError, OverflowError) as exc:
                # A field no check above foresaw: this record is lost, not the rest of the run.
                self._skip(name, item.offset, f"unreadable record ({type(exc).__name__}: {exc})")
                continue
            if isinstance(record, ReadRecord):
                yield self._counted(record)
            elif record is None:
                self._note(NOTHING)

    def _record(self, path: Path, name: str, raw: RawRecord, deferred: list[_Pending]) -> ReadRecord | Deferred | None:
        kind = raw.headers.get("warc-type", "").lower()
        if kind == "response":
            return self._response(path, name, raw)
        if kind == "resource":
            return self._resource(path, name, raw)
        if kind == "conversion":
            return self._rendered(path, raw)
        if kind == "revisit":
            outcome = self._revisit(path, name, raw, final=False)
            if outcome is DEFER:
                deferred.append((path, name, raw))
            return outcome
        if kind == "request":
            self._note(METHOD_READ)
        if kind == "warcinfo":
            # Each WARC (a package's too) starts with its own: the records after it are its crawl's.
            self.crawl_settings[path] = crawl_settings(raw.block) if raw.complete else {}
        return None

    def _counted(self, record: ReadRecord) -> ReadRecord:
        self.stats.responses += not record.rendered
        self.stats.revisits += record.capture.record_type == "revisit"
        if record.capture.method != DEFAULT_METHOD:
            self._note(f"stored as a capture (answered a {record.capture.method[:16]}, not a GET)")
        if record.payload is not None:
            self._note(EXTRACTED)
        elif (record.capture.content_length or 0) > MAX_BLOCK and self.want_payload(
            record.capture.status, record.capture.content_type
        ):  # an HTML page over the reader's in-memory limit: its capture only
            self._note(TOO_LARGE)
        self._note(CAPTURE_ONLY)
        return record

    # -- checks --------------------------------------------------------------------------------
    def _block_ok(self, name: str, raw: RawRecord) -> bool:
        declared = raw.headers.get("warc-block-digest")
        if not self.verify_digests or not declared or not raw.complete:
            return True
        if digest_matches(declared, raw.block) is False:
            if raw.headers.get("warc-type") == "revisit" and digest_matches(declared, b""):
                # wget (1.21 at least) stamps revisit records with the digest of an empty block
                # while storing the HTTP headers in it: a known quirk, not damage.
                return True
            self._skip(name, raw.offset, "wrong WARC-Block-Digest")
            return False
        return True

    def _payload_ok(self, name: str, raw: RawRecord, http: HttpBlock) -> bool:
        declared = raw.headers.get("warc-payload-digest")
        if not self.verify_digests or not declared or not raw.complete:
            return True
        verdict = digest_matches(declared, http.body)
        if verdict is False:
            # Tools disagree on whether the payload digest covers the chunked framing: accept either.
            with contextlib.suppress(ValueError):
                verdict = digest_matches(declared, dechunk(http.body))
        if verdict is not False:
            return True
        if "warc-block-digest" not in raw.headers:
            self._skip(name, raw.offset, "wrong WARC-Payload-Digest")
            return False
        # The block digest vouches for the bytes: only the writer's payload digest is wrong. The
        # record is kept without it, so no revisit is ever matched to it (warcio and FastWARC flag it too).
        self.stats.bad_payload_digests += 1
        logger.warning(
            "%s at offset %d: wrong WARC-Payload-Digest %s (block intact; digest not used)", name, raw.offset, declared
        )
        del raw.headers["warc-payload-digest"]
        return True

    def _is_http(self, raw: RawRecord) -> bool:
        if http_message_type(raw.headers.get("content-type")):
            return True
        self._note(NOT_HTTP)
        return False

    def _selected(self, raw: RawRecord) -> bool:
        if self.select is None:
            return True
        url = target_uri(raw.headers)
        fetched_at = parse_warc_date(raw.headers.get("warc-date"))
        if url and fetched_at and not self.select(url, fetched_at):
            self.stats.filtered += 1
            self._note(FILTERED)
            return False
        return True

    def _capture(
        self, name: str, raw: RawRecord, http: HttpBlock, *, record_type: str, content_length: int | None
    ) -> Capture | None:
        url = target_uri(raw.headers)
        fetched_at = parse_warc_date(raw.headers.get("warc-date"))
        # Mandatory, yet some writers leave it out: an id derived from the record, the same every read.
        record_id = raw.headers.get("warc-record-id") or derived_record_id(
            url or "", raw.headers.get("warc-date", ""), raw.offset
        )
        if not url or fetched_at is None:
            self._skip(name, raw.offset, _unusable_fields(raw.headers, url, fetched_at))
            return None
        recorded = capture_headers(http.headers)  # by the rules the crawl's WARC middleware applies
        method = self._methods.of(raw)
        chain: tuple[str, ...] = ()
        target = None
        if body_is_read(method):  # a chain is what led a GET here: a POST's 303 or a HEAD's 301 leads no page
            chain = self._redirects.arrived(url)
            self._redirects.answered(url, chain, http.status, first_header(http.headers, "Location"))
            target = redirect_target(url, http.status, http.headers)
        # A revisit's block holds the headers only; its payload, when known, was received too.
        received = raw.block_length + ((content_length or 0) if record_type == "revisit" else 0)
        return Capture(
            url=url,
            status=http.status,
            fetched_at=fetched_at,
            bytes_received=received,
            warc_file=name,
            warc_offset=raw.offset,
            warc_length=raw.length,
            warc_record_id=record_id,
            record_type=record_type,
            content_type=recorded.content_type,
            content_length=content_length,
            payload_digest=raw.headers.get("warc-payload-digest"),
            ip_address=raw.headers.get("warc-ip-address"),
            etag=recorded.etag,
            last_modified=recorded.last_modified,
            redirected_from=chain,
            redirect_to=target,
            method=method,
        )

    def _decoded(self, capture: Capture, source: HttpBlock, headers: HeaderPairs, path: Path) -> ReadRecord:
        if not self.want_payload(capture.status, capture.content_type) or not body_is_read(capture.method):
            return ReadRecord(capture, None, headers, path)
        if self._pages is not None and not self._pages.is_page(capture.url):
            self._note(REQUISITE)  # a package names its pages: this HTML is a frame, an ad, a widget
            return ReadRecord(capture, None, headers, path)
        # Not a skip when the codings cannot be undone: the capture is stored, and extraction says
        # why it has no text, as it does for the crawl's copy of the same exchange.
        payload = decode_payload(source, self.max_size, headers)
        return ReadRecord(capture, payload.body, payload.headers, path, payload.error)

    def _answer(self, path: Path, name: str, raw: RawRecord, http: HttpBlock, capture: Capture) -> ReadRecord | None:
        """A response's or resource's capture: indexed as an original revisits may point at,
        selected, its payload decoded."""
        truncated = is_truncated(raw)
        if raw.complete and not truncated and self.want_payload(capture.status, capture.content_type):
            # An original a revisit may need the payload of (pages; what the caller reads too).
            self._originals.remember(Location(path, raw.offset), capture, raw.headers.get("warc-date", ""))
        if not self._selected(raw):
            return None
        if raw.complete and wants_extraction(capture.status, capture.content_type) and body_is_read(capture.method):
            self._pages_read[capture.warc_record_id] = capture
            if len(self._pages_read) > RENDERED_LOOKBACK:
                self._pages_read.popitem(last=False)
        if not raw.complete:
            logger.info("%s at offset %d: %d-byte record not decoded", name, raw.offset, raw.block_length)
            return ReadRecord(capture, None, http.headers, path)
        if truncated:
            # The first part of the answer only: the crawl extracts no page it could not download whole.
            self._note(TRUNCATED)
            return ReadRecord(capture, None, http.headers, path)
        return self._decoded(capture, http, http.headers, path)

    # -- record types --------------------------------------------------------------------------
    def _response(self, path: Path, name: str, raw: RawRecord) -> ReadRecord | None:
        if not self._is_http(raw) or not self._block_ok(name, raw):
            return None
        http = parse_http(raw.block)
        if http is None:
            if raw.block_length:
                self._skip(name, raw.offset, "response record without an HTTP status line")
            return None
        if not self._payload_ok(name, raw, http):
            return None
        body_length = len(http.body) + (raw.block_length - len(raw.block))
        if raw.complete and _is_chunked(http.headers):
            # The crawl counts the entity body as Scrapy has it, de-chunked: so does the reader.
            with contextlib.suppress(ValueError):
                body_length = len(dechunk(http.body))
        capture = self._capture(name, raw, http, record_type="response", content_length=body_length)
        return self._answer(path, name, raw, http, capture) if capture is not None else None

    def _rendered(self, path: Path, raw: RawRecord) -> ReadRecord | None:
        """The rendered DOM of a page read before (crawler/render.py): the page's capture with the
        conversion record's HTML as its payload, so reextract extracts what the crawl extracted."""
        capture = self._pages_read.get(raw.headers.get("warc-refers-to", ""))
        content_type = raw.headers.get("content-type")
        if capture is None or not is_html(content_type) or not raw.complete:
            return None
        return ReadRecord(capture, raw.block, [("Content-Type", content_type or "")], path, rendered=True)

    def _rendered_beyond(self, path: Path, name: str) -> Iterator[ReadRecord]:
        """The rendered DOMs of *path*'s pages that its writer wrote into a later file (it rotated
        files between a page and its render) which this run does not read: found as the archived
        view finds them, and given to extraction as if read here."""
        if self.rendered_within is None:
            return
        later = later_files(path)
        given = {p.resolve() for p in self.paths}
        if not later or any(p.resolve() in given for p in later):
            return  # read in its turn: its conversion records come then
        pages = [capture for capture in self._pages_read.values() if capture.warc_file == name]
        if not pages:
            return
        latest = max(capture.fetched_at for capture in pages)
        ids = {capture.warc_record_id for capture in pages}
        for found, raw in conversions_after(path, 0, ids, latest, self.rendered_within, later_only=True):
            record = self._rendered(found, raw)
            if record is not None:
                yield self._counted(record)

    def _resource(self, path: Path, name: str, raw: RawRecord) -> ReadRecord | None:
        """A page a browser-based crawler stored as a ``resource`` (no HTTP message): read as the
        200 answer it stands for, with the record's Content-Type (archive/responses.py)."""
        if not self._block_ok(name, raw):
            return None
        http = resource_block(raw)
        if not self._payload_ok(name, raw, http):
            return None
        capture = self._capture(name, raw, http, record_type="resource", content_length=raw.block_length)
        return self._answer(path, name, raw, http, capture) if capture is not None else None

    def _revisit(self, path: Path, name: str, raw: RawRecord, *, final: bool) -> ReadRecord | Deferred | None:
        if not raw.complete:
            self._note(TOO_LARGE)
            return None
        if not final and (not self._block_ok(name, raw) or not self._selected(raw)):
            return None
        # A revisit of a resource holds no HTTP message: status and headers are then the original's.
        has_http = http_message_type(raw.headers.get("content-type")) and raw.block.strip()
        http = parse_http(raw.block) if has_http else None
        if http is not None and (
            not self.want_payload(http.status, first_header(http.headers, "Content-Type"))
            or not body_is_read(self._methods.of(raw))
        ):
            # Nothing to extract (a 304 "server-not-modified" revisit, an image, a feed, a POST's
            # answer): the capture is all there is to store, the original need not be found.
            capture = self._capture(name, raw, http, record_type="revisit", content_length=None)
            return ReadRecord(capture, None, http.headers, path) if capture else None
        original = self._originals.find(raw)
        if original is None and not final:
            return DEFER
        if original is None:
            try:
                original = self._originals.resolve_stored(raw)
            except BadStretch as bad:
                self._skip(name, raw.offset, f"revisit whose original is unusable ({bad.reason})")
                return None
        if original is None:
            self._skip(name, raw.offset, "revisit whose original record was not found")
            return None
        try:
            source = self._originals.load(original)
        except BadStretch as bad:
            self._skip(name, raw.offset, f"revisit whose original is unusable ({original.path}: {bad.reason})")
            return None
        # The payload is the original's; status and headers are the revisit's when it has them.
        headers = http.headers if http is not None and http.headers else source.headers
        merged = HttpBlock(http.status if http is not None else source.status, headers, source.body)
        capture = self._capture(name, raw, merged, record_type="revisit", content_length=len(source.body))
        if capture is None:
            return None
        # Codings are undone as the original declared them: the bytes are the original's.
        return self._decoded(capture, source, headers, path)
