"""``newsarchive wacz``: package WARC files, their index and the articles as pages into a WACZ."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from archive.commands.options import (
    EXIT_FAILURE,
    EXIT_OK,
    UserError,
    add_db,
    add_site,
    add_summary_format,
    add_warc_dir,
    parse_date,
    print_json,
    site_from,
    subcommand,
)
from archive.config import database_url, warc_dir


def run(args: argparse.Namespace) -> int:
    from archive.db import open_database
    from archive.wacz import WaczError, select_for_package, write_wacz

    output = Path(args.output)
    if output.suffix != ".wacz":
        raise UserError(f"the output file must end in .wacz: {output}")
    if output.is_dir():
        raise UserError(f"{output} is a directory")
    directory = Path(warc_dir(args.warc_dir))
    site = site_from(args)
    sessions = open_database(database_url(args.db), create=False)
    with sessions() as session:
        selection = select_for_package(session, site=site, since=args.since)
    scope = []
    if args.site:
        scope.append(f"of {args.site}")
    if args.since:
        scope.append(f"since {args.since:%Y-%m-%d %H:%M} UTC")
    title = args.title or " ".join(["newsarchive", *scope])
    try:
        packaged = write_wacz(directory, selection, output, title=title)
    except WaczError as exc:
        raise UserError(" ".join([str(exc), *scope])) from exc
    except OSError as exc:
        raise UserError(f"cannot write {output}: {exc.strerror or exc}") from exc
    files = len(selection.warc_files) - len(packaged.left_out)
    if args.format == "json":
        left_out = [{"file": skip.name, "reason": skip.reason} for skip in packaged.left_out]
        print_json(
            {"package": str(output), "warc_files": files, "pages": packaged.pages, "bytes": output.stat().st_size}
            | {"requisite_records": selection.requisites, "requisites_not_archived": selection.requisites_missing}
            | {"left_out": left_out}
        )
        return EXIT_FAILURE if packaged.left_out else EXIT_OK
    print(
        f"{output}: {files} WARC file(s), {packaged.pages:,} page(s) with {selection.requisites:,} requisite "
        f"record(s), {output.stat().st_size:,} bytes",
        file=sys.stderr,
    )
    for skip in packaged.left_out:
        print(f"newsarchive: warning: {skip.name} left out of the package ({skip.reason})", file=sys.stderr)
    return EXIT_FAILURE if packaged.left_out else EXIT_OK


def register(sub: Any) -> None:
    p = subcommand(
        sub,
        "wacz",
        run,
        "package WARC files, index and article list into a WACZ file",
        """\
        Write a WACZ package (Web Archive Collection Zipped, https://specs.webrecorder.net/wacz/):
        the WARC files that hold the selected captures, a CDXJ index of them, and a pages list of
        the articles (url, title, capture time). ReplayWeb.page opens it as is; `wacz validate -f
        FILE` checks it.

        Whole WARC files are packaged: a file that holds one selected capture goes in with every
        other record it holds, and so does a file that holds a requisite of a packed page (a
        stylesheet, font, image or script it loads: the record a replay of the page at its time
        uses, which may be an earlier run's full copy or another host's). --since selects by
        capture time (when the page was fetched), not by publication date.

        example:
          newsarchive wacz -o archive.wacz
          newsarchive wacz --site example.com --since 2024-06-01 -o example-june.wacz
        """,
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE.wacz", help="the package to write")
    add_site(p)
    p.add_argument("--since", type=parse_date, metavar="DATE", help="only captures fetched on or after DATE")
    p.add_argument("--title", help="the package's title (default: from --site and --since)")
    add_db(p)
    add_warc_dir(p)
    add_summary_format(p)
