"""Scrapy settings for newsarchive: every NEWSARCHIVE_* default lives here, each documented.

Components read these without fallbacks of their own (``settings.getint(NAME)``), as Scrapy's
components read ``scrapy/settings/default_settings.py``: a default is changed here, nowhere else.

The names set from ``env_setting(...)`` are environment-backed (the table is ``archive/config.py``
``ENV_SETTINGS``, which the CLI reads too): a variable of the same name overrides the default, so
``NEWSARCHIVE_DATABASE_URL=postgresql+psycopg://... scrapy crawl newsfeed`` works without editing
this file; ``-s NAME=VALUE`` on the command line overrides everything.
"""

from __future__ import annotations

import os

from archive import __version__
from archive.config import env_setting

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- where things go --------------------------------------------------------------------------
# SQLAlchemy URL of the archive database; relative SQLite paths are relative to the working dir.
NEWSARCHIVE_DATABASE_URL = env_setting("NEWSARCHIVE_DATABASE_URL")
# Directory of the WARC files the crawl writes.
NEWSARCHIVE_WARC_DIR = env_setting("NEWSARCHIVE_WARC_DIR")
# File name prefix of the WARC files (names are PREFIX-TIMESTAMP-SERIAL-HOST-PID.warc.gz).
NEWSARCHIVE_WARC_PREFIX = env_setting("NEWSARCHIVE_WARC_PREFIX")
# Rotate to a new WARC file once the current one reaches this many bytes.
NEWSARCHIVE_WARC_MAX_SIZE = 1_000_000_000
# gzip level of each WARC record. 6 costs half the CPU of warcio's 9 for ~2% more bytes.
NEWSARCHIVE_WARC_GZIP_LEVEL = 6
# Deflate library of the WARC records: zlib-ng (half zlib's CPU at level 6, 1% more bytes), isal
# (levels 0-3 only: level 3 is a sixth of zlib 6's CPU for 12% more bytes) or zlib. The same gzip
# members either way; a library that is not installed falls back to zlib (archive/warc/compression.py).
NEWSARCHIVE_WARC_GZIP_LIBRARY = "zlib-ng"
# Write Authorization and Cookie request headers into WARC request records. Off by default:
# credentials do not belong in an archive that may be shared. (Proxy-* headers never are: they
# are not part of the request the origin reads.)
NEWSARCHIVE_WARC_KEEP_CREDENTIALS = False
# The wire-exact download handler (crawler/wire/) keeps each response's bytes as read for its WARC
# record; a body over this many bytes is kept in a temporary file, not a second copy in memory.
NEWSARCHIVE_WARC_SPOOL_BYTES = 1024 * 1024
# Free text for the warcinfo record's "operator" field (who ran the crawl, how to reach them).
NEWSARCHIVE_OPERATOR = env_setting("NEWSARCHIVE_OPERATOR")
# When a crawl ends, index the WARC files it closed into the CDXJ index (crawler/extensions_index.py),
# so replay tools (pywb) see the whole archive. Only new WARC files are read.
NEWSARCHIVE_INDEX_ON_CLOSE = True
# That CDXJ index; empty: beside the WARC directory, named after it (data/warc -> data/warc.cdxj).
NEWSARCHIVE_INDEX_FILE = env_setting("NEWSARCHIVE_INDEX_FILE")

# --- extraction and storage ---------------------------------------------------------------------
# Worker processes for extraction; 0 extracts in the reactor thread (debugging only: it stalls the
# crawl). Default: one per core.
NEWSARCHIVE_EXTRACT_WORKERS = os.cpu_count() or 1
# Niceness added to the extraction workers (0: the crawl's own priority). The crawl process's threads
# (reactor, WARC writer, store) then get a core the moment they have work, so downloads and writes
# never queue behind extraction and the pool is never left without pages.
NEWSARCHIVE_EXTRACT_NICENESS = 10
# A revisit (the same payload as the URL's last capture) whose extraction input digests as the URL's
# stored result's is given that result instead of being extracted again (pipelines/reuse.py, and
# `reextract`); the digest covers the extractor's version, so a new extractor extracts again.
NEWSARCHIVE_EXTRACT_REUSE = True
# Store captures and articles in transactions of this many entries...
NEWSARCHIVE_STORE_BATCH_SIZE = 200
# ...or at least this often (seconds), whichever comes first. Not much lower: store() costs ~6.8 ms a page
# in batches of 200 but ~9.7 in batches of 30 (benchmarks/crawl.py), and that CPU holds the crawl's GIL.
NEWSARCHIVE_STORE_INTERVAL = 5.0

