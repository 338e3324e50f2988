"""Items the spider hands to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass

from archive.capture import Capture
from archive.extract import Article, NotAnArticle
from archive.responses import PageInput

# What a request is for, in its meta: listing | article | feed | sitemap | requisite.
ROLE = "newsarchive_role"


def is_requisite(meta: dict[str, object]) -> bool:
    return meta.get(ROLE) == "requisite"


@dataclass(slots=True)
class PageItem:
    """An HTML page fetched by the crawl, on its way to extraction and storage."""

    url: str
    capture: Capture
    page: PageInput | None  # what extract() is given; dropped once extracted
    result: Article | NotAnArticle | None = None  # set by the extraction pipeline
