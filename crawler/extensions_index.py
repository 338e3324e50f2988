"""Crawl-close hook: bring the CDXJ index of the WARC directory up to date when a crawl ends.

It runs on ``engine_stopped``, not ``spider_closed``: extensions are built before the downloader
middlewares, so a ``spider_closed`` handler here would run *before* WarcArchiveMiddleware's, while
the last WARC file is still ``.open``. ``engine_stopped`` is sent after every ``spider_closed``
handler has finished, when all WARC files of the crawl are closed and renamed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from archive.warc.index import IndexUpdate

# archive.warc.index is imported when the crawl ends, not while it runs: cdxj-indexer and what it
# imports (237 modules, 10 MB) would be held by the crawl's process for its whole run.

logger = logging.getLogger(__name__)


class IndexOnClose:
    """Runs the incremental ``newsarchive index`` after the crawl, on a thread (indexing a 1 GB
    WARC reads it whole; the reactor stays free meanwhile). A failure is logged, never fatal:
    the WARC files are intact and ``newsarchive index`` catches up later."""

    def __init__(self, warc_dir: Path, index: Path | None) -> None:
        self.warc_dir = warc_dir
        self._index = index  # None: the default beside the WARC directory

    @property
    def index(self) -> Path:
        """The index file the hook updates."""
        from archive.warc.index import default_index_path

        return self._index or default_index_path(self.warc_dir)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IndexOnClose:
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_INDEX_ON_CLOSE"):
            raise NotConfigured("NEWSARCHIVE_INDEX_ON_CLOSE is off")
        directory = settings.get("NEWSARCHIVE_WARC_DIR")
        if not directory:
            raise NotConfigured("NEWSARCHIVE_WARC_DIR is empty")
        index = settings.get("NEWSARCHIVE_INDEX_FILE")
        extension = cls(Path(directory), Path(index) if index else None)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    async def engine_stopped(self) -> None:
        if not self.warc_dir.is_dir():
            return  # nothing was written (e.g. the crawl failed before its first response)
        from archive.warc.index import update_index

        index = self.index
        try:
            result: IndexUpdate = await maybe_deferred_to_future(
                threads.deferToThread(update_index, self.warc_dir, index)
            )
        except Exception:
            logger.exception("could not update the CDXJ index %s; `newsarchive index` will catch up", index)
            return
        logger.info(
            "CDXJ index %s: %d WARC file(s) added, %d lines added, %d in all",
            result.index,
            len(result.files_added),
            result.lines_added,
            result.lines_total,
        )
        for skip in result.skipped:
            logger.warning("CDXJ index %s: %s left out, not indexed (%s)", result.index, skip.name, skip.reason)
