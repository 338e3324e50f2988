"""``newsarchive demo``: the whole pipeline on the bundled sample site, offline."""

from __future__ import annotations

import argparse
import sys
import textwrap
from typing import Any

from archive.commands.crawl import (
    EXIT_STATUS_HELP,
    add_crawl_output,
    check_database,
    crawl_exit,
    crawl_overrides,
    crawl_voice,
    print_summary,
)
from archive.commands.options import add_db, add_set, add_warc_dir, subcommand

DEMO_PORT = 8390


def run(args: argparse.Namespace) -> int:
    from archive.crawl import run_crawl
    from archive.sample_site import SampleSite

    overrides = crawl_overrides(args)
    check_database(overrides["NEWSARCHIVE_DATABASE_URL"])
    # The sample site is on loopback: no need to be gentle with it.
    overrides.update({"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0})
    # The demo stays offline: the sample site's pages embed a tweet whose script is on the internet.
    overrides.setdefault("NEWSARCHIVE_REQUISITES", "none")
    voice, log_path = crawl_voice(args, overrides)
    say = not args.quiet and args.format == "table"
    site = SampleSite(port=args.port)
    try:
        site.start()
    except OSError:
        # The fixed default port keeps article URLs stable between demo runs; any port will do.
        if say:
            print(f"port {args.port} is taken; serving the sample site on a free port", file=sys.stderr)
        site = SampleSite(port=0).start()
    with site:
        if say:
            print(f"serving the sample news site at {site.url}/ ; crawling {site.url}/news-feed/", file=sys.stderr)
        summary = run_crawl({"start_url": f"{site.url}/news-feed/"}, overrides, voice, log_path)
    print_summary(summary, overrides["NEWSARCHIVE_DATABASE_URL"], overrides["NEWSARCHIVE_WARC_DIR"], args.format)
    if say:
        print("next: newsarchive export --format jsonl | head -c 2000", file=sys.stderr)
    return crawl_exit(summary)


def register(sub: Any) -> None:
    p = subcommand(
        sub,
        "demo",
        run,
        "serve the bundled sample site and crawl it (offline)",
        textwrap.dedent(
            """\
        Start the bundled sample news site on 127.0.0.1 and crawl it with the real pipeline: WARC
        files, extraction, database. Nothing leaves the machine. Writes to the same places a crawl
        does (data/warc and data/newsarchive.db unless told otherwise), so export works afterwards.

        example:
          newsarchive demo && newsarchive export --format jsonl | head

        """
        )
        + EXIT_STATUS_HELP,
    )
    add_db(p)
    add_warc_dir(p)
    p.add_argument(
        "--port", type=int, default=DEMO_PORT, help=f"port for the sample site (default {DEMO_PORT}; 0: any free port)"
    )
    add_set(p)
    add_crawl_output(p)
