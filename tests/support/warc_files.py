"""WARC files written byte by byte, as other tools (or damage) leave them: warcio and our writer
refuse to write a bad URL, date or length, and a test must be able to."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

ARTICLE = (
    b"<html><head><title>A story</title></head><body><article><h1>A story worth keeping</h1>"
    + b"<p>The council met on Monday and agreed the budget for the harbour. " * 30
    + b"</p></article></body></html>"
)


def warc_record(
    warc_type: str,
    url: str,
    block: bytes,
    *,
    content_type: str,
    date: str = "2024-05-01T10:00:00Z",
    warc_headers: tuple[tuple[str, str], ...] = (),
    content_length: str | None = None,
    record_id: str | None = None,
) -> bytes:
    """One uncompressed record of any type; *content_length* replaces the true one."""
    lines = [
        "WARC/1.1",
        f"WARC-Type: {warc_type}",
        f"WARC-Target-URI: {url}",
        f"WARC-Date: {date}",
        f"WARC-Record-ID: {record_id or f'<urn:uuid:{uuid.uuid4()}>'}",
        f"Content-Type: {content_type}",
        *(f"{name}: {value}" for name, value in warc_headers),
        f"Content-Length: {content_length if content_length is not None else len(block)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + block + b"\r\n\r\n"


def http_response(body: bytes, *, status: str = "200 OK", content_type: str = "text/html; charset=utf-8") -> bytes:
    """An HTTP response message (status line, headers, body) as a WARC response record's block."""
    head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def response_record(
    url: str,
    body: bytes = ARTICLE,
    *,
    date: str = "2024-05-01T10:00:00Z",
    status: str = "200 OK",
    content_length: str | None = None,
    warc_headers: tuple[tuple[str, str], ...] = (),
    content_type: str = "application/http; msgtype=response",
) -> bytes:
    """One uncompressed ``response`` record of an HTML page; *content_length* replaces the true one."""
    return warc_record(
        "response",
        url,
        http_response(body, status=status),
        content_type=content_type,
        date=date,
        warc_headers=warc_headers,
        content_length=content_length,
    )


def gzip_member(data: bytes) -> bytes:
    """*data* as one gzip member, the way WARC files compress each record."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return compressor.compress(data) + compressor.flush()


def gzipped(*records: bytes) -> bytes:
    """A ``.warc.gz``: one gzip member per record."""
    return b"".join(map(gzip_member, records))


def arc_record(url: str, block: bytes, *, content_type: str = "text/html", date: str = "20240501100000") -> bytes:
    """One ARC (version 1) record: its header line, *block* and the newline closing it."""
    return f"{url} 10.0.0.1 {date} {content_type} {len(block)}\n".encode() + block + b"\n"


def arc_file(*records: bytes, name: str = "crawl.arc") -> bytes:
    """An uncompressed ARC file: the ``filedesc`` record, then *records*."""
    version = b"1 0 hand-made\nURL IP-address Archive-date Content-type Archive-length\n"
    return arc_record(f"filedesc://{name}", version, content_type="text/plain") + b"".join(records)


def wacz(path: Path, warcs: dict[str, bytes], pages: list[str], *, deflated: tuple[str, ...] = ()) -> Path:
    """A WACZ package at *path*: *warcs* under ``archive/`` (stored, as the spec has them, unless
    named in *deflated*), and ``pages/pages.jsonl`` listing the URLs *pages*."""
    import json
    import zipfile

    lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})]
    lines += [json.dumps({"url": url, "ts": "2024-05-01T10:00:00Z", "title": url}) for url in pages]
    with zipfile.ZipFile(path, "w") as package:
        for name, data in warcs.items():
            method = zipfile.ZIP_DEFLATED if name in deflated else zipfile.ZIP_STORED
            package.writestr(f"archive/{name}", data, compress_type=method)
        package.writestr("pages/pages.jsonl", "\n".join(lines) + "\n", compress_type=zipfile.ZIP_DEFLATED)
        package.writestr("datapackage.json", json.dumps({"profile": "data-package", "resources": []}))
    return path


def warc_records(warc_dir: Path) -> Iterator[tuple[dict[str, str], bytes]]:
    """(WARC header fields, block) of every record, framed by hand so no reader rewrites a byte."""
    for path in sorted(warc_dir.glob("*.warc.gz")):
        data = path.read_bytes()
        while data:
            member = zlib.decompressobj(zlib.MAX_WBITS | 16)
            record = member.decompress(data)
            data = member.unused_data
            head, _, rest = record.partition(b"\r\n\r\n")
            fields = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
            length = int(fields["Content-Length"])
            assert rest[length:] == b"\r\n\r\n", "a record ends with two CRLF"
            yield fields, rest[:length]
