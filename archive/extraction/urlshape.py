"""What a URL's path says about its page: whether it is a listing's (a front page, or a section, tag, topic,
author, archive or search page). The one definition that extraction's listing check and the crawler's link
discovery share. It imports nothing but `re`, so the crawler can use it without loading the extraction code."""

from __future__ import annotations

import re

# Path segments that name a page about many stories, in the languages of the sites archived so far.
LISTING_SEGMENTS: tuple[str, ...] = (
    "tag",
    "tags",
    "topic",
    "topics",
    "category",
    "categories",
    "author",
    "authors",
    "section",
    "sections",
    "archive",
    "archives",
    "page",
    "search",
    "people",
    "profile",
    # German
    "schlagwort",
    "thema",
    "themen",
    "stichwort",
    "autor",
    "autoren",
    "rubrik",
    "kategorie",
    # Spanish, Portuguese, Italian
    "etiqueta",
    "tema",
    "temas",
    "categoria",
    "argomento",
    # French
    "auteur",
    "sujet",
    "rubrique",
)
_WORDS = "|".join(map(re.escape, LISTING_SEGMENTS))
_LISTING_SEGMENT = re.compile(rf"(?:{_WORDS})", re.I)
_LISTING_IN_PATH = re.compile(rf"/(?:{_WORDS})(?:/|$)", re.I)
# A language edition's front page: "/en/", "/pt-br".
_EDITION_ROOT = re.compile(r"/?[a-z]{2}(-[a-z]{2})?/?", re.I)


def is_listing_segment(segment: str) -> bool:
    """The path segment (no slashes) is one of `LISTING_SEGMENTS`, in any case."""
    return _LISTING_SEGMENT.fullmatch(segment) is not None


def names_listing(path: str) -> bool:
    """A segment anywhere in the path names a listing: "/tag/x", "/de/themen/klima/", "/news/autor/jan"."""
    return _LISTING_IN_PATH.search(path) is not None


def is_front_page(path: str) -> bool:
    """The site's home page or a language edition's: "", "/", "/en/", "/pt-br"."""
    return path.strip("/") == "" or _EDITION_ROOT.fullmatch(path) is not None


def is_listing_path(path: str) -> bool:
    """The path is a listing's: a front page, or one with a segment that names a listing."""
    return is_front_page(path) or names_listing(path)
