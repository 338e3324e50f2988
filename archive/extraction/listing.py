"""Is this page one article, or a page of teasers (home, section, tag, author, feed pages)?"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement

from .structured import PageData

_LISTING_PATH = re.compile(
    r"/(?:tags?|topics?|categor(?:y|ies)|authors?|section|sections|archives?|page|search|people|profile|"
    r"schlagwort|thema|themen|stichwort|autor|autoren|rubrik|kategorie|etiqueta|tema|temas|categoria|"
    r"auteur|sujet|rubrique|argomento)(?:/|$)",
    re.I,
)
_HEADINGS = ("h2", "h3", "h4")


@dataclass(frozen=True, slots=True)
class PageShape:
    teasers: int            # heading-with-link blocks: the unit a listing is made of
    paragraph_cluster: int  # chars of the biggest run of sibling <p>s outside links: the unit of an article


def measure(tree: HtmlElement) -> PageShape:
    teasers = 0
    for h in tree.iter(*_HEADINGS):
        if h.find(".//a[@href]") is not None or (h.getparent() is not None and h.getparent().tag == "a"):
            teasers += 1
    clusters: dict[HtmlElement, int] = {}
    for p in tree.iter("p"):
        parent = p.getparent()
        if parent is None or parent.tag == "a":
            continue
        n = len((p.text or "")) + sum(
            len(c.text_content() if c.tag != "a" else "") + len(c.tail or "")
            for c in p if isinstance(c.tag, str)
        )
        if n >= 40:
            clusters[parent] = clusters.get(parent, 0) + n
    return PageShape(teasers=teasers, paragraph_cluster=max(clusters.values(), default=0))


def _same_page(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    try:
        pa, pb = urlsplit(a), urlsplit(b)
    except ValueError:
        return False
    return pa.path.rstrip("/") == pb.path.rstrip("/")


def listing_reason(data: PageData, tree: HtmlElement, url: str, canonical: str | None,
                   body_chars: int) -> str | None:
    """A human-readable reason when the page is a listing, None when it is an article."""
    shape = measure(tree)
    art = data.ld_article
    ld_is_this_page = False
    if art is not None:
        main = art.get("mainEntityOfPage")
        ld_url = main.get("@id") if isinstance(main, dict) else main if isinstance(main, str) else art.get("url")
        ld_is_this_page = not isinstance(ld_url, str) or _same_page(ld_url, canonical or url) or _same_page(
            ld_url, url)
        ld_is_this_page = ld_is_this_page and bool(art.get("headline") or art.get("articleBody"))
    og_type = (data.first("og:type") or "").lower()
    declared_article = ld_is_this_page or og_type == "article" or data.first("article:published_time") is not None
    try:
        path = urlsplit(canonical or url).path
    except ValueError:
        path = ""
    root_path = path.strip("/") == "" or re.fullmatch(r"/?[a-z]{2}(-[a-z]{2})?/?", path, re.I) is not None
    listing_path = root_path or _LISTING_PATH.search(path) is not None
    listing_declared = bool(data.ld_types & {"collectionpage", "itemlist", "searchresultspage", "profilepage"})

    teaser_note = f"{shape.teasers} teasers"
    if listing_path and not ld_is_this_page and shape.teasers >= 3:
        return f"listing page ({teaser_note}, URL {path or '/'})"
    if listing_declared and not ld_is_this_page and shape.paragraph_cluster < 1200:
        return f"listing page ({teaser_note}, declared collection)"
    if declared_article and not (og_type == "website" and shape.paragraph_cluster < 300):
        return None
    # Undeclared page: judge by shape. An article has a run of prose; a listing has teasers.
    if shape.teasers >= 6 and shape.paragraph_cluster < 600:
        return f"listing page ({teaser_note}, no body text)"
    if og_type in ("website", "object") and shape.teasers >= 4 and shape.paragraph_cluster < 1200:
        return f"listing page ({teaser_note}, og:type {og_type})"
    if body_chars < 200 and shape.teasers >= 3:
        return f"listing page ({teaser_note})"
    return None


def iter_elements(tree: HtmlElement) -> int:
    """Element count, for the size guard (iterates; a deep tree must not hit the recursion limit)."""
    return sum(1 for _ in tree.iter(etree.Element))
