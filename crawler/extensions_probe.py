"""Reactor stall probe (opt-in): how long the reactor thread was kept from running its loop.

A ``LoopingCall`` every 10 ms notes how late it ran. Anything that holds the reactor thread
(CPU work in a callback, a blocking call, a long GC pause, or the OS not scheduling the process on a
loaded machine) shows up as lateness; the reactor thread's own CPU time between two ticks tells the
first from the others (``max_busy_ms``). The longest stall is logged when the spider closes and kept in
the stats (``newsarchive/probe/max_stall_ms``, ``newsarchive/probe/stalls_over_50ms``), with the CPU
the reactor thread used from spider open to close (``newsarchive/probe/reactor_cpu_s``), where the
benchmark (``benchmarks/crawl.py``) reads it. Off unless ``NEWSARCHIVE_STALL_PROBE`` is true: the
probe wakes the reactor 100 times a second.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import TYPE_CHECKING, Any

from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

INTERVAL = 0.010
STALL_REPORT_MS = 50.0  # the bound: our code never blocks the reactor longer than this


class StallProbe:
    def __init__(self, crawler: Crawler, interval: float = INTERVAL) -> None:
        self.crawler = crawler
        self.interval = interval
        self.max_stall = 0.0
        self.max_stall_at = 0.0  # seconds after the probe started
        self.stalls_over = 0
        self.ticks = 0
        self._started = 0.0
        self._cpu_started = 0.0
        self._last: float | None = None
        self._last_cpu = 0.0
        # The reactor thread's own CPU between two ticks: what our code (or Scrapy's) kept it busy
        # with, as opposed to waiting for a core on a loaded machine or for the GIL.
        self.max_busy = 0.0
        self.max_busy_at = 0.0
        self.busy_over = 0
        self._loop = task.LoopingCall(self._tick)
        # Garbage-collector pauses, in whichever thread they fall: a full collection of a crawl's
        # millions of objects is a stall no callback of ours would show.
        self.max_gc = 0.0
        self.max_gc_generation = -1
        self._gc_started = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StallProbe:
        if not crawler.settings.getbool("NEWSARCHIVE_STALL_PROBE"):
            raise NotConfigured  # off by default: no warning for the usual case
        probe = cls(crawler)
        crawler.signals.connect(probe.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(probe.spider_closed, signal=signals.spider_closed)
        return probe

    def spider_opened(self, spider: Spider) -> None:
        self._started = time.monotonic()
        self._cpu_started = time.thread_time()  # signal handlers run in the reactor thread
        self._last_cpu = time.thread_time()
        gc.callbacks.append(self._gc)
        self._loop.start(self.interval, now=True)

    def _tick(self) -> None:
        now = time.monotonic()
        cpu = time.thread_time()
        self.ticks += 1
        if self._last is not None:
            # LoopingCall skips the calls it missed, so the gap since the last run is the stall.
            stall = now - self._last - self.interval
            if stall > self.max_stall:
                self.max_stall = stall
                self.max_stall_at = now - self._started
            if stall * 1000 > STALL_REPORT_MS:
                self.stalls_over += 1
            busy = cpu - self._last_cpu
            if busy > self.max_busy:
                self.max_busy = busy
                self.max_busy_at = now - self._started
            if busy * 1000 > STALL_REPORT_MS:
                self.busy_over += 1
        self._last = now
        self._last_cpu = cpu

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self._gc_started:
            pause = time.perf_counter() - self._gc_started
            if pause > self.max_gc:
                self.max_gc = pause
                self.max_gc_generation = info.get("generation", -1)

    def spider_closed(self, spider: Spider, reason: Any = None) -> None:
        if self._loop.running:
            self._loop.stop()
        if self._gc in gc.callbacks:
            gc.callbacks.remove(self._gc)
        logger.info(
            "stall probe: longest reactor stall %.1f ms (%.1f s into the crawl), %d stalls over %.0f ms in %d ticks; "
            "longest the reactor thread was busy on CPU between ticks %.1f ms (%d times over %.0f ms)",
            self.max_stall * 1000,
            self.max_stall_at,
            self.stalls_over,
            STALL_REPORT_MS,
            self.ticks,
            self.max_busy * 1000,
            self.busy_over,
            STALL_REPORT_MS,
        )
        stats = self.crawler.stats
        if stats is not None:
            stats.set_value("newsarchive/probe/max_stall_ms", round(self.max_stall * 1000, 1))
            stats.set_value("newsarchive/probe/max_stall_at_s", round(self.max_stall_at, 1))
            stats.set_value(f"newsarchive/probe/stalls_over_{STALL_REPORT_MS:.0f}ms", self.stalls_over)
            stats.set_value("newsarchive/probe/ticks", self.ticks)
            stats.set_value("newsarchive/probe/max_busy_ms", round(self.max_busy * 1000, 1))
            stats.set_value("newsarchive/probe/max_busy_at_s", round(self.max_busy_at, 1))
            stats.set_value("newsarchive/probe/max_gc_pause_ms", round(self.max_gc * 1000, 1))
            stats.set_value("newsarchive/probe/max_gc_pause_generation", self.max_gc_generation)
            stats.set_value(f"newsarchive/probe/busy_over_{STALL_REPORT_MS:.0f}ms", self.busy_over)
            stats.set_value("newsarchive/probe/reactor_cpu_s", round(time.thread_time() - self._cpu_started, 3))
