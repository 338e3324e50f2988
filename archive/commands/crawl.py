"""``newsarchive crawl`` and the crawl summary shared with ``demo``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import textwrap
from pathlib import Path
from typing import Any

from archive.commands.options import (
    EXIT_FAILURE,
    UserError,
    add_db,
    add_set,
    add_sites_file,
    add_voice,
    add_warc_dir,
    subcommand,
)
from archive.commands.output import for_terminal, terminal_text
from archive.config import database_url, warc_dir
from archive.urls import join_start_urls, redact_url, start_url_problem

EXIT_STATUS_HELP = """\
Exit status: 0 when the crawl finished (or reached a CLOSESPIDER_* limit) with nothing lost; 1
when it lost something or fetched nothing (the finish reason, also in `newsarchive runs`, says
which: all_downloads_failed, nothing_fetched, store_skipped, database_error), stopped early
(site_locked, shutdown on Ctrl-C or SIGTERM; paused when it has a JOBDIR and can be resumed), or,
with --fail-on-drift, when the extraction of a site drifted from its normal range; 2 on a usage
error. `scrapy crawl` exits by the same rule.

Output: a live progress line on a terminal (plain progress lines every 30 s when piped), warnings
and errors one line each, then the summary; Scrapy's whole log goes to a file under data/logs/
($NEWSARCHIVE_LOG_DIR), named in the summary. -v or --log-level LEVEL for more on the console, -q
for the summary only, --format json for the summary as JSON on stdout.
"""


def summary_rows(summary: Any, db: str, warcs: str) -> list[tuple[str, Any]]:
    """The crawl summary, shared by ``crawl`` and ``demo``: (name, value) in the order shown."""
    from crawler.outcome import DOWNLOAD_ERRORS_STAT

    rows: list[tuple[str, Any]] = [
        ("pages fetched", summary.pages),
        ("requisites fetched", summary.requisites),
        ("new articles", summary.articles_new),
        ("new versions", summary.versions_new),
        ("download errors", int(summary.stats.get(DOWNLOAD_ERRORS_STAT, 0) or 0)),
        ("errors logged", int(summary.stats.get("log_count/ERROR", 0) or 0)),
        ("bytes received", summary.bytes_received),
        ("WARC bytes", summary.warc_bytes),
        ("seconds", round(summary.seconds, 1)),
        ("finish reason", summary.finish_reason),
    ]
    from archive.health import summary_line

    health = summary_line(summary.stats)
    if health is not None:  # one line per site crawled: ok, learning, or what drifted
        rows.append(("extraction health", health))
    rows += [("database", redact_url(db)), ("WARC directory", warcs)]
    if summary.log_file is not None:
        rows.append(("log file", str(summary.log_file)))
    return rows


def print_summary(summary: Any, db: str, warcs: str, output_format: str = "table") -> None:
    rows = summary_rows(summary, db, warcs)
    if output_format == "json":
        print(json.dumps({name.replace(" ", "_"): value for name, value in rows}))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=True)
    shown = [(name, _human(value)) for name, value in rows]
    if not console.is_terminal:  # piped, cron: plain lines, whole (a table would wrap long paths at 80)
        width = max(len(name) for name, _ in shown)
        for name, text in shown:
            print(f"{name:<{width}}  {for_terminal(text)}", file=sys.stderr)
        return
    table = Table(title="crawl summary", show_header=False)
    for name, text in shown:
        # names the user gave, shown as typed: "[" in a path is no rich markup (and "[/x]" no error)
        table.add_row(name, terminal_text(text))
    console.print(table)


def _human(value: Any) -> str:
    """A summary value for a person: thousands separators in numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def crawl_voice(args: argparse.Namespace, overrides: dict[str, Any]) -> tuple[Any, Path]:
    """The console voice of the crawl and its log file; *overrides* gets the log's level (the
    console's when that asks for more)."""
    from archive.crawl import project_settings
    from archive.progress import CrawlVoice, log_file, log_level_problem, verbosity

    problem = log_level_problem(args.log_level)
    if problem:
        raise UserError(problem)
    level = verbosity(args.quiet, getattr(args, "verbose", False), args.log_level, sys.stderr.isatty())
    settings = project_settings(overrides)
    file_level = logging.getLevelName(str(settings.get("LOG_LEVEL")).upper())
    if level.level is not None and isinstance(file_level, int) and level.level < file_level:
        overrides["LOG_LEVEL"] = logging.getLevelName(level.level)
    path = log_file(str(settings.get("NEWSARCHIVE_LOG_DIR")))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the log directory {path.parent}: {exc.strerror}") from None
    return CrawlVoice(level), path


