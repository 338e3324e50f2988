"""Structured data a page declares about itself: JSON-LD, OpenGraph/meta tags, <html lang>."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

from .nesting import load_json

ARTICLE_TYPES = frozenset(
    t.lower()
    for t in (
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "AskPublicNewsArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "Report",
        "SatiricalArticle",
        "ScholarlyArticle",
        "TechArticle",
        "SocialMediaPosting",
        "Review",
        "DiscussionForumPosting",
        "MedicalScholarlyArticle",
        "AdvertiserContentArticle",
        "Periodical",
    )
)
LISTING_TYPES = frozenset(t.lower() for t in ("CollectionPage", "ItemList", "SearchResultsPage", "ProfilePage"))
_MAX_JSONLD = 2_000_000  # a bigger blob is not metadata


@dataclass(slots=True)
class PageData:
    """Everything declared (not inferred) by the page, gathered in one pass."""

    meta: dict[str, list[str]] = field(default_factory=dict)  # lower-cased name/property -> contents
    ld_article: dict[str, Any] | None = None
    ld_types: set[str] = field(default_factory=set)
    ld_publisher: str | None = None
    ld_listing_items: int = 0
    canonical_link: str | None = None
    html_lang: str | None = None
    title_tag: str | None = None

    def first(self, *names: str) -> str | None:
        for name in names:
            for value in self.meta.get(name, ()):
                value = value.strip()
                if value:
                    return value
        return None

    def all(self, *names: str) -> list[str]:
        return [v.strip() for n in names for v in self.meta.get(n, ()) if v.strip()]


def _iter_ld_objects(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 8:
        return
    if isinstance(node, list):
        for item in node:
            yield from _iter_ld_objects(item, depth + 1)
    elif isinstance(node, dict):
        yield node
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement", "hasPart", "item"):
            child = node.get(key)
            if isinstance(child, dict | list):
                yield from _iter_ld_objects(child, depth + 1)


def ld_types(obj: dict[str, Any]) -> set[str]:
    t = obj.get("@type")
    if isinstance(t, str):
        return {t.lower().rsplit("/", 1)[-1]}
    if isinstance(t, list):
        return {x.lower().rsplit("/", 1)[-1] for x in t if isinstance(x, str)}
    return set()


# Wrappers themes put around a script's JSON for old XHTML parsers: "<!-- ... -->", "<![CDATA[ ... ]]>", each
# possibly behind a JavaScript comment ("//<![CDATA[").
_WRAPPER_START = re.compile(r"^(?:\s*(?://|/\*)?\s*(?:<!--|<!\[CDATA\[)\s*(?:\*/)?)+")
_WRAPPER_END = re.compile(r"(?:\s*(?://|/\*)?\s*(?:-->|\]\]>)\s*(?:\*/)?)+\s*$")


def _load_json(raw: str) -> Any:
    raw = _WRAPPER_END.sub("", _WRAPPER_START.sub("", raw.strip()))
    raw = raw.strip().rstrip(";")
    try:
        return load_json(raw, strict=False)
    except ValueError:
        # Hand-written JSON-LD often has trailing commas or raw newlines in strings.
        try:
            return load_json(re.sub(r",\s*([}\]])", r"\1", raw.replace("\n", " ")), strict=False)
        except ValueError:
            return None  # not JSON, or nested too deep: this block is skipped, the page's other data kept


def _article_score(obj: dict[str, Any]) -> int:
    """Prefer the most complete article object: pages carry teasers' Article objects too."""
    score = 0
    for key, weight in (
        ("headline", 4),
        ("articleBody", 4),
        ("datePublished", 3),
        ("author", 2),
        ("mainEntityOfPage", 1),
        ("description", 1),
    ):
        if obj.get(key):
            score += weight
    return score


def read_page_data(tree: HtmlElement) -> PageData:
    data = PageData()
    best: tuple[int, dict[str, Any]] | None = None
    for script in tree.iter("script"):
        stype = (script.get("type") or "").lower()
        if "ld+json" not in stype:
            continue
        raw = script.text or ""
        if not raw or len(raw) > _MAX_JSONLD:
            continue
        parsed = _load_json(raw)
        if parsed is None:
            continue
        for obj in _iter_ld_objects(parsed):
            types = ld_types(obj)
            data.ld_types |= types
            if types & ARTICLE_TYPES:
                score = _article_score(obj)
                if best is None or score > best[0]:
                    best = (score, obj)
            if types & LISTING_TYPES or "itemlist" in types:
                items = obj.get("itemListElement")
                if isinstance(items, list):
                    data.ld_listing_items = max(data.ld_listing_items, len(items))
            if types & {"newsmediaorganization", "organization"} and not data.ld_publisher:
                name = obj.get("name")
                data.ld_publisher = name.strip() if isinstance(name, str) else None
    if best is not None:
        data.ld_article = best[1]
        pub = best[1].get("publisher")
        if isinstance(pub, list) and pub:
            pub = pub[0]
        if isinstance(pub, dict) and isinstance(pub.get("name"), str):
            data.ld_publisher = pub["name"].strip()

    # Scan the whole tree, not <head>: meta tags end up in <body> on broken pages.
    for el in tree.iter("meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv")
        content = el.get("content")
        if key and content is not None:
            # RDFa lets one tag declare several properties: property="og:title twitter:title".
            for name in key.lower().split():
                data.meta.setdefault(name, []).append(content)
    for el in tree.iter("link"):
        rel = (el.get("rel") or "").lower().split()
        if "canonical" in rel and el.get("href") and data.canonical_link is None:
            data.canonical_link = el.get("href").strip()
    lang = tree.get("lang") or tree.get("xml:lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    data.html_lang = lang.strip() if lang else None
    title_el = tree.find(".//title")
    if title_el is not None:
        data.title_tag = " ".join(title_el.text_content().split()) or None
    return data
