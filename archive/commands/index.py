"""``newsarchive index``: a CDXJ index of the WARC directory, for pywb and other replay tools."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from archive.commands.options import (
    EXIT_FAILURE,
    EXIT_OK,
    UserError,
    add_summary_format,
    add_warc_dir,
    print_json,
    subcommand,
)
from archive.config import env_setting, warc_dir


def run(args: argparse.Namespace) -> int:
    from archive.warc.index import default_index_path, update_index

    directory = Path(warc_dir(args.warc_dir))
    if not directory.is_dir():
        raise UserError(f"no WARC directory at {directory} (run a crawl first, or pass --warc-dir)")
    output = Path(env_setting("NEWSARCHIVE_INDEX_FILE", args.output) or default_index_path(directory))
    if output.exists() and output.is_dir():
        raise UserError(f"{output} is a directory; -o wants a file name")
    try:
        result = update_index(directory, output, rebuild=args.rebuild)
    except OSError as exc:
        raise UserError(f"cannot write {output}: {exc.strerror or exc}") from exc
    if args.format == "json":
        print_json(
            {
                "index": str(output),
                "files_added": len(result.files_added),
                "records_added": result.lines_added,
                "records": result.lines_total,
                "skipped": [{"file": skip.name, "reason": skip.reason} for skip in result.skipped],
            }
        )
        return EXIT_FAILURE if result.skipped else EXIT_OK
    print(
        f"{output}: {len(result.files_added)} WARC file(s) indexed, {result.lines_added:,} record(s) added, "
        f"{result.lines_total:,} in all",
        file=sys.stderr,
    )
    for skip in result.skipped:
        print(f"newsarchive: warning: {skip.name} skipped, not indexed ({skip.reason})", file=sys.stderr)
    return EXIT_FAILURE if result.skipped else EXIT_OK


def register(sub: Any) -> None:
    p = subcommand(
        sub,
        "index",
        run,
        "write a CDXJ index of the WARC files (for pywb, ReplayWeb.page)",
        """\
        Write a CDXJ index of every closed WARC file in the WARC directory: one sorted line per
        response, revisit and resource record (SURT key, timestamp, URL, MIME type, status,
        digest, file, offset, length), made by cdxj-indexer, the indexer of pywb and py-wacz.

        Incremental: WARC files the index already covers are not read again; new ones are
        indexed and merged in, and the file is replaced atomically. A crawl does this by itself
        when it ends (setting NEWSARCHIVE_INDEX_ON_CLOSE), so this command is needed only for
        WARC files from elsewhere, or to rebuild. A file that cannot be indexed (not a WARC file,
        damaged beyond what cdxj-indexer reads) is left out with a warning naming it, the rest is
        indexed, and the exit status is 1; every update tries that file again.

        The default index file sits beside the WARC directory, named after it: data/warc ->
        data/warc.cdxj. pywb reads it as a collection's index (see README, "Replay your archive").

        example:
          newsarchive index
          newsarchive index --warc-dir /srv/archive/warc -o /srv/archive/index.cdxj
          newsarchive index --rebuild
        """,
    )
    add_warc_dir(p)
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="the index file (default: $NEWSARCHIVE_INDEX_FILE, else beside the WARC directory: DIR.cdxj)",
    )
    p.add_argument("--rebuild", action="store_true", help="index every WARC file again, not only new ones")
    add_summary_format(p)
