"""One hostile page among six must not cost the other five their place in the database.

PostgreSQL refuses what SQLite stores without a word: a NUL in a string, a value longer than its
VARCHAR. Every value is made storable where it enters the database; a row the database still
refuses (an operator's constraint, a trigger) is skipped alone, its capture kept for a reextract,
and the run says it lost something: a finish reason other than ``finished``, a non-zero exit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from archive import models
from archive.capture import Capture
from archive.db import open_database
from archive.store import store_batch
from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun, scrapy_crawl
from tests.support.raw_site import RawSite, response

PROSE = (
    "The regional council voted on Thursday to rebuild the old river bridge, a project that has been "
    "debated for a decade and will close the main road for most of next year."
)
HTML = ("Content-Type", "text/html; charset=utf-8")
HEADLINE = "Council votes to rebuild the bridge"
LONG_ETAG = '"' + "e" * 300 + '"'
LONG_CONTENT_TYPE = "text/html; charset=utf-8; profile=" + "p" * 300
LONG_SECTION = "s" * 300
REFUSED = "A story the database refuses"


def _article(title: str, head: str = "") -> bytes:
    paragraphs = "".join(f"<p>{PROSE} Paragraph {i} of the report on {title.lower()}.</p>" for i in range(4))
    return (
        f"<!doctype html><html lang='en'><head><title>{title}</title>"
        f"<meta property='og:type' content='article'>{head}</head>"
        f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


NUL_HEADLINE = (
    '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Council votes\\u0000 to rebuild the '
    'bridge"}</script>'
)
PAGES: dict[str, bytes] = {
    "/news/nul-in-headline-story/": response(_article(HEADLINE, NUL_HEADLINE), HTML),
    "/news/long-etag-story/": response(_article("A very long ETag"), HTML, ("ETag", LONG_ETAG)),
    "/news/long-content-type-story/": response(_article("A long Content-Type"), ("Content-Type", LONG_CONTENT_TYPE)),
    "/news/long-section-story/": response(
        _article("A long section", f"<meta property='article:section' content='{LONG_SECTION}'>"), HTML
    ),
    "/news/refused-by-the-database-story/": response(_article(REFUSED), HTML),
    "/news/a-plain-news-story/": response(_article("A plain story"), HTML),
}
LISTING = "".join(f"<li><a href='{path}'>{path.split('/')[2]}</a></li>" for path in PAGES)
# Everything in the final flush: the batch a crawl used to lose without a word.
ONE_BATCH = ("NEWSARCHIVE_STORE_BATCH_SIZE=100", "NEWSARCHIVE_STORE_INTERVAL=600", "ROBOTSTXT_OBEY=False")


@pytest.fixture(scope="module")
def site() -> Iterator[RawSite]:
    routes = dict(PAGES)
    routes["/news/"] = response(f"<html><body><h1>News</h1><ul>{LISTING}</ul></body></html>".encode(), HTML)
    with RawSite(routes) as raw:
        yield raw


def _refuse_title(sessions: sessionmaker[Session], title: str, sqlstate: str = "23514") -> None:
    """The database refuses a version with this title, as an operator's constraint would."""
    with sessions.begin() as session:
        if session.get_bind().dialect.name == "sqlite":
            session.execute(
                text(
                    "CREATE TRIGGER refuse_title BEFORE INSERT ON article_versions "
                    f"WHEN NEW.title = '{title}' BEGIN SELECT RAISE(ABORT, 'refused by the operator'); END"
                )
            )
            return
        session.execute(
            text(
                "CREATE FUNCTION refuse_title() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.title = '{title}' THEN RAISE EXCEPTION 'refused by the operator' USING ERRCODE = '{sqlstate}';"
                " END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
        )
        session.execute(
            text(
                "CREATE TRIGGER refuse_title BEFORE INSERT ON article_versions FOR EACH ROW "
                "EXECUTE FUNCTION refuse_title()"
            )
        )


def _stored(database_url: str) -> dict[str, tuple[object, ...]]:
    """Per page: its capture's ETag and Content-Type, what it was extracted as, its title and section."""
    sessions = open_database(database_url, create=False)
    C, A, V = models.Capture, models.Article, models.ArticleVersion
    query = (
        select(C.url, C.etag, C.content_type, C.extracted_as, V.title, V.section)
        .outerjoin(A, A.url == C.url)
        .outerjoin(V, V.id == A.current_version_id)
        .where(C.url.like("%-story/"))
    )
    with sessions() as session:
        rows = {row[0].rsplit("/", 2)[1]: tuple(row[1:]) for row in session.execute(query)}
    sessions.kw["bind"].dispose()
    return rows


def _crawl(site: RawSite, tmp: Path, database_url: str) -> CrawlRun:
    return scrapy_crawl(tmp, f"{site.url}/news/", *ONE_BATCH, database_url=database_url)


def test_every_hostile_value_is_stored(site: RawSite, tmp_path: Path, backend: str, new_database_url) -> None:
    database_url = new_database_url(backend)
    run = _crawl(site, tmp_path, database_url)
    assert run.returncode == 0, run.log[-3000:]
    assert "'finish_reason': 'finished'" in run.log, run.log[-3000:]
    rows = _stored(database_url)
    assert sorted(rows) == sorted(path.split("/")[2] for path in PAGES)
    assert all(extracted == "article" for _, _, extracted, _, _ in rows.values()), rows
    assert rows["nul-in-headline-story"][3] == HEADLINE
    assert rows["long-etag-story"][0] == LONG_ETAG  # whole: it goes back verbatim in If-None-Match
    assert rows["long-content-type-story"][1] == LONG_CONTENT_TYPE
    assert rows["long-section-story"][4] == LONG_SECTION[:255]

    again = newsarchive("reextract", "--warc-dir", str(run.warc_dir), "--db", database_url, "--workers", "0")
    assert again.returncode == 0, again.stderr[-3000:]
    assert _stored(database_url) == rows


def test_a_refused_row_is_skipped_alone_and_the_run_fails(
    site: RawSite, tmp_path: Path, backend: str, new_database_url
) -> None:
    database_url = new_database_url(backend)
    _refuse_title(open_database(database_url), REFUSED)
    run = _crawl(site, tmp_path / "scrapy", database_url)
    assert "'finish_reason': 'store_skipped'" in run.log, run.log[-3000:]
    assert "refused-by-the-database-story/" in run.log and "skipped" in run.log
    rows = _stored(database_url)
    assert len(rows) == len(PAGES), rows
    # Kept as an unextracted capture: the next crawl fetches it again, a reextract can store it.
    assert rows.pop("refused-by-the-database-story") == (None, "text/html; charset=utf-8", None, None, None)
    assert all(extracted == "article" for _, _, extracted, _, _ in rows.values()), rows

    cli = newsarchive(
        "crawl", f"{site.url}/news/", "--db", database_url, "--warc-dir", str(tmp_path / "cli-warc"),
        *(f"--set={setting}" for setting in ONE_BATCH), "--set=NEWSARCHIVE_EXTRACT_WORKERS=1",
    )  # fmt: skip
    assert cli.returncode == 1, cli.stderr[-3000:]
    assert "store_skipped" in cli.stderr

    again = newsarchive("reextract", "--warc-dir", str(run.warc_dir), "--db", database_url, "--workers", "0")
    assert again.returncode == 1, again.stderr[-3000:]
    assert "Traceback" not in again.stderr
    assert "newsarchive: 1 page(s) refused by the database" in again.stderr, again.stderr[-3000:]


def test_a_database_failing_at_the_final_flush_fails_the_run(
    site: RawSite, tmp_path: Path, postgres_database: str | None, new_database_url
) -> None:
    if postgres_database is None:
        pytest.skip("needs PostgreSQL: a trigger raising disk_full stands in for the database server's disk")
    database_url = new_database_url("postgresql")
    _refuse_title(open_database(database_url), REFUSED, sqlstate="53100")
    run = _crawl(site, tmp_path, database_url)
    assert "cannot write to the database" in run.log, run.log[-3000:]
    assert "'finish_reason': 'database_error'" in run.log, run.log[-3000:]


def test_migration_0006_takes_whole_header_values_into_an_existing_archive(backend: str, new_database_url) -> None:
    """An archive made before 0006 keeps its rows, and then stores an ETag and a Content-Type of any length."""
    from sqlalchemy import create_engine

    from archive.db import upgrade_to

    url = new_database_url(backend)
    engine = create_engine(url)
    with engine.begin() as connection:
        upgrade_to(connection, "0005_capture_content_hash")
        connection.execute(
            text("INSERT INTO sites (id, name, host, created_at) VALUES (1, 'a', 'a', CURRENT_TIMESTAMP)")
        )
        connection.execute(
            text(
                "INSERT INTO captures (site_id, url, method, status, fetched_at, record_type, warc_file, warc_offset,"
                " warc_length, warc_record_id, etag) VALUES (1, 'http://a/', 'GET', 200, CURRENT_TIMESTAMP,"
                " 'response', 'old.warc.gz', 0, 1, '<1>', '\"old\"')"
            )
        )
    engine.dispose()
    sessions = open_database(url)  # migrates to heads
    capture = Capture(
        url="http://a/news/x/",
        status=200,
        fetched_at=dt.datetime(2024, 5, 1, tzinfo=dt.UTC),
        warc_file="new.warc.gz",
        warc_offset=0,
        warc_length=1,
        warc_record_id="<2>",
        content_type=LONG_CONTENT_TYPE,
        etag=LONG_ETAG,
    )
    assert store_batch(sessions, [(capture, None)]).skipped == 0
    with sessions() as session:
        stored = dict(session.execute(select(models.Capture.warc_file, models.Capture.etag)).all())
        assert stored == {"old.warc.gz": '"old"', "new.warc.gz": LONG_ETAG}
        assert session.scalar(select(models.Capture.content_type).where(models.Capture.warc_file == "new.warc.gz")) == (
            LONG_CONTENT_TYPE
        )
