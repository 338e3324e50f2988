"""Extraction health: whether a site's pages still extract as they used to.

A template change on a news site does not make downloads fail: it makes articles come out empty,
title-less or as listings. So each crawl run records, per site (``site_run_health``), what extraction
made of its pages, and each run is judged against the site's own recent history:

* the share of the HTML pages fetched that became articles;
* the median body length of those articles;
* the share of them with a title, with an author, with a publication date;
* the share of re-fetched articles whose body changed while the page declared no new modification date.

Judging is robust statistics: a figure's normal range is the median of the site's last
``NEWSARCHIVE_HEALTH_HISTORY_RUNS`` runs plus or minus ``NEWSARCHIVE_HEALTH_TOLERANCE`` scaled MADs
(never narrower than the figure's floor, so a site that always scored 100% is not flagged for 97%).
A run's figure counts only when it rests on at least ``NEWSARCHIVE_HEALTH_MIN_PAGES`` pages, and a
figure is judged only when at least ``NEWSARCHIVE_HEALTH_MIN_RUNS`` earlier runs had it. The judgement
is made from the stored counts wherever it is shown (crawl summary, ``runs``, ``health``), by ``judge()``.

The crawl tallies its pages as they are stored (crawler/health_records.py); ``newsarchive reextract``
writes no health row: it re-reads captures of many past runs, which are no sample of any one run.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from archive import models
from archive.capture import Capture
from archive.extract import Article, NotAnArticle
from archive.store import StoreStats, site_host

# How a crawl's stats carry its health to the summary and `crawl --fail-on-drift`.
DRIFTS_STAT = "newsarchive/health/drifted_sites"
SUMMARY_STAT = "newsarchive/health/summary"

MAD_SCALE = 1.4826  # makes the MAD estimate the standard deviation of normally distributed values


@dataclass(slots=True)
class SiteFigures:
    """What one run's extraction made of one site's pages: the counts of ``site_run_health``."""

    site: str
    pages: int = 0
    articles: int = 0
    with_title: int = 0
    with_author: int = 0
    with_date: int = 0
    median_body_chars: int | None = None
    revisited: int = 0
    silent_changes: int = 0
    started_at: dt.datetime | None = None
    run_id: int | None = None

    @classmethod
    def from_row(cls, row: models.SiteRunHealth) -> SiteFigures:
        return cls(**{name: getattr(row, name) for name in cls.__slots__})  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Figure:
    """One health figure: how it is read from a run's counts, on how many pages it rests, which way
    of drifting means breakage, and the narrowest normal range it gets (*floor*, absolute for shares,
    a fraction of the median for lengths)."""

    name: str
    label: str
    read: Callable[[SiteFigures], float | None]
    sample: Callable[[SiteFigures], int]
    watch: str  # "both", "drop" (only a fall is breakage) or "rise"
    floor: float
    is_share: bool = True

    def value(self, figures: SiteFigures, min_pages: int) -> float | None:
        if self.sample(figures) < max(1, min_pages):
            return None
        return self.read(figures)

    def spread_floor(self, median: float) -> float:
        return self.floor if self.is_share else self.floor * median

    def show(self, value: float | None) -> str:
        if value is None:
            return "-"
        return f"{value:.0%}" if self.is_share else f"{value:,.0f}"


def _share(part: str, whole: str) -> Callable[[SiteFigures], float | None]:
    def read(figures: SiteFigures) -> float | None:
        total = getattr(figures, whole)
        return getattr(figures, part) / total if total else None

    return read


def _count(name: str) -> Callable[[SiteFigures], int]:
    return lambda figures: int(getattr(figures, name))


FIGURES: tuple[Figure, ...] = (
    # A rise is breakage too: listings taken for articles.
    Figure("article_share", "pages that became articles", _share("articles", "pages"), _count("pages"), "both", 0.15),
    Figure(
        "median_body_chars",
        "median body length",
        lambda f: None if f.median_body_chars is None else float(f.median_body_chars),
        _count("articles"),
        "both",  # a longer body is clutter getting in
        0.3,
        is_share=False,
    ),
    Figure("title_share", "articles with a title", _share("with_title", "articles"), _count("articles"), "drop", 0.15),
    Figure(
        "author_share", "articles with an author", _share("with_author", "articles"), _count("articles"), "drop", 0.15
    ),
    Figure("date_share", "articles with a date", _share("with_date", "articles"), _count("articles"), "drop", 0.15),
    Figure(
        "silent_change_share",
        "bodies changed undeclared",
        _share("silent_changes", "revisited"),
        _count("revisited"),
        "rise",
        0.15,
    ),
)
FIGURE_NAMES = tuple(figure.name for figure in FIGURES)


# -- the crawl's tally ------------------------------------------------------------------------------
@dataclass(slots=True)
class _SiteTally:
    figures: SiteFigures
    body_lengths: list[int] = field(default_factory=list)


class RunTally:
    """What a run's extraction made of each site's pages, fed batch by batch as they are stored."""

    def __init__(self) -> None:
        self._sites: dict[str, _SiteTally] = {}

    def _site(self, host: str) -> _SiteTally:
        if host not in self._sites:
            self._sites[host] = _SiteTally(SiteFigures(host))
        return self._sites[host]

    def observe(self, entries: Iterable[tuple[Capture, Article | NotAnArticle | None]], stats: StoreStats) -> None:
        for capture, result in entries:
            if result is None:  # no HTML page (robots.txt, a redirect, an image, a 304): nothing extracted
                continue
            tally = self._site(site_host(capture.url))
            tally.figures.pages += 1
            if isinstance(result, Article):
                tally.figures.articles += 1
                tally.figures.with_title += bool(result.title)
                tally.figures.with_author += bool(result.authors)
                tally.figures.with_date += bool(result.published)
                tally.body_lengths.append(len(result.text))
        for host, count in stats.revisited.items():
            self._site(host).figures.revisited += count
        for host, count in stats.silent_changes.items():
            self._site(host).figures.silent_changes += count

    def figures(self) -> list[SiteFigures]:
        done = []
        for host in sorted(self._sites):
            tally = self._sites[host]
            if tally.body_lengths:
                tally.figures.median_body_chars = round(statistics.median(tally.body_lengths))
            done.append(tally.figures)
        return done


# -- judging ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class HealthRules:
    history_runs: int
    min_runs: int
    min_pages: int
    tolerance: float

    @classmethod
    def from_settings(cls, settings: Any) -> HealthRules:
        return cls(
            history_runs=settings.getint("NEWSARCHIVE_HEALTH_HISTORY_RUNS"),
            min_runs=settings.getint("NEWSARCHIVE_HEALTH_MIN_RUNS"),
            min_pages=settings.getint("NEWSARCHIVE_HEALTH_MIN_PAGES"),
            tolerance=settings.getfloat("NEWSARCHIVE_HEALTH_TOLERANCE"),
        )

    @classmethod
    def from_project(cls) -> HealthRules:
        """The rules of crawler/settings.py (environment and all), for the commands that judge runs."""
        from archive.crawl import project_settings

        return cls.from_settings(project_settings())


@dataclass(frozen=True, slots=True)
class Reading:
    """One figure of one run, with the site's normal range when there was history enough to judge."""

    figure: Figure
    value: float | None
    low: float | None = None
    high: float | None = None

    @property
    def judged(self) -> bool:
        return self.value is not None and self.low is not None and self.high is not None

    @property
    def drifted(self) -> bool:
        if self.value is None or self.low is None or self.high is None:
            return False
        return not self.low <= self.value <= self.high

    def describe(self) -> str:
        shown = f"{self.figure.label} {self.figure.show(self.value)}"
        if not self.judged:
            return shown
        return f"{shown} (normal {self.figure.show(self.low)}–{self.figure.show(self.high)})"

    def as_json(self) -> dict[str, Any]:
        """The reading in JSON: an open side of the range (no limit that way) is null."""

        def bound(limit: float | None) -> float | None:
            return None if limit is None or abs(limit) == float("inf") else limit

        return {"value": self.value, "low": bound(self.low), "high": bound(self.high), "drifted": self.drifted}


