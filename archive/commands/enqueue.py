"""``newsarchive enqueue``: seed the shared frontier of a distributed crawl (crawler/distributed.py)."""

from __future__ import annotations

import argparse
import sys
from typing import Any
from urllib.parse import urlsplit

from archive.commands.options import EXIT_OK, UserError, add_summary_format, print_json, subcommand
from archive.config import env_setting
from archive.urls import join_start_urls, redact_url, start_url_problem

SPIDER = "newsfeed"


def _redis_url(explicit: str | None) -> str:
    url = str(env_setting("NEWSARCHIVE_DISTRIBUTED", explicit))
    if not url:
        raise UserError("no Redis to enqueue into: pass --redis URL or set NEWSARCHIVE_DISTRIBUTED")
    if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise UserError(f"not a Redis URL: {redact_url(url)!r} (e.g. redis://127.0.0.1:6379/0)")
    return url


def _seeds(targets: list[str], sites_file: str | None) -> list[dict[str, Any]]:
    from archive.profiles import ProfileError, load_profiles, select_profiles
    from crawler.distributed import seed_for

    seeds = [seed_for(_checked(t.strip())) for t in targets if t.strip()]
    if not seeds:
        raise UserError("nothing to enqueue: name a site profile or a URL")
    for seed in seeds:
        if "site" in seed and ("/" in seed["site"] or "." in seed["site"]):
            raise UserError(f"{seed['site']!r} is neither a site profile name nor an http(s) URL")
    names = [seed["site"] for seed in seeds if "site" in seed]
    if names:
        # Checked here, where the mistake is made; the workers read the same sites file.
        try:
            select_profiles(load_profiles(sites_file), names)
        except ProfileError as exc:
            raise UserError(str(exc)) from None
    return seeds


def _checked(target: str) -> str:
    """A URL target as its seed carries it (one URL, whitespace escaped), or a UserError saying
    why the crawl cannot start from it; a profile name as it is."""
    if "://" not in target:
        return target
    problem = start_url_problem(target)
    if problem:
        raise UserError(problem)
    return join_start_urls([target])


def run(args: argparse.Namespace) -> int:
    import redis

    from crawler.distributed import SharedRun, redis_client

    url = _redis_url(args.redis)
    prefix = str(env_setting("NEWSARCHIVE_DISTRIBUTED_KEY_PREFIX", args.prefix))
    seeds = [] if args.status else _seeds(args.targets, args.sites_file)
    try:
        shared = SharedRun(redis_client(url), prefix, SPIDER)
        if args.status:
            run_id = shared.server.get(shared.run_key)
            run = run_id.decode() if isinstance(run_id, bytes) else run_id or "(none)"
            workers = shared.server.hlen(shared.workers_key)
            queued, waiting = shared.server.zcard(shared.queue_key), shared.server.llen(shared.seeds_key)
            if args.format == "json":
                print_json({"run": run, "requests_queued": queued, "seeds_waiting": waiting, "workers": workers})
            else:
                print(f"run {run}: {queued:,} requests queued, {waiting:,} seeds waiting, {workers:,} workers")
            return EXIT_OK
        run_id = shared.join(seeds=seeds)
    except redis.RedisError as exc:
        raise UserError(f"cannot reach Redis at {redact_url(url)}: {exc}") from None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    for seed in seeds:
        print(seed.get("site") or seed.get("start_url"))
    print(f"enqueued {len(seeds)} seed(s) into run {run_id} ({prefix}:{SPIDER})", file=sys.stderr)
    return EXIT_OK


def register(sub: Any) -> None:
    p = subcommand(
        sub,
        "enqueue",
        run,
        "seed a distributed crawl: push sites or URLs into the shared Redis frontier",
        """\
        Push seeds into the shared frontier of a distributed crawl, for the workers
        (`scrapy crawl newsfeed` with NEWSARCHIVE_DISTRIBUTED set, on any machine) to crawl.
        A seed is a site profile name of sites.toml (or `all`) or a start URL (a listing, feed,
        sitemap or home page), as `-a site=` / `-a start_url=` take them. An idle worker turns
        each seed into its start requests, with the conditional re-checks of fresh articles the
        shared database knows of; every URL is then fetched once per run, by whichever worker
        pops it. Workers may be started before or after enqueueing; they wait for work and exit
        after NEWSARCHIVE_DISTRIBUTED_IDLE_SECONDS without any.

        A run ends when its queue is empty and its last worker has left; a seed enqueued after
        that starts a new run, which fetches listings again. A URL already fetched in the current
        run is not fetched again by a second seed of the same site.

        Prints each seed enqueued; --status prints the run, its queue, waiting seeds and workers.

        example:
          export NEWSARCHIVE_DISTRIBUTED=redis://10.0.0.5:6379/0
          newsarchive enqueue kyivindependent
          newsarchive enqueue all
          newsarchive enqueue https://example.com/news/ https://example.org/feed.xml
          newsarchive enqueue --status
        """,
    )
    p.add_argument("targets", nargs="*", metavar="SITE|URL", help="site profile names (or all) and start URLs")
    p.add_argument("--redis", metavar="URL", help="the shared frontier (default: $NEWSARCHIVE_DISTRIBUTED)")
    p.add_argument(
        "--prefix",
        metavar="PREFIX",
        help="Redis key prefix (default: $NEWSARCHIVE_DISTRIBUTED_KEY_PREFIX, else newsarchive)",
    )
    p.add_argument(
        "--sites-file",
        metavar="FILE",
        help="sites file to check profile names against (default: $NEWSARCHIVE_SITES_FILE, else sites.toml)",
    )
    p.add_argument("--status", action="store_true", help="show the current run instead of enqueueing")
    add_summary_format(p)
