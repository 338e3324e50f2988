"""Page requisites: what a page loads to look as its reader saw it (issue 23 §1).

Stylesheets, icons, scripts, images with every ``srcset`` candidate (a replay in a window of
another width asks for another one), ``<picture><source>``, video posters, the ``url()`` and
``@import`` of inline styles and ``<style>`` blocks; and, from a fetched stylesheet, its own
``@import`` and ``url()`` (fonts, background images) and ``image-set()`` candidates, resolved
against the stylesheet's URL. On any origin: CDNs are where requisites live. At level ``all``
audio and video sources too.

And what pages tuned for speed load late, which the replayed page's scripts then ask the archive
for: ``<link rel=preload|modulepreload>`` (a stylesheet loadCSS turns on by ``onload``, a font, a
hero image with its ``imagesrcset``, a script's JSON), and the real sources of lazy-loaded images
that a script moves from ``data-src``/``data-srcset`` (lazysizes, WordPress' lazy-load plugins,
jQuery lazyload's ``data-original``) into ``src``/``srcset`` in place of a placeholder.

They are requisites, not pages: the article patterns, the listing logic and the depth of the
spider do not apply to them, and they are never extracted.

:func:`named_requisites` is what a capture records as its requisites (``capture_requisites``): the
crawl calls it on the response the spider was handed, rebuilt in an extraction worker (a
``RecordedResponse`` of the response's class, ``archive/text_response.py``, which reads as Scrapy's;
``archive/page_reading.py``, on the tree extraction parses when it is the one Scrapy's selector
parses) and requests exactly those URLs;
``reextract`` calls it there on the same response rebuilt from the WARC record, so both ways in
record the same rows. A stylesheet's are read where it was fetched (a regex over its text).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urljoin

from w3lib.url import safe_url_string

from archive.responses import HeaderPairs, first_header, header_pairs, is_html, is_stylesheet
from archive.text_response import RecordedResponse, scrapy_headers
from archive.urls import is_crawlable, is_http_url

if TYPE_CHECKING:
    from lxml.html import HtmlElement
    from parsel import Selector
    from scrapy.http import Response

# Scrapy is imported only by the functions given or making a Scrapy response: an extraction worker
# reads its pages as RecordedResponse (archive/text_response.py) and never imports it.

LEVELS = ("none", "layout", "all")

# url(...) with or without quotes, and @import "..." (the url() form is caught by the first).
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]+))\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
# image-set("a.png" 1x, "a-2x.png" 2x): a candidate may be a bare string (its url() form is caught
# above); a string after a candidate, as in type("image/avif"), is no URL.
_IMAGE_SET = re.compile(r"(?:-webkit-)?image-set\(", re.IGNORECASE)
_IMAGE_SET_STRING = re.compile(r"""(?:^|,)\s*(?:"([^"]*)"|'([^']*)')""")

# What the page's elements load, as (tag, attribute) in the order requisites are taken: one XPath
# each before, ``//script/@src``, ``//img/@src`` ...; now read in one walk of the tree (each XPath
# was a walk of its own), each kind's in document order as its XPath gave them.
_LAYOUT_ATTRIBUTES = (
    ("script", "src"),
    ("img", "src"),
    ("input", "src"),  # of type=image only
    ("video", "poster"),
    # The real source of a lazy-loaded image, which its script sets once the page has loaded.
    ("img", "data-src"),
    ("img", "data-lazy-src"),
    ("img", "data-original"),
)
_MEDIA_ATTRIBUTES = (
    ("video", "src"),
    ("audio", "src"),
    ("video/source", "src"),
    ("audio/source", "src"),
    ("track", "src"),
)
# The srcsets, taken after those, in document order (an element's in its attributes' order): what
# "//img/@srcset | //picture/source/@srcset | //img/@data-srcset | //img/@data-lazy-srcset |
# //picture/source/@data-srcset" selected.
_SRCSETS = {"img": ("srcset", "data-srcset", "data-lazy-srcset"), "picture/source": ("srcset", "data-srcset")}
# What a <link rel=preload as=...> of these loads is media: level "all".
_MEDIA_PRELOADS = frozenset({"audio", "video", "track"})


