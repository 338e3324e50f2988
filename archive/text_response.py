"""The response an exchange stands for, read by Scrapy's rules without importing Scrapy.

An extraction worker reads a page's requisites and links from the text and the selector Scrapy's
``TextResponse`` would give the spider. Importing any of Scrapy (``scrapy.http`` is enough) imports
all of it, Twisted included: 15 MB and 335 modules in each worker, for two properties. So
:class:`RecordedResponse` reads them the way Scrapy 2.19's ``TextResponse`` does, calling the same
``w3lib`` functions with the same arguments (the charset: BOM, the last ``Content-Type`` header,
the body's declaration, else inferred; the text decoded by that charset), and builds the same
parsel selector (the type Scrapy's ``Selector`` picks by the response's class, the base URL
``scrapy.utils.response.get_base_url`` gives). ``tests/test_text_response.py`` compares both,
property by property, with Scrapy's own response.

The response's class is a *kind* (:data:`Kind`): the spider sends its response's
(:func:`kind_of_class`); without one (``reextract``) :func:`kind_of` chooses it as Scrapy's
``responsetypes`` chooses the class of the downloader's response, step for step. So no extraction
worker imports Scrapy.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
from mimetypes import MimeTypes
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from archive.responses import HeaderPairs, first_header

if TYPE_CHECKING:
    from parsel import Selector
    from scrapy.http import Headers, Response

# Scrapy's response classes as the selector and the charset rules tell them apart: XmlResponse,
# JsonResponse, HtmlResponse, another TextResponse, and a response that is no text (no selector).
Kind = Literal["xml", "json", "html", "text", "other"]
# The parsel type Scrapy's Selector gives each (None: parsel tells HTML from XML by the text).
_SELECTOR_TYPES: dict[str, str | None] = {"xml": "xml", "json": "json", "html": "html", "text": None}
# TextResponse._DEFAULT_ENCODING, which no Scrapy subclass overrides.
_DEFAULT_ENCODING = "ascii"


def _as_scrapy_reads(value: str) -> str:
    """A header value as Scrapy's ``Headers`` gives it back as text: it stores text as UTF-8 and
    ``TextResponse`` (and ``header_pairs``) read the bytes as latin-1."""
    return value.encode("utf-8").decode("latin-1")


class RecordedResponse:
    """A response of *url*, *status*, header lines *pairs* and decoded *body*, of Scrapy's class
    *kind*: its :attr:`text` and :attr:`selector` as Scrapy's response of that class gives them."""

    __slots__ = ("_encoding", "_selector", "_text", "body", "kind", "pairs", "status", "url")

    def __init__(self, url: str, status: int, pairs: HeaderPairs, body: bytes, kind: Kind) -> None:
        self.url = url
        self.status = status
        self.pairs = pairs
        self.body = body
        self.kind = kind
        self._encoding: str | None = None
        self._text: str | None = None
        self._selector: Selector | None = None

    @property
    def is_text(self) -> bool:
        """Whether Scrapy's response is a ``TextResponse`` (has a text and a selector)."""
        return self.kind != "other"

    @property
    def content_type(self) -> str | None:
        """The first ``Content-Type`` line, as ``header_pairs(response.headers)`` reads it of Scrapy's."""
        first = first_header(self.pairs, "Content-Type")
        return None if first is None else _as_scrapy_reads(first)

    def _last_content_type(self) -> str:
        # Scrapy's Headers.get: the last value of the name.
        values = [value for name, value in self.pairs if name.lower() == "content-type"]
        return _as_scrapy_reads(values[-1]) if values else ""

    @property
    def encoding(self) -> str:
        """``TextResponse.encoding``: the declared charset (BOM, header, body), else the inferred one."""
        if self._encoding is None:
            from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

            declared = (
                read_bom(self.body)[0]
                or http_content_type_encoding(self._last_content_type())
                or html_body_declared_encoding(self.body)
            )
            self._encoding = declared or self._inferred_encoding()
        return self._encoding

    def _inferred_encoding(self) -> str:
        """``TextResponse._body_inferred_encoding``, with the text it decodes on the way kept."""
        from w3lib.encoding import html_to_unicode

        encoding, self._text = html_to_unicode(
            self._last_content_type(),
            self.body,
            auto_detect_fun=_auto_detect,
            default_encoding=_DEFAULT_ENCODING,
        )
        return encoding

    @property
    def text(self) -> str:
        """``TextResponse.text``: the body decoded by :attr:`encoding`."""
        encoding = self.encoding
        if self._text is None:
            from w3lib.encoding import html_to_unicode

            self._text = html_to_unicode(f"charset={encoding}", self.body)[1]
        return self._text

    @property
    def selector(self) -> Selector:
        """``TextResponse.selector``: Scrapy's ``Selector(response)``, a parsel selector of :attr:`text`."""
        if self._selector is None:
            from parsel import Selector
            from w3lib.html import get_base_url

            text = self.text
            base_url = get_base_url(text[0:4096], self.url, self.encoding)
            self._selector = Selector(text=text, type=_SELECTOR_TYPES[self.kind], base_url=base_url)
        return self._selector


