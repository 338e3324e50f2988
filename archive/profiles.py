"""Site profiles: which sites to crawl, from where, and how, read from a ``sites.toml``.

One table per site, named by the site's short name (what ``-a site=NAME`` takes)::

    [sites.kyivindependent]
    title = "The Kyiv Independent"
    listings = ["https://kyivindependent.com/news-feed/"]     # HTML listings, paginated
    feeds = ["https://kyivindependent.com/news-feed/rss/"]    # RSS / Atom
    sitemaps = ["https://kyivindependent.com/sitemap.xml"]    # sitemaps or sitemap indexes
    article_patterns = ['^/[a-z0-9]+(-[a-z0-9]+){2,}/$']     # regexes on path?query; none: any
    max_listing_pages = 5          # pagination depth of each listing (default: the crawl setting)
    depth = 3                      # links followed from a start URL at most (default: no limit)
    schedule = "*/15 * * * *"      # a hint for cron / systemd / Scrapyd, not enforced
    recheck_schedule = "1d:1h, 7d:6h, 30d:2d, 365d:21d"  # re-check tiers (NEWSARCHIVE_RECHECK_SCHEDULE)
    recheck_max_age_days = 365     # older changes: only refresh=all (NEWSARCHIVE_RECHECK_MAX_AGE_DAYS)
    recheck_budget = 5000          # scheduled re-checks per run (NEWSARCHIVE_RECHECK_BUDGET)
    render = true                  # pages built by scripts: render them in headless Chromium (default false)

    [sites.kyivindependent.extraction]    # optional hints for archive.extract
    drop_css = [".newsletter-box"]        # or drop_xpath = ["//aside"]
    body_css = ".gh-content"              # or body_xpath = "//article"

Article patterns match the URL's path (with ``?query`` when there is one), never its host, so a
profile works unchanged against a mirror or a local fixture of the site.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archive.config import env_setting
from archive.extract import ExtractionHints

__all__ = [
    "ProfileError",
    "SiteProfile",
    "default_sites_file",
    "load_profiles",
    "profiles_for_hints",
    "select_profiles",
]

SITES_FILE_ENV = "NEWSARCHIVE_SITES_FILE"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_KNOWN_KEYS = frozenset(
    {
        "title",
        "listings",
        "feeds",
        "sitemaps",
        "article_patterns",
        "render",
        "max_listing_pages",
        "depth",
        "schedule",
        "recheck_schedule",
        "recheck_max_age_days",
        "recheck_budget",
        "extraction",
    }
)
_EXTRACTION_KEYS = frozenset({"drop_css", "drop_xpath", "body_css", "body_xpath"})


class ProfileError(ValueError):
    """A sites file that cannot be used; the message names the file and the site."""


@dataclass(frozen=True, slots=True)
class SiteProfile:
    name: str
    title: str
    listings: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    article_patterns: tuple[str, ...] = ()
    hints: ExtractionHints | None = None
    max_listing_pages: int | None = None
    depth: int | None = None
    schedule: str | None = None
    recheck_schedule: str | None = None
    recheck_max_age_days: float | None = None
    recheck_budget: int | None = None
    render: bool = False  # its pages are rendered in headless Chromium (crawler/render.py)
    _compiled: tuple[re.Pattern[str], ...] = field(default=(), repr=False, compare=False)

    @property
    def start_urls(self) -> tuple[str, ...]:
        return (*self.listings, *self.feeds, *self.sitemaps)

    @property
    def hosts(self) -> frozenset[str]:
        """Every host of the profile's start URLs (a feed may live on another host than the site)."""
        return frozenset((urlsplit(u).hostname or "").lower() for u in self.start_urls) - {""}

    def allows_article(self, url: str) -> bool:
        """Whether *url* may be an article of this site (always true without patterns)."""
        if not self._compiled:
            return True
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return any(p.search(target) for p in self._compiled)


