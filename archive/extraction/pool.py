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
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from archive.extraction.spawning import WorkerContext
from archive.extraction.types import Article, NotAnArticle
from archive.extraction.worker import init_worker
from archive.page_reading import PageRead, PageTask, extract_page, read_page
from archive.responses import PageInput

logger = logging.getLogger(__name__)

ExtractionResult = Article | NotAnArticle

_WARM_UP = PageInput("http://localhost/", b"<html><body><p>warm up</p></body></html>", {"Content-Type": "text/html"})


class ExtractionPool:
    """*workers* processes running :func:`archive.page_reading.read_page` (0: in the calling thread, for debugging),
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
            mp_context=WorkerContext(),
            initializer=init_worker,
            # Workers ignore SIGINT: Ctrl-C reaches the whole process group, and a graceful stop still
            # needs them to finish the pages in flight.
            initargs=(self.niceness, True),
        )
        for _ in range(self.workers):
            pool.submit(extract_page, _WARM_UP)  # imports the heavy modules before a page waits on them
        return pool

    def submit(self, page: PageInput) -> Future[PageRead]:
        """``extract()`` of *page* in a worker, nothing else read; :meth:`result` waits for it."""
        return self.submit_read(PageTask.extracting(page))

    def submit_read(self, task: PageTask) -> Future[PageRead]:
        """:func:`archive.page_reading.read_page` of *task* in a worker (in the calling thread with
        no workers): its page extracted, its requisites and links read from the same parse."""
        if self._pool is None:
            done: Future[PageRead] = Future()
            done.set_result(dataclasses.replace(self._read_guarded(task), in_caller=True))
            return done
        return self._pool.submit(read_page, task)

    @classmethod
    def _read_guarded(cls, task: PageTask) -> PageRead:
        if task.page is None:
            return read_page(task)  # what the spider would read itself: its errors are the spider's
        try:
            return read_page(task)
        except Exception:  # extract() never raises: reading the requisites or links did
            logger.exception("reading %s failed", task.url)
            return cls._unread(task, "reading failed")

    @staticmethod
    def _unread(task: PageTask, reason: str) -> PageRead:
        """*task* when no worker could do it: its extraction an error, its requisites and links
        read in the calling thread (Scrapy's selector parses the page there), so they still come."""
        read = read_page(dataclasses.replace(task, page=None))
        result = None if task.page is None else NotAnArticle(url=task.url, reason=reason, kind="error")
        return dataclasses.replace(read, result=result, in_caller=True)

    def _restart(self) -> None:
        with self._lock:
            pool = self._pool
            # Only the first of the futures the crash failed restarts the pool.
            if pool is not None and getattr(pool, "_broken", False):
                logger.error("an extraction worker died; restarting the pool")
                pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()

    def _read_outcome(self, task: PageTask, future: Future[PageRead], retried: bool) -> PageRead | None:
        """The read of a finished *future*; None when it must be tried again. The crash policy: a
        page whose worker died is tried once more in a fresh pool, then is an extraction error
        (its requisites and links read here all the same)."""
        try:
            return future.result()
        except BrokenProcessPool:
            self._restart()
            return self._unread(task, "extraction worker crashed") if retried else None
        except Exception as exc:  # pickling, the pool itself, or reading the page
            logger.exception("reading %s failed", task.url)
            return self._unread(task, f"extraction failed: {exc}")

    def read_result(self, task: PageTask, future: Future[PageRead]) -> PageRead:
        """Wait for *future* (from :meth:`submit_read` of *task*), with the crash policy."""
        outcome = self._read_outcome(task, future, retried=False)
        if outcome is None:
            outcome = self._read_outcome(task, self.submit_read(task), retried=True)
        assert outcome is not None
        return outcome

    async def read(self, task: PageTask) -> PageRead:
        """:meth:`read_result` for asyncio callers (the crawl's spider): the event loop goes on."""
        retried = False
        while True:
            future = self.submit_read(task)
            try:
                await asyncio.wrap_future(future)
            except BaseException:  # examined by _read_outcome(), which never raises
                if not future.done():
                    raise  # cancelled while waiting
            outcome = self._read_outcome(task, future, retried)
            if outcome is not None:
                return outcome
            retried = True

    def result(self, page: PageInput, future: Future[PageRead]) -> ExtractionResult:
        """Wait for *future* (from :meth:`submit` of *page*), with the crash policy."""
        return _extracted(self.read_result(PageTask.extracting(page), future))

    async def extract(self, page: PageInput) -> ExtractionResult:
        """``extract()`` of *page* for asyncio callers (the crawl), with the crash policy."""
        return _extracted(await self.read(PageTask.extracting(page)))

    def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True, cancel_futures=True)


def _extracted(read: PageRead) -> ExtractionResult:
    assert read.result is not None  # the task had a page
    return read.result
