"""``newsarchive extract``: the crawl's extraction function on saved pages, no database."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from archive.commands.options import EXIT_FAILURE, EXIT_OK, UserError, subcommand


def _read_page(path: Path, limit: int) -> bytes:
    """The page in *path*, gunzipped within *limit* (DOWNLOAD_MAXSIZE, as the crawl decodes): a
    small .html.gz that inflates to gigabytes is refused at the limit instead of filling memory."""
    from archive.content_coding import decode_content

    data = path.read_bytes()
    if path.suffix == ".gz" or data[:2] == b"\x1f\x8b":
        return decode_content(data, ["gzip"], limit)
    return data


def _manifest_entries(manifest: Path) -> Iterator[tuple[Path, str]]:
    from archive.extraction.nesting import load_json

    with manifest.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entry = load_json(line)  # a line nested too deep is bad JSON too, not a traceback
                yield Path(entry["path"]), entry.get("url") or Path(entry["path"]).as_uri()
            except (ValueError, KeyError, TypeError) as exc:
                raise UserError(f'{manifest}:{number}: not a {{"path", "url"}} JSON line ({exc})') from None


def run(args: argparse.Namespace) -> int:
    from archive.content_coding import ContentDecodingError
    from archive.crawl import project_settings
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
    limit = project_settings().getint("DOWNLOAD_MAXSIZE")
    failures = 0
    for path, url in entries:
        try:
            body = _read_page(path, limit)
        except (OSError, ContentDecodingError) as exc:
            logging.getLogger("newsarchive").error("cannot read %s: %s", path, exc)
            result: Any = NotAnArticle(url=url, reason=f"unreadable: {exc}", kind="error")
            failures += 1
        else:
            result = extract(body, url, {"Content-Type": "text/html"})
        sys.stdout.write(json.dumps(to_record(result), ensure_ascii=False) + "\n")
    return EXIT_FAILURE if failures else EXIT_OK


def register(sub: Any) -> None:
    p = subcommand(
        sub,
        "extract",
        run,
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
