"""The archived view's markup: an archived page (or stylesheet) whose every URL points at the
reader, so the page shows with its requisites from the archive and never loads from, or goes to,
the live site.

HTML is parsed by lxml (libxml2's HTML parser, which recovers tag soup; the crawl's parsel reads
pages with it too) and written back out: what a page loads is rewritten to the reader's requisite
route and links to its link route, which makes the page look as it did; what could run, navigate
or submit is removed (scripts, event handlers, frames and objects, forms' targets, ``<base>``,
``<meta http-equiv=refresh>``, resource hints), which the policy the view is served under
(records.REPLAY_CSP) forbids again. CSS is rewritten by the patterns the crawl reads it with
(archive/requisites.py), so a URL the crawl fetched is the URL the view asks the archive for.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urljoin

from lxml import etree
from lxml import html as lxml_html

from archive.requisites import rewrite_css_urls, srcset_candidates
from archive.urls import is_http_url

# Elements that run, embed or frame something: gone with their content (their tail text stays).
_DROPPED = frozenset({"script", "iframe", "frame", "frameset", "object", "embed", "applet", "portal", "base"})
# Attributes naming one URL a page loads, by element (``None``: any element).
_LOADED = {
    "src": frozenset({"img", "source", "input", "video", "audio", "track", "image"}),
    "poster": frozenset({"video"}),
    "background": None,  # the legacy body/table background image
}
_SRCSETS = frozenset({"srcset", "imagesrcset"})
_LINKS = frozenset({"a", "area"})
# Attributes that submit or announce: a form's target, a link's ping.
_REMOVED = frozenset({"action", "formaction", "ping", "target", "srcdoc"})
# <link rel> values a page shows with; any other <link> (preload, preconnect, dns-prefetch,
# manifest, alternate ...) is a hint or a pointer, removed.
_SHOWN_RELS = frozenset(
    {"stylesheet", "icon", "shortcut", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon"}
)


# Characters HTML parsers let through and XML (so lxml, when a rewritten value is set) refuses: C0
# controls but tab, newline and carriage return (a form feed is whitespace: it becomes a space), and
# the two non-characters. Gone from what is shown, as a browser shows nothing for most of them.
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffe\uffff]")


class UnshowablePage(ValueError):
    """The archived page cannot be parsed into a document to show; the message says why."""


@dataclass(frozen=True, slots=True)
class ReaderRoutes:
    """Where the archived view of capture *capture_id* sends an absolute URL: a requisite to the
    archive's copy nearest that capture in time, a link to the archived view of the linked page."""

    capture_id: int

    def requisite(self, url: str) -> str:
        return f"/capture/{self.capture_id}/archived/requisite?url={quote(url, safe='')}"

    def link(self, url: str) -> str:
        return f"/capture/{self.capture_id}/archived/link?url={quote(url, safe='')}"


def absolute_url(url: str, base: str) -> str | None:
    """*url* resolved against *base*, without its fragment; None unless it is http(s)."""
    joined = urljoin(base, url.strip()).split("#", 1)[0]
    return joined if is_http_url(joined) else None


def _loaded(url: str, base: str, routes: ReaderRoutes) -> str:
    """A URL a page or stylesheet loads, pointed at the archive; data: stays (the CSP allows it), so
    does a reference inside the document (``#id``: an SVG sprite, a filter); anything else is
    emptied (what is not http(s) was not archived)."""
    if url.strip().lower().startswith(("data:", "#")):
        return url
    absolute = absolute_url(url, base)
    return routes.requisite(absolute) if absolute else ""


def stylesheet_text(body: bytes, content_type: str) -> str:
    """A stylesheet's text by CSS's own rules: a BOM, the Content-Type's charset, ``@charset``,
    else UTF-8 (invalid bytes replaced: a view, not a conversion)."""
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", errors="replace")
    declared = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    rule = re.match(rb'@charset "([\w.:-]+)";', body)
    for name in (declared.group(1) if declared else None, rule.group(1).decode("ascii") if rule else None):
        if name:
            try:
                return body.decode(name, errors="replace")
            except LookupError:  # a charset Python does not know
                continue
    return body.decode("utf-8", errors="replace")


def rewrite_css(css: str, css_url: str, routes: ReaderRoutes) -> str:
    """A stylesheet (or a style attribute's or <style>'s text) whose ``@import``\\s and ``url()``\\s
    load from the archive, resolved against *css_url*."""
    return rewrite_css_urls(css, lambda url: _loaded(url, css_url, routes))


def _rewrite_srcset(srcset: str, base: str, routes: ReaderRoutes) -> str:
    candidates = []
    for url, descriptor in srcset_candidates(srcset):
        loaded = _loaded(url, base, routes)
        if loaded:
            candidates.append(f"{loaded} {descriptor}".strip())
    return ", ".join(candidates)


