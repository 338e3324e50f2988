"""The ``newsfeed`` spider: discovery only, incremental.

Give it any entry point of a news site (``-a start_url=URL``: a news-feed listing, an RSS/Atom
feed, a sitemap or sitemap index, or the home page; http or https; several separated by spaces,
since a comma belongs to URLs like ``/kraj,12345.html``) or the name of a site profile from
``sites.toml`` (``-a site=NAME``, ``-a site=all``) and it finds the articles: listing pagination
("Show More", ``rel=next``, ``/page/N/``), feed autodiscovery, sitemaps named in robots.txt. Every
HTML page it fetches becomes a ``PageItem``; deciding whether a page is an article is the
extraction function's job, so the crawl and re-extraction decide the same way.

Incremental by default: listings, feeds and sitemaps are fetched every run, but an article already
in the archive is fetched again only when

* a feed or sitemap dates it (RSS date, sitemap ``lastmod``) after our last good capture of it, or
* it is younger than ``NEWSARCHIVE_REFRESH_WINDOW_HOURS`` (fresh news gets edited; the archive's
  fresh articles are re-checked every run even when no listing links them any more, which is how a
  removed article's 404/410 is seen), or
* the run says ``-a refresh=all`` (every archived article of the site, conditionally), or
* the re-check schedule says it is due (crawler/incremental.py ``RecheckSchedule``): re-checks slow
  with the time since the article last changed; each run re-checks the due ones, linked or not,
  most overdue first, up to a per-site budget.

Those re-fetches are conditional (``If-None-Match`` / ``If-Modified-Since`` from the last capture),
so an unchanged page costs a 304. A listing's pagination stops once
``NEWSARCHIVE_LISTING_STOP_AFTER_KNOWN_PAGES`` pages in a row held only archived articles that
nothing flagged as changed. Everything the spider knows of the archive it asks the database, in
batches, on a thread.

Traps are capped, each cap a setting, and a cap that bites is a warning and a
``newsarchive/capped/<cap>`` stat: sitemap indexes are followed ``NEWSARCHIVE_SITEMAP_MAX_DEPTH``
levels deep, a sitemap (or robots.txt) is read for ``NEWSARCHIVE_SITEMAP_MAX_URLS`` entries, a feed
for ``NEWSARCHIVE_FEED_MAX_ENTRIES``. Both are read as a stream, so a huge one costs no more
memory than a small one, and its entries become requests in batches, never all at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Response, TextResponse
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from twisted.internet import threads
from twisted.python.failure import Failure

from archive import sitemaps
from archive.db import create_db_engine
from archive.page_reading import PageRead, PageTask, read_page
from archive.profiles import (
    ProfileError,
    SiteProfile,
    load_profiles,
    profile_for_url,
    profiles_for_hints,
    select_profiles,
)
from archive.requisite_records import replayed
from archive.requisites import LEVELS, Named, named_requisites, record_response
from archive.responses import (
    HeaderPairs,
    HintSource,
    first_header,
    header_pairs,
    is_html,
    is_stylesheet,
    page_input,
    profile_hints,
)
from archive.text_response import kind_of_class
from archive.urls import canonicalize, is_crawlable, start_urls
from crawler.archive_index import ArchiveIndex, Known
from crawler.content_decoding import DECODING_ERROR_META_KEY
from crawler.discovery import (
    Links,
    SitemapEntry,
    feed_entries,
    gunzip_within,
    is_listing_url,
    page_links,
    parse_date,
    sitemap_entries,
    xml_root_name,
)
from crawler.download_errors import report, report_failure
from crawler.incremental import Decision, IncrementalPolicy, refresh_all
from crawler.items import ROLE, PageItem
from crawler.middlewares import CAPTURE_META_KEY, NOT_ARCHIVED_META_KEY, WarcArchiveMiddleware
from crawler.render import PageRenderer, RenderError
from crawler.stylesheets import is_stylesheet_answer, record_stylesheet
from pipelines.extraction import IN_CRAWL_PROCESS_STAT, ExtractionPipeline
from pipelines.reuse import ReusePipeline

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from sqlalchemy import Engine

    from archive.reader.records import ArchivedPage

logger = logging.getLogger(__name__)

LISTING_PAGE = "newsarchive_listing_page"
KNOWN_PAGES = "newsarchive_known_pages"  # consecutive listing pages with nothing new on them
SITE = "newsarchive_site"  # profile name
# Hosts a request of a URL seed may stay on: a distributed worker that pops it learns them from here.
HOSTS = "newsarchive_hosts"
DEPTH = "newsarchive_depth"  # links followed from a start URL
SITEMAP_DEPTH = "newsarchive_sitemap_depth"  # sitemap indexes above this sitemap
REASON = "newsarchive_reason"  # why an article is fetched: new | changed | fresh | refresh
# What a .gz sitemap may decompress to: the sitemap protocol's own limit.
# Entries of a sitemap or feed turned into requests at a time, the database asked about them in
# one query: the reactor gets its turn between batches, however long the document.
_ENTRY_BATCH = 1000
_T = TypeVar("_T")
# Article answers the spider wants to see (to count them); the WARC middleware archives all anyway.
_ARTICLE_STATUSES = [304, 404, 410]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


class NewsFeedSpider(scrapy.Spider):
    name = "newsfeed"
    _hint_source: HintSource | None = None

    # Set by from_crawler from the settings (crawler/settings.py has their defaults).
    policy: IncrementalPolicy  # the incremental decision (crawler/incremental.py)
    index: ArchiveIndex | None = None  # what the archive holds; None: not incremental, or no database
    sitemap_engine: Engine | None = None  # where Google News sitemap entries are recorded; None: no database
    distributed: bool = False  # a worker of a shared frontier (crawler/distributed.py)
    follow_robots_sitemaps: bool
    max_listing_pages: int
    stop_after_known_pages: int
    sitemap_max_age: dt.timedelta | None = None
    sitemap_max_depth: int
    sitemap_max_urls: int
    feed_max_entries: int
    requisite_level: str
    requisite_maxsize: int
    requisites_per_page: int
    renderer: PageRenderer | None = None  # render mode (crawler/render.py); None: no site renders
    _render_sites: dict[str, SiteProfile]  # the profiles with render = true (from_crawler)
    _all_profiles: dict[str, SiteProfile] | None = None  # the whole sites file, read when first needed

    def __init__(
        self,
        start_url: str | None = None,
        site: str | None = None,
        refresh: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        self.newsarchive_args = {
            k: v for k, v in {"start_url": start_url, "site": site, "refresh": refresh, **kwargs}.items() if v
        }
        super().__init__(*args, **kwargs)
        # Neither is fine for a distributed worker (its seeds come from Redis): from_crawler decides.
        if start_url and site:
            raise ValueError(
                "the newsfeed spider needs -a start_url=URL (a listing, feed, sitemap or home page) "
                "or -a site=NAME (a profile of sites.toml, or all), one of the two"
            )
        refresh_all(refresh)  # a bad value fails here, before anything else is set up
        self.refresh = refresh
        self._rechecked: set[str] = set()  # archived articles asked for again this run
        self.sites_arg = site
        self.profiles: dict[str, SiteProfile] = {}
        self.start_urls_given = start_urls(start_url or "")
        self.site_names: list[str] = []
        if not site:
            hosts = {urlsplit(u).hostname or "" for u in self.start_urls_given}
            self.site_names = sorted({h.removeprefix("www.") for h in hosts} - {""})
            self._set_domains(hosts)

    def _set_domains(self, hosts: set[str]) -> None:
        self.allowed_domains = sorted(hosts | {h.removeprefix("www.") for h in hosts} - {""})

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsFeedSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.distributed = bool(settings.get("NEWSARCHIVE_DISTRIBUTED"))
        if not spider.sites_arg and not spider.start_urls_given and not spider.distributed:
            raise ValueError(
                "the newsfeed spider needs -a start_url=URL (a listing, feed, sitemap or home page) "
                "or -a site=NAME (a profile of sites.toml, or all), one of the two"
            )
        if spider.sites_arg:
            try:
                profiles = select_profiles(load_profiles(settings.get("NEWSARCHIVE_SITES_FILE")), spider.sites_arg)
            except ProfileError as exc:
                raise ValueError(str(exc)) from None
            spider.profiles = {p.name: p for p in profiles}
            spider.site_names = [p.name for p in profiles]
            spider._set_domains({h for p in profiles for h in p.hosts})
        spider.follow_robots_sitemaps = settings.getbool("NEWSARCHIVE_FOLLOW_ROBOTS_SITEMAPS")
        if spider.follow_robots_sitemaps:
            crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
        spider.max_listing_pages = settings.getint("NEWSARCHIVE_MAX_LISTING_PAGES")
        spider.stop_after_known_pages = settings.getint("NEWSARCHIVE_LISTING_STOP_AFTER_KNOWN_PAGES")
        days = settings.getint("NEWSARCHIVE_SITEMAP_MAX_AGE_DAYS")
        spider.sitemap_max_age = dt.timedelta(days=days) if days > 0 else None
        spider.sitemap_max_depth = settings.getint("NEWSARCHIVE_SITEMAP_MAX_DEPTH")
        spider.sitemap_max_urls = settings.getint("NEWSARCHIVE_SITEMAP_MAX_URLS")
        spider.feed_max_entries = settings.getint("NEWSARCHIVE_FEED_MAX_ENTRIES")
        spider.requisite_level = settings.get("NEWSARCHIVE_REQUISITES")
        if spider.requisite_level not in LEVELS:
            raise ValueError(f"NEWSARCHIVE_REQUISITES is {spider.requisite_level!r}: one of {', '.join(LEVELS)}")
        spider.requisite_maxsize = settings.getint("NEWSARCHIVE_REQUISITE_MAXSIZE")
        spider.requisites_per_page = settings.getint("NEWSARCHIVE_REQUISITES_PER_PAGE")
        spider._render_sites = _render_sites(settings)
        try:
            if spider._render_sites or settings.getbool("NEWSARCHIVE_RENDER"):
                spider.renderer = PageRenderer.from_crawler(crawler)
        except NotConfigured as exc:
            if settings.getbool("NEWSARCHIVE_RENDER"):
                raise ValueError(str(exc)) from None
            logger.warning("%s: sites with render = true are extracted from their HTML", exc)
        spider.policy = IncrementalPolicy.from_settings(settings, spider.refresh)
        database_url = settings.get("NEWSARCHIVE_DATABASE_URL")
        if spider.policy.enabled and database_url:
            spider.index = ArchiveIndex.from_url(database_url)
            spider.sitemap_engine = spider.index.engine
            crawler.signals.connect(spider._close_index, signal=signals.spider_closed)
        elif database_url:
            spider.sitemap_engine = create_db_engine(database_url, create=True)
            crawler.signals.connect(spider._close_index, signal=signals.spider_closed)
        return spider

    def _close_index(self, spider: scrapy.Spider) -> None:
        if self.index is not None:
            self.index.close()
        elif self.sitemap_engine is not None:
            self.sitemap_engine.dispose()

    # -- start ---------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.page_hints()  # a sites file that cannot be read stops the crawl before its first request
        # A distributed worker started with -a site=/start_url= seeds the shared frontier too; the
        # shared dupefilter makes that idempotent when every worker is started the same way.
        async for request in self._seed_requests(list(self.profiles.values()), self.start_urls_given):
            yield request

    async def _seed_requests(self, profiles: list[SiteProfile], start_urls: list[str]) -> AsyncIterator[scrapy.Request]:
        seeds: list[scrapy.Request] = []
        for profile in profiles:
            meta = {SITE: profile.name, DEPTH: 0}
            seeds += [self._request(url, {**meta, ROLE: "listing", LISTING_PAGE: 1}) for url in profile.listings]
            seeds += [self._request(url, {**meta, ROLE: "feed"}) for url in profile.feeds]
            seeds += [self._request(url, {**meta, ROLE: "sitemap", SITEMAP_DEPTH: 0}) for url in profile.sitemaps]
        hosts = self._hosts_meta(start_urls)
        seeds += [self._request(url, {ROLE: "listing", LISTING_PAGE: 1, DEPTH: 0, **hosts}) for url in start_urls]
        for request in await self._with_validators(seeds):
            yield request
        groups: list[tuple[str | None, list[str]]] = [(p.name, [_origin(u) for u in p.start_urls]) for p in profiles]
        if start_urls:
            groups.append((None, [_origin(u) for u in start_urls]))
        async for request in self._recheck_requests(groups, hosts):
            yield request

    async def _recheck_requests(
        self, groups: list[tuple[str | None, list[str]]], hosts: dict[str, Any]
    ) -> AsyncIterator[scrapy.Request]:
        """Conditional re-checks of archived articles nothing may link any more: the fresh ones
        (or all with ``refresh=all``), then those the re-check schedule says are due."""
        if self.index is None or not (self.policy.rechecks or self.policy.schedule is not None):
            return
        now = dt.datetime.now(dt.UTC)
        since = self.policy.recheck_since(now)
        for site, origins in groups:
            origins = sorted({*origins, *(o.replace("://www.", "://", 1) for o in origins)})
            urls = await self._in_thread(self.index.articles_since, origins, since) if self.policy.rechecks else []
            due = await self._due(site, origins, set(urls), now)
            known = await self._in_thread(self.index.lookup, [*urls, *due])
            self._inc("recheck", len(urls))
            meta = {ROLE: "article", DEPTH: 0, **({SITE: site} if site else hosts)}
            for url in urls:
                yield self._article_request(url, self.policy.recheck(known.get(url)), dict(meta))
            for url in due:
                yield self._article_request(url, self.policy.recheck(known.get(url), "due"), dict(meta))

    async def _due(self, site: str | None, origins: list[str], taken: set[str], now: dt.datetime) -> list[str]:
        """The site's archived articles the schedule says are due (and not in *taken*), within its
        budget; the due ones the budget leaves are counted (``recheck_deferred``)."""
        schedule = self.policy.schedule
        if schedule is None or self.policy.refresh_all or self.index is None:
            return []
        profile = self.profiles.get(site) if site else None
        if profile is not None:
            schedule = schedule.override(profile.recheck_schedule, profile.recheck_max_age_days, profile.recheck_budget)
        candidates = await self._in_thread(self.index.recheck_candidates, origins)
        due = schedule.due((c for c in candidates if c.url not in taken), now)
        self._inc("recheck_deferred", due.deferred)
        if due.deferred:
            logger.info(
                "%s: %d re-checks due beyond the budget of %d: they come first next run",
                site or ", ".join(origins),
                due.deferred,
                schedule.budget,
            )
        return due.urls

    # -- distributed: seeds and requests from the shared frontier (crawler/distributed.py) ---------
    def _hosts_meta(self, urls: list[str]) -> dict[str, Any]:
        """Meta naming the hosts of URL seeds, for workers that did not see the seed (distributed only)."""
        if not self.distributed or not urls:
            return {}
        hosts = {(urlsplit(u).hostname or "").lower() for u in urls} - {""}
        return {HOSTS: sorted(hosts | {h.removeprefix("www.") for h in hosts})}

    async def seed_requests(self, seed: dict[str, Any]) -> AsyncIterator[scrapy.Request]:
        """The start requests of one seed job from ``newsarchive enqueue``: ``{"site": NAME}`` (a
        profile, or ``all``) or ``{"start_url": URL}``."""
        if seed.get("site"):
            try:
                profiles = select_profiles(self._profiles_file(), str(seed["site"]))
            except ProfileError as exc:
                raise ValueError(str(exc)) from None
            for profile in profiles:
                self._adopt_profile(profile)
            async for request in self._seed_requests(profiles, []):
                yield request
        elif seed.get("start_url"):
            urls = start_urls(str(seed["start_url"]))
            self._adopt_hosts(self._hosts_meta(urls).get(HOSTS, []))
            async for request in self._seed_requests([], urls):
                yield request
        else:
            raise ValueError("a seed needs a 'site' or a 'start_url'")

    def adopt_request(self, request: scrapy.Request) -> None:
        """A request popped from the shared queue: learn its site profile or hosts, so the offsite
        filter and the profile rules apply to it as on the worker that scheduled it."""
        site = request.meta.get(SITE)
        if site and site not in self.profiles:
            profile = self._profiles_file().get(site)
            if profile is not None:
                self._adopt_profile(profile)
        hosts = request.meta.get(HOSTS)
        if hosts:
            self._adopt_hosts(hosts)

    def _profiles_file(self) -> dict[str, SiteProfile]:
        if self._all_profiles is None:
            self._all_profiles = load_profiles(self.settings.get("NEWSARCHIVE_SITES_FILE"))
        return self._all_profiles

    def _adopt_profile(self, profile: SiteProfile) -> None:
        if profile.name not in self.profiles:
            self.profiles[profile.name] = profile
            self.site_names.append(profile.name)
            self._adopt_hosts(profile.hosts, name_sites=False)

    def _adopt_hosts(self, hosts: Any, *, name_sites: bool = True) -> None:
        new = {h for h in hosts if h} - set(self.allowed_domains or [])
        if new:
            # OffsiteMiddleware rebuilds its host regex when allowed_domains changes.
            self._set_domains(set(self.allowed_domains or []) | new)
        for name in sorted({h.removeprefix("www.") for h in new} if name_sites else ()):
            if name not in self.site_names:
                self.site_names.append(name)

    @staticmethod
    async def _in_thread(function: Any, *args: Any) -> Any:
        return await maybe_deferred_to_future(threads.deferToThread(function, *args))

    # -- robots.txt ----------------------------------------------------------------------------
    def robots_parsed(self, robotparser: Any, request: scrapy.Request) -> None:
        """RobotsTxtMiddleware parsed a robots.txt: fetch the sitemaps it names, no extra request.
        A profile that lists its sitemaps gets those only (robots.txt often names years of them)."""
        rp = getattr(robotparser, "rp", None)
        sitemaps = list(getattr(rp, "sitemaps", []) or [])
        engine = self.crawler.engine
        profile = self._profile_for(request.url)
        if profile is not None and profile.sitemaps:
            return
        meta: dict[str, Any] = {ROLE: "sitemap", DEPTH: 1, SITEMAP_DEPTH: 0}
        if profile is not None:
            meta[SITE] = profile.name
        else:
            meta.update(self._hosts_meta([request.url]))
        for url in self._capped(sitemaps, self.sitemap_max_urls, request.url, "sitemap_urls"):
            if engine is not None and self._on_site(url):
                engine.crawl(self._request(canonicalize(url), dict(meta)))

    def _profile_for(self, url: str) -> SiteProfile | None:
        return profile_for_url(self.profiles, url)

    def _on_site(self, url: str) -> bool:
        """Whether *url* is on the crawl's hosts and fetchable: a file:// or ftp:// link is not,
        whatever its host."""
        if not is_crawlable(url):
            return False
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)

    def _capped(self, items: Iterable[_T], limit: int, url: str, cap: str) -> Iterator[_T]:
        """The first *limit* of *items*, read lazily; one more is a warning and a stat."""
        for count, item in enumerate(items):
            if count == limit:
                logger.warning("%s lists more than %d entries: reading the first (%s)", url, limit, _CAPS[cap])
                self._count_capped(cap)
                return
            yield item

    def _count_capped(self, cap: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsarchive/capped/{cap}")

    def _inc(self, name: str, count: int = 1) -> None:
        if self.crawler.stats is not None and count:
            self.crawler.stats.inc_value(f"newsarchive/incremental/{name}", count)

    # -- dispatch ------------------------------------------------------------------------------
    def _request(self, url: str, meta: dict[str, Any], **kwargs: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse, errback=self.download_failed, meta=meta, **kwargs)

    def download_failed(self, failure: Failure) -> None:
        """Errback of every request: a download error (DNS, refused, timeout, TLS, too large) becomes
        one log line and a stats count (crawler/download_errors.py) instead of Scrapy's traceback;
        anything else (HttpError, IgnoreRequest) is raised again, for Scrapy's own handling."""
        if not report_failure(failure, self.crawler.stats):
            failure.raiseException()

    async def _with_validators(
        self, requests: list[scrapy.Request], stat: str = "conditional_start_pages"
    ) -> list[scrapy.Request]:
        """Listings, feeds and sitemaps asked for with the validators of their last capture: a 304
        saves the body (a large sitemap's), and a 304 listing has nothing new to page past. Only
        when that capture was read by a run that finished: one killed after reading a listing may
        not have followed its links."""
        if self.index is None or not self.policy.conditional or not requests:
            return requests
        known = await self._lookup([r.url for r in requests])
        trusted = await self._in_thread(self.index.read_in_finished_runs, [r.url for r in requests if r.url in known])
        conditional = []
        for request in requests:
            if request.url not in known:
                request.meta[NOT_ARCHIVED_META_KEY] = True
            previous = known.get(request.url) if request.url in trusted else None
            headers = self.policy.headers(previous) if previous is not None and previous.url == request.url else {}
            if headers:
                self._inc(stat)
                request.headers.update(headers)
                request.meta["handle_httpstatus_list"] = [304]
            conditional.append(request)
        return conditional

    async def parse(self, response: Response, **kwargs: Any) -> AsyncIterator[Any]:
        if is_stylesheet_answer(response):
            # Whoever asked for it: what a stylesheet loads is recorded on its capture as
            # reextract records it, which cannot know why a stylesheet was fetched.
            named = record_stylesheet(
                self.crawler, response, response.meta, self.requisite_level, self.requisites_per_page
            )
            for request in [] if named is None else await self._requisite_requests(response, named):
                yield request
            return
        if response.meta.get(ROLE) == "requisite":
            # Archived by the WARC middleware like every exchange; never extracted, never a page.
            if response.status == 304:
                self._inc("requisites_not_modified")
                named = await self._archived_stylesheet_named(response.url)
                for request in [] if named is None else await self._requisite_requests(response, named):
                    yield request
            return
        if response.status != 200:
            if response.status == 304 and response.meta.get(ROLE) != "article":
                # Nothing new here: its pagination is not followed, its entries are as we read them.
                self._inc("start_page_not_modified")
            elif response.status == 304:
                self._inc("not_modified")
            elif response.status in (404, 410):
                self._inc("gone")
            return
        pairs = header_pairs(response.headers)
        content_type = first_header(pairs, "Content-Type")
        html = is_html(content_type)
        if response.meta.get(DECODING_ERROR_META_KEY):
            # Archived as received; extraction records why it has no text (as re-extraction would).
            if html:
                yield self._page_item(response, pairs)
            return
        body = response.body
        if response.url.endswith(".gz") and body[:2] == b"\x1f\x8b":
            body = self._gunzipped(response.url, body)
        if not html or response.meta.get(ROLE) in ("feed", "sitemap"):
            root = xml_root_name(body) if b"<" in body[:2048] else None
            if root in ("urlset", "sitemapindex"):
                async for request in self.parse_sitemap(response, body, index=root == "sitemapindex"):
                    yield request
                return
            if root in ("rss", "feed", "rdf"):
                async for request in self.parse_feed(response, body):
                    yield request
                return
        if html:
            item = self._page_item(response, pairs)
            rendered = item is not None and self._renders(response.url)
            read = await self._read(response, pairs, item, rendered)
            named = read.named
            if item is not None:
                if named is not None:
                    item.capture = replace(item.capture, requisites=named.urls)
                if read.result is not None:
                    item.result, item.page = read.result, None  # the extraction pipeline passes it on
            if item is not None and rendered:
                item = await self._rendered(response, item)
                if named is not None and self.renderer is not None:  # what its browser got is archived already
                    named = named._replace(urls=tuple(u for u in named.urls if not self.renderer.has_fetched(u)))
            if item is not None:
                yield item
            if named is not None:
                for request in await self._requisite_requests(response, named):
                    yield request
            if read.links is not None:
                async for output in self.parse_page(response, read.links):
                    yield output
            if rendered and self.renderer is not None:
                await self.renderer.complete(response.url)
        else:
            logger.debug("not HTML, archived only: %s (%s)", response.url, content_type or "no type")

    async def _read(self, response: Response, pairs: HeaderPairs, item: PageItem | None, rendered: bool) -> PageRead:
        """The page's one worker task (archive/page_reading.py): its extraction, unless it is
        rendered (its DOM is extracted) or a revisit the reuse pipeline may give its stored result;
        the requisites its HTML names; a listing's links. The reactor parses nothing: only when
        the crawl has no extraction pool does it read them itself, and the pipelines extract."""
        links = None
        if response.meta.get(ROLE) == "listing" and isinstance(response, TextResponse):
            links = partial(page_links, max_links=self.settings.getint("NEWSARCHIVE_MAX_LINKS_PER_PAGE"))
        extraction = self.crawler.get_item_pipeline(ExtractionPipeline)
        reused = item is not None and item.capture.record_type == "revisit" and self._reuses()
        extract = item is not None and not rendered and not reused and extraction is not None
        reads = links is not None or self.requisite_level != "none"
        task = PageTask(
            response.url,
            response.status,
            pairs,
            response.body,
            kind_of_class(type(response)) if reads else None,  # named: the worker imports no Scrapy
            item.page if extract and item is not None else None,
            self.requisite_level,
            self.requisites_per_page,
            links,
        )
        if extraction is None or extraction.pool is None:
            self._inc_read(IN_CRAWL_PROCESS_STAT)
            return read_page(task)
        return await extraction.read(task)

    def _reuses(self) -> bool:
        """Whether the crawl's reuse pipeline looks up revisits (pipelines/reuse.py)."""
        return self.crawler.get_item_pipeline(ReusePipeline) is not None

    def _inc_read(self, stat: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(stat)

    async def _archived_stylesheet_named(self, url: str) -> Named | None:
        """What the archived copy of a stylesheet answered 304 loads: its fonts and images are
        re-validated too, as they would be were it fetched again. None for anything else."""
        if self.index is None or self.requisite_level == "none":
            return None
        page = await self._in_thread(self._archived_stylesheet, self.index, url)
        if page is None:
            return None
        archived = record_response(url, 200, [("Content-Type", page.content_type)], page.body)
        return named_requisites(archived, self.requisite_level, self.requisites_per_page)

    def _archived_stylesheet(self, index: ArchiveIndex, url: str) -> ArchivedPage | None:
        """Runs on a thread: the body of the copy of stylesheet *url* a replay now would use."""
        # The reader's package (its templates, Datasette's plugin) is loaded by the crawls that need it only.
        from archive.reader.records import RecordUnavailable, archived_page

        with Session(index.engine) as session:
            found = replayed(session, url, dt.datetime.now(dt.UTC))
        if found is None or not is_stylesheet(found[1].content_type, url):
            return None
        try:
            return archived_page(
                Path(self.settings.get("NEWSARCHIVE_WARC_DIR")), found[1].warc_file, found[1].warc_offset
            )
        except RecordUnavailable as exc:
            logger.info("the archived copy of %s cannot be read (%s): what it loads is not re-validated", url, exc)
            return None

    async def _requisite_requests(self, response: Response, named: Named) -> list[scrapy.Request]:
        """Requests for what *response*'s page (or stylesheet) loads: on any origin, below every
        page in priority, each at most NEWSARCHIVE_REQUISITE_MAXSIZE, NEWSARCHIVE_REQUISITES_PER_PAGE
        of them (``named_requisites`` cut them, in the page's order); the dupefilter fetches one a
        thousand pages share once a run, and one the archive holds is asked for with its validators
        (a 304, not a second copy)."""
        if named.capped:
            self._count_capped("requisites_per_page")
        meta: dict[str, Any] = {ROLE: "requisite", "allow_offsite": True, "download_maxsize": self.requisite_maxsize}
        for key in (SITE, HOSTS):
            if response.meta.get(key):
                meta[key] = response.meta[key]
        requests = [self._request(url, dict(meta), priority=-10) for url in named.urls]
        self._inc("requisites_requested", len(requests))
        return await self._with_validators(requests, stat="requisites_conditional")

    def _page_item(self, response: Response, pairs: HeaderPairs) -> PageItem | None:
        """The page on its way to extraction, with the input re-extraction would give it."""
        capture = response.meta.get(CAPTURE_META_KEY)
        if capture is None:
            return None
        limit = int(response.meta.get("download_maxsize", self.settings.getint("DOWNLOAD_MAXSIZE")))
        page = page_input(response.url, pairs, response.body, self.page_hints(), limit=limit)
        return PageItem(url=response.url, capture=capture, page=page)

    def _renders(self, url: str) -> bool:
        """Whether *url*'s page is rendered: --render for every site, or its profile's render = true."""
        if self.renderer is None:
            return False
        if self.settings.getbool("NEWSARCHIVE_RENDER"):
            return True
        profile = profile_for_url(self._render_sites, url)
        return profile is not None

    async def _rendered(self, response: Response, item: PageItem) -> PageItem:
        """*item* with the DOM the browser built in place of the HTML, that DOM archived as a
        conversion record of the page's response; unchanged (extracted from its HTML) when the
        browser fails, which is a download error of the URL."""
        assert self.renderer is not None
        try:
            dom = await self.renderer.render(response)
        except RenderError as exc:  # one download error of the URL: the line, the stats, the summary
            report(response.request or scrapy.Request(response.url), exc, self.crawler.stats)
            return item
        archive = warc_middleware(self.crawler)
        if archive is None:
            return item
        await archive.write_rendered(item.capture, dom)
        self._inc("rendered")
        limit = int(response.meta.get("download_maxsize", self.settings.getint("DOWNLOAD_MAXSIZE")))
        page = page_input(response.url, RENDERED_PAIRS, dom, self.page_hints(), limit=limit)
        return PageItem(url=item.url, capture=item.capture, page=page)

    def page_hints(self) -> HintSource:
        """Hints by the profile of the page's host, among every profile of the sites file: the same
        whether the crawl was started by profile or by URL, and the same as re-extraction's."""
        if self._hint_source is None:
            try:
                profiles = profiles_for_hints(self.settings.get("NEWSARCHIVE_SITES_FILE"))
            except ProfileError as exc:
                raise ValueError(str(exc)) from None
            self._hint_source = profile_hints(profiles)
        return self._hint_source

    def _child_meta(self, response: Response, **extra: Any) -> dict[str, Any] | None:
        """Meta for a link followed from *response*, or None when it is past the profile's depth."""
        depth = int(response.meta.get(DEPTH, 0)) + 1
        site = response.meta.get(SITE)
        profile = self.profiles.get(site) if site else None
        if profile is not None and profile.depth is not None and depth > profile.depth:
            self._inc("too_deep")
            return None
        meta: dict[str, Any] = {DEPTH: depth, **extra}
        if site:
            meta[SITE] = site
        if response.meta.get(HOSTS):
            meta[HOSTS] = response.meta[HOSTS]
        return meta

    def _wanted(self, response: Response, url: str) -> bool:
        site = response.meta.get(SITE)
        profile = self.profiles.get(site) if site else None
        return self._on_site(url) and (profile is None or profile.allows_article(url))

    async def parse_page(self, response: Response, links: Links) -> AsyncIterator[Any]:
        """What a listing's *links* lead to (articles are leaves: following their links would crawl
        the whole site, so only a listing's are read)."""
        max_links = self.settings.getint("NEWSARCHIVE_MAX_LINKS_PER_PAGE")
        if links.truncated:
            logger.warning("%s has more than %d links; following the first %d", response.url, max_links, max_links)
        page = response.meta.get(LISTING_PAGE, 1)
        follow: list[scrapy.Request] = []
        for url in links.feeds:
            meta = self._child_meta(response, **{ROLE: "feed"})
            if self._on_site(url) and meta is not None:
                follow.append(response.follow(url, callback=self.parse, errback=self.download_failed, meta=meta))
        candidates = [(url, None) for url in links.articles if self._wanted(response, url)]
        requests, nothing_new = await self._article_requests(response, candidates)
        for request in requests:
            yield request
        known_pages = int(response.meta.get(KNOWN_PAGES, 0)) + 1 if nothing_new else 0
        site = response.meta.get(SITE)
        profile = self.profiles.get(site) if site else None
        max_pages = profile.max_listing_pages if profile and profile.max_listing_pages else self.max_listing_pages
        if self.stop_after_known_pages and known_pages >= self.stop_after_known_pages:
            if links.pagination:
                self._inc("pagination_stopped")
                logger.info("nothing new on %s: not following its pagination", response.url)
        elif page < max_pages:
            for url in links.pagination:
                meta = self._child_meta(response, **{ROLE: "listing", LISTING_PAGE: page + 1, KNOWN_PAGES: known_pages})
                if meta is not None and self._on_site(url):
                    follow.append(response.follow(url, callback=self.parse, errback=self.download_failed, meta=meta))
        for request in await self._with_validators(follow):
            yield request

    async def parse_feed(self, response: Response, body: bytes) -> AsyncIterator[scrapy.Request]:
        entries = self._capped(feed_entries(body, response.url), self.feed_max_entries, response.url, "feed_entries")
        candidates = ((canonicalize(entry.url), parse_date(entry.updated)) for entry in entries)
        for batch in _batches((url, updated) for url, updated in candidates if self._wanted(response, url)):
            requests, _ = await self._article_requests(response, batch)
            for request in requests:
                yield request

    async def parse_sitemap(self, response: Response, body: bytes, *, index: bool) -> AsyncIterator[scrapy.Request]:
        depth = int(response.meta.get(SITEMAP_DEPTH, 0))
        if index and depth >= self.sitemap_max_depth:
            logger.warning(
                "%s is a sitemap index nested %d deep: not following its sitemaps (NEWSARCHIVE_SITEMAP_MAX_DEPTH=%d)",
                response.url,
                depth,
                self.sitemap_max_depth,
            )
            self._count_capped("sitemap_depth")
            return
        entries = self._capped(sitemap_entries(body, index), self.sitemap_max_urls, response.url, "sitemap_urls")
        for batch in _batches(entries):
            recent = list(self._recent(batch))
            if index:
                requests = await self._child_sitemaps(response, recent, depth + 1)
            else:
                # Recorded before its articles are requested, so storing them can use it.
                await self._record_news(batch)
                requests = await self._sitemap_articles(response, recent)
            for request in requests:
                yield request

    def _recent(self, entries: Iterable[Any]) -> Iterator[tuple[str, dt.datetime | None]]:
        """Sitemap entries as (URL, their latest date: lastmod, a Google News publication date),
        without those older than NEWSARCHIVE_SITEMAP_MAX_AGE_DAYS."""
        oldest = dt.datetime.now(dt.UTC) - self.sitemap_max_age if self.sitemap_max_age else None
        for entry in entries:
            lastmod = max((d for d in map(parse_date, entry.dates) if d is not None), default=None)
            if oldest is None or lastmod is None or lastmod >= oldest:
                yield canonicalize(entry.url), lastmod

    async def _record_news(self, entries: list[SitemapEntry]) -> None:
        news = sitemaps.news_entries(entries)
        if self.sitemap_engine is not None and news:
            try:
                await self._in_thread(sitemaps.record, self.sitemap_engine, news, dt.datetime.now(dt.UTC))
            except SQLAlchemyError as exc:
                # The articles are still worth fetching; they only miss what the sitemap said.
                logger.warning("sitemap entries not recorded (%s): %s", type(exc).__name__, str(exc).splitlines()[0])
                self._inc("sitemap_entries_unrecorded")

    async def _child_sitemaps(
        self, response: Response, entries: list[tuple[str, dt.datetime | None]], depth: int
    ) -> list[scrapy.Request]:
        # A child sitemap not changed since we last read it lists nothing we have not seen.
        known = await self._lookup([url for url, lastmod in entries if lastmod is not None])
        requests = []
        for url, lastmod in entries:
            previous = known.get(url)
            if previous is not None and lastmod is not None and lastmod <= previous.checked_at:
                self._inc("sitemap_unchanged")
                continue
            meta = self._child_meta(response, **{ROLE: "sitemap", SITEMAP_DEPTH: depth})
            if meta is not None and self._on_site(url):
                requests.append(self._request(url, meta))
        return await self._with_validators(requests)

    async def _sitemap_articles(
        self, response: Response, entries: list[tuple[str, dt.datetime | None]]
    ) -> list[scrapy.Request]:
        # Sitemaps list tag and author pages too; those are not what we archive articles from.
        candidates = [(u, m) for u, m in entries if not is_listing_url(u) and self._wanted(response, u)]
        requests, _ = await self._article_requests(response, candidates)
        return requests

    def _gunzipped(self, url: str, body: bytes) -> bytes:
        data = gunzip_within(body, sitemaps.SITEMAP_MAX_BYTES + 1)
        if len(data) > sitemaps.SITEMAP_MAX_BYTES:
            logger.warning("%s decompresses to more than %d bytes: reading those", url, sitemaps.SITEMAP_MAX_BYTES)
            self._count_capped("sitemap_bytes")
            return data[: sitemaps.SITEMAP_MAX_BYTES]
        return data

    # -- the incremental decision --------------------------------------------------------------
    async def _lookup(self, urls: list[str]) -> dict[str, Known]:
        if self.index is None or not urls:
            return {}
        return await self._in_thread(self.index.lookup, urls)

    async def _article_requests(
        self, response: Response, candidates: Sequence[tuple[str, dt.datetime | None]]
    ) -> tuple[list[scrapy.Request], bool]:
        """Requests for the article candidates worth fetching, and whether none of them was new
        or flagged as changed (a listing page of such is where its pagination can stop)."""
        known = await self._lookup([url for url, _ in candidates])
        requests: list[scrapy.Request] = []
        nothing_new = bool(candidates)
        now = dt.datetime.now(dt.UTC)
        for url, updated in candidates:
            meta = self._child_meta(response, **{ROLE: "article"})
            if meta is None:
                continue
            previous = known.get(url)
            decision = self.policy.decide(previous, updated, now)
            if decision.something_new:
                nothing_new = False
            if decision.fetch:
                # An alias (a URL the server redirected to an archived page) is asked for as its target.
                target = previous.url if previous is not None else url
                if target != url:
                    self._inc("alias")
                if previous is None and self.index is not None:  # looked up, and not there
                    meta[NOT_ARCHIVED_META_KEY] = True
                requests.append(self._article_request(target, decision, meta))
            else:
                self._inc("skipped")
        return requests, nothing_new

    def _article_request(self, url: str, decision: Decision, meta: dict[str, Any]) -> scrapy.Request:
        self._inc(f"fetch/{decision.reason}")
        if decision.reason != "new" and url not in self._rechecked:
            # Once per URL: a page re-checked at the start and linked again is one request (dupefilter).
            self._rechecked.add(url)
            self._inc("rechecks_sent")
        return self._request(
            url,
            {**meta, REASON: decision.reason, "handle_httpstatus_list": _ARTICLE_STATUSES},
            headers=dict(decision.headers) or None,
        )


# cap (its stat's last part) -> the setting, named in the warning a cap that bites is.
_CAPS = {"sitemap_urls": "NEWSARCHIVE_SITEMAP_MAX_URLS", "feed_entries": "NEWSARCHIVE_FEED_MAX_ENTRIES"}


def _render_sites(settings: Any) -> dict[str, SiteProfile]:
    """The profiles of the sites file in force that ask for render mode."""
    try:
        profiles = profiles_for_hints(settings.get("NEWSARCHIVE_SITES_FILE"))
    except ProfileError:
        return {}  # reported where the profiles are read for the crawl
    return {name: p for name, p in profiles.items() if p.render}


def warc_middleware(crawler: Crawler) -> WarcArchiveMiddleware | None:
    """The crawl's WARC writer middleware, which also writes what rendering made."""
    engine = crawler.engine
    if engine is None:
        return None
    for middleware in engine.downloader.middleware.middlewares:
        if isinstance(middleware, WarcArchiveMiddleware):
            return middleware
    return None


# The rendered DOM is serialised as UTF-8 HTML, whatever the page's own charset was.
RENDERED_PAIRS = [("Content-Type", "text/html; charset=utf-8")]


def _batches(items: Iterable[_T], size: int = _ENTRY_BATCH) -> Iterator[list[_T]]:
    batch: list[_T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


__all__ = ["NewsFeedSpider"]
