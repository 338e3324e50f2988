"""``newsarchive``: one command, subcommands over the archive library.

Each subcommand parses its arguments and calls the library; user mistakes (a bad date, a
missing database, an unreadable file) end in a one-line message and a non-zero exit status,
never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import gzip
import json
import logging
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from archive import __version__
from archive.config import database_url, warc_dir

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UserError(Exception):
    """A mistake the user can fix; printed as one line, exit status 2."""


# --- shared argument types ----------------------------------------------------------------------
def parse_date(text: str) -> dt.datetime:
    """A date or timestamp (ISO 8601) as aware UTC."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD or an ISO 8601 timestamp)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="SQLAlchemy database URL (default: $NEWSARCHIVE_DATABASE_URL or sqlite:///data/newsarchive.db)",
    )


def _add_warc_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warc-dir",
        metavar="DIR",
        default=None,
        help="directory of the WARC files (default: $NEWSARCHIVE_WARC_DIR or data/warc)",
    )


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", help="only this site (its name or host, e.g. example.com)")
    parser.add_argument("--author", help="only articles by this author (exact name)")
    parser.add_argument("--since", type=parse_date, metavar="DATE", help="published on or after DATE")
    parser.add_argument("--until", type=parse_date, metavar="DATE", help="published before DATE")
    parser.add_argument("--lang", metavar="CODE", help="only this language (e.g. en)")


def _filters(args: argparse.Namespace) -> Any:
    from archive.query import Filters

    return Filters(site=args.site, author=args.author, since=args.since, until=args.until, language=args.lang)


# --- export ----------------------------------------------------------------------------------------
def cmd_export(args: argparse.Namespace) -> int:
    from archive.db import open_database
    from archive.query import EXPORT_FIELDS, iter_articles

    sessions = open_database(database_url(args.db), create=False)
    out = sys.stdout
    with sessions() as session:
        rows = iter_articles(session, _filters(args))
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