def _link(href: str, base: str, routes: ReaderRoutes) -> str | None:
    """A link's new href: an in-page anchor stays, an http(s) link goes to the link route, and
    anything else (javascript:, mailto:, tel:) is no link (None)."""
    if href.strip().startswith("#"):
        return href
    absolute = absolute_url(href, base)
    return routes.link(absolute) if absolute else None


def _parse(page: str) -> lxml_html.HtmlElement:
    # As UTF-8 bytes: lxml refuses a str that carries an XML encoding declaration.
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_pis=True, default_doctype=False)
    markup = _XML_UNSAFE.sub("", page.replace("\x0c", " ")).encode("utf-8", errors="replace")
    try:
        document = lxml_html.document_fromstring(markup, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise UnshowablePage(f"the archived page cannot be read as HTML ({exc})") from None
    if document is None or not isinstance(document.tag, str):
        raise UnshowablePage("the archived page holds no HTML document")
    return document


def rewrite_html(page: str, page_url: str, routes: ReaderRoutes) -> bytes:
    """*page* (the archived page's text) as UTF-8 HTML whose URLs all point at the reader."""
    document = _parse(page)
    bases = document.xpath("//base[@href]")
    base = urljoin(page_url, bases[0].get("href").strip()) if bases else page_url
    gone: list[lxml_html.HtmlElement] = []
    for element in document.iter():
        if not isinstance(element.tag, str):  # comments
            continue
        tag = element.tag.lower().rpartition(":")[2]
        if tag in _DROPPED or _navigates(element, tag):
            gone.append(element)
            continue
        _as_its_scripts_would(element, tag)
        if tag == "link" and not _shown_link(element):
            gone.append(element)
            continue
        _rewrite_attributes(element, tag, base, routes)
        if tag == "style" and element.text:
            element.text = rewrite_css(element.text, base, routes)
    for element in gone:
        if element.getparent() is not None:
            element.drop_tree()
    doctype = document.getroottree().docinfo.doctype
    return etree.tostring(document, method="html", encoding="utf-8", doctype=doctype or None)


# Where a lazy-loading script keeps an image's real source until it swaps it in (lazysizes, WordPress
# plugins, jQuery lazyload): the crawl archived them as requisites (archive/requisites.py).
_LAZY_SOURCES = (("data-src", "src"), ("data-lazy-src", "src"), ("data-original", "src"))
_LAZY_SRCSETS = (("data-srcset", "srcset"), ("data-lazy-srcset", "srcset"))


def _as_its_scripts_would(element: lxml_html.HtmlElement, tag: str) -> None:
    """What a page's scripts do for it to look as its reader saw it, done here where no script
    runs: a stylesheet preloaded for its onload to apply (loadCSS) is applied, and a lazy image
    shows its real source in place of its placeholder."""
    if tag == "link":
        rels = (element.get("rel") or "").lower().split()
        if "preload" in rels and (element.get("as") or "").strip().lower() == "style":
            element.set("rel", "stylesheet")
        return
    if tag not in ("img", "source"):
        return
    placeholder = (element.get("src") or "").strip()
    for lazy, real in (*_LAZY_SOURCES, *_LAZY_SRCSETS):
        value = element.get(lazy)
        if value and (real == "srcset" or not placeholder or placeholder.startswith("data:")):
            element.set(real, value)
            del element.attrib[lazy]


def _navigates(element: lxml_html.HtmlElement, tag: str) -> bool:
    """<meta http-equiv=refresh>: a navigation (to the live site, often) with no script."""
    return tag == "meta" and (element.get("http-equiv") or "").strip().lower() == "refresh"


def _shown_link(element: lxml_html.HtmlElement) -> bool:
    rels = set((element.get("rel") or "").lower().split())
    return bool(rels & _SHOWN_RELS)


def _loads(attribute: str, tag: str) -> bool:
    """Whether *attribute* of a *tag* element names a URL the page loads."""
    if attribute not in _LOADED:
        return False
    tags = _LOADED[attribute]
    return tags is None or tag in tags


def _rewrite_attributes(element: lxml_html.HtmlElement, tag: str, base: str, routes: ReaderRoutes) -> None:
    rewrites: dict[str, Callable[[str], str | None]] = {}
    for name in list(element.attrib):
        lowered = name.lower()
        local = lowered.rpartition(":")[2]  # xlink:href
        if lowered.startswith("on") or lowered in _REMOVED:
            del element.attrib[name]
        elif lowered == "style":
            rewrites[name] = lambda value: rewrite_css(value, base, routes)
        elif lowered in _SRCSETS:
            rewrites[name] = lambda value: _rewrite_srcset(value, base, routes)
        elif local == "href" and tag in _LINKS:
            rewrites[name] = lambda value: _link(value, base, routes)
        elif local == "href" or _loads(lowered, tag):  # href: a <link> shown, an SVG <image>/<use>
            rewrites[name] = lambda value: _loaded(value, base, routes)
    for name, rewrite in rewrites.items():
        value = rewrite(element.attrib[name])
        if value is None:
            del element.attrib[name]
        else:
            element.attrib[name] = value
