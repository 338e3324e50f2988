"""``newsarchive show``: one article, its versions and captures, where its bytes are; a version's
text, a diff between versions, or the archived HTTP response itself."""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from pathlib import Path
from typing import Any

from archive.commands.options import EXIT_OK, UserError, add_db, add_warc_dir, subcommand
from archive.commands.output import for_terminal, is_terminal, one_line, one_line_errors, terminal_text, write_rows
from archive.config import database_url, warc_dir

OPEN_SUFFIX = ".open"


def read_warc_block(path: Path, offset: int, length: int) -> tuple[str, bytes]:
    """(WARC-Type, record block exactly as stored) of the record at *offset*: for a response, the
    HTTP status line, headers and body bytes as received (gzip still gzip)."""
    from archive.warc.framing import BadStretch, addressed, read_record_at

    if offset < 0 or length < 0:  # the database's numbers, not the file's
        raise UserError(f"no WARC record at {path.name} offset {offset}")
    try:
        # The reader's own framing: ARC files, WACZ packages and WARCs gzipped whole read as reextract read them.
        raw = read_record_at(path, offset)
    except BadStretch as bad:
        raise UserError(f"no usable WARC record at {path.name} offset {offset} ({bad.reason})") from None
    if raw.complete:
        return raw.headers.get("warc-type", ""), raw.block
    # Over the reader's in-memory limit: the record's stored bytes, read whole as before.
    with path.open("rb") as stream:
        records = addressed(stream, path.stat().st_size)  # a WARC gzipped whole: the inflated stream
        records.seek(offset)
        data = records.read(length)
    if data[:2] == b"\x1f\x8b":
        # One gzip member per record; decompress only this member.
        try:
            data = zlib.decompressobj(wbits=31).decompress(data)
        except zlib.error as exc:
            raise UserError(f"the WARC record at {path.name} offset {offset} is damaged ({exc})") from None
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"WARC/"):
        raise UserError(f"no WARC record at {path.name} offset {offset}")
    fields = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        fields[name.strip().lower()] = value.strip()
    size = fields.get(b"content-length", b"0")
    if not size.isdigit():
        raise UserError(f"the WARC record at {path.name} offset {offset} has no usable Content-Length")
    return fields.get(b"warc-type", b"").decode("ascii", "replace"), rest[: int(size)]


def _warc_path(directory: str, name: str) -> Path:
    from archive.warc.reader import OutsideWarcDir, locate

    try:
        path = locate(name, Path(directory))
    except OutsideWarcDir as exc:
        raise UserError(f"{exc}: not reading it (the database names it; pass --warc-dir if it is yours)") from None
    if not path.is_file() and Path(str(path) + OPEN_SUFFIX).is_file():
        return Path(str(path) + OPEN_SUFFIX)  # still being written; its finished records are readable
    if not path.is_file():
        raise UserError(f"WARC file not found: {path} (pass --warc-dir)")
    return path


def _print_raw(args: argparse.Namespace, version: Any) -> int:
    if is_terminal():
        # The bytes as stored are anybody's bytes: escape sequences in them would reach the terminal.
        raise UserError("--raw prints the archived bytes exactly as stored: redirect it to a file or pipe it")
    capture = version.capture
    path = _warc_path(warc_dir(args.warc_dir), capture.warc_file)
    record_type, block = read_warc_block(path, capture.warc_offset, capture.warc_length)
    if record_type != "response":
        print(f"newsarchive: note: a {record_type} record: the body is in the record it refers to", file=sys.stderr)
    sys.stdout.flush()
    sys.stdout.buffer.write(block)
    sys.stdout.buffer.flush()
    return EXIT_OK


def _print_body(args: argparse.Namespace, version: Any) -> int:
    """The archived page as HTML text: content codings undone, its charset decoded (the reader's rules)."""
    from archive.extraction.decode import decode_html
    from archive.responses import ContentDecodingError, decode_body, is_html
    from archive.warc.httpblock import parse_http

    capture = version.capture
    path = _warc_path(warc_dir(args.warc_dir), capture.warc_file)
    record_type, block = read_warc_block(path, capture.warc_offset, capture.warc_length)
    http = parse_http(block) if record_type in ("response", "resource") else None
    if http is None:
        raise UserError(f"a {record_type} record holds no body of its own: show an earlier version's capture")
    if not is_html(capture.content_type):
        raise UserError(
            f"the archived body is {capture.content_type or 'of no declared type'}, not HTML: use --raw > FILE"
        )
    try:
        body = decode_body(http.headers, http.body, 0)
    except ContentDecodingError as exc:
        raise UserError(f"the archived body cannot be decoded ({exc}): use --raw > FILE") from None
    text = decode_html(body, dict((name.lower(), value) for name, value in http.headers))
    sys.stdout.write(for_terminal(text, lines=True) if is_terminal() else text)
    if not text.endswith("\n"):
        sys.stdout.write("\n")
    return EXIT_OK


