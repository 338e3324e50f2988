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
# A language edition's front page: "/en/", "/pt-br".
_EDITION_ROOT = re.compile(r"/?[a-z]{2}(-[a-z]{2})?/?", re.I)
# What names one document rather than a list of them: a file name ("artikel.html"), a slug of four or more words,
# a long number ("ld.1688234").
_DOCUMENT_SEGMENT = re.compile(r"\.(?:s?html?|php|aspx?|jsp|cfm)$|^(?:[^\W_]+[-_+]){3,}[^\W_]+|\d{5,}", re.I)
# A query that picks one document on a front page's path ("/?p=31228", "/hl?a=20170309-35097838"): a long number.
_DOCUMENT_QUERY = re.compile(r"(?:^|&)(?!utm_)[^=&]+=[^&]*\d{4,}", re.I)


# The last path segment of a site's pages about itself (who runs it, how to reach them, its legal texts), in the
# languages of the sites archived so far. Such a page is archived, but it is not a story.
SITE_PAGE_SEGMENTS: frozenset[str] = frozenset(
    [
        "about",
        "about-us",
        "aboutus",
        "about-me",
        "who-we-are",
        "contact",
        "contact-us",
        "contacts",
        "imprint",
        "impressum",
        "legal",
        "legal-notice",
        "privacy",
        "privacy-policy",
        "privacy-notice",
        "privacy-statement",
        "cookie-policy",
        "cookies",
        "cookie-notice",
        "terms",
        "terms-of-use",
        "terms-of-service",
        "terms-and-conditions",
        "disclaimer",
        "accessibility",
        "kontakt",
        "ueber-uns",
        "uber-uns",
        "über-uns",
        "datenschutz",
        "datenschutzerklaerung",
        "datenschutzerklärung",
        "agb",
        "nutzungsbedingungen",
        "mentions-legales",
        "qui-sommes-nous",
        "politique-de-confidentialite",
        "nous-contacter",
        "aviso-legal",
        "quienes-somos",
        "sobre-nosotros",
        "contacto",
        "politica-de-privacidad",
        "politica-de-privacidade",
        "privacidad",
        "chi-siamo",
        "contatti",
        "note-legali",
        "informativa-privacy",
    ]
)
_PAGE_EXTENSION = re.compile(r"\.(?:s?html?|php|aspx?)$", re.I)


def is_site_page_path(path: str) -> bool:
    """The path is one of the site's pages about itself: "/about-us/", "/privacy-policy", "/de/impressum.html"."""
    segments = [s for s in path.lower().split("/") if s]
    return bool(segments) and _PAGE_EXTENSION.sub("", segments[-1]) in SITE_PAGE_SEGMENTS


def is_listing_segment(segment: str) -> bool:
    """The path segment (no slashes) is one of `LISTING_SEGMENTS`, in any case."""
    return _LISTING_SEGMENT.fullmatch(segment) is not None


def names_listing(path: str) -> bool:
    """A listing word names the page: "/tag/x", "/de/themen/klima/", "/news/autor/jan", "/page/2". What sits deeper
    below the word, or a document's name right after it, is a page of that section, not the list:
    "/DE/themen/gesundheit/pflege/artikel.html", "/page/how-we-rebuilt-the-old-mill"."""
    segments = [s for s in path.split("/") if s]
    for i, segment in enumerate(segments):
        if not is_listing_segment(segment):
            continue
        rest = segments[i + 1 :]
        if not rest or (len(rest) == 1 and not names_document(rest[0])):
            return True
    return False


def names_document(segment: str) -> bool:
    """The path segment names one document: a file name, a slug of four or more words, a long number."""
    return _DOCUMENT_SEGMENT.search(segment) is not None


def ends_in_document(path: str) -> bool:
    """The path's last segment names one document ("/hack/diy-doorbell-video-security-system/", "/139287/x.html"):
    a leaf of the site's tree, where a story lives, not a section above it."""
    segments = [s for s in path.split("/") if s]
    return bool(segments) and names_document(segments[-1])


def query_picks_document(query: str) -> bool:
    """The query picks one document by a long number ("p=31228", "a=20170309-35097838"), as no page number does."""
    return _DOCUMENT_QUERY.search(query) is not None


def is_front_page(path: str, query: str = "") -> bool:
    """The site's home page or a language edition's: "", "/", "/en/", "/pt-br"; not when the query picks one
    document there ("/?p=31228")."""
    if query_picks_document(query):
        return False
    return path.strip("/") == "" or _EDITION_ROOT.fullmatch(path) is not None


def is_listing_path(path: str, query: str = "") -> bool:
    """The path (with its query) is a listing's: a front page, or one that a listing word names."""
    return is_front_page(path, query) or names_listing(path)
