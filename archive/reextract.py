"""Re-extraction: WARC records -> the crawl's ``extract()`` -> the crawl's ``store()``.

The second way into the archive (see ARCHITECTURE.md): one process reads the WARC files
(:class:`archive.warc.reader.WarcReader`), a pool of worker processes runs
:func:`archive.extract.extract` on the HTML answers with status 200, and the results go to
:func:`archive.store.store` in batched transactions, in record order, so versions are numbered in
the order the pages were fetched. Because ``store()`` is idempotent and keyed on
``(warc_file, warc_offset)``, a second run over the same files changes nothing, a run over the
crawl's own files adds nothing the crawl stored, and a run into an empty database rebuilds sites,
captures, articles, versions, authors and tags from the WARCs alone.

``dry_run`` reads the database only: a :class:`_DryRun` replays ``store()``'s decisions (new
capture? new article? content hash equal to the current version, or already stored for this
capture?) against what the database holds plus what the run itself would have added, and
describes each article that would change.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import logging
import multiprocessing
import os
import queue
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import create_engine, select, tuple_
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from archive import models
from archive.capture import Capture
from archive.db import as_utc, migrate, open_database
from archive.extract import Article, NotAnArticle, extract
from archive.profiles import ProfileError, hints_for_url, load_profiles
from archive.store import ExtractionResult, StoreStats, article_url, is_recheck, store
from archive.warc.reader import ReadRecord, ReadStats, Selection, Skipped, WarcReader
from archive.warc.writer import closed_warc_files

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 200
MAX_LISTED_SKIPS = 1000  # the count is exact; the list of what was skipped is capped


def default_workers() -> int:
    """The cores this process may use (its CPU affinity, not the machine's core count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# -- results -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Change:
    """An article a (dry) run creates or gives a new version, with a one-line summary."""

    url: str
    summary: str


@dataclass(slots=True)
class ReextractResult:
    read: ReadStats
    store: StoreStats = field(default_factory=StoreStats)
    captures_new: int = 0
    extracted: int = 0  # pages handed to the extraction function
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


# -- snapshots and diff summaries ---------------------------------------------------------------
_COMPARED = ("title", "authors", "published", "modified", "language", "description", "section", "tags")


def _snapshot(result: Article) -> dict[str, Any]:
    return {
        "title": result.title,
        "text": result.text,
        "authors": list(result.authors),
        "published": result.published,
        "modified": result.modified,
        "language": result.language,
        "description": result.description,
        "section": result.section,
        "tags": list(result.tags),
        "extractor_version": result.extractor_version,
    }


def describe_change(old: dict[str, Any] | None, new: dict[str, Any], number: int) -> str:
    """A one-line summary of what a new version changes: the fields, and paragraphs of text."""
    if old is None:
        words = len(new["text"].split())
        return f"new article: {new['title'] or '(no title)'!r}, {words} words"
    parts = [name for name in _COMPARED if old.get(name) != new.get(name)]
    if old.get("text") != new["text"]:
        before, after = (old.get("text") or "").splitlines(), new["text"].splitlines()
        added = removed = 0
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
            if tag in ("replace", "delete"):
                removed += i2 - i1
            if tag in ("replace", "insert"):
                added += j2 - j1
        parts.append(f"text +{added}/-{removed} paragraphs")
    summary = f"v{number - 1} -> v{number}: {', '.join(parts) or 'content hash only'}"
    if old.get("extractor_version") != new["extractor_version"]:
        summary += f" (extractor {old.get('extractor_version')} -> {new['extractor_version']})"
    return summary


# -- dry run -----------------------------------------------------------------------------------
@dataclass(slots=True)
class _ArticleState:
    versions: set[tuple[str, tuple[str, int]]]  # (content hash, capture key) of stored versions
    current_hash: str | None
    current: dict[str, Any] | None
    number: int
    exists: bool = False
    last_captured_at: dt.datetime | None = None
    removed_at: dt.datetime | None = None


class _DryRun:
    """Replays ``store()``'s decisions without writing (keep the two in step: the tests compare
    a dry run's counts with the real run that follows it)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.articles: dict[str, _ArticleState] = {}
        self.seen_captures: set[tuple[str, int]] = set()
        self.capture_hashes: dict[tuple[str, int], str | None] = {}  # as store() would leave them
        self.changes: list[Change] = []

    def _capture_hash(self, key: tuple[str, int]) -> str | None:
        C = models.Capture
        query = select(C.content_hash).where(C.warc_file == key[0], C.warc_offset == key[1])
        return self.session.scalar(query)

    def _load(self, url: str) -> _ArticleState:
        if url in self.articles:
            return self.articles[url]
        V, C = models.ArticleVersion, models.Capture
        article = self.session.scalars(select(models.Article).where(models.Article.url == url)).one_or_none()
        state = _ArticleState(set(), None, None, 0)
        if article is not None:
            state.exists = True
            state.last_captured_at = as_utc(article.last_captured_at)
            state.removed_at = as_utc(article.removed_at) if article.removed_at else None
            rows = self.session.execute(
                select(V.content_hash, V.number, C.warc_file, C.warc_offset)
                .join(C, C.id == V.capture_id)
                .where(V.article_id == article.id)
            )
            for content_hash, number, warc_file, warc_offset in rows:
                state.versions.add((content_hash, (warc_file, warc_offset)))
                state.number = max(state.number, number)
            current = self.session.get(V, article.current_version_id) if article.current_version_id else None
            if current is not None:
                state.current_hash = current.content_hash
                state.current = {
                    "title": current.title,
                    "text": current.text,
                    "authors": [a.name for a in current.authors],
                    "published": current.published,
                    "modified": current.modified,
                    "language": current.language,
                    "description": current.description,
                    "section": current.section,
                    "tags": [t.name for t in current.tags],
                    "extractor_version": current.extractor_version,
                }
        self.articles[url] = state
        return state

    def apply(self, batch: Sequence[tuple[Capture, ExtractionResult | None]]) -> StoreStats:
        stats = StoreStats()
        for capture, result in batch:
            key = (capture.warc_file, capture.warc_offset)
            stats.captures += 1
            self.seen_captures.add(key)
            if is_recheck(capture):
                self._recheck(capture, stats)
            if isinstance(result, NotAnArticle):
                stats.not_articles += 1
            if not isinstance(result, Article):
                continue
            url = article_url(capture.url, result)
            state = self._load(url)
            state.exists = True
            state.last_captured_at = max(state.last_captured_at or capture.fetched_at, capture.fetched_at)
            if state.removed_at is not None and capture.fetched_at > state.removed_at:
                state.removed_at = None
            content_hash = result.content_hash()
            previous = self.capture_hashes[key] if key in self.capture_hashes else self._capture_hash(key)
            self.capture_hashes[key] = content_hash
            legacy_match = previous is None and (content_hash, key) in state.versions
            if content_hash in (previous, state.current_hash) or legacy_match:
                stats.unchanged += 1
                continue
            new = _snapshot(result)
            state.number += 1
            self.changes.append(Change(url, describe_change(state.current, new, state.number)))
            stats.versions_new += 1
            stats.articles_new += state.number == 1
            state.versions.add((content_hash, key))
            state.current_hash, state.current = content_hash, new
        return stats

    def _recheck(self, capture: Capture, stats: StoreStats) -> None:
        # store(): a 304 re-confirms a stored article, a 404/410 after its last capture removes it.
        state = self._load(capture.url)
        if not state.exists or state.last_captured_at is None:
            return
        if capture.status == 304:
            state.last_captured_at = max(state.last_captured_at, capture.fetched_at)
        elif state.removed_at is None and capture.fetched_at >= state.last_captured_at:
            state.removed_at = capture.fetched_at
            stats.removed += 1


# -- extraction pool ---------------------------------------------------------------------------
def _warm_up() -> None:
    """Import the heavy modules once per worker, before the first page waits on them."""
    extract(b"<html><body><p>warm up</p></body></html>", "http://localhost/", {"Content-Type": "text/html"})


@dataclass(slots=True)
class _Pending:
    capture: Capture
    record: ReadRecord | None  # kept until the result is in, to resubmit after a worker crash
    future: Future[ExtractionResult] | None
    retried: bool = False


class _Extractor:
    """``extract()`` in worker processes (or in this one when *workers* is 0)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = self._new_pool() if workers else None
        # The same per-site hints the crawl uses, so a rebuild extracts what the crawl extracted.
        try:
            self.profiles = load_profiles()
        except ProfileError:
            self.profiles = {}

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn: the parent holds database connections and maybe a progress thread; forking those is unsafe.
        pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        for _ in range(self.workers):
            pool.submit(_warm_up)
        return pool

    def submit(self, record: ReadRecord) -> Future[ExtractionResult]:
        assert record.payload is not None
        hints = hints_for_url(self.profiles, record.capture.url)
        if self.pool is None:
            done: Future[ExtractionResult] = Future()
            done.set_result(extract(record.payload, record.capture.url, record.headers, hints))
            return done
        return self.pool.submit(extract, record.payload, record.capture.url, record.headers, hints)

    def result(self, pending: _Pending) -> ExtractionResult:
        assert pending.future is not None and pending.record is not None
        url = pending.capture.url
        while True:
            try:
                return pending.future.result()
            except BrokenProcessPool:
                # A worker died (out of memory, a crash in C code). Every page in flight failed with
                # it; each gets one more try in a fresh pool, then counts as an extraction error.
                if self.pool is not None and self.pool._broken:  # type: ignore[attr-defined]
                    logger.error("an extraction worker died; restarting the pool")
                    self.pool.shutdown(wait=False, cancel_futures=True)
                    self.pool = self._new_pool()
                if pending.retried:
                    return NotAnArticle(url=url, reason="extraction worker crashed", kind="error")
                pending.retried = True
                pending.future = self.submit(pending.record)
            except Exception as exc:  # extract() never raises; pickling or the pool itself might
                logger.exception("extraction failed on %s", url)
                return NotAnArticle(url=url, reason=f"extraction failed: {exc}", kind="error")

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


# -- batched writes ----------------------------------------------------------------------------
class _BatchWriter:
    """Writes batches on a thread of its own, at most two queued behind the one being written.

    While a batch is written (``store()`` is ORM work: ~15 ms an article on SQLite) the reader goes
    on feeding the extraction pool, so the workers never wait on the database; the bounded queue
    holds memory flat when the database is the slower side. A failed write is re-raised in the
    caller's thread at the next ``put`` or at ``close``.
    """

    def __init__(self, write: Callable[[list[tuple[Capture, ExtractionResult | None]]], None]) -> None:
        self._write = write
        self._queue: queue.Queue[list[tuple[Capture, ExtractionResult | None]] | None] = queue.Queue(maxsize=2)
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

    def put(self, batch: list[tuple[Capture, ExtractionResult | None]]) -> None:
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
        files.extend(closed_warc_files(path) if path.is_dir() else [path])
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


def reextract(
    paths: Iterable[Path],
    *,
    database_url: str,
    warc_dir: Path | None = None,
    selection: Selection | None = None,
    workers: int | None = None,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool | None = None,
    progress_stream: TextIO | None = None,
    on_batch: Callable[[ReextractResult], None] | None = None,
) -> ReextractResult:
    """Re-extract every response record of *paths* (WARC files, or directories of them) into the
    database at *database_url*.

    *warc_dir* is the WARC directory: files inside it are stored by their path relative to it, as
    the crawl stores them; others by absolute path. *workers* extraction processes (default: the
    cores available; 0 = in this process). *progress*: ``None`` = a bar when stderr is a terminal.
    """
    started = time.monotonic()
    workers = default_workers() if workers is None else max(0, workers)
    sessions = _open(database_url, dry_run)

    def resolve_digest(digest: str) -> tuple[str, int] | None:
        C = models.Capture
        with sessions() as session:
            row = session.execute(
                select(C.warc_file, C.warc_offset)
                .where(C.payload_digest == digest, C.record_type == "response")
                .order_by(C.id)
                .limit(1)
            ).first()
        return (row[0], row[1]) if row else None

    result = ReextractResult(read=ReadStats(), dry_run=dry_run, workers=workers)

    def on_skip(skip: Skipped) -> None:
        if len(result.skips) < MAX_LISTED_SKIPS:
            result.skips.append(skip)

    reader = WarcReader(
        expand_paths(paths), warc_dir=warc_dir, select=selection, resolve_digest=resolve_digest, on_skip=on_skip
    )
    result.read = reader.stats
    simulator: _DryRun | None = None
    dry_session: Session | None = None
    if dry_run:
        dry_session = sessions()
        simulator = _DryRun(dry_session)

    def write(batch: list[tuple[Capture, ExtractionResult | None]]) -> None:
        keys = {(c.warc_file, c.warc_offset) for c, _ in batch}
        if simulator is not None and dry_session is not None:
            existing = _existing_captures(dry_session, keys) | (keys & simulator.seen_captures)
            stats = simulator.apply(batch)
        else:
            with sessions.begin() as session:
                existing = _existing_captures(session, keys)
                stats = store(session, batch)
        result.captures_new += len(keys - existing)
        result.store.add(stats)
        if on_batch is not None:
            on_batch(result)

    writer = _BatchWriter(write)

    def flush(batch: list[tuple[Capture, ExtractionResult | None]]) -> None:
        if batch:
            writer.put(list(batch))
            batch.clear()

    extractor = _Extractor(workers)
    reporter = _Progress(progress, progress_stream)
    # Enough pages in flight to keep every worker busy while a batch is being written.
    limit = max(32, 16 * max(1, workers))
    window: deque[_Pending] = deque()
    batch: list[tuple[Capture, ExtractionResult | None]] = []

    def settle(entry: _Pending) -> None:
        outcome: ExtractionResult | None = None
        if entry.future is not None:
            outcome = extractor.result(entry)
            result.results[outcome.kind] += 1
        batch.append((entry.capture, outcome))
        if len(batch) >= batch_size:
            flush(batch)

    try:
        started_bar = False
        for record in reader:
            if not started_bar:
                reporter.start(reader.stats.bytes_total)
                started_bar = True
            if record.payload is not None:
                result.extracted += 1
                window.append(_Pending(record.capture, record, extractor.submit(record)))
            else:
                window.append(_Pending(record.capture, None, None))
            while window and (len(window) > limit or window[0].future is None or window[0].future.done()):
                settle(window.popleft())
            reporter.update(result)
        while window:
            settle(window.popleft())
        flush(batch)
        writer.close()
    finally:
        writer.close(abandon=True)
        extractor.close()
        if dry_session is not None:
            dry_session.rollback()
            dry_session.close()
        result.elapsed = time.monotonic() - started
        reporter.close(result)
    if simulator is not None:
        result.changes = simulator.changes
    return result


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
        ("articles", f"{result.articles:,}"),
        ("not articles", ", ".join(f"{k} {v:,}" for k, v in sorted(result.results.items()) if k != "article") or "0"),
        (f"captures {would}new", f"{result.captures_new:,} of {store_stats.captures:,}"),
        (f"articles {would}new", f"{store_stats.articles_new:,}"),
        (f"versions {would}new", f"{store_stats.versions_new:,}"),
        ("unchanged", f"{store_stats.unchanged:,}"),
        (f"articles {would}marked removed (404/410)", f"{store_stats.removed:,}"),
        ("skipped (bad input)", f"{read.skipped:,}"),
        ("workers", f"{result.workers}"),
        ("time", f"{result.elapsed:.1f} s ({result.extracted / max(result.elapsed, 1e-6):,.1f} pages/s)"),
    ]
    for reason, count in read.skip_reasons.most_common():
        rows.append((f"  skipped: {reason}", f"{count:,}"))
    return rows
