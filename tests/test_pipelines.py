"""The extraction pipeline hands a site profile's hints to the one extraction function."""

from __future__ import annotations

import asyncio
import datetime as dt

from archive.capture import Capture
from archive.extract import Article, ExtractionHints
from archive.responses import PageInput
from crawler.items import PageItem
from pipelines.extraction import ExtractionPipeline

PROSE = "The council approved the new budget after a long debate about schools and roads in the city. "
PAGE = (
    "<html lang='en'><head><title>Budget approved</title><meta property='og:type' content='article'></head>"
    "<body><article><h1>Budget approved</h1>"
    + "".join(f"<p>{PROSE * 2}Paragraph {i}.</p>" for i in range(4))
    + f"<p class='house-promo'>{PROSE}The print edition ran a longer version of this report on page three.</p>"
    "</article></body></html>"
).encode()
CAPTURE = Capture(
    url="http://example.com/news/budget-approved/",
    status=200,
    fetched_at=dt.datetime.now(dt.UTC),
    warc_file="x.warc.gz",
    warc_offset=0,
    warc_length=1,
    warc_record_id="<urn:uuid:x>",
)


class _Crawler:
    stats = None


def _extract(hints: ExtractionHints | None) -> str:
    pipeline = ExtractionPipeline(_Crawler(), workers=0, niceness=0)  # type: ignore[arg-type]
    pipeline.open_spider()
    page = PageInput(CAPTURE.url, PAGE, {"Content-Type": "text/html"}, hints)
    item = PageItem(url=CAPTURE.url, capture=CAPTURE, page=page)
    result = asyncio.run(pipeline.process_item(item)).result
    assert isinstance(result, Article)
    return result.text


def test_profile_hints_reach_extraction() -> None:
    assert "print edition" in _extract(None)
    assert "print edition" not in _extract(ExtractionHints(drop_xpaths=("//p[@class='house-promo']",)))
    assert "Paragraph 3." in _extract(ExtractionHints(drop_xpaths=("//p[@class='house-promo']",)))