@dataclass(frozen=True, slots=True)
class Verdict:
    figures: SiteFigures
    readings: tuple[Reading, ...]
    history: int  # earlier runs of the site looked at

    @property
    def drifts(self) -> list[Reading]:
        return [reading for reading in self.readings if reading.drifted]

    @property
    def status(self) -> str:
        """``drift``; ``ok`` (something judged, nothing drifted); ``learning`` (too little history or
        too few pages to judge anything yet)."""
        if self.drifts:
            return "drift"
        return "ok" if any(reading.judged for reading in self.readings) else "learning"

    def describe(self) -> str:
        """One line: the status, and what drifted from what."""
        if self.status == "drift":
            return "drift: " + "; ".join(reading.describe() for reading in self.drifts)
        if self.status == "learning":
            return f"learning ({self.history} earlier run{'' if self.history == 1 else 's'})"
        return "ok"


def normal_range(past: Sequence[float], figure: Figure, tolerance: float) -> tuple[float, float]:
    """The median of *past* plus or minus *tolerance* scaled MADs, at least the figure's floor wide;
    the side of a figure whose drift is no breakage is left open."""
    middle = statistics.median(past)
    mad = statistics.median(abs(value - middle) for value in past)
    spread = max(tolerance * MAD_SCALE * mad, figure.spread_floor(middle))
    low, high = middle - spread, middle + spread
    if figure.watch == "drop":
        high = float("inf")
    elif figure.watch == "rise":
        low = float("-inf")
    if figure.is_share:
        low, high = max(low, 0.0), min(high, 1.0)
    return low, high


