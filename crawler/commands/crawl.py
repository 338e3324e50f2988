"""``scrapy crawl`` exiting as ``newsarchive crawl`` does: by the run's status (crawler/outcome.py).

Scrapy's own command exits 0 whenever the spider could start, even when every download failed or
the database lost pages; a cron job running ``scrapy crawl`` could not tell.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from crawler.outcome import exit_status


class Command(ScrapyCrawl):
    def long_desc(self) -> str:
        return (
            "Run a spider of the project. Exit status: 0 when the run finished with nothing lost, 1 when "
            "it stopped early, lost pages, every download failed or nothing was fetched (the run's "
            "finish_reason says which), 2 on a usage error."
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError(
                "give one spider name"
                if not args
                else "running 'scrapy crawl' with more than one spider is not supported"
            )
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        # RunOutcome (crawler/outcome.py) has put the run's status in finish_reason.
        reason = crawler.stats.get_value("finish_reason") if crawler.stats is not None else None
        self.exitcode = exit_status(str(reason or "unknown"))
