"""``newsarchive export``: every article's latest version as JSON Lines, CSV or Parquet, streamed."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from archive.commands.options import (
    EXIT_OK,
    UserError,
    add_db,
    add_filters,
    filters_from,
    output_file_problem,
    subcommand,
)
from archive.commands.output import write_csv
from archive.config import database_url

PARQUET_BATCH_ROWS = 1000


def parquet_schema() -> Any:
    import pyarrow as pa

    text, names = pa.string(), pa.list_(pa.string())
    return pa.schema(
        [
            ("id", pa.int64()),
            ("url", text),
            ("title", text),
            ("authors", names),
            ("published", text),  # as the page gave it, offset kept
            ("modified", text),
            ("language", text),
            ("site", text),
            ("section", text),
            ("tags", names),
            ("description", text),
            ("image", text),
            ("canonical_url", text),
            ("text", text),
            ("version", pa.int32()),
            ("content_hash", text),
            ("extractor", text),
            ("extractor_version", text),
            ("fetched_at", pa.timestamp("us", tz="UTC")),
            ("status", pa.int32()),
            ("warc_file", text),
            ("warc_offset", pa.int64()),
            ("warc_length", pa.int64()),
        ]
    )


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        row["fetched_at"] = dt.datetime.fromisoformat(row["fetched_at"])
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_parquet(
    rows: Iterable[dict[str, Any]], sink: str | Path | BinaryIO, batch_rows: int = PARQUET_BATCH_ROWS
) -> int:
    """Write *rows* (``iter_articles`` dicts) as Parquet, one row group per batch, so memory
    holds one batch however many rows; returns the number of rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    count = 0
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        for batch in _batches(rows, batch_rows):
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


def _csv_row(row: dict[str, Any]) -> list[Any]:
    from archive.query_names import EXPORT_FIELDS

    joined = {"authors": "; ".join(row["authors"]), "tags": "; ".join(row["tags"])}
    return [joined.get(field, row.get(field)) for field in EXPORT_FIELDS]


def run(args: argparse.Namespace) -> int:
    from archive.db import open_database
    from archive.query import iter_articles
    from archive.query_names import EXPORT_FIELDS

    if args.format == "parquet" and args.output is None and sys.stdout.isatty():
        raise UserError("Parquet is binary: give --output FILE.parquet or redirect stdout")
    if args.output is not None:
        problem = output_file_problem(args.output)
        if problem:
            raise UserError(problem)
    filters = filters_from(args)  # a usage error is reported before the database is opened
    sessions = open_database(database_url(args.db), create=False)
    with sessions() as session, _written_whole(args.output) as partial:
        rows = _readable(iter_articles(session, filters))
        if args.format == "parquet":
            write_parquet(rows, str(partial) if partial else sys.stdout.buffer)
            return EXIT_OK
        out = sys.stdout if partial is None else partial.open("w", encoding="utf-8", newline="")
        try:
            if args.format == "jsonl":
                for row in rows:
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                write_csv(out, EXPORT_FIELDS, (_csv_row(row) for row in rows))
        finally:
            if out is not sys.stdout:
                out.close()
    return EXIT_OK


@contextlib.contextmanager
def _written_whole(target: Path | None) -> Iterator[Path | None]:
    """A file beside *target* to write the export into, renamed to *target* only once the export is
    whole: an export that stops half-way leaves an earlier file of that name as it was."""
    if target is None:
        yield None
        return
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _readable(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """*rows*, with a value the database holds but cannot give back (a corrupt timestamp) reported as
    the database's fault in one line instead of a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from archive.db import DatabaseError

    count = 0
    try:
        for row in rows:
            yield row
            count += 1
    except (ValueError, SQLAlchemyError) as exc:
        reason = " ".join(str(exc).split())[:300]
        raise DatabaseError(f"export stopped after {count} articles: a row could not be read ({reason})") from None


def register(sub: Any) -> None:
    p = subcommand(
        sub,
        "export",
        run,
        "print every article (latest version) as JSON Lines, CSV or Parquet",
        """\
        Print one record per article, its latest version: url, title, authors, published, modified,
        language, text, site, fetched_at, warc_file, warc_offset and more. Streams: memory stays flat
        however large the archive.

        CSV is for spreadsheets, which run a cell that starts with = + - @ (or a tab or a carriage
        return) as a formula: such a cell gets a leading ' (CSV injection, as OWASP advises), so
        '=HYPERLINK(...)' is shown as the text it is. JSON Lines and Parquet keep every value exact.

        example:
          newsarchive export --format jsonl > articles.jsonl
          newsarchive export --format csv --site example.com --since 2024-01-01 > articles.csv
          newsarchive export --format parquet -o articles.parquet   # typed columns, zstd
        """,
    )
    p.add_argument(
        "--format", choices=("jsonl", "csv", "parquet"), default="jsonl", help="output format (default jsonl)"
    )
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of stdout")
    add_filters(p)
    add_db(p)
