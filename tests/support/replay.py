"""Archives of tests/support/requisite_site.py as a reader would replay them: real crawls.

``plain``: two runs as most sites are crawled, without render mode, page requisites at the
default level (what a page's markup and its stylesheets name is all there is to go on). The
second, a day's re-check, finds a new edition of the listing and asks for everything else with
its validators: the unchanged pages and every requisite answer 304.

``rendered``: one run with ``render = true``: the script-built page's story comes from a JSON API
only a browser asks for, so only render mode archives it.

Each archive is a WARC directory and a database; the CDXJ index is the one the crawl-close hook
keeps beside the WARC directory.
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
    plain: CrawlRun  # the re-check (its database and WARC directory hold both plain runs)
    rendered: CrawlRun
    later: str  # a 14-digit timestamp after every run: a replay "as of now"

    def collections(self) -> dict[str, tuple[Path, Path]]:
        """pywb's collections (tests/support/pywb.py): "news", the plain runs; "rendered"."""
        return {
            name: (run.warc_dir, default_index_path(run.warc_dir))
            for name, run in (("news", self.plain), ("rendered", self.rendered))
        }


def archive_requisite_site(site: RequisiteSite, tmp: Path) -> ReplayArchive:
    for name in ("plain", "rendered"):
        (tmp / name).mkdir()
    first = scrapy_crawl(tmp / "plain", site.listing_url, LAYOUT)
    assert first.returncode == 0, first.log[-3000:]
    sites = tmp / "sites.toml"
    sites.write_text(f'[sites.fixture]\nlistings = ["{site.listing_url}"]\nrender = true\n')
    # Also the second between the plain runs: CDXJ timestamps are to the second.
    rendered = scrapy_crawl(tmp / "rendered", site.listing_url, LAYOUT, f"NEWSARCHIVE_SITES_FILE={sites}")
    assert rendered.returncode == 0, rendered.log[-3000:]
    site.edition += 1
    again = scrapy_crawl(tmp / "plain", site.listing_url, LAYOUT, database_url=first.database_url)
    assert again.returncode == 0, again.log[-3000:]
    time.sleep(1.1)
    return ReplayArchive(again, rendered, time.strftime("%Y%m%d%H%M%S", time.gmtime()))