def default_sites_file() -> Path:
    """$NEWSARCHIVE_SITES_FILE, else ``sites.toml`` in the working directory, else the one shipped
    at the root of a source checkout."""
    explicit = env_setting(SITES_FILE_ENV)
    if explicit:
        return Path(explicit)
    here = Path("sites.toml")
    if here.is_file():
        return here
    return Path(__file__).resolve().parent.parent / "sites.toml"


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ProfileError(f"{where}: {key} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _positive(value: Any, where: str, key: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ProfileError(f"{where}: {key} must be a whole number of at least 1")
    return value


def _css_to_xpath(css: str, where: str) -> str:
    from cssselect import GenericTranslator, SelectorError

    try:
        return GenericTranslator().css_to_xpath(css)
    except SelectorError as exc:
        raise ProfileError(f"{where}: not a CSS selector: {css!r} ({exc})") from None


def _hints(table: Any, where: str) -> ExtractionHints | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ProfileError(f"{where}: extraction must be a table")
    unknown = set(table) - _EXTRACTION_KEYS
    if unknown:
        raise ProfileError(f"{where}.extraction: unknown keys {sorted(unknown)} (known: {sorted(_EXTRACTION_KEYS)})")
    drop = list(_strings(table.get("drop_xpath", []), where, "drop_xpath"))
    drop += [_css_to_xpath(c, where) for c in _strings(table.get("drop_css", []), where, "drop_css")]
    if "body_xpath" in table and "body_css" in table:
        raise ProfileError(f"{where}.extraction: give body_xpath or body_css, not both")
    body: str | None = None
    if "body_xpath" in table:
        body = _strings(table["body_xpath"], where, "body_xpath")[0]
    elif "body_css" in table:
        body = _css_to_xpath(_strings(table["body_css"], where, "body_css")[0], where)
    if not drop and body is None:
        return None
    return ExtractionHints(drop_xpaths=tuple(drop), body_xpath=body)


def _profile(name: str, table: Any, source: str) -> SiteProfile:
    where = f"{source}: [sites.{name}]"
    if not _NAME.match(name):
        raise ProfileError(f"{where}: site names are lower-case letters, digits, '-' and '_'")
    if not isinstance(table, dict):
        raise ProfileError(f"{where}: must be a table")
    unknown = set(table) - _KNOWN_KEYS
    if unknown:
        raise ProfileError(f"{where}: unknown keys {sorted(unknown)} (known: {sorted(_KNOWN_KEYS)})")
    listings = _strings(table.get("listings", []), where, "listings")
    feeds = _strings(table.get("feeds", []), where, "feeds")
    sitemaps = _strings(table.get("sitemaps", []), where, "sitemaps")
    for url in (*listings, *feeds, *sitemaps):
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise ProfileError(f"{where}: not an http(s) URL: {url!r}")
    if not (listings or feeds or sitemaps):
        raise ProfileError(f"{where}: needs at least one of listings, feeds, sitemaps")
    patterns = _strings(table.get("article_patterns", []), where, "article_patterns")
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise ProfileError(f"{where}: bad article pattern {pattern!r}: {exc}") from None
    schedule = table.get("schedule")
    if schedule is not None and not isinstance(schedule, str):
        raise ProfileError(f"{where}: schedule must be a string")
    recheck_schedule = table.get("recheck_schedule")
    if recheck_schedule is not None:
        from crawler.incremental import parse_tiers

        try:
            parse_tiers(recheck_schedule if isinstance(recheck_schedule, str) else "")
        except ValueError as exc:
            raise ProfileError(f"{where}: recheck_schedule: {exc}") from None
    max_age = table.get("recheck_max_age_days")
    if max_age is not None and (isinstance(max_age, bool) or not isinstance(max_age, int | float) or max_age < 0):
        raise ProfileError(f"{where}: recheck_max_age_days must be a number of days, 0 or more")
    budget = table.get("recheck_budget")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 0):
        raise ProfileError(f"{where}: recheck_budget must be a whole number, 0 or more")
    render = table.get("render", False)
    if not isinstance(render, bool):
        raise ProfileError(f"{where}: render must be true or false")
    title = table.get("title", name)
    if not isinstance(title, str):
        raise ProfileError(f"{where}: title must be a string")
    return SiteProfile(
        name=name,
        title=title,
        listings=listings,
        feeds=feeds,
        sitemaps=sitemaps,
        article_patterns=patterns,
        hints=_hints(table.get("extraction"), where),
        max_listing_pages=_positive(table.get("max_listing_pages"), where, "max_listing_pages"),
        depth=_positive(table.get("depth"), where, "depth"),
        schedule=schedule,
        recheck_schedule=recheck_schedule,
        recheck_max_age_days=None if max_age is None else float(max_age),
        recheck_budget=budget,
        render=render,
        _compiled=tuple(compiled),
    )


