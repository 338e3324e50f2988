"""Services of its own for each pytest-xdist worker (``-n``): a PostgreSQL database and a Redis db.

Tests that use NEWSARCHIVE_TEST_POSTGRES_URL's database directly (a site lock, a migration) would
race with the same test's twin on another worker, so each worker gets ``<database>_<worker>`` (made
empty at its start, dropped at its end) and Redis db ``<db> + <worker index>``; tests/conftest.py
points the two variables at them before any test module reads them.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def worker_index(worker: str) -> int:
    """3 for xdist's worker id "gw3"."""
    found = re.fullmatch(r"gw(\d+)", worker)
    if found is None:
        raise ValueError(f"not an xdist worker id: {worker!r}")
    return int(found.group(1))


def worker_postgres_url(server: str, worker: str) -> str:
    """*server*'s URL with the worker's database: ``test`` becomes ``test_gw1``."""
    url = make_url(server)
    return url.set(database=f"{url.database}_{worker}").render_as_string(hide_password=False)


def worker_redis_url(base: str, worker: str) -> str:
    """*base* with its db number moved up by the worker's index: ``redis://h:6379/4`` is ``.../5`` for gw1."""
    parts = urlsplit(base)
    db = int(parts.path.strip("/") or 0) + worker_index(worker)
    return urlunsplit(parts._replace(path=f"/{db}"))


def _as_admin(server: str, *statements: str) -> None:
    """Run *statements* outside a transaction (CREATE/DROP DATABASE need that) on *server*."""
    admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        admin.dispose()


def empty_postgres_database(server: str, url: str) -> None:
    """Make *url*'s database on *server* (the base URL, connected through), empty: one a run
    before left behind (a killed worker never drops its own) is dropped first."""
    name = make_url(url).database
    _as_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')


def drop_postgres_database(server: str, url: str) -> None:
    _as_admin(server, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
