"""THE extraction function of newsarchive: (bytes, url, headers) -> Article | NotAnArticle.

The implementation lives in `archive.extraction` (one module per concern); this module is the stable
interface the crawler, the re-extraction path and the CLI import.
"""

from typing import TYPE_CHECKING, Any

from archive.extraction.decode import decode_html
from archive.extraction.types import (
    EXTRACTOR_NAME,
    EXTRACTOR_VERSION,
    Article,
    ExtractionHints,
    NotAnArticle,
    to_record,
)

if TYPE_CHECKING:
    from archive.extraction.core import extract


def __getattr__(name: str) -> Any:
    # extract() on first use: it brings in trafilatura and lxml, a second or more of imports that
    # the commands which only read the archive (and import this module for its types) never need.
    if name == "extract":
        from archive.extraction.core import extract

        return extract
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EXTRACTOR_NAME",
    "EXTRACTOR_VERSION",
    "Article",
    "ExtractionHints",
    "NotAnArticle",
    "decode_html",
    "extract",
    "to_record",
]
