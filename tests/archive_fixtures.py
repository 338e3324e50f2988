"""Database fixtures for the query, search and serve tests, on SQLite and (when
NEWSARCHIVE_TEST_POSTGRES_URL is set) PostgreSQL.

PostgreSQL: one uniquely named database per test session, made through an AUTOCOMMIT connection
to the given server and dropped at the end, so concurrent runs never collide; inside it each
fresh archive is its own schema (``search_path`` in the URL), so tests never see each other's rows.
Test data is hand-made ``Capture`` + ``Article`` objects stored through ``archive.store.store()``,
the same write path the crawl uses.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from archive.capture import Capture
from archive.db import open_database
from archive.extract import Article
from archive.store import store

POSTGRES_ENV = "NEWSARCHIVE_TEST_POSTGRES_URL"
SITE = "news.example"
OTHER = "other.example"

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    """URL of a fresh database for this session on the test server, or None without a server."""
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        yield None
        return
    with fresh_postgres_database(server, "newsarchive_test") as url:
        yield url


@contextlib.contextmanager
def fresh_postgres_database(server: str, prefix: str) -> Iterator[str]:
    """URL of a new, uniquely named database on the *server* URL's PostgreSQL, dropped afterwards,
    so test runs sharing one server never see each other's rows."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, postgres_database: str | None) -> str:
    if request.param == "postgresql" and postgres_database is None:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_ENV} (CI sets it; e.g. postgresql+psycopg://postgres@127.0.0.1/test)"
        )
    return str(request.param)


DatabaseFactory = Callable[[str], str]


@pytest.fixture(scope="session")
def new_database_url(
    tmp_path_factory: pytest.TempPathFactory, postgres_database: str | None
) -> Iterator[DatabaseFactory]:
    """A function: backend name -> URL of an empty database (not yet migrated)."""
    made: list[str] = []

    def make(backend: str) -> str:
        n = next(_counter)
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / f'archive{n}.db'}"
        assert postgres_database is not None
        schema = f"archive{n}"
        engine = create_engine(postgres_database, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        made.append(schema)
        separator = "&" if "?" in postgres_database else "?"
        return f"{postgres_database}{separator}options={quote(f'-csearch_path={schema}')}"

    yield make


def capture(url: str, fetched_at: dt.datetime, offset: int, warc_file: str = "test-00001.warc.gz") -> Capture:
    return Capture(
        url=url,
        status=200,
        fetched_at=fetched_at,
        warc_file=warc_file,
        warc_offset=offset,
        warc_length=1000 + offset % 97,
        warc_record_id=f"<urn:uuid:{uuid.UUID(int=offset)}>",
        content_type="text/html; charset=utf-8",
        content_length=5000,
        payload_digest=f"sha1:TEST{offset}",
    )


def article(
    url: str, title: str, text: str, published: str | None, authors: tuple[str, ...] = (), **more: str
) -> Article:
    return Article(
        url=url,
        canonical_url=url,
        title=title,
        text=text,
        authors=authors,
        published=published,
        modified=more.get("modified"),
        language=more.get("language", "en"),
        description=more.get("description"),
        section=more.get("section"),
        tags=tuple(more.get("tags", "").split(",")) if more.get("tags") else (),
        image=None,
        site_name=more.get("site_name"),
    )


T0 = dt.datetime(2023, 7, 20, 12, 0, tzinfo=dt.UTC)

# (path, title, text, published, authors, language)
STORIES = [
    (
        "/news/bakhmut-offensive/",
        "Ukrainian forces advance near Bakhmut",
        "Ukrainian troops pushed forward on the southern flank of Bakhmut on Monday.\n"
        "The general staff said Russian units withdrew from two positions near Klishchiivka.",
        "2023-07-03T09:40:00+03:00",
        ("Mira Delacroix",),
        "en",
    ),
    (
        "/news/bakhmut-shelling/",
        "Shelling continues around Bakhmut",
        "Russian artillery shelled villages north of Bakhmut overnight, regional officials said.\n"
        "No casualties were reported.",
        "2023-07-10T18:00:00+00:00",
        ("Jonas Brandt",),
        "en",
    ),
    (
        "/news/prime-minister-visit/",
        "Prime minister visits the harbour",
        "The prime minister toured the harbour and promised new cranes.\n"
        "Dock workers asked about wages; the minister said talks would resume.",
        "2023-07-12T08:00:00+00:00",
        ("Mira Delacroix", "Jonas Brandt"),
        "en",
    ),
    (
        "/news/minister-prime-rates/",
        "Finance minister on prime rates",
        "The finance minister said prime lending rates would stay unchanged this quarter.",
        "2023-07-16T08:00:00+00:00",
        ("Ada Novak",),
        "en",
    ),
    (
        "/news/heatwave/",
        "Heatwave breaks a 70-year record",
        "A heatwave broke a temperature record in the south. Farmers fear for the sunflower harvest.",
        "2023-07-18T07:30:00+00:00",
        (),
        "en",
    ),
    (
        "/news/sql-story/",
        "Robert'); DROP TABLE articles;-- and other names",
        'A story about "quotes", NEAR(operators), col:umn filters and the OR keyword in prose.',
        None,
        ("Ada Novak",),
        "en",
    ),
    (
        "/de/hitzewelle/",
        "Hitzewelle bricht Rekord",
        "Eine Hitzewelle hat im Süden einen Temperaturrekord gebrochen. Die Bauern fürchten um die Ernte.",
        "2023-07-18T09:00:00+02:00",
        ("Birgit Baumann",),
        "de",
    ),
]


def populate(sessions: sessionmaker[Session]) -> dict[str, str]:
    """The test archive: six English and one German story on news.example, one story on
    other.example, and the Bakhmut offensive story edited once (two versions, a third unchanged
    capture). Returns path -> article URL."""
    urls: dict[str, str] = {}
    entries = []
    for offset, (path, title, body, published, authors, language) in enumerate(STORIES, start=1):
        url = f"https://{SITE}{path}"
        urls[path] = url
        entries.append(
            (
                capture(url, T0 + dt.timedelta(minutes=offset), offset * 1000),
                article(url, title, body, published, authors, language=language),
            )
        )
    other = f"https://{OTHER}/world/bakhmut-analysis/"
    urls["other"] = other
    entries.append(
        (
            capture(other, T0, 99_000, warc_file="other-00001.warc.gz"),
            article(
                other,
                "Analysis: what Bakhmut means",
                "An analysis of the battle for Bakhmut.",
                "2023-07-05T12:00:00+00:00",
                ("Jonas Brandt",),
            ),
        )
    )
    with sessions.begin() as session:
        store(session, entries)
    # The offensive story is edited: new title and a correction; then fetched again unchanged.
    path, title, body, published, authors, language = STORIES[0]
    edited = article(
        urls[path],
        "Ukrainian forces advance south of Bakhmut",
        body.replace("on Monday", "on Tuesday") + "\nCorrection: an earlier version gave the wrong day.",
        published,
        authors,
        modified="2023-07-04T10:00:00+00:00",
    )
    with sessions.begin() as session:
        store(session, [(capture(urls[path], T0 + dt.timedelta(days=1), 50_000), edited)])
    with sessions.begin() as session:
        store(session, [(capture(urls[path], T0 + dt.timedelta(days=2), 60_000), edited)])
    return urls


@pytest.fixture
def archive_db(backend: str, new_database_url: DatabaseFactory) -> tuple[str, sessionmaker[Session], dict[str, str]]:
    """(URL, session factory, path -> article URL) of a freshly populated archive."""
    url = new_database_url(backend)
    sessions = open_database(url)
    return url, sessions, populate(sessions)
