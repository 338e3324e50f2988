"""The crawl's cheap stand-ins for Scrapy behaviour: typing of encoded responses, meta refresh on the head only."""

from __future__ import annotations

import gzip

from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler

from crawler.content_decoding import DECODING_ERROR_META_KEY, ContentDecodingMiddleware
from crawler.middlewares import HeadMetaRefreshMiddleware

PAGE = (
    "<html><head><meta charset='windows-1252'><title>Caf\xe9</title></head><body><p>Caf\xe9 cr\xe8me</p></body></html>"
)


def _decoded(content_type: bytes, body: bytes | None = None) -> Response:
    request = Request("http://site.example/a")
    raw = HtmlResponse(
        request.url,
        body=gzip.compress(PAGE.encode("cp1252")) if body is None else body,
        headers={"Content-Type": content_type, "Content-Encoding": "gzip"},
        request=request,
    )
    return ContentDecodingMiddleware.from_crawler(get_crawler()).process_response(request, raw)


def test_encoded_response_is_typed_and_decoded_after_decompression() -> None:
    response = _decoded(b"text/html")
    assert isinstance(response, HtmlResponse)
    assert b"Content-Encoding" not in response.headers
    assert response.encoding == "cp1252"  # from the decoded page's <meta charset>
    assert "Caf\xe9 cr\xe8me" in response.text
    assert _decoded(b"text/html; charset=iso-8859-1").encoding == "cp1252"  # latin-1 is read as its superset


def test_undecodable_response_goes_on_as_received_with_the_reason() -> None:
    response = _decoded(b"text/html", body=b"\x00\x01 not gzip")
    assert type(response) is Response and response.body == b"\x00\x01 not gzip"
    assert response.request is not None
    assert "cannot undo Content-Encoding gzip" in response.request.meta[DECODING_ERROR_META_KEY]


def test_unencoded_response_passes_untouched() -> None:
    request = Request("http://site.example/a")
    response = HtmlResponse(request.url, body=b"<html></html>", headers={"Content-Type": "text/html"})
    assert ContentDecodingMiddleware.from_crawler(get_crawler()).process_response(request, response) is response


def _refresh(body: bytes) -> Request | Response:
    crawler = get_crawler()
    middleware = HeadMetaRefreshMiddleware.from_crawler(crawler)
    request = Request("http://site.example/old")
    response = HtmlResponse(request.url, body=body, headers={"Content-Type": "text/html; charset=utf-8"})
    return middleware.process_response(request, response)


def test_meta_refresh_followed_even_after_multibyte_text() -> None:
    # 3,000 characters of Cyrillic are 6,000 bytes: the refresh is within Scrapy's 4096 characters.
    head = "<html><head><title>" + "\u0436" * 3000 + "</title>"
    body = (head + '<meta http-equiv="refresh" content="0; url=/new"></head><body>x</body></html>').encode()
    redirected = _refresh(body)
    assert isinstance(redirected, Request)
    assert redirected.url == "http://site.example/new"


def test_page_without_refresh_is_not_decoded() -> None:
    body = ("<html><head><title>t</title></head><body>" + "<p>text</p>" * 10_000 + "</body></html>").encode()
    response = _refresh(body)
    assert isinstance(response, HtmlResponse)
    assert response._cached_ubody is None  # type: ignore[attr-defined]  # Scrapy's cache of response.text


def test_utf16_page_gets_scrapys_check() -> None:
    body = '<html><head><meta http-equiv="refresh" content="0; url=/new"></head></html>'.encode("utf-16")
    crawler = get_crawler()
    request = Request("http://site.example/old")
    response = HtmlResponse(request.url, body=body, headers={"Content-Type": "text/html; charset=utf-16"})
    redirected = HeadMetaRefreshMiddleware.from_crawler(crawler).process_response(request, response)
    assert isinstance(redirected, Request)
