"""``newsarchive articles``: list articles (latest version) with the same filters as search."""

from __future__ import annotations

import argparse
from typing import Any

from archive.commands.options import EXIT_OK, add_db, add_filters, filters_from, limit_from, subcommand
from archive.commands.output import add_format, one_line_errors, write_rows
from archive.config import database_url

COLUMNS = ("id", "published", "site", "title", "authors", "language", "versions", "url")


def run(args: argparse.Namespace) -> int:
    from archive.db import open_database
    from archive.query import list_articles

    limit = limit_from(args)
    filters = filters_from(args)  # a usage error is reported before the database is opened
    sessions = open_database(database_url(args.db), create=False)
    with sessions() as session:
        rows = list_articles(session, filters, limit=limit, order=args.order)
    if args.format == "table":
        for row in rows:
            row["published"] = (row["published"] or "")[:16]
    write_rows(rows, args.format, COLUMNS, title=f"{len(rows)} articles", styles={"id": "cyan", "title": "bold"})
    return EXIT_OK


def register(sub: Any) -> None:
    from archive.query_names import ORDERS

    p = one_line_errors(
        subcommand(
            sub,
            "articles",
            run,
            "list articles (latest version), newest first, with filters",
            """\
        List articles with their latest version: ID, publication date, site, title, authors,
        language, number of versions and URL. `newsarchive show ID` tells everything about one.

        example:
          newsarchive articles --site kyivindependent.com --since 2023-07-01 --until 2023-07-16
          newsarchive articles --author "Martin Fornusek" --format csv --limit 0 > fornusek.csv
        """,
        )
    )
    add_filters(p)
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N articles (default 50; 0: all)")
    p.add_argument(
        "--order", choices=ORDERS, default="published", help="published (newest first, default), captured or id"
    )
    add_format(p)
    add_db(p)
