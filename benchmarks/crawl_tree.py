"""One real crawl of benchmarks/crawl.py's site by another checkout of the project: for A/B timing
of two trees on the same pages (say this one against the commit before a change).

usage: python benchmarks/crawl_tree.py TREE [--pages 150] [-s NAME=VALUE]

Serves the corpus site of benchmarks/crawl.py (from this checkout) and runs ``scrapy crawl
newsfeed`` in TREE (its own crawler, pipelines and archive package first on the path) into a fresh
directory, autothrottle off, page requisites off (a tree from before they existed ignores the
setting). Exits 1 when the crawl failed or fetched fewer article pages than the site has. Time it
from outside, alternating the two trees, e.g.:

    git worktree add /tmp/before a09d3f2~1
    for i in 1 2 3 4 5; do
      /usr/bin/time -f "now %e s %U user" python benchmarks/crawl_tree.py . --pages 150
      /usr/bin/time -f "before %e s %U user" python benchmarks/crawl_tree.py /tmp/before --pages 150
    done
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.crawl import BenchSite, load_corpus  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tree", type=Path, help="the checkout whose crawler runs")
    parser.add_argument("--pages", type=int, default=150, help="article URLs on the site (default 150)")
    parser.add_argument("-s", dest="settings", action="append", default=[], help="extra setting for the crawl")
    args = parser.parse_args(argv)
    tree = args.tree.resolve()
    with BenchSite(load_corpus(), args.pages) as site, tempfile.TemporaryDirectory() as scratch:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
        env["PYTHONPATH"] = str(tree)
        settings = [
            f"NEWSARCHIVE_DATABASE_URL=sqlite:///{scratch}/archive.db",
            f"NEWSARCHIVE_WARC_DIR={scratch}/warc",
            f"NEWSARCHIVE_INDEX_FILE={scratch}/warc.cdxj",
            "AUTOTHROTTLE_ENABLED=False",
            "NEWSARCHIVE_MAX_LISTING_PAGES=100000",
            "NEWSARCHIVE_REQUISITES=none",
            "LOG_LEVEL=WARNING",
            *args.settings,
        ]
        command = [sys.executable, "-m", "scrapy", "crawl", "newsfeed", "-a", f"start_url={site.url}/news-feed/"]
        for setting in settings:
            command += ["-s", setting]
        done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
        if done.returncode != 0 or site.served < args.pages:
            print(done.stderr[-2000:], file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
