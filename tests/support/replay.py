"""An archive of tests/support/requisite_site.py as a reader would replay it: two real runs.

The first run renders the site's pages (``render = true``: the story of its script-built page is
fetched from a JSON API, which only a browser asks for) with page requisites at the default level.
The second, a day's re-check without render mode, finds a new edition of the listing and asks for
everything else with its validators: the unchanged article and every requisite answer 304. Both
runs archive into one WARC directory and database; the CDXJ index is the one the crawl-close
hook keeps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from archive.warc.index import default_index_path
from tests.support.crawls import CrawlRun, scrapy_crawl
from tests.support.requisite_site import RequisiteSite

LAYOUT = "NEWSARCHIVE_REQUISITES=layout"  # the default, which the tests' crawls turn off


@dataclass(frozen=True)
class ReplayArchive:
    run: CrawlRun  # the second run (its database and WARC directory hold both)
    index: Path
    first: CrawlRun
    later: str  # a 14-digit timestamp after both runs: a replay "as of now"


def archive_twice(site: RequisiteSite, tmp: Path) -> ReplayArchive:
    sites = tmp / "sites.toml"
    sites.write_text(f'[sites.fixture]\nlistings = ["{site.listing_url}"]\nrender = true\n')
    first = scrapy_crawl(tmp, site.listing_url, LAYOUT, f"NEWSARCHIVE_SITES_FILE={sites}")
    assert first.returncode == 0, first.log[-3000:]
    time.sleep(1.1)  # CDXJ timestamps are to the second: the second run's are later
    site.edition += 1
    again = scrapy_crawl(tmp, site.listing_url, LAYOUT, database_url=first.database_url)
    assert again.returncode == 0, again.log[-3000:]
    time.sleep(1.1)
    later = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    return ReplayArchive(again, default_index_path(again.warc_dir), first, later)
