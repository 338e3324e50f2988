"""``newsarchive export``: every article's latest version as JSON Lines or CSV, streamed."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from archive.commands.options import EXIT_OK, add_db, add_filters, filters_from, subcommand
from archive.config import database_url


def run(args: argparse.Namespace) -> int:
    from archive.db import open_database
    from archive.query import EXPORT_FIELDS, iter_articles

    sessions = open_database(database_url(args.db), create=False)
    out = sys.stdout
    with sessions() as session:
        rows = iter_articles(session, filters_from(args))
        if args.format == "jsonl":
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                row["authors"] = "; ".join(row["authors"])
                row["tags"] = "; ".join(row["tags"])
                writer.writerow(row)
    return EXIT_OK


def register(sub: Any) -> None:
    p = subcommand(
        sub,
        "export",
        run,
        "print every article (latest version) as JSON Lines or CSV",
        """\
        Print one record per article, its latest version: url, title, authors, published, modified,
        language, text, site, fetched_at, warc_file, warc_offset and more. Streams: memory stays flat
        however large the archive.

        example:
          newsarchive export --format jsonl > articles.jsonl
          newsarchive export --format csv --site example.com --since 2024-01-01 > articles.csv
        """,
    )
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="output format (default jsonl)")
    add_filters(p)
    add_db(p)