def srcset_candidates(srcset: str) -> Iterator[tuple[str, str]]:
    """Every candidate of a ``srcset`` (``url [descriptor], ...``) as (URL, descriptor); a URL may hold commas."""
    for candidate in re.split(r",\s+|,(?=\S+\s+\d+[wx]\b)", srcset.strip()):
        url, *descriptor = candidate.split(None, 1) or [""]
        if url:
            yield url, " ".join(descriptor).strip()


def srcset_urls(srcset: str) -> Iterator[str]:
    """Every candidate URL of a ``srcset``."""
    for url, _ in srcset_candidates(srcset):
        yield url


def css_urls(css: str) -> Iterator[str]:
    """The URLs a stylesheet (or a ``style`` attribute) loads, in order, as written."""
    css = _CSS_COMMENT.sub("", css)
    for match in _CSS_IMPORT.finditer(css):
        yield match.group(1) or match.group(2)
    for match in _CSS_URL.finditer(css):
        url = match.group(1) or match.group(2) or match.group(3)
        if url and not url.startswith(("data:", "#")):
            yield url
    for match in _IMAGE_SET.finditer(css):
        for candidate in _IMAGE_SET_STRING.finditer(_parenthesized(css, match.end())):
            url = candidate.group(1) or candidate.group(2)
            if url and not url.startswith(("data:", "#")):
                yield url


def rewrite_css_urls(css: str, replace: Callable[[str], str]) -> str:
    """*css* with every URL ``css_urls`` reads (``@import``, ``url()``, an ``image-set()``'s bare
    strings) replaced by *replace(url)* (the web reader's archived view: the same URLs the crawl
    fetched, pointed at the archive)."""

    def candidate(match: re.Match[str]) -> str:
        url = match.group(1) if match.group(1) is not None else match.group(2)
        if url.startswith(("data:", "#")):
            return match.group(0)
        before_quote = match.group(0)[: match.group(0).index('"' if match.group(1) is not None else "'")]
        return f'{before_quote}"{replace(url)}"'

    pieces, done = [], 0
    for found in _IMAGE_SET.finditer(css):
        if found.start() < done:
            continue
        inner = _parenthesized(css, found.end())
        pieces += [css[done : found.end()], _IMAGE_SET_STRING.sub(candidate, inner)]
        done = found.end() + len(inner)
    css = "".join(pieces) + css[done:]

    def imported(match: re.Match[str]) -> str:
        return f'@import "{replace(match.group(1) or match.group(2))}"'

    def url(match: re.Match[str]) -> str:
        return f'url("{replace(match.group(1) or match.group(2) or match.group(3) or "")}")'

    return _CSS_URL.sub(url, _CSS_IMPORT.sub(imported, css))


def _parenthesized(css: str, start: int) -> str:
    """What is between *start* (just after an opening parenthesis) and its closing one."""
    depth = 1
    for position in range(start, len(css)):
        if css[position] == "(":
            depth += 1
        elif css[position] == ")":
            depth -= 1
            if depth == 0:
                return css[start:position]
    return css[start:]


def page_requisites(selector: Selector, page_url: str, level: str, limit: int | None = None) -> list[str]:
    """The absolute http(s) URLs *selector*'s page loads at *level*, first appearance first; the
    first *limit* of them only (the page is read no further than it takes to find them)."""
    if level == "none":
        return []
    base, named = _element_requisites(selector, level)
    base_url = urljoin(page_url, base.strip()) if base else page_url
    return _absolute(_page_urls(selector, named), base_url, limit)


def _page_urls(selector: Selector, named: list[str]) -> Iterator[str]:
    """What the page names, as written, in the order requisites are taken: its elements' *named*,
    then its inline styles', read only if those do not fill the cap."""
    yield from named
    for css in selector.xpath("//style/text() | //*/@style").getall():
        yield from css_urls(css)


