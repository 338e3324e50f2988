"""One worker task per page: its HTML parsed once for its extraction, its requisites and its links.

The crawl's spider and ``reextract`` hand the extraction pool one :class:`PageTask` a page. The
worker parses the page for ``extract()`` and, on that tree, before extraction reads or cleans it,
reads what the page names as its requisites (``archive/requisites.py`` ``named_requisites``) and,
when asked (a listing's), its links (``crawler/discovery.py`` ``page_links``, passed in as
*links*: the archive does not import the crawler). So the crawl's reactor thread parses no HTML,
and ``reextract`` sends a page to a worker once, not once for extraction and once more for its
requisites.

The answers must be the ones those functions give on Scrapy's own selector of the response the
spider was handed (``response.selector``: the body decoded by Scrapy's charset rules, parsed by
parsel), which is what the crawl recorded before and what its requests were made from. The
extraction's tree is read in its place only when it is the same document:

* the text extraction decoded (``archive/extraction/decode.py``: a valid UTF-8 body is UTF-8 whatever
  its header says) is the text Scrapy decoded (``w3lib``: the header's charset first); a page
  whose charset header is wrong decodes differently, and its non-ASCII URLs with it;
* it holds none of the control characters trafilatura strips before parsing and libxml2 keeps,
  nor an ``<html/>`` trafilatura opens and libxml2 ends the document at;
* it is under libxml2's 10 MB text limit, which parsel lifts (``huge_tree``) and trafilatura
  does not, and not nested so deep that extraction parsed it again (``on_tree`` is not called).

Otherwise, and for a page extraction does not parse (not extracted here: a revisit, a rendered
page's HTML, a stylesheet; or rejected before parsing), the worker reads them from Scrapy's
selector, parsed apart: the answers are always that selector's, the second parse the exception.

That response is :class:`archive.text_response.RecordedResponse`, which reads the exchange by
Scrapy's rules without importing Scrapy (a worker importing it held 15 MB more).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archive.extraction.reuse import input_digest
from archive.extraction.types import Article, NotAnArticle
from archive.responses import HeaderPairs, PageInput, first_header, is_html

if TYPE_CHECKING:
    from lxml.html import HtmlElement
    from parsel import Selector

    from archive.requisites import Named
    from archive.text_response import Kind, RecordedResponse

# parsel is imported by the tasks that read requisites or links, not at import: a worker that only
# extracts (requisites off) never pays for it. Scrapy is not imported at all when the task names the
# response's class (the crawl's do: archive/text_response.py reads the response by Scrapy's rules).

ExtractionResult = Article | NotAnArticle
# Reads a page's links from its selector and URL (the crawl's crawler.discovery.page_links, with its cap).
LinkReader = Callable[["Selector", str], Any]
# libxml2's limit on one text node without XML_PARSE_HUGE, which parsel sets and trafilatura does not.
_HUGE_TEXT = 10_000_000


@dataclass(frozen=True, slots=True)
class PageTask:
    """One page for a worker (picklable). The response the spider was handed, as
    :class:`archive.text_response.RecordedResponse` reads it: *url*, *status*, header *pairs* and
    the decoded *body*, of Scrapy's class *kind* (``kind_of_class`` of the spider's response; None:
    chosen from the headers and body as Scrapy's downloader chooses it, which imports Scrapy).
    *page*: what ``extract()`` is given, None when the page is not extracted here.
    *level*, *cap*: the requisites wanted (``NEWSARCHIVE_REQUISITES``, the per-page cap); *links*:
    the page's links wanted (a listing's), read by that function."""

    url: str
    status: int
    pairs: HeaderPairs
    body: bytes
    kind: Kind | None
    page: PageInput | None
    level: str
    cap: int
    links: LinkReader | None = None

    @classmethod
    def extracting(cls, page: PageInput) -> PageTask:
        """*page* extracted, nothing else read (its bytes cross to the worker once: in *page*)."""
        return cls(page.url, 200, [], b"", None, page, "none", 0)


@dataclass(frozen=True, slots=True)
class PageRead:
    """What a worker read of a page: its extraction *result* (None: not asked for), the requisites
    it *named* (None as ``named_requisites`` says none), its *links* (None: not asked for), and
    whether those were read from extraction's tree (*shared*; else Scrapy's selector parsed the
    page apart, or nothing needed a tree), and whether it was read in the process that asked
    (*in_caller*: no workers, or none could; the pool sets it)."""

    result: ExtractionResult | None
    named: Named | None
    links: Any | None
    shared: bool
    in_caller: bool = False


def extract_page(page: PageInput, on_tree: Callable[[HtmlElement, str], None] | None = None) -> ExtractionResult:
    """``extract()`` of one page input; a page that could not be decoded is an extraction error.
    The result carries the digest of its input, so a revisit of the page can be given it again."""
    # Imported here, in the worker: the crawl's own process never extracts (unless workers is 0),
    # and trafilatura's imports would cost it a second at every start.
    from archive.extraction.core import extract

    if page.error is not None:
        result: ExtractionResult = NotAnArticle(url=page.url, reason=page.error, kind="error")
    else:
        result = extract(page.body, page.url, page.headers, page.hints, on_tree)
    return dataclasses.replace(result, input_digest=input_digest(page))


def read_page(task: PageTask) -> PageRead:
    """The worker task: *task*'s page extracted, its requisites and links read, its HTML parsed once
    when it can be (the module's docstring says when)."""
    if task.links is None and task.level == "none":
        return PageRead(None if task.page is None else extract_page(task.page), None, None, False)
    from parsel import Selector

    from archive.text_response import RecordedResponse, kind_of

    kind = task.kind or kind_of(task.url, task.pairs, task.body)
    response = RecordedResponse(task.url, task.status, task.pairs, task.body, kind)
    shared: list[tuple[Named | None, Any | None]] = []

    def on_tree(tree: HtmlElement, text: str) -> None:
        if _same_document(response, text):
            shared.append(_answers(task, response, Selector(root=tree)))

    html = response.is_text and is_html(first_header(task.pairs, "Content-Type"))
    result = None if task.page is None else extract_page(task.page, on_tree if html else None)
    named, links = shared[0] if shared else _answers(task, response, None)
    return PageRead(result, named, links, bool(shared))


def _same_document(response: RecordedResponse, text: str) -> bool:
    """Whether extraction's tree, parsed from *text*, is the one Scrapy's selector of *response* parses."""
    from archive.extraction.parse import has_invalid_xml_chars, self_closing_html  # imports trafilatura: workers only

    return (
        len(text) < _HUGE_TEXT
        and text == response.text
        and not has_invalid_xml_chars(text)  # trafilatura deletes them before parsing, Scrapy does not
        and not self_closing_html(text)  # trafilatura opens it, Scrapy's parse ends the document there
    )


def _answers(task: PageTask, response: RecordedResponse, selector: Selector | None) -> tuple[Named | None, Any | None]:
    """The page's requisites and links, read from *selector* (None: Scrapy's own, parsed now;
    a stylesheet's requisites are a regex over its text)."""
    from archive.requisites import named_requisites

    named = named_requisites(response, task.level, task.cap, selector)
    links = None
    if task.links is not None and response.is_text:
        links = task.links(response.selector if selector is None else selector, task.url)
    return named, links
