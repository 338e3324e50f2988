"""What a crawl run from the CLI says while it runs: a live progress line on a terminal, plain
progress lines when piped, warnings and errors one line each, and Scrapy's whole log in a file.

A scheduled crawl should be quiet when all is well and say what went wrong when not: Scrapy's INFO
log (settings, middleware lists, a stats dict) is ~140 lines for a 22-page crawl, so it goes to
``NEWSARCHIVE_LOG_DIR`` instead, where it is there for whoever needs it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live
    from scrapy.crawler import Crawler

# The stats the progress figures are read from.
FETCHED_STAT = "downloader/response_count"
# Responses to page requisites' requests (crawler/middlewares.py), counted apart from the pages.
REQUISITES_STAT = "newsarchive/requisites_fetched"
ARCHIVED_STAT = "newsarchive/warc_responses"  # crawler/middlewares.py: response records written
EXTRACTED_PREFIX = "newsarchive/extracted/"  # pipelines/extraction.py, one counter per result kind
STORED_STAT = "newsarchive/store/captures"  # pipelines/storage.py
ERROR_STAT = "log_count/ERROR"


@dataclass(frozen=True, slots=True)
class Verbosity:
    """How much the console is told: *level* for log records (None: none, ``-q``)."""

    level: int | None
    live: bool  # a live progress display (a terminal) rather than plain lines


def verbosity(quiet: bool, verbose: bool, log_level: str | None, terminal: bool) -> Verbosity:
    """The console's share of the log: WARNING by default, INFO with -v, LEVEL with --log-level."""
    if quiet:
        return Verbosity(level=None, live=False)
    level = logging.INFO if verbose else logging.WARNING
    if log_level:
        level = logging.getLevelName(log_level.upper())
    return Verbosity(level=level, live=terminal)


def log_level_problem(name: str | None) -> str | None:
    """Why *name* is no log level, or None."""
    if name is None or isinstance(logging.getLevelName(name.upper()), int):
        return None
    return f"not a log level: {name!r} (use DEBUG, INFO, WARNING, ERROR or CRITICAL)"


def log_file(log_dir: str) -> Path:
    """A new log file's path under *log_dir*: the crawl's start time and process, never reused."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(log_dir) / f"crawl-{stamp}-{os.getpid()}.log"


def pages_fetched(stats: dict[str, Any]) -> int:
    """Responses to everything but page requisites: listings, feeds, sitemaps, articles, robots.txt."""
    return int(stats.get(FETCHED_STAT, 0) or 0) - int(stats.get(REQUISITES_STAT, 0) or 0)


def figures(stats: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The progress figures of a crawl: pages fetched, archived, extracted, stored, errors, rate."""
    fetched = pages_fetched(stats)
    return {
        "fetched": fetched,
        "requisites": int(stats.get(REQUISITES_STAT, 0) or 0),
        "archived": int(stats.get(ARCHIVED_STAT, 0) or 0),
        "extracted": sum(int(v or 0) for k, v in stats.items() if k.startswith(EXTRACTED_PREFIX)),
        "stored": int(stats.get(STORED_STAT, 0) or 0),
        "errors": int(stats.get(ERROR_STAT, 0) or 0),
        "rate": fetched / seconds if seconds > 0 else 0.0,
        "elapsed": seconds,
    }


def progress_line(stats: dict[str, Any], seconds: float) -> str:
    f = figures(stats, seconds)
    elapsed = str(dt.timedelta(seconds=int(f["elapsed"])))
    return (
        f"{f['fetched']:,} fetched"
        + (f" (and {f['requisites']:,} requisites)" if f["requisites"] else "")
        + f", {f['archived']:,} archived, {f['extracted']:,} extracted, "
        f"{f['stored']:,} stored, {f['errors']:,} errors, {f['rate']:,.1f} pages/s, {elapsed} elapsed"
    )


class ConsoleLog(logging.Handler):
    """Log records on the console one line each (the first line of the message: a traceback stays in
    the log file), printed through the rich console so they land above a live display."""

    def __init__(self, console: Console, level: int) -> None:
        super().__init__(level)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage().strip().splitlines() or [""]
            from archive.commands.output import for_terminal

            line = f"{record.levelname.lower()}: {for_terminal(message[0])}"
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)
        except Exception:  # a console that cannot take a line must not stop the crawl
            self.handleError(record)


class CrawlVoice:
    """The console side of one crawl: its log handler and its progress display."""

    def __init__(self, level: Verbosity, console: Console | None = None) -> None:
        from rich.console import Console

        self.verbosity = level
        self.console = console or Console(stderr=True)
        self.handler: ConsoleLog | None = None
        self._live: Live | None = None
        self._ticker: Any = None
        self._started = time.monotonic()

    def install(self) -> None:
        """Send the console's share of the log to the console (after Scrapy's root handler is set)."""
        if self.verbosity.level is not None:
            self.handler = ConsoleLog(self.console, self.verbosity.level)
            logging.root.addHandler(self.handler)

    def uninstall(self) -> None:
        if self.handler is not None:
            logging.root.removeHandler(self.handler)
            self.handler = None

    def attach(self, crawler: Crawler) -> None:
        """Show the progress of *crawler*: live on a terminal, a plain line every
        ``NEWSARCHIVE_PROGRESS_INTERVAL`` seconds otherwise, nothing with -q."""
        from scrapy import signals

        if self.verbosity.level is None:
            return
        interval = crawler.settings.getfloat("NEWSARCHIVE_PROGRESS_INTERVAL")

        def opened() -> None:
            from twisted.internet import task

            self._started = time.monotonic()
            if self.verbosity.live:
                from rich.live import Live

                self._live = Live(console=self.console, auto_refresh=False, transient=True)
                self._live.start()
                self._ticker = task.LoopingCall(self._show, crawler, True)
                self._ticker.start(0.25)
            elif interval > 0:
                self._ticker = task.LoopingCall(self._show, crawler, False)
                self._ticker.start(interval, now=False)

        def closed() -> None:
            if self._ticker is not None and self._ticker.running:
                self._ticker.stop()
            if self._live is not None:
                self._live.stop()
                self._live = None

        crawler.signals.connect(opened, signal=signals.spider_opened, weak=False)
        crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)

    def _show(self, crawler: Crawler, live: bool) -> None:
        stats = crawler.stats.get_stats() if crawler.stats is not None else {}
        line = progress_line(stats, time.monotonic() - self._started)
        if live and self._live is not None:
            from rich.text import Text

            self._live.update(Text(f"crawling: {line}", style="bold"), refresh=True)
        else:
            print(f"progress: {line}", file=sys.stderr, flush=True)
