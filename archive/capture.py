"""A capture: one HTTP exchange as archived, and where its bytes are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Capture:
    """One fetch, traceable to its WARC response record.

    Built by the crawl's WARC middleware when it writes the record, and by the WARC reader when
    re-extracting: ``store()`` cannot tell the two apart, which is the point.
    """

    url: str
    status: int
    fetched_at: dt.datetime  # aware, UTC
    warc_file: str  # file name relative to the WARC directory
    warc_offset: int  # offset of the response record (or revisit) in that file
    warc_length: int  # length of that record as stored (compressed)
    warc_record_id: str
    record_type: str = "response"  # "response" | "revisit"
    method: str = "GET"
    content_type: str | None = None
    content_length: int | None = None  # payload bytes as received (before content decoding)
    # The response as it came off the connection: status line, header lines and body before any
    # decoding, i.e. the HTTP block of the WARC response record. Summed, a crawl's "bytes received".
    bytes_received: int | None = None
    payload_digest: str | None = None  # "sha1:BASE32"
    ip_address: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    # The URLs whose HTTP redirects (3xx) led to this fetch, first first: evidence of which other
    # URLs of the site this one stands for (archive/canonical.py).
    redirected_from: tuple[str, ...] = ()
    # Where a permanent or temporary redirect (3xx with a Location) sent the client, absolute: the
    # URL is remembered as an alias of it (url_aliases), so the next run asks for the target.
    redirect_to: str | None = None
    # What this page or stylesheet loads, as requested (archive/requisites.py ``named_requisites``),
    # for the capture_requisites rows: None when nothing was looked for (not a page or stylesheet,
    # requisites off, a body that could not be decoded), () when it names none.
    requisites: tuple[str, ...] | None = None
