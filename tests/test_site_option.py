"""``--site`` means one thing in every command: a profile name (its hosts) or a host, subdomains
and ``www.`` included."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from archive.sites import SiteSelector, UnknownSite, resolve_site
from tests.support.cli import newsarchive

SITES = """
[sites.daily]
listings = ["https://www.daily.example/news/"]
feeds = ["https://feeds.dailycdn.example/rss"]
"""


@pytest.fixture
def sites_file(tmp_path: Path) -> Path:
    path = tmp_path / "sites.toml"
    path.write_text(SITES)
    return path


def test_a_profile_name_stands_for_its_hosts(sites_file: Path) -> None:
    site = resolve_site("daily", str(sites_file))
    assert site.profile == "daily" and site.hosts == {"daily.example", "feeds.dailycdn.example"}
    assert site.matches_url("https://www.daily.example/a") and site.matches_url("https://m.daily.example/a")
    assert site.matches_url("https://feeds.dailycdn.example/rss")
    assert not site.matches_url("https://notdaily.example/a")
    assert site.matches_run("daily") and site.matches_run("other,daily") and site.matches_run("daily.example")
    assert not site.matches_run("dailyish")


def test_a_host_matches_itself_and_its_subdomains_without_www(sites_file: Path) -> None:
    for spec in ("example.com", "www.example.com", "EXAMPLE.com", "https://example.com/"):
        site = resolve_site(spec, str(sites_file))
        assert site.hosts == {"example.com"} and site.profile is None
        assert site.matches_url("http://www.example.com/x") and site.matches_url("http://news.example.com/x")
        assert not site.matches_url("http://badexample.com/x")


def test_a_spec_that_is_neither_is_refused(sites_file: Path) -> None:
    with pytest.raises(UnknownSite):
        resolve_site("not a host/at all", str(sites_file))


def test_sql_condition_escapes_like_wildcards() -> None:
    rows = ["a_b.example", "axb.example", "news.a_b.example", "zzz.example"]
    site = SiteSelector("a_b.example", frozenset({"a_b.example"}))
    with sqlite3.connect(":memory:") as db:
        db.execute("CREATE TABLE sites (host TEXT)")
        db.executemany("INSERT INTO sites VALUES (?)", [(r,) for r in rows])
        from sqlalchemy import column, select, table

        sites = table("sites", column("host"))
        query = select(sites.c.host).where(site.sql(sites.c.host))
        compiled = query.compile(compile_kwargs={"literal_binds": True})
        assert sorted(r[0] for r in db.execute(str(compiled))) == ["a_b.example", "news.a_b.example"]


@pytest.mark.parametrize("command", ["articles", "search", "export", "stats", "runs", "wacz", "reextract"])
def test_every_command_refuses_a_bad_site_in_one_line(command: str, tmp_path: Path) -> None:
    extra = {"search": ["budget"], "wacz": ["-o", str(tmp_path / "x.wacz")]}.get(command, [])
    done = newsarchive(command, *extra, "--site", "not a host/at all", "--db", f"sqlite:///{tmp_path / 'none.db'}")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "neither a site profile nor a host" in done.stderr and "Traceback" not in done.stderr
