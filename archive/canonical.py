"""Which article a page belongs to: decided here for ``store()``, so for the crawl and for
``newsarchive reextract`` alike.

A page is the article of its own URL (canonicalized: tracking parameters never tell two articles
apart, archive/urls.py) unless it names another URL of its site as canonical and the evidence
agrees. Any page of a site can carry ``<link rel=canonical>`` (a reader's post naming the front-page
story, a CMS that names the home page on every article), so the declaration alone never moves a
page into another article. The canonical URL is followed when

1. the site sent us here from it: its 3xx led to this fetch (``Capture.redirected_from``);
2. otherwise, never when it is a listing (by its path, archive/extraction/urlshape.py, or as
   captured) or an article marked removed; if it was captured as itself, only when this page
   extracted to exactly the content of its latest version captured there (one story at two
   addresses: AMP, print, a query variant);
3. otherwise (never captured as itself): when nothing else the page declares as its own URL
   (og:url, JSON-LD ``url`` / ``mainEntityOfPage``) names another one.

Anything else is stored under the page's own URL, with a warning naming both URLs and why. What
the archive knows counts in entry order: an earlier entry of the batch is evidence as rows are.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive import models
from archive.capture import Capture
from archive.extract import Article, NotAnArticle
from archive.extraction.urlshape import is_listing_path
from archive.urls import canonicalize, host_of

logger = logging.getLogger(__name__)

Entry = tuple[Capture, Article | NotAnArticle | None]


@dataclass(slots=True)
class _Known:
    """What the archive knows of a URL that pages name as their canonical."""

    exists: bool = False  # an article of that URL is stored
    removed: bool = False  # ... and marked removed (it answered 404/410)
    latest_hash: str | None = None  # the content of its latest version captured under that URL
    listing: bool = False  # it was captured as a listing


def claimed_url(capture_url: str, result: Article) -> str | None:
    """The other URL of the same site the page names as its canonical, canonicalized; None when it
    names none, its own, or one on another site (those pages are always their own article)."""
    if not result.canonical_url:
        return None
    claimed = canonicalize(result.canonical_url)
    if claimed == canonicalize(capture_url) or host_of(claimed) != host_of(capture_url):
        return None
    return claimed


def article_owners(session: Session, entries: Sequence[Entry]) -> list[str]:
    """Per entry, the URL of the article it speaks of: for an ``Article`` result, its own URL or the
    canonical it names, as the evidence says; for any other entry (a 304/404/410 re-check of an
    article, a listing...), its own URL, canonicalized as articles' URLs are."""
    claims: dict[int, str] = {}
    spellings: dict[str, set[str]] = {}  # claimed URL -> as the pages wrote it
    for i, (capture, result) in enumerate(entries):
        if isinstance(result, Article) and result.canonical_url and (claimed := claimed_url(capture.url, result)):
            claims[i] = claimed
            spellings.setdefault(claimed, {claimed}).add(result.canonical_url)
    known = _load(session, spellings)
    owners: list[str] = []
    for i, (capture, result) in enumerate(entries):
        own = owner = canonicalize(capture.url)
        if i in claims and isinstance(result, Article):
            owner = _follow(capture, result, claims[i], known[claims[i]])
        owners.append(owner)
        if own in known:
            _learn(known[own], capture, result, stored_as_itself=owner == own)
    return owners


def _follow(capture: Capture, result: Article, claimed: str, known: _Known) -> str:
    """*claimed* when the evidence agrees that the page is that article; else the page's own URL."""
    if claimed in {canonicalize(url) for url in capture.redirected_from}:
        return claimed
    if known.listing or is_listing_path(urlsplit(claimed).path):
        why = "that URL is a listing's"
    elif known.removed:
        why = "that article is marked removed"
    elif known.latest_hash is not None:
        if known.latest_hash == result.content_hash():
            return claimed
        why = "that URL was captured as itself with other content"
    else:
        others = [url for url in result.declared_urls if canonicalize(url) != claimed]
        if not others:
            return claimed
        why = f"the page also names {others[0]} as its own URL"
    logger.warning("canonical %s of %s not followed (%s): stored under its own URL", claimed, capture.url, why)
    return canonicalize(capture.url)


def _learn(known: _Known, capture: Capture, result: Article | NotAnArticle | None, *, stored_as_itself: bool) -> None:
    """What storing this entry, a capture of a URL other pages name as canonical, tells about it."""
    if isinstance(result, Article) and stored_as_itself:
        known.exists, known.removed, known.latest_hash = True, False, result.content_hash()
    elif isinstance(result, NotAnArticle) and result.kind == "listing":
        known.listing = True
    elif capture.method == "GET" and capture.status in (404, 410) and known.exists:
        known.removed = True


def _load(session: Session, spellings: dict[str, set[str]]) -> dict[str, _Known]:
    """What the database knows of each claimed URL (the keys; the values are how pages spell them)."""
    known = {url: _Known() for url in spellings}
    A, V, C = models.Article, models.ArticleVersion, models.Capture
    for chunk in _chunks(sorted(known)):
        for url, removed_at in session.execute(select(A.url, A.removed_at).where(A.url.in_(chunk))):
            known[url].exists, known[url].removed = True, removed_at is not None
        versions = (
            select(A.url, C.url, V.content_hash)
            .join(V, V.article_id == A.id)
            .join(C, C.id == V.capture_id)
            .where(A.url.in_(chunk))
            .order_by(A.url, V.number)
        )
        for url, capture_url, content_hash in session.execute(versions):
            if canonicalize(capture_url) == url:
                known[url].latest_hash = content_hash
    # Captures keep the URL as fetched: look for each spelling a page gave of the URL.
    for chunk in _chunks(sorted(set().union(*spellings.values()))):
        listings = select(C.url).where(C.url.in_(chunk), C.extracted_as == "listing").distinct()
        for (url,) in session.execute(listings):
            if canonicalize(url) in known:
                known[canonicalize(url)].listing = True
    return known


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    # Bound the bound parameters of one IN (...), as store() does.
    for start in range(0, len(values), size):
        yield values[start : start + size]
