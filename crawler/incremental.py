"""The incremental decision: fetch an archived article again, or skip it.

``IncrementalPolicy`` is built once per crawl from the settings and the spider's ``refresh``
argument; ``decide`` is pure (no database, no clock of its own), so it is tested without a crawl.
An article linked by a listing, feed or sitemap is fetched when

* it is not in the archive (``new``),
* the feed or sitemap dates it after our last good capture (``changed``),
* the run says ``-a refresh=all`` and it was not removed (``refresh``), or
* it was not removed and is younger than ``NEWSARCHIVE_REFRESH_WINDOW_HOURS`` (``fresh``);

else it is skipped. Only ``new`` and ``changed`` are something new on a listing page: a page of
nothing else is where its pagination may stop (``NEWSARCHIVE_LISTING_STOP_AFTER_KNOWN_PAGES``).
Re-fetches are conditional (``If-None-Match`` / ``If-Modified-Since`` from the last capture)
unless ``NEWSARCHIVE_CONDITIONAL_REQUESTS`` is off.

The archived articles nothing may link any more are re-checked at the start of a run
(``recheck``): the fresh ones, or all with ``refresh=all``, and those the re-check schedule
(``RecheckSchedule``) says are due, most overdue first, up to the site's budget. A linked article
the schedule says is due is fetched too (``due``).

The schedule: an article is due when the time since its last check reaches the interval of its
tier, the tier being how long ago it last changed (its last new version, else its publication).
The default tiers (``NEWSARCHIVE_RECHECK_SCHEDULE``) lie between NewsDiffs' (15 min under 3 h,
1 h under a day, 3 h under a week, 3 days under a month, 30 days under a year) and diffengine's
(0.2 × age): hourly under a day, every 6 hours under a week, every 2 days under a month, every
21 days under a year; beyond ``NEWSARCHIVE_RECHECK_MAX_AGE_DAYS`` only ``refresh=all`` re-checks.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

    from crawler.archive_index import Known

Reason = Literal["new", "changed", "refresh", "fresh", "due"]
REFRESH_VALUES = (None, "", "all", "none")


def refresh_all(refresh: str | None) -> bool:
    """Whether the spider's ``-a refresh=`` argument asks to re-check every archived article."""
    if refresh not in REFRESH_VALUES:
        raise ValueError(f"-a refresh= takes 'all' (re-check every archived article) or 'none', not {refresh!r}")
    return refresh == "all"


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one article URL."""

    fetch: bool
    reason: Reason | None  # None: skipped
    something_new: bool  # new or flagged as changed: the listing page it is on is worth paging past
    headers: dict[str, str] = field(default_factory=dict)  # conditional request headers


SKIP = Decision(fetch=False, reason=None, something_new=False)


_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_span(text: str) -> dt.timedelta:
    """``15m``, ``6h``, ``2d``, ``3w`` as a timedelta; anything else is a ValueError naming it."""
    match = _SPAN.match(text)
    if match is None:
        raise ValueError(f"not a time span (like 15m, 6h, 2d, 3w): {text!r}")
    return dt.timedelta(**{_UNITS[match[2]]: float(match[1])})


def parse_tiers(text: str) -> tuple[tuple[dt.timedelta, dt.timedelta], ...]:
    """``"1d:1h, 7d:6h, 30d:2d"``: changed less than 1 day ago, re-checked hourly; less than 7 days,
    every 6 hours, ... as ``(under, every)`` pairs, shortest first."""
    tiers = []
    for part in (p for p in text.split(",") if p.strip()):
        under, sep, every = part.partition(":")
        if not sep:
            raise ValueError(f"a re-check tier is UNDER:EVERY (like 7d:6h), not {part.strip()!r}")
        tiers.append((parse_span(under), parse_span(every)))
    if not tiers:
        raise ValueError("a re-check schedule needs at least one UNDER:EVERY tier")
    return tuple(sorted(tiers))


@dataclass(frozen=True, slots=True)
class Candidate:
    """An archived article the schedule may re-check: when we last saw it as stored, and when it
    last changed (its latest new version; a first version: its publication or first capture)."""

    url: str
    checked_at: dt.datetime
    changed_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Due:
    """What a run re-checks of one site: the due articles within the budget, most overdue first,
    and how many more were due (left for the next run, where they come first)."""

    urls: list[str]
    deferred: int


@dataclass(frozen=True, slots=True)
class RecheckSchedule:
    """When an archived article is due for a re-check (pure: *now* is always given)."""

    tiers: tuple[tuple[dt.timedelta, dt.timedelta], ...]  # (changed less than this ago, re-check every)
    max_age: dt.timedelta | None  # changed longer ago than this: only refresh=all (None: no limit)
    budget: int  # re-checks per site and run (0: no limit)

    @classmethod
    def from_settings(cls, settings: BaseSettings | Mapping[str, Any]) -> RecheckSchedule:
        days = float(settings["NEWSARCHIVE_RECHECK_MAX_AGE_DAYS"])
        return cls(
            tiers=parse_tiers(str(settings["NEWSARCHIVE_RECHECK_SCHEDULE"])),
            max_age=dt.timedelta(days=days) if days > 0 else None,
            budget=int(settings["NEWSARCHIVE_RECHECK_BUDGET"]),
        )

    def override(self, schedule: str | None, max_age_days: float | None, budget: int | None) -> RecheckSchedule:
        """This schedule with a site profile's ``recheck_*`` keys, where it has them."""
        return RecheckSchedule(
            tiers=parse_tiers(schedule) if schedule else self.tiers,
            max_age=self.max_age if max_age_days is None else dt.timedelta(days=max_age_days) or None,
            budget=self.budget if budget is None else budget,
        )

    def interval(self, changed_ago: dt.timedelta) -> dt.timedelta | None:
        """How often an article that last changed *changed_ago* is re-checked; None: not at all."""
        if self.max_age is not None and changed_ago >= self.max_age:
            return None
        for under, every in self.tiers:
            if changed_ago < under:
                return every
        return None if self.max_age is None else self.tiers[-1][1]

    def due_at(self, candidate: Candidate) -> dt.datetime | None:
        """When *candidate* is next due (None: never, without refresh=all)."""
        # The change is known at our check at the latest: a page first captured years after its
        # publication has not "just changed".
        changed = min(candidate.changed_at, candidate.checked_at)
        interval = self.interval(candidate.checked_at - changed)
        return None if interval is None else candidate.checked_at + interval

    def is_due(self, candidate: Candidate, now: dt.datetime) -> bool:
        due = self.due_at(candidate)
        return due is not None and due <= now and self._young_enough(candidate, now)

    def _young_enough(self, candidate: Candidate, now: dt.datetime) -> bool:
        return self.max_age is None or now - candidate.changed_at < self.max_age

    def due(self, candidates: Iterable[Candidate], now: dt.datetime) -> Due:
        """The due candidates within the budget, earliest due first: what a budget skipped is the
        most overdue next run."""
        ranked = sorted(
            (due, c.url)
            for c in candidates
            if (due := self.due_at(c)) is not None and due <= now and self._young_enough(c, now)
        )
        kept = ranked if not self.budget else ranked[: self.budget]
        return Due(urls=[url for _, url in kept], deferred=len(ranked) - len(kept))


