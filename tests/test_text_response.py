"""archive/text_response.py: a RecordedResponse reads as Scrapy's own response of the same exchange
(the class, the charset, the text, the selector: its type, base URL and every node), so a worker
that reads pages without importing Scrapy reads what the spider's response would give: the crafted
pages of test_page_reading, exchanges where Scrapy's rules have corners, and the dev corpus."""

from __future__ import annotations

import pytest
from scrapy.http import Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.utils.response import get_base_url

from archive.requisites import record_response
from archive.responses import HeaderPairs, first_header, header_pairs
from archive.text_response import RecordedResponse, kind_of, kind_of_class, scrapy_headers
from tests.test_page_reading import CRAFTED, _corpus

URL = "https://news.example/news/2026/12/07/crafted/"


def _assert_reads_as_scrapy(url: str, pairs: HeaderPairs, body: bytes) -> RecordedResponse:
    theirs: Response = record_response(url, 200, pairs, body)
    ours = RecordedResponse(url, 200, pairs, body, kind_of(url, pairs, body))
    assert ours.kind == kind_of_class(type(theirs))
    assert ours.is_text == isinstance(theirs, TextResponse)
    assert ours.content_type == first_header(header_pairs(theirs.headers), "Content-Type")
    if not isinstance(theirs, TextResponse):
        return ours
    assert ours.encoding == theirs.encoding
    assert ours.text == theirs.text
    mine, scrapys = ours.selector, theirs.selector
    assert mine.type == scrapys.type
    if mine.type != "json":
        assert get_base_url(theirs) == mine.root.getroottree().docinfo.URL
        assert mine.xpath("//@*").getall() == scrapys.xpath("//@*").getall()
    assert mine.get() == scrapys.get()
    return ours


@pytest.mark.parametrize("name", list(CRAFTED))
def test_a_crafted_page_reads_as_scrapys_response(name: str) -> None:
    pairs, body = CRAFTED[name]
    _assert_reads_as_scrapy(URL, pairs, body)


_HTML = '<html><head><link rel="stylesheet" href="/caf\u00e9.css"></head><body><p>{}</p></body></html>'
_CYRILLIC = "Москва заявила о новых мерах поддержки для жителей области и предприятий региона. " * 20

