"""The extension that records a crawl's extraction health (archive/health.py) and judges it.

``HealthRecorder`` tallies every batch the storage pipeline commits (the ``batch_stored`` signal), and
when the spider closes (after the pipelines have written their last batch) writes one
``site_run_health`` row per site, judges each against the site's earlier runs, logs a warning per
site that drifted and leaves the verdicts in the stats for the crawl summary and ``--fail-on-drift``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from archive import health
from archive.db import open_database
from archive.store import StoreStats
from crawler.run_records import RUN_ID_STAT
from crawler.signals import batch_stored

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class HealthRecorder:
    def __init__(self, crawler: Crawler, database_url: str, rules: health.HealthRules) -> None:
        self.crawler = crawler
        self.database_url = database_url
        self.rules = rules
        self.tally = health.RunTally()
        self.started_at = dt.datetime.now(dt.UTC)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HealthRecorder:
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_HEALTH"):
            raise NotConfigured("NEWSARCHIVE_HEALTH is off")
        database_url = settings.get("NEWSARCHIVE_DATABASE_URL")
        if not database_url:
            raise NotConfigured("NEWSARCHIVE_DATABASE_URL is empty")
        recorder = cls(crawler, database_url, health.HealthRules.from_settings(settings))
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.batch_stored, signal=batch_stored)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_opened(self, spider: Spider) -> None:
        self.started_at = dt.datetime.now(dt.UTC)

    def batch_stored(self, entries: list[Any], stats: StoreStats) -> None:
        self.tally.observe(entries, stats)

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        figures = self.tally.figures()
        if not figures:
            return
        run_id = self.crawler.stats.get_value(RUN_ID_STAT) if self.crawler.stats is not None else None
        try:
            verdicts = await maybe_deferred_to_future(threads.deferToThread(self._record_and_judge, run_id, figures))
        except Exception as exc:  # the health of a run is worth a warning, not the run
            logger.warning("cannot record the extraction health: %s", exc)
            return
        for verdict in verdicts:
            if verdict.status == "drift":
                logger.warning("extraction health of %s: %s", verdict.figures.site, verdict.describe())
            else:
                logger.info("extraction health of %s: %s", verdict.figures.site, verdict.describe())
        if self.crawler.stats is not None:
            for name, value in health.summary_stats(verdicts).items():
                self.crawler.stats.set_value(name, value)

    def _record_and_judge(self, run_id: int | None, figures: list[health.SiteFigures]) -> list[health.Verdict]:
        sessions = open_database(self.database_url)
        try:
            with sessions.begin() as session:
                rows = health.record(session, run_id, self.started_at, figures)
                return health.verdicts(session, rows, self.rules)
        finally:
            engine = sessions.kw.get("bind")
            if engine is not None:
                engine.dispose()
