"""Distributed crawl throughput: 1, 2 and 4 ``scrapy crawl newsfeed`` workers on one shared frontier.

usage: python benchmarks/distributed.py [--articles 600] [--workers 1,2,4] [--pin] [--redis URL] [--postgres URL]

Starts the sample news site (``archive.sample_site.SampleSite``) on 127.0.0.1 with ARTICLES
articles (copies of the bundled ones under distinct URLs), then for each worker count: a fresh
PostgreSQL database, a fresh Redis key prefix, that many workers (``NEWSARCHIVE_DISTRIBUTED``,
autothrottle off, ``--extract-workers`` extraction processes each), started first and waited for
until all have joined the run, then one seed (``newsarchive enqueue <site>/news-feed/``).

Reports, per worker count: pages fetched (captures), the crawl window (first to last capture's
fetch time, which leaves out Scrapy's start-up and the idle wait before exit), pages/s over that
window, the wall time from seed to last exit, and how the pages were split between the workers.
The databases and keys are removed afterwards. Everything shares the machine's cores with the
site server and PostgreSQL: on 2 cores expect the curve to flatten at 2 workers; the README's
"Distributed crawling" section says what to expect across machines.

Defaults: Redis and PostgreSQL as CI has them ($NEWSARCHIVE_TEST_REDIS_URL,
$NEWSARCHIVE_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive import models  # noqa: E402
from archive.db import open_database  # noqa: E402
from archive.sample_site import SampleArticle, SampleSite, load_articles  # noqa: E402
from crawler.distributed import SharedRun, redis_client  # noqa: E402


def _articles(count: int) -> list[SampleArticle]:
    base = load_articles()
    return [
        dataclasses.replace(
            a, slug=f"{a.slug}-{n}", path=f"/news/{a.slug}-{n}/", title=f"{a.title} ({n})", related=None
        )
        for n in range(count // len(base) + 1)
        for a in base
    ][:count]


def _worker(
    tmp: Path, n: int, database_url: str, redis_url: str, prefix: str, extract: int, pin: bool = False
) -> subprocess.Popen[str]:
    # --pin: worker n (its extraction processes inherit the mask) on core n mod cores, its own.
    pinned = ["taskset", "-c", str(n % (os.cpu_count() or 1))] if pin else []
    command = [*pinned, sys.executable, "-m", "scrapy", "crawl", "newsfeed"]
    for setting in (
        f"NEWSARCHIVE_DISTRIBUTED={redis_url}",
        f"NEWSARCHIVE_DISTRIBUTED_KEY_PREFIX={prefix}",
        "NEWSARCHIVE_DISTRIBUTED_IDLE_SECONDS=3",
        f"NEWSARCHIVE_DATABASE_URL={database_url}",
        f"NEWSARCHIVE_WARC_DIR={tmp / f'warc{n}'}",
        f"NEWSARCHIVE_EXTRACT_WORKERS={extract}",
        "NEWSARCHIVE_INDEX_ON_CLOSE=False",
        "NEWSARCHIVE_MAX_LISTING_PAGES=100000",
        "NEWSARCHIVE_REQUISITES=none",  # the corpus pages' requisites are on the real internet
        "AUTOTHROTTLE_ENABLED=False",
        "LOG_LEVEL=INFO",
    ):
        command += ["-s", setting]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    log = open(tmp / f"worker{n}.log", "w", encoding="utf-8")  # noqa: SIM115 (lives as long as the worker)
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)


def run_once(
    site: SampleSite, workers: int, redis_url: str, postgres_url: str, extract: int, pin: bool = False
) -> dict[str, object]:
    name = f"newsarchive_bench_{uuid.uuid4().hex[:8]}"
    prefix = f"newsarchive-bench-{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    open_database(database_url).kw["bind"].dispose()  # migrated before the clock starts
    server = redis_client(redis_url)
    shared = SharedRun(server, prefix, "newsfeed")
    try:
        with tempfile.TemporaryDirectory(prefix="newsarchive-dist-bench-") as tmp:
            procs = [_worker(Path(tmp), n, database_url, redis_url, prefix, extract, pin) for n in range(workers)]
            deadline = time.monotonic() + 120
            while server.hlen(shared.workers_key) < workers:
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    raise RuntimeError(f"workers did not start; see {tmp}/worker*.log")
                time.sleep(0.2)
            started = time.monotonic()
            shared.join(seeds=[{"start_url": f"{site.url}/news-feed/"}])
            for proc in procs:
                proc.wait(timeout=1800)
            wall = time.monotonic() - started
            failed = [n for n, p in enumerate(procs) if p.returncode != 0]
            if failed:
                raise RuntimeError(f"workers {failed} failed; see {tmp}/worker*.log")
            sessions = open_database(database_url, create=False)
            with sessions() as session:
                c = models.Capture
                pages, first, last = session.execute(
                    select(func.count(), func.min(c.fetched_at), func.max(c.fetched_at))
                ).one()
                split = Counter(session.scalars(select(c.warc_file)).all())
                articles = session.scalar(select(func.count()).select_from(models.Article))
            sessions.kw["bind"].dispose()
    finally:
        keys = list(server.scan_iter(match=f"{prefix}:*"))
        if keys:
            server.delete(*keys)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    window = (last - first).total_seconds() if first and last else 0.0
    per_worker: Counter[str] = Counter()
    for warc_file, count in split.items():
        per_worker[warc_file.rsplit("-", 1)[-1].split(".")[0]] += count  # ...-<pid>.warc.gz
    return {
        "workers": workers,
        "pages": pages,
        "articles": articles,
        "window_s": window,
        "pages_per_s": pages / window if window else 0.0,
        "wall_s": wall,
        "split": sorted(per_worker.values(), reverse=True),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--workers", default="1,2,4", help="worker counts to run, comma-separated")
    parser.add_argument("--extract-workers", type=int, default=1, help="extraction processes per worker")
    parser.add_argument(
        "--pin", action="store_true", help="each worker and its extraction on a core of its own (taskset)"
    )
    parser.add_argument("--redis", default=os.environ.get("NEWSARCHIVE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "NEWSARCHIVE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; {args.articles} articles", flush=True)
    print(f"{'workers':>7} {'pages':>6} {'articles':>8} {'window s':>9} {'pages/s':>8} {'wall s':>7}  pages per worker")
    with SampleSite(articles=_articles(args.articles)) as site:
        for count in counts:
            r = run_once(site, count, args.redis, args.postgres, args.extract_workers, args.pin)
            print(
                f"{r['workers']:>7} {r['pages']:>6} {r['articles']:>8} {r['window_s']:>9.1f} "
                f"{r['pages_per_s']:>8.1f} {r['wall_s']:>7.1f}  {r['split']}",
                flush=True,
            )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
