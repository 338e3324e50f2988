"""Site profiles: the shipped sites.toml, each profile crawled on a local fixture shaped like its site.

The fixtures (tests/fixtures/sites/NAME/) are small static copies of each site's structure: its
listings, feeds and sitemaps, a few articles, and a page the profile's article patterns must leave
out. A tiny static server serves them on 127.0.0.1 and rewrites the real hosts in what it serves
to itself; the test rewrites the same hosts in sites.toml, so the profile is crawled as shipped.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from archive import models
from archive.db import open_database
from archive.profiles import ProfileError, load_profiles, parse_profiles, select_profiles
from tests.support.cli import ROOT, newsarchive
from tests.support.crawls import CrawlRun, newsfeed_crawl

FIXTURES = ROOT / "tests" / "fixtures" / "sites"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
SITES = ("kyivindependent", "apnews", "bbc", "guardian")
_TYPES = {".xml": "application/xml; charset=utf-8", ".html": "text/html; charset=utf-8"}


class StaticSite:
    """Serves tests/fixtures/sites/NAME/ on 127.0.0.1, every real origin of the site rewritten to
    this server. ``/a/b/`` is ``a/b/index.html`` (or ``index.xml``), ``/a/b`` is ``a/b``,
    ``a/b.html`` or ``a/b.xml``; anything else is a 404."""

    def __init__(self, name: str, origins: list[str]) -> None:
        self.root = FIXTURES / name
        self.origins = origins
        self.requests: list[tuple[str, dict[str, str]]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                site.requests.append((self.path, dict(self.headers.items())))
                found = site.resolve(urlsplit(self.path).path)
                if found is None:
                    self.send_response(404)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", "9")
                    self.end_headers()
                    self.wfile.write(b"not found")
                    return
                body = found.read_text(encoding="utf-8")
                for origin in site.origins:
                    body = body.replace(origin, site.url)
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", _TYPES.get(found.suffix, "text/html; charset=utf-8"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def resolve(self, path: str) -> Path | None:
        relative = path.lstrip("/")
        names = [relative + "index.html", relative + "index.xml"] if path.endswith("/") else [relative]
        names += [relative + ".html", relative + ".xml"] if not path.endswith("/") else []
        for name in names:
            candidate = (self.root / name).resolve()
            if candidate.is_file() and self.root.resolve() in candidate.parents:
                return candidate
        return None

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]


def _origins(name: str) -> list[str]:
    profile = load_profiles(ROOT / "sites.toml")[name]
    return sorted({f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in profile.start_urls}, key=len, reverse=True)


@pytest.fixture(scope="module")
def fixture_sites() -> Iterator[dict[str, StaticSite]]:
    sites = {name: StaticSite(name, _origins(name)) for name in SITES}
    for site in sites.values():
        site.thread.start()
    yield sites
    for site in sites.values():
        site.server.shutdown()
        site.server.server_close()


def _rewritten_sites_file(tmp: Path, sites: dict[str, StaticSite]) -> Path:
    text = (ROOT / "sites.toml").read_text(encoding="utf-8")
    for site in sites.values():
        for origin in site.origins:
            text = text.replace(origin, site.url)
    path = tmp / "sites.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _local(url: str, sites: dict[str, StaticSite]) -> str:
    for site in sites.values():
        for origin in site.origins:
            if url.startswith(origin):
                return site.url + url[len(origin) :]
    return url


@pytest.fixture(scope="module")
def all_sites_crawl(fixture_sites: dict[str, StaticSite], tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    tmp = tmp_path_factory.mktemp("profiles")
    sites_file = _rewritten_sites_file(tmp, fixture_sites)
    run = newsfeed_crawl(tmp, ["site=all"], f"NEWSARCHIVE_SITES_FILE={sites_file}")
    assert run.returncode == 0, run.log[-3000:]
    return run


# -- the shipped file ---------------------------------------------------------------------------
def test_shipped_sites_file_has_the_kyiv_independent_and_three_more() -> None:
    profiles = load_profiles(ROOT / "sites.toml")
    assert set(SITES) <= set(profiles)
    kyiv = profiles["kyivindependent"]
    assert "https://kyivindependent.com/news-feed/" in kyiv.listings
    assert "https://kyivindependent.com/news-feed/rss/" in kyiv.feeds
    assert kyiv.sitemaps and kyiv.schedule
    for profile in profiles.values():
        assert profile.start_urls and profile.article_patterns, profile.name
    # patterns judge paths, never hosts
    assert kyiv.allows_article("http://127.0.0.1:8000/zelensky-signs-law-lowering-mobilization-age/")
    assert not kyiv.allows_article("https://kyivindependent.com/tag/ukraine/")
    assert not profiles["guardian"].allows_article("https://www.theguardian.com/world/live/2024/mar/22/x-y-z")
    assert profiles["guardian"].allows_article("https://www.theguardian.com/world/2024/mar/22/x-y-z")
    hints = profiles["guardian"].hints
    assert hints is not None and hints.body_xpath and "article-body-commercial-selector" in hints.body_xpath


def test_bad_profiles_are_refused_with_the_reason() -> None:
    cases = [
        ({"sites": {}}, "no [sites.NAME]"),
        ({"sites": {"x": {"title": "X"}}}, "needs at least one"),
        ({"sites": {"x": {"feeds": ["ftp://x/"]}}}, "not an http(s) URL"),
        ({"sites": {"x": {"feeds": ["https://x.example/rss"], "article_patterns": ["("]}}}, "bad article pattern"),
        ({"sites": {"x": {"feeds": ["https://x.example/rss"], "colour": "red"}}}, "unknown keys"),
        ({"sites": {"X Y": {"feeds": ["https://x.example/rss"]}}}, "site names"),
        ({"sites": {"x": {"feeds": ["https://x.example/rss"], "max_listing_pages": 0}}}, "at least 1"),
        ({"sites": {"x": {"feeds": ["https://x.example/rss"], "extraction": {"body_css": "[["}}}}, "CSS"),
        ({"sites": {"x": {"feeds": ["https://x.example/rss"], "render": "yes"}}}, "render must be true or false"),
    ]
    for data, message in cases:
        with pytest.raises(ProfileError, match=re.escape(message)):
            parse_profiles(data)
    profiles = parse_profiles({"sites": {"a": {"feeds": ["https://a.example/rss"]}}})
    with pytest.raises(ProfileError, match="unknown site nope; known: a, or all"):
        select_profiles(profiles, "nope")
    assert [p.name for p in select_profiles(profiles, "all")] == ["a"]


def test_render_is_off_unless_a_profile_asks_for_it() -> None:
    profiles = parse_profiles(
        {
            "sites": {
                "a": {"feeds": ["https://a.example/rss"]},
                "b": {"feeds": ["https://b.example/rss"], "render": True},
            }
        }
    )
    assert (profiles["a"].render, profiles["b"].render) == (False, True)


def test_unknown_site_stops_the_crawl_with_a_clear_message(tmp_path: Path) -> None:
    run = newsfeed_crawl(tmp_path, ["site=no-such-site"])
    assert run.returncode != 0
    assert "unknown site no-such-site" in run.log


# -- each profile on its fixture -------------------------------------------------------------------
@pytest.mark.parametrize("name", SITES)
def test_profile_finds_exactly_the_sites_articles(
    name: str, all_sites_crawl: CrawlRun, fixture_sites: dict[str, StaticSite]
) -> None:
    sessions = open_database(all_sites_crawl.database_url, create=False)
    site = fixture_sites[name]
    with sessions() as session:
        stored = {
            a.url: a.current_version.title if a.current_version else None
            for a in session.scalars(select(models.Article).where(models.Article.url.startswith(site.url + "/")))
        }
    expected = {_local(u, fixture_sites): EXPECTED["titles"][u] for u in EXPECTED["articles"][name]}
    assert stored == expected
    excluded = EXPECTED["excluded"].get(name)
    if excluded:
        assert excluded not in site.paths()  # linked from a listing and a sitemap, left out by the pattern


def test_kyiv_independent_uses_listing_pagination_rss_and_sitemaps(
    all_sites_crawl: CrawlRun, fixture_sites: dict[str, StaticSite]
) -> None:
    paths = fixture_sites["kyivindependent"].paths()
    for path in ("/news-feed/", "/news-feed/page/2/", "/news-feed/rss/", "/sitemap.xml", "/sitemap-posts.xml"):
        assert path in paths
    # the last article is only in the posts sitemap; the tag sitemap lists no articles
    assert "/drone-attack-on-odesa-injures-eight/" in paths
    assert not any(p.startswith("/tag/") for p in paths)
    # BBC's feed links carry tracking parameters: the article is fetched once, without them
    bbc = fixture_sites["bbc"].paths()
    assert bbc.count("/news/articles/c4nl0k8ylk9o") == 1
    assert not any("at_medium" in p for p in bbc)


def test_one_site_by_name(fixture_sites: dict[str, StaticSite], tmp_path: Path) -> None:
    sites_file = _rewritten_sites_file(tmp_path, fixture_sites)
    before = {name: len(site.requests) for name, site in fixture_sites.items()}
    run = newsfeed_crawl(tmp_path, ["site=guardian"], f"NEWSARCHIVE_SITES_FILE={sites_file}")
    assert run.returncode == 0, run.log[-3000:]
    assert len(fixture_sites["guardian"].requests) > before["guardian"]
    assert all(len(fixture_sites[n].requests) == before[n] for n in SITES if n != "guardian")
    sessions = open_database(run.database_url, create=False)
    with sessions() as session:
        runs = session.scalars(select(models.CrawlRun)).all()
        assert [(r.site, r.status) for r in runs] == [("guardian", "finished")]
        assert json.loads(runs[0].spider_args) == {"site": "guardian"}
        assert runs[0].articles_new == 3 and runs[0].pages_fetched >= 6


def test_cli_crawl_by_site_name(fixture_sites: dict[str, StaticSite], tmp_path: Path) -> None:
    sites_file = _rewritten_sites_file(tmp_path, fixture_sites)
    env = {"NEWSARCHIVE_SITES_FILE": str(sites_file)}
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    common = ["--db", db, "--warc-dir", str(tmp_path / "warc")]
    common += ["--set", "AUTOTHROTTLE_ENABLED=False", "--set", "NEWSARCHIVE_EXTRACT_WORKERS=1"]
    typo = newsarchive("crawl", "--site", "gaurdian", *common, env=env)
    assert typo.returncode == 2
    assert typo.stderr.strip().splitlines() == [
        "newsarchive: error: unknown site gaurdian; known: apnews, bbc, guardian, kyivindependent, or all"
    ]
    both = newsarchive("crawl", "--site", "guardian", "https://example.com/", *common, env=env)
    assert both.returncode == 2 and "one of the two" in both.stderr
    done = newsarchive("crawl", "--site", "guardian", *common, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    with open_database(db, create=False)() as session:
        runs = session.scalars(select(models.CrawlRun)).all()
        assert [(r.site, r.status, r.articles_new) for r in runs] == [("guardian", "finished", 3)]