CORNERS: dict[str, tuple[str, HeaderPairs, bytes]] = {
    "two Content-Type lines, the last xml": (
        URL,
        [("Content-Type", "text/html"), ("Content-Type", "application/xml")],
        _HTML.format("x").encode("utf-8"),
    ),
    "two Content-Type lines, the last naming the charset": (
        URL,
        [("Content-Type", "text/html; charset=utf-8"), ("content-type", "text/html; charset=iso-8859-1")],
        _HTML.format("été").encode("utf-8"),
    ),
    "a latin-1 byte in the header": (
        URL,
        [("Content-Type", "text/html; charset=utf-8; x=\u00e9")],
        _HTML.format("été").encode("utf-8"),
    ),
    "an unknown charset": (URL, [("Content-Type", "text/html; charset=x-nonesuch")], _HTML.format("x").encode()),
    "undeclared windows-1251 (the detector guesses)": (
        URL,
        [("Content-Type", "text/html")],
        _HTML.replace("\u00e9", "e").format(_CYRILLIC).encode("cp1251"),
    ),
    "undeclared, invalid utf-8 in ascii": (URL, [("Content-Type", "text/html")], b"<p>caf\xc3</p>"),
    "declared gb18030 in a meta": (
        URL,
        [("Content-Type", "text/html")],
        ('<meta charset="gb2312">' + _HTML.format("北京的新闻")).encode("gb18030"),  # é is in gb18030
    ),
    "no Content-Type, html body": (URL, [], _HTML.format("x").encode()),
    "no Content-Type, a .css URL": ("https://news.example/a.css", [], b"body { background: url(/b.png) }"),
    "a stylesheet with @charset": (
        "https://news.example/s.css",
        [("Content-Type", "text/css")],
        '@charset "iso-8859-1"; a { content: "é" }'.encode("latin-1"),
    ),
    "an RSS feed": (
        "https://news.example/feed/",
        [("Content-Type", "application/rss+xml")],
        b'<?xml version="1.0"?><rss><channel><item><link>https://news.example/a/</link></item></channel></rss>',
    ),
    "json": ("https://news.example/api", [("Content-Type", "application/json")], b'{"a": ["\\u00e9", 1]}'),
    "plain text that looks like xml": (URL, [("Content-Type", "text/plain")], b'<?xml version="1.0"?><a b="c"/>'),
    "an image": ("https://news.example/a.png", [("Content-Type", "image/png")], b"\x89PNG\r\n\x1a\n"),
    "html with a Content-Encoding line": (
        URL,
        [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
        _HTML.format("x").encode(),
    ),
}


@pytest.mark.parametrize("name", list(CORNERS))
def test_a_corner_of_scrapys_rules_reads_as_scrapys_response(name: str) -> None:
    _assert_reads_as_scrapy(*CORNERS[name])


def test_the_corners_cover_every_kind() -> None:
    kinds = {kind_of(url, pairs, body) for url, pairs, body in CORNERS.values()}
    assert kinds == {"html", "xml", "json", "text", "other"}


def test_every_corpus_page_reads_as_scrapys_response_with_and_without_a_charset_header() -> None:
    for url, body in _corpus():
        for pairs in ([("Content-Type", "text/html")], [("Content-Type", "text/html; charset=iso-8859-1")]):
            _assert_reads_as_scrapy(url, pairs, body)


_PAGE = b"<html><body><p>x</p></body></html>"
# (URL, header lines, body): what Scrapy's responsetypes looks at, in its order.
KINDS: list[tuple[str, HeaderPairs, bytes]] = [
    *(
        (URL, [("Content-Type", media_type)], _PAGE)
        for media_type in (
            "TEXT/HTML; charset=x",
            "text/plain",
            "text/css",
            "text/xml",
            "text/vnd.foo",
            "image/svg+xml",
            "application/ld+json",
            "application/x-json",
            "application/javascript",
            "application/xhtml+xml",
            "application/octet-stream",
            "",
            ";",
            " text/html ",
            "text/html;",
            "textual",
        )
    ),
    (URL, [("content-type", "text/xml"), ("CONTENT-TYPE", "text/html")], _PAGE),
    (URL, [("Content-Type", "text/html"), ("Content-Encoding", "gzip")], b"\x1f\x8b\x08\x00" + b"\x00" * 10),
    (URL, [("Content-Type", "text/html"), ("Content-Encoding", "")], _PAGE),
    (URL, [("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Content-Encoding", "")], _PAGE),
    *(
        (URL, [("Content-Disposition", value)], b"\x00\x01binary")
        for value in (
            'attachment; filename="report.pdf"',
            "attachment; filename=page.html",
            "inline; filename='feed.xml'",
            "attachment",
            "attachment; filename",
            "attachment; filename=data.json.gz",
        )
    ),
    (URL, [("Content-Type", "application/octet-stream"), ("Content-Disposition", "attachment; filename=a.html")], b""),
    (URL, [("Content-Type", "text/html"), ("Content-Disposition", "attachment; filename=a.json")], b""),
    *(
        (f"https://news.example/{name}", [], b"\x00\x01binary")
        for name in (
            "a.css",
            "a.js",
            "a.json",
            "feed.xml",
            "a.html",
            "a.htm",
            "a.txt",
            "a.svg",
            "a.html.gz",
            "a.tar.gz",
            "a.mjs",
            "a.webp",
            "a.unknownext",
            "dir/",
            "a.css?x=1",
            "a.HTML",
        )
    ),
    *(
        (URL, [], body)
        for body in (
            b"",
            b"plain text",
            b"<HTML><body>x",
            b"<?XML version='1.0'?><a/>",
            b"<!DOCTYPE HTML>\n<p>",
            b"text with a \x01 control",
            b"text with \x00 and \t\r\n",
            b"x" * 5000 + b"<html>",
            b"\x1b[0m",
            "café".encode("latin-1"),
        )
    ),
]


@pytest.mark.parametrize("case", range(len(KINDS)))
def test_the_kind_is_the_class_scrapys_downloader_chooses(case: int) -> None:
    url, pairs, body = KINDS[case]
    scrapys = responsetypes.from_args(headers=scrapy_headers(pairs), url=url, body=body)
    assert kind_of(url, pairs, body) == kind_of_class(scrapys), KINDS[case]


def test_the_kinds_cover_every_step_of_scrapys_choice() -> None:
    kinds = {kind_of(*case) for case in KINDS}
    assert kinds == {"html", "xml", "json", "text", "other"}
