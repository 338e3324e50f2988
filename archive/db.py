"""Engines and migrations: the database is created or brought up to date on first use."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING, overload

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from archive.urls import redact_url

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_MIGRATION_LOCK_KEY = 0x6E657773_6D696772  # "newsmigr": a PostgreSQL advisory lock id of our own
# The newest revision(s) of archive/migrations, so that opening an up-to-date database needs no
# alembic: importing it and reading the migration scripts cost every crawl and every command
# about 0.2 s of CPU. tests/test_db.py fails when a migration is added without updating this.
HEADS = frozenset({"0013_capture_requisites"})


@overload
def as_utc(moment: dt.datetime) -> dt.datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """*moment* as an aware datetime: SQLite hands back naive datetimes even for timezone=True
    columns, and what we store there is always UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class DatabaseError(Exception):
    """A database that cannot be opened or used; the message is meant for the user."""


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets readers (the CLI, datasette) work while a crawl writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_db_engine(url: str, *, create: bool = True) -> Engine:
    """An engine for *url*. For SQLite the parent directory is made when *create* is true, and a
    missing file is an error when it is false."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"not a database URL: {redact_url(url)!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if path and path != ":memory:":
            file = Path(path)
            if create:
                file.parent.mkdir(parents=True, exist_ok=True)
            elif not file.exists():
                raise DatabaseError(f"no database at {file} (run a crawl first, or pass --db)")
        engine = create_engine(parsed)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except ImportError as exc:
        raise DatabaseError(f"no driver for {parsed.drivername}: {exc} (pip install 'newsarchive[postgres]')") from exc


def _stamped_revisions(connection: Connection) -> set[str]:
    """The revisions alembic's version table says the database is at (none for a new database),
    read as alembic's ``MigrationContext.get_current_heads`` reads them."""
    if not inspect(connection).has_table("alembic_version"):
        return set()
    return {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (no-op when it is already there)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Distributed workers open a fresh database at the same moment: one migrates, the
            # others wait here (the lock goes with the transaction) and then find it up to date.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        current = _stamped_revisions(connection)
        if current == HEADS:
            return
        from alembic.script import ScriptDirectory

        # "heads", not "head": features may add independent branches of migrations off one parent.
        heads = set(ScriptDirectory.from_config(_alembic_config()).get_heads())
        if current == heads:
            return
        logger.info("migrating database %s from %s to %s", engine.url.render_as_string(), current, heads)
        upgrade_to(connection, "heads")


def upgrade_to(connection: Connection, revision: str) -> None:
    """Run the migrations up to *revision* on *connection*, in its transaction (the tests build
    archives of older revisions with it)."""
    from alembic import command

    config = _alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def open_database(url: str, *, create: bool = True) -> sessionmaker[Session]:
    """A session factory on an up-to-date database at *url*."""
    engine = create_db_engine(url, create=create)
    try:
        migrate(engine)
    except Exception as exc:
        if isinstance(exc, DatabaseError):
            raise
        # The driver's own words, without SQLAlchemy's statement and "Background on this error" lines.
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__]
        raise DatabaseError(f"cannot open database {engine.url.render_as_string()}: {reason[0]}") from exc
    return sessionmaker(engine, expire_on_commit=False)
