"""``newsarchive reextract``: rebuild or refresh the database from WARC files, no re-crawl."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from archive.commands.options import (
    EXIT_FAILURE,
    EXIT_OK,
    UserError,
    add_db,
    add_set,
    add_site,
    add_sites_file,
    add_warc_dir,
    parse_date,
    site_from,
    subcommand,
)
from archive.commands.output import one_line, terminal_text
from archive.config import database_url, warc_dir


def _files(args: argparse.Namespace, directory: Path) -> list[Path]:
    from archive.warc.writer import READABLE_SUFFIXES, closed_warc_files

    if not args.warcs:
        files = list(closed_warc_files(directory, READABLE_SUFFIXES))
        if not files:
            raise UserError(f"no WARC files under {directory} (give WARC files, or --warc-dir DIR)")
        return files
    files = []
    for given in args.warcs:
        if given.is_dir():
            files.extend(closed_warc_files(given, READABLE_SUFFIXES))
        elif given.is_file():
            files.append(given)
        else:
            raise UserError(f"no such WARC file: {given}")
    if not files:
        raise UserError("no WARC files in the directories given")
    return files


def _print_summary(result: Any, fmt: str) -> None:
    from archive.reextract import summary_json, summary_rows

    if fmt == "json":
        json.dump(summary_json(result), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return

    rows = summary_rows(result)
    title = "reextract (dry run: nothing written)" if result.dry_run else "reextract"
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, show_header=False)
        table.add_column("what")
        table.add_column("count", justify="right")
        for label, value in rows:
            table.add_row(terminal_text(label), terminal_text(value))  # skip reasons name files and records
        console = Console()
        console.print(table)
        if result.changes:
            changes = Table(title="articles that would change", show_header=True)
            changes.add_column("url", overflow="fold")
            changes.add_column("change", overflow="fold")
            for change in result.changes:
                changes.add_row(terminal_text(change.url), terminal_text(change.summary))
            console.print(changes)
        return
    print(title)
    for label, value in rows:
        print(f"{one_line(label)}: {one_line(value)}")
    for change in result.changes:
        print(f"change: {one_line(change.url)}: {one_line(change.summary)}")


def run(args: argparse.Namespace) -> int:
    from archive.commands.crawl import setting_overrides
    from archive.crawl import project_settings
    from archive.reextract import ReextractSettings, reextract
    from archive.warc.framing import recompress_hint
    from archive.warc.reader import Selection

    if args.workers is not None and args.workers < 0:
        raise UserError("--workers must be 0 or more")
    directory = Path(warc_dir(args.warc_dir))
    site = site_from(args)
    files = _files(args, directory)
    result = reextract(
        files,
        database_url=database_url(args.db),
        warc_dir=directory,
        selection=Selection(since=args.since, site=site, url_glob=args.url_glob),
        workers=args.workers,
        dry_run=args.dry_run,
        batch_size=args.batch_size,
        settings=ReextractSettings.from_settings(project_settings(setting_overrides(args))),
    )
    _print_summary(result, args.format)
    for name in result.read.gzipped_whole:
        # Read, and readable by show and serve; never indexed for a replay tool (archive/warc/index.py).
        print(f"newsarchive: note: {name} is {recompress_hint(name)}", file=sys.stderr)
    if result.store.skipped:
        print(
            f"newsarchive: {result.store.skipped} page(s) refused by the database, not stored (see the errors above)",
            file=sys.stderr,
        )
    if result.skipped:
        print(
            f"newsarchive: {result.skipped} record(s) skipped as unreadable (see the warnings above)",
            file=sys.stderr,
        )
    return EXIT_FAILURE if result.skipped or result.store.skipped else EXIT_OK


def _batch_size(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def register(sub: Any) -> None:
    p = subcommand(
        sub,
        "reextract",
        run,
        "re-extract articles from WARC files into the database (no re-crawl)",
        """\
        Read WARC files, run the crawl's own extraction function on every HTML answer with status
        200, and store the results exactly as a crawl would: captures, articles, versions, authors,
        tags. Use it when extraction improved, when a site changed its markup, to rebuild a lost
        database, or to import archives written elsewhere (wget --warc-file, Heritrix, Browsertrix,
        ArchiveWeb.page, warcio): WARC 1.0 or 1.1, gzipped per record, gzipped whole or not at all;
        ARC files (.arc, .arc.gz); WACZ packages, whose WARCs are read in place and whose
        pages.jsonl says which HTML records are pages (the others are stored as captures only).
        Response records, resource records holding HTML (browser-based crawlers) and revisits
        are read; revisits are followed to the payload they refer to: in the files given, else
        through the captures already stored.

        Running it twice changes nothing the second time. An article whose extracted content
        differs from its latest stored version gets a new version, stamped with the extractor's
        name and version. With --dry-run nothing is written: the summary tells what would change,
        and each article that would change gets a one-line summary (fields changed, paragraphs
        added/removed).

        With no WARC arguments, every closed WARC under the WARC directory is read (never the
        *.open files of a running crawl). A directory argument stands for the WARC, ARC and WACZ
        files under it.
        Captures of files inside the WARC directory are stored by their path relative to it, as
        the crawl stores them; files elsewhere by their absolute path (keep them there).

        Extraction is given what the crawl gave it: the same headers, charset and content-coding
        rules, the crawl's size limit (DOWNLOAD_MAXSIZE) and the hints of the page's site profile
        in the sites file in force (--sites-file, $NEWSARCHIVE_SITES_FILE, or sites.toml). Pass
        the crawl's --sites-file / --set NAME=VALUE to re-extract as that crawl extracted. The
        requisites each page names (NEWSARCHIVE_REQUISITES, _PER_PAGE, NEWSARCHIVE_REQUISITE_MAXSIZE)
        are the ones the crawl that wrote the file recorded in its warcinfo record, unless --set
        gives them.

        Bad input (a truncated or corrupt gzip member, a record whose digest does not match, a
        file that is not a WARC) is reported with file and offset, skipped, and the run goes on.
        The summary counts every record read by type (warcinfo, request, response, revisit,
        resource, metadata, dns...) and what became of each; --format json prints it as one
        JSON object.

        exit status: 0 all records read; 1 some records were skipped (the summary says how many
        and why); 2 usage error.

        examples:
          newsarchive reextract                           # every WARC under the WARC directory
          newsarchive reextract --dry-run --site example.com
          newsarchive reextract crawl.warc.gz --db sqlite:///rebuilt.db --workers 4
          newsarchive reextract --since 2024-06-01 --url-glob 'https://example.com/news/*'
          newsarchive reextract browsertrix-crawl.wacz old-collection/ --format json
        """,
    )
    _add_options(p)


def _add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "warcs", nargs="*", type=Path, metavar="WARC", help="WARC, ARC or WACZ files, or directories of them"
    )
    p.add_argument("--since", type=parse_date, metavar="DATE", help="only records fetched on or after DATE")
    add_site(p)
    p.add_argument("--url-glob", metavar="GLOB", help="only URLs matching this shell pattern, e.g. '*/news/*'")
    p.add_argument(
        "--workers", type=int, metavar="N", help="extraction processes (default: the number of cores; 0 = none)"
    )
    p.add_argument("--dry-run", action="store_true", help="write nothing; report what would change")
    p.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="the summary as a table (rich on a terminal, 'label: value' lines when piped) or as one JSON object",
    )
    p.add_argument(
        "--batch-size",
        type=_batch_size,
        metavar="N",
        help="results per transaction (default: the crawl's NEWSARCHIVE_STORE_BATCH_SIZE, 200)",
    )
    add_db(p)
    add_warc_dir(p)
    add_sites_file(p)
    add_set(p)
