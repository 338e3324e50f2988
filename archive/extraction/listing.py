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


_INLINE = frozenset(
    {
        "a",
        "b",
        "i",
        "em",
        "strong",
        "span",
        "q",
        "u",
        "sub",
        "sup",
        "mark",
        "small",
        "time",
        "abbr",
        "cite",
        "font",
        "code",
        "s",
        "br",
    }
)
_PROSE_XPATH = etree.XPath(
    "//body//*[self::p or self::div or self::section or self::article or self::td or self::blockquote]"
    "[not(ancestor::a)][text()[string-length(normalize-space()) > 15]]"
)
_TEASER_XPATH = etree.XPath("//body//*[self::h2 or self::h3 or self::h4][.//a[@href] or parent::a]")
# A list item that is one link to another page: the unit of a plain link-list feed ("<li><a>Headline</a></li>").
_LINK_ITEM_XPATH = etree.XPath("//body//li[count(.//a[@href]) = 1]")


@dataclass(frozen=True, slots=True)
class PageShape:
    teasers: int  # heading-with-link blocks: the unit a listing is made of
    paragraph_cluster: int  # chars of the biggest run of sibling prose blocks: the unit of an article
    main: HtmlElement | None  # the parent of that run: where the article text lives
    prose_parents: tuple[HtmlElement, ...] = ()  # every parent of a run of prose worth keeping
    link_items: int = 0  # list items that are one link with a headline's worth of text
    link_items_chars: int = 0


def _own_text_len(el: HtmlElement) -> int:
    n = len((el.text or "").strip())
    for child in el:
        if isinstance(child.tag, str) and child.tag in _INLINE:
            n += len(child.text_content().strip())
        n += len((child.tail or "").strip())
    return n


def _link_items(tree: HtmlElement) -> tuple[int, int]:
    count = chars = 0
    for item in _LINK_ITEM_XPATH(tree):
        text = " ".join(item.text_content().split())
        link = item.find(".//a[@href]")
        if link is None or len(text) < 15:
            continue
        if len(" ".join(link.text_content().split())) >= 0.8 * len(text):
            count += 1
            chars += len(text)
    return count, chars


def measure(tree: HtmlElement) -> PageShape:
    items, item_chars = _link_items(tree)
    chars: dict[HtmlElement, int] = {}
    blocks: dict[HtmlElement, int] = {}
    teaser_headings = _TEASER_XPATH(tree)
    # A card: a linked headline with its summary beside it. Those summaries are not article prose.
    cards = {h.getparent() for h in teaser_headings}
    cards |= {h.getparent().getparent() for h in teaser_headings if h.getparent() is not None}
    for el in _PROSE_XPATH(tree):
        if el.getparent() in cards:
            continue
        n = _own_text_len(el)
        if n >= 40:
            # Count each block for its parent and grandparent: themes wrap every paragraph in its own
            # <div>, and then the run of prose is only visible one level up.
            parent = el.getparent()
            for container in (parent, parent.getparent() if parent is not None else None):
                if container is not None:
                    chars[container] = chars.get(container, 0) + n
                    blocks[container] = blocks.get(container, 0) + 1
    if not chars:
        return PageShape(len(teaser_headings), 0, None, (), items, item_chars)
    main = max(chars, key=chars.__getitem__)
    best = chars[main]
    # Bodies split over several layout containers (between ads, in "widgets"): every run of at least two
    # prose blocks of a good size is body, not a one-paragraph author bio or teaser summary.
    floor = max(300, best // 4)
    parents = tuple(p for p, n in chars.items() if p is main or (n >= floor and blocks[p] >= 2))
    return PageShape(len(teaser_headings), best, main, parents, items, item_chars)


def _same_page(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    try:
        pa, pb = urlsplit(a), urlsplit(b)
    except ValueError:
        return False
    return pa.path.rstrip("/") == pb.path.rstrip("/")


def listing_reason(data: PageData, shape: PageShape, url: str, canonical: str | None) -> str | None:
    """A human-readable reason when the page is a listing, None when it is an article."""
    art = data.ld_article
    ld_is_this_page = False
    if art is not None:
        main = art.get("mainEntityOfPage")
        ld_url = main.get("@id") if isinstance(main, dict) else main if isinstance(main, str) else art.get("url")
        ld_is_this_page = not isinstance(ld_url, str) or _same_page(ld_url, canonical or url) or _same_page(ld_url, url)
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
    # A tag or author page with one or two stories is still a listing: its URL says so and nothing
    # on the page claims to be an article.
    if listing_path and not declared_article and shape.teasers >= 1 and shape.paragraph_cluster < 1200:
        return f"listing page ({teaser_note}, URL {path or '/'})"
    if listing_declared and not ld_is_this_page and shape.paragraph_cluster < 1200:
        return f"listing page ({teaser_note}, declared collection)"
    if ld_is_this_page or (declared_article and not (og_type == "website" and shape.paragraph_cluster < 300)):
        return None
    # Undeclared page: judge by shape. An article has a run of prose; a listing has teasers.
    if shape.teasers >= 6 and shape.paragraph_cluster < 600:
        return f"listing page ({teaser_note}, no body text)"
    if og_type in ("website", "object") and shape.teasers >= 4 and shape.paragraph_cluster < 1200:
        return f"listing page ({teaser_note}, og:type {og_type})"
    # A plain feed of headline links, no teaser markup: many one-link items and next to no prose.
    cluster = shape.paragraph_cluster
    if shape.link_items >= 10 and cluster < 600 and shape.link_items_chars > 2 * cluster:
        return f"listing page ({shape.link_items} linked headlines, no body text)"
    return None
