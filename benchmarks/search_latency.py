"""Search latency: median and p95 over a fixed set of queries (words, phrases, OR, NOT, filters),
through ``archive.search.search()`` exactly as the CLI calls it, on one or more databases.

    python benchmarks/make_archive_db.py --db sqlite:///data/bench.db
    python benchmarks/search_latency.py sqlite:///data/bench.db [postgresql+psycopg://...] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from archive import models
from archive.db import open_database
from archive.query import Filters
from archive.search import search

QUERIES: list[tuple[str, Filters]] = [
    ("police", Filters()),
    ("government", Filters()),
    ("minister", Filters()),
    ("the", Filters()),  # the most common word: ranking every article
    ('"prime minister"', Filters()),
    ('"in the"', Filters()),
    ("police OR polizei", Filters()),
    ("election -trump", Filters()),
    ("war ukraine", Filters()),
    ("regierung", Filters()),
    ("climate", Filters(site="site03.example")),
    ("police", Filters(since=dt.datetime(2023, 7, 1, tzinfo=dt.UTC), until=dt.datetime(2023, 7, 15, tzinfo=dt.UTC))),
    ("president", Filters(language="en")),
    ("nonexistentwordxyz", Filters()),
]


def measure(url: str, repeat: int, limit: int) -> None:
    sessions = open_database(url, create=False)
    timings: list[float] = []
    with sessions() as session:
        articles = session.scalar(select(func.count()).select_from(models.Article))
        for query, filters in QUERIES:
            search(session, query, filters, limit=limit)  # warm the cache
            for _ in range(repeat):
                began = time.perf_counter()
                search(session, query, filters, limit=limit)
                timings.append((time.perf_counter() - began) * 1000)
        per_query = []
        for query, filters in QUERIES:
            began = time.perf_counter()
            hits = search(session, query, filters, limit=limit)
            per_query.append((query, filters, len(hits), (time.perf_counter() - began) * 1000))
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    backend = url.split(":", 1)[0]
    print(
        f"{backend}: {articles:,} articles, {len(QUERIES)} queries x {repeat}, limit {limit}: "
        f"median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms"
    )
    for query, filters, hits, ms in per_query:
        shown = {k: str(getattr(filters, k))[:10] for k in ("site", "author", "since", "until", "language")}
        shown = {k: v for k, v in shown.items() if v != "None"}
        print(f"  {ms:7.1f} ms  {hits:3d} hits  {query!r} {shown or ''}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("urls", nargs="+", metavar="URL")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args()
    for url in args.urls:
        measure(url, args.repeat, args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
