"""Edit tracking (issue 22): a re-check schedule that finds quiet edits, versions only when the
story changed, aliases learnt from redirects, and what changed as `newsarchive changes` shows it.

Two real crawls of a local site a week apart (tests/support/clocked_crawl.py moves the crawl's
clock); between them the test edits the site as a newsroom would."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive import models
from archive.profiles import ProfileError, load_profiles
from archive.store import store_batch
from crawler.archive_index import ArchiveIndex
from crawler.incremental import Candidate, RecheckSchedule, parse_span, parse_tiers
from tests.support.archive_data import ArchiveDB, capture
from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun, crawl_at
from tests.support.editable_site import EditableSite, Newsroom, Story

FIRST = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
SECOND = FIRST + dt.timedelta(days=7)
DAY = dt.timedelta(days=1)


@dataclass
class TwoCrawls:
    site: EditableSite
    first: CrawlRun
    second: CrawlRun
    quiet: list[Story]  # edited without a date or a signal, off the first listing page
    announced: Story
    redated: Story  # announced by the news sitemap only
    new: list[Story]
    clutter_only: list[Story]
    alias_target: Story
    alias: str
    old_quiet: Story  # edited, but changed long ago: not due a week later
    ignores_validators: Story
    second_log: list  # the server's log of the second crawl
    third: CrawlRun  # a day after the second, nothing changed
    third_log: list


def _crawl(site: EditableSite, when: dt.datetime, tmp: Path) -> CrawlRun:
    start = f"start_url={site.url}/news/ {site.url}/feed.xml {site.url}/news-sitemap.xml"
    run = crawl_at(when, tmp, [start], "NEWSARCHIVE_REFRESH_WINDOW_HOURS=48")
    assert run.returncode == 0, run.log[-3000:]
    return run


@pytest.fixture(scope="module")
def two_crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoCrawls]:
    room = Newsroom(FIRST)
    fresh = [room.story(f"fresh-{n}", days_old=n * 0.2) for n in range(1, 4)]
    quiet = [room.story("quiet-four-days", 4), room.story("quiet-ten-days", 10), room.story("quiet-three-weeks", 21)]
    announced = room.story("announced-nine-days", 9)
    clutter_only = [room.story("clutter-six-days", 6), room.story("clutter-two-weeks", 14)]
    target = room.story("renamed-eight-days", 8)
    old_quiet = room.story("quiet-two-hundred-days", 200)
    # Changed long ago too, but its update is dated in the news sitemap: a signal, like a feed's date.
    redated = room.story("redated-three-hundred-days", 300)
    stubborn = room.story("ignores-validators", 5)
    unchanged = [room.story("unchanged-eleven-days", 11), room.story("unchanged-a-month", 27)]
    tmp = tmp_path_factory.mktemp("edit-tracking")
    with EditableSite(room.stories) as site:
        alias = "/2026/02/old-slug-of-the-renamed-story/"
        site.redirects[alias] = target.slug
        site.listing_extra = [alias]
        site.ignore_validators.add(stubborn.slug)
        first = _crawl(site, FIRST, tmp)
        site.clear_log()
        # A week of news: quiet edits, an announced one, rotating clutter, new stories.
        site.edit(
            quiet[0].slug,
            paragraphs=(*quiet[0].paragraphs[:2], "A corrected figure: 41 people, not 14.", *quiet[0].paragraphs[3:]),
        )
        site.edit(quiet[1].slug, title="A softened headline about the council")
        site.edit(quiet[2].slug, paragraphs=quiet[2].paragraphs[:-1])
        site.edit(old_quiet.slug, paragraphs=old_quiet.paragraphs[1:])
        site.edit(redated.slug, paragraphs=(*redated.paragraphs, "Update: a court has ruled."), modified=FIRST + DAY)
        site.edit(
            announced.slug,
            paragraphs=(*announced.paragraphs, "Update: the council has since reversed its decision."),
            modified=FIRST + 3 * DAY,
        )
        for story in clutter_only:
            site.edit(story.slug, clutter=3)
        new = [room.story(f"new-{n}", days_old=-6 - n * 0.1) for n in range(1, 3)]
        for story in new:
            site.add(story)
        second = _crawl(site, SECOND, tmp)
        second_log = list(site.log)
        site.clear_log()
        third = _crawl(site, SECOND + DAY, tmp)
        yield TwoCrawls(
            site,
            first,
            second,
            quiet,
            announced,
            redated,
            new,
            clutter_only,
            target,
            alias,
            old_quiet,
            stubborn,
            second_log,
            third,
            list(site.log),
        )
    assert unchanged and fresh


def _versions(run: CrawlRun) -> dict[str, list[tuple[int, str | None]]]:
    with sqlite3.connect(run.database_url.removeprefix("sqlite:///")) as db:
        rows = db.execute(
            "SELECT a.url, v.number, v.changes FROM article_versions v JOIN articles a ON a.id = v.article_id"
            " ORDER BY a.url, v.number"
        ).fetchall()
    found: dict[str, list[tuple[int, str | None]]] = {}
    for url, number, changes in rows:
        found.setdefault(url.split("/", 3)[3].rstrip("/").rsplit("/", 1)[-1], []).append((number, changes))
    return found


def _full(crawls: TwoCrawls, story: Story) -> int:
    return sum(1 for h in crawls.second_log if h.path == story.path and h.status == 200)


def test_every_quiet_edit_within_the_schedule_is_found(two_crawls: TwoCrawls) -> None:
    versions = _versions(two_crawls.second)
    for story in two_crawls.quiet:
        assert [n for n, _ in versions[story.slug]] == [1, 2], story.slug
    title = json.loads(versions["quiet-ten-days"][1][1] or "{}")
    assert title["title"] is True and title["words_added"] == title["words_removed"] == 0
    removed = json.loads(versions["quiet-three-weeks"][1][1] or "{}")
    assert removed["words_removed"] > 10 and removed["words_added"] == 0 and removed["title"] is False


def test_the_announced_edit_and_the_new_stories_are_found(two_crawls: TwoCrawls) -> None:
    versions = _versions(two_crawls.second)
    announced = json.loads(versions[two_crawls.announced.slug][1][1] or "{}")
    assert announced["dates"] is True and announced["words_added"] > 5
    for story in two_crawls.new:
        assert [n for n, _ in versions[story.slug]] == [1]
    # Not due by the schedule (it changed 300 days ago), but the Google News sitemap dates its update.
    assert [n for n, _ in versions[two_crawls.redated.slug]] == [1, 2]


def test_no_version_from_clutter(two_crawls: TwoCrawls) -> None:
    versions = _versions(two_crawls.second)
    for story in two_crawls.clutter_only:
        assert _full(two_crawls, story) == 1  # its bytes changed: downloaded, and seen to be the same story
        assert [n for n, _ in versions[story.slug]] == [1], story.slug


def test_no_unchanged_page_downloaded_in_full(two_crawls: TwoCrawls) -> None:
    edited = [*two_crawls.quiet, two_crawls.announced, two_crawls.redated]
    changed = {s.path for s in [*edited, *two_crawls.new, *two_crawls.clutter_only]}
    changed.add(two_crawls.ignores_validators.path)  # a server that ignores validators: full, but a revisit
    articles = [h for h in two_crawls.second_log if h.path.startswith("/2026/")]
    full = {h.path for h in articles if h.status == 200}
    assert full <= changed, full - changed
    unchanged = [h for h in articles if h.path not in changed and h.status != 301]
    assert unchanged and all(h.status == 304 and h.conditional for h in unchanged)


def test_the_alias_target_is_not_downloaded_in_full(two_crawls: TwoCrawls) -> None:
    with sqlite3.connect(two_crawls.second.database_url.removeprefix("sqlite:///")) as db:
        aliases = db.execute("SELECT alias, target FROM url_aliases").fetchall()
    assert aliases == [(two_crawls.site.url + two_crawls.alias, two_crawls.site.url + two_crawls.alias_target.path)]
    assert [h.status for h in two_crawls.site.hits(two_crawls.alias)] == []  # the second crawl asked for the target
    target = [h for h in two_crawls.second_log if h.path == two_crawls.alias_target.path]
    assert target and all(h.status == 304 for h in target)


def test_a_day_without_news_costs_304s_only(two_crawls: TwoCrawls) -> None:
    """Listings and feeds are asked for with their validators too: an unchanged listing is a 304,
    whose pagination is not followed; what the schedule says is due is re-checked, conditionally."""
    hits = [h for h in two_crawls.third_log if h.path != "/robots.txt"]
    assert {h.path for h in hits} >= {"/news/", "/feed.xml", "/news-sitemap.xml", *(s.path for s in two_crawls.quiet)}
    assert all(h.status == 304 and h.conditional for h in hits), [h for h in hits if h.status != 304]
    assert not [h for h in hits if h.path.startswith("/news/page/")]


def test_a_story_that_changed_long_ago_waits_for_its_turn(two_crawls: TwoCrawls) -> None:
    assert not [h for h in two_crawls.second_log if h.path == two_crawls.old_quiet.path]
    assert [n for n, _ in _versions(two_crawls.second)[two_crawls.old_quiet.slug]] == [1]


def test_a_server_that_ignores_validators_costs_a_revisit_record_not_a_version(two_crawls: TwoCrawls) -> None:
    story = two_crawls.ignores_validators
    assert _full(two_crawls, story) == 1
    assert [n for n, _ in _versions(two_crawls.second)[story.slug]] == [1]
    types = []
    for path in sorted(two_crawls.second.warc_dir.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                uri = record.rec_headers.get_header("WARC-Target-URI", "")
                if uri.endswith(story.path) and record.rec_type in ("response", "revisit"):
                    types.append(record.rec_type)
    assert types == ["response", "revisit"]


def test_runs_and_changes_show_the_edits(two_crawls: TwoCrawls) -> None:
    db = ["--db", two_crawls.second.database_url]
    runs = [json.loads(line) for line in newsarchive("runs", "--format", "jsonl", *db).stdout.splitlines()]
    third, second, first = runs[0], runs[1], runs[2]
    assert first["edits_found"] == 0 and second["edits_found"] == 5
    new = {s.path for s in two_crawls.new}

    def rechecked(log: list, new: set[str]) -> set[str]:
        return {h.path for h in log if h.path.startswith("/20") and h.path not in new and h.status != 301}

    assert second["rechecks_sent"] == len(rechecked(two_crawls.second_log, new)) and second["rechecks_deferred"] == 0
    assert third["edits_found"] == 0 and third["rechecks_sent"] == len(rechecked(two_crawls.third_log, set())) > 0
    assert third["not_modified"] == sum(1 for h in two_crawls.third_log if h.status == 304)
    since = (SECOND - DAY).date().isoformat()
    edits = [
        json.loads(line)
        for line in newsarchive("changes", "--since", since, "--format", "jsonl", *db).stdout.splitlines()
    ]
    slugs = {*(s.slug for s in two_crawls.quiet), two_crawls.announced.slug, two_crawls.redated.slug}
    assert {e["url"].split("/")[-2] for e in edits} == slugs
    corrected = next(e for e in edits if "quiet-four-days" in e["url"])
    assert "{+A corrected figure: 41 people, not 14.+}" in corrected["diff"] and "[-Paragraph 3" in corrected["diff"]
    text = newsarchive("changes", "--since", since, "--site", "127.0.0.1", *db).stdout
    assert "title changed" in text and "A softened headline" in text


# -- the schedule, pure ---------------------------------------------------------------------------
SCHEDULE = RecheckSchedule(tiers=parse_tiers("1d:1h, 7d:6h, 30d:2d, 365d:21d"), max_age=365 * DAY, budget=3)
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def test_the_interval_grows_with_the_time_since_the_last_change() -> None:
    intervals = [SCHEDULE.interval(age) for age in (parse_span("2h"), 3 * DAY, 20 * DAY, 200 * DAY)]
    assert intervals == [parse_span("1h"), parse_span("6h"), 2 * DAY, 21 * DAY]
    assert SCHEDULE.interval(400 * DAY) is None


def test_due_when_the_last_check_is_older_than_the_interval() -> None:
    checked = NOW - 3 * DAY
    assert SCHEDULE.is_due(Candidate("a", checked, checked - 10 * DAY), NOW)  # every 2 days
    assert not SCHEDULE.is_due(Candidate("b", checked, checked - 100 * DAY), NOW)  # every 21 days
    # A story first captured long after its publication did not "just change".
    assert not SCHEDULE.is_due(Candidate("c", NOW - DAY, NOW - 100 * DAY), NOW)
    # Beyond the maximum age: only refresh=all.
    assert not SCHEDULE.is_due(Candidate("d", NOW - 300 * DAY, NOW - 380 * DAY), NOW)


def test_the_budget_takes_the_most_overdue_and_counts_the_rest() -> None:
    candidates = [Candidate(f"u{n}", NOW - n * DAY, NOW - (n + 10) * DAY) for n in range(2, 8)]
    due = SCHEDULE.due(candidates, NOW)
    assert due.urls == ["u7", "u6", "u5"] and due.deferred == 3
    # Next run (a day later, the three checked): what the budget left comes first.
    later = [c if c.url not in due.urls else Candidate(c.url, NOW, c.changed_at) for c in candidates]
    assert SCHEDULE.due(later, NOW + DAY).urls == ["u4", "u3", "u2"]


def test_a_site_overrides_the_schedule() -> None:
    site = SCHEDULE.override("30d:1d", 60, 0)
    assert site.interval(20 * DAY) == DAY and site.interval(70 * DAY) is None and site.budget == 0


def test_bad_schedules_are_named() -> None:
    with pytest.raises(ValueError, match="UNDER:EVERY"):
        parse_tiers("7d")
    with pytest.raises(ValueError, match="time span"):
        parse_tiers("7 days:1h")


def test_a_site_profile_sets_its_schedule(tmp_path: Path) -> None:
    sites = tmp_path / "sites.toml"
    sites.write_text(
        '[sites.slow]\nlistings = ["https://slow.example/news/"]\n'
        'recheck_schedule = "30d:3d"\nrecheck_max_age_days = 90\nrecheck_budget = 100\n'
    )
    profile = load_profiles(sites)["slow"]
    site = SCHEDULE.override(profile.recheck_schedule, profile.recheck_max_age_days, profile.recheck_budget)
    assert site.interval(10 * DAY) == 3 * DAY and site.max_age == 90 * DAY and site.budget == 100
    sites.write_text('[sites.slow]\nlistings = ["https://slow.example/news/"]\nrecheck_schedule = "often"\n')
    with pytest.raises(ProfileError, match="recheck_schedule"):
        load_profiles(sites)


def test_changes_explains_a_bad_since_in_one_line(two_crawls: TwoCrawls) -> None:
    done = newsarchive("changes", "--since", "last tuesday", "--db", two_crawls.second.database_url)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "1d, 12h, 2w" in done.stderr


def test_aliases_on_every_backend(archive_db: ArchiveDB) -> None:
    """A redirect chain stored as captures (http→https, then a new slug) resolves to the archived
    article on SQLite and PostgreSQL alike; storing it again changes nothing."""
    url, sessions, articles = archive_db
    target = next(iter(articles.values()))
    hop = target.replace("http://", "https://", 1) if target.startswith("http://") else target + "?hop"
    old = "http://old.example/story-under-its-old-slug/"
    chain = [
        (replace(capture(old, SECOND, 900_001), status=301, redirect_to=hop), None),
        (replace(capture(hop, SECOND, 900_002), status=301, redirect_to=target), None),
    ]
    for _ in range(2):
        store_batch(sessions, chain)
    index = ArchiveIndex.from_url(url)
    try:
        found = index.lookup([old, hop])
    finally:
        index.close()
    assert found[old].url == found[hop].url == target


def test_a_listing_read_by_a_killed_run_is_asked_for_in_full(archive_db: ArchiveDB) -> None:
    """A 304 listing means "nothing new" only when the run that last read it in full finished:
    a run killed after reading it may not have followed its links."""
    url, sessions, _ = archive_db
    listings = {name: f"http://listings.example/{name}/" for name in ("finished", "killed", "unrecorded")}
    with sessions.begin() as session:
        for status, start in (("finished", FIRST), ("running", SECOND)):
            session.add(
                models.CrawlRun(
                    site="listings.example", spider="newsfeed", spider_args="{}", status=status,
                    started_at=start, updated_at=start + dt.timedelta(minutes=5),
                    ended_at=start + dt.timedelta(minutes=10) if status == "finished" else None,
                )
            )  # fmt: skip
    minute = dt.timedelta(minutes=1)
    times = {"finished": FIRST + minute, "killed": SECOND + minute, "unrecorded": SECOND + DAY}
    store_batch(sessions, [(capture(listings[n], times[n], 800_000 + i), None) for i, n in enumerate(listings)])
    index = ArchiveIndex.from_url(url)
    try:
        assert index.read_in_finished_runs(listings.values()) == {listings["finished"]}
    finally:
        index.close()
