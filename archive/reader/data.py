"""What the reader's pages show, read through the archive's own read side (archive/query.py,
archive/search.py, archive/health.py, archive/textdiff.py): no page computes a figure another
command computes differently."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from archive import models
from archive.changes import recent_edits, summary
from archive.db import as_utc
from archive.query import Filters, articles_per_day, names_by_version
from archive.responses import body_is_read
from archive.sites import SiteSelector
from archive.textdiff import Piece, word_diff


class NotFound(LookupError):
    """A page asked for something the archive does not hold; the message is shown to the reader."""


def read_only_sessions(path: Path) -> sessionmaker[Session]:
    """Sessions that cannot write: the file opened ``mode=ro`` and every connection ``query_only``."""

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        connection.execute("PRAGMA query_only = 1")
        connection.execute("PRAGMA busy_timeout = 30000")
        return connection

    engine: Engine = create_engine("sqlite://", creator=connect)
    return sessionmaker(engine)


def parse_since(text: str) -> dt.timedelta:
    """``12h``, ``7d``, ``2w``: the window of the edits pages, read as `newsarchive changes --since`
    reads a span; ValueError for anything else."""
    from crawler.incremental import parse_span

    try:
        return parse_span(text)
    except ValueError:
        raise ValueError(f"since must be a number and h, d or w (like 7d), not {text!r}") from None


def parse_day(text: str | None) -> dt.datetime | None:
    """A YYYY-MM-DD filter as a UTC midnight; ValueError for anything else, None when empty."""
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"dates are YYYY-MM-DD, not {text!r}") from None
    return dt.datetime.combine(day, dt.time(), dt.UTC)


@dataclass(frozen=True, slots=True)
class ReaderSettings:
    """The reader's settings (crawler/settings.py, NEWSARCHIVE_READER_*), checked once at start-up."""

    page_size: int
    latest: int
    edits_since: str
    edits_limit: int
    health: Any  # archive.health.HealthRules
    rendered_within: dt.timedelta

    @classmethod
    def from_settings(cls, settings: Any) -> ReaderSettings:
        from archive.health import HealthRules

        read = cls(
            page_size=settings.getint("NEWSARCHIVE_READER_PAGE_SIZE"),
            latest=settings.getint("NEWSARCHIVE_READER_LATEST"),
            edits_since=settings.get("NEWSARCHIVE_READER_EDITS_SINCE"),
            edits_limit=settings.getint("NEWSARCHIVE_READER_EDITS_LIMIT"),
            health=HealthRules.from_settings(settings),
            rendered_within=dt.timedelta(seconds=settings.getfloat("NEWSARCHIVE_READER_RENDERED_WITHIN")),
        )
        if read.rendered_within < dt.timedelta(0):
            seconds = read.rendered_within.total_seconds()
            raise ValueError(f"NEWSARCHIVE_READER_RENDERED_WITHIN must be 0 or more, not {seconds:g}")
        for name, value in (("PAGE_SIZE", read.page_size), ("LATEST", read.latest), ("EDITS_LIMIT", read.edits_limit)):
            if value < 1:
                raise ValueError(f"NEWSARCHIVE_READER_{name} must be 1 or more, not {value}")
        parse_since(read.edits_since)
        return read


@dataclass(frozen=True, slots=True)
class SiteRow:
    name: str
    host: str
    articles: int
    last_crawl: str | None


@dataclass(frozen=True, slots=True)
class ArticleRow:
    id: int
    title: str | None
    site: str
    published: str | None
    authors: list[str]


@dataclass(slots=True)
class VersionView:
    id: int
    number: int
    title: str | None
    text: str
    created_at: str
    published: str | None
    modified: str | None
    capture_id: int
    fetched_at: str


@dataclass(slots=True)
class CaptureView:
    id: int
    url: str
    fetched_at: str
    method: str
    status: int
    record_type: str
    content_type: str | None
    warc_file: str
    warc_offset: int
    replayable: bool


@dataclass(slots=True)
class ArticleView:
    id: int
    url: str
    site: str
    title: str | None
    authors: list[str]
    tags: list[str]
    published: str | None
    modified: str | None
    section: str | None
    image: str | None
    paragraphs: list[str]
    versions: list[VersionView]
    captures: list[CaptureView]
    diff: list[Piece] = field(default_factory=list)
    diff_pair: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Edit:
    article_id: int
    title: str | None
    site: str
    number: int
    created_at: dt.datetime
    summary: str


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else as_utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def sites(session: Session) -> list[SiteRow]:
    """Every site with its number of articles and the time of its last capture: two grouped
    counts on indexed columns (``site_stats`` would also count versions and authors, which the
    home page does not show, at ten times the cost)."""
    A, C, S = models.Article, models.Capture, models.Site
    last = {row[0]: row[1] for row in session.execute(select(C.site_id, func.max(C.fetched_at)).group_by(C.site_id))}
    counts = {row[0]: row[1] for row in session.execute(select(A.site_id, func.count()).group_by(A.site_id))}
    rows = session.execute(select(S.id, S.name, S.host).order_by(S.name))
    return [
        SiteRow(name, host, counts.get(site_id, 0), _iso(_moment(last.get(site_id)))) for site_id, name, host in rows
    ]


