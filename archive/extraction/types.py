"""Result types of the extraction function; all picklable (they cross a process-pool boundary)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from dataclasses import dataclass
from typing import Any

EXTRACTOR_NAME = "newsarchive"
# Bump the first part whenever the output for the same input bytes can change: the version is stored
# on every article_versions row, so a re-extraction knows which rows are stale.
# From the installed distribution, not `trafilatura.__version__`: importing trafilatura takes a
# second, and a command that only reads the archive never needs it.
EXTRACTOR_VERSION: str = f"0.4.7+trafilatura{importlib.metadata.version('trafilatura')}"


@dataclass(frozen=True, slots=True)
class ExtractionHints:
    """Optional per-site hints from site profiles; a site never needs them to work."""

    drop_xpaths: tuple[str, ...] = ()
    body_xpath: str | None = None


@dataclass(frozen=True, slots=True)
class Article:
    url: str
    canonical_url: str | None
    title: str | None
    text: str
    authors: tuple[str, ...]
    published: str | None
    modified: str | None
    language: str | None
    description: str | None
    section: str | None
    tags: tuple[str, ...]
    image: str | None
    site_name: str | None
    extractor: str = EXTRACTOR_NAME
    extractor_version: str = EXTRACTOR_VERSION
    # Every URL the page names as its own (canonical_url is the first): whether a canonical that
    # points elsewhere is to be followed depends on whether the others agree (archive/canonical.py).
    declared_urls: tuple[str, ...] = ()
    # Digest of the input this result was made from (archive/extraction/reuse.py): a later capture
    # whose input digests the same is given this result again. None when not made by the pool.
    input_digest: str | None = None

    @property
    def kind(self) -> str:
        """What extraction made of the page, as ``NotAnArticle.kind`` says it for the other outcomes."""
        return "article"

    def content_hash(self) -> str:
        """Hash of what a reader sees; url/extractor are left out so a re-extraction that changes
        nothing visible (or the same story under another URL) hashes the same."""
        payload = {
            "title": self.title,
            "text": self.text,
            "authors": list(self.authors),
            "published": self.published,
            "modified": self.modified,
            "language": self.language,
            "description": self.description,
            "section": self.section,
            "tags": list(self.tags),
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class NotAnArticle:
    url: str
    reason: str
    kind: str  # "listing" | "site-page" | "script-built" | "non-html" | "empty" | "error"
    canonical_url: str | None = None
    title: str | None = None
    input_digest: str | None = None  # as Article.input_digest


def to_record(result: Article | NotAnArticle) -> dict[str, Any]:
    """One flat JSON-able dict per result, the same keys for both outcomes (the CLI prints these)."""
    if isinstance(result, Article):
        return {
            "url": result.url,
            "canonical_url": result.canonical_url,
            "title": result.title,
            "authors": list(result.authors),
            "published": result.published,
            "modified": result.modified,
            "language": result.language,
            "description": result.description,
            "section": result.section,
            "tags": list(result.tags),
            "image": result.image,
            "site_name": result.site_name,
            "text": result.text,
            "extractor": result.extractor,
            "extractor_version": result.extractor_version,
            "is_article": True,
            "reason": None,
        }
    return {
        "url": result.url,
        "canonical_url": result.canonical_url,
        "title": result.title,
        "authors": [],
        "published": None,
        "modified": None,
        "language": None,
        "description": None,
        "section": None,
        "tags": [],
        "image": None,
        "site_name": None,
        "text": "",
        "extractor": EXTRACTOR_NAME,
        "extractor_version": EXTRACTOR_VERSION,
        "is_article": False,
        "reason": result.reason,
        "kind": result.kind,
    }
