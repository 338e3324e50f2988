"""``newsarchive stats``: what the archive holds, per site, and articles per day as a chart."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from typing import Any

from archive.commands.options import EXIT_OK, UserError, add_db, add_site, parse_date, site_from, subcommand
from archive.commands.output import is_terminal, one_line_errors, write_rows
from archive.config import database_url

COLUMNS = ("site", "articles", "captures", "versions", "authors", "first_published", "last_published", "bytes_received")
BAR_WIDTH = 50


def day_chart(days: list[tuple[dt.date, int]], last: int, bar: str = "█") -> list[str]:
    """The last *last* days up to the newest day with articles, empty days included, as bars."""
    if not days:
        return []
    counts = dict(days)
    end = max(counts)
    start = max(min(counts), end - dt.timedelta(days=last - 1))
    peak = max(counts.get(start + dt.timedelta(days=i), 0) for i in range((end - start).days + 1)) or 1
    lines = []
    for i in range((end - start).days + 1):
        day = start + dt.timedelta(days=i)
        count = counts.get(day, 0)
        width = round(count / peak * BAR_WIDTH)
        lines.append(
            f"{day.isoformat()} {day.strftime('%a')} {(bar * width) or ('▏' if count and bar == '█' else '')}"
            f" {count}".rstrip()
        )
    return lines


def run(args: argparse.Namespace) -> int:
    from archive.db import open_database
    from archive.query import Filters, articles_per_day, site_stats

    if args.days < 1:
        raise UserError("--days must be at least 1")
    site = site_from(args)
    sessions = open_database(database_url(args.db), create=False)
    with sessions() as session:
        sites = site_stats(session, site)
        if site and not sites:
            raise UserError(f"no site {args.site!r} in the archive")
        per_day = articles_per_day(session, Filters(site=site, since=args.since, until=args.until))
    if args.format == "json":
        payload = {
            "sites": [dataclasses.asdict(s) for s in sites],
            "articles_per_day": [{"day": d.isoformat(), "articles": n} for d, n in per_day],
        }
        json.dump(payload, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    rows = [dataclasses.asdict(s) for s in sites]
    for row in rows:
        for key in ("first_published", "last_published"):
            row[key] = (row[key] or "")[:16].replace("T", " ")
    write_rows(rows, "table", COLUMNS, title="archive by site", styles={"site": "bold"})
    terminal = is_terminal()
    chart = day_chart(per_day, args.days, bar="█" if terminal else "#")
    heading = f"articles per day (published, UTC; last {args.days} days with data)"
    if terminal:
        from rich.console import Console

        Console().print(f"\n[bold]{heading}[/bold]")
        Console().print("\n".join(chart) or "(no publication dates)", highlight=False)
    else:
        sys.stdout.write(f"\n{heading}\n" + ("\n".join(chart) or "(no publication dates)") + "\n")
    return EXIT_OK


def register(sub: Any) -> None:
    p = one_line_errors(
        subcommand(
            sub,
            "stats",
            run,
            "per-site counts and an articles-per-day chart",
            """\
        Per site: articles, captures (every fetch), versions, distinct authors, first and last
        publication date, and the bytes received (every response as it came off the wire: status
        line, headers, body before decoding; the figure the crawl summary and `newsarchive runs` show);
        then the number of articles per day of publication (UTC) as a bar chart.

        example:
          newsarchive stats
          newsarchive stats --site kyivindependent.com --days 14
          newsarchive stats --format json | jq .sites
        """,
        )
    )
    add_site(p)
    p.add_argument("--since", type=parse_date, metavar="DATE", help="chart: published on or after DATE")
    p.add_argument("--until", type=parse_date, metavar="DATE", help="chart: published before DATE")
    p.add_argument("--days", type=int, default=30, metavar="N", help="chart the last N days (default 30)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="table (default) or json")
    add_db(p)