def site_names(session: Session) -> list[str]:
    return list(session.scalars(select(models.Site.name).order_by(models.Site.name)))


def _moment(value: Any) -> dt.datetime | None:
    if isinstance(value, str):  # SQLite aggregates hand back the stored text
        return dt.datetime.fromisoformat(value)
    return value if isinstance(value, dt.datetime) else None


def latest_articles(session: Session, limit: int) -> list[ArticleRow]:
    A, V, S = models.Article, models.ArticleVersion, models.Site
    rows = session.execute(
        select(A.id, V.id, V.title, S.name, V.published)
        .join(V, V.id == A.current_version_id)
        .join(S, S.id == A.site_id)
        # Descending, SQLite sorts NULLs last by itself, and the published_at index gives the order.
        .order_by(V.published_at.desc(), A.id.desc())
        .limit(limit)
    ).all()
    authors = names_by_version(session, models.ArticleVersionAuthor, models.Author, "author_id", [r[1] for r in rows])
    return [ArticleRow(r[0], r[2], r[3], r[4], authors.get(r[1], [])) for r in rows]


def site_by_name(session: Session, name: str) -> models.Site:
    site = session.scalar(select(models.Site).where(models.Site.name == name))
    if site is None:
        raise NotFound(f"no site named {name!r} in this archive")
    return site


def per_day(session: Session, site: models.Site) -> list[tuple[dt.date, int]]:
    return articles_per_day(session, Filters(site=site.host))


def health_rows(session: Session, site: models.Site, rules: Any, limit: int = 20) -> list[Any]:
    """The site's runs, newest first, judged as ``newsarchive health`` judges them (*rules*: its HealthRules)."""
    from archive import health

    H = models.SiteRunHealth
    rows = session.scalars(
        select(H).where(H.site == site.host).order_by(H.started_at.desc(), H.id.desc()).limit(limit)
    ).all()
    return health.verdicts(session, rows, rules)


def article(session: Session, article_id: int, pair: tuple[int, int] | None) -> ArticleView:
    found = session.get(models.Article, article_id)
    if found is None or found.current_version is None:
        raise NotFound(f"no article {article_id} in this archive")
    current = found.current_version
    versions = [
        VersionView(
            v.id,
            v.number,
            v.title,
            v.text,
            _iso(v.created_at) or "",
            v.published,
            v.modified,
            v.capture_id,
            _iso(v.capture.fetched_at) or "",
        )
        for v in found.versions
    ]
    captures = [
        CaptureView(
            c.id,
            c.url,
            _iso(c.fetched_at) or "",
            c.method,
            c.status,
            c.record_type,
            c.content_type,
            c.warc_file,
            c.warc_offset,
            # A revisit is viewed as the page it stands for (archive/requisite_records.py full_record);
            # a POST's or a HEAD's answer is no page published at the URL, as reextract reads it.
            body_is_read(c.method) and c.record_type in ("response", "resource", "revisit"),
        )
        for c in session.scalars(
            select(models.Capture)
            .where(models.Capture.url.in_({found.url} | {v.capture.url for v in found.versions}))
            .order_by(models.Capture.fetched_at)
        )
    ]
    view = ArticleView(
        id=found.id,
        url=found.url,
        site=found.site.name,
        title=current.title,
        authors=[a.name for a in current.authors],
        tags=[t.name for t in current.tags],
        published=current.published,
        modified=current.modified,
        section=current.section,
        image=current.image,
        paragraphs=[line for line in current.text.splitlines() if line.strip()],
        versions=versions,
        captures=captures,
    )
    numbers = {v.number: v for v in versions}
    if pair is None and len(versions) > 1:
        pair = (versions[-2].number, versions[-1].number)
    if pair is not None:
        if pair[0] not in numbers or pair[1] not in numbers:
            raise NotFound(f"article {article_id} has versions {sorted(numbers)}, not {pair[0]} and {pair[1]}")
        view.diff_pair = pair
        view.diff = word_diff(_readable(numbers[pair[0]]), _readable(numbers[pair[1]]))
    return view


def _readable(version: VersionView) -> str:
    # The headline is part of what a reader sees change.
    return f"{version.title or ''}\n\n{version.text}"


def edits(session: Session, since: dt.timedelta, site: models.Site | None, limit: int) -> list[Edit]:
    """The recent edits `newsarchive changes` lists (archive/changes.py), newest first, each with
    what changed and a short word diff of the body."""
    selector = SiteSelector(spec=site.name, hosts=frozenset({site.host})) if site is not None else None
    found = recent_edits(session, dt.datetime.now(dt.UTC) - since, selector, limit)
    return [
        Edit(e.article_id, e.title, e.site_name, e.number, e.captured_at, _edit_summary(e.changes, e.diff))
        for e in found
    ]


def _edit_summary(changes: dict[str, Any], diff: str) -> str:
    described = summary(changes)
    return f"{described}: {diff}" if diff else described