@dataclass(frozen=True, slots=True)
class IncrementalPolicy:
    """How a crawl decides which archived articles to fetch again (no defaults here: they are the
    settings', in crawler/settings.py)."""

    # NEWSARCHIVE_INCREMENTAL: ask the archive at all (off: every linked article is new).
    enabled: bool
    # -a refresh=all: every archived, not removed article is fetched again, conditionally.
    refresh_all: bool
    # NEWSARCHIVE_REFRESH_WINDOW_HOURS: younger articles are re-checked every run (None: never).
    refresh_window: dt.timedelta | None
    # NEWSARCHIVE_CONDITIONAL_REQUESTS: re-fetches carry the last capture's validators.
    conditional: bool
    # NEWSARCHIVE_RECHECK_*: when an archived article is due again (None: no schedule, as before).
    schedule: RecheckSchedule | None = None

    @classmethod
    def from_settings(cls, settings: BaseSettings, refresh: str | None = None) -> IncrementalPolicy:
        hours = settings.getfloat("NEWSARCHIVE_REFRESH_WINDOW_HOURS")
        return cls(
            enabled=settings.getbool("NEWSARCHIVE_INCREMENTAL"),
            refresh_all=refresh_all(refresh),
            refresh_window=dt.timedelta(hours=hours) if hours > 0 else None,
            conditional=settings.getbool("NEWSARCHIVE_CONDITIONAL_REQUESTS"),
            schedule=RecheckSchedule.from_settings(settings) if settings.getbool("NEWSARCHIVE_RECHECKS") else None,
        )

    def decide(self, previous: Known | None, listed_updated: dt.datetime | None, now: dt.datetime) -> Decision:
        """The decision for an article the archive knows as *previous* (None: not archived) that
        a feed or sitemap dates *listed_updated* (None: undated, as on listing pages)."""
        if previous is None:
            return Decision(fetch=True, reason="new", something_new=True)
        if listed_updated is not None and listed_updated > previous.checked_at:
            return self._fetch(previous, "changed", something_new=True)
        if previous.removed:
            return SKIP
        if self.refresh_all:
            return self._fetch(previous, "refresh")
        if self._is_fresh(previous, now):
            return self._fetch(previous, "fresh")
        if self._is_due(previous, now):
            return self._fetch(previous, "due")
        return SKIP

    # -- re-checks of archived articles at the start of a run --------------------------------------
    @property
    def rechecks(self) -> bool:
        """Whether a run re-checks archived articles nothing may link any more."""
        return self.enabled and (self.refresh_all or self.refresh_window is not None)

    def recheck_since(self, now: dt.datetime) -> dt.datetime | None:
        """The oldest publication (or first capture) a run re-checks when ``rechecks``; None: every
        archived article."""
        if self.refresh_all or self.refresh_window is None:
            return None
        return now - self.refresh_window

    def recheck(self, previous: Known | None, reason: Reason | None = None) -> Decision:
        """The decision for an archived article found by ``recheck_since`` (or due by the
        schedule, *reason* ``due``): always fetched."""
        return self._fetch(previous, reason or ("refresh" if self.refresh_all else "fresh"))

    # -- parts ---------------------------------------------------------------------------------------
    def _is_due(self, previous: Known, now: dt.datetime) -> bool:
        if self.schedule is None or previous.changed_at is None:
            return False
        return self.schedule.is_due(Candidate(previous.url, previous.checked_at, previous.changed_at), now)

    def _is_fresh(self, previous: Known, now: dt.datetime) -> bool:
        return (
            self.refresh_window is not None
            and previous.born_at is not None
            and now - previous.born_at < self.refresh_window
        )

    def _fetch(self, previous: Known | None, reason: Reason, *, something_new: bool = False) -> Decision:
        return Decision(fetch=True, reason=reason, something_new=something_new, headers=self.headers(previous))

    def headers(self, previous: Known | None) -> dict[str, str]:
        """The conditional request headers for a re-fetch of *previous*."""
        headers: dict[str, str] = {}
        if previous is not None and self.conditional:
            if previous.etag:
                headers["If-None-Match"] = previous.etag
            if previous.last_modified:
                headers["If-Modified-Since"] = previous.last_modified
        return headers