def crawl_exit(summary: Any, fail_on_drift: bool = False) -> int:
    """The exit status of a crawl (crawler/outcome.py), and --fail-on-drift's."""
    from crawler.outcome import exit_status

    status = exit_status(summary.finish_reason)
    from archive.health import drifted

    if fail_on_drift and drifted(summary.stats):
        return EXIT_FAILURE
    return status


def add_crawl_output(parser: argparse.ArgumentParser) -> None:
    """The options of every command that crawls about what it prints."""
    add_voice(parser)
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="the summary as a table (default) or JSON on stdout",
    )


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
    if getattr(args, "render", False):
        overrides["NEWSARCHIVE_RENDER"] = True
    for item in getattr(args, "set", None) or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UserError(f"--set wants NAME=VALUE, got {item!r}")
        overrides[name] = value
    return overrides


def check_database(url: str) -> None:
    """Open (and migrate) the crawl's database before Scrapy starts: one that cannot be opened is one
    line (DatabaseError), not a crawl's worth of log closing at once."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from archive.db import open_database

    try:
        make_url(url)
    except ArgumentError:
        raise UserError(
            f"--db wants a database URL, e.g. sqlite:///data/newsarchive.db or postgresql+psycopg://HOST/NAME, "
            f"not {redact_url(url)!r}"
        ) from None
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
    voice, log_path = crawl_voice(args, overrides)
    summary = run_crawl(arguments, overrides, voice, log_path)
    print_summary(summary, overrides["NEWSARCHIVE_DATABASE_URL"], overrides["NEWSARCHIVE_WARC_DIR"], args.format)
    return crawl_exit(summary, args.fail_on_drift)


def register(sub: Any) -> None:
    p = subcommand(
        sub,
        "crawl",
        run,
        "crawl a news site into WARC and the database",
        textwrap.dedent(
            """\
        Crawl a news site from one or more entry points: a news-feed listing, an RSS/Atom feed, a
        sitemap or the home page, http:// or https:// only. Same as `scrapy crawl newsfeed -a start_url=URL`
        (several URLs there separated by spaces), from any directory.

        Or crawl the sites of sites.toml by profile name (`--site NAME`, several comma-separated, or
        `--site all`): same as `scrapy crawl newsfeed -a site=NAME`. Crawls are incremental: articles
        already archived are fetched again only when a feed or sitemap dates them after the last
        capture, or when they are younger than the refresh window; `--refresh-all` re-checks every
        archived article of the site, with conditional requests.

        example:
          newsarchive crawl https://example-news.site/news-feed/
          newsarchive crawl https://example-news.site/rss/ --set CLOSESPIDER_PAGECOUNT=50
          newsarchive crawl --site kyivindependent
          newsarchive crawl --site all --refresh-all
          newsarchive crawl --site kyivindependent --fail-on-drift   # from cron: exit 1 on a broken template

        """
        )
        + EXIT_STATUS_HELP,
    )
    p.add_argument("urls", nargs="*", metavar="URL", help="entry point(s) of one site")
    p.add_argument(
        "--site", metavar="SITE", help="profile(s) of the sites file, or their hosts, comma-separated, or all"
    )
    p.add_argument("--refresh-all", action="store_true", help="re-check every archived article of the site(s)")
    p.add_argument(
        "--render",
        action="store_true",
        help="render every site's pages in headless Chromium, as render = true in the sites file does for one "
        "(pip install -e '.[browser]')",
    )
    p.add_argument(
        "--fail-on-drift",
        action="store_true",
        help="exit 1 when a site's extraction drifted from its normal range (see newsarchive health)",
    )
    add_db(p)
    add_warc_dir(p)
    add_sites_file(p)
    add_set(p)
    add_crawl_output(p)