def _print_diff(lines: list[str]) -> None:
    lines = [for_terminal(line, lines=True) for line in lines]
    if not is_terminal():
        sys.stdout.write("\n".join(lines) + "\n")
        return
    from rich.console import Console
    from rich.text import Text

    console = Console()
    for line in lines:
        style = (
            "green" if line.startswith("+") else "red" if line.startswith("-") else "cyan" if line[:2] == "@@" else None
        )
        console.print(Text(line, style=style or ""))


def _diff_pair(args: argparse.Namespace, numbers: list[int]) -> tuple[int, int]:
    if len(args.diff) == 2:
        return args.diff[0], args.diff[1]
    if len(args.diff) == 1:
        raise UserError("--diff takes no version (the one before and the shown one) or two: --diff A B")
    newer = args.version or max(numbers)
    older = [n for n in numbers if n < newer]
    if not older:
        raise UserError(f"version {newer} is the first: nothing to diff against (versions: {numbers})")
    return older[-1], newer


def _version_rows(versions: list[Any], *, full_hash: bool) -> list[dict[str, Any]]:
    return [
        {
            "version": v.number,
            "current": "*" if v.current else "",
            "fetched_at": v.fetched_at[:19],
            "content_hash": v.content_hash if full_hash else v.content_hash[:16],
            "title": v.title,
            "extractor": f"{v.extractor} {v.extractor_version}",
            "warc": f"{v.warc_file}@{v.warc_offset}+{v.warc_length}",
            "warc_file": v.warc_file,
            "warc_offset": v.warc_offset,
            "warc_length": v.warc_length,
            "status": v.status,
        }
        for v in versions
    ]


def _capture_rows(captures: list[Any]) -> list[dict[str, Any]]:
    from archive.db import as_utc

    return [
        {
            "fetched_at": as_utc(c.fetched_at).isoformat()[:19],
            # A HEAD's or a POST's answer at the URL (another tool's WARC) is no copy of the page.
            "method": c.method,
            "status": c.status,
            "type": c.record_type,
            "url": c.url,
            "warc": f"{c.warc_file}@{c.warc_offset}+{c.warc_length}",
            "payload_digest": c.payload_digest,
        }
        for c in captures
    ]


def _requisite_rows(requisites: list[Any], page_url: str) -> list[dict[str, Any]]:
    rows = []
    for requisite in requisites:
        record, body = requisite.record, requisite.body
        rows.append(
            {
                "url": requisite.url,
                "named_by": requisite.named_by,
                "via": "" if requisite.named_by == page_url else requisite.named_by,
                "status": record.status if record else None,
                "type": (record.content_type or "") if record else "",
                "size": body.content_length if body else None,
                "fetched_at": record.fetched_at.isoformat()[:19] if record else None,
                "record_type": record.record_type if record else None,
                "warc": requisite.location or f"not archived: {requisite.missing}",
                "warc_file": record.warc_file if record else None,
                "warc_offset": record.warc_offset if record else None,
                "body_warc": f"{body.warc_file}@{body.warc_offset}+{body.warc_length}" if body else None,
                "missing": requisite.missing,
            }
        )
    return rows


