"""``newsarchive runs``: the crawl_runs table, newest first."""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import sys
from typing import Any

from archive.commands.options import EXIT_OK, add_db, add_site, limit_from, site_from, subcommand
from archive.commands.output import one_line, terminal_text
from archive.config import database_url
from archive.urls import redact_urls

COLUMNS = (
    "id",
    "site",
    "status",
    "started_at",
    "ended_at",
    "seconds",
    "pages_fetched",
    "not_modified",
    "articles_new",
    "versions_new",
    "errors",
    "bytes_received",
    "rechecks_sent",
    "edits_found",
    "rechecks_deferred",
    "health",
    "spider_args",
)


def _stamp(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _row(run: Any) -> dict[str, Any]:
    started = run.started_at if run.started_at.tzinfo else run.started_at.replace(tzinfo=dt.UTC)
    ended = run.ended_at
    if ended is not None and ended.tzinfo is None:
        ended = ended.replace(tzinfo=dt.UTC)
    return {
        "id": run.id,
        "site": run.site,
        "status": run.status,
        "started_at": _stamp(started),
        "ended_at": _stamp(ended),
        "seconds": round((ended - started).total_seconds(), 1) if ended else None,
        "pages_fetched": run.pages_fetched,
        "not_modified": run.not_modified,
        "articles_new": run.articles_new,
        "versions_new": run.versions_new,
        "errors": run.errors,
        "bytes_received": run.bytes_received,
        "rechecks_sent": run.rechecks_sent,
        "edits_found": run.edits_found,
        "rechecks_deferred": run.rechecks_deferred,
        # Rows written before passwords were masked at the source still hold them.
        "spider_args": json.loads(redact_urls(run.spider_args or "{}")),
        "hostname": run.hostname,
        "pid": run.pid,
    }


def add_health(session: Any, rows: list[dict[str, Any]]) -> None:
    """Each run's extraction health (archive/health.py): ok, learning, drift and what drifted, or -."""
    from archive.health import HealthRules, run_health, run_verdicts

    verdicts = run_verdicts(session, (row["id"] for row in rows), HealthRules.from_project())
    for row in rows:
        row["health"] = run_health(verdicts.get(row["id"], []))


def run(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from archive import models
    from archive.db import open_database

    limit = limit_from(args)
    site = site_from(args)
    sessions = open_database(database_url(args.db), create=False)
    with sessions() as session:
        query = select(models.CrawlRun).order_by(models.CrawlRun.started_at.desc(), models.CrawlRun.id.desc())
        if args.status:
            query = query.where(models.CrawlRun.status == args.status)
        # A run's site column lists profile names or hosts: matched here, as --site matches everywhere.
        runs = (r for r in session.scalars(query) if site is None or site.matches_run(r.site))
        rows = [_row(r) for r in itertools.islice(runs, limit)]
        add_health(session, rows)
    if args.format == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    elif args.format == "jsonl":
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif sys.stdout.isatty():
        _print_table(rows)
    else:
        sys.stdout.write("\t".join(COLUMNS) + "\n")
        for row in rows:
            values = [json.dumps(row[c]) if c == "spider_args" else row[c] for c in COLUMNS]
            sys.stdout.write("\t".join(one_line(v) for v in values) + "\n")
    return EXIT_OK


def _print_table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="crawl runs (newest first)")
    for name, justify in (
        ("id", "right"),
        ("site", "left"),
        ("status", "left"),
        ("started (UTC)", "left"),
        ("seconds", "right"),
        ("pages", "right"),
        ("304", "right"),
        ("new articles", "right"),
        ("new versions", "right"),
        ("errors", "right"),
        ("bytes", "right"),
        ("re-checks", "right"),
        ("edits", "right"),
        ("deferred", "right"),
        ("health", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(
            str(row["id"]),
            terminal_text(row["site"]),  # a profile name or a host, as the crawl was given it
            terminal_text(row["status"]),
            row["started_at"] or "",
            "" if row["seconds"] is None else f"{row['seconds']:.1f}",
            str(row["pages_fetched"]),
            str(row["not_modified"]),
            str(row["articles_new"]),
            str(row["versions_new"]),
            str(row["errors"]),
            f"{row['bytes_received']:,}",
            str(row["rechecks_sent"]),
            str(row["edits_found"]),
            str(row["rechecks_deferred"]),
            terminal_text(row["health"], "bold red" if (row["health"] or "").startswith("drift") else None),
        )
    Console().print(table)


def register(sub: Any) -> None:
    p = subcommand(
        sub,
        "runs",
        run,
        "list crawl runs: when, which site, what they fetched and found",
        """\
        List the crawls recorded in the database (table crawl_runs), newest first: site, status
        (running, finished, or why it stopped), start time and length, pages fetched, 304 answers,
        new articles, new versions, errors, bytes received, re-checks of archived articles sent (the
        304 column counts their unchanged answers), edits found (new versions of articles that had
        one), re-checks the budget left for the next run, and the extraction health (ok; learning,
        while the site has too few earlier runs to judge by; drift and the figures that drifted: see
        `newsarchive health`). A run still "running" whose process is gone was killed. A table on
        a terminal, tab-separated values when piped, --format json for a JSON array, jsonl for JSON
        Lines. bytes received is the sum of the run's responses as they came off the wire (status
        line, headers, body before decoding), the figure the crawl summary and `newsarchive stats` show.

        example:
          newsarchive runs
          newsarchive runs --site kyivindependent --limit 5
          newsarchive runs --format jsonl | jq 'select(.errors > 0)'
        """,
    )
    add_site(p)
    p.add_argument("--status", help="only runs with this status (e.g. running, finished)")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="show at most N runs (default 20; 0: all)")
    p.add_argument(
        "--format",
        choices=("table", "json", "jsonl"),
        default="table",
        help="table (rich on a terminal, tab-separated when piped), json (an array) or jsonl (one run a line)",
    )
    add_db(p)
