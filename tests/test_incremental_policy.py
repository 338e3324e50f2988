"""The incremental decision (crawler/incremental.py) without a crawl: every branch of decide()."""

from __future__ import annotations

import datetime as dt

import pytest

from archive.crawl import project_settings
from crawler.archive_index import Known
from crawler.incremental import SKIP, Decision, IncrementalPolicy, RecheckSchedule, refresh_all

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def policy(**changes: object) -> IncrementalPolicy:
    values: dict[str, object] = {
        "enabled": True,
        "refresh_all": False,
        "refresh_window": 48 * HOUR,
        "conditional": True,
    }
    values.update(changes)
    return IncrementalPolicy(**values)  # type: ignore[arg-type]


def known(
    *,
    checked: dt.datetime = NOW - 10 * HOUR,
    born: dt.datetime | None = NOW - 100 * HOUR,
    etag: str | None = '"v1"',
    last_modified: str | None = "Sat, 31 May 2025 00:00:00 GMT",
    removed: bool = False,
) -> Known:
    return Known("https://example.com/a", checked, etag, last_modified, born, removed)


VALIDATORS = {"If-None-Match": '"v1"', "If-Modified-Since": "Sat, 31 May 2025 00:00:00 GMT"}


# -- decide ---------------------------------------------------------------------------------------
def test_an_article_not_in_the_archive_is_new_and_fetched_unconditionally() -> None:
    decision = policy().decide(None, None, NOW)
    assert decision == Decision(fetch=True, reason="new", something_new=True, headers={})
    assert policy().decide(None, NOW, NOW).reason == "new"  # a listed date changes nothing


def test_a_date_after_the_last_check_is_changed_and_something_new() -> None:
    decision = policy().decide(known(), NOW - 5 * HOUR, NOW)
    assert decision == Decision(fetch=True, reason="changed", something_new=True, headers=VALIDATORS)


@pytest.mark.parametrize("listed", [NOW - 10 * HOUR, NOW - 20 * HOUR, None])
def test_a_date_at_or_before_the_last_check_is_not_a_change(listed: dt.datetime | None) -> None:
    assert policy().decide(known(), listed, NOW) is SKIP


def test_refresh_all_fetches_every_archived_article_conditionally_but_it_is_nothing_new() -> None:
    decision = policy(refresh_all=True).decide(known(), None, NOW)
    assert decision == Decision(fetch=True, reason="refresh", something_new=False, headers=VALIDATORS)


def test_changed_beats_refresh_all() -> None:
    decision = policy(refresh_all=True).decide(known(), NOW, NOW)
    assert decision.reason == "changed" and decision.something_new


def test_a_removed_article_is_neither_refreshed_nor_fresh() -> None:
    gone = known(born=NOW - HOUR, removed=True)
    assert policy(refresh_all=True).decide(gone, None, NOW) is SKIP
    assert policy().decide(gone, None, NOW) is SKIP


def test_a_removed_article_a_feed_dates_after_its_removal_is_fetched_again() -> None:
    decision = policy().decide(known(removed=True), NOW - HOUR, NOW)
    assert decision.fetch and decision.reason == "changed"


def test_an_article_younger_than_the_window_is_fresh_and_nothing_new() -> None:
    decision = policy().decide(known(born=NOW - 47 * HOUR), None, NOW)
    assert decision == Decision(fetch=True, reason="fresh", something_new=False, headers=VALIDATORS)


@pytest.mark.parametrize("born", [NOW - 48 * HOUR, NOW - 49 * HOUR, None])
def test_an_article_at_or_past_the_window_or_of_unknown_age_is_skipped(born: dt.datetime | None) -> None:
    assert policy().decide(known(born=born), None, NOW) is SKIP


def test_window_0_turns_fresh_rechecks_off() -> None:
    settings = project_settings({"NEWSARCHIVE_REFRESH_WINDOW_HOURS": 0})
    off = IncrementalPolicy.from_settings(settings)
    assert off.refresh_window is None
    assert off.decide(known(born=NOW - HOUR), None, NOW) is SKIP
    assert not off.rechecks
    assert IncrementalPolicy.from_settings(settings, "all").rechecks  # refresh=all still re-checks


