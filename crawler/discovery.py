"""Generic discovery on sites never seen before: what a link is, judged by its shape.

Pure functions over URLs and parsel selectors, so the spider stays a thin dispatcher and the
rules can be tested on their own.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
from parsel import Selector

from archive.extraction.urlshape import is_listing_path, names_document, query_picks_document
from archive.urls import canonicalize

logger = logging.getLogger(__name__)

NON_PAGE_EXTENSIONS = frozenset(
    [
        ".jpg",
        ".jpeg",
        ".png",
        ".gif",
        ".webp",
        ".svg",
        ".ico",
        ".bmp",
        ".tif",
        ".tiff",
        ".avif",
        ".mp3",
        ".mp4",
        ".m4a",
        ".m4v",
        ".webm",
        ".ogg",
        ".wav",
        ".mov",
        ".avi",
        ".pdf",
        ".doc",
        ".docx",
        ".xls",
        ".xlsx",
        ".ppt",
        ".pptx",
        ".zip",
        ".gz",
        ".tar",
        ".rar",
        ".7z",
        ".exe",
        ".dmg",
        ".apk",
        ".css",
        ".js",
        ".json",
        ".woff",
        ".woff2",
        ".ttf",
        ".eot",
        ".txt",
        ".csv",
        ".epub",
    ]
)
# Path segments of utility pages, which are neither an article nor a listing of them: accounts, legal and
# company pages, feeds. Listings' segments are `LISTING_SEGMENTS`, the list extraction judges pages by.
UTILITY_SEGMENTS = frozenset(
    [
        "login",
        "logout",
        "signin",
        "signup",
        "register",
        "subscribe",
        "subscription",
        "account",
        "newsletter",
        "newsletters",
        "about",
        "contact",
        "privacy",
        "terms",
        "cookies",
        "advertise",
        "jobs",
        "careers",
        "feed",
        "rss",
        "atom",
        "amp-stories",
        "user",
        "users",
        "membership",
        "donate",
        "help",
        "faq",
        "imprint",
        "impressum",
        "sitemap",
        "wp-admin",
        "wp-login.php",
        "cdn-cgi",
    ]
)
PAGINATION_TEXT = re.compile(
    r"^\s*(show|load|view|see|read)\s+more(\s+(stories|news|articles|posts))?\s*$|^\s*(next|older)"
    r"(\s+(page|posts|stories|articles|entries))?\s*[›»→>]*\s*$|^\s*[›»→]\s*$|^\s*more\s+(stories|news|articles)\s*$",
    re.IGNORECASE,
)
# "p" is WordPress's post id as often as a page number: "?p=31228" is a post, "?p=2" a listing's next page.
PAGINATION_URL = re.compile(r"/page/\d+/?$|[?&](?:page|pg|paged)=\d+(?:&|$)|[?&]p=\d{1,3}(?:&|$)", re.IGNORECASE)
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml")
_SLUG = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+){2,}", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"\d{5,}|\d{4}/\d{1,2}(/\d{1,2})?")


def has_page_extension(url: str) -> bool:
    path = urlsplit(url).path.lower()
    dot = path.rfind(".")
    return dot > path.rfind("/") and path[dot:] in NON_PAGE_EXTENSIONS


def is_listing_url(url: str) -> bool:
    """A URL that is no article: a listing's path as extraction judges it (a front page, ``/tag/x/``,
    ``/de/themen/y/``), a utility page by its first segment (``/login``, ``/about/``), a listing's next
    page (``/page/2/``, ``?page=2``), or a file that is not a page."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.lower().split("/") if s]
    return (
        has_page_extension(url)
        or is_listing_path(parts.path, parts.query)
        or bool(segments and segments[0] in UTILITY_SEGMENTS)
        or bool(PAGINATION_URL.search(url))
    )


