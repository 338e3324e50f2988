"""Test archives for the query, search, serve and store tests: hand-made ``Capture`` + ``Article``
objects stored through ``archive.store.store()``, the same write path the crawl uses, and fresh
PostgreSQL databases (the fixtures that hand them out are in tests/conftest.py).

PostgreSQL: one uniquely named database per test session, made through an AUTOCOMMIT connection
to the given server and dropped at the end, so concurrent runs never collide; inside it each
fresh archive is its own schema (``search_path`` in the URL), so tests never see each other's rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from archive.capture import Capture
from archive.extract import Article
from archive.store import store

POSTGRES_ENV = "NEWSARCHIVE_TEST_POSTGRES_URL"
SITE = "news.example"
OTHER = "other.example"

_counter = itertools.count(1)


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


def fresh_sqlite_url(directory: Path) -> str:
    """URL of a new SQLite archive file in *directory* (made when first opened)."""
    return f"sqlite:///{directory / f'archive{next(_counter)}.db'}"


def fresh_postgres_schema(database_url: str) -> str:
    """URL of *database_url* with a new, empty schema of its own first on the ``search_path``, so
    archives made in one PostgreSQL database never see each other's rows."""
    schema = f"archive{next(_counter)}"
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    separator = "&" if "?" in database_url else "?"
    return f"{database_url}{separator}options={quote(f'-csearch_path={schema}')}"


BACKENDS = ["sqlite", "postgresql"]

DatabaseFactory = Callable[[str], str]  # backend name -> URL of an empty database (not yet migrated)

ArchiveDB = tuple[str, sessionmaker[Session], dict[str, str]]  # (URL, session factory, path -> article URL)


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