def test_conditional_off_sends_no_validators() -> None:
    decision = policy(conditional=False).decide(known(), NOW, NOW)
    assert decision.fetch and decision.headers == {}
    assert policy(conditional=False).recheck(known()).headers == {}


@pytest.mark.parametrize(
    ("etag", "last_modified", "headers"),
    [
        ('"v1"', None, {"If-None-Match": '"v1"'}),
        (None, "Sat, 31 May 2025 00:00:00 GMT", {"If-Modified-Since": "Sat, 31 May 2025 00:00:00 GMT"}),
        ('"v1"', "Sat, 31 May 2025 00:00:00 GMT", VALIDATORS),
        (None, None, {}),
        ("", "", {}),
    ],
)
def test_validators_become_conditional_headers(
    etag: str | None, last_modified: str | None, headers: dict[str, str]
) -> None:
    previous = known(etag=etag, last_modified=last_modified)
    assert policy().decide(previous, NOW, NOW).headers == headers
    assert policy().headers(previous) == headers
    assert policy().headers(None) == {}


# -- re-checks of archived articles at the start of a run --------------------------------------------
def test_rechecks_of_fresh_articles_start_at_the_window() -> None:
    fresh = policy()
    assert fresh.rechecks and fresh.recheck_since(NOW) == NOW - 48 * HOUR
    assert fresh.recheck(known()) == Decision(fetch=True, reason="fresh", something_new=False, headers=VALIDATORS)
    assert fresh.recheck(None) == Decision(fetch=True, reason="fresh", something_new=False, headers={})


def test_refresh_all_rechecks_every_archived_article() -> None:
    everything = policy(refresh_all=True)
    assert everything.rechecks and everything.recheck_since(NOW) is None
    assert everything.recheck(known()).reason == "refresh"


def test_no_rechecks_when_not_incremental() -> None:
    assert not policy(enabled=False).rechecks
    assert not policy(enabled=False, refresh_all=True).rechecks


# -- built from the settings and the spider's refresh argument --------------------------------------
def test_from_the_project_settings() -> None:
    built = IncrementalPolicy.from_settings(project_settings())
    schedule = RecheckSchedule(
        tiers=(
            (24 * HOUR, HOUR),
            (7 * 24 * HOUR, 6 * HOUR),
            (30 * 24 * HOUR, 48 * HOUR),
            (365 * 24 * HOUR, 21 * 24 * HOUR),
        ),
        max_age=365 * 24 * HOUR,
        budget=5000,
    )
    assert built == IncrementalPolicy(
        enabled=True, refresh_all=False, refresh_window=48 * HOUR, conditional=True, schedule=schedule
    )
    overridden = project_settings(
        {
            "NEWSARCHIVE_RECHECKS": False,
            "NEWSARCHIVE_INCREMENTAL": False,
            "NEWSARCHIVE_REFRESH_WINDOW_HOURS": 1.5,
            "NEWSARCHIVE_CONDITIONAL_REQUESTS": False,
        }
    )
    assert IncrementalPolicy.from_settings(overridden, "all") == IncrementalPolicy(
        enabled=False, refresh_all=True, refresh_window=1.5 * HOUR, conditional=False
    )


def test_the_policy_is_frozen() -> None:
    with pytest.raises(AttributeError):
        policy().refresh_all = True  # type: ignore[misc]


@pytest.mark.parametrize(("value", "expected"), [(None, False), ("", False), ("none", False), ("all", True)])
def test_refresh_argument(value: str | None, expected: bool) -> None:
    assert refresh_all(value) is expected
    assert IncrementalPolicy.from_settings(project_settings(), value).refresh_all is expected


def test_a_bad_refresh_argument_is_an_error() -> None:
    with pytest.raises(ValueError, match="refresh= takes 'all'"):
        refresh_all("yes")
