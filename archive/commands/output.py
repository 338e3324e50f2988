"""Printing rows the same way in every query command: a rich table on a terminal, tab-separated
plain text when piped, or JSON / JSON Lines / CSV on request (``--format``).

Archived text is anybody's text: a headline may carry escape sequences that retitle, clear or
rewrite the reader's terminal, or rich markup that restyles a table (or breaks it: ``[/x]`` is a
markup error). Human output goes through :func:`for_terminal` (rich cells through
:func:`terminal_text`, which rich never reads as markup); JSON stays exact.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

FORMATS = ("table", "json", "jsonl", "csv")

# ECMA-48 sequences, 7-bit and 8-bit: CSI (ESC [ or 0x9B, parameters, a final byte), OSC / DCS /
# SOS / PM / APC strings (up to BEL or ST; unterminated, to the end), and two-byte ESC sequences.
# Removed whole: what remains of one ("]0;title") is not the archived text either.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 but tab and newline, DEL, C1
_LINE_BREAKS = re.compile(r"[\t\n\u2028\u2029]")


def for_terminal(text: str, *, lines: bool = False) -> str:
    """*text* without escape sequences and control characters, safe to show a person. With
    *lines*, newlines and tabs stay (an article's text); without, they become spaces (a cell)."""
    text = _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))
    return text if lines else _LINE_BREAKS.sub(" ", text)


def terminal_text(value: Any, style: str | None = None) -> Any:
    """A rich ``Text`` of *value* as a plain cell shows it (through :func:`for_terminal`, on one
    line): shown as it reads, never as markup."""
    from rich.text import Text

    return Text(one_line(value), style=style or "")


# What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"), and the full-width
# forms some locales of Excel read the same way.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_cell(value: Any) -> Any:
    """*value* as a CSV cell: a text a spreadsheet would run as a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(out: Any, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """*header*, then *rows*, as CSV on *out*, every cell through :func:`csv_cell`."""
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])


def add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table (rich on a terminal, tab-separated when piped), json, jsonl or csv (default table; in csv, a "
        "cell that starts like a formula, = + - @, gets a leading ')",
    )


def one_line_errors(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Make *parser* report a bad argument in one line (no usage dump), exit status 2."""

    def error(message: str) -> Any:
        parser.exit(2, f"{parser.prog}: error: {message} (see --help)\n")

    parser.error = error  # type: ignore[method-assign]
    return parser


def is_terminal() -> bool:
    return sys.stdout.isatty()


def one_line(value: Any) -> str:
    """*value* as a cell shows it: lists joined by "; ", on one line, through :func:`for_terminal`."""
    if value is None:
        return ""
    text = "; ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    return " ".join(for_terminal(text).split())  # one row, one line


def _joined(value: Any) -> Any:
    return "; ".join(map(str, value)) if isinstance(value, list) else value


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
    *rich_cells* maps a column to a function value -> rich renderable for terminal tables (which
    must pass archived text through :func:`for_terminal` itself)."""
    out = sys.stdout
    if fmt == "json":
        json.dump(list(rows), out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
    elif fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    elif fmt == "csv":
        write_csv(out, columns, ([_joined(row.get(column)) for column in columns] for row in rows))
    elif is_terminal():
        _print_table(rows, columns, title, styles or {}, rich_cells or {})
    else:
        out.write("\t".join(columns) + "\n")
        for row in rows:
            out.write("\t".join(one_line(row.get(c)) for c in columns) + "\n")


def _human(column: str, value: Any) -> Any:
    """A count as a person reads it (68,535), for terminal tables; ids stay as typed back (`show 1234`)."""
    if isinstance(value, int) and not isinstance(value, bool) and column != "id" and not column.endswith("_id"):
        return f"{value:,}"
    return value


def _print_table(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    title: str | None,
    styles: dict[str, str],
    rich_cells: dict[str, Any],
) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=terminal_text(title) if title else None, show_lines=False, expand=False)
    for column in columns:
        table.add_column(column, style=styles.get(column), overflow="fold")
    for row in rows:
        cells = []
        for column in columns:
            render = rich_cells.get(column)
            cells.append(render(row.get(column)) if render else terminal_text(_human(column, row.get(column))))
        table.add_row(*cells)
    Console().print(table)