# --- discovery -----------------------------------------------------------------------------------
# Follow "Show More" / rel=next / /page/N/ pagination of listings up to this many pages each.
NEWSARCHIVE_MAX_LISTING_PAGES = 50
# Fetch the sitemaps robots.txt names (when obeying robots.txt, at no extra request).
NEWSARCHIVE_FOLLOW_ROBOTS_SITEMAPS = True
# On sitemaps, follow only entries whose lastmod is this many days old or younger (0: all).
NEWSARCHIVE_SITEMAP_MAX_AGE_DAYS = 0
# Spider traps (a cap that bites is a warning and newsarchive/capped/<cap> in the stats):
# follow sitemap indexes this many levels deep (1: the sitemaps an index lists, not the indexes
# those list). The protocol allows 1; a few sites nest by year and month; a chain is a trap.
NEWSARCHIVE_SITEMAP_MAX_DEPTH = 3
# Read at most this many entries of one sitemap, sitemap index or robots.txt (the protocol's own limit).
NEWSARCHIVE_SITEMAP_MAX_URLS = 50_000
# Read at most this many entries of one RSS/Atom feed (news feeds carry tens).
NEWSARCHIVE_FEED_MAX_ENTRIES = 10_000
# Site profiles for `-a site=NAME` / `-a site=all` (see archive/profiles.py). Empty: $NEWSARCHIVE_SITES_FILE,
# else sites.toml in the working directory, else the one at the root of the source checkout.
NEWSARCHIVE_SITES_FILE = env_setting("NEWSARCHIVE_SITES_FILE")

# --- incremental crawls ---------------------------------------------------------------------------
# Fetch an archived article again only when a feed/sitemap dates it after our last capture, when it
# is younger than the refresh window, or with `-a refresh=all`. False: fetch everything linked.
NEWSARCHIVE_INCREMENTAL = True
# Articles published (or first captured) less than this many hours ago are re-checked every run,
# conditionally, even when nothing links them any more (fresh news gets edited, or retracted). 0: never.
NEWSARCHIVE_REFRESH_WINDOW_HOURS = env_setting("NEWSARCHIVE_REFRESH_WINDOW_HOURS")
# Re-fetches send If-None-Match / If-Modified-Since from the last capture (an unchanged page is a
# 304). Turn off only for a server whose validators lie.
NEWSARCHIVE_CONDITIONAL_REQUESTS = True
# Stop following a listing's pagination after this many pages in a row held only archived articles
# nothing flagged as changed (0: always follow up to NEWSARCHIVE_MAX_LISTING_PAGES).
NEWSARCHIVE_LISTING_STOP_AFTER_KNOWN_PAGES = 1
# Re-check archived articles on a schedule that slows with the time since each last changed, linked
# or not (crawler/incremental.py `RecheckSchedule`): quiet edits are found without a feed's word.
NEWSARCHIVE_RECHECKS = True
# UNDER:EVERY tiers: changed less than UNDER ago, re-checked every EVERY. Between NewsDiffs' (1 h under a
# day, 3 h under a week, 3 d under a month, 30 d under a year) and diffengine's (0.2 x age). A site
# profile's `recheck_schedule` overrides it.
NEWSARCHIVE_RECHECK_SCHEDULE = "1d:1h, 7d:6h, 30d:2d, 365d:21d"
# Articles that last changed longer ago than this are re-checked only with `-a refresh=all` (0: no limit;
# profile key `recheck_max_age_days`).
NEWSARCHIVE_RECHECK_MAX_AGE_DAYS = 365
# Scheduled re-checks per site and run, most overdue first; the rest come first next run (0: no limit;
# profile key `recheck_budget`). A daily run of a 100,000-article site stays a daily run, not a re-crawl.
NEWSARCHIVE_RECHECK_BUDGET = 5000
# A 200 whose payload is byte-identical to the previous capture of the same URL is written as a WARC
# revisit record (identical-payload-digest profile) instead of a second copy.
NEWSARCHIVE_WARC_REVISITS = True

