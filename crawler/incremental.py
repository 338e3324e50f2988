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
(``recheck``): the fresh ones, or all with ``refresh=all``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

    from crawler.archive_index import Known

Reason = Literal["new", "changed", "refresh", "fresh"]
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

    @classmethod
    def from_settings(cls, settings: BaseSettings, refresh: str | None = None) -> IncrementalPolicy:
        hours = settings.getfloat("NEWSARCHIVE_REFRESH_WINDOW_HOURS")
        return cls(
            enabled=settings.getbool("NEWSARCHIVE_INCREMENTAL"),
            refresh_all=refresh_all(refresh),
            refresh_window=dt.timedelta(hours=hours) if hours > 0 else None,
            conditional=settings.getbool("NEWSARCHIVE_CONDITIONAL_REQUESTS"),
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

    def recheck(self, previous: Known | None) -> Decision:
        """The decision for an archived article found by ``recheck_since``: always fetched."""
        return self._fetch(previous, "refresh" if self.refresh_all else "fresh")

    # -- parts ---------------------------------------------------------------------------------------
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
