"""``newsarchive warc``: maintenance verbs over the WARC directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from archive.commands.options import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UserError, add_warc_dir, subcommand
from archive.config import warc_dir


def run_recover(args: argparse.Namespace) -> int:
    from archive.warc.recover import open_files, recover

    paths = list(args.paths) or open_files(Path(warc_dir(args.warc_dir)))
    if not paths:
        print("nothing to recover: no .open WARC files", file=sys.stderr)
        return EXIT_OK
    failed = 0
    for path in paths:
        if not path.is_file():
            raise UserError(f"no such file: {path}")
        try:
            result = recover(path)
        except (ValueError, OSError) as exc:
            print(f"newsarchive: cannot recover {path}: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(
            f"{result.path}: kept {result.records} complete records ({result.kept_bytes:,} bytes), "
            f"dropped {result.dropped_bytes:,} bytes"
        )
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
        recover keeps every complete record, truncates a record cut short, and renames the file to
        its final name, the one the database already refers to. It reports what was dropped.

        example:
          newsarchive warc recover
          newsarchive warc recover data/warc/newsarchive-20240101120000000000-00001-host-42.warc.gz.open
        """,
    )
    p.add_argument("paths", nargs="*", type=Path, metavar="FILE", help=".open files (default: all in the WARC dir)")
    add_warc_dir(p)