# --- run records ----------------------------------------------------------------------------------
# Write a crawl_runs row per crawl (`newsarchive runs`) and hold a per-site lock for the crawl's
# length: a second crawl of a site still being crawled exits at once (finish reason site_locked).
NEWSARCHIVE_RUN_RECORDS = True
# Update the crawl_runs row's counters this often (seconds) while the crawl runs.
NEWSARCHIVE_RUN_RECORD_INTERVAL = 30.0

# --- extraction health (archive/health.py) --------------------------------------------------------------
# Record per site and run what extraction made of the pages (site_run_health) and judge it against the
# site's recent runs: the crawl summary says so, `newsarchive runs` and `newsarchive health` show it.
NEWSARCHIVE_HEALTH = True
# A run is compared with the site's last this many runs...
NEWSARCHIVE_HEALTH_HISTORY_RUNS = 10
# ...and judged on a figure only when at least this many of them had it: until then, "learning".
NEWSARCHIVE_HEALTH_MIN_RUNS = 3
# A run's figure counts only when it rests on at least this many pages (articles, for the article
# figures; re-fetched articles, for undeclared changes): a run that found two new stories says little.
NEWSARCHIVE_HEALTH_MIN_PAGES = 5
# A figure drifts when it is more than this many MADs (scaled to a standard deviation) from the median
# of those runs, and outside the figure's floor (15 points of a share, 30% of a median length).
NEWSARCHIVE_HEALTH_TOLERANCE = 3.0

# --- the web reader (`newsarchive serve`, archive/reader/) ------------------------------------------------
# Search hits on a page.
NEWSARCHIVE_READER_PAGE_SIZE = 20
# Articles in the home page's "Latest articles".
NEWSARCHIVE_READER_LATEST = 20
# The window of the Recent edits page and feed when the URL names none (?since=): hours, days, weeks.
NEWSARCHIVE_READER_EDITS_SINCE = "7d"
# The most edits a page or feed shows (each is a word diff: about half a millisecond of CPU).
NEWSARCHIVE_READER_EDITS_LIMIT = 200
# How long after a page's fetch its rendered DOM (render mode's conversion record) may have been
# written: "view as archived" looks for it among the records after the page's (in its file and its
# writer's later ones, as reextract does past a file given without them), up to the first one
# dated later than this (seconds). A render ends within NEWSARCHIVE_RENDER_TIMEOUT (30 s) of
# starting; the rest is the page's download and its wait for one of NEWSARCHIVE_RENDER_PAGES. The
# look reads ~70 MiB of WARC a second (benchmarks/archived_view.py), once per page: a longer window
# finds a render that waited longer, and costs a slower first view of every page not rendered.
NEWSARCHIVE_READER_RENDERED_WITHIN = 120.0

# Log the longest reactor stall (a 10 ms LoopingCall measuring its own lateness) and keep it in the
# stats as newsarchive/probe/max_stall_ms; benchmarks/crawl.py turns it on. Off: it wakes the reactor 100x/s.
NEWSARCHIVE_STALL_PROBE = False
# gc.freeze() when the spider opens (crawler/gc_freeze.py GcFreeze): the start-up objects leave the
# garbage collector's full collections, which otherwise stall the reactor for 100-300 ms each.
NEWSARCHIVE_GC_FREEZE = True

# --- distributed crawling (crawler/distributed.py, README "Distributed crawling") ------------------
# Redis URL of a frontier shared by several `scrapy crawl newsfeed` workers on one or more machines,
# e.g. redis://10.0.0.5:6379/0 (empty: a local crawl). Switches to scrapy-redis's scheduler and
# dupefilter; seeds go in with `newsarchive enqueue SITE|URL`. Use a PostgreSQL database with it.
NEWSARCHIVE_DISTRIBUTED = env_setting("NEWSARCHIVE_DISTRIBUTED")
# Prefix of every Redis key of the shared frontier: separate deployments (or tests) sharing one
# Redis use different prefixes.
NEWSARCHIVE_DISTRIBUTED_KEY_PREFIX = env_setting("NEWSARCHIVE_DISTRIBUTED_KEY_PREFIX")
# A worker exits once the shared frontier has had nothing for it this long (seconds), so cron runs
# and tests end; measured in looks at the queue (NEWSARCHIVE_DISTRIBUTED_POLL_SECONDS apart).
NEWSARCHIVE_DISTRIBUTED_IDLE_SECONDS = env_setting("NEWSARCHIVE_DISTRIBUTED_IDLE_SECONDS")
# How often a worker looks at the shared queue when it has nothing in flight (seconds; 0: only
# Scrapy's own 5 s idle tick, which left two of three workers idle on a small, fast site).
NEWSARCHIVE_DISTRIBUTED_POLL_SECONDS = 0.5
# Seeds an idle worker takes from the shared seed list at a time.
NEWSARCHIVE_DISTRIBUTED_SEED_BATCH = 4

