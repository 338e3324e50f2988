"""Set-up of extraction worker processes (the crawl's pool and re-extraction's).

Lives apart from the pipelines so a spawned worker imports only the extraction code, not Scrapy.
"""

from __future__ import annotations

import contextlib
import os
import signal


def init_worker(niceness: int = 0, ignore_sigint: bool = False) -> None:
    """Runs once in each worker process.

    *niceness* lowers the worker's CPU priority: the parent's latency-bound threads (the reactor,
    the WARC writer, the store thread) then run the moment they have work, instead of waiting
    behind extraction for their share of the cores, and the pool never starves for lack of pages.
    """
    if ignore_sigint:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if niceness > 0:
        # Before the imports, not after: a crawl spawns its workers while its own start (the
        # database, the WARC file, the first requests) is on the critical path, and a second of
        # trafilatura imports at full priority on each core delayed the first request that long.
        # Not permitted in some containers: the worker then runs at the parent's priority.
        with contextlib.suppress(OSError):
            os.nice(niceness)
    from archive.extraction import language

    language.load()  # held for the worker's life: built before trafilatura makes copies of its own
