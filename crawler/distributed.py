"""Distributed crawling: several ``scrapy crawl newsfeed`` workers share one frontier in Redis.

``NEWSARCHIVE_DISTRIBUTED=redis://host:6379/0`` switches a crawl to scrapy-redis's scheduler and
dupefilter (``DistributedScheduler``, a thin subclass), so every worker on every machine pops its
requests from one shared priority queue and every URL is scheduled once per run. Seeds go in with
``newsarchive enqueue SITE|URL`` (``push_seeds``): a seed is a small JSON job (``{"site": NAME}``
or ``{"start_url": URL}``) that an idle worker turns into the spider's start requests, including
the database-backed re-checks of fresh articles, so the incremental logic reads the shared
PostgreSQL archive exactly as a single crawl would.

A *run* is one round of the shared frontier: it starts when the first worker or seed arrives and
ends when its queue and seed list are empty and its last worker leaves; the dupefilter belongs to
the run (``<prefix>:newsfeed:dupefilter:<run id>``), so tomorrow's run fetches the listings again.
Run bookkeeping (``SharedRun``) is done by small Lua scripts, which Redis runs atomically: joining,
leaving and seeding never race each other.

Keys, all under ``NEWSARCHIVE_DISTRIBUTED_KEY_PREFIX`` (default ``newsarchive``), for spider ``newsfeed``::

    <prefix>:newsfeed:requests            sorted set: the shared request queue (scrapy-redis PriorityQueue)
    <prefix>:newsfeed:seeds               list: seed jobs from `newsarchive enqueue`
    <prefix>:newsfeed:run                 string: the current run id
    <prefix>:newsfeed:dupefilter:<run>    set: request fingerprints seen in that run
    <prefix>:newsfeed:dupefilter:<run>:robots  hash: host -> its robots.txt answer (crawler/shared_robots.py)
    <prefix>:newsfeed:workers             hash: worker id -> last heartbeat (unix time)

Requests are serialized as tagged JSON (``JsonRequestSerializer``), not scrapy-redis's default
pickle: whoever can write to Redis must not be able to run code on every worker.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import socket
import time
import uuid
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet import task

from archive.urls import redact_urls

if TYPE_CHECKING:
    import redis
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

SETTING = "NEWSARCHIVE_DISTRIBUTED"
HEARTBEAT_SECONDS = 5.0
# A worker whose heartbeat is older than this is taken for dead (killed, machine gone).
WORKER_TTL_SECONDS = 60.0
# A run's dupefilter outlives a crash of all its workers by this much, then Redis drops it.
DUPEFILTER_TTL_SECONDS = 7 * 24 * 3600
# Request meta keys that never travel: per-response state of the worker that fetched the page.
_LOCAL_META = frozenset({"newsarchive_capture", "download_latency", "_autothrottle_slot"})
_REQUEST_CLASSES = frozenset({"scrapy.http.request.Request", "scrapy.http.request.form.FormRequest"})


def distributed_url(settings: BaseSettings) -> str:
    """The Redis URL of the shared frontier, or "" when the crawl is not distributed."""
    return (settings.get(SETTING) or "").strip()


def redis_client(url: str) -> redis.Redis:
    import redis as redis_module

    return redis_module.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10, retry_on_timeout=True)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def new_run_id() -> str:
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


# A run is over when nothing is queued or seeded and no worker is alive in it: then a newcomer
# starts a new run (and the old run's fingerprints go), else it joins the current one.
_JOIN = """
local run = redis.call('GET', KEYS[1])
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
if run and redis.call('ZCARD', KEYS[2]) == 0 and redis.call('LLEN', KEYS[3]) == 0 then
  local live = false
  local workers = redis.call('HGETALL', KEYS[4])
  for i = 1, #workers, 2 do
    if tonumber(workers[i + 1]) >= now - ttl then live = true end
  end
  if not live then
    redis.call('DEL', ARGV[4] .. run, ARGV[4] .. run .. ':robots', KEYS[4])
    run = false
  end
end
if not run then
  run = ARGV[3]
  redis.call('SET', KEYS[1], run)
end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[4], ARGV[5], ARGV[1]) end
for i = 6, #ARGV do redis.call('RPUSH', KEYS[3], ARGV[i]) end
return run
"""

# The last worker out of a drained run ends it: the run id and its fingerprints go.
_LEAVE = """
redis.call('HDEL', KEYS[4], ARGV[3])
local run = redis.call('GET', KEYS[1])
if not run then return 0 end
if redis.call('ZCARD', KEYS[2]) > 0 or redis.call('LLEN', KEYS[3]) > 0 then return 0 end
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local workers = redis.call('HGETALL', KEYS[4])
for i = 1, #workers, 2 do
  if tonumber(workers[i + 1]) >= now - ttl then return 0 end
