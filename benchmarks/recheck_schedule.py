"""Re-check requests per daily run: the default re-check schedule against NewsDiffs' and refresh-all.

Simulates sites with 1,000, 10,000 and 100,000 archived articles (publishing 10, 30 and 100 a day,
so the archive spans 100 days, 11 months and 2.7 years), crawled once a day. A share of the articles
(``--edited``, default 20 %) is edited once, quietly: 70 % of those edits in the story's first week,
30 % between one week and three months (the corrections researchers look for). Each schedule
starts from the archive as it would have checked it and runs ``--warmup`` days to reach its steady
state, then ``--days`` days are measured: re-check requests per run (new articles are fetched alike by every
schedule and not counted), the due re-checks a budget left, how long it took to find 90 % of the edits and
the share of the edits made during the simulation that were found by its end.

The schedules are the real ``crawler.incremental.RecheckSchedule`` (pure, given ``now``):

* default: ``NEWSARCHIVE_RECHECK_SCHEDULE`` / ``_MAX_AGE_DAYS`` / ``_BUDGET`` from crawler/settings.py;
* NewsDiffs: 15 min under 3 h, 1 h under a day, 3 h under a week, 3 days under a month, 30 days
  under a year, nothing older; no budget;
* refresh-all: every archived article every run (``-a refresh=all``).

    python benchmarks/recheck_schedule.py [--days 30] [--warmup 120] [--edited 0.2] [--seed 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout, not an installed copy

from crawler import settings as defaults
from crawler.incremental import Candidate, RecheckSchedule, parse_tiers

DAY = dt.timedelta(days=1)
START = dt.datetime(2026, 1, 1, 6, 0, tzinfo=dt.UTC)
SITES = ((1_000, 10), (10_000, 30), (100_000, 100))  # archived articles, published a day


@dataclass
class Story:
    url: str
    published: dt.datetime
    edit_at: dt.datetime | None  # the one quiet edit, if any
    checked_at: dt.datetime
    changed_at: dt.datetime
    found: bool = False


def schedules() -> dict[str, RecheckSchedule | None]:
    return {
        "default": RecheckSchedule.from_settings(
            {name: getattr(defaults, name) for name in dir(defaults) if name.startswith("NEWSARCHIVE_RECHECK")}
        ),
        "NewsDiffs": RecheckSchedule(
            tiers=parse_tiers("3h:15m, 1d:1h, 7d:3h, 30d:3d, 365d:30d"), max_age=365 * DAY, budget=0
        ),
        "refresh-all": None,
    }


def _edit_time(rng: random.Random, published: dt.datetime, share: float) -> dt.datetime | None:
    """Most edits come in a story's first week; some are corrections weeks later."""
    if rng.random() >= share:
        return None
    days = rng.uniform(0, 7) if rng.random() < 0.7 else rng.uniform(7, 90)
    return published + dt.timedelta(days=days)


def simulate(
    schedule: RecheckSchedule | None, size: int, per_day: int, args: argparse.Namespace
) -> tuple[float, float, float | None, float]:
    """Mean re-checks per run, mean deferred per run, hours to find 90 % of the edits, share of edits found."""
    rng = random.Random(args.seed)
    begin = START - dt.timedelta(days=args.warmup)
    stories: list[Story] = []
    for n in range(size):  # the archive when the simulation begins, checked as its schedule would have
        published = begin - dt.timedelta(days=n / per_day + rng.uniform(0, 1 / per_day))
        interval = DAY if schedule is None else schedule.interval(begin - published)
        checked = begin - (interval or (begin - published)) * rng.random()
        stories.append(Story(f"old{n}", published, None, max(checked, published), published))
    now, counter = begin, 0
    sent: list[int] = []
    deferred: list[int] = []
    delays: list[float] = []
    while now < START + dt.timedelta(days=args.days):
        for _ in range(per_day):  # the day's new stories, captured within the hour
            counter += 1
            published = now - dt.timedelta(hours=rng.uniform(1, 24))
            seen = published + dt.timedelta(minutes=rng.uniform(0, 60))
            stories.append(Story(f"u{counter}", published, _edit_time(rng, published, args.edited), seen, published))
        if schedule is None:
            due_urls = {s.url for s in stories if s.checked_at < now - dt.timedelta(hours=1)}
            left = 0
        else:
            due = schedule.due((Candidate(s.url, s.checked_at, s.changed_at) for s in stories), now)
            due_urls, left = set(due.urls), due.deferred
        for story in stories:
            if story.url in due_urls:
                story.checked_at = now
                if story.edit_at is not None and not story.found and story.edit_at <= now:
                    story.found, story.changed_at = True, now
                    delays.append((now - story.edit_at).total_seconds() / 3600)
        if now >= START:
            sent.append(len(due_urls))
            deferred.append(left)
        now += DAY
        del stories[: max(0, len(stories) - size)]  # the site keeps its size: the oldest leave the measure
    edited = [s for s in stories if s.edit_at is not None and s.edit_at < now - DAY]
    found_share = sum(1 for s in edited if s.found) / len(edited) if edited else 1.0
    slow = statistics.quantiles(delays, n=10)[-1] if len(delays) > 1 else None
    return statistics.mean(sent), statistics.mean(deferred), slow, found_share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=30, help="daily runs measured (default 30)")
    parser.add_argument("--warmup", type=int, default=120, help="days simulated before the measured ones (default 120)")
    parser.add_argument("--edited", type=float, default=0.2, help="share of articles edited once (default 0.2)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"daily runs, {args.days} measured after {args.warmup} days; {args.edited:.0%} of articles edited once")
    print(
        "| archived articles (new a day) | schedule | re-checks a run | left by the budget "
        "| 90 % of edits found within (h) | edits found |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for size, per_day in SITES:
        for name, schedule in schedules().items():
            mean, left, slow, share = simulate(schedule, size, per_day, args)
            delay = "–" if slow is None else f"{slow:.0f}"
            print(f"| {size:,} ({per_day}) | {name} | {mean:,.0f} | {left:,.0f} | {delay} | {share:.0%} |", flush=True)


if __name__ == "__main__":
    main()
