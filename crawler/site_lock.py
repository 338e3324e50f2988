"""The per-site lock that keeps two crawls of one site from overlapping.

``SiteLock`` is an advisory lock on PostgreSQL, a ``flock``-ed file beside the database on SQLite.
The operating system or the server drops it when the process dies, so a killed crawl never leaves a
stale lock behind. ``CrawlRunRecorder`` (crawler/run_records.py) holds it for the crawl's length.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from sqlalchemy import Engine, select, text
from sqlalchemy.engine import Connection, make_url

from archive import models
from archive.db import create_db_engine


class SiteLockedError(Exception):
    """Another crawl of the same site holds the lock; the message says which."""


def _lock_key(site: str) -> int:
    digest = hashlib.sha256(f"newsarchive crawl {site}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class SiteLock:
    """A lock per site name, held for the length of a crawl.

    PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a connection kept open for
    the crawl, so crawls on different machines sharing one database exclude each other. SQLite
    (and anything else): ``flock`` on ``<database file>.<site>.lock`` (or a file in *fallback_dir*
    for an in-memory database); the file also names the holder for the message the loser prints.
    """

    def __init__(self, database_url: str, fallback_dir: str | os.PathLike[str]) -> None:
        self.database_url = database_url
        self.fallback_dir = Path(fallback_dir)
        self._files: list[IO[str]] = []
        self._connection: Connection | None = None
        self._engine: Engine | None = None

    def lock_path(self, site: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", site)
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            db = Path(url.database)
            return db.with_name(f"{db.name}.{safe}.lock")
        return self.fallback_dir / f"newsarchive.{safe}.lock"

    def acquire(self, sites: Sequence[str]) -> None:
        """Take the lock of every site, or none (raising ``SiteLockedError``)."""
        try:
            if make_url(self.database_url).get_backend_name() == "postgresql":
                self._acquire_advisory(sites)
            else:
                for site in sites:
                    self._acquire_file(site)
        except BaseException:
            self.release()
            raise

    def _acquire_advisory(self, sites: Sequence[str]) -> None:
        self._engine = create_db_engine(self.database_url)
        self._connection = self._engine.connect()
        for site in sites:
            got = self._connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": _lock_key(site)})
            if not got.scalar():
                holder = self._connection.execute(
                    select(models.CrawlRun.pid, models.CrawlRun.hostname, models.CrawlRun.started_at)
                    .where(models.CrawlRun.status == "running", models.CrawlRun.site.contains(site))
                    .order_by(models.CrawlRun.started_at.desc())
                    .limit(1)
                ).first()
                who = (
                    f" (pid {holder.pid} on {holder.hostname}, since {holder.started_at:%Y-%m-%d %H:%M:%S})"
                    if holder
                    else ""
                )
                raise SiteLockedError(f"another crawl of site {site!r} is running{who}")
            self._connection.commit()

    def _acquire_file(self, site: str) -> None:
        import fcntl

        path = self.lock_path(site)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held until release())
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise SiteLockedError(
                f"another crawl of site {site!r} is running ({holder or 'holder unknown'}; lock file {path})"
            ) from None
        handle.seek(0)
        handle.truncate()
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}, since {now}\n")
        handle.flush()
        self._files.append(handle)

    def release(self) -> None:
        for handle in self._files:
            handle.close()  # closing the descriptor drops the flock
        self._files = []
        if self._connection is not None:
            self._connection.close()  # the session's advisory locks go with it
            self._connection = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
