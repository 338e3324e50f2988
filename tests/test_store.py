"""store(): the one write path; idempotent, versioned."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

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
