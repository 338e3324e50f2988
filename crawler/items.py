"""Items the spider hands to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass

from archive.capture import Capture
from archive.extract import Article, ExtractionHints, NotAnArticle


@dataclass(slots=True)
class PageItem:
    """An HTML page fetched by the crawl, on its way to extraction and storage."""

    url: str
    capture: Capture
    body: bytes  # decoded from Content-Encoding
    headers: dict[str, str]
    hints: ExtractionHints | None = None  # from the site's profile, when it has any
    result: Article | NotAnArticle | None = None  # set by the extraction pipeline
