"""Extraction health: a site's template change that empties its articles is flagged, stable runs are not.

The sample site publishes a new day's stories before each crawl (the same twelve stories under new
URLs, as a news site publishes new ones), with its usual template for four crawls; then it switches
to a redesign that renders articles in the browser: every download still succeeds, but the article
pages hold no story, no byline and no date. Real `scrapy crawl` and `newsarchive crawl` runs into one
SQLite archive; the verdicts are read back through `newsarchive crawl`'s summary and exit status,
`newsarchive health` and `newsarchive runs`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from archive.health import HealthRules, SiteFigures, judge
from archive.sample_site import APP_SHELL, GHOST, SampleArticle, SampleSite, load_articles
from tests.support.archive_data import POSTGRES_ENV, fresh_postgres_schema
from tests.support.cli import newsarchive
from tests.support.crawls import newsfeed_crawl

STABLE_DAYS = 4  # the first three teach the site's normal range (NEWSARCHIVE_HEALTH_MIN_RUNS), the fourth is judged


def day_of_news(day: int) -> list[SampleArticle]:
    """The sample site's stories as published on *day*: new URLs, new headlines, the same kind of text."""
    return [
        dataclasses.replace(
            article,
            slug=f"{article.slug}-day-{day}",
            path=f"/news/{article.slug}-day-{day}/",
            title=f"{article.title}, day {day}",
        )
        for article in load_articles()
    ]


@dataclass
class Crawls:
    database_url: str
    stable: subprocess.CompletedProcess[str]  # the fourth stable crawl, judged: --fail-on-drift
    broken: subprocess.CompletedProcess[str]  # the first crawl of the redesign: --fail-on-drift
    broken_again: subprocess.CompletedProcess[str]  # the second, without --fail-on-drift


def _newsarchive_crawl(
    site: SampleSite, tmp: Path, database_url: str, *options: str
) -> subprocess.CompletedProcess[str]:
    return newsarchive(
        "crawl",
        f"{site.url}/news-feed/",
        "--db",
        database_url,
        "--warc-dir",
        str(tmp / "warc"),
        "--set",
        "AUTOTHROTTLE_ENABLED=False",
        "--set",
        "NEWSARCHIVE_EXTRACT_WORKERS=1",
        *options,
    )


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawls]:
    tmp = tmp_path_factory.mktemp("health")
    database_url = f"sqlite:///{tmp / 'archive.db'}"
    for day in range(1, STABLE_DAYS):
        with SampleSite(articles=day_of_news(day), template=GHOST) as site:
            run = newsfeed_crawl(tmp, [f"start_url={site.url}/news-feed/"], database_url=database_url)
            assert run.returncode == 0, run.log[-3000:]
    with SampleSite(articles=day_of_news(STABLE_DAYS), template=GHOST) as site:
        stable = _newsarchive_crawl(site, tmp, database_url, "--fail-on-drift")
    with SampleSite(articles=day_of_news(STABLE_DAYS + 1), template=APP_SHELL) as site:
        broken = _newsarchive_crawl(site, tmp, database_url, "--fail-on-drift")
    with SampleSite(articles=day_of_news(STABLE_DAYS + 2), template=APP_SHELL) as site:
        broken_again = _newsarchive_crawl(site, tmp, database_url)
    yield Crawls(database_url, stable, broken, broken_again)


def _health(crawls: Crawls) -> list[dict]:
    done = newsarchive("health", "--format", "json", "--db", crawls.database_url)
    assert done.returncode == 0, done.stderr
    rows: list[dict] = json.loads(done.stdout)
    return rows


def _summary_health(crawl: subprocess.CompletedProcess[str]) -> str:
    """The crawl summary's "extraction health" line (the summary ends stderr; piped, plain lines)."""
    rows = [line for line in crawl.stderr.splitlines() if line.startswith("extraction health ")]
    assert len(rows) == 1, crawl.stderr[-3000:]
    return rows[0].removeprefix("extraction health").strip()


def test_a_stable_template_is_judged_ok_and_the_crawl_exits_0(crawls: Crawls) -> None:
    assert crawls.stable.returncode == 0, crawls.stable.stderr[-3000:]
    assert _summary_health(crawls.stable) == "127.0.0.1: ok"
    assert "warning: extraction health" not in crawls.stable.stderr


