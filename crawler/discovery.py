"""Generic discovery on sites never seen before: what a link is, judged by its shape.

Pure functions over URLs and parsel selectors, so the spider stays a thin dispatcher and the
rules can be tested on their own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.etree
from parsel import Selector

from archive.extraction.urlshape import is_listing_path, is_listing_segment
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
PAGINATION_URL = re.compile(r"/page/\d+/?$|[?&](page|p|pg|paged)=\d+(&|$)", re.IGNORECASE)
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
    path = urlsplit(url).path
    segments = [s for s in path.lower().split("/") if s]
    return (
        has_page_extension(url)
        or is_listing_path(path)
        or bool(segments and segments[0] in UTILITY_SEGMENTS)
        or bool(PAGINATION_URL.search(url))
    )


def _names_no_article(segment: str) -> bool:
    return is_listing_segment(segment) or segment in UTILITY_SEGMENTS


def looks_like_article_url(url: str) -> bool:
    """An article URL carries a slug of several words or an id/date; listings and utility pages
    are named by one of a few words (``/tag/x/``, ``/author/y/``, ``/page/2/``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or has_page_extension(url):
        return False
    segments = [s for s in parts.path.lower().split("/") if s]
    if not segments or any(_names_no_article(s) for s in segments[:-1] or segments):
        return False
    if PAGINATION_URL.search(url):
        return False
    path = parts.path
    return bool(_SLUG.search(segments[-1]) or _LONG_NUMBER.search(path) or len(segments[-1]) >= 25)


@dataclass(frozen=True, slots=True)
class Links:
    articles: list[str]
    pagination: list[str]
    feeds: list[str]
    truncated: bool = False  # the page had more links than were looked at


def page_links(selector: Selector, base_url: str, max_links: int = 2000) -> Links:
    """Classify the links of an HTML page: article candidates, pagination, feeds.

    Looks at the first *max_links* anchors only: a page with 100,000 links is an attack or a
    mistake, and walking it all would stall the reactor and flood the frontier."""
    root = selector.root
    pagination: list[str] = []
    feeds: list[str] = []
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if not href:
            continue
        if "next" in rel:
            pagination.append(urljoin(base_url, href))
        elif "alternate" in rel and (link.get("type") or "").lower() in FEED_TYPES:
            feeds.append(urljoin(base_url, href))
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
        articles=_unique(articles), pagination=_unique(pagination), feeds=_unique(feeds), truncated=seen > max_links
    )


def _headline_link(url: str, text: str) -> bool:
    # A teaser's link text is a headline: several words, pointing at a page that is no listing.
    parts = urlsplit(url)
    return len(text.split()) >= 5 and parts.scheme in ("http", "https") and not is_listing_url(url)


def _unique(urls: list[str]) -> list[str]:
    return list(dict.fromkeys(canonicalize(u) for u in urls))


# --- feeds ----------------------------------------------------------------------------------
def _safe_xml_parser() -> lxml.etree.XMLParser:
    # No entity expansion, no network, no DTD loading: XML bombs and XXE stay inert.
    return lxml.etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=True,
        remove_comments=True,
        remove_pis=True,
    )


def _warn_if_cut_short(parser: lxml.etree.XMLParser, url: str) -> None:
    """libxml2 stops reading a document nested deeper than 256 levels and, recovering, keeps what
    came before: say so, or the entries after that point vanish without a word."""
    deep = next((error for error in parser.error_log if "Excessive depth" in error.message), None)
    if deep is not None:
        logger.warning(
            "feed %s nests elements deeper than the XML parser follows (256 levels, at line %d, column %d); "
            "its entries after that point are ignored",
            url,
            deep.line,
            deep.column,
        )


def xml_root_name(body: bytes) -> str | None:
    """The local name of the root element of an XML document, or None if it is not XML."""
    head = body[:2048].lstrip()
    if not head.startswith(b"<"):
        return None
    try:
        root = lxml.etree.fromstring(body, parser=_safe_xml_parser())
    except (lxml.etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    return lxml.etree.QName(root).localname.lower()


@dataclass(frozen=True, slots=True)
class FeedEntry:
    url: str
    updated: str | None


def feed_entries(body: bytes, base_url: str) -> Iterator[FeedEntry]:
    """Entries of an RSS 0.9x/1.0/2.0 or Atom feed: their link and last-change date."""
    parser = _safe_xml_parser()
    try:
        root = lxml.etree.fromstring(body, parser=parser)
    except (lxml.etree.XMLSyntaxError, ValueError):
        return
    if root is None:
        return
    _warn_if_cut_short(parser, base_url)
    for element in root.iter("{*}item", "{*}entry"):
        link = None
        for candidate in element.iterchildren("{*}link"):
            rel = candidate.get("rel", "alternate")
            href = candidate.get("href") or (candidate.text or "").strip()
            if href and rel == "alternate":
                link = href
                break
        if not link:
            guid = element.find("{*}guid")
            if guid is not None and (guid.get("isPermaLink", "true") == "true") and guid.text:
                link = guid.text.strip()
        if not link:
            continue
        updated = None
        for name in ("{*}updated", "{*}pubDate", "{*}published", "{*}date", "{*}modified"):
            node = element.find(name)
            if node is not None and node.text:
                updated = node.text.strip()
                break
        yield FeedEntry(urljoin(base_url, link), updated)
