"""``newsarchive warc``: maintenance verbs over the WARC directory."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from archive.commands.options import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    UserError,
    add_summary_format,
    add_warc_dir,
    subcommand,
)
from archive.config import warc_dir


def _report(result: Any, output_format: str = "table") -> None:
    if output_format == "json":
        print(
            json.dumps(
                {"file": str(result.path), "records": result.records, "kept_bytes": result.kept_bytes}
                | {
                    "dropped_bytes": result.dropped_bytes if result.damaged else 0,
                    "damaged_copy": str(result.damaged) if result.damaged else None,
                }
            )
        )
        return
    line = f"{result.path}: kept {result.records:,} complete records ({result.kept_bytes:,} bytes)"
    if result.damaged is None:
        print(line)
        return
    print(
        f"{line}, each at its offset; {result.dropped_bytes:,} damaged or cut-short bytes left out; "
        f"the file as it was: {result.damaged}"
    )


def run_recover(args: argparse.Namespace) -> int:
    from archive.warc.recover import NothingToRecover, StillOpen, open_files, recover

    named = list(args.paths)
    for path in named:
        if not path.is_file():
            raise UserError(f"no such file: {path}")
        if not path.name.endswith(".open"):
            raise UserError(f"{path} is not an .open WARC file (recover finishes files a dead crawl left .open)")
    paths = named or open_files(Path(warc_dir(args.warc_dir)))
    if not paths:
        print("nothing to recover: no .open WARC files", file=sys.stderr)
        return EXIT_OK
    failed = 0
    for path in paths:
        try:
            _report(recover(path), args.format)
        except StillOpen as exc:
            # A crawl running now: expected when the whole directory is swept, an error when named.
            print(f"newsarchive: {exc}; left alone", file=sys.stderr)
            failed += bool(named)
        except (NothingToRecover, ValueError, OSError) as exc:
            print(f"newsarchive: cannot recover {path}: {exc}", file=sys.stderr)
            failed += 1
    return EXIT_FAILURE if failed else EXIT_OK


def register(sub: Any) -> None:
    def usage(_args: argparse.Namespace) -> int:
        warc.print_help()
        return EXIT_USAGE

    warc = subcommand(
        sub,
        "warc",
        usage,
        "WARC file maintenance (recover)",
        """\
        Maintenance of the WARC directory.

        example:
          newsarchive warc recover            # every .open file under the WARC directory
        """,
    )
    verbs = warc.add_subparsers(title="verbs", metavar="VERB")
    p = subcommand(
        verbs,
        "recover",
        run_recover,
        "finish WARC files a dead crawl left .open",
        """\
        A crawl that was killed (SIGKILL, power loss) leaves its current WARC file named *.warc.gz.open.
        recover gives it its final name, the one the database already refers to. If anything in it
        is damaged (a record cut short, zeros a power loss left), the repaired file is written under
        that name beside it: every complete record at its offset, so the database's offsets still
        hold; damage in between replaced by filler WARC readers pass over; a record cut short at
        the end left out. The original keeps every byte, renamed *.warc.gz.damaged. Uncompressed
        .warc.open files and gzip members of several records are read too.

        A file a running crawl still writes (it holds a lock on it) is left alone: when the WARC
        directory is swept, with a note; when named, as an error. Exit status 1 when a file could
        not be recovered.

        example:
          newsarchive warc recover
          newsarchive warc recover data/warc/newsarchive-20240101120000000000-00001-host-42.warc.gz.open
        """,
    )
    p.add_argument("paths", nargs="*", type=Path, metavar="FILE", help=".open files (default: all in the WARC dir)")
    add_warc_dir(p)
    add_summary_format(p)  # json: one object a line, one line a file
