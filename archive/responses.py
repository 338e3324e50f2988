"""What an archived HTTP response means, decided once for both ways into the archive.

The crawl (``crawler/``) and re-extraction (``archive/reextract.py``) hand the same facts of a
response to these functions: its header lines as received, its status and its body as received.
Everything that decides what ``extract()`` gets is here, so a page reextracted from the crawl's
WARC yields what the crawl yielded:

* header lines are text by one rule (latin-1: every byte stands for itself, nothing raises);
* a header that carries one value (``Content-Type``, ``ETag``, ``Last-Modified``…) is its first
  occurrence, however often a server repeats it;
* what is HTML is the media type of that ``Content-Type``, exactly;
* content codings are undone by :func:`archive.content_coding.decode_content` within the crawl's
  size limit; a body that declares a coding it does not have is used as stored when it is plainly
  markup, and is an extraction error otherwise;
* hints come from the site profile of the page's host, among every profile of the sites file in
  force, whichever way the page was reached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urljoin

from archive.content_coding import ContentDecodingError, TooLarge, codings, decode_content
from archive.extraction.types import ExtractionHints
from archive.urls import is_http_url

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Headers whose value is one item (RFC 9110): a repetition is an error of the server's, and the first
# one is what both paths read. Others (Link, Vary, Cache-Control…) are lists: joined with ", ".
SINGLE_VALUED = frozenset(
    {"content-type", "content-length", "etag", "last-modified", "date", "location", "content-location", "expires"}
)
# Codings the body handed to extract() no longer has, so extract() must not see them declared.
_UNDONE = frozenset({"content-encoding", "transfer-encoding"})

HeaderPairs = list[tuple[str, str]]


class _HeaderSource(Protocol):
    def items(self) -> Iterable[tuple[Any, Any]]: ...


def _text(value: bytes | str) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def header_pairs(headers: _HeaderSource | Iterable[tuple[bytes | str, bytes | str]]) -> HeaderPairs:
    """Header lines as ``(name, value)`` text, in order: from Scrapy's ``Headers`` (a name with a
    list of values) or from ``(name, value)`` pairs as a WARC record holds them."""
    items = headers.items() if hasattr(headers, "items") else headers
    pairs: HeaderPairs = []
    for name, value in items:
        values = value if isinstance(value, list | tuple) else [value]
        pairs.extend((_text(name), _text(v)) for v in values)
    return pairs


def first_header(pairs: HeaderPairs, name: str) -> str | None:
    lowered = name.lower()
    return next((value.strip() for key, value in pairs if key.lower() == lowered), None)


REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})  # the ones Scrapy follows


def redirect_target(url: str, status: int, pairs: HeaderPairs) -> str | None:
    """The absolute URL a 3xx answer of *url* points at, if it names one: what the crawl stores
    as the alias's target (``url_aliases``), and ``reextract`` reads from the WARC by the same rule.
    A scheme or host written in capitals is spelled as the request Scrapy follows it with."""
    location = first_header(pairs, "Location") if status in REDIRECT_STATUSES else None
    if not location:
        return None
    target = urljoin(url, location.strip())
    if not is_http_url(target):
        return None
    if not target.startswith(("http://", "https://")):
        from w3lib.url import safe_url_string

        target = safe_url_string(target)
    return target if target != url else None


def header_dict(pairs: HeaderPairs) -> dict[str, str]:
    """One value per name: the first of a single-valued header, the others joined by ", "."""
    merged: dict[str, str] = {}
    names: dict[str, str] = {}  # lower-case name -> the first spelling seen
    for name, value in pairs:
        key = name.lower()
        value = value.strip()
        if key not in names:
            names[key] = name
            merged[name] = value
        elif key not in SINGLE_VALUED:
            merged[names[key]] += ", " + value
    return merged


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_html(content_type: str | None) -> bool:
    return media_type(content_type) in HTML_TYPES


def is_stylesheet(content_type: str | None, url: str) -> bool:
    """A CSS answer: ``text/css``, or no type at all on a URL that ends in ``.css``."""
    kind = media_type(content_type)
    return kind == "text/css" or (not kind and url.endswith(".css"))


def names_requisites(status: int, content_type: str | None, url: str) -> bool:
    """Whether a response may name requisites (archive/requisites.py): an HTML page or a
    stylesheet, with status 200."""
    return (status == 200 and is_html(content_type)) or stylesheet_answer(status, content_type, url)


def stylesheet_answer(status: int, content_type: str | None, url: str) -> bool:
    """A stylesheet answered in full (status 200): what it loads is read from it."""
    return status == 200 and is_stylesheet(content_type, url)


def body_is_read(method: str) -> bool:
    """Whether anything is read from an answer's body (extracted, its requisites or a sitemap's
    entries): only a GET's. A HEAD's has no body; a POST's (an XHR, a GraphQL query, a form
    posting to its own page) is no document published at its URL. Others' answers are captures."""
    return method == "GET"


