"""Revisit resolution: finding and loading the response record a ``revisit`` record stands for.

A revisit stores no payload, only a pointer to an earlier response with the same one. The pointer
is followed, in order, by ``WARC-Refers-To`` (record id), ``WARC-Payload-Digest`` and
``WARC-Refers-To-Target-URI`` + ``WARC-Refers-To-Date`` among the responses read so far; failing
that, by the optional ``resolve_digest`` callback (re-extraction asks the captures table). The
reader defers a revisit whose original is not found yet (it may come later in the run) and
retries it once every file is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archive.capture import Capture
from archive.warc.digests import digest_matches
from archive.warc.framing import BadStretch, RawRecord, is_truncated, read_record_at, unbracket
from archive.warc.httpblock import HttpBlock, parse_http, resource_block

_MAX_REVISIT_HOPS = 4
# The record types a revisit may stand for: those holding a payload.
ORIGINAL_TYPES = frozenset({"response", "resource"})


@dataclass(frozen=True, slots=True)
class Location:
    """Where the payload of a response record is, for revisits."""

    path: Path
    offset: int


class Deferred:
    """A revisit whose original has not been read (yet): retried once every file is read."""


DEFER = Deferred()


class Originals:
    """The response records revisits may point at, indexed three ways, and how to load one.

    ``locate(warc_file)`` turns a name ``resolve_digest`` returns into a path.
    """

    def __init__(
        self,
        *,
        resolve_digest: Callable[[str], tuple[str, int] | None] | None,
        locate: Callable[[str], Path],
        verify_digests: bool,
    ) -> None:
        self.resolve_digest = resolve_digest
        self.locate = locate
        self.verify_digests = verify_digests
        self._by_id: dict[str, Location] = {}
        self._by_digest: dict[str, Location] = {}
        self._by_uri_date: dict[tuple[str, str], Location] = {}

    def remember(self, target: Location, capture: Capture, warc_date: str) -> None:
        """Index the response *capture* at *target* as a possible original."""
        self._by_id[capture.warc_record_id] = target
        if capture.payload_digest:
            # Keep the earliest: a crawl deduplicating by digest pointed its revisits at that one.
            self._by_digest.setdefault(capture.payload_digest, target)
        self._by_uri_date[(capture.url, warc_date)] = target

    def find(self, raw: RawRecord) -> Location | None:
        """The original of revisit *raw* among the responses remembered so far."""
        headers = raw.headers
        refers_to = headers.get("warc-refers-to")
        if refers_to and refers_to in self._by_id:
            return self._by_id[refers_to]
        digest = headers.get("warc-payload-digest")
        if digest and digest in self._by_digest:
            return self._by_digest[digest]
        uri = unbracket(headers.get("warc-refers-to-target-uri"))
        date = headers.get("warc-refers-to-date")
        if uri and date:
            return self._by_uri_date.get((uri, date))
        return None

    def resolve_stored(self, raw: RawRecord) -> Location | None:
        """The original of revisit *raw* as ``resolve_digest`` knows it, outside the files read;
        raises ``BadStretch`` when its stored name is outside the WARC directory."""
        digest = raw.headers.get("warc-payload-digest")
        if not digest or self.resolve_digest is None:
            return None
        found = self.resolve_digest(digest)
        if found is None:
            return None
        warc_file, offset = found
        try:
            return Location(self.locate(warc_file), offset)
        except ValueError as exc:  # OutsideWarcDir
            raise BadStretch(raw.offset, str(exc)) from None

    def load(self, target: Location, hops: int = 0) -> HttpBlock:
        """The HTTP message of the response at *target*, following revisits of revisits a few
        hops; raises ``BadStretch`` when it cannot be used."""
        try:
            raw = read_record_at(target.path, target.offset)
        except OSError as exc:
            raise BadStretch(target.offset, f"cannot read ({exc.strerror or exc})") from None
        kind = raw.headers.get("warc-type", "").lower()
        if not raw.complete:
            raise BadStretch(target.offset, "original record too large")
        if is_truncated(raw):
            raise BadStretch(target.offset, "original record cut short (WARC-Truncated): not its whole payload")
        if kind == "revisit" and hops < _MAX_REVISIT_HOPS:
            nested = self.find(raw) or self.resolve_stored(raw)
            if nested is None:
                raise BadStretch(target.offset, "original is itself a revisit that cannot be followed")
            return self.load(nested, hops + 1)
        if kind not in ORIGINAL_TYPES:
            raise BadStretch(target.offset, f"original is a {kind or 'typeless'} record")
        declared = raw.headers.get("warc-block-digest")
        if self.verify_digests and declared and digest_matches(declared, raw.block) is False:
            raise BadStretch(target.offset, "wrong WARC-Block-Digest")
        if kind == "resource":  # a browser-based crawler's page: the content, no HTTP message
            return resource_block(raw)
        http = parse_http(raw.block)
        if http is None:
            raise BadStretch(target.offset, "original has no HTTP status line")
        return http
