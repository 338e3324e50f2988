"""extract(): response bytes -> Article | NotAnArticle. Never raises."""

from __future__ import annotations

import re
from collections.abc import Mapping
from copy import deepcopy
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from . import body as bodymod
from .decode import decode_html, non_html_type
from .fields import (
    _norm,
    clean,
    headings,
    pick_authors,
    pick_canonical,
    pick_dates,
    pick_description,
    pick_image,
    pick_section,
    pick_site_name,
    pick_tags,
    pick_title,
)
from .language import pick_language
from .listing import listing_reason, measure
from .structured import read_page_data
from .types import Article, ExtractionHints, NotAnArticle

MAX_BYTES = 15_000_000  # bigger "pages" are dumps or attacks; nothing a reader would call an article
MAX_ELEMENTS = 300_000

_SHOWN_TEXT = etree.XPath("//body//*[self::p or self::div or self::h2 or self::span][normalize-space(.)=$d]")
_BOILERPLATE_LINE = re.compile(
    r"^(?:\d+\s*(?:min|mins|minute|minutes|minuten|minutos|minuti)\.?\s*(?:read|lesezeit|de lectura|di lettura)?"
    r"|read more|show more|load more|see more|advertisement|anzeige|werbung|publicidad|"
    r"share|share this|share this article|follow us|avatar|news feed)\s*[.:!…]*$",
    re.I,
)


def extract(body: bytes, url: str, headers: Mapping[str, str] | None = None,
            hints: ExtractionHints | None = None) -> Article | NotAnArticle:
    """body = the payload bytes (Content-Encoding already undone); headers = response headers (any key case).
    Never raises: malformed/empty/binary/huge/deeply nested input returns NotAnArticle."""
    url = url if isinstance(url, str) else str(url or "")
    try:
        return _extract(body, url, headers, hints)
    except (RecursionError, MemoryError) as exc:
        return NotAnArticle(url=url, reason=f"document too complex ({type(exc).__name__})", kind="error")
    except Exception as exc:
        return NotAnArticle(url=url, reason=f"extraction failed ({type(exc).__name__}: {exc})"[:300], kind="error")


def _extract(body: bytes, url: str, headers: Mapping[str, str] | None,
             hints: ExtractionHints | None) -> Article | NotAnArticle:
    if isinstance(body, str):
        body = body.encode("utf-8", errors="replace")
    body = bytes(body or b"")
    if not body.strip():
        return NotAnArticle(url=url, reason="empty body", kind="empty")
    if len(body) > MAX_BYTES:
        return NotAnArticle(url=url, reason=f"too large ({len(body)} bytes)", kind="error")
    mtype = non_html_type(body, headers)
    if mtype:
        return NotAnArticle(url=url, reason=f"not HTML ({mtype})", kind="non-html")
    html = decode_html(body, headers)
    if not html.strip():
        return NotAnArticle(url=url, reason="undecodable", kind="error")
    if "\x00" in html[:2000]:
        return NotAnArticle(url=url, reason="binary payload", kind="non-html")
    tree = load_html(html)
    if tree is None or not isinstance(tree, HtmlElement):
        return NotAnArticle(url=url, reason="unparseable HTML", kind="error")
    n_elements = sum(1 for _ in tree.iter(etree.Element))
    if n_elements > MAX_ELEMENTS:
        return NotAnArticle(url=url, reason=f"too many elements ({n_elements})", kind="error")

    data = read_page_data(tree)
    canonical = pick_canonical(data, url)
    site_name = pick_site_name(data)
    site_names = [s for s in (site_name, data.ld_publisher, data.first("application-name"),
                              _host_label(canonical or url)) if s]
    h1s = headings(tree)
    title = pick_title(data, h1s, site_names)
    published, modified = pick_dates(data, tree)
    authors = pick_authors(data, tree, site_names)
    if published is None:
        published = _date_fallback(tree, url)
    description = pick_description(data)

    body_tree = tree
    if hints is not None and hints.body_xpath:
        subtree = _subtree(tree, hints.body_xpath)
        body_tree = subtree if subtree is not None else tree
    body_tree_was_copied = body_tree is not tree
    shape = measure(tree)
    listing = listing_reason(data, shape, url, canonical)
    if listing and not body_tree_was_copied:
        return NotAnArticle(url=url, reason=listing, kind="listing", canonical_url=canonical, title=title)

    bodymod.clean_tree(body_tree, url, () if body_tree_was_copied else shape.prose_parents,
                       hints.drop_xpaths if hints else ())
    text = bodymod.run_trafilatura(body_tree, url)
    text = _postprocess(text, title)
    ld_text = bodymod.ld_body(data.ld_article)
    # trafilatura's own fall-back may already have returned articleBody, flattened to one line.
    if ld_text and (len(text) < 0.5 * len(ld_text) or text.split() == ld_text.split()):
        text = ld_text
    if len(text) < 200:
        blob = bodymod.hydration_body(tree)
        if len(blob) > 2 * len(text):
            text = blob
    text = _with_standfirst(text, description, tree)
    if not text.strip():
        return NotAnArticle(url=url, reason="empty body", kind="empty", canonical_url=canonical, title=title)

    return Article(
        url=url,
        canonical_url=canonical,
        title=title,
        text=text,
        authors=authors,
        published=published,
        modified=modified,
        language=pick_language(data, text),
        description=description or None,
        section=pick_section(data),
        tags=pick_tags(data),
        image=pick_image(data, url),
        site_name=site_name or None,
    )


def _host_label(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    parts = [p for p in host.split(".") if p not in ("www", "m", "amp")]
    return parts[-2] if len(parts) >= 2 else None


def _subtree(tree: HtmlElement, xpath: str) -> HtmlElement | None:
    try:
        found = [el for el in tree.xpath(xpath) if isinstance(el, HtmlElement)]
    except (etree.XPathError, TypeError, ValueError):
        return None
    if not found:
        return None
    root = etree.Element("html")
    body = etree.SubElement(root, "body")
    for el in found:
        body.append(deepcopy(el))
    return load_html(etree.tostring(root, encoding="unicode"))


def _date_fallback(tree: HtmlElement, url: str) -> str | None:
    try:
        from htmldate import find_date

        return find_date(tree, url=url, original_date=True, extensive_search=False,
                         outputformat="%Y-%m-%d") or None
    except Exception:
        return None


def _postprocess(text: str, title: str | None) -> str:
    ntitle = _norm(title) if title else None
    out: list[str] = []
    for line in text.split("\n"):
        line = clean(line)
        if not line:
            continue
        if _BOILERPLATE_LINE.match(line):
            continue
        if ntitle and _norm(line) == ntitle:
            continue  # the headline repeated above the image
        out.append(line)
    return "\n".join(out)


def _with_standfirst(text: str, description: str | None, tree: HtmlElement) -> str:
    """The standfirst is part of the story but often sits in the header, outside what trafilatura keeps.
    It is taken only when the page shows it (a visible element with exactly that text), not from meta alone."""
    if not description or len(description) < 40 or not text:
        return text
    norm = " ".join(description.split())
    if norm[:60] in " ".join(text.split()):
        return text
    if len(norm) > 1000:
        return text
    if _SHOWN_TEXT(tree, d=norm):
        return f"{norm}\n{text}"
    return text