def wants_extraction(status: int, content_type: str | None) -> bool:
    """Whether a response goes to ``extract()``: an HTML answer with status 200."""
    return status == 200 and is_html(content_type)


def resource_answer(content_type: str | None) -> tuple[int, HeaderPairs]:
    """The HTTP answer a WARC ``resource`` record stands for: status 200 and, as its only header,
    the record's own ``Content-Type``.

    Browser-based crawlers (ArchiveWeb.page, Browsertrix, the pages of a WACZ) store a page as a
    resource: the content with no HTTP message around it. Both ways in decide about it as about
    the response the crawl would have made of the same page (HTML and 200: extracted)."""
    return 200, [("Content-Type", content_type)] if content_type else []


@dataclass(frozen=True, slots=True)
class CaptureHeaders:
    """The header values a capture row records."""

    content_type: str | None
    etag: str | None
    last_modified: str | None


def capture_headers(pairs: HeaderPairs) -> CaptureHeaders:
    return CaptureHeaders(
        first_header(pairs, "Content-Type"), first_header(pairs, "ETag"), first_header(pairs, "Last-Modified")
    )


def content_codings(pairs: HeaderPairs) -> list[str]:
    return codings(value for name, value in pairs if name.lower() == "content-encoding")


def decode_body(pairs: HeaderPairs, body: bytes, limit: int) -> bytes:
    """The body with its declared content codings undone, at most *limit* bytes (0: no limit).

    Raises :class:`ContentDecodingError`. A body that declares a coding it does not have but is
    plainly markup is returned as stored: some tools store the decoded body under the original
    header, and some servers declare gzip over plain HTML. A body over the limit is never
    returned, plain or not."""
    applied = content_codings(pairs)
    if not applied:
        if limit and len(body) > limit:
            raise TooLarge(limit)
        return body
    try:
        return decode_content(body, applied, limit)
    except TooLarge:
        raise
    except ContentDecodingError:
        if body.lstrip()[:1] == b"<" and not (limit and len(body) > limit):
            return body
        raise


@dataclass(frozen=True, slots=True)
class PageInput:
    """What ``extract()`` is given for one page, whichever path read it (picklable: it crosses the
    extraction pool's process boundary). ``error`` says why there is no body to extract."""

    url: str
    body: bytes
    headers: dict[str, str]
    hints: ExtractionHints | None = None
    error: str | None = None


class HintSource(Protocol):
    def __call__(self, url: str) -> ExtractionHints | None: ...


def page_input(url: str, pairs: HeaderPairs, body: bytes, hints: HintSource, *, limit: int) -> PageInput:
    """The extraction input of an HTML answer: *body* as received (content codings still applied)
    or already decoded by :func:`decode_body` (then the ``Content-Encoding`` lines must be gone
    from *pairs*: Scrapy's response has them removed, and :func:`decoded_pairs` removes them)."""
    try:
        decoded = decode_body(pairs, body, limit)
    except ContentDecodingError as exc:
        return PageInput(url, b"", header_dict(decoded_pairs(pairs)), hints(url), error=str(exc))
    return PageInput(url, decoded, header_dict(decoded_pairs(pairs)), hints(url))


def decoded_pairs(pairs: HeaderPairs) -> HeaderPairs:
    """Header lines as they describe the decoded body: no content or transfer codings."""
    return [(name, value) for name, value in pairs if name.lower() not in _UNDONE]


def profile_hints(profiles: Mapping[str, Any]) -> HintSource:
    """The hint source both paths use: the hints of the profile of the URL's host."""
    from archive.profiles import hints_for_url

    def hints(url: str) -> ExtractionHints | None:
        return hints_for_url(profiles, url)

    return hints
