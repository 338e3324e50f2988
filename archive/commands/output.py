"""Printing rows the same way in every query command: a rich table on a terminal, tab-separated
plain text when piped, or JSON / JSON Lines / CSV on request (``--format``)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

FORMATS = ("table", "json", "jsonl", "csv")


def add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table (rich on a terminal, tab-separated when piped), json, jsonl or csv (default table)",
    )


def one_line_errors(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Make *parser* report a bad argument in one line (no usage dump), exit status 2."""

    def error(message: str) -> Any:
        parser.exit(2, f"{parser.prog}: error: {message} (see --help)\n")

    parser.error = error  # type: ignore[method-assign]
    return parser


def is_terminal() -> bool:
    return sys.stdout.isatty()


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(map(str, value))
    return " ".join(str(value).split())  # one row, one line


def write_rows(
    rows: Iterable[dict[str, Any]],
    fmt: str,
    columns: Sequence[str],
    *,
    title: str | None = None,
    styles: dict[str, str] | None = None,
    rich_cells: dict[str, Any] | None = None,
) -> None:
    """Print *rows*. *columns* are the keys shown in table/csv form (json keeps every key);
    *rich_cells* maps a column to a function value -> rich renderable for terminal tables."""
    out = sys.stdout
    if fmt == "json":
        json.dump(list(rows), out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
    elif fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    elif fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(
                ["; ".join(map(str, v)) if isinstance(v, list) else v for v in (row.get(c) for c in columns)]
            )
    elif is_terminal():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, show_lines=False, expand=False)
        for column in columns:
            table.add_column(column, style=(styles or {}).get(column), overflow="fold")
        for row in rows:
            cells = []
            for column in columns:
                render = (rich_cells or {}).get(column)
                cells.append(render(row.get(column)) if render else _plain(row.get(column)))
            table.add_row(*cells)
        Console().print(table)
    else:
        out.write("\t".join(columns) + "\n")
        for row in rows:
            out.write("\t".join(_plain(row.get(c)).replace("\t", " ") for c in columns) + "\n")
