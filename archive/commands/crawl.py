"""``newsarchive crawl`` and the crawl summary shared with ``demo``."""

from __future__ import annotations

import argparse
from typing import Any

from archive.commands.options import (
    EXIT_FAILURE,
    EXIT_OK,
    UserError,
    add_db,
    add_set,
    add_sites_file,
    add_warc_dir,
    subcommand,
)
from archive.commands.output import terminal_text
from archive.config import database_url, warc_dir
from archive.health import drifted, summary_line
from archive.urls import join_start_urls, redact_url, start_url_problem


def print_summary(summary: Any, db: str, warcs: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="crawl summary", show_header=False)
    table.add_row("pages fetched", str(summary.pages))
    table.add_row("new articles", str(summary.articles_new))
    table.add_row("new versions", str(summary.versions_new))
    table.add_row("WARC bytes", f"{summary.warc_bytes:,}")
    table.add_row("seconds", f"{summary.seconds:.1f}")
    # Names the user gave, shown as typed: "[" in a path is no rich markup (and "[/x]" no error).
    table.add_row("finish reason", terminal_text(summary.finish_reason))
    health = summary_line(summary.stats)
    if health is not None:  # one line per site crawled: ok, learning, or what drifted
        table.add_row("extraction health", terminal_text(health))
    table.add_row("database", terminal_text(redact_url(db)))
    table.add_row("WARC directory", terminal_text(warcs))
    Console(stderr=True).print(table)


def crawl_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Scrapy settings from the shared options (--db, --warc-dir, --sites-file, --set NAME=VALUE)."""
    return {
        "NEWSARCHIVE_DATABASE_URL": database_url(args.db),
        "NEWSARCHIVE_WARC_DIR": warc_dir(args.warc_dir),
        **setting_overrides(args),
    }


def setting_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Settings given by --sites-file and --set NAME=VALUE (the latter wins)."""
    overrides: dict[str, Any] = {}
    if getattr(args, "sites_file", None):
        overrides["NEWSARCHIVE_SITES_FILE"] = args.sites_file
    for item in getattr(args, "set", None) or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UserError(f"--set wants NAME=VALUE, got {item!r}")
        overrides[name] = value
    return overrides


def check_database(url: str) -> None:
    """Open (and migrate) the crawl's database before Scrapy starts: one that cannot be opened is one
    line (DatabaseError), not a crawl's worth of log closing at once."""
    from archive.db import open_database

    open_database(url).kw["bind"].dispose()


def spider_args(args: argparse.Namespace, sites_file: str | None) -> dict[str, str]:
    """The newsfeed spider's -a arguments, checked here so a typo is one line, not a traceback."""
    if bool(args.urls) == bool(args.site):
        raise UserError("give entry-point URLs or --site NAME (a profile of sites.toml, or all), one of the two")
    spider: dict[str, str] = {}
    if args.site:
        from archive.profiles import ProfileError, load_profiles, select_profiles

        try:
            select_profiles(load_profiles(sites_file or None), args.site)
        except ProfileError as exc:
            raise UserError(str(exc)) from None
        spider["site"] = args.site
    else:
        for url in args.urls:
            problem = start_url_problem(url.strip())
            if problem:
                raise UserError(problem)
        spider["start_url"] = join_start_urls(args.urls)
    if args.refresh_all:
        spider["refresh"] = "all"
    return spider


def run(args: argparse.Namespace) -> int:
    from archive.crawl import project_settings, run_crawl

    overrides = crawl_overrides(args)
    sites_file = project_settings(overrides).get("NEWSARCHIVE_SITES_FILE")
    arguments = spider_args(args, sites_file)
    check_database(overrides["NEWSARCHIVE_DATABASE_URL"])
    summary = run_crawl(arguments, overrides)
    print_summary(summary, overrides["NEWSARCHIVE_DATABASE_URL"], overrides["NEWSARCHIVE_WARC_DIR"])
    if summary.finish_reason != "finished" or (args.fail_on_drift and drifted(summary.stats)):
        return EXIT_FAILURE
    return EXIT_OK


def register(sub: Any) -> None:
    p = subcommand(
        sub,
        "crawl",
        run,
        "crawl a news site into WARC and the database",
        """\
        Crawl a news site from one or more entry points: a news-feed listing, an RSS/Atom feed, a
        sitemap or the home page, http:// or https:// only. Same as `scrapy crawl newsfeed -a start_url=URL`
        (several URLs there separated by spaces), from any directory.

        Or crawl the sites of sites.toml by profile name (`--site NAME`, several comma-separated, or
        `--site all`): same as `scrapy crawl newsfeed -a site=NAME`. Crawls are incremental: articles
        already archived are fetched again only when a feed or sitemap dates them after the last
        capture, or when they are younger than the refresh window; `--refresh-all` re-checks every
        archived article of the site, with conditional requests.

        Exit status: 0 when the crawl finished, 1 when it stopped early (another run holds the site's
        lock, the disk or database failed, Ctrl-C) or lost something (every download failed:
        all_downloads_failed; the database refused pages: store_skipped) or, with --fail-on-drift,
        when the extraction of a site drifted from its normal range (see `newsarchive health`), 2 on
        a usage error.

        example:
          newsarchive crawl https://example-news.site/news-feed/
          newsarchive crawl https://example-news.site/rss/ --set CLOSESPIDER_PAGECOUNT=50
          newsarchive crawl --site kyivindependent
          newsarchive crawl --site all --refresh-all
          newsarchive crawl --site kyivindependent --fail-on-drift   # from cron: exit 1 on a broken template
        """,
    )
    p.add_argument("urls", nargs="*", metavar="URL", help="entry point(s) of one site")
    p.add_argument(
        "--site", metavar="SITE", help="profile(s) of the sites file, or their hosts, comma-separated, or all"
    )
    p.add_argument("--refresh-all", action="store_true", help="re-check every archived article of the site(s)")
    p.add_argument(
        "--fail-on-drift",
        action="store_true",
        help="exit 1 when a site's extraction drifted from its normal range (see newsarchive health)",
    )
    add_db(p)
    add_warc_dir(p)
    add_sites_file(p)
    add_set(p)
