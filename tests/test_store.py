"""store(): the one write path; idempotent, versioned."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import select

from archive import models
from archive.capture import Capture
from archive.db import open_database
from archive.extract import Article
from archive.store import store

CAPTURE = Capture(
    url="http://example.com/news/a-b-c/",
    status=200,
    fetched_at=dt.datetime(2024, 5, 1, tzinfo=dt.UTC),
    warc_file="f.warc.gz",
    warc_offset=0,
    warc_length=1,
    warc_record_id="<urn:uuid:1>",
)
ARTICLE = Article(
    url=CAPTURE.url,
    canonical_url=None,
    title="T",
    text="X",
    authors=("A",),
    published=None,
    modified=None,
    language="en",
    description=None,
    section=None,
    tags=(),
    image=None,
    site_name=None,
)


def _texts(tmp_path: Path, texts: list[str]) -> tuple[list[str], str]:
    sessions = open_database(f"sqlite:///{tmp_path / 'a.db'}")
    for text in texts:
        with sessions.begin() as session:
            store(session, [(CAPTURE, dataclasses.replace(ARTICLE, text=text))])
    with sessions() as session:
        article = session.scalars(select(models.Article)).one()
        assert article.current_version is not None
        return [v.text for v in article.versions], article.current_version.text


def test_the_same_result_twice_changes_nothing(tmp_path: Path) -> None:
    assert _texts(tmp_path, ["X", "X"]) == (["X"], "X")


def test_a_rolled_back_extractor_change_is_a_new_version(tmp_path: Path) -> None:
    # X, then an extractor change gives Y, then its rollback gives X again: X is current again.
    assert _texts(tmp_path, ["X", "Y", "X", "X"]) == (["X", "Y", "X"], "X")


def test_reextracting_an_older_capture_does_not_bring_back_its_content(tmp_path: Path) -> None:
    sessions = open_database(f"sqlite:///{tmp_path / 'a.db'}")
    later = dataclasses.replace(
        CAPTURE, warc_offset=100, warc_record_id="<urn:uuid:2>", fetched_at=CAPTURE.fetched_at + dt.timedelta(days=1)
    )
    for capture, text in [(CAPTURE, "X"), (later, "Y"), (CAPTURE, "X"), (later, "Y")]:
        with sessions.begin() as session:
            store(session, [(capture, dataclasses.replace(ARTICLE, text=text))])
    with sessions() as session:
        article = session.scalars(select(models.Article)).one()
        assert [v.text for v in article.versions] == ["X", "Y"]
        assert article.current_version is not None and article.current_version.text == "Y"


def _capture(offset: int, *, status: int = 200, day: int = 1, url: str = CAPTURE.url) -> Capture:
    return dataclasses.replace(
        CAPTURE,
        url=url,
        status=status,
        warc_offset=offset,
        warc_record_id=f"<urn:uuid:{offset}>",
        fetched_at=dt.datetime(2024, 5, day, tzinfo=dt.UTC),
    )


def _names(rows: Any) -> list[str]:
    return [row.name for row in rows]


def _dump(sessions: Any) -> dict[str, Any]:
    """Everything store() decides, without ids and insertion times."""
    with sessions() as session:
        captures = sorted((c.warc_offset, c.status, c.extracted_as) for c in session.scalars(select(models.Capture)))
        articles = {}
        for article in session.scalars(select(models.Article)):
            versions = sorted(article.versions, key=lambda v: v.number)
            articles[article.url] = (
                article.first_captured_at.replace(tzinfo=None),
                article.last_captured_at.replace(tzinfo=None),
                article.removed_at.replace(tzinfo=None) if article.removed_at else None,
                [(v.number, v.text, v.capture.warc_offset, _names(v.authors), _names(v.tags)) for v in versions],
                article.current_version.number if article.current_version else None,
            )
        return {"captures": captures, "articles": articles}


def test_one_batch_stores_what_the_same_entries_stored_one_by_one_store(tmp_path: Path) -> None:
    # store() decides per batch with bulk statements; the outcome must be the one of storing the
    # entries one at a time, in order: versions numbered in entry order, an older capture's
    # content not brought back, a 404 marking the article removed and a later 200 bringing it back.
    other = "http://example.com/news/other-story/"
    a1 = dataclasses.replace(ARTICLE, text="X", authors=("Ann Lee", "Bo Chen"), tags=("politics",))
    a2 = dataclasses.replace(ARTICLE, text="Y", authors=("Bo Chen",), tags=("politics", "europe"))
    b1 = dataclasses.replace(ARTICLE, url=other, text="Z", authors=("Ann Lee",), tags=())
    entries: list[tuple[Capture, Any]] = [
        (_capture(0, day=1), a1),
        (_capture(1, day=2), a2),  # new content: version 2
        (_capture(0, day=1), a1),  # the older capture again: unchanged
        (_capture(2, day=3, url=other), b1),
        (_capture(3, day=4, url=other, status=404), None),  # gone
        (_capture(4, day=5), a2),  # same as current: unchanged, dates move on
        (_capture(5, day=6, url=other), dataclasses.replace(b1, text="Z2")),  # back, edited
        (_capture(6, day=7, status=304), None),
        (_capture(7, day=8), a1),  # X again from a new capture: version 3
    ]
    one_by_one = open_database(f"sqlite:///{tmp_path / 'one.db'}")
    for entry in entries:
        with one_by_one.begin() as session:
            store(session, [entry])
    batched = open_database(f"sqlite:///{tmp_path / 'batch.db'}")
    with batched.begin() as session:
        stats = store(session, entries)
    expected = _dump(one_by_one)
    assert _dump(batched) == expected
    assert stats.versions_new == 5 and stats.articles_new == 2 and stats.removed == 1
    assert [v[0:2] for v in expected["articles"][CAPTURE.url][3]] == [(1, "X"), (2, "Y"), (3, "X")]
    assert expected["articles"][other][2] is None  # removed, then back
    with batched.begin() as session:  # and the whole batch again changes nothing
        again = store(session, entries)
    assert (again.versions_new, again.articles_new) == (0, 0)
    assert _dump(batched) == expected


def test_migration_0005_backfills_what_each_capture_last_extracted_to(backend: str, new_database_url: Any) -> None:
    """A database written before captures.content_hash: each capture that made versions gets the hash
    of the latest of them; re-extracting it to that content then changes nothing."""
    from sqlalchemy import create_engine, text

    from archive.db import upgrade_to

    url = new_database_url(backend)
    engine = create_engine(url)
    t = CAPTURE.fetched_at
    with engine.begin() as connection:
        upgrade_to(connection, "0004_capture_extracted_as")
        for statement in (
            "INSERT INTO sites (id, name, host, created_at) VALUES (1, 'example.com', 'example.com', :t)",
            "INSERT INTO captures (id, site_id, url, method, status, fetched_at, record_type, warc_file, warc_offset,"
            " warc_length, warc_record_id) VALUES (1, 1, :u, 'GET', 200, :t, 'response', 'f.warc.gz', 0, 1, '<1>')",
            "INSERT INTO captures (id, site_id, url, method, status, fetched_at, record_type, warc_file, warc_offset,"
            " warc_length, warc_record_id) VALUES (2, 1, :u, 'GET', 200, :t, 'response', 'f.warc.gz', 9, 1, '<2>')",
            "INSERT INTO articles (id, site_id, url, first_captured_at, last_captured_at) VALUES (1, 1, :u, :t, :t)",
            "INSERT INTO article_versions (id, article_id, number, capture_id, content_hash, created_at, extractor,"
            " extractor_version, text) VALUES (1, 1, 1, 1, 'old', :t, 'x', '1', 'X')",
            "INSERT INTO article_versions (id, article_id, number, capture_id, content_hash, created_at, extractor,"
            " extractor_version, text) VALUES (2, 1, 2, 1, :h, :t, 'x', '2', 'Y')",
            "UPDATE articles SET current_version_id = 2",
        ):
            connection.execute(text(statement), {"t": t, "u": CAPTURE.url, "h": _y().content_hash()})
    engine.dispose()
    sessions = open_database(url)  # migrates to heads: 0005 backfills
    with sessions() as session:
        hashes = dict(session.execute(select(models.Capture.id, models.Capture.content_hash)).all())
        assert hashes == {1: _y().content_hash(), 2: None}
    with sessions.begin() as session:
        again = store(session, [(CAPTURE, _y())])
    assert (again.versions_new, again.unchanged) == (0, 1)


def _y() -> Article:
    return dataclasses.replace(ARTICLE, text="Y")
