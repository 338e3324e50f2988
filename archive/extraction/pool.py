"""The extraction pool: ``extract()`` in worker processes, for the crawl and for re-extraction alike.

Extraction is CPU-bound (lxml + trafilatura, 25-100 ms a page); the crawl would stall its
downloads and re-extraction would use one core if they ran it in their own process. Both use this
pool, so both start the same workers (spawned, warmed up, niced, deaf to Ctrl-C) and lose the same
at most when one dies: a worker that crashes (out of memory, a fault in C code) takes the pages in
flight with it; each gets one more try in a fresh pool, then is an extraction error, never the end
of the run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from archive.extraction.reuse import input_digest
from archive.extraction.types import Article, NotAnArticle
from archive.extraction.worker import init_worker
from archive.responses import PageInput

logger = logging.getLogger(__name__)

ExtractionResult = Article | NotAnArticle
_T = TypeVar("_T")

_WARM_UP = PageInput("http://localhost/", b"<html><body><p>warm up</p></body></html>", {"Content-Type": "text/html"})


def extract_page(page: PageInput) -> ExtractionResult:
    """``extract()`` of one page input; a page that could not be decoded is an extraction error.
    The result carries the digest of its input, so a revisit of the page can be given it again."""
    # Imported here, in the worker: the crawl's own process never extracts (unless workers is 0),
    # and trafilatura's imports would cost it a second at every start.
    from archive.extraction.core import extract

    if page.error is not None:
        result: ExtractionResult = NotAnArticle(url=page.url, reason=page.error, kind="error")
    else:
        result = extract(page.body, page.url, page.headers, page.hints)
    return dataclasses.replace(result, input_digest=input_digest(page))


class ExtractionPool:
    """*workers* processes running :func:`extract_page` (0: in the calling thread, for debugging),
    *niceness* added to theirs so the parent's threads never wait behind extraction."""

    def __init__(self, workers: int, niceness: int) -> None:
        self.workers = max(0, workers)
        self.niceness = max(0, niceness)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = self._new_pool() if self.workers else None

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the parent runs a reactor, threads and database connections.
        pool = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
            # Workers ignore SIGINT: Ctrl-C reaches the whole process group, and a graceful stop still
            # needs them to finish the pages in flight.
            initargs=(self.niceness, True),
        )
        for _ in range(self.workers):
            pool.submit(extract_page, _WARM_UP)  # imports the heavy modules before a page waits on them
        return pool

    def submit(self, page: PageInput) -> Future[ExtractionResult]:
        if self._pool is None:
            done: Future[ExtractionResult] = Future()
            done.set_result(self._guarded(page))
            return done
        return self._pool.submit(extract_page, page)

    def call(self, function: Callable[..., _T], *args: Any) -> Future[_T]:
        """*function* (a module-level one: it is pickled by name) run in a worker, for work of a
        page's that is extraction's kind of cost (parsing) but not ``extract()``; in the calling
        thread with no workers. A crash fails the future: the caller runs it itself then."""
        if self._pool is None:
            done: Future[_T] = Future()
            done.set_result(function(*args))
            return done
        return self._pool.submit(function, *args)

    @staticmethod
    def _guarded(page: PageInput) -> ExtractionResult:
        try:
            return extract_page(page)
        except Exception as exc:  # extract() never raises; this is the pool's promise all the same
            logger.exception("extraction failed on %s", page.url)
            return NotAnArticle(url=page.url, reason=f"extraction failed: {exc}", kind="error")

    def _restart(self) -> None:
        with self._lock:
            pool = self._pool
            # Only the first of the futures the crash failed restarts the pool.
            if pool is not None and getattr(pool, "_broken", False):
                logger.error("an extraction worker died; restarting the pool")
                pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()

    def _outcome(self, page: PageInput, future: Future[ExtractionResult], retried: bool) -> ExtractionResult | None:
        """The result of a finished *future*; None when it must be tried again."""
        try:
            return future.result()
        except BrokenProcessPool:
            self._restart()
            if retried:
                return NotAnArticle(url=page.url, reason="extraction worker crashed", kind="error")
            return None
        except Exception as exc:  # pickling or the pool itself
            logger.exception("extraction failed on %s", page.url)
            return NotAnArticle(url=page.url, reason=f"extraction failed: {exc}", kind="error")

    def result(self, page: PageInput, future: Future[ExtractionResult]) -> ExtractionResult:
        """Wait for *future* (from :meth:`submit` of *page*), with the crash policy."""
        outcome = self._outcome(page, future, retried=False)
        if outcome is None:
            outcome = self._outcome(page, self.submit(page), retried=True)
        assert outcome is not None
        return outcome

    async def extract(self, page: PageInput) -> ExtractionResult:
        """:meth:`result` for asyncio callers (the crawl): the event loop goes on meanwhile."""
        retried = False
        while True:
            future = self.submit(page)
            try:
                await asyncio.wrap_future(future)
            except BaseException:  # examined by _outcome(), which never raises
                if not future.done():
                    raise  # cancelled while waiting
            outcome = self._outcome(page, future, retried)
            if outcome is not None:
                return outcome
            retried = True

    def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True, cancel_futures=True)
