"""Distributed crawling: workers sharing a scrapy-redis frontier and one PostgreSQL archive.

Needs NEWSARCHIVE_TEST_REDIS_URL and NEWSARCHIVE_TEST_POSTGRES_URL (CI sets both). Each test
session makes a fresh, uniquely named PostgreSQL database (dropped after) and uses a unique Redis
key prefix whose keys it deletes, so runs never collide with each other or with real crawls.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from warcio.archiveiterator import ArchiveIterator

from archive import models
from archive.capture import Capture
from archive.db import open_database
from archive.extract import Article
from archive.sample_site import SampleSite
from archive.store import store_batch
from crawler.distributed import JsonRequestSerializer, SharedRun, redis_client, seed_for
from tests.support.archive_data import fresh_postgres_database
from tests.support.cli import ROOT, newsarchive
from tests.support.sample_articles import many_articles

REDIS_URL = os.environ.get("NEWSARCHIVE_TEST_REDIS_URL", "")
POSTGRES_URL = os.environ.get("NEWSARCHIVE_TEST_POSTGRES_URL", "")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="NEWSARCHIVE_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/0)"
)
needs_postgres = pytest.mark.skipif(
    not POSTGRES_URL,
    reason="NEWSARCHIVE_TEST_POSTGRES_URL is not set (e.g. postgresql+psycopg://postgres:postgres@127.0.0.1:5432/test)",
)
COPIES = 8  # 96 articles: enough for every worker to get some


# ----------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database of its own on the test server, dropped after the session."""
    if not POSTGRES_URL:
        pytest.skip("NEWSARCHIVE_TEST_POSTGRES_URL is not set")
    with fresh_postgres_database(POSTGRES_URL, "newsarchive_dist") as url:
        yield url


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of its own; only its keys are deleted afterwards."""
    if not REDIS_URL:
        pytest.skip("NEWSARCHIVE_TEST_REDIS_URL is not set")
    prefix = f"newsarchive-test-{uuid.uuid4().hex[:10]}"
    yield prefix
    server = redis_client(REDIS_URL)
    keys = list(server.scan_iter(match=f"{prefix}:*"))
    if keys:
        server.delete(*keys)


@pytest.fixture(scope="module")
def distributed_site() -> Iterator[SampleSite]:
    """The sample site with each article COPIES times over, for the workers to share."""
    with SampleSite(articles=many_articles(COPIES)) as site:
        yield site


def _worker(tmp: Path, n: int, database_url: str, prefix: str, *settings: str) -> subprocess.Popen[str]:
    """Worker *n*; *settings* come last and win."""
    command = [sys.executable, "-m", "scrapy", "crawl", "newsfeed"]
    for setting in (
        f"NEWSARCHIVE_DISTRIBUTED={REDIS_URL}",
        f"NEWSARCHIVE_DISTRIBUTED_KEY_PREFIX={prefix}",
        "NEWSARCHIVE_DISTRIBUTED_IDLE_SECONDS=4",
        f"NEWSARCHIVE_DATABASE_URL={database_url}",
        f"NEWSARCHIVE_WARC_DIR={tmp / f'warc{n}'}",
        "NEWSARCHIVE_REFRESH_WINDOW_HOURS=0",
        "NEWSARCHIVE_EXTRACT_WORKERS=1",
        "NEWSARCHIVE_INDEX_ON_CLOSE=False",
        "NEWSARCHIVE_STORE_BATCH_SIZE=8",
        "NEWSARCHIVE_STORE_INTERVAL=0.5",
        "AUTOTHROTTLE_ENABLED=False",
        # A worker takes at most this many requests off the shared queue at once, and the delay
        # keeps one worker from draining the frontier before the others look: work gets shared.
        "CONCURRENT_REQUESTS=2",
        "DOWNLOAD_DELAY=0.05",
        "LOG_LEVEL=INFO",
        *settings,
    ):
        command += ["-s", setting]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    log = open(tmp / f"worker{n}.log", "w", encoding="utf-8")  # noqa: SIM115 (closed by the caller)
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)


def _run_workers(
    tmp: Path, count: int, database_url: str, prefix: str, *settings: str, seed_when_all_joined: str = ""
) -> list[str]:
    """Run *count* workers to the end; with *seed_when_all_joined*, that URL is enqueued once every
    worker has joined the run (and so has looked at the empty frontier, and gone idle)."""
    workers = [_worker(tmp, n, database_url, prefix, *settings) for n in range(count)]
    try:
        if seed_when_all_joined:
            server = redis_client(REDIS_URL)
            while server.hlen(f"{prefix}:newsfeed:workers") < count:
                assert all(w.poll() is None for w in workers), "a worker ended before the seed"
                time.sleep(0.1)
            _enqueue(prefix, seed_when_all_joined)
        for worker in workers:
            worker.wait(timeout=240)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    logs = [(tmp / f"worker{n}.log").read_text(encoding="utf-8") for n in range(count)]
    for n, (worker, log) in enumerate(zip(workers, logs, strict=True)):
        assert worker.returncode == 0, f"worker {n} failed:\n{log[-4000:]}"
        assert "Traceback" not in log, f"worker {n}:\n{log[-4000:]}"
    return logs


def _enqueue(prefix: str, *targets: str) -> None:
    done = newsarchive("enqueue", "--redis", REDIS_URL, "--prefix", prefix, *targets)
    assert done.returncode == 0, done.stderr


def _warc_records(tmp: Path) -> dict[tuple[str, int], tuple[int, str]]:
    """(file, offset) -> (worker, URL) of every response and revisit record of every worker."""
    found: dict[tuple[str, int], tuple[int, str]] = {}
    for directory in sorted(tmp.glob("warc*")):
        worker = int(directory.name.removeprefix("warc"))
        for path in sorted(directory.glob("*.warc.gz")):
            with path.open("rb") as stream:
                records = ArchiveIterator(stream)
                for record in records:
                    if record.rec_type in ("response", "revisit"):
                        key = (path.name, records.get_record_offset())
                        assert key not in found, f"two workers wrote {path.name}"
                        found[key] = (worker, record.rec_headers.get_header("WARC-Target-URI"))
    return found


# -------------------------------------------------------------------------------- the crawl itself
@needs_redis
@needs_postgres
def test_three_workers_share_one_frontier(
    distributed_site: SampleSite, postgres_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    distributed_site.clear_requests()
    _enqueue(redis_prefix, f"{distributed_site.url}/news-feed/")
    logs = _run_workers(tmp_path, 3, postgres_url, redis_prefix)

    # Every article fetched exactly once, by all workers together.
    paths = {a.path for a in many_articles(COPIES)}
    fetched = Counter(path for method, path, _ in distributed_site.requests if method == "GET" and path in paths)
    assert set(fetched) == paths, f"never fetched: {sorted(paths - set(fetched))[:5]}"
    assert [p for p, n in fetched.items() if n > 1] == []
    # ...and the work was shared, not done by one worker while the others waited.
    records = _warc_records(tmp_path)
    by_worker = Counter(worker for worker, url in records.values() if any(url.endswith(p) for p in paths))
    assert len(by_worker) >= 2, f"articles fetched per worker: {dict(by_worker)}"

    sessions = open_database(postgres_url, create=False)
    with sessions() as session:
        # Stored once: one article row and one version each.
        assert session.scalar(select(func.count()).select_from(models.Article)) == len(paths)
        versions = Counter(session.scalars(select(models.ArticleVersion.article_id)).all())
        assert set(versions.values()) == {1}
        # Every response/revisit record in every worker's WARC files has its capture row, and
        # every capture row points at a record that is there.
        rows = {(c.warc_file, c.warc_offset): c.url for c in session.scalars(select(models.Capture))}
        assert rows == {key: url for key, (_, url) in records.items()}
        # One crawl_runs row per worker, all in the same distributed run, none locked out.
        runs = session.scalars(select(models.CrawlRun)).all()
        assert len(runs) == 3 and {r.status for r in runs} == {"finished"}
        assert len({json.loads(r.spider_args)["distributed_run"] for r in runs}) == 1
    sessions.kw["bind"].dispose()
    assert sum("last worker out of drained run" in log for log in logs) == 1
    # The drained run is gone from Redis: the next run starts with a clean dupefilter.
    server = redis_client(REDIS_URL)
    assert list(server.scan_iter(match=f"{redis_prefix}:*")) == []

    # A second round: a new run, so the listings are fetched again, and the shared archive tells
    # every worker that the articles are known: not one is fetched again.
    distributed_site.clear_requests()
    _enqueue(redis_prefix, f"{distributed_site.url}/news-feed/")
    (tmp_path / "again").mkdir()
    _run_workers(tmp_path / "again", 2, postgres_url, redis_prefix)
    again = [path for method, path, _ in distributed_site.requests if method == "GET"]
    assert "/news-feed/" in again
    assert [p for p in again if p in paths] == []


@needs_redis
@needs_postgres
def test_an_idle_worker_takes_work_another_queued_while_it_waited(
    distributed_site: SampleSite, redis_prefix: str, tmp_path: Path
) -> None:
    """Both workers idle on an empty frontier; one takes the seed and queues the articles, the
    other must see them within its poll, not Scrapy's 5 s idle tick, when one worker alone would
    fetch them all in about 2.5 s (the default concurrency, 25 ms between requests)."""
    distributed_site.clear_requests()
    settings = ("CONCURRENT_REQUESTS=16", "DOWNLOAD_DELAY=0.025", "DOWNLOAD_DELAY_JITTER=0")
    # An archive of its own: in the module's, the other tests' crawls made every article known.
    with fresh_postgres_database(POSTGRES_URL, "newsarchive_idle") as database_url:
        _run_workers(
            tmp_path,
            2,
            database_url,
            redis_prefix,
            *settings,
            seed_when_all_joined=f"{distributed_site.url}/news-feed/",
        )
    paths = {a.path for a in many_articles(COPIES)}
    records = _warc_records(tmp_path)
    by_worker = Counter(worker for worker, url in records.values() if any(url.endswith(p) for p in paths))
    assert sum(by_worker.values()) == len(paths)
    assert min(by_worker[0], by_worker[1]) >= len(paths) // 5, f"articles fetched per worker: {dict(by_worker)}"
    # robots.txt once per run, not once per worker.
    robots = [path for method, path, _ in distributed_site.requests if method == "GET" and path == "/robots.txt"]
    assert len(robots) == 1


# ---------------------------------------------------------------------------- store() concurrency
def _capture(url: str, worker: int, round_: int) -> Capture:
    return Capture(
        url=url,
        status=200,
        fetched_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=round_ * 10 + worker),
        warc_file=f"worker{worker}.warc.gz",
        warc_offset=abs(hash((url, round_))) % 10**9 * 10 + round_,
        warc_length=100,
        warc_record_id=f"<urn:uuid:{uuid.uuid4()}>",
        content_type="text/html",
    )


def _article(url: str, worker: int, round_: int) -> Article:
    return Article(
        url=url,
        canonical_url=None,
        title=f"Story of {url}",
        text=f"Version by worker {worker} in round {round_} of {url}.",
        authors=(f"Author {round_ % 3}", f"Shared Author {worker}"),
        published="2026-01-01",
        modified=None,
        language="en",
        description=None,
        section=None,
        tags=(f"tag-{round_ % 4}", "news"),
        image=None,
        site_name="Example",
    )


@needs_postgres
def test_store_is_safe_when_two_workers_write_the_same_articles(postgres_url: str) -> None:
    urls = [f"https://concurrent.example/story-{i}/" for i in range(12)]
    rounds = 8
    sessions = open_database(postgres_url)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def hammer(worker: int) -> None:
        try:
            barrier.wait()
            for round_ in range(rounds):
                # Opposite orders: the two transactions lock the same rows the other way round,
                # which is how real batches deadlock; store_batch must retry, not fail.
                order = urls if worker == 0 else list(reversed(urls))
                store_batch(sessions, [(_capture(u, worker, round_), _article(u, worker, round_)) for u in order])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(w,)) for w in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert errors == []

    with sessions() as session:
        a, v = models.Article, models.ArticleVersion
        articles = session.scalars(select(a).where(a.url.in_(urls))).all()
        assert sorted(x.url for x in articles) == sorted(urls)  # no duplicate article rows
        for article in articles:
            numbers = sorted(session.scalars(select(v.number).where(v.article_id == article.id)).all())
            # Every store brought new content: none lost, none numbered twice, no gaps.
            assert numbers == list(range(1, 2 * rounds + 1)), article.url
            texts = set(session.scalars(select(v.text).where(v.article_id == article.id)).all())
            assert len(texts) == 2 * rounds
            current = session.get(v, article.current_version_id)
            assert current is not None and current.number == 2 * rounds
        assert session.scalar(select(func.count()).select_from(models.Capture).where(models.Capture.url.in_(urls))) == (
            2 * rounds * len(urls)
        )
        names = session.scalars(select(models.Author.name)).all()
        assert len(names) == len(set(names))
    sessions.kw["bind"].dispose()


# ------------------------------------------------------------------------------------ the pieces
def test_requests_travel_as_json_not_pickle() -> None:
    import scrapy

    request = scrapy.Request(
        "https://example.com/a/",
        headers={"If-None-Match": '"abc"'},
        meta={"newsarchive_site": "ex", "newsarchive_capture": object(), "redirect_urls": ["https://x/"]},
        priority=3,
    )
    data = JsonRequestSerializer.dumps(request.to_dict())
    json.loads(data)  # plain JSON
    back = JsonRequestSerializer.loads(data)
    assert back["url"] == request.url and back["priority"] == 3
    assert back["headers"][b"If-None-Match"] == [b'"abc"']
    assert "newsarchive_capture" not in back["meta"]  # the fetching worker's own state stays home
    assert back["meta"]["redirect_urls"] == ["https://x/"]
    with pytest.raises(ValueError, match="refusing"):
        JsonRequestSerializer.loads(json.dumps({"url": "https://e/", "_class": "os.system"}))


def test_seed_for_tells_urls_from_site_names() -> None:
    assert seed_for("kyiv") == {"site": "kyiv"}
    assert seed_for(" https://example.com/news/ ") == {"start_url": "https://example.com/news/"}


def test_enqueue_without_redis_is_a_one_line_error() -> None:
    done = newsarchive("enqueue", "https://example.com/", env={"NEWSARCHIVE_DISTRIBUTED": ""})
    assert done.returncode == 2
    assert done.stderr.startswith("newsarchive: error: no Redis") and "Traceback" not in done.stderr
    done = newsarchive("enqueue", "example.com", "--redis", "redis://127.0.0.1:1/0")
    assert done.returncode == 2 and "neither a site profile name nor an http(s) URL" in done.stderr


@needs_redis
def test_enqueue_unreachable_redis_is_a_one_line_error() -> None:
    done = newsarchive("enqueue", "https://example.com/", "--redis", "redis://127.0.0.1:1/0")
    assert done.returncode == 2 and done.stderr.startswith("newsarchive: error: cannot reach Redis")


@needs_redis
def test_a_run_ends_with_its_last_worker_and_a_dead_run_is_replaced(redis_prefix: str) -> None:
    server = redis_client(REDIS_URL)
    one, two = SharedRun(server, redis_prefix, "newsfeed"), SharedRun(server, redis_prefix, "newsfeed")
    run = one.join("w1")
    assert two.join("w2") == run  # the second worker joins the same run
    server.sadd(one.dupefilter_key, "fingerprint")
    assert one.leave("w1") is False  # w2 is still in it
    assert server.exists(one.dupefilter_key)
    assert two.leave("w2") is True  # the last one out ends it, fingerprints and all
    assert not server.exists(one.dupefilter_key) and not server.exists(one.run_key)
    # A run whose workers all died (no heartbeat for a minute) with nothing queued is over:
    # the next seed starts a new one instead of inheriting its fingerprints.
    stale = one.join("w3")
    server.hset(one.workers_key, "w3", 0)
    server.sadd(one.dupefilter_key, "fingerprint")
    fresh = SharedRun(server, redis_prefix, "newsfeed").join(seeds=[{"site": "x"}])
    assert fresh != stale and not server.exists(redis_prefix + ":newsfeed:dupefilter:" + stale)
    # ...but a run with work queued is resumed by whoever comes next.
    assert SharedRun(server, redis_prefix, "newsfeed").join("w4") == fresh
