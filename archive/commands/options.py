"""Options and helpers every subcommand shares: the same names and meanings everywhere."""

from __future__ import annotations

import argparse
import datetime as dt
import textwrap
from collections.abc import Callable
from typing import Any

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]


class UserError(Exception):
    """A mistake the user can fix; printed as one line, exit status 2."""


def parse_date(text: str) -> dt.datetime:
    """A date or timestamp (ISO 8601) as aware UTC."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD or an ISO 8601 timestamp)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="SQLAlchemy database URL (default: $NEWSARCHIVE_DATABASE_URL or sqlite:///data/newsarchive.db)",
    )


def add_warc_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warc-dir",
        metavar="DIR",
        default=None,
        help="directory of the WARC files (default: $NEWSARCHIVE_WARC_DIR or data/warc)",
    )


def add_sites_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sites-file",
        metavar="FILE",
        default=None,
        help="site profiles (default: $NEWSARCHIVE_SITES_FILE, else sites.toml here, else the shipped one)",
    )


def add_set(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a Scrapy setting (repeatable)")


def add_voice(parser: argparse.ArgumentParser) -> None:
    """How much a command that crawls says on the console (archive/progress.py); the whole log is in a file."""
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="Scrapy's INFO lines on the console too"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print the summary only: no progress, no log lines")
    parser.add_argument(
        "--log-level",
        metavar="LEVEL",
        help="log records of LEVEL and above on the console (DEBUG, INFO, WARNING, ERROR; default WARNING)",
    )


def output_file_problem(path: Any) -> str | None:
    """Why the file *path* (an -o/--output) cannot be written, as one line, or None."""
    from pathlib import Path

    path = Path(path)
    if path.is_dir():
        return f"{path} is a directory; -o wants a file name, e.g. {path / 'articles.jsonl'}"
    if not path.parent.is_dir():
        return f"no folder {path.parent} for {path}: create it first"
    return None


def add_summary_format(parser: argparse.ArgumentParser) -> None:
    """--format of a command that reports what it did: lines for a person, or one JSON object."""
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="what was done as lines for a person (table, the default) or as JSON on stdout",
    )


def print_json(value: Any) -> None:
    """*value* as JSON on stdout, one document: what --format json prints."""
    import json
    import sys

    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


SITE_HELP = (
    "only this site: a profile of the sites file (its hosts) or a host, e.g. example.com; subdomains and www. included"
)


def add_site(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", metavar="SITE", help=SITE_HELP)


def site_from(args: argparse.Namespace) -> Any:
    """The ``--site`` of *args* resolved (``archive.sites.SiteSelector``), or None."""
    from archive.sites import UnknownSite, resolve_site

    if not getattr(args, "site", None):
        return None
    try:
        return resolve_site(args.site, getattr(args, "sites_file", None))
    except UnknownSite as exc:
        raise UserError(str(exc)) from None


def limit_from(args: argparse.Namespace) -> int | None:
    """``--limit N`` as every command means it: at most N, 0 for no limit (None); below 0 a usage error."""
    if args.limit < 0:
        raise UserError("--limit must be 0 (all) or more")
    return args.limit or None


def add_filters(parser: argparse.ArgumentParser) -> None:
    add_site(parser)
    parser.add_argument("--author", help="only articles by this author (exact name)")
    parser.add_argument("--since", type=parse_date, metavar="DATE", help="published on or after DATE")
    parser.add_argument("--until", type=parse_date, metavar="DATE", help="published before DATE")
    parser.add_argument("--lang", metavar="CODE", help="only this language (e.g. en)")


def filters_from(args: argparse.Namespace) -> Any:
    from archive.query import Filters

    return Filters(site=site_from(args), author=args.author, since=args.since, until=args.until, language=args.lang)


def subcommand(sub: Any, name: str, handler: Handler, summary: str, description: str) -> argparse.ArgumentParser:
    """Add subcommand *name*; *description* (dedented) is its man page, examples included."""
    parser = sub.add_parser(
        name,
        help=summary,
        description=textwrap.dedent(description),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=handler)
    return parser