def test_the_redesign_is_flagged_and_fail_on_drift_exits_1(crawls: Crawls) -> None:
    assert crawls.broken.returncode == 1, crawls.broken.stderr[-3000:]
    # Every download worked: only extraction broke.
    assert re.search(r"^finish reason +finished$", crawls.broken.stderr, re.MULTILINE), crawls.broken.stderr
    assert _summary_health(crawls.broken).startswith("127.0.0.1: drift: ")
    # The log says what drifted from what, for `scrapy crawl` from cron as well.
    warning = next(line for line in crawls.broken.stderr.splitlines() if "warning: extraction health" in line)
    assert "median body length" in warning and "articles with an author 0% (normal 85%–100%)" in warning
    # Without --fail-on-drift the same drift is reported and the crawl exits 0.
    assert crawls.broken_again.returncode == 0, crawls.broken_again.stderr[-3000:]
    assert _summary_health(crawls.broken_again).startswith("127.0.0.1: drift: ")


def test_health_lists_every_run_with_its_figures_and_flags(crawls: Crawls) -> None:
    rows = _health(crawls)[::-1]  # oldest first
    assert [row["status"] for row in rows] == ["learning"] * 3 + ["ok", "drift", "drift"]
    stable, broken = rows[3], rows[4]
    assert stable["drifted"] == []
    assert stable["counts"]["articles"] == 12 and stable["figures"]["author_share"]["value"] == 1.0
    assert stable["figures"]["median_body_chars"]["value"] > 500
    assert {"median_body_chars", "author_share", "date_share"} <= set(broken["drifted"])
    assert broken["figures"]["author_share"] == {
        "value": 0.0,
        "low": pytest.approx(0.85),
        "high": 1.0,
        "drifted": True,
    }
    body = broken["figures"]["median_body_chars"]
    assert body["value"] < body["low"] < stable["figures"]["median_body_chars"]["value"] < body["high"]


def test_health_and_runs_agree_on_each_run(crawls: Crawls) -> None:
    by_run = {row["run_id"]: row["status"] for row in _health(crawls)}
    done = newsarchive("runs", "--format", "jsonl", "--db", crawls.database_url)
    assert done.returncode == 0, done.stderr
    runs = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(runs) == len(by_run) == STABLE_DAYS + 2
    for run in runs:
        status = by_run[run["id"]]
        assert run["health"].split(":")[0] == status
    assert "articles with an author" in runs[0]["health"]  # newest first: the redesign
    plain = newsarchive("runs", "--db", crawls.database_url)
    assert plain.stdout.splitlines()[0].split("\t")[-2] == "health"


def test_health_site_filter_and_bad_site(crawls: Crawls) -> None:
    only = newsarchive("health", "--site", "127.0.0.1", "--limit", "2", "--format", "json", "--db", crawls.database_url)
    assert [row["status"] for row in json.loads(only.stdout)] == ["drift", "drift"]
    other = newsarchive("health", "--site", "other.example", "--format", "json", "--db", crawls.database_url)
    assert json.loads(other.stdout) == []
    bad = newsarchive("health", "--site", "not a host/x", "--db", crawls.database_url)
    assert bad.returncode == 2 and bad.stderr.startswith("newsarchive: error:") and "Traceback" not in bad.stderr


# -- bodies that change without a declared modification ----------------------------------------------
def fresh_news() -> list[SampleArticle]:
    """The stories published in the last hours: inside the refresh window, so every crawl re-fetches them."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    stories = []
    for hours, article in enumerate(load_articles(), start=1):
        moment = (now - dt.timedelta(hours=hours)).isoformat()
        stories.append(dataclasses.replace(article, published=moment, modified=moment))
    return stories


def leaked_template(stories: list[SampleArticle]) -> list[SampleArticle]:
    """The same stories after a template change that puts a promotion into every body, dates untouched,
    and one story edited for real (its modification date moves): that one declared its change."""
    leaked = [dataclasses.replace(s, paragraphs=(*s.paragraphs, "Advertisement: read the app.")) for s in stories]
    edited = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    leaked[0] = dataclasses.replace(leaked[0], modified=edited)
    return leaked


@pytest.fixture(scope="module")
def silent_changes(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """Four crawls re-fetching the same fresh stories (validators off: each one a full 200, a WARC
    revisit record), then one after the template change. `newsarchive health`'s rows, oldest first."""
    tmp = tmp_path_factory.mktemp("health-silent")
    database_url = f"sqlite:///{tmp / 'archive.db'}"
    stories = fresh_news()
    port = 0  # the first free one, then the same: an article's URL carries it
    for articles in [stories] * STABLE_DAYS + [leaked_template(stories)]:
        with SampleSite(port=port, articles=articles) as site:
            port = site.port
            run = newsfeed_crawl(
                tmp,
                [f"start_url={site.url}/news-feed/"],
                "NEWSARCHIVE_CONDITIONAL_REQUESTS=False",
                database_url=database_url,
            )
            assert run.returncode == 0, run.log[-3000:]
    done = newsarchive("health", "--format", "json", "--db", database_url)
    assert done.returncode == 0, done.stderr
    rows: list[dict] = json.loads(done.stdout)[::-1]
    return rows


