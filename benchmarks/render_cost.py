"""What render mode costs: crawl time per page of the requisite fixture site, render off and on.

usage: python benchmarks/render_cost.py [--rounds 3]

Serves tests/support/requisite_site.py (three articles, one built by a script from a JSON API, a
listing; each article loads 9-13 requisites in a browser) on 127.0.0.1 and runs the real
``scrapy crawl newsfeed`` of its listing ROUNDS times with a sites file saying ``render = false``
and ROUNDS times with ``render = true`` (autothrottle off, one extraction worker), each into a
fresh directory. Prints per mode: the median wall time of the crawl process, the pages stored
(listing and articles), the median seconds per page, the HTTP exchanges archived (responses
written) and the WARC bytes, and the machine's load average (these machines are shared: only the
ratio of one run means much). The crawl's start-up (Python, Scrapy, the database) is in both; the
browser's start is in the render figure.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.crawls import scrapy_crawl  # noqa: E402
from tests.support.requisite_site import RequisiteSite  # noqa: E402


def _stat(log: str, name: str) -> int:
    found = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(found.group(1)) if found else 0


def crawl(site: RequisiteSite, render: bool) -> tuple[float, int, int, int]:
    with tempfile.TemporaryDirectory(prefix="render-bench-") as directory:
        tmp = Path(directory)
        sites = tmp / "sites.toml"
        sites.write_text(f'[sites.bench]\nlistings = ["{site.listing_url}"]\nrender = {str(render).lower()}\n')
        started = time.perf_counter()
        run = scrapy_crawl(tmp, site.listing_url, f"NEWSARCHIVE_SITES_FILE={sites}", "NEWSARCHIVE_EXTRACT_WORKERS=1")
        seconds = time.perf_counter() - started
        if run.returncode != 0:
            raise SystemExit(f"crawl failed:\n{run.log[-3000:]}")
        pages = _stat(run.log, "newsarchive/extracted/article") + _stat(run.log, "newsarchive/extracted/script-built")
        return seconds, pages, _stat(run.log, "newsarchive/warc_responses"), _stat(run.log, "newsarchive/warc_bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"python benchmarks/render_cost.py --rounds {args.rounds}; load average {os.getloadavg()[0]:.1f}")
    with RequisiteSite() as site:
        for render in (False, True):
            runs = [crawl(site, render) for _ in range(args.rounds)]
            wall = statistics.median(r[0] for r in runs)
            pages = runs[0][1]
            print(
                f"render {'on ' if render else 'off'}: {wall:6.2f} s a crawl (median of {args.rounds}), "
                f"{pages} pages, {wall / max(pages, 1):5.2f} s/page, "
                f"{runs[0][2]} exchanges archived, {runs[0][3]:,} WARC bytes"
            )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