# Page requisites (archive/requisites.py): what every HTML page loads to look as it did, archived
# with it. "none"; "layout" (stylesheets and what they load, fonts, scripts, images with every
# srcset candidate, icons, video posters); "all" (layout and audio/video sources).
NEWSARCHIVE_REQUISITES = "layout"
# A requisite larger than this is not archived (a download error "too_large", as for pages).
NEWSARCHIVE_REQUISITE_MAXSIZE = 10 * 1024 * 1024
# At most this many requisites of one page (or stylesheet), in the order the page names them.
NEWSARCHIVE_REQUISITES_PER_PAGE = 60

# Look at most this many links of a listing page (a page with 100,000 links is an attack or a bug).
NEWSARCHIVE_MAX_LINKS_PER_PAGE = 2000

# --- politeness ---------------------------------------------------------------------------------
USER_AGENT = f"newsarchive/{__version__} (news archiving crawler; +https://pypi.org/project/newsarchive/)"
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 60
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Responses larger than this are dropped (and logged); news pages are well under it.
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
# Longer URLs are not fetched: a warning and newsarchive/skipped/url_too_long (crawler/request_guard.py).
URLLENGTH_LIMIT = 2083
REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = False
# No way in: Scrapy's telnet console and its remote-control HTTP server both run code sent to them.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# Listings link to many pages already seen; keep the log about what matters.
DUPEFILTER_DEBUG = False
LOG_LEVEL = env_setting("NEWSARCHIVE_LOG_LEVEL")
# `newsarchive crawl` and `demo` put Scrapy's log in a file here and keep the console for progress,
# warnings and errors (archive/progress.py); piped, a progress line every this many seconds (0: none).
NEWSARCHIVE_LOG_DIR = env_setting("NEWSARCHIVE_LOG_DIR")
NEWSARCHIVE_PROGRESS_INTERVAL = 30.0

# --- components ---------------------------------------------------------------------------------
# Only http and https are fetched (crawler/request_guard.py says so for any other URL); without a
# handler, a file://, ftp://, s3:// or data: request that got past it still reads nothing. http(s) go
# through Scrapy's HTTP/1.1 handler recording each exchange's bytes, so WARC records hold them verbatim.
DOWNLOAD_HANDLERS: dict[str, str | None] = {
    "http": "crawler.wire.handler.WireDownloadHandler",
    "https": "crawler.wire.handler.WireDownloadHandler",
    "file": None,
    "ftp": None,
    "s3": None,
    "data": None,
}
# --- render mode (crawler/render.py; pip install -e '.[browser]') ----------------------------------
# Render every site's pages in headless Chromium (`newsarchive crawl --render`); a profile's
# `render = true` turns it on for that site alone. Off: pages are extracted from their HTML.
NEWSARCHIVE_RENDER = False
# The Chromium binary: Playwright's own browser download is not needed (Debian's chromium works).
NEWSARCHIVE_RENDER_CHROMIUM = "/usr/bin/chromium"
# Seconds a page may take to render (load, its requests, the DOM read back) before it is given up
# as a download error of that URL; the rest of the crawl goes on.
NEWSARCHIVE_RENDER_TIMEOUT = 30.0
# After the load event, seconds to wait for the network to go quiet (a script's API calls) at most.
NEWSARCHIVE_RENDER_IDLE_WAIT = 5.0
# Browser pages rendering at once (one browser, one context per page): each costs a renderer
# process of Chromium's, 50-100 MB.
NEWSARCHIVE_RENDER_PAGES = 2
# What the browser downloaded for one page (a shared stylesheet, script, font) is handed from memory
# to every later page of the run that asks for it, as one browser's cache would: fetched and archived
# once a run. Bytes of bodies kept for that at most (the oldest go first; a URL evicted is fetched
# and archived again when a later page asks for it).
NEWSARCHIVE_RENDER_SHARED_BYTES = 64 * 1024 * 1024

