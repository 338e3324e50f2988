"""The fixtures the tests share, registered here once: tests use them by parameter name and never
import them. Helpers (crawl runners, test data, servers) are in tests/support/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from archive.db import open_database
from archive.sample_site import SampleSite
from archive.warc.index import default_index_path
from tests.support.archive_data import (
    BACKENDS,
    POSTGRES_ENV,
    ArchiveDB,
    DatabaseFactory,
    fresh_postgres_database,
    fresh_postgres_schema,
    fresh_sqlite_url,
    populate,
)
from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun, copy_crawl, crawl_fingerprint, scrapy_crawl
from tests.support.hostile_text import crawl_hostile_text
from tests.support.pywb import wayback_server
from tests.support.reader import (
    CHROMIUM,
    READER_PAGE_SIZE,
    ReaderArchive,
    Served,
    ServedCrawl,
    serving,
    two_crawls,
)
from tests.support.replay import ReplayArchive, archive_requisite_site
from tests.support.replaywebpage import replaywebpage_server
from tests.support.requisite_site import RequisiteSite
from tests.support.sample_articles import many_articles
from tests.support.screens import Screens, screens
from tests.support.stalling_site import StallingSite
from tests.support.url_shape_site import url_shape_site as serve_url_shape_site
from tests.support.xdist_workers import (
    drop_postgres_database,
    empty_postgres_database,
    worker_postgres_url,
    worker_redis_url,
)

REDIS_ENV = "NEWSARCHIVE_TEST_REDIS_URL"
_WORKER_DATABASE = pytest.StashKey[tuple[str, str]]()  # (base server URL, the worker's database URL)


# -- pytest-xdist: each worker its own PostgreSQL database and Redis db --------------------------
def pytest_configure(config: pytest.Config) -> None:
    # Before any test module is imported: several read the two variables at import time.
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    server = os.environ.get(POSTGRES_ENV)
    if server:
        url = worker_postgres_url(server, worker)
        empty_postgres_database(server, url)
        config.stash[_WORKER_DATABASE] = (server, url)
        os.environ[POSTGRES_ENV] = url
    if os.environ.get(REDIS_ENV):
        os.environ[REDIS_ENV] = worker_redis_url(os.environ[REDIS_ENV], worker)


def pytest_unconfigure(config: pytest.Config) -> None:
    made = config.stash.get(_WORKER_DATABASE, None)
    if made is not None:
        drop_postgres_database(*made)


# -- pytest-xdist: which files share a worker, and the longest first ------------------------------
# `--dist loadfile` (pyproject) runs a file on one worker from its first test to its last, so its
# module-scoped fixtures are made once. The files of a group below run on one worker too, one after
# another: the session-scoped crawls they share are made once. Files (and groups) are handed out
# in collection order (pyproject: --no-loadscope-reorder; xdist's own order puts those with the
# most tests first, and the longest have few), and the longest come first here: a long file handed
# out last would keep one worker busy while the other has nothing left. Measured with `-n 0`.
WORKER_GROUPS = {
    # replay_archive's crawls of the requisite site (render mode's among them)
    "tests/test_replay_fidelity.py": "requisite-site",
    "tests/test_reader_archived.py": "requisite-site",
    "tests/test_render.py": "requisite-site",
    # hostile_text_crawl
    "tests/reliability/test_terminal_escape_injection.py": "hostile-text",
    "tests/reliability/test_csv_formula_injection.py": "hostile-text",
}
LONGEST_FILES = (  # `-n 0` on a loaded two-core machine: CPU s, wall s
    "tests/test_replay_fidelity.py",  # the requisite-site group: 109, 421 (the three files)
    "tests/test_reader_archived.py",
    "tests/test_render.py",
    "tests/test_health.py",  # 47, 95
    "tests/test_distributed.py",  # 36, 77
    "tests/reliability/test_canonical_trust.py",  # 29, 154
    "tests/test_query.py",  # 31, 78
    "tests/test_interop.py",  # 25, 85
    "tests/test_crawl_voice.py",  # 28, 61
    "tests/test_reextract.py",
    "tests/reliability/test_hostile.py",  # 19, 43
    "tests/test_requisites.py",  # 15, 51
    "tests/test_requisite_links.py",  # 13, 28
)


def _file(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: n for n, path in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(_file(item), len(rank)))  # stable: the rest in their order


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadfile` with WORKER_GROUPS: each group's files one unit of work."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FileGroups(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return WORKER_GROUPS.get(path, path)

    return FileGroups(config, log)


# -- the sample news site ------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sample_site() -> Iterator[SampleSite]:
    with SampleSite() as site:
        yield site


@pytest.fixture(scope="session")
def requisite_site() -> Iterator[RequisiteSite]:
    """A site and its CDN (another origin) whose articles load stylesheets, a web font, images
    with srcset, a script-built panel, and one story only a script builds (tests/support/requisite_site.py).
    One a session, as the crawls of it in ``replay_archive`` are: a test that changes it (a new
    edition, edited articles) asserts what its own crawls make of the change."""
    with RequisiteSite() as site:
        yield site


@pytest.fixture(scope="session")
def rendered_crawl(replay_archive: ReplayArchive) -> CrawlRun:
    """A crawl of ``requisite_site`` in render mode (every page loaded in headless Chromium, its
    DOM kept as a conversion record), requisites at the default level: the spider's and the
    browsers' requests meet (``replay_archive``'s rendered run). Read only."""
    return replay_archive.rendered


@pytest.fixture(scope="session")
def requisite_archive(replay_archive: ReplayArchive) -> CrawlRun:
    """Two crawls of ``requisite_site`` with page requisites on, the second finding a new edition
    of the listing and re-validating the rest (``replay_archive``'s plain runs). Read only."""
    return replay_archive.plain


@pytest.fixture(scope="module")
def requisite_reader(requisite_archive: CrawlRun) -> Iterator[ServedCrawl]:
    """`newsarchive serve` over ``requisite_archive``."""
    with serving(requisite_archive.database_url, "--warc-dir", str(requisite_archive.warc_dir)) as base:
        yield ServedCrawl(base, requisite_archive)


@pytest.fixture(scope="module")
def rendered_reader(rendered_crawl: CrawlRun) -> Iterator[ServedCrawl]:
    """`newsarchive serve` over ``rendered_crawl``."""
    with serving(rendered_crawl.database_url, "--warc-dir", str(rendered_crawl.warc_dir)) as base:
        yield ServedCrawl(base, rendered_crawl)


@pytest.fixture(scope="session")
def stalling_site() -> Iterator[StallingSite]:
    """A site whose one article's script the server holds back for seconds: a render timeout's
    page among pages that render (tests/support/stalling_site.py)."""
    with StallingSite() as site:
        yield site


@pytest.fixture(scope="module")
def big_site() -> Iterator[SampleSite]:
    """The sample site with each article five times over (60 articles): a crawl long enough to be
    killed, stopped or paused in the middle of, or to fill a small disk."""
    with SampleSite(articles=many_articles(5)) as site:
        yield site


@pytest.fixture(scope="session")
def sample_crawl(sample_site: SampleSite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrawlRun]:
    """The one real `scrapy crawl` of the sample site's news feed (default test settings) in a
    session, shared by every test that reads a crawl of it. Read only: a test that writes to its
    database or WARC directory takes ``sample_crawl_copy``; the session fails if the crawl was changed."""
    run = scrapy_crawl(tmp_path_factory.mktemp("sample-crawl"), f"{sample_site.url}/news-feed/")
    assert run.returncode == 0, run.log[-3000:]
    before = crawl_fingerprint(run)
    yield run
    assert crawl_fingerprint(run) == before, "a test wrote to the shared sample_crawl: give it sample_crawl_copy"


@pytest.fixture
def sample_crawl_copy(sample_crawl: CrawlRun, tmp_path: Path) -> CrawlRun:
    """A copy of ``sample_crawl`` of the test's own, to change: database, WARC directory and CDXJ
    index under tmp_path/sample-crawl/."""
    return copy_crawl(sample_crawl, tmp_path / "sample-crawl")


@pytest.fixture(scope="session")
def hostile_text_crawl(tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    """A crawl of articles whose headlines, sections and tags carry terminal escapes, rich markup
    and spreadsheet formulas (tests/support/hostile_text.py). Read only."""
    return crawl_hostile_text(tmp_path_factory.mktemp("hostile-text"))


@pytest.fixture(scope="module")
def reader_archive(tmp_path_factory: pytest.TempPathFactory) -> ReaderArchive:
    """Two crawls of the sample site for the web reader: one article edited between them (two
    versions), one headline with a script tag. Read only."""
    return two_crawls(tmp_path_factory.mktemp("reader-archive"))


@pytest.fixture(scope="module")
def reader(reader_archive: ReaderArchive) -> Iterator[Served]:
    """`newsarchive serve` over ``reader_archive`` on a free port of 127.0.0.1, five hits a page."""
    run = reader_archive.run
    with serving(run.database_url, "--warc-dir", str(run.warc_dir), "--set", f"{READER_PAGE_SIZE}=5") as base:
        yield Served(base, run, reader_archive)


@pytest.fixture(scope="module")
def wayback(sample_crawl: CrawlRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A pywb `wayback` server on 127.0.0.1 (framed replay, its default) with one collection,
    "news": ``sample_crawl``'s WARC directory and the CDXJ index the crawl-close hook wrote. Its base URL."""
    collection = (sample_crawl.warc_dir, default_index_path(sample_crawl.warc_dir))
    with wayback_server(tmp_path_factory.mktemp("pywb"), {"news": collection}) as base:
        yield base


@pytest.fixture(scope="session")
def replay_archive(requisite_site: RequisiteSite, tmp_path_factory: pytest.TempPathFactory) -> ReplayArchive:
    """``requisite_site`` archived twice without render mode (the second run a re-check: 304s,
    a new edition of the listing) and once with it (tests/support/replay.py). Read only: the
    crawls of the requisite site that test_render.py, test_reader_archived.py and
    test_replay_fidelity.py read, made once (one xdist group: the three run on one worker)."""
    return archive_requisite_site(requisite_site, tmp_path_factory.mktemp("replay-archive"))


@pytest.fixture(scope="module")
def frameless_wayback(replay_archive: ReplayArchive, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """pywb over ``replay_archive`` (collections "news" and "rendered") in frameless replay: the
    archived page itself, rewritten, at ``/<collection>/<timestamp>/<url>``, no banner, no frame.
    Its base URL."""
    with wayback_server(tmp_path_factory.mktemp("pywb"), replay_archive.collections(), framed=False) as base:
        yield base


@pytest.fixture(scope="module")
def replaywebpage(replay_archive: ReplayArchive, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """ReplayWeb.page, offline, over a WACZ of ``replay_archive``'s plain runs (`newsarchive wacz`):
    its base URL (tests/support/replaywebpage.py)."""
    root = tmp_path_factory.mktemp("replaywebpage")
    run = replay_archive.plain
    package = root / "plain.wacz"
    common = ["--db", run.database_url, "--warc-dir", str(run.warc_dir), "-o", str(package)]
    done = newsarchive("wacz", "--site", "127.0.0.1", "--since", "2000-01-01", *common)
    assert done.returncode == 0, done.stderr
    with replaywebpage_server(package, root / "site") as base:
        yield base


@pytest.fixture(scope="module")
def screenshots() -> Iterator[Screens]:
    """One headless Chromium that takes full-page screenshots (tests/support/screens.py)."""
    _need_chromium()
    with screens() as shooter:
        yield shooter


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium for Playwright; a clear skip where it is not installed (CI installs it)."""
    return _need_chromium()


def _need_chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return CHROMIUM


# -- databases: SQLite, and PostgreSQL when NEWSARCHIVE_TEST_POSTGRES_URL is set -------------------
@pytest.fixture(scope="module")
def url_shape_site() -> Iterator[str]:
    """A news site on 127.0.0.1 whose stories sit at URLs with listing words in them; its base URL."""
    with serve_url_shape_site() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    """URL of a fresh database for this session on the test server, or None without a server."""
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        yield None
        return
    with fresh_postgres_database(server, "newsarchive_test") as url:
        yield url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, postgres_database: str | None) -> str:
    if request.param == "postgresql" and postgres_database is None:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_ENV} (CI sets it; e.g. postgresql+psycopg://postgres@127.0.0.1/test)"
        )
    return str(request.param)


@pytest.fixture(scope="session")
def new_database_url(
    tmp_path_factory: pytest.TempPathFactory, postgres_database: str | None
) -> Iterator[DatabaseFactory]:
    """A function: backend name -> URL of an empty database (not yet migrated)."""

    def make(backend: str) -> str:
        if backend == "sqlite":
            return fresh_sqlite_url(tmp_path_factory.mktemp("db"))
        assert postgres_database is not None
        return fresh_postgres_schema(postgres_database)

    yield make


@pytest.fixture
def archive_db(backend: str, new_database_url: DatabaseFactory) -> ArchiveDB:
    """(URL, session factory, path -> article URL) of a freshly populated archive."""
    url = new_database_url(backend)
    sessions: sessionmaker[Session] = open_database(url)
    return url, sessions, populate(sessions)
