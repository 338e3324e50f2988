"""``newsarchive changes``: the edits the archive saw, newest first (archive/changes.py)."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from archive.commands.options import EXIT_OK, add_db, add_site, limit_from, parse_date, site_from, subcommand
from archive.commands.output import add_format, one_line_errors, write_rows
from archive.config import database_url


def parse_since(text: str) -> dt.datetime:
    """``--since``: on or after DATE, or a span back from now (``1d``, ``12h``, ``2w``)."""
    from crawler.incremental import parse_span

    try:
        return dt.datetime.now(dt.UTC) - parse_span(text)
    except ValueError:
        pass
    try:
        return parse_date(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"not a date or a span: {text!r} (use YYYY-MM-DD, an ISO 8601 timestamp, or 1d, 12h, 2w)"
        ) from None


COLUMNS = ("captured_at", "version", "url", "title", "summary", "diff")


def run(args: argparse.Namespace) -> int:
    from archive.changes import recent_edits
    from archive.db import open_database

    limit = limit_from(args)
    site = site_from(args)
    sessions = open_database(database_url(args.db), create=False)
    with sessions() as session:
        edits = [edit.as_dict() for edit in recent_edits(session, args.since, site, limit)]
    write_rows(edits, args.format, COLUMNS, title="edits (newest first)")
    return EXIT_OK


def register(sub: Any) -> None:
    p = one_line_errors(
        subcommand(
            sub,
            "changes",
            run,
            "list the edits found: versions that changed an archived article, newest first",
            """\
        List the versions made in a window that changed an article the archive already held (an
        article's first version is not an edit), newest first: when the change was captured, the
        version number, the URL, what changed (title, body words added and removed, byline,
        declared dates), the title, and a short word-level diff of the body ([-removed-]
        {+added+}). A table on a terminal, tab-separated when piped; --format json, jsonl or csv
        for every field (the changes as an object: title, byline, dates, words_added,
        words_removed; the previous title).

        example:
          newsarchive changes
          newsarchive changes --since 7d --site kyivindependent
          newsarchive changes --since 2024-06-01 --format jsonl | jq -r .url
        """,
        )
    )
    p.add_argument(
        "--since",
        type=parse_since,
        default="1d",
        metavar="WHEN",
        help="changes captured on or after WHEN: a date (YYYY-MM-DD, ISO 8601) or a span back from now "
        "(1d, 12h, 2w; default 1d)",
    )
    add_site(p)
    add_format(p)
    p.add_argument("--limit", type=int, default=50, metavar="N", help="show at most N edits (default 50; 0: all)")
    add_db(p)