end
redis.call('DEL', KEYS[1], ARGV[4] .. run, ARGV[4] .. run .. ':robots', KEYS[4])
return 1
"""


class SharedRun:
    """The Redis keys of one spider's shared frontier and the run bookkeeping on them."""

    def __init__(self, server: redis.Redis, prefix: str, spider_name: str) -> None:
        if not prefix or "%" in prefix:
            raise ValueError(f"NEWSARCHIVE_DISTRIBUTED_KEY_PREFIX must be non-empty and without '%': {prefix!r}")
        self.server = server
        base = f"{prefix}:{spider_name}"
        self.queue_key = f"{base}:requests"
        self.seeds_key = f"{base}:seeds"
        self.run_key = f"{base}:run"
        self.workers_key = f"{base}:workers"
        self.dupefilter_prefix = f"{base}:dupefilter:"
        self.run_id: str | None = None
        self._join = server.register_script(_JOIN)
        self._leave = server.register_script(_LEAVE)

    @property
    def keys(self) -> list[str]:
        return [self.run_key, self.queue_key, self.seeds_key, self.workers_key]

    @property
    def dupefilter_key(self) -> str:
        assert self.run_id is not None, "join() the run first"
        return self.dupefilter_prefix + self.run_id

    def join(self, worker: str = "", seeds: Iterable[Mapping[str, Any]] = ()) -> str:
        """Join the current run (or start one) as *worker* and/or add *seeds*; returns the run id."""
        args: list[str | float] = [time.time(), WORKER_TTL_SECONDS, new_run_id(), self.dupefilter_prefix, worker]
        args += [json.dumps(dict(seed), sort_keys=True) for seed in seeds]
        run = self._join(keys=self.keys, args=args)
        self.run_id = run.decode() if isinstance(run, bytes) else str(run)
        return self.run_id

    def heartbeat(self, worker: str) -> None:
        with self.server.pipeline() as pipe:
            pipe.hset(self.workers_key, worker, time.time())
            if self.run_id is not None:
                pipe.expire(self.dupefilter_key, int(DUPEFILTER_TTL_SECONDS))
            pipe.execute()

    def leave(self, worker: str) -> bool:
        """Leave the run; True when this worker was the last of a drained run and ended it."""
        return bool(self._leave(keys=self.keys, args=[time.time(), WORKER_TTL_SECONDS, worker, self.dupefilter_prefix]))

    def pending(self) -> int:
        """Requests queued plus seeds waiting, for every worker of the run."""
        with self.server.pipeline() as pipe:
            pipe.zcard(self.queue_key)
            pipe.llen(self.seeds_key)
            queued, seeds = pipe.execute()
        return int(queued) + int(seeds)

    def pop_seeds(self, count: int) -> list[dict[str, Any]]:
        with self.server.pipeline() as pipe:
            pipe.lrange(self.seeds_key, 0, count - 1)
            pipe.ltrim(self.seeds_key, count, -1)
            raw, _ = pipe.execute()
        seeds = []
        for item in raw:
            try:
                seed = json.loads(item)
            except ValueError:
                logger.warning("ignoring a seed that is not JSON: %r", item[:200])
                continue
            if isinstance(seed, dict):
                seeds.append(seed)
        return seeds


def shared_run_for(settings: BaseSettings, spider_name: str) -> SharedRun:
    prefix = settings.get("NEWSARCHIVE_DISTRIBUTED_KEY_PREFIX")
    return SharedRun(redis_client(distributed_url(settings)), prefix, spider_name)


def push_seeds(url: str, prefix: str, spider_name: str, seeds: list[dict[str, Any]]) -> str:
    """Add seed jobs to the shared frontier (joining or starting its run); returns the run id."""
    return SharedRun(redis_client(url), prefix, spider_name).join(seeds=seeds)


# One SharedRun per crawler, shared by the scheduler (built when the spider opens) and the worker
# extension (built with the crawler): whichever asks first makes it.
_RUNS: weakref.WeakKeyDictionary[Any, SharedRun] = weakref.WeakKeyDictionary()
_WORKERS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def crawler_run(crawler: Crawler) -> tuple[SharedRun, str]:
    """The crawler's SharedRun (joined) and its worker id."""
    if crawler not in _RUNS:
        assert crawler.spidercls is not None
        run = shared_run_for(crawler.settings, crawler.spidercls.name)
        worker = worker_id()
        run.join(worker)
        _RUNS[crawler], _WORKERS[crawler] = run, worker
    return _RUNS[crawler], _WORKERS[crawler]


def crawler_run_id(crawler: Crawler) -> str | None:
    """The distributed run a crawler works in, if it is distributed and has joined one."""
    run = _RUNS.get(crawler)
    return run.run_id if run is not None else None