def parse_profiles(data: Mapping[str, Any], source: str = "sites.toml") -> dict[str, SiteProfile]:
    sites = data.get("sites")
    if not isinstance(sites, dict) or not sites:
        raise ProfileError(f"{source}: no [sites.NAME] tables")
    return {name: _profile(name, table, source) for name, table in sites.items()}


def load_profiles(path: str | os.PathLike[str] | None = None) -> dict[str, SiteProfile]:
    """Every profile of the sites file at *path* (default: ``default_sites_file()``), by name."""
    file = Path(path) if path else default_sites_file()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"no sites file at {file} (set NEWSARCHIVE_SITES_FILE)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read {file}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{file}: not valid TOML: {exc}") from None
    return parse_profiles(data, str(file))


def profiles_for_hints(path: str | os.PathLike[str] | None = None) -> dict[str, SiteProfile]:
    """Every profile of the sites file in force, for extraction hints: the file at *path*, else
    ``default_sites_file()``, which may be missing (then no site has hints). The crawl and
    re-extraction both load their hints here."""
    if not path and not default_sites_file().is_file():
        return {}
    return load_profiles(path)


def select_profiles(profiles: Mapping[str, SiteProfile], names: str | Iterable[str]) -> list[SiteProfile]:
    """The profiles *names* asks for: ``all``, one name, or a comma-separated list. A name may also
    be a host of a profile (``--site`` means a profile or a host everywhere, archive/sites.py)."""
    wanted = [n.strip() for n in (names.split(",") if isinstance(names, str) else names) if n.strip()]
    if wanted == ["all"]:
        return list(profiles.values())
    wanted = [_profile_named_or_hosting(profiles, n) for n in wanted]
    missing = [n for n in wanted if n not in profiles]
    if missing or not wanted:
        known = ", ".join(sorted(profiles)) or "none"
        raise ProfileError(f"unknown site {', '.join(missing) or '(empty)'!s}; known: {known}, or all")
    return [profiles[n] for n in dict.fromkeys(wanted)]


def _profile_named_or_hosting(profiles: Mapping[str, SiteProfile], name: str) -> str:
    """*name*, or the name of the one profile whose hosts it is (www. and subdomains as --site)."""
    if name in profiles:
        return name
    from archive.sites import SiteSelector, host_key

    host = host_key(name)
    hosting = [
        p.name for p in profiles.values() if SiteSelector(name, frozenset(map(host_key, p.hosts))).matches_host(host)
    ]
    return hosting[0] if len(hosting) == 1 else name


def profile_for_url(profiles: Mapping[str, SiteProfile], url: str) -> SiteProfile | None:
    """The profile whose start URLs are on *url*'s host (and port: local fixtures of several sites
    differ by port only), or None."""
    netloc = urlsplit(url).netloc.lower().removeprefix("www.")
    for profile in profiles.values():
        if netloc in {urlsplit(u).netloc.lower().removeprefix("www.") for u in profile.start_urls}:
            return profile
    return None


def hints_for_url(profiles: Mapping[str, SiteProfile], url: str) -> ExtractionHints | None:
    """The extraction hints of *url*'s site profile; the crawl and re-extraction both ask here."""
    profile = profile_for_url(profiles, url)
    return profile.hints if profile is not None else None
