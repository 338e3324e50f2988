"""Per-URL state of a crawl stays bounded: a crawl of millions of URLs must not keep one entry each.

(The soak benchmark, ``benchmarks/soak.py``, measures the memory of a whole crawl; this pins the
bound of the WARC middleware's memory of the full records it wrote, which it needs for revisits.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from archive.warc.writer import ExchangeRequest, ExchangeResponse, WarcWriter
from crawler import middlewares
from crawler.archive_index import Original
from crawler.middlewares import WarcArchiveMiddleware


class StoredOriginals:
    """Stands in for the database lookup: knows every full record the middleware wrote."""

    def __init__(self) -> None:
        self.stored: dict[str, Original] = {}
        self.asked: list[str] = []

    def original(self, url: str, digest: str) -> Original | None:
        self.asked.append(url)
        found = self.stored.get(url)
        return found if found is not None and found.payload_digest == digest else None

    def close(self) -> None:
        pass


def _exchange(url: str, body: bytes) -> tuple[ExchangeRequest, ExchangeResponse]:
    return (
        ExchangeRequest("GET", url, [("Host", "127.0.0.1")]),
        ExchangeResponse(200, "OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))], body),
    )


def test_remembered_originals_are_bounded_and_older_ones_come_from_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(middlewares, "ORIGINALS_KEEP", 5)
    middleware = WarcArchiveMiddleware(get_crawler(), WarcWriter(tmp_path), keep_credentials=False)
    database = StoredOriginals()
    middleware.revisits = database  # type: ignore[assignment]
    urls = [f"http://127.0.0.1/news/story-number-{i}/" for i in range(12)]
    for url in urls:
        middleware._write(*_exchange(url, f"<p>{url}</p>".encode()))
        database.stored.update(middleware._originals)  # as the store batches do, a little later
    assert list(middleware._originals) == urls[-5:]

    # Fetched again, unchanged: a recent URL is a revisit without asking the database, an old one
    # (forgotten here) is a revisit all the same, found there.
    database.asked.clear()
    recent = middleware._write(*_exchange(urls[-1], f"<p>{urls[-1]}</p>".encode()))
    assert recent.record_type == "revisit" and database.asked == []
    old = middleware._write(*_exchange(urls[0], f"<p>{urls[0]}</p>".encode()))
    assert old.record_type == "revisit" and database.asked == [urls[0]]
    assert len(middleware._originals) == 5
    middleware.writer.close()