def looks_like_article_url(url: str) -> bool:
    """An article URL is no listing by extraction's rule (`is_listing_path`: a listing word followed by a story's
    slug, ``/themen/der-rat-beschliesst-den-plan``, is a story) and names one document: a slug of several words, a
    file name, an id or a date in the path, or a post id in the query (``/?p=31228``). Utility pages
    (``/about/…``, ``/login``) are never candidates."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or has_page_extension(url):
        return False
    if is_listing_path(parts.path, parts.query) or PAGINATION_URL.search(url):
        return False
    segments = [s for s in parts.path.lower().split("/") if s]
    if any(s in UTILITY_SEGMENTS for s in segments[:-1] or segments):
        return False
    if not segments:
        return query_picks_document(parts.query)
    last = segments[-1]
    return bool(_SLUG.search(last) or names_document(last) or _LONG_NUMBER.search(parts.path) or len(last) >= 25)


@dataclass(frozen=True, slots=True)
class Links:
    articles: list[str]
    pagination: list[str]
    feeds: list[str]
    truncated: bool = False  # the page had more links than were looked at


def page_links(selector: Selector, base_url: str, max_links: int = 2000) -> Links:
    """Classify the links of an HTML page: article candidates, pagination, feeds.

    Looks at the first *max_links* anchors and the first *max_links* ``<link>`` elements only: a
    page with 100,000 links (or 100,000 feeds announced in its head) is an attack or a mistake,
    and walking it all would stall the reactor and flood the frontier."""
    root = selector.root
    pagination, feeds, head_truncated = _head_links(root, base_url, max_links)
    articles: list[str] = []
    seen = 0
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:", "data:")):
            continue
        seen += 1
        if seen > max_links:
            break
        url = urljoin(base_url, href)
        text = " ".join(anchor.itertext()).strip()
        if (
            "next" in (anchor.get("rel") or "").lower().split()
            or PAGINATION_TEXT.match(text)
            or (PAGINATION_URL.search(url) and text.isdigit())
        ):
            pagination.append(url)
        elif looks_like_article_url(url) or _headline_link(url, text):
            articles.append(url)
    return Links(
        articles=_unique(articles),
        pagination=_unique(pagination),
        feeds=_unique(feeds),
        truncated=seen > max_links or head_truncated,
    )


def _head_links(root: lxml.etree._Element, base_url: str, max_links: int) -> tuple[list[str], list[str], bool]:
    """``rel=next`` pagination and announced feeds of the first *max_links* ``<link>`` elements,
    and whether there were more."""
    pagination: list[str] = []
    feeds: list[str] = []
    for seen, link in enumerate(root.iter("link")):
        if seen == max_links:
            return pagination, feeds, True
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if not href:
            continue
        if "next" in rel:
            pagination.append(urljoin(base_url, href))
        elif "alternate" in rel and (link.get("type") or "").lower() in FEED_TYPES:
            feeds.append(urljoin(base_url, href))
    return pagination, feeds, False


def _headline_link(url: str, text: str) -> bool:
    # A teaser's link text is a headline: several words, pointing at a page that is no listing.
    parts = urlsplit(url)
    return len(text.split()) >= 5 and parts.scheme in ("http", "https") and not is_listing_url(url)


def _unique(urls: list[str]) -> list[str]:
    return list(dict.fromkeys(canonicalize(u) for u in urls))


def parse_date(value: str | None) -> dt.datetime | None:
    """A feed or sitemap date (ISO 8601 or RFC 2822) as aware UTC. A bare date means the end of
    that day: a page changed later on the day we captured it must not look unchanged."""
    if not value:
        return None
    value = value.strip()
    moment: dt.datetime | None
    try:
        if len(value) == 10 and value[4] == "-":
            moment = dt.datetime.fromisoformat(value) + dt.timedelta(days=1) - dt.timedelta(seconds=1)
        else:
            moment = dt.datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def gunzip_within(data: bytes, limit: int) -> bytes:
    """Decompress at most *limit* bytes: a gzip bomb stops there instead of filling memory."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            return stream.read(limit)
    except (OSError, EOFError):
        return data


# --- feeds and sitemaps ----------------------------------------------------------------------
# No entity expansion, no network, no DTD loading: XML bombs and XXE stay inert.
_HARDENED_PARSE = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "recover": True,
    "remove_comments": True,
    "remove_pis": True,
}