def run(args: argparse.Namespace) -> int:
    from archive.db import open_database
    from archive.query import article_versions, captures_of, diff_versions, find_article, get_version
    from archive.requisite_records import requisites_of

    if sum((args.diff is not None, args.raw, args.body)) > 1:
        raise UserError("--diff, --raw and --body: one at a time")
    sessions = open_database(database_url(args.db), create=False)
    with sessions() as session:
        article = find_article(session, args.article)
        if article is None:
            raise UserError(
                f"no article {args.article!r} in the archive (an article ID or URL; see `newsarchive articles`)"
            )
        versions = article_versions(session, article)
        numbers = [v.number for v in versions]
        version = get_version(session, article, args.version)
        if version is None:
            raise UserError(f"article {article.id} has no version {args.version} (versions: {numbers})")
        if args.raw:
            return _print_raw(args, version)
        if args.body:
            return _print_body(args, version)
        if args.diff is not None:
            old_n, new_n = _diff_pair(args, numbers)
            old, new = get_version(session, article, old_n), get_version(session, article, new_n)
            if old is None or new is None:
                raise UserError(f"article {article.id} has versions {numbers}")
            lines = diff_versions(old, new)
            _print_diff(lines or [f"versions {old_n} and {new_n} read the same"])
            return EXIT_OK
        captures = captures_of(session, article)
        detail = _detail(article, version, versions, captures)
        version_rows = _version_rows(versions, full_hash=args.format == "json")
        capture_rows = _capture_rows(captures)
        page = version.capture
        loaded = requisites_of(session, [(page.id, page.fetched_at)])[page.id]
        requisite_rows = _requisite_rows(loaded, page.url)
    if args.format == "json":
        extra = {"version_list": version_rows, "captures": capture_rows, "requisites": requisite_rows}
        json.dump(detail | extra, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return EXIT_OK
    _print_detail(detail, version_rows, capture_rows, requisite_rows, show_text=not args.no_text)
    return EXIT_OK


def _detail(article: Any, version: Any, versions: list[Any], captures: list[Any]) -> dict[str, Any]:
    from archive.db import as_utc

    return {
        "id": article.id,
        "url": article.url,
        "site": article.site.name,
        "version": version.number,
        "versions": len(versions),
        "title": version.title,
        "authors": [a.name for a in version.authors],
        "published": version.published,
        "modified": version.modified,
        "language": version.language,
        "section": version.section,
        "tags": [t.name for t in version.tags],
        "description": version.description,
        "first_captured_at": versions[0].fetched_at if versions else None,
        "last_captured_at": as_utc(captures[-1].fetched_at).isoformat() if captures else None,
        "text": version.text,
    }


def _print_detail(
    detail: dict[str, Any],
    versions: list[dict[str, Any]],
    captures: list[dict[str, Any]],
    requisites: list[dict[str, Any]],
    show_text: bool,
) -> None:
    fields = [(k, v) for k, v in detail.items() if k != "text"]
    terminal = is_terminal()
    if terminal:
        from rich.console import Console
        from rich.table import Table

        console = Console()
        meta = Table(show_header=False, title=f"article {detail['id']}", title_justify="left")
        meta.add_column(style="bold")
        meta.add_column(overflow="fold")
        for key, value in fields:
            meta.add_row(key, terminal_text(value))
        console.print(meta)
    else:
        for key, value in fields:
            sys.stdout.write(f"{key}: {one_line(value)}\n")
        sys.stdout.write("\n")
    write_rows(
        versions,
        "table",
        ("version", "current", "fetched_at", "content_hash", "title", "extractor", "warc"),
        title="versions (WARC file@offset+length of the capture each came from)",
    )
    if not terminal:
        sys.stdout.write("\n")
    write_rows(captures, "table", ("fetched_at", "method", "status", "type", "warc", "url"), title="captures")
    if requisites:
        if not terminal:
            sys.stdout.write("\n")
        write_rows(
            requisites,
            "table",
            ("status", "type", "size", "warc", "url", "via"),
            title="requisites (the records a replay of the shown capture loads; via: the stylesheet naming it)",
        )
    if show_text:
        sys.stdout.write(f"\n{one_line(detail['title'])}\n\n{for_terminal(detail['text'], lines=True)}\n")


def register(sub: Any) -> None:
    p = one_line_errors(
        subcommand(
            sub,
            "show",
            run,
            "one article: metadata, versions, captures, text, diff or the raw archived response",
            """\
        Show one article by its ID or URL (any form of it: tracking parameters and fragments are
        ignored): metadata, every version with its capture time, content hash and the WARC
        file@offset+length of the response it was extracted from, every capture of its URL,
        the requisites of the shown version's capture (what the page loads: stylesheets and what
        they load, fonts, images, scripts, icons; each with the status, type, size and WARC
        file@offset+length of the record a replay at the page's time uses, the nearest full
        copy in time, or "not archived" and why), then the text of the latest version.

        --version N   show version N instead of the latest
        --diff        diff the shown version against the one before it; --diff A B: A against B
        --raw         print the archived HTTP response exactly as stored in the WARC (status line,
                      headers, body bytes; gzip still gzip) of the shown version's capture, to
                      a file or a pipe (never to a terminal: the bytes may hold escape sequences)
        --body        print the archived page as HTML text: content codings (gzip, br) undone and
                      its charset decoded, as extraction read it (on a terminal without escape
                      sequences)

        Archived text is shown without escape sequences and control characters (a headline
        cannot retitle or clear your terminal); --format json keeps every character exact.

        example:
          newsarchive show 42
          newsarchive show https://kyivindependent.com/some-story/ --diff
          newsarchive show 42 --version 1 --raw > response.http
        """,
        )
    )
    p.add_argument("article", metavar="URL|ID", help="article ID (see `newsarchive articles`) or URL")
    p.add_argument("--version", type=int, metavar="N", help="this version instead of the latest")
    p.add_argument("--diff", nargs="*", type=int, metavar="A B", help="diff versions (default: previous vs shown)")
    p.add_argument("--raw", action="store_true", help="the archived HTTP response, bytes as stored")
    p.add_argument("--body", action="store_true", help="the archived page as decoded HTML text")
    p.add_argument("--no-text", action="store_true", help="metadata, versions and captures only")
    p.add_argument("--format", choices=("table", "json"), default="table", help="table (default) or json")
    add_db(p)
    add_warc_dir(p)