def test_bodies_changed_without_a_declared_modification_are_flagged(silent_changes: list[dict]) -> None:
    first, *stable, leaked = silent_changes
    assert first["counts"]["revisited"] == 0  # nothing to compare with yet
    for run in stable:  # the same stories again: compared, none changed
        assert (run["counts"]["revisited"], run["counts"]["silent_changes"]) == (12, 0)
    assert stable[-1]["status"] == "ok" and stable[-1]["figures"]["silent_change_share"]["value"] == 0.0
    # Eleven bodies changed with their dates as they were; the edited story declared its change.
    assert (leaked["counts"]["revisited"], leaked["counts"]["silent_changes"]) == (12, 11)
    assert leaked["status"] == "drift" and leaked["drifted"] == ["silent_change_share"]


def test_health_is_recorded_and_judged_on_postgresql(postgres_database: str | None, tmp_path: Path) -> None:
    if postgres_database is None:
        pytest.skip(f"needs {POSTGRES_ENV} (a PostgreSQL server to make a test database on)")
    database_url = fresh_postgres_schema(postgres_database)
    for day in range(1, STABLE_DAYS + 1):
        template = APP_SHELL if day == STABLE_DAYS else GHOST  # three runs to learn from, then the redesign
        with SampleSite(articles=day_of_news(day), template=template) as site:
            run = newsfeed_crawl(tmp_path, [f"start_url={site.url}/news-feed/"], database_url=database_url)
            assert run.returncode == 0, run.log[-3000:]
    done = newsarchive("health", "--format", "json", "--db", database_url)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)[::-1]
    assert [row["status"] for row in rows] == ["learning"] * (STABLE_DAYS - 1) + ["drift"]
    assert {"median_body_chars", "author_share", "date_share"} <= set(rows[-1]["drifted"])
    assert "WARNING: extraction health of 127.0.0.1: drift:" in run.log


# -- the judgement itself ------------------------------------------------------------------------------
RULES = HealthRules(history_runs=10, min_runs=3, min_pages=5, tolerance=3.0)


def _run(articles: int, with_author: int, pages: int = 20, body: int = 2000) -> SiteFigures:
    return SiteFigures(
        "news.example",
        pages=pages,
        articles=articles,
        with_title=articles,
        with_author=with_author,
        with_date=articles,
        median_body_chars=body,
    )


def test_one_broken_run_in_the_history_neither_hides_a_drift_nor_flags_the_recovery() -> None:
    history = [_run(15, 15, body=b) for b in (1900, 2100, 2000, 1950, 2050, 2000, 1980, 2020)]
    history.insert(2, _run(15, 0, body=80))  # an earlier breakage, fixed since
    broken = judge(_run(15, 0, body=80), history, RULES)
    assert {r.figure.name for r in broken.drifts} == {"author_share", "median_body_chars"}
    assert judge(_run(15, 15, body=2010), history, RULES).status == "ok"


def test_too_small_a_run_or_history_is_not_judged() -> None:
    history = [_run(15, 15)] * 5
    tiny = judge(_run(2, 0, pages=4, body=80), history, RULES)  # two stories, four pages: says little
    assert tiny.status == "learning" and not tiny.drifts
    assert judge(_run(15, 0), history[:2], RULES).status == "learning"  # two earlier runs: not yet
    assert judge(_run(15, 0), history[:3], RULES).status == "drift"