# ---------------------------------------------------------------------------------- serialization
def _encode(value: Any, key: str = "") -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return {"__b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list | tuple):
        return [_encode(v, key) for v in value]
    if isinstance(value, dict):
        encoded: dict[str, Any] = {}
        for k, v in value.items():
            name = k.decode("latin-1") if isinstance(k, bytes) else str(k)
            if name in _LOCAL_META:
                continue
            try:
                encoded[name] = _encode(v, name)
            except TypeError:
                logger.warning("request field %r holds a %s; it does not travel to other workers", name, type(v))
        if any(isinstance(k, bytes) for k in value):
            return {"__bk": encoded}  # headers: bytes keys
        return encoded
    raise TypeError(f"{key or 'value'}: cannot serialize {type(value).__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"__b"}:
            return base64.b64decode(value["__b"])
        if set(value) == {"__bk"}:
            return {k.encode("latin-1"): _decode(v) for k, v in value["__bk"].items()}
        return {k: _decode(v) for k, v in value.items()}
    return value


class JsonRequestSerializer:
    """``loads``/``dumps`` for scrapy-redis queues: ``Request.to_dict()`` as tagged JSON (bytes as
    base64). Unlike pickle, data from Redis cannot name arbitrary code to run."""

    @staticmethod
    def dumps(obj: dict[str, Any]) -> str:
        return json.dumps(_encode(obj), separators=(",", ":"))

    @staticmethod
    def loads(data: bytes | str) -> dict[str, Any]:
        obj = _decode(json.loads(data))
        if not isinstance(obj, dict):
            raise ValueError("a queued request must be a JSON object")
        if "_class" in obj and obj["_class"] not in _REQUEST_CLASSES:
            raise ValueError(f"refusing queued request of class {obj['_class']!r}")
        return obj


# ------------------------------------------------------------------------------------- scheduler
class DistributedScheduler(RedisScheduler):
    """scrapy-redis's scheduler on the run's keys; Scrapy's own scheduler when not distributed.

    ``SCHEDULER`` names this class unconditionally because ``-s NEWSARCHIVE_DISTRIBUTED=...`` is
    only known once settings are final; ``from_crawler`` then builds the stock scheduler for a
    local crawl. Differences from scrapy-redis's defaults, each on purpose:

    * persist: one worker closing must never flush the queue and fingerprints the others use;
      the run's last worker deletes them (``SharedRun.leave``).
    * the dupefilter key carries the run id, so the next run fetches listings again;
    * JSON instead of pickle on the wire;
    * a popped request is shown to the spider (``adopt_request``) so a worker learns the sites
      and hosts of requests another worker scheduled.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        if not distributed_url(crawler.settings):
            return build_from_crawler(load_object("scrapy.core.scheduler.Scheduler"), crawler)
        run, _ = crawler_run(crawler)
        dupefilter = RFPDupeFilter(
            run.server, key=run.dupefilter_key, debug=crawler.settings.getbool("DUPEFILTER_DEBUG")
        )
        scheduler = cls(
            server=run.server,
            persist=True,
            flush_on_start=False,
            queue_key=run.queue_key,
            queue_cls="scrapy_redis.queue.PriorityQueue",
            dupefilter=dupefilter,
            idle_before_close=0,
            serializer=JsonRequestSerializer,
        )
        scheduler.stats = crawler.stats
        return scheduler

    def open(self, spider: Spider) -> None:
        super().open(spider)
        # scrapy-redis formats the key with %(spider)s; ours has the name already.
        logger.info("shared frontier: queue %s, dupefilter %s", self.queue.key, self.df.key)

    # enqueue_request / next_request restated from scrapy-redis 0.9.1 without the ``spider``
    # argument to the stats calls, which Scrapy 2.19 deprecates.
    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        request = self.queue.pop(0)
        if request is None:
            return None
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        adopt = getattr(self.spider, "adopt_request", None)
        if adopt is not None:
            adopt(request)
        return request


# ----------------------------------------------------------------------------------- the worker
class DistributedWorker:
    """Keeps a distributed worker alive while the shared frontier has work, and ends it after
    ``NEWSARCHIVE_DISTRIBUTED_IDLE_SECONDS`` of nothing to do.

    On each ``spider_idle`` it takes seeds (``newsarchive enqueue``) and has the spider turn them
    into start requests; while seeds are being expanded or requests wait in the shared queue it
    keeps the spider open. It heartbeats into the run's worker list and leaves the run on close.
    Scrapy's engine looks for requests every 5 seconds when it has none in flight, so a worker whose
    share of the queue ran dry would wait that long for work another worker queued meanwhile (on a
    small, fast site one worker did it all while the others waited); every
    ``NEWSARCHIVE_DISTRIBUTED_POLL_SECONDS`` the worker has the engine look at the shared queue.
    """

    def __init__(self, crawler: Crawler, idle_seconds: float, seed_batch: int, poll_seconds: float) -> None:
        self.crawler = crawler
        self.idle_seconds = idle_seconds
        self.seed_batch = seed_batch
        self.poll_seconds = poll_seconds
        self._poll = task.LoopingCall(self._look_at_queue)
        self.run: SharedRun | None = None
        self.worker = ""
        self._idle_since: float | None = None
        self._expanding: set[Any] = set()
        self._heartbeat = task.LoopingCall(self._beat)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedWorker:
        settings = crawler.settings
        if not distributed_url(settings):
            raise NotConfigured  # off by default: no warning for the usual case
        worker = cls(
            crawler,
            settings.getfloat("NEWSARCHIVE_DISTRIBUTED_IDLE_SECONDS"),
            max(1, settings.getint("NEWSARCHIVE_DISTRIBUTED_SEED_BATCH")),
            settings.getfloat("NEWSARCHIVE_DISTRIBUTED_POLL_SECONDS"),
        )
        crawler.signals.connect(worker.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(worker.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(worker.response_received, signal=signals.response_received)
        crawler.signals.connect(worker.spider_closed, signal=signals.spider_closed)
        return worker

    def spider_opened(self, spider: Spider) -> None:
        self.run, self.worker = crawler_run(self.crawler)
        logger.info(
            "distributed worker %s in run %s (exits after %.0f s without work)",
            self.worker,
            self.run.run_id,
            self.idle_seconds,
        )
        self._heartbeat.start(HEARTBEAT_SECONDS, now=True)
        if self.poll_seconds > 0:
            self._poll.start(self.poll_seconds, now=False)

    def _look_at_queue(self) -> None:
        """Have the engine pull from the scheduler now, as it does after each download: one Redis
        pop when the queue has work, the idle handler's look at the seeds when it has none."""
        # Scrapy has no public call for this; _slot is the engine's per-spider state (Scrapy 2.13+).
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    def _beat(self) -> None:
        assert self.run is not None
        try:
            self.run.heartbeat(self.worker)
        except Exception as exc:  # a missed beat is not worth the crawl; the next one may work
            logger.warning("cannot reach Redis for the heartbeat: %s", exc)

    def response_received(self, response: Any, request: Request, spider: Spider) -> None:
        self._idle_since = None

    def spider_idle(self, spider: Spider) -> None:
        assert self.run is not None
        for seed in self.run.pop_seeds(self.seed_batch):
            d = deferred_from_coro(self._expand(spider, seed))
            self._expanding.add(d)
            d.addBoth(_discard_when_done, self._expanding, d)
        if self._expanding or self.run.pending():
            self._idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < self.idle_seconds:
            raise DontCloseSpider
        logger.info("no work in the shared frontier for %.0f s: this worker stops", now - self._idle_since)

    async def _expand(self, spider: Spider, seed: dict[str, Any]) -> None:
        engine = self.crawler.engine
        count = 0
        try:
            async for request in spider.seed_requests(seed):  # type: ignore[attr-defined]
                if engine is None or engine.spider is None:
                    return
                engine.crawl(request)
                count += 1
        except Exception as exc:
            logger.error("cannot start seed %s: %s", redact_urls(json.dumps(seed, sort_keys=True)), exc)
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("newsarchive/distributed/bad_seeds")
            return
        logger.info("seed %s: %d start requests", redact_urls(json.dumps(seed, sort_keys=True)), count)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("newsarchive/distributed/seeds")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        for loop in (self._heartbeat, self._poll):
            if loop.running:
                loop.stop()
        if self.run is None:
            return
        try:
            if self.run.leave(self.worker):
                logger.info("last worker out of drained run %s: run ended", self.run.run_id)
        except Exception as exc:
            logger.warning("cannot leave the distributed run cleanly: %s", exc)


def _discard_when_done(result: _T, pending: set[Any], d: Any) -> _T:
    """A Deferred's last callback: it is no longer pending; its result goes on unchanged."""
    pending.discard(d)
    return result


def seed_for(target: str) -> dict[str, Any]:
    """The seed job for a site profile name or a URL (``newsarchive enqueue``)."""
    target = target.strip()
    parts = urlsplit(target)
    return {"start_url": target} if parts.scheme in ("http", "https") and parts.netloc else {"site": target}


__all__ = [
    "DistributedScheduler",
    "DistributedWorker",
    "JsonRequestSerializer",
    "SharedRun",
    "crawler_run_id",
    "distributed_url",
    "push_seeds",
    "seed_for",
]
