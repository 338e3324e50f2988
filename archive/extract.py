"""THE extraction function of newsarchive: (bytes, url, headers) -> Article | NotAnArticle.

The implementation lives in `archive.extraction` (one module per concern); this module is the stable
interface the crawler, the re-extraction path and the CLI import.
"""

from archive.extraction.core import extract
from archive.extraction.decode import decode_html
from archive.extraction.types import (
    EXTRACTOR_NAME,
    EXTRACTOR_VERSION,
    Article,
    ExtractionHints,
    NotAnArticle,
    to_record,
)

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
