"""``newsarchive health``: per site and crawl run, what extraction made of the pages, and what drifted."""

from __future__ import annotations

import argparse
from typing import Any

from archive.commands.options import EXIT_OK, add_db, add_site, limit_from, site_from, subcommand
from archive.commands.output import add_format, one_line_errors, terminal_text, write_rows
from archive.config import database_url

FIGURE_COLUMNS = {
    "article_share": "articles",
    "median_body_chars": "median body",
    "title_share": "title",
    "author_share": "author",
    "date_share": "date",
    "silent_change_share": "undeclared changes",
}
COLUMNS = ("run", "site", "started", "pages", *FIGURE_COLUMNS.values(), "health")
DRIFT_MARK = " !"


def _row(verdict: Any) -> dict[str, Any]:
    """One run of one site, every key kept in JSON: counts, each figure's reading, the verdict."""
    from archive.health import SiteFigures

    figures = verdict.figures
    counts = {name: getattr(figures, name) for name in SiteFigures.__slots__ if name not in ("site", "started_at")}
    return {
        "run_id": figures.run_id,
        "site": figures.site,
        "started_at": figures.started_at.strftime("%Y-%m-%dT%H:%M:%SZ") if figures.started_at else None,
        "status": verdict.status,
        "health": verdict.describe(),
        "drifted": [reading.figure.name for reading in verdict.drifts],
        "figures": {reading.figure.name: reading.as_json() for reading in verdict.readings},
        "counts": counts,
    }


def _display(verdict: Any) -> dict[str, Any]:
    """The table's cells: shares as percentages, a drifted figure marked."""
    figures = verdict.figures
    row: dict[str, Any] = {
        "run": figures.run_id,
        "site": figures.site,
        "started": figures.started_at.strftime("%Y-%m-%d %H:%M") if figures.started_at else "",
        "pages": f"{figures.pages:,}",
        "health": verdict.status,
    }
    for reading in verdict.readings:
        shown = reading.figure.show(reading.value)
        row[FIGURE_COLUMNS[reading.figure.name]] = shown + (DRIFT_MARK if reading.drifted else "")
    return row


def _cell(value: Any) -> Any:
    text = "" if value is None else str(value)
    return terminal_text(text, "bold red" if text.endswith(DRIFT_MARK) or text == "drift" else None)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from archive import health, models
    from archive.db import open_database

    limit = limit_from(args)
    site = site_from(args)
    rules = health.HealthRules.from_project()
    sessions = open_database(database_url(args.db), create=False)
    H = models.SiteRunHealth
    with sessions() as session:
        query = select(H).order_by(H.started_at.desc(), H.id.desc())
        if site is not None:
            query = query.where(site.sql(H.site))
        if limit:
            query = query.limit(limit)
        verdicts = health.verdicts(session, session.scalars(query).all(), rules)
    if args.format in ("json", "jsonl"):
        rows = [_row(verdict) for verdict in verdicts]
    else:
        rows = [_display(verdict) for verdict in verdicts]
    write_rows(
        rows,
        args.format,
        COLUMNS,
        title="extraction health (newest first; ! drifted from the site's normal range)",
        rich_cells=dict.fromkeys((*FIGURE_COLUMNS.values(), "health"), _cell),
    )
    return EXIT_OK


def register(sub: Any) -> None:
    p = one_line_errors(
        subcommand(
            sub,
            "health",
            run,
            "per site and run: what extraction made of the pages, and what drifted",
            """\
        A site's template change does not make downloads fail: it makes articles come out empty,
        title-less or as listings. Every crawl records, per site, what extraction made of its pages,
        and each run is judged against the site's own recent runs. Newest first, one line per site
        and run:

          articles            share of the HTML pages fetched that became articles
          median body         median body length of those articles, in characters
          title, author, date share of the articles with a title, an author, a publication date
          undeclared changes  share of re-fetched articles whose body changed while the page
                              declared no new modification date

        health is "drift" when a figure (marked !) left the site's normal range: the median of its
        last NEWSARCHIVE_HEALTH_HISTORY_RUNS runs plus or minus NEWSARCHIVE_HEALTH_TOLERANCE scaled
        MADs (at least 15 points of a share, 30% of a length); "ok" when something was judged and
        nothing drifted; "learning" until NEWSARCHIVE_HEALTH_MIN_RUNS earlier runs had a figure. A
        figure rests on at least NEWSARCHIVE_HEALTH_MIN_PAGES pages or is not counted (-). Figures
        in JSON: value, low, high (null: no limit that way) and drifted.

        `newsarchive crawl --fail-on-drift` exits 1 when the crawl's extraction drifted; the crawl
        summary and `newsarchive runs` show the same verdicts.

        example:
          newsarchive health
          newsarchive health --site kyivindependent --limit 10
          newsarchive health --format json | jq '.[] | select(.status == "drift")'
        """,
        )
    )
    add_site(p)
    p.add_argument("--limit", type=int, default=20, metavar="N", help="at most N rows (default 20; 0: all)")
    add_format(p)
    add_db(p)