# --- extract ----------------------------------------------------------------------------------------
def _read_page(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".gz" or data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def _manifest_entries(manifest: Path) -> Iterator[tuple[Path, str]]:
    with manifest.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                yield Path(entry["path"]), entry.get("url") or Path(entry["path"]).as_uri()
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise UserError(f'{manifest}:{number}: not a {{"path", "url"}} JSON line ({exc})') from None


def cmd_extract(args: argparse.Namespace) -> int:
    from archive.extract import NotAnArticle, extract, to_record

    entries: Iterable[tuple[Path, str]]
    if args.manifest:
        if args.paths:
            raise UserError("give files or --manifest, not both")
        if not args.manifest.is_file():
            raise UserError(f"no such manifest: {args.manifest}")
        entries = _manifest_entries(args.manifest)
    else:
        if not args.paths:
            raise UserError("nothing to extract: give one or more HTML files, or --manifest FILE.jsonl")
        if args.url and len(args.paths) > 1:
            raise UserError("--url applies to one file; use --manifest for several")
        entries = [(p, args.url or p.resolve().as_uri()) for p in args.paths]
    failures = 0
    for path, url in entries:
        try:
            body = _read_page(path)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            logging.getLogger("newsarchive").error("cannot read %s: %s", path, exc)
            result: Any = NotAnArticle(url=url, reason=f"unreadable: {exc}", kind="error")
            failures += 1
        else:
            result = extract(body, url, {"Content-Type": "text/html"})
        sys.stdout.write(json.dumps(to_record(result), ensure_ascii=False) + "\n")
    return EXIT_FAILURE if failures else EXIT_OK


# --- crawl and demo ------------------------------------------------------------------------------------
def _print_summary(summary: Any, db: str, warcs: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="crawl summary", show_header=False)
    table.add_row("pages fetched", str(summary.pages))
    table.add_row("new articles", str(summary.articles_new))
    table.add_row("new versions", str(summary.versions_new))
    table.add_row("WARC bytes", f"{summary.warc_bytes:,}")
    table.add_row("seconds", f"{summary.seconds:.1f}")
    table.add_row("finish reason", summary.finish_reason)
    table.add_row("database", db)
    table.add_row("WARC directory", warcs)
    Console(stderr=True).print(table)


def _crawl_overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {
        "NEWSARCHIVE_DATABASE_URL": database_url(args.db),
        "NEWSARCHIVE_WARC_DIR": warc_dir(args.warc_dir),
    }
    for item in args.set or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UserError(f"--set wants NAME=VALUE, got {item!r}")
        overrides[name] = value
    return overrides


def cmd_crawl(args: argparse.Namespace) -> int:
    from archive.crawl import run_crawl

    overrides = _crawl_overrides(args)
    summary = run_crawl({"start_url": ",".join(args.urls)}, overrides)
    _print_summary(summary, overrides["NEWSARCHIVE_DATABASE_URL"], overrides["NEWSARCHIVE_WARC_DIR"])
    return EXIT_OK if summary.finish_reason == "finished" else EXIT_FAILURE


def cmd_demo(args: argparse.Namespace) -> int:
    from archive.crawl import run_crawl
    from archive.sample_site import SampleSite

    overrides = _crawl_overrides(args)
    # The sample site is on loopback: no need to be gentle with it.
    overrides.update({"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "LOG_LEVEL": args.log_level})
    with SampleSite(port=args.port) as site:
        print(f"serving the sample news site at {site.url}/ ; crawling {site.url}/news-feed/", file=sys.stderr)
        summary = run_crawl({"start_url": f"{site.url}/news-feed/"}, overrides)
    _print_summary(summary, overrides["NEWSARCHIVE_DATABASE_URL"], overrides["NEWSARCHIVE_WARC_DIR"])
    print("next: newsarchive export --format jsonl | head -c 2000", file=sys.stderr)
    return EXIT_OK if summary.finish_reason == "finished" else EXIT_FAILURE


# --- the parser -------------------------------------------------------------------------------------------
Handler = Callable[[argparse.Namespace], int]


def _subcommand(sub: Any, name: str, handler: Handler, summary: str, description: str) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        name,
        help=summary,
        description=textwrap.dedent(description),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=handler)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsarchive",
        description=textwrap.dedent("""\
            Archive news sites into WARC files and a normalized database, and query the archive.

            A crawl (`newsarchive crawl URL`, or `scrapy crawl newsfeed -a start_url=URL` in the project
            directory) writes every HTTP exchange to WARC under the WARC directory and the extracted
            articles to the database. Configuration: --db / $NEWSARCHIVE_DATABASE_URL (default
            sqlite:///data/newsarchive.db) and --warc-dir / $NEWSARCHIVE_WARC_DIR (default data/warc).
            """),
        epilog="Try `newsarchive demo` to see the whole pipeline on the bundled sample site, offline.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"newsarchive {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = _subcommand(
        sub,
        "crawl",
        cmd_crawl,
        "crawl a news site into WARC and the database",
        """\
        Crawl a news site from one or more entry points: a news-feed listing, an RSS/Atom feed, a
        sitemap or the home page. Same as `scrapy crawl newsfeed -a start_url=URL`, from any directory.

        example:
          newsarchive crawl https://example-news.site/news-feed/
          newsarchive crawl https://example-news.site/rss/ --set CLOSESPIDER_PAGECOUNT=50
        """,
    )
    p.add_argument("urls", nargs="+", metavar="URL", help="entry point(s) of one site")
    _add_db(p)
    _add_warc_dir(p)
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a Scrapy setting (repeatable)")

    p = _subcommand(
        sub,
        "demo",
        cmd_demo,
        "serve the bundled sample site and crawl it (offline)",
        """\
        Start the bundled sample news site on 127.0.0.1 and crawl it with the real pipeline: WARC
        files, extraction, database. Nothing leaves the machine.

        example:
          newsarchive demo && newsarchive export --format jsonl | head
        """,
    )
    _add_db(p)
    _add_warc_dir(p)
    p.add_argument("--port", type=int, default=0, help="port for the sample site (default: any free port)")
    p.add_argument("--log-level", default="WARNING", help="Scrapy log level (default WARNING)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a Scrapy setting (repeatable)")

    p = _subcommand(
        sub,
        "export",
        cmd_export,
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
    _add_filters(p)
    _add_db(p)

    p = _subcommand(
        sub,
        "extract",
        cmd_extract,
        "extract articles from HTML files (no database)",
        """\
        Run the extraction function the crawl uses on saved pages and print JSON Lines (url, title,
        authors, published, language, text, ...). Files may be .html or .html.gz.

        example:
          newsarchive extract page.html --url https://example.com/news/story/
          newsarchive extract --manifest pages.jsonl     # lines of {"path": ..., "url": ...}
        """,
    )
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="HTML files")
    p.add_argument("--url", help="the URL the (single) file was fetched from")
    p.add_argument("--manifest", type=Path, metavar="FILE", help='JSON Lines of {"path", "url"}')
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    from archive.db import DatabaseError

    try:
        return handler(args)
    except UserError as exc:
        print(f"newsarchive: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DatabaseError as exc:
        print(f"newsarchive: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:
        # `newsarchive export | head`: the reader left; not an error.
        with contextlib.suppress(OSError):
            sys.stdout = None  # type: ignore[assignment]
        return EXIT_OK
    except KeyboardInterrupt:
        print("newsarchive: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
