"""What a fetched stylesheet loads, recorded on its capture whoever fetched it: the spider's
requisite requests, or the browser of render mode (whose downloads never reach the spider).
``reextract`` records it for every stylesheet record alike (archive/reextract.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from archive.requisites import Named, named_requisites
from archive.responses import first_header, header_pairs, stylesheet_answer
from crawler.middlewares import CAPTURE_META_KEY
from crawler.signals import requisites_named

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response


def is_stylesheet_answer(response: Response) -> bool:
    content_type = first_header(header_pairs(response.headers), "Content-Type")
    return stylesheet_answer(response.status, content_type, response.url)


def record_stylesheet(crawler: Crawler, response: Response, meta: dict[str, Any], level: str, cap: int) -> Named | None:
    """What the stylesheet *response* loads (None when it is none, or not a readable stylesheet),
    sent with its capture (``requisites_named``) for the storage pipeline to write, which waits
    for it."""
    if level == "none" or not is_stylesheet_answer(response):
        return None
    named = named_requisites(response, level, cap)
    capture = meta.get(CAPTURE_META_KEY)
    if capture is not None:
        urls = None if named is None else named.urls
        crawler.signals.send_catch_log(requisites_named, capture=replace(capture, requisites=urls))
    return named
