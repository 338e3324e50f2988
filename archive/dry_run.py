"""A dry run: the real ``store()``, in a transaction that is rolled back, and what it made there.

``newsarchive reextract --dry-run`` does not imitate ``store()``'s decisions: it runs them. Every
batch is a savepoint of one outer transaction that nothing commits; before the rollback, the
versions the run made are read back and each is described against the version before it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from archive import models

_COMPARED = ("title", "authors", "published", "modified", "language", "description", "section", "tags")


@dataclass(frozen=True, slots=True)
class Change:
    """An article a (dry) run creates or gives a new version, with a one-line summary."""

    url: str
    summary: str


@contextmanager
def rolled_back(sessions: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """A session factory on one connection whose every ``begin()`` is a savepoint of an outer
    transaction, rolled back when the block ends. Use it from one thread."""
    engine = sessions.kw["bind"]
    with engine.connect() as connection:
        outer = connection.begin()
        try:
            yield sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        finally:
            outer.rollback()


def last_version_id(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(models.ArticleVersion.id), 0))) or 0)


def snapshot(version: models.ArticleVersion) -> dict[str, Any]:
    return {
        "title": version.title,
        "text": version.text,
        "authors": [a.name for a in version.authors],
        "published": version.published,
        "modified": version.modified,
        "language": version.language,
        "description": version.description,
        "section": version.section,
        "tags": [t.name for t in version.tags],
        "extractor_version": version.extractor_version,
    }


def versions_made(session: Session, keys: set[tuple[str, int]], after_id: int) -> list[Change]:
    """The versions newer than *after_id* made from the captures *keys*, each described."""
    V, C, A = models.ArticleVersion, models.Capture, models.Article
    made = session.scalars(
        select(V)
        .join(C, C.id == V.capture_id)
        .where(V.id > after_id, tuple_(C.warc_file, C.warc_offset).in_(sorted(keys)))
        .order_by(V.id)
    ).all()
    changes = []
    for version in made:
        url = session.scalar(select(A.url).where(A.id == version.article_id)) or ""
        previous = session.scalars(
            select(V).where(V.article_id == version.article_id, V.number == version.number - 1)
        ).one_or_none()
        old = snapshot(previous) if previous is not None else None
        changes.append(Change(url, describe_change(old, snapshot(version), version.number)))
    return changes


def describe_change(old: dict[str, Any] | None, new: dict[str, Any], number: int) -> str:
    """A one-line summary of what a new version changes: the fields, and paragraphs of text."""
    if old is None:
        words = len(new["text"].split())
        return f"new article: {new['title'] or '(no title)'!r}, {words} words"
    parts = [name for name in _COMPARED if old.get(name) != new.get(name)]
    if old.get("text") != new["text"]:
        before, after = (old.get("text") or "").splitlines(), new["text"].splitlines()
        added = removed = 0
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
            if tag in ("replace", "delete"):
                removed += i2 - i1
            if tag in ("replace", "insert"):
                added += j2 - j1
        parts.append(f"text +{added}/-{removed} paragraphs")
    summary = f"v{number - 1} -> v{number}: {', '.join(parts) or 'content hash only'}"
    if old.get("extractor_version") != new["extractor_version"]:
        summary += f" (extractor {old.get('extractor_version')} -> {new['extractor_version']})"
    return summary