def _auto_detect(text: bytes) -> str | None:
    """``TextResponse._auto_detect_fun``: ASCII, UTF-8, else charset_normalizer's guess."""
    from w3lib.encoding import resolve_encoding

    for encoding in (_DEFAULT_ENCODING, "utf-8"):
        try:
            text.decode(encoding)
        except UnicodeError:
            continue
        return resolve_encoding(encoding)
    from charset_normalizer import from_bytes

    match = from_bytes(text).best()
    return resolve_encoding(match.encoding) if match else None


def kind_of_class(cls: type[Response]) -> Kind:
    """The kind of Scrapy's response class *cls*, told apart in the order Scrapy's ``Selector`` does."""
    from scrapy.http import HtmlResponse, JsonResponse, TextResponse, XmlResponse  # loaded: a class of it is here

    if issubclass(cls, XmlResponse):
        return "xml"
    if issubclass(cls, JsonResponse):
        return "json"
    if issubclass(cls, HtmlResponse):
        return "html"
    return "text" if issubclass(cls, TextResponse) else "other"


def scrapy_headers(pairs: HeaderPairs) -> Headers:
    """*pairs* as Scrapy's ``Headers``."""
    from scrapy.http import Headers

    headers = Headers()
    for name, value in pairs:
        headers.appendlist(name, value)
    return headers


# scrapy.responsetypes.ResponseTypes.CLASSES, as kinds.
_KINDS_BY_TYPE: dict[str, Kind] = {
    "text/html": "html",
    "application/atom+xml": "xml",
    "application/rdf+xml": "xml",
    "application/rss+xml": "xml",
    "application/xhtml+xml": "html",
    "application/vnd.wap.xhtml+xml": "html",
    "application/xml": "xml",
    "application/json": "json",
    "application/x-json": "json",
    "application/json-amazonui-streaming": "json",
    "application/javascript": "text",
    "application/x-javascript": "text",
    "text/xml": "xml",
    "text/*": "text",
}
# scrapy.utils.python._BINARYCHARS: control characters but NUL, tab, newline and carriage return.
_BINARY_BYTES = frozenset(set(range(32)) - {0, 9, 10, 13})


def kind_of(url: str, pairs: HeaderPairs, body: bytes) -> Kind:
    """The kind of response Scrapy's downloader makes of *url*, *pairs* and *body*:
    ``responsetypes.from_args(headers=, url=, body=)``, step for step (the headers, the URL's file
    name, the body's first bytes), without importing Scrapy."""
    kind: Kind = "other"
    content_type = _last(pairs, "Content-Type")
    if content_type is not None:
        encoding = _last(pairs, "Content-Encoding")
        if not encoding:
            kind = _kind_of_type(content_type.split(";")[0].strip().lower())
    disposition = _last(pairs, "Content-Disposition")
    if kind == "other" and disposition is not None:
        with contextlib.suppress(IndexError):  # no file name: Scrapy's from_content_disposition
            kind = _kind_of_file(disposition.split(";")[1].split("=")[1].strip("\"'"))
    if kind == "other":
        kind = _kind_of_file(url)
    if kind == "other":
        kind = _kind_of_body(body)
    return kind


def _last(pairs: HeaderPairs, name: str) -> str | None:
    """The last value of *name*, as Scrapy's ``Headers`` gives it (``headers[name]``) read as latin-1."""
    values = [value for key, value in pairs if key.title() == name]
    return _as_scrapy_reads(values[-1]) if values else None


def _kind_of_type(media_type: str) -> Kind:
    """``ResponseTypes.from_mimetype``."""
    if media_type in _KINDS_BY_TYPE:
        return _KINDS_BY_TYPE[media_type]
    return _KINDS_BY_TYPE.get(f"{media_type.split('/', maxsplit=1)[0]}/*", "other")


def _kind_of_file(name: str) -> Kind:
    """``ResponseTypes.from_filename``: the type Scrapy's MIME table gives the name, if not compressed."""
    media_type, encoding = _mime_types().guess_type(name)
    return _kind_of_type(media_type) if media_type and not encoding else "other"


def _kind_of_body(body: bytes) -> Kind:
    """``ResponseTypes.from_body``: binary, HTML, XML or text by the first 5,000 bytes."""
    chunk = body[:5000]
    if not _BINARY_BYTES.isdisjoint(chunk):
        return _kind_of_type("application/octet-stream")
    lowered = chunk.lower()
    if b"<html>" in lowered:
        return _kind_of_type("text/html")
    if b"<?xml" in lowered:
        return _kind_of_type("text/xml")
    if b"<!doctype html>" in lowered:
        return _kind_of_type("text/html")
    return _kind_of_type("text")


@functools.cache
def _mime_types() -> MimeTypes:
    """``ResponseTypes().mimetypes``: Python's table read with Scrapy's ``mime.types`` (found, not imported)."""
    spec = importlib.util.find_spec("scrapy")
    assert spec is not None and spec.submodule_search_locations is not None
    table = MimeTypes()
    with (Path(spec.submodule_search_locations[0]) / "mime.types").open(encoding="utf8") as lines:
        table.readfp(lines)
    return table
