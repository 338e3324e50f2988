"""Page requisites: what a page loads to look as its reader saw it (issue 23 §1).

Stylesheets, icons, scripts, images with every ``srcset`` candidate (a replay in a window of
another width asks for another one), ``<picture><source>``, video posters, the ``url()`` and
``@import`` of inline styles and ``<style>`` blocks; and, from a fetched stylesheet, its own
``@import`` and ``url()`` (fonts, background images), resolved against the stylesheet's URL. On any
origin: CDNs are where requisites live. At level ``all`` audio and video sources too.

They are requisites, not pages: the article patterns, the listing logic and the depth of the
spider do not apply to them, and they are never extracted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urljoin

from parsel import Selector

LEVELS = ("none", "layout", "all")

# url(...) with or without quotes, and @import "..." (the url() form is caught by the first).
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]+))\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)

_LAYOUT_XPATH = (
    "//link[contains(concat(' ', normalize-space(translate(@rel, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
    "'abcdefghijklmnopqrstuvwxyz')), ' '), ' stylesheet ') or contains(translate(@rel, "
    "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), 'icon')]/@href",
    "//script/@src",
    "//img/@src",
    "//input[@type='image']/@src",
    "//video/@poster",
)
_MEDIA_XPATH = ("//video/@src", "//audio/@src", "//video/source/@src", "//audio/source/@src", "//track/@src")


def _fetchable(url: str) -> bool:
    return url.startswith(("http://", "https://"))


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


def rewrite_css_urls(css: str, replace: Callable[[str], str]) -> str:
    """*css* with every URL ``css_urls`` reads (``@import``, ``url()``) replaced by *replace(url)*
    (the web reader's archived view: the same URLs the crawl fetched, pointed at the archive)."""

    def imported(match: re.Match[str]) -> str:
        return f'@import "{replace(match.group(1) or match.group(2))}"'

    def url(match: re.Match[str]) -> str:
        return f'url("{replace(match.group(1) or match.group(2) or match.group(3) or "")}")'

    return _CSS_URL.sub(url, _CSS_IMPORT.sub(imported, css))


def page_requisites(selector: Selector, page_url: str, level: str) -> list[str]:
    """The absolute http(s) URLs *selector*'s page loads at *level*, first appearance first."""
    if level == "none":
        return []
    base = selector.xpath("//base/@href").get()
    base_url = urljoin(page_url, base.strip()) if base else page_url
    found: list[str] = []
    for xpath in _LAYOUT_XPATH + (_MEDIA_XPATH if level == "all" else ()):
        found += selector.xpath(xpath).getall()
    for srcset in selector.xpath("//img/@srcset | //picture/source/@srcset").getall():
        found += srcset_urls(srcset)
    for css in selector.xpath("//style/text() | //*/@style").getall():
        found += css_urls(css)
    return _absolute(found, base_url)


def stylesheet_requisites(css: str, stylesheet_url: str) -> list[str]:
    """What a fetched stylesheet loads, resolved against its own URL."""
    return _absolute(css_urls(css), stylesheet_url)


def _absolute(urls: Iterable[str], base_url: str) -> list[str]:
    seen: dict[str, None] = {}
    for url in urls:
        absolute = urljoin(base_url, url.strip()).split("#", 1)[0]
        if _fetchable(absolute):
            seen.setdefault(absolute, None)
    return list(seen)
