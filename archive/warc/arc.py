"""ARC records (the Internet Archive's format before WARC) as the WARC records they stand for.

An ARC record is one header line, ``URL IP-address Archive-date Content-type Archive-length``
(version 1; version 2 puts result code, checksum, location, offset and file name before the
length), then *Archive-length* bytes: the HTTP response as received, and a newline. The first
record of a file (``filedesc://``) describes the file. Each record is given the WARC headers
warcio's ``arc2warc`` gives it, so the reader reads it as it reads a WARC ``response``: the
``filedesc`` record is a ``warcinfo``, a record whose block is no HTTP message a ``resource``,
and the record id is derived from the record (its URL, date and offset), so it is the same every
time the file is read.
"""

from __future__ import annotations

import re
import uuid

# A header line where a record may start: a URL, an address, a 12-18 digit date (resync looks for it).
ARC_LINE = re.compile(rb"(?:https?://|ftp://|dns:|filedesc://)[^\n]*? \S+ \d{12,18} ")
ARC_VERSION = "ARC/1.0"


def starts_arc(data: bytes) -> bool:
    """Whether *data* starts with an ARC header line."""
    return ARC_LINE.match(data) is not None


def derived_record_id(url: str, date: str, offset: int) -> str:
    """A record id for a record that has none (every ARC record, some WARC writers' records):
    derived from the record, so every read of the file gives it the same one."""
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{url} {date} {offset}')}>"


def _warc_date(stamp: str) -> str:
    # 14 digits by the spec; some writers add milliseconds (warcio keeps the first 14).
    digits = (stamp + "0" * 14)[:14]
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}T{digits[8:10]}:{digits[10:12]}:{digits[12:14]}Z"


def arc_headers(line: bytes, offset: int, block_start: bytes) -> dict[str, str]:
    """The WARC headers (lower-case names) of the ARC record whose header line is *line* and whose
    block starts with *block_start*; ``ValueError`` when the line is no ARC header line."""
    fields = line.decode("utf-8", "replace").split()
    # The date is the first 12-18 digit field after URL and address: a URL may hold spaces.
    date_at = next((i for i in range(2, len(fields)) if fields[i].isdigit() and 12 <= len(fields[i]) <= 18), None)
    if date_at is None or len(fields) < date_at + 3:
        raise ValueError(f"not an ARC header line ({line[:80]!r})")
    length = fields[-1]
    if not (length.isascii() and length.isdigit()):
        raise ValueError(f"ARC Archive-length {length[:40]!r} is not a number")
    url = "%20".join(fields[: date_at - 1])  # as warcio's arc2warc has it
    date = fields[date_at]
    content_type = fields[date_at + 1]
    headers = {
        "warc-target-uri": url,
        "warc-date": _warc_date(date),
        "warc-record-id": derived_record_id(url, date, offset),
        "warc-ip-address": fields[date_at - 1],
        "content-length": length,
    }
    if url.startswith("filedesc:"):
        headers.update({"warc-type": "warcinfo", "content-type": "text/plain"})
    elif block_start[:5].upper() == b"HTTP/":
        headers.update({"warc-type": "response", "content-type": "application/http; msgtype=response"})
    else:  # dns: lookups, and records stored without their HTTP headers
        headers.update({"warc-type": "resource", "content-type": content_type})
    return headers
