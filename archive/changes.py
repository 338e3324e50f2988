"""What changed between versions of an article, and the recent edits of the archive.

``Story`` is what a reader sees of an article (title, body, byline, declared dates): a new version
is made only when it changed (archive/store.py), and ``describe`` records how, in
``article_versions.changes``. ``recent_edits`` is the query behind ``newsarchive changes`` (and the
web reader's edits page): every word count and diff comes from archive/textdiff.py.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from archive import models
from archive.sites import SiteSelector
from archive.textdiff import short_diff, word_counts


@dataclass(frozen=True, slots=True)
class Story:
    """What a reader sees of one version of an article."""

    title: str | None
    text: str
    authors: tuple[str, ...]
    published: str | None
    modified: str | None


def describe(old: Story, new: Story) -> dict[str, Any]:
    """What *new* changed against *old*: title, byline, dates (booleans), body words added and removed."""
    counts = word_counts(old.text, new.text)
    return {
        "title": (old.title or "") != (new.title or ""),
        "byline": old.authors != new.authors,
        "dates": (old.published, old.modified) != (new.published, new.modified),
        "words_added": counts.added,
        "words_removed": counts.removed,
    }


def summary(changes: dict[str, Any]) -> str:
    """``title changed, +3/-1 words, byline changed``: the changes in a few words."""
    parts = [f"{name} changed" for name in ("title", "byline", "dates") if changes.get(name)]
    if changes.get("words_added") or changes.get("words_removed"):
        parts.insert(int(bool(changes.get("title"))), f"+{changes['words_added']}/-{changes['words_removed']} words")
    return ", ".join(parts) or "no visible change"


@dataclass(frozen=True, slots=True)
class Edit:
    """One version that changed an archived article."""

    article_id: int
    url: str
    site: str
    site_name: str
    number: int
    captured_at: dt.datetime
    title: str | None
    previous_title: str | None
    changes: dict[str, Any]
    diff: str  # word-level, short (textdiff.short_diff), of the body

    def as_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "url": self.url,
            "site": self.site,
            "version": self.number,
            "captured_at": self.captured_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "title": self.title,
            "previous_title": self.previous_title,
            "changes": self.changes,
            "summary": summary(self.changes),
            "diff": self.diff,
        }


def recent_edits(
    session: Session, since: dt.datetime, site: SiteSelector | None = None, limit: int | None = 50
) -> list[Edit]:
    """The versions after an article's first captured at or after *since*, newest first, at most *limit* (None: all)."""
    v, old, a, c = models.ArticleVersion, aliased(models.ArticleVersion), models.Article, models.Capture
    query = (
        select(
            a.url,
            models.Site.host,
            v.number,
            c.fetched_at,
            v.title,
            v.text,
            v.changes,
            old.title,
            old.text,
            a.id,
            models.Site.name,
        )
        .join(a, a.id == v.article_id)
        .join(models.Site, models.Site.id == a.site_id)
        .join(c, c.id == v.capture_id)
        .join(old, (old.article_id == v.article_id) & (old.number == v.number - 1))
        .where(v.number > 1, c.fetched_at >= since)
        .order_by(c.fetched_at.desc(), v.id.desc())
        .limit(limit)
    )
    if site is not None:
        query = query.where(site.sql(models.Site.host))
    edits: list[Edit] = []
    for row in session.execute(query):
        changes = json.loads(row.changes) if row.changes else _recomputed(row)
        fetched = row.fetched_at if row.fetched_at.tzinfo else row.fetched_at.replace(tzinfo=dt.UTC)
        edits.append(
            Edit(
                row[9],
                row.url,
                row.host,
                row[10],
                row.number,
                fetched,
                row[4],
                row[7],
                changes,
                short_diff(row[8] or "", row[5] or ""),
            )
        )
    return edits


def _recomputed(row: Sequence[Any]) -> dict[str, Any]:
    """What a version made before edit tracking changed, as far as its row tells (no byline or dates)."""
    counts = word_counts(row[8] or "", row[5] or "")
    return {
        "title": (row[7] or "") != (row[4] or ""),
        "byline": None,
        "dates": None,
        "words_added": counts.added,
        "words_removed": counts.removed,
    }
