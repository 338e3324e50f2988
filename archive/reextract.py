"""Re-extraction: WARC records -> the crawl's ``extract()`` -> the crawl's ``store()``.

The second way into the archive: one process reads the WARC files
(:class:`archive.warc.reader.WarcReader`), the crawl's extraction pool
(:class:`archive.extraction.pool.ExtractionPool`) runs ``extract()`` on the HTML answers with status
200, given what the crawl gives it (:func:`archive.responses.page_input`: the same headers, charset,
content codings and site hints), and the results go to :func:`archive.store.store_batch` in batches,
in record order, so versions are numbered in the order the pages were fetched. Because ``store()``
is idempotent and keyed on ``(warc_file, warc_offset)``, a second run over the same files changes
nothing, a run over the crawl's own files adds nothing the crawl stored, and a run into an empty
database rebuilds sites, captures, articles, versions, authors and tags from the WARCs alone.

``dry_run`` runs the real ``store()`` in one transaction that is rolled back at the end (every
batch a savepoint of it), and reports the versions it made there: what a real run would make.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import queue
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine, create_engine, select, tuple_
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from archive import models, sitemaps
from archive.capture import Capture
from archive.db import migrate, open_database
from archive.dry_run import Change, last_version_id, rolled_back, versions_made
from archive.extraction.pool import ExtractionPool
from archive.memos import ExtractionReuse
from archive.page_reading import PageRead, PageTask
from archive.profiles import profiles_for_hints
from archive.responses import (
    PageInput,
    is_html,
    media_type,
    names_requisites,
    page_input,
    profile_hints,
    wants_extraction,
)
from archive.store import ExtractionResult, StoreStats, store_batch
from archive.warc.reader import ReadRecord, ReadStats, Selection, Skipped, WarcReader
from archive.warc.revisits import ORIGINAL_TYPES
from archive.warc.warcinfo import RECORDED_SETTINGS
from archive.warc.writer import READABLE_SUFFIXES, closed_warc_files

logger = logging.getLogger(__name__)

Batch = list[tuple[Capture, ExtractionResult | None]]
Flush = Callable[[Batch], None]
MAX_LISTED_SKIPS = 1000  # the count is exact; the list of what was skipped is capped


def default_workers() -> int:
    """The cores this process may use (its CPU affinity, not the machine's core count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# -- results -----------------------------------------------------------------------------------
@dataclass(slots=True)
class ReextractResult:
    read: ReadStats
    store: StoreStats = field(default_factory=StoreStats)
    captures_new: int = 0
    extracted: int = 0  # pages handed to the extraction function
    sitemap_entries: int = 0  # Google News sitemap entries recorded from the sitemaps read
    reused: int = 0  # revisits given the stored result of the same input instead (archive/memos.py)
    results: Counter[str] = field(default_factory=Counter)  # "article" or NotAnArticle.kind
    changes: list[Change] = field(default_factory=list)  # dry run only
    skips: list[Skipped] = field(default_factory=list)
    dry_run: bool = False
    workers: int = 0
    elapsed: float = 0.0

    @property
    def skipped(self) -> int:
        return self.read.skipped

    @property
    def articles(self) -> int:
        return self.results["article"]


# -- batched writes ----------------------------------------------------------------------------
class _BatchWriter:
    """Writes batches on a thread of its own, at most two queued behind the one being written.

    While a batch is written (``store()`` is ORM work: ~15 ms an article on SQLite) the reader goes
    on feeding the extraction pool, so the workers never wait on the database; the bounded queue
    holds memory flat when the database is the slower side. A failed write is re-raised in the
    caller's thread at the next ``put`` or at ``close``.
    """

    def __init__(self, write: Flush) -> None:
        self._write = write
        self._queue: queue.Queue[Batch | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="reextract-store", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._write(batch)
                except BaseException as exc:  # handed to the caller's thread
                    self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def put(self, batch: Batch) -> None:
        self._raise()
        self._queue.put(batch)

    def close(self, *, abandon: bool = False) -> None:
        if self._thread.is_alive():
            if abandon:  # an error elsewhere: drop what is queued, finish the batch being written
                with contextlib.suppress(queue.Empty):
                    while True:
                        self._queue.get_nowait()
            self._queue.put(None)
            self._thread.join()
        if not abandon:
            self._raise()


# -- progress ----------------------------------------------------------------------------------
class _Progress:
    """A rich progress bar on a terminal; a plain line every *interval* seconds otherwise."""

    def __init__(self, enabled: bool | None, stream: TextIO | None = None, interval: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.fancy = self.stream.isatty() if enabled is None else enabled
        self.interval = interval
        self.started = time.monotonic()
        self.last = 0.0
        self._bar: Any = None
        self._task: Any = None

    def start(self, total_bytes: int) -> None:
        if not self.fancy:
            return
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("reextract"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[line]}"),
            TimeRemainingColumn(),
            console=Console(file=self.stream),
        )
        self._bar.start()
        self._task = self._bar.add_task("reextract", total=max(1, total_bytes), line="")

    def _line(self, result: ReextractResult) -> str:
        elapsed = max(1e-6, time.monotonic() - self.started)
        read = result.read
        return (
            f"{read.responses:,} records · {result.articles:,} articles · "
            f"{read.responses / elapsed:,.1f} records/s · {read.skipped:,} skipped"
        )

    def update(self, result: ReextractResult, *, force: bool = False) -> None:
        now = time.monotonic()
        if self.fancy and self._bar is not None:
            if force or now - self.last >= 0.2:
                self.last = now
                self._bar.update(self._task, completed=result.read.bytes_read, line=self._line(result))
        elif force or now - self.last >= self.interval:
            self.last = now
            total = max(1, result.read.bytes_total)
            percent = 100 * min(result.read.bytes_read, total) / total
            print(f"reextract: {percent:.0f}% of {total:,} bytes, {self._line(result)}", file=self.stream, flush=True)

    def close(self, result: ReextractResult) -> None:
        if self._bar is not None:
            self.update(result, force=True)
            self._bar.stop()
            self._bar = None
        elif not self.fancy:
            self.update(result, force=True)


# -- the run -----------------------------------------------------------------------------------
def _open(database_url: str, dry_run: bool) -> sessionmaker[Session]:
    if dry_run:
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
            # Nothing stored yet: compare against an empty schema without creating the file. One
            # connection shared by the threads (each would get its own empty database otherwise).
            engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
            migrate(engine)
            return sessionmaker(engine, expire_on_commit=False)
    return open_database(database_url, create=not dry_run)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; a directory stands for every closed WARC under it (never ``*.open``)."""
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(closed_warc_files(path, READABLE_SUFFIXES) if path.is_dir() else [path])
    return files


def _existing_captures(session: Session, keys: set[tuple[str, int]]) -> set[tuple[str, int]]:
    C = models.Capture
    found: set[tuple[str, int]] = set()
    ordered = sorted(keys)
    for start in range(0, len(ordered), 300):
        chunk = ordered[start : start + 300]
        rows = session.execute(select(C.warc_file, C.warc_offset).where(tuple_(C.warc_file, C.warc_offset).in_(chunk)))
        found.update((f, o) for f, o in rows)
    return found


class _NamedAlready:
    """Which records' captures have their ``capture_requisites`` rows already, by file, read once a
    file from the database being written.

    ``store()`` writes a capture's rows once and keeps them (archive/store.py ``requisites``), so a
    page whose capture has them is not read for what it names: reading it is a parse of the page
    in its worker (about 5 ms of a 320 KB page's 28) whose answer would be dropped. A re-extraction
    into the crawl's own database, or a second one, reads none; captures stored before the table
    existed, or without rows, are read and filled as before."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._by_file: dict[str, frozenset[int]] = {}

    def __call__(self, capture: Capture) -> bool:
        offsets = self._by_file.get(capture.warc_file)
        if offsets is None:
            offsets = self._by_file[capture.warc_file] = self._offsets(capture.warc_file)
        return capture.warc_offset in offsets

    def _offsets(self, warc_file: str) -> frozenset[int]:
        C, R = models.Capture, models.CaptureRequisite
        named = select(R.capture_id).where(R.capture_id == C.id).exists()
        try:
            with self.sessions() as session:
                return frozenset(session.scalars(select(C.warc_offset).where(C.warc_file == warc_file, named)))
        except SQLAlchemyError as exc:  # then read as if none had them: the rows come out the same
            logger.warning("requisites stored for %s not looked up: %s", warc_file, str(exc).splitlines()[0])
            return frozenset()


@dataclass(frozen=True, slots=True)
class ReextractSettings:
    """What re-extraction reads from the crawl's settings, so both paths decide alike."""

    sites_file: str | None  # NEWSARCHIVE_SITES_FILE: the profiles whose hints apply
    max_size: int  # DOWNLOAD_MAXSIZE: the limit on a decoded body
    niceness: int  # NEWSARCHIVE_EXTRACT_NICENESS
    batch_size: int  # NEWSARCHIVE_STORE_BATCH_SIZE
    reuse: bool = True  # NEWSARCHIVE_EXTRACT_REUSE: revisits given their original's stored result
    # NEWSARCHIVE_REQUISITES, _PER_PAGE, NEWSARCHIVE_REQUISITE_MAXSIZE: what each page and stylesheet
    # names as its requisites (capture_requisites), as the crawl requested them.
    requisite_level: str = "none"
    requisites_per_page: int = 0
    requisite_maxsize: int = 0
    # NEWSARCHIVE_READER_RENDERED_WITHIN: how far past a file given alone its rendered DOMs are
    # looked for in its writer's later files (archive/warc/rendered.py), as "view as archived" looks.
    rendered_within: float = 0.0
    # The requisite settings the user set (archive/warc/warcinfo.py RECORDED_SETTINGS): the others
    # are each file's crawl's, as its warcinfo record says them (as_crawled).
    given: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Any) -> ReextractSettings:
        from scrapy.settings import SETTINGS_PRIORITIES

        set_by_user = SETTINGS_PRIORITIES["project"]  # crawler/settings.py's defaults are at this priority
        return cls(
            sites_file=settings.get("NEWSARCHIVE_SITES_FILE") or None,
            max_size=settings.getint("DOWNLOAD_MAXSIZE"),
            niceness=settings.getint("NEWSARCHIVE_EXTRACT_NICENESS"),
            batch_size=settings.getint("NEWSARCHIVE_STORE_BATCH_SIZE"),
            reuse=settings.getbool("NEWSARCHIVE_EXTRACT_REUSE"),
            requisite_level=settings.get("NEWSARCHIVE_REQUISITES"),
            requisites_per_page=settings.getint("NEWSARCHIVE_REQUISITES_PER_PAGE"),
            requisite_maxsize=settings.getint("NEWSARCHIVE_REQUISITE_MAXSIZE"),
            rendered_within=settings.getfloat("NEWSARCHIVE_READER_RENDERED_WITHIN"),
            given=frozenset(name for name in RECORDED_SETTINGS if settings.getpriority(name) > set_by_user),
        )

    @property
    def may_name_requisites(self) -> bool:
        """Whether any page may be read for its requisites: unless the user set the level to none,
        a file's crawl may have recorded them."""
        return self.requisite_level != "none" or "NEWSARCHIVE_REQUISITES" not in self.given

    def as_crawled(self, crawl: Mapping[str, str]) -> ReextractSettings:
        """These settings with the requisite settings the user did not set taken from *crawl* (a
        file's warcinfo: archive/warc/warcinfo.py ``crawl_settings``); a value no crawl of ours
        writes (another tool's field of the same name) is not taken."""
        from archive.requisites import LEVELS

        level = crawl.get("NEWSARCHIVE_REQUISITES")
        changes: dict[str, Any] = {}
        if "NEWSARCHIVE_REQUISITES" not in self.given and level in LEVELS:
            changes["requisite_level"] = level
        for name, attribute in (
            ("NEWSARCHIVE_REQUISITES_PER_PAGE", "requisites_per_page"),
            ("NEWSARCHIVE_REQUISITE_MAXSIZE", "requisite_maxsize"),
        ):
            value = crawl.get(name, "")
            if name not in self.given and value.isascii() and value.isdigit():
                changes[attribute] = int(value)
        return replace(self, **changes) if changes else self

    @classmethod
    def defaults(cls) -> ReextractSettings:
        from archive.crawl import project_settings

        return cls.from_settings(project_settings())


@dataclass(slots=True)
class _Read:
    """A record's one worker task (archive/page_reading.py: its extraction and what it names, from
    one parse), and what it read once waited for."""

    task: PageTask
    future: Future[PageRead]
    read: PageRead | None = None

    def outcome(self, pool: ExtractionPool) -> PageRead:
        if self.read is None:
            self.read = pool.read_result(self.task, self.future)  # the pool's crash policy
        return self.read


@dataclass(slots=True)
class _Pending:
    capture: Capture
    task: _Read | None = None  # its worker task: its extraction (unless reused), what it names
    page: bool = False  # stored with an extraction result (an HTML answer with status 200)
    reused: ExtractionResult | None = None  # the stored result of an unchanged revisit
    named_by: _Read | None = None  # whose requisites it records: its own task's, a rendered DOM its HTML's
    # An HTML page a rendered DOM may still follow (archive/warc/rendered.py): held until a record
    # dated past NEWSARCHIVE_READER_RENDERED_WITHIN after it is read, so the DOM takes its place.
    may_be_rendered: bool = False


class _Run:
    """One re-extraction: records in, extraction results out in record order, batches stored."""

    def __init__(
        self,
        result: ReextractResult,
        config: ReextractSettings,
        workers: int,
        batch_size: int,
        reuse: ExtractionReuse | None,
        news_engine: Engine | None,
        named_already: Callable[[Capture], bool] = lambda capture: False,
        crawl_settings: Mapping[Path, Mapping[str, str]] | None = None,
    ) -> None:
        self.result = result
        # Each file's crawl's settings, as the reader has read them from its warcinfo so far.
        self.crawl_settings = crawl_settings if crawl_settings is not None else {}
        self._as_crawled: dict[tuple[Path, tuple[tuple[str, str], ...]], ReextractSettings] = {}
        self.reuse = reuse
        # Whether a capture's requisites are stored already (_NamedAlready): then not read again.
        self.named_already = named_already
        # Where the news sitemaps' entries go before the pages after them are stored (None: a dry run).
        self.news_engine = news_engine
        self.config = config
        self.batch_size = batch_size
        self.hints = profile_hints(profiles_for_hints(config.sites_file))
        self.pool = ExtractionPool(workers, config.niceness)
        self.window: deque[_Pending] = deque()
        # Enough pages in flight to keep every worker busy while a batch is being written.
        self.limit = max(32, 16 * max(1, workers))
        self.batch: Batch = []

    def page(self, record: ReadRecord) -> PageInput:
        """The record's extraction input, by the rules the crawl applied to the same exchange."""
        assert record.payload is not None
        page = page_input(
            record.capture.url, record.http_headers, record.payload, self.hints, limit=self.config.max_size
        )
        if page.error is not None:
            # The crawl logs the same line for the same exchange (crawler/content_decoding.py): without
            # it the summary counts an error the user cannot trace to a page or a setting.
            logger.warning("cannot decode %s: %s (stored as an extraction error)", page.url, page.error)
        return page

    def requisite_config(self, record: ReadRecord) -> ReextractSettings:
        """The settings *record*'s requisites are named by: the crawl's that wrote its file, where
        the user set none (ReextractSettings.as_crawled)."""
        crawl = tuple(sorted(self.crawl_settings.get(record.path, {}).items()))
        key = (record.path, crawl)
        if key not in self._as_crawled:
            self._as_crawled[key] = self.config.as_crawled(dict(crawl))
        return self._as_crawled[key]

    def _names(self, record: ReadRecord, body: bytes) -> bool:
        """Whether the page or stylesheet of *record* is read for what it names (by the function
        the spider calls, on the response the crawl's downloader made of the same exchange)."""
        capture, config = record.capture, self.requisite_config(record)
        if config.requisite_level == "none" or not names_requisites(capture.status, capture.content_type, capture.url):
            return False
        if self.named_already(capture):
            return False
        # The crawl's stylesheet, fetched within that limit, could not be read either.
        return is_html(capture.content_type) or (
            record.decoding_error is None and len(body) <= config.requisite_maxsize
        )

    def _task(self, record: ReadRecord, body: bytes | None, page: PageInput | None) -> _Read | None:
        """The record's worker task: *page* extracted (None: not extracted), what *body* names
        read (None: not read), from one parse of the page; None when it has nothing to do."""
        names = body is not None and self._names(record, body)
        if not names and page is None:
            return None
        capture, config = record.capture, self.requisite_config(record)
        task = PageTask(
            capture.url,
            capture.status,
            record.http_headers,
            body if body is not None and names else b"",
            None,
            page,
            config.requisite_level if names else "none",
            config.requisites_per_page,
        )
        return _Read(task, self.pool.submit_read(task))

    def feed(self, record: ReadRecord, flush: Flush) -> None:
        capture = record.capture
        html_named_by = None
        if record.rendered:
            # The spider read the page's requisites from its HTML, not from the DOM a browser built.
            html_named_by = self._forget_html(capture)
        if record.payload is not None and not wants_extraction(capture.status, capture.content_type):
            self._record_news(record)
            task = self._task(record, record.payload, None)
            self.window.append(_Pending(capture, task, named_by=task))
        elif record.payload is not None:
            page = self.page(record)
            reused = self._reused(capture, page)
            names = page.error is None and not record.rendered
            task = self._task(record, page.body if names else None, None if reused is not None else page)
            named_by = html_named_by if record.rendered else task if names else None
            self.window.append(_Pending(capture, task, True, reused, named_by, may_be_rendered=not record.rendered))
        else:
            self.window.append(_Pending(capture))
        while self.window and (len(self.window) > self.limit or self._settled(self.window[0], capture)):
            self.settle(self.window.popleft(), flush)

    def _settled(self, entry: _Pending, latest: Capture) -> bool:
        """Whether *entry* can be stored, the record of *latest* read: its tasks are done, and no
        rendered DOM of its page can come after a record dated *latest*."""
        if not _ready(entry):
            return False
        if not entry.may_be_rendered:
            return True
        return latest.fetched_at - entry.capture.fetched_at > dt.timedelta(seconds=self.config.rendered_within)

    def _reused(self, capture: Capture, page: PageInput) -> ExtractionResult | None:
        """The stored result of a revisit of the same input, as the crawl's reuse pipeline gives
        it; None: the page is extracted."""
        earlier = None if self.reuse is None else self.reuse.result_for(capture, page)
        if earlier is None:
            self.result.extracted += 1
        else:
            self.result.reused += 1
        return earlier

    def _record_news(self, record: ReadRecord) -> None:
        """What a Google News sitemap says of its articles, recorded as the crawl recorded it when
        it read the sitemap, so a bare page gets the same title, date and tags."""
        assert record.payload is not None
        news = sitemaps.news_in_sitemap(record.capture.url, record.payload)
        if not news or self.news_engine is None:
            return
        try:
            sitemaps.record(self.news_engine, news, record.capture.fetched_at)
            self.result.sitemap_entries += len(news)
        except SQLAlchemyError as exc:
            logger.warning("sitemap entries of %s not recorded: %s", record.capture.url, str(exc).splitlines()[0])

    def _forget_html(self, capture: Capture) -> _Read | None:
        """The page's HTML, still waiting, is not stored: its rendered DOM is what the crawl
        extracted. (Stored already, its result is replaced by the DOM's, as a re-extraction would.)
        The task whose requisites its HTML named, for the DOM's entry to record."""
        key = (capture.warc_file, capture.warc_offset)
        for entry in self.window:
            if entry.page and (entry.capture.warc_file, entry.capture.warc_offset) == key:
                self.window.remove(entry)
                if entry.reused is not None:
                    self.result.reused -= 1
                else:
                    self.result.extracted -= 1
                return entry.named_by
        return None

    def settle(self, entry: _Pending, flush: Flush) -> None:
        outcome: ExtractionResult | None = None
        if entry.page:
            outcome = entry.reused
            if outcome is None:
                assert entry.task is not None
                outcome = entry.task.outcome(self.pool).result
            assert outcome is not None
            self.result.results[outcome.kind] += 1
        capture = entry.capture
        if entry.named_by is not None:
            named = entry.named_by.outcome(self.pool).named
            capture = replace(capture, requisites=None if named is None else named.urls)
        self.batch.append((capture, outcome))
        if len(self.batch) >= self.batch_size:
            self.flush(flush)

    def flush(self, flush: Flush) -> None:
        if self.batch:
            batch, self.batch = self.batch, []
            flush(batch)

    def drain(self, flush: Flush) -> None:
        while self.window:
            self.settle(self.window.popleft(), flush)
        self.flush(flush)


def _ready(entry: _Pending) -> bool:
    return all(task is None or task.future.done() for task in (entry.task, entry.named_by))


def _reader(
    paths: Iterable[Path],
    sessions: sessionmaker[Session],
    result: ReextractResult,
    warc_dir: Path | None,
    selection: Selection | None,
    max_size: int,
    requisites: bool,
    rendered_within: float,
) -> WarcReader:
    def resolve_digest(digest: str) -> tuple[str, int] | None:
        C = models.Capture
        with sessions() as session:
            row = session.execute(
                select(C.warc_file, C.warc_offset)
                .where(C.payload_digest == digest, C.record_type.in_(ORIGINAL_TYPES))
                .order_by(C.id)
                .limit(1)
            ).first()
        return (row[0], row[1]) if row else None

    def on_skip(skip: Skipped) -> None:
        if len(result.skips) < MAX_LISTED_SKIPS:
            result.skips.append(skip)

    reader = WarcReader(
        expand_paths(paths),
        warc_dir=warc_dir,
        select=selection,
        max_size=max_size,
        resolve_digest=resolve_digest,
        on_skip=on_skip,
        want_payload=lambda status, content_type: (
            wants_extraction(status, content_type)
            or sitemaps.may_be_sitemap(status, content_type)
            # A stylesheet, for what it loads; an untyped answer may be one (a URL ending in .css).
            or (requisites and status == 200 and media_type(content_type) in ("text/css", ""))
        ),
        rendered_within=dt.timedelta(seconds=rendered_within),
    )
    result.read = reader.stats
    return reader


def reextract(
    paths: Iterable[Path],
    *,
    database_url: str,
    warc_dir: Path | None = None,
    selection: Selection | None = None,
    workers: int | None = None,
    dry_run: bool = False,
    batch_size: int | None = None,
    settings: ReextractSettings | None = None,
    progress: bool | None = None,
    progress_stream: TextIO | None = None,
    on_batch: Callable[[ReextractResult], None] | None = None,
) -> ReextractResult:
    """Re-extract every response record of *paths* (WARC files, or directories of them) into the
    database at *database_url*.

    *warc_dir* is the WARC directory: files inside it are stored by their path relative to it, as
    the crawl stores them; others by absolute path. *workers* extraction processes (default: the
    cores available; 0 = in this process). *settings*: the crawl's (default: the project's).
    *progress*: ``None`` = a bar when stderr is a terminal.
    """
    started = time.monotonic()
    config = settings or ReextractSettings.defaults()
    workers = default_workers() if workers is None else max(0, workers)
    sessions = _open(database_url, dry_run)
    result = ReextractResult(read=ReadStats(), dry_run=dry_run, workers=workers)
    requisites = config.may_name_requisites
    reader = _reader(paths, sessions, result, warc_dir, selection, config.max_size, requisites, config.rendered_within)
    reporter = _Progress(progress, progress_stream)
    reuse = ExtractionReuse(sessions) if config.reuse else None
    news_engine = None if dry_run else sessions.kw["bind"]
    # A dry run reads every page's requisites: its batches' rows sit in a transaction of their own, and
    # an in-memory database's one connection must not be read beside it.
    named_already = _NamedAlready(sessions) if requisites and not dry_run else (lambda capture: False)
    run = _Run(
        result,
        config,
        workers,
        batch_size or config.batch_size,
        reuse,
        news_engine,
        named_already,
        reader.crawl_settings,
    )
    writer: _StoreWriter | _DryRunWriter = (
        _DryRunWriter(sessions, result, on_batch) if dry_run else _StoreWriter(sessions, result, on_batch)
    )
    try:
        for number, record in enumerate(reader):
            if number == 0:
                reporter.start(reader.stats.bytes_total)
            run.feed(record, writer.put)
            reporter.update(result)
        run.drain(writer.put)
        writer.finish()
    finally:
        writer.abort()  # nothing left to do after finish()
        run.pool.close()
        result.elapsed = time.monotonic() - started
        reporter.close(result)
    return result


class _Writer:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        result: ReextractResult,
        on_batch: Callable[[ReextractResult], None] | None,
    ) -> None:
        self.sessions = sessions
        self.result = result
        self.on_batch = on_batch

    def _stored(self, stats: StoreStats, keys: set[tuple[str, int]], existing: set[tuple[str, int]]) -> None:
        self.result.store.add(stats)
        self.result.captures_new += len(keys - existing)
        if self.on_batch is not None:
            self.on_batch(self.result)


class _StoreWriter(_Writer):
    """Batches written on a thread of their own by ``store_batch()`` (deadlock retry), as the crawl
    writes them."""

    thread: _BatchWriter | None = None

    def _write(self, batch: Batch) -> None:
        keys = {(c.warc_file, c.warc_offset) for c, _ in batch}
        with self.sessions() as session:
            existing = _existing_captures(session, keys)
        self._stored(store_batch(self.sessions, batch), keys, existing)

    def put(self, batch: Batch) -> None:
        if self.thread is None:
            self.thread = _BatchWriter(self._write)
        self.thread.put(batch)

    def finish(self) -> None:
        if self.thread is not None:
            self.thread.close()

    def abort(self) -> None:
        if self.thread is not None:
            self.thread.close(abandon=True)


class _DryRunWriter(_Writer):
    """Batches stored by the real ``store()`` in savepoints of one transaction that is rolled back at
    the end; in the caller's thread, since that transaction's connection is not shared."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        result: ReextractResult,
        on_batch: Callable[[ReextractResult], None] | None,
    ) -> None:
        self._stack = contextlib.ExitStack()
        super().__init__(self._stack.enter_context(rolled_back(sessions)), result, on_batch)

    def put(self, batch: Batch) -> None:
        keys = {(c.warc_file, c.warc_offset) for c, _ in batch}
        with self.sessions() as session:
            existing = _existing_captures(session, keys)
            after = last_version_id(session)
        stats = store_batch(self.sessions, batch)
        with self.sessions() as session:
            self.result.changes.extend(versions_made(session, keys, after))
        self._stored(stats, keys, existing)

    def finish(self) -> None:
        self._stack.close()

    def abort(self) -> None:
        self._stack.close()


def record_type_rows(read: ReadStats) -> list[tuple[str, str]]:
    """Every record read, per type, and what became of the records of each type."""
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in sorted(read.types.items()))
    rows = [("records read", f"{read.records:,}" + (f" ({kinds})" if kinds else ""))]
    for kind in sorted(read.types):
        outcomes = sorted(((outcome, n) for (k, outcome), n in read.outcomes.items() if k == kind), key=lambda o: -o[1])
        rows.append((f"{kind} records", "; ".join(f"{outcome} {n:,}" for outcome, n in outcomes)))
    return rows


def summary_json(result: ReextractResult) -> dict[str, Any]:
    """The run's figures as one JSON object: what ``--format json`` prints."""
    read, stored = result.read, result.store
    records = {
        kind: {"read": count, "outcomes": {o: n for (k, o), n in sorted(read.outcomes.items()) if k == kind}}
        for kind, count in sorted(read.types.items())
    }
    return {
        "dry_run": result.dry_run,
        "files": read.files,
        "records_read": read.records,
        "records": records,
        "responses": read.responses,
        "revisits": read.revisits,
        "filtered": read.filtered,
        "pages_extracted": result.extracted,
        "pages_reused": result.reused,
        "sitemap_entries_recorded": result.sitemap_entries,
        "results": dict(sorted(result.results.items())),
        "captures": stored.captures,
        "captures_new": result.captures_new,
        "articles_new": stored.articles_new,
        "versions_new": stored.versions_new,
        "unchanged": stored.unchanged,
        "removed": stored.removed,
        "refused_by_database": stored.skipped,
        "wrong_payload_digests": read.bad_payload_digests,
        "skipped": read.skipped,
        "skip_reasons": dict(read.skip_reasons.most_common()),
        "skips": [{"file": s.file, "offset": s.offset, "reason": s.reason} for s in result.skips],
        "changes": [{"url": c.url, "change": c.summary} for c in result.changes],
        "workers": result.workers,
        "seconds": round(result.elapsed, 3),
    }


def summary_rows(result: ReextractResult) -> list[tuple[str, str]]:
    """The run's figures as (label, value) rows, for the CLI's table or plain output."""
    store_stats = result.store
    read = result.read
    would = "would be " if result.dry_run else ""
    rows = [
        ("WARC files", f"{read.files:,}"),
        ("response records", f"{read.responses:,}" + (f" ({read.revisits:,} revisits)" if read.revisits else "")),
        ("left out by filters", f"{read.filtered:,}"),
        ("pages extracted", f"{result.extracted:,}"),
        ("revisits given their stored result", f"{result.reused:,}"),
        ("news sitemap entries recorded", f"{result.sitemap_entries:,}"),
        ("articles", f"{result.articles:,}"),
        ("not articles", ", ".join(f"{k} {v:,}" for k, v in sorted(result.results.items()) if k != "article") or "0"),
        (f"captures {would}new", f"{result.captures_new:,} of {store_stats.captures:,}"),
        (f"articles {would}new", f"{store_stats.articles_new:,}"),
        (f"versions {would}new", f"{store_stats.versions_new:,}"),
        ("unchanged", f"{store_stats.unchanged:,}"),
        (f"articles {would}marked removed (404/410)", f"{store_stats.removed:,}"),
        ("skipped (bad input)", f"{read.skipped:,}"),
        ("refused by the database", f"{store_stats.skipped:,}"),
        ("workers", f"{result.workers}"),
        ("time", f"{result.elapsed:.1f} s ({result.extracted / max(result.elapsed, 1e-6):,.1f} pages/s)"),
    ]
    rows.extend(record_type_rows(read))
    if read.bad_payload_digests:
        rows.append(("wrong payload digests (records kept, digest not used)", f"{read.bad_payload_digests:,}"))
    for reason, count in read.skip_reasons.most_common():
        rows.append((f"  skipped: {reason}", f"{count:,}"))
    return rows
