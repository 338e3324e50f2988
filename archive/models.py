"""The archive's schema: SQLAlchemy 2.0 typed models.

sites ─< captures            every fetch, with the WARC file/offset/length of its record
         captures ─< capture_requisites   what a page (or a stylesheet) loads, by URL, in its order
sites ─< articles ─< article_versions >─ captures
                     article_versions ─< article_version_authors >─ authors
                     article_versions ─< article_version_tags    >─ tags

An article is one canonical URL. A version is one distinct extracted content of it (content hash),
stamped with the extractor that produced it; ``articles.current_version_id`` points at the latest.
Authors and tags hang off versions because a byline or tag list can change with an edit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    literal_column,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def storable(value: str, length: int | None = None) -> str:
    """*value* as every supported database takes it: PostgreSQL refuses a NUL in any string and a
    VARCHAR longer than declared, where SQLite stores both without a word."""
    value = value.replace("\x00", "")
    return value if length is None else value[:length]


class StorableString(TypeDecorator[str]):
    """``String(length)`` whose values are made to fit (NULs dropped, cut at *length*) as they are
    bound: a page's header or metadata never costs its batch."""

    impl = String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else storable(value, self.length)


class StorableText(TypeDecorator[str]):
    """``Text`` without NULs, which PostgreSQL cannot hold."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else storable(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: DateTime(timezone=True)}  # noqa: RUF012 (SQLAlchemy API)


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(StorableString(255), unique=True)
    host: Mapped[str] = mapped_column(StorableString(255), unique=True)
    created_at: Mapped[dt.datetime]

    articles: Mapped[list[Article]] = relationship(back_populates="site")


class Capture(Base):
    __tablename__ = "captures"
    __table_args__ = (
        UniqueConstraint("warc_file", "warc_offset", name="uq_captures_warc_location"),
        Index("ix_captures_url_fetched_at", "url", "fetched_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    url: Mapped[str] = mapped_column(StorableText())
    method: Mapped[str] = mapped_column(StorableString(16))
    status: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[dt.datetime]
    content_type: Mapped[str | None] = mapped_column(StorableText())  # parameters have no bound
    content_length: Mapped[int | None] = mapped_column(BigInteger)
    bytes_received: Mapped[int | None] = mapped_column(BigInteger)  # archive/capture.py: the one byte total
    payload_digest: Mapped[str | None] = mapped_column(StorableString(128), index=True)
    record_type: Mapped[str] = mapped_column(StorableString(16))
    warc_file: Mapped[str] = mapped_column(StorableString(255))
    warc_offset: Mapped[int] = mapped_column(BigInteger)
    warc_length: Mapped[int] = mapped_column(BigInteger)
    warc_record_id: Mapped[str] = mapped_column(StorableString(128))
    ip_address: Mapped[str | None] = mapped_column(StorableString(64))
    etag: Mapped[str | None] = mapped_column(StorableText())  # whole: sent back in If-None-Match
    last_modified: Mapped[str | None] = mapped_column(StorableString(64))
    # What extraction made of this capture: "article", or NotAnArticle.kind ("listing", "site-page", "non-html",
    # "empty", "error"). NULL until its result is stored: a page archived by a crawl that died
    # before extracting it is not yet "seen", so the next run fetches it again.
    extracted_as: Mapped[str | None] = mapped_column(StorableString(16))
    # Content hash of the article this capture last extracted to, whether or not that made a new
    # version: re-extracting it to the same content is then a no-op, whatever the current version is.
    content_hash: Mapped[str | None] = mapped_column(StorableString(64))

    site: Mapped[Site] = relationship()


class CaptureRequisite(Base):
    """A URL a page's (or a stylesheet's) capture loads to look as it did, as the crawl requested it
    (archive/requisites.py), in the order the page names them. By URL, not by capture: which record
    a replay uses depends on the time it replays (archive/requisite_records.py resolves it)."""

    __tablename__ = "capture_requisites"

    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0, 1, ... in the page's order
    url: Mapped[str] = mapped_column(StorableText())


class Article(Base):
    __tablename__ = "articles"
    # `articles --order captured`, newest first (a backward scan), without sorting the archive.
    __table_args__ = (Index("ix_articles_last_captured_at", "last_captured_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    url: Mapped[str] = mapped_column(StorableText(), unique=True)
    first_captured_at: Mapped[dt.datetime]
    last_captured_at: Mapped[dt.datetime]
    removed_at: Mapped[dt.datetime | None]
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("article_versions.id", use_alter=True, name="fk_articles_current_version"), index=True
    )

    site: Mapped[Site] = relationship(back_populates="articles")
    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article", foreign_keys="ArticleVersion.article_id", order_by="ArticleVersion.number"
    )
    current_version: Mapped[ArticleVersion | None] = relationship(foreign_keys=[current_version_id])


class ArticleVersion(Base):
    __tablename__ = "article_versions"
    __table_args__ = (
        UniqueConstraint("article_id", "number", name="uq_article_versions_number"),
        Index("ix_article_versions_published_at", "published_at"),
        # `articles --language`, newest first: one index walk instead of every version in the language, sorted.
        Index("ix_article_versions_language_published_at", "language", "published_at"),
        # `articles`' newest-first order is DESC NULLS LAST, which PostgreSQL's ascending index cannot
        # give (backwards it is DESC NULLS FIRST); SQLite has no NULLS in indexes and needs none.
        Index("ix_article_versions_published_at_desc", literal_column("published_at DESC NULLS LAST")).ddl_if(
            dialect="postgresql"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per article
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"), index=True)
    content_hash: Mapped[str] = mapped_column(StorableString(64), index=True)
    created_at: Mapped[dt.datetime]
    extractor: Mapped[str] = mapped_column(StorableString(64))
    extractor_version: Mapped[str] = mapped_column(StorableString(64))
    title: Mapped[str | None] = mapped_column(StorableText())
    text: Mapped[str] = mapped_column(StorableText())
    published: Mapped[str | None] = mapped_column(StorableString(64))  # as the page gave it (ISO 8601, offset kept)
    published_at: Mapped[dt.datetime | None]  # the same instant in UTC, for filtering and sorting
    modified: Mapped[str | None] = mapped_column(StorableString(64))
    language: Mapped[str | None] = mapped_column(StorableString(16), index=True)
    description: Mapped[str | None] = mapped_column(StorableText())
    section: Mapped[str | None] = mapped_column(StorableString(255))
    image: Mapped[str | None] = mapped_column(StorableText())
    canonical_url: Mapped[str | None] = mapped_column(StorableText())
    site_name: Mapped[str | None] = mapped_column(StorableString(255))
    # What this version changed against the one before, as JSON (archive/changes.py `describe`):
    # {"title": bool, "byline": bool, "dates": bool, "words_added": n, "words_removed": n}; NULL for
    # a first version and for versions made before edit tracking.
    changes: Mapped[str | None] = mapped_column(StorableText())

    article: Mapped[Article] = relationship(back_populates="versions", foreign_keys=[article_id])
    capture: Mapped[Capture] = relationship()
    authors: Mapped[list[Author]] = relationship(
        secondary="article_version_authors", order_by="ArticleVersionAuthor.position", viewonly=True
    )
    tags: Mapped[list[Tag]] = relationship(
        secondary="article_version_tags", order_by="ArticleVersionTag.position", viewonly=True
    )


class Author(Base):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(StorableString(255), unique=True)


class ArticleVersionAuthor(Base):
    __tablename__ = "article_version_authors"

    version_id: Mapped[int] = mapped_column(ForeignKey("article_versions.id"), primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(StorableString(255), unique=True)


class ArticleVersionTag(Base):
    __tablename__ = "article_version_tags"

    version_id: Mapped[int] = mapped_column(ForeignKey("article_versions.id"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class UrlAlias(Base):
    """A URL the server redirected (old slug, tracking parameters, http→https) to an archived page:
    the crawl asks for the target instead, conditionally, or not at all when it is not due."""

    __tablename__ = "url_aliases"

    alias: Mapped[str] = mapped_column(StorableText(), primary_key=True)
    target: Mapped[str] = mapped_column(StorableText(), index=True)
    seen_at: Mapped[dt.datetime]  # the latest capture that went through the redirect


class SitemapEntry(Base):
    """What a Google News sitemap said of an article, as the crawl read it: ``store()`` fills a
    title, published date or tags the page itself lacks from it, for the crawl and ``reextract``
    alike. The news fields are kept as first seen, so a sitemap that rewords a title never makes
    a new version of an article stored earlier."""

    __tablename__ = "sitemap_entries"

    url: Mapped[str] = mapped_column(StorableText(), primary_key=True)
    title: Mapped[str | None] = mapped_column(StorableText())
    publication_date: Mapped[str | None] = mapped_column(StorableText())  # as the sitemap wrote it
    keywords: Mapped[str | None] = mapped_column(StorableText())  # comma-separated, as in <news:keywords>
    lastmod: Mapped[str | None] = mapped_column(StorableText())
    seen_at: Mapped[dt.datetime]  # the latest read of a sitemap that listed it


class ExtractionMemo(Base):
    """The latest stored extraction result of a URL and a digest of the input it was made from
    (archive/extraction/reuse.py): a revisit of the URL whose input digests the same is given this
    result instead of being extracted again. One row a URL, so it grows with the articles, not the captures."""

    __tablename__ = "extraction_memos"

    url: Mapped[str] = mapped_column(StorableText(), primary_key=True)
    input_digest: Mapped[str] = mapped_column(StorableString(64))  # over the extractor's version too
    result: Mapped[bytes] = mapped_column(LargeBinary)  # zlib-compressed JSON (reuse.encode)
    fetched_at: Mapped[dt.datetime]  # of the capture it was extracted from: an older one never replaces it


class CrawlRun(Base):
    """One crawl: written when it starts, updated as it goes, finalized when it closes.

    ``status`` is ``running`` until the close, then Scrapy's finish reason (``finished``,
    ``closespider_pagecount``, ``shutdown``, ...). A row still ``running`` whose process is gone
    is a crawl that was killed.
    """

    __tablename__ = "crawl_runs"
    __table_args__ = (Index("ix_crawl_runs_site_started_at", "site", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(StorableString(255))  # profile name(s), comma-separated, or the host crawled
    spider: Mapped[str] = mapped_column(StorableString(64))
    spider_args: Mapped[str] = mapped_column(StorableText())  # JSON object of the -a arguments
    status: Mapped[str] = mapped_column(StorableString(64))
    started_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    hostname: Mapped[str | None] = mapped_column(StorableString(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    not_modified: Mapped[int] = mapped_column(Integer, default=0)  # 304 answers to conditional requests
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    versions_new: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    bytes_received: Mapped[int] = mapped_column(BigInteger, default=0)
    # Edit tracking (crawler/incremental.py): archived articles re-checked by the schedule, new
    # versions of articles that had one (edits), and the due re-checks the budget left for next run.
    rechecks_sent: Mapped[int] = mapped_column(Integer, default=0)
    edits_found: Mapped[int] = mapped_column(Integer, default=0)
    rechecks_deferred: Mapped[int] = mapped_column(Integer, default=0)


class SiteRunHealth(Base):
    """What one crawl run's extraction made of one site's pages (archive/health.py): counts, so that
    every share is exact and a run is comparable with the site's earlier runs.

    ``pages`` are the HTML pages the run sent to extraction (listings included), ``articles`` those that
    became articles; ``with_*`` count articles with a title, an author, a publication date; ``revisited``
    counts article pages of an article already archived and ``silent_changes`` those among them whose
    body changed while the page declared no new modification date.
    """

    __tablename__ = "site_run_health"
    __table_args__ = (Index("ix_site_run_health_site_started_at", "site", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    site: Mapped[str] = mapped_column(StorableString(255))  # sites.host
    started_at: Mapped[dt.datetime]  # the run's start
    pages: Mapped[int] = mapped_column(Integer)
    articles: Mapped[int] = mapped_column(Integer)
    with_title: Mapped[int] = mapped_column(Integer)
    with_author: Mapped[int] = mapped_column(Integer)
    with_date: Mapped[int] = mapped_column(Integer)
    median_body_chars: Mapped[int | None] = mapped_column(Integer)  # None: no article
    revisited: Mapped[int] = mapped_column(Integer)
    silent_changes: Mapped[int] = mapped_column(Integer)
