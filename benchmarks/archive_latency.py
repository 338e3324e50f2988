"""`articles` and `show` latency, and `export`'s peak memory, on archives made by make_archive_db.py.

    python benchmarks/make_archive_db.py --db sqlite:///data/bench.db --articles 100000
    python benchmarks/archive_latency.py sqlite:///data/bench.db [postgresql+psycopg://...] [--repeat 5] [--export]

`articles`: ``archive.query.list_articles`` as the command calls it (50 rows, every order, each
filter), median of ``--repeat`` runs after one warm-up, with the number of SQL statements (a
growing count would be an N+1). `show`: find the article (by ID, by URL, by a URL with tracking
parameters), its versions and its captures, as ``newsarchive show`` does, in a new session each
time. ``--export``: ``python -m archive.cli export`` to a file in each format, in a child process
whose peak RSS is the operating system's count.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from archive.commands import show  # noqa: E402
from archive.db import open_database  # noqa: E402
from archive.query import Filters, article_versions, captures_of, find_article, get_version, list_articles  # noqa: E402

CASES: list[tuple[str, Filters]] = [
    ("published", Filters()),
    ("captured", Filters()),
    ("id", Filters()),
    ("published", Filters(site="site03.example")),
    ("published", Filters(author="Reporter 7")),
    ("published", Filters(language="de")),
    ("published", Filters(since=dt.datetime(2023, 7, 1, tzinfo=dt.UTC), until=dt.datetime(2023, 7, 15, tzinfo=dt.UTC))),
]
SHOWN = ["1", "50001", "https://site01.example/news/1/", "https://site10.example/news/50010/?utm_source=x"]


def _timed(run: Callable[[], Any], repeat: int, engine: Any) -> tuple[float, int]:
    statements = [0]

    def count(*_: Any) -> None:
        statements[0] += 1

    run()  # warm the cache
    times = []
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(repeat):
            statements[0] = 0
            began = time.perf_counter()
            run()
            times.append((time.perf_counter() - began) * 1000)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return statistics.median(times), statements[0]


def _show(sessions: Any, ref: str) -> None:
    with sessions() as session:
        article = find_article(session, ref)
        if article is None:
            raise SystemExit(f"no article {ref} (an archive of fewer articles?)")
        versions = article_versions(session, article)
        show._detail(article, get_version(session, article, None), versions, captures_of(session, article))


def measure(url: str, repeat: int) -> None:
    sessions = open_database(url, create=False)
    engine = sessions.kw["bind"]
    backend = url.split(":", 1)[0]
    with sessions() as session:
        for order, filters in CASES:
            ms, statements = _timed(functools.partial(list_articles, session, filters, order=order), repeat, engine)
            shown = {k: str(getattr(filters, k))[:14] for k in filters.__slots__ if getattr(filters, k) is not None}  # type: ignore[attr-defined]
            print(f"{backend} articles --order {order} {shown or ''}: {ms:.1f} ms, {statements} statements")
    for ref in SHOWN:
        ms, statements = _timed(functools.partial(_show, sessions, ref), repeat, engine)
        print(f"{backend} show {ref}: {ms:.1f} ms, {statements} statements")


def export_memory(url: str) -> None:
    backend = url.split(":", 1)[0]
    with tempfile.TemporaryDirectory() as scratch:
        for fmt in ("jsonl", "csv", "parquet"):
            out = Path(scratch) / f"export.{fmt}"
            began = time.perf_counter()
            child = subprocess.Popen(
                [sys.executable, "-m", "archive.cli", "export", "--format", fmt, "--db", url, "-o", str(out)],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not the largest child's so far
            seconds = time.perf_counter() - began
            print(
                f"{backend} export --format {fmt}: exit {os.waitstatus_to_exitcode(status)}, {seconds:.1f} s, "
                f"peak RSS {usage.ru_maxrss / 1024:.0f} MB, {out.stat().st_size / 1e6:.0f} MB written"
            )
            out.unlink()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("urls", nargs="+", metavar="URL")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--export", action="store_true", help="also measure export's peak RSS in each format")
    args = parser.parse_args()
    for url in args.urls:
        measure(url, args.repeat)
        if args.export:
            export_memory(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