def _element_requisites(selector: Selector, level: str) -> tuple[str | None, list[str]]:
    """The page's ``<base href>`` (the first) and what its elements name, as written: its
    ``<link>``s', then its scripts', images', inputs', videos' (and at level ``all`` audio's and
    tracks') kind by kind as ``_LAYOUT_ATTRIBUTES`` (``_MEDIA_ATTRIBUTES``) order them, then every
    srcset's candidates. What one XPath a kind selected, from one walk of the tree (each XPath
    walked all of it)."""
    kinds = _LAYOUT_ATTRIBUTES + (_MEDIA_ATTRIBUTES if level == "all" else ())
    found: dict[tuple[str, str], list[str]] = {kind: [] for kind in kinds}
    wanted: dict[str, list[tuple[tuple[str, str], str]]] = {}
    for kind in kinds:
        wanted.setdefault(kind[0], []).append((kind, kind[1]))
    base: str | None = None
    links: list[str] = []
    srcsets: list[str] = []
    tags = {kind.rpartition("/")[2] for kind, _ in kinds} | {"img", "source", "link", "base"}
    for element in _document_elements(selector, tags):
        tag = element.tag
        if tag == "link":
            links += _link_requisites(element, level)
            continue
        if tag == "base":
            if base is None:
                base = element.get("href")
            continue
        if tag == "source":  # as "video/source", "picture/source": what it is a source of
            parent = element.getparent()
            tag = f"{'' if parent is None else parent.tag}/source"
        if tag == "input" and element.get("type") != "image":
            continue
        for kind, attribute in wanted.get(tag, ()):
            value = element.get(attribute)
            if value is not None:
                found[kind].append(value)
        srcset_attributes = _SRCSETS.get(tag)
        if srcset_attributes:
            srcsets += (value for name, value in element.items() if name in srcset_attributes)
    urls = links + [url for kind in kinds for url in found[kind]]
    for srcset in srcsets:
        urls += srcset_urls(srcset)
    return base, urls


def _document_elements(selector: Selector, tags: Iterable[str]) -> Iterator[HtmlElement]:
    """The elements of *tags* in the whole document, in document order, as "//" selects them: the
    root element's and its siblings' (markup after ``</html>`` is parsed into a second root)."""
    root = selector.root.getroottree().getroot()
    for top in (*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()):
        yield from top.iter(*tags)  # elements only: a comment's or a PI's tag is no str


def _link_requisites(link: HtmlElement, level: str) -> list[str]:
    """What a ``<link>`` loads: a stylesheet, an icon (``icon``, ``shortcut icon``,
    ``apple-touch-icon``...) or a preload, as written."""
    href = link.get("href")
    if href is None:
        return []
    rel = (link.get("rel") or "").lower()
    tokens = set(rel.split())
    if "stylesheet" in tokens or "icon" in rel:
        return [href]
    if tokens & {"preload", "modulepreload"}:
        if (link.get("as") or "").strip().lower() in _MEDIA_PRELOADS and level != "all":
            return []
        return [href, *srcset_urls(link.get("imagesrcset") or "")]
    return []


def stylesheet_requisites(css: str, stylesheet_url: str) -> list[str]:
    """What a fetched stylesheet loads, resolved against its own URL."""
    return _absolute(css_urls(css), stylesheet_url)


def _absolute(urls: Iterable[str], base_url: str, limit: int | None = None) -> list[str]:
    """*urls* resolved against *base_url*, http(s) only, each once, at most *limit* of them."""
    seen: dict[str, None] = {}
    written: set[str] = set()  # a page names the same URL many times: resolved once
    for url in urls:
        if url in written:
            continue
        written.add(url)
        absolute = _joined(base_url, url.strip())
        if is_http_url(absolute):
            seen.setdefault(absolute, None)
            if limit is not None and len(seen) >= limit:
                break
    return list(seen)