DOWNLOADER_MIDDLEWARES = {
    # First of all: a URL that is not http(s), or is over URLLENGTH_LIMIT, is not fetched, whichever
    # way it came (a link, a redirect, robots.txt, a seed), with a warning and a stat.
    "crawler.request_guard.RequestGuardMiddleware": 10,
    # Closest to the downloader: sees each exchange before HttpCompressionMiddleware (590)
    # decodes it and before RedirectMiddleware (600) and RetryMiddleware (550) act on it, so
    # every response, redirects and errors included, is archived exactly as received.
    "crawler.middlewares.WarcArchiveMiddleware": 950,
    # Content-Encoding undone by the rules re-extraction applies (archive/responses.py), in the place
    # of Scrapy's HttpCompressionMiddleware: an undecodable body goes on to extraction as an error.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.content_decoding.ContentDecodingMiddleware": 590,
    # Meta refresh without decoding every page to unicode for it (Scrapy's own, at its priority).
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.HeadMetaRefreshMiddleware": 580,
    # One log line per URL that cannot be downloaded (crawler/download_errors.py): Scrapy's retry
    # gives up on an exception quietly, the spider's errback or, for robots.txt, this middleware
    # (below the retry: it sees the error once the retries are spent) write the line.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.download_errors.RetryMiddleware": 550,
    "crawler.download_errors.DownloadErrorMiddleware": 540,
    # robots.txt read by its status, a server error disallowing the host (crawler/robots.py); a
    # distributed run fetches each robots.txt once for all its workers.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.shared_robots.SharedRobotsTxtMiddleware": 100,
}
# The URL-length check is RequestGuardMiddleware's, for every request; Scrapy's saw only links.
SPIDER_MIDDLEWARES = {"scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None}
EXTENSIONS = {
    # Scrapy logs the overridden settings at start-up, HTTPAUTH_PASS in the clear: hidden here.
    "crawler.log_secrets.HideSecretsInLog": 0,
    # Runs on engine_stopped, after WarcArchiveMiddleware has closed the last WARC file.
    "crawler.extensions_index.IndexOnClose": 500,
    # crawl_runs row and the per-site lock; early so a locked-out crawl closes before any request.
    "crawler.run_records.CrawlRunRecorder": 100,
    # Distributed workers only (NotConfigured otherwise): seeds, idle wait, heartbeat.
    "crawler.distributed.DistributedWorker": 200,
    # Opt-in (NEWSARCHIVE_STALL_PROBE): measures how long the reactor thread is kept busy.
    "crawler.extensions_probe.StallProbe": 0,
    # gc.freeze() once the crawl is set up: full collections stop walking start-up objects.
    "crawler.gc_freeze.GcFreeze": 0,
    # Extraction health per site (NEWSARCHIVE_HEALTH): tallied from the stored batches, judged at close.
    "crawler.health_records.HealthRecorder": 300,
    # A "finished" run that lost pages says so in finish_reason; after Scrapy's CoreStats (0) sets it.
    "crawler.outcome.RunOutcome": 1000,
}
# Scrapy's own scheduler for a local crawl, scrapy-redis's on the shared frontier when
# NEWSARCHIVE_DISTRIBUTED is set (decided at crawl start, so `-s` works too).
SCHEDULER = "crawler.distributed.DistributedScheduler"
ITEM_PIPELINES = {
    "pipelines.reuse.ReusePipeline": 250,
    "pipelines.extraction.ExtractionPipeline": 300,
    "pipelines.storage.StoragePipeline": 800,
}
# Items carry page bytes to the extraction pool; a few in flight per response is plenty.
CONCURRENT_ITEMS = 16

# `scrapy crawl` exits 1 when the run lost something (crawler/commands/crawl.py), as `newsarchive crawl` does.
COMMANDS_MODULE = "crawler.commands"

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