def _streamed(body: bytes, tags: tuple[str, ...], url: str = "") -> Iterator[lxml.etree._Element]:
    """The elements named *tags*, each as it ends, from a hardened streaming parse. Each one is
    emptied, and the siblings read before it dropped, once the caller asks for the next: memory
    stays flat however many entries a document has, and a caller that stops early stops the parse."""
    events = lxml.etree.iterparse(io.BytesIO(body), events=("end",), tag=tags, **_HARDENED_PARSE)
    try:
        for _, element in events:
            yield element
            element.clear(keep_tail=False)
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    except lxml.etree.XMLSyntaxError:
        pass  # what recovery cannot read ends the document; the entries before it count
    _warn_if_cut_short(events.error_log, url)


def _warn_if_cut_short(error_log: Any, url: str) -> None:
    """libxml2 stops reading a document nested deeper than 256 levels and, recovering, keeps what
    came before: say so, or the entries after that point vanish without a word."""
    deep = next((error for error in error_log if "Excessive depth" in error.message), None)
    if deep is not None and url:  # sitemaps: still cut without a word (their parser gets no URL yet)
        logger.warning(
            "feed %s nests elements deeper than the XML parser follows (256 levels, at line %d, column %d); "
            "its entries after that point are ignored",
            url,
            deep.line,
            deep.column,
        )


def xml_root_name(body: bytes) -> str | None:
    """The local name of the root element of an XML document, or None if it is not XML. Reads the
    document only up to that element."""
    head = body[:2048].lstrip()
    if not head.startswith(b"<"):
        return None
    try:
        for _, root in lxml.etree.iterparse(io.BytesIO(body), events=("start",), **_HARDENED_PARSE):
            return lxml.etree.QName(root).localname.lower()
    except (lxml.etree.XMLSyntaxError, ValueError):
        return None
    return None


def _child_text(element: lxml.etree._Element, name: str) -> str | None:
    for child in element.iterchildren("{*}" + name):
        text = (child.text or "").strip()
        if text:
            return text
    return None


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    url: str
    lastmod: str | None
    # Google News sitemaps (<news:news>): the story's publication date, title and keywords.
    news_published: str | None = None
    news_title: str | None = None
    news_keywords: tuple[str, ...] = ()

    @property
    def dates(self) -> tuple[str, ...]:
        """The dates the entry gives the story: each is a change signal, like a feed's date."""
        return tuple(d for d in (self.lastmod, self.news_published) if d)


def sitemap_entries(body: bytes, index: bool) -> Iterator[SitemapEntry]:
    """The ``<url>`` entries of a sitemap, or the ``<sitemap>`` entries of a sitemap index
    (*index*), as the document is read: a caller that stops early parses no further."""
    for element in _streamed(body, ("{*}sitemap",) if index else ("{*}url",)):
        loc = _child_text(element, "loc")
        if loc:
            news = next(element.iterchildren("{*}news"), None)
            if news is None:
                yield SitemapEntry(loc, _child_text(element, "lastmod"))
                continue
            keywords = (_child_text(news, "keywords") or "").split(",")
            yield SitemapEntry(
                loc,
                _child_text(element, "lastmod"),
                _child_text(news, "publication_date"),
                _child_text(news, "title"),
                tuple(k.strip() for k in keywords if k.strip()),
            )


@dataclass(frozen=True, slots=True)
class FeedEntry:
    url: str
    updated: str | None


_FEED_DATES = ("updated", "pubDate", "published", "date", "modified")


def feed_entries(body: bytes, base_url: str) -> Iterator[FeedEntry]:
    """Entries of an RSS 0.9x/1.0/2.0 or Atom feed: their link and last-change date, as the feed
    is read (a caller that stops early parses no further)."""
    for element in _streamed(body, ("{*}item", "{*}entry"), base_url):
        link = _entry_link(element)
        if link:
            updated = next(filter(None, (_child_text(element, name) for name in _FEED_DATES)), None)
            yield FeedEntry(urljoin(base_url, link), updated)


def _entry_link(element: lxml.etree._Element) -> str | None:
    for candidate in element.iterchildren("{*}link"):
        rel = candidate.get("rel", "alternate")
        href = candidate.get("href") or (candidate.text or "").strip()
        if href and rel == "alternate":
            return href
    guid = element.find("{*}guid")
    if guid is not None and guid.get("isPermaLink", "true") == "true" and guid.text:
        return guid.text.strip()
    return None
