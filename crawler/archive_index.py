"""What a crawl knows from the archive: read-only look-ups in batches.

``ArchiveIndex`` answers what is already archived (last captures with their validators, articles
with their age and removal) for the incremental crawl (crawler/incremental.py) and the WARC revisit
records (crawler/middlewares.py). Its methods run SQL and are called from threads, never from the
reactor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, func, not_, or_, select
from sqlalchemy.engine import Connection

from archive import models
from archive.db import as_utc, create_db_engine
from archive.responses import HTML_TYPES
from crawler.incremental import Candidate

_CHUNK = 500  # URLs per IN (...) list: well under SQLite's and PostgreSQL's parameter limits
_MAX_HOPS = 5  # redirects of an alias chain followed (Scrapy's REDIRECT_MAX_TIMES is 20; sites use 1-2)


@dataclass(frozen=True, slots=True)
class Known:
    """What the archive knows about one URL."""

    url: str
    checked_at: dt.datetime  # the latest capture that answered 200 or 304: the page was as stored then
    etag: str | None
    last_modified: str | None
    born_at: dt.datetime | None  # publication date of an article, else when it was first captured
    removed: bool  # an article that answered 404/410 and has not come back
    # When the article last changed: its latest new version's capture, or for a first version its
    # publication (else first capture). None: not an article.
    changed_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Original:
    """A full response record an identical payload can point a revisit record at."""

    url: str
    fetched_at: dt.datetime
    payload_digest: str
    record_id: str


class ArchiveIndex:
    """Batched, read-only queries on the archive for one crawl. Thread-safe; call from threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, database_url: str) -> ArchiveIndex:
        # No migration here: the storage pipeline opens (and migrates) the database before any
        # request goes out, and these look-ups only ever run after that.
        return cls(create_db_engine(database_url, create=True))

    def lookup(self, urls: Iterable[str]) -> dict[str, Known]:
        """What is archived of each of *urls*; URLs never fetched with success are absent. A URL
        the server redirected to an archived page (``url_aliases``) is answered with its target's
        ``Known``, whose ``url`` is the target's."""
        wanted = list(dict.fromkeys(urls))
        found: dict[str, Known] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), _CHUNK):
                found.update(_lookup_chunk(connection, wanted[start : start + _CHUNK]))
            missing = [u for u in wanted if u not in found]
            for start in range(0, len(missing), _CHUNK):
                found.update(_aliases_chunk(connection, missing[start : start + _CHUNK]))
        return found

    def read_in_finished_runs(self, urls: Iterable[str]) -> set[str]:
        """The *urls* whose latest full (200) capture was made while a crawl run that finished was
        going and no run that did not finish (killed, shut down, stopped by a cap): their links
        were all followed then, so a 304 now means there is nothing new on them."""
        c, r = models.Capture, models.CrawlRun
        trusted: set[str] = set()
        with self.engine.connect() as connection:
            for url in dict.fromkeys(urls):
                fetched = connection.scalar(
                    select(func.max(c.fetched_at)).where(c.url == url, c.status == 200, c.method == "GET")
                )
                if fetched is None:
                    continue
                during = and_(r.started_at <= fetched, func.coalesce(r.ended_at, r.updated_at) >= fetched)
                statuses = set(connection.scalars(select(r.status).where(during).distinct()))
                if statuses == {"finished"}:
                    trusted.add(url)
        return trusted

    def recheck_candidates(self, origins: Iterable[str]) -> list[Candidate]:
        """Every archived, not removed article under *origins* with when it was last checked and
        last changed, for the re-check schedule (crawler/incremental.py)."""
        prefixes = sorted(set(origins))
        if not prefixes:
            return []
        a = models.Article
        query = _changed_query().where(
            a.removed_at.is_(None), or_(*(a.url.startswith(p, autoescape=True) for p in prefixes))
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(a.id)).all()
        candidates = []
        for row in rows:
            checked, changed = as_utc(row.last_captured_at), _changed_at(row)
            if checked is not None and changed is not None:
                candidates.append(Candidate(row.url, checked, changed))
        return candidates

    def articles_since(self, origins: Iterable[str], since: dt.datetime | None) -> list[str]:
        """URLs of archived, not removed articles under *origins* (``scheme://host[:port]/``)
        published (or first captured) at or after *since*; every one when *since* is None."""
        prefixes = sorted(set(origins))
        if not prefixes:
            return []
        a, v = models.Article, models.ArticleVersion
        query = (
            select(a.url)
            .outerjoin(v, v.id == a.current_version_id)
            .where(a.removed_at.is_(None), or_(*(a.url.startswith(p, autoescape=True) for p in prefixes)))
        )
        if since is not None:
            query = query.where(func.coalesce(v.published_at, a.first_captured_at) >= since)
        with self.engine.connect() as connection:
            return list(connection.scalars(query.order_by(a.id)).all())

    def original(self, url: str, payload_digest: str) -> Original | None:
        """The latest full response record of *url* with this payload digest, if any."""
        c = models.Capture
        with self.engine.connect() as connection:
            row = connection.execute(
                select(c.url, c.fetched_at, c.warc_record_id)
                .where(
                    and_(c.url == url, c.payload_digest == payload_digest, c.record_type == "response", c.status == 200)
                )
                .order_by(c.fetched_at.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        fetched = as_utc(row.fetched_at)
        assert fetched is not None
        return Original(row.url, fetched, payload_digest, row.warc_record_id)

    def close(self) -> None:
        self.engine.dispose()


# ------------------------------------------------------------------------------------ lookup parts
def _lookup_chunk(connection: Connection, urls: Sequence[str]) -> dict[str, Known]:
    latest = _latest_good_captures(connection, urls)
    # A 304 may carry no validators of its own: keep those of the latest capture that had some.
    validators = _latest_validators(connection, [u for u, row in latest.items() if not (row.etag or row.last_modified)])
    c = models.Capture
    first = dict(connection.execute(select(c.url, func.min(c.fetched_at)).where(c.url.in_(urls)).group_by(c.url)).all())
    articles = _articles(connection, urls)
    result: dict[str, Known] = {}
    for url in urls:
        row = latest.get(url)
        article = articles.get(url)
        removed_at = as_utc(article.removed_at) if article is not None else None
        if row is None and removed_at is None:
            continue  # never fetched with success: new
        etag, last_modified = (row.etag, row.last_modified) if row is not None else (None, None)
        if not (etag or last_modified):
            etag, last_modified = validators.get(url, (None, None))
        born = None
        if article is not None:
            born = as_utc(article.published_at) or as_utc(article.first_captured_at)
        checked = as_utc(row.fetched_at) if row is not None else removed_at
        assert checked is not None
        result[url] = Known(
            url=url,
            checked_at=checked,
            etag=etag,
            last_modified=last_modified,
            born_at=born or as_utc(first.get(url)),
            removed=removed_at is not None,
            changed_at=_changed_at(article) if article is not None else None,
        )
    return result


def _aliases_chunk(connection: Connection, urls: Sequence[str]) -> dict[str, Known]:
    """The final targets' ``Known`` of the *urls* that are aliases, by alias: a chain of redirects
    (http→https, then the new slug) is followed for ``_MAX_HOPS``."""
    u = models.UrlAlias
    ends = {url: url for url in urls}  # alias -> where its chain has got to
    for _ in range(_MAX_HOPS):
        hops = dict(connection.execute(select(u.alias, u.target).where(u.alias.in_(set(ends.values())))).all())
        if not hops:
            break
        ends = {alias: hops.get(end, end) for alias, end in ends.items()}
    targets = {alias: end for alias, end in ends.items() if end != alias}
    if not targets:
        return {}
    known = _lookup_chunk(connection, sorted(set(targets.values())))
    return {alias: known[target] for alias, target in targets.items() if target in known}


def _changed_query() -> Any:
    """Articles with what ``_changed_at`` needs: their current version's number, publication and
    capture time."""
    a, v, c = models.Article, models.ArticleVersion, models.Capture
    return (
        select(a.url, a.removed_at, a.first_captured_at, a.last_captured_at, v.published_at, v.number, c.fetched_at)
        .outerjoin(v, v.id == a.current_version_id)
        .outerjoin(c, c.id == v.capture_id)
    )


def _changed_at(row: Any) -> dt.datetime | None:
    """A later version changed when it was captured; a first one is as old as the story."""
    if row.number is not None and row.number > 1:
        return as_utc(row.fetched_at)
    return as_utc(row.published_at) or as_utc(row.first_captured_at)


def _is_html(content_type: Any) -> ColumnElement[bool]:
    """``archive.responses.is_html`` in SQL: the media type, before its parameters, is an HTML type."""
    media = func.lower(func.trim(func.coalesce(content_type, "")))
    return or_(*(or_(media == t, media.like(f"{t};%"), media.like(f"{t} %")) for t in sorted(HTML_TYPES)))


def _latest_good_captures(connection: Connection, urls: Sequence[str]) -> dict[str, Any]:
    """The latest GET capture of each URL that answered 200 or 304, by URL."""
    c = models.Capture
    ranked = (
        select(
            c.url,
            c.fetched_at,
            c.etag,
            c.last_modified,
            func.row_number().over(partition_by=c.url, order_by=c.fetched_at.desc()).label("rank"),
        )
        .where(
            c.url.in_(urls),
            c.status.in_((200, 304)),
            c.method == "GET",
            # An HTML page counts as seen once its extraction is stored, not when its bytes are:
            # a crawl killed in between must fetch it again.
            or_(
                c.status == 304,
                c.extracted_as.is_not(None),
                not_(_is_html(c.content_type)),
            ),
        )
        .subquery()
    )
    return {row.url: row for row in connection.execute(select(ranked).where(ranked.c.rank == 1)).all()}


def _latest_validators(connection: Connection, urls: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
    """``(etag, last_modified)`` of the latest 200 of each URL that had either."""
    if not urls:
        return {}
    c = models.Capture
    rows = connection.execute(
        select(c.url, c.etag, c.last_modified)
        .where(c.url.in_(urls), c.status == 200, or_(c.etag.is_not(None), c.last_modified.is_not(None)))
        .order_by(c.fetched_at)
    ).all()
    return {row.url: (row.etag, row.last_modified) for row in rows}


def _articles(connection: Connection, urls: Sequence[str]) -> dict[str, Any]:
    """Removal, first capture and publication date of each URL that is an article, by URL."""
    rows = connection.execute(_changed_query().where(models.Article.url.in_(urls))).all()
    return {row.url: row for row in rows}
