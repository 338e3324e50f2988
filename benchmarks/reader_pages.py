"""The web reader's pages: CPU time to render each, in process (Datasette's own ASGI client,
no sockets), on an archive made by make_archive_db.py. CPU time, not wall time, so the figure
holds on a busy machine; median and worst of --repeat renders per page.

    python benchmarks/make_archive_db.py --db sqlite:///data/bench.db --articles 20000
    python benchmarks/reader_pages.py sqlite:///data/bench.db [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from archive import models
from archive.commands.serve import metadata, sqlite_path
from archive.crawl import project_settings
from archive.db import open_database
from archive.reader import plugin


def _pages(url: str) -> list[tuple[str, str]]:
    """(label, path): the reader's pages on the archive's busiest site and most edited article."""
    sessions = open_database(url, create=False)
    A, V, S = models.Article, models.ArticleVersion, models.Site
    with sessions() as session:
        edited = session.scalar(select(V.article_id).where(V.number == 2).order_by(V.article_id).limit(1))
        site = session.scalar(
            select(S.name).join(A, A.site_id == S.id).group_by(S.name).order_by(func.count().desc()).limit(1)
        )
        newest = session.scalar(select(func.max(V.created_at)))
    assert edited is not None and site is not None and newest is not None, "an archive from make_archive_db.py"
    return [
        ("home", "/"),
        ("search: one word", "/search?q=government"),
        ("search: the commonest word", "/search?q=the"),
        ("search: word, site, page 3", f"/search?q=police&site={site}&page=3"),
        ("article with 2 versions and diff", f"/article/{edited}"),
        ("site: chart and health", f"/site/{site}"),
        ("recent edits (all, 10,000 d)", "/edits?since=10000d"),
        ("edits Atom feed, one site", f"/edits.atom?site={site}&since=10000d"),
    ]


async def _measure(url: str, repeat: int) -> list[tuple[str, float, float, int]]:
    from datasette.app import Datasette
    from datasette.plugins import pm

    path = sqlite_path(url)
    pm.register(plugin(path, path.parent / "warc", path.stem, project_settings()), name="newsarchive-reader")
    ds = Datasette([], immutables=[str(path)], metadata=metadata(path.stem))
    await ds.invoke_startup()
    results = []
    for label, page in _pages(url):
        response = await ds.client.get(page)  # the first render warms caches; not counted
        assert response.status_code == 200, (page, response.status_code, response.text[:300])
        times = []
        for _ in range(repeat):
            start = time.process_time()
            response = await ds.client.get(page)
            times.append(time.process_time() - start)
        results.append((label, statistics.median(times), max(times), len(response.content)))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", help="SQLite URL of an archive (make_archive_db.py)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sessions = open_database(args.db, create=False)
    with sessions() as session:
        articles = session.scalar(select(func.count()).select_from(models.Article))
    print(f"{args.db}: {articles:,} articles; CPU ms per page render, median and worst of {args.repeat}")
    print(f"{'page':36} {'median':>8} {'worst':>8} {'bytes':>9}")
    for label, median, worst, size in asyncio.run(_measure(args.db, args.repeat)):
        print(f"{label:36} {median * 1000:8.1f} {worst * 1000:8.1f} {size:9,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