def judge(run: SiteFigures, history: Sequence[SiteFigures], rules: HealthRules) -> Verdict:
    """*run* against *history* (the site's earlier runs, newest first; the first ``history_runs`` count)."""
    recent = history[: rules.history_runs]
    readings = []
    for figure in FIGURES:
        value = figure.value(run, rules.min_pages)
        past = [v for v in (figure.value(h, rules.min_pages) for h in recent) if v is not None]
        if value is None or len(past) < max(1, rules.min_runs):
            readings.append(Reading(figure, value))
        else:
            readings.append(Reading(figure, value, *normal_range(past, figure, rules.tolerance)))
    return Verdict(run, tuple(readings), len(recent))


# -- the database -----------------------------------------------------------------------------------
def record(
    session: Session, run_id: int | None, started_at: dt.datetime, figures: Iterable[SiteFigures]
) -> list[models.SiteRunHealth]:
    """Store a run's figures, one ``site_run_health`` row per site; the rows."""
    rows = []
    for site in figures:
        values = {name: getattr(site, name) for name in SiteFigures.__slots__}  # type: ignore[attr-defined]
        rows.append(models.SiteRunHealth(**(values | {"run_id": run_id, "started_at": started_at})))
    session.add_all(rows)
    session.flush()
    return rows


def earlier_runs(session: Session, row: models.SiteRunHealth, limit: int) -> list[SiteFigures]:
    """The figures of the site's runs before *row*'s, newest first."""
    H = models.SiteRunHealth
    query = (
        select(H)
        .where(
            H.site == row.site,
            or_(H.started_at < row.started_at, and_(H.started_at == row.started_at, H.id < row.id)),
        )
        .order_by(H.started_at.desc(), H.id.desc())
        .limit(limit)
    )
    return [SiteFigures.from_row(earlier) for earlier in session.scalars(query)]


def verdicts(session: Session, rows: Iterable[models.SiteRunHealth], rules: HealthRules) -> list[Verdict]:
    return [judge(SiteFigures.from_row(row), earlier_runs(session, row, rules.history_runs), rules) for row in rows]


def run_verdicts(session: Session, run_ids: Iterable[int], rules: HealthRules) -> dict[int, list[Verdict]]:
    """The verdicts of each of *run_ids*' sites, by run id (a run with no health row is left out)."""
    H = models.SiteRunHealth
    ids = sorted(set(run_ids))
    found: dict[int, list[Verdict]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        rows = session.scalars(select(H).where(H.run_id.in_(ids[start : start + 500])).order_by(H.site))
        for verdict in verdicts(session, rows, rules):
            assert verdict.figures.run_id is not None
            found[verdict.figures.run_id].append(verdict)
    return dict(found)


def run_health(verdicts_of_run: Sequence[Verdict]) -> str | None:
    """A run's health in a word or a few: ``ok``, ``learning``, ``drift: SITE (figure, figure)``, or
    None for a run that recorded none (it extracted nothing, or ran before health was recorded)."""
    if not verdicts_of_run:
        return None
    drifted = [v for v in verdicts_of_run if v.status == "drift"]
    if len(verdicts_of_run) == 1 and drifted:  # the run's one site: its name is in the row already
        return "drift: " + ", ".join(reading.figure.label for reading in drifted[0].drifts)
    if drifted:
        return "drift: " + ", ".join(
            f"{v.figures.site} ({', '.join(r.figure.label for r in v.drifts)})" for v in drifted
        )
    return "ok" if any(v.status == "ok" for v in verdicts_of_run) else "learning"


# -- the crawl summary ------------------------------------------------------------------------------
def summary_stats(run_verdicts_: Sequence[Verdict]) -> dict[str, Any]:
    """The stats a crawl carries its health in: what the summary line and ``--fail-on-drift`` read."""
    lines = [f"{v.figures.site}: {v.describe()}" for v in run_verdicts_]
    return {DRIFTS_STAT: sum(v.status == "drift" for v in run_verdicts_), SUMMARY_STAT: "; ".join(lines)}


def summary_line(stats: Mapping[str, Any]) -> str | None:
    """The crawl summary's "extraction health" value, or None for a crawl that judged nothing."""
    text = stats.get(SUMMARY_STAT)
    return str(text) if text else None


def drifted(stats: Mapping[str, Any]) -> bool:
    """Whether a crawl's extraction drifted on any site (``crawl --fail-on-drift`` exits 1)."""
    return bool(stats.get(DRIFTS_STAT))