# A URL that w3lib's safe_url_string (w3lib 2.6's rules, read from its source) returns unchanged,
# and that is crawlable: most of a page's, which then skip its parse (a third of a page's
# requisites' cost). Lowercase http(s) scheme and ASCII host (no IDNA, no userinfo), a port as int()
# spells it, a path (not empty: it would gain "/") and a query (not empty: a bare "?" is dropped) of
# only what it leaves unquoted ("'" is quoted in a query, "|[]" anywhere), no fragment. Dot segments
# ("/." or "/%2"), and a host ending in a number (read as IPv4), are left to safe_url_string.
_SPELLED_AS_REQUESTED = re.compile(
    r"https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::[1-9][0-9]{0,3})?"
    r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*(?:\?[A-Za-z0-9\-._~!$&()*+,;=:@/%?]+)?"
)


def _requested(url: str) -> str:
    """*url* spelled as Scrapy's ``Request`` spells it (``safe_url_string``)."""
    if _SPELLED_AS_REQUESTED.fullmatch(url) and "/." not in url and "/%2" not in url:
        host = url.split("/", 3)[2].partition(":")[0]
        last = host.rpartition(".")[2]
        if not last.isdigit() and not last.startswith("0x"):
            return url
    return safe_url_string(url, "utf-8")


def _joined(base_url: str, url: str) -> str:
    """*url* resolved against *base_url*, without its fragment."""
    # An absolute URL of _SPELLED_AS_REQUESTED's is what urljoin returns for it, against any base
    # (another scheme's: as it is; its own: its parts put together again, which give it back),
    # unless a ";" (urlparse's parameters: "/a;" loses it) is in it.
    if _SPELLED_AS_REQUESTED.fullmatch(url) and ";" not in url:
        return url
    return urljoin(base_url, url).split("#", 1)[0]


class Named(NamedTuple):
    """A page's or stylesheet's requisites as requested: in the order it names them, at most the
    per-page cap, each URL as Scrapy's ``Request`` spells it (so it is the URL of its capture)."""

    urls: tuple[str, ...]
    capped: bool  # it named more than the cap


def named_requisites(
    response: Response | RecordedResponse, level: str, cap: int, selector: Selector | None = None
) -> Named | None:
    """What *response* loads, as the crawl requests it: an HTML page's requisites at *level*, or a
    stylesheet's ``@import`` and ``url()``; None for anything else (another type, not 200, a body
    that could not be decoded, level ``none``). *response* is what the downloader hands the spider:
    the decoded body, typed by Scrapy (:func:`record_response` rebuilds it from a WARC record), or
    a :class:`RecordedResponse`, which reads as Scrapy's of its kind (an extraction worker's).
    *selector*: an HTML page's tree parsed already, which reads as ``response.selector`` would
    (``archive/page_reading.py``); else ``response.selector`` parses it."""
    if level == "none" or response.status != 200:
        return None
    if isinstance(response, RecordedResponse):
        if not response.is_text:
            return None
        content_type = response.content_type
    else:
        from scrapy.http import TextResponse  # a Scrapy response is here: Scrapy is loaded

        if not isinstance(response, TextResponse):
            return None
        content_type = first_header(header_pairs(response.headers), "Content-Type")
    if is_html(content_type):
        # One more than the cap: enough to tell that it named more.
        found = page_requisites(response.selector if selector is None else selector, response.url, level, cap + 1)
    elif is_stylesheet(content_type, response.url):
        found = stylesheet_requisites(response.text, response.url)
    else:
        return None
    kept = (_requested(url) for url in found[:cap] if _SPELLED_AS_REQUESTED.fullmatch(url) or is_crawlable(url))
    return Named(tuple(dict.fromkeys(kept)), len(found) > cap)


def record_response(
    url: str, status: int, pairs: HeaderPairs, body: bytes, kind: type[Response] | None = None
) -> Response:
    """The response Scrapy's downloader would hand the spider for an archived exchange: *body*
    decoded of its content codings, *pairs* its header lines without them, the class (and so the
    charset rules) chosen by ``responsetypes`` from the same headers and body as the crawl's, or
    *kind*: the class of the response the crawl's spider was handed."""
    from scrapy.responsetypes import responsetypes

    headers = scrapy_headers(pairs)
    if kind is None:
        kind = responsetypes.from_args(headers=headers, url=url, body=body)
    return kind(url=url, status=status, headers=headers, body=body)
