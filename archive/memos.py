"""The ``extraction_memos`` table: the latest extraction result of each URL, for its revisits.

What makes a result reusable, and how it is stored, is ``archive/extraction/reuse.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from archive import models
from archive.capture import Capture
from archive.extraction.reuse import ExtractionResult, decode, encode, input_digest
from archive.responses import PageInput


def memo_rows(entries: Iterable[tuple[Capture, ExtractionResult | None]]) -> list[dict[str, Any]]:
    """The ``extraction_memos`` rows of a batch: per URL, the result of its latest capture that has
    an input digest (results made by the pool, or reused: both were given one)."""
    rows: dict[str, dict[str, Any]] = {}
    for capture, result in entries:
        if result is None or result.input_digest is None:
            continue
        kept = rows.get(capture.url)
        if kept is None or capture.fetched_at >= kept["fetched_at"]:
            rows[capture.url] = {
                "url": capture.url,
                "input_digest": result.input_digest,
                "result": encode(result),
                "fetched_at": capture.fetched_at,
            }
    return list(rows.values())


class ExtractionReuse:
    """Earlier results for revisits, read from the archive at *sessions* (thread-safe)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def result_for(self, capture: Capture, page: PageInput) -> ExtractionResult | None:
        """The stored result *page* would be extracted to, when *capture* is a revisit and the
        URL's stored result was made from the same input; None: extract it."""
        if capture.record_type != "revisit":
            # Only a revisit says its payload is one seen before: for other captures the look-up
            # would cost a query a page to find nothing, nearly always.
            return None
        M = models.ExtractionMemo
        with self.sessions() as session:
            row = session.execute(select(M.input_digest, M.result).where(M.url == capture.url)).first()
        if row is None or row.input_digest != input_digest(page):
            return None
        return decode(row.result)
