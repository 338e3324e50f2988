"""One worker task a page (archive/page_reading.py): what it reads of a page's requisites and links
from extraction's tree is what Scrapy's own selector of the response gives, page for page: the dev
corpus, crafted pages where the two parsers could differ, and every HTML page of a crawl of the
fixture sites; and extraction gives what it gave on its own."""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse

from archive.extraction.parse import has_invalid_xml_chars
from archive.extraction.pool import ExtractionPool
from archive.page_reading import PageRead, PageTask, extract_page, read_page
from archive.requisites import Named, named_requisites, record_response
from archive.responses import HeaderPairs, PageInput, header_dict
from archive.sample_site import SampleSite
from archive.text_response import kind_of_class, scrapy_headers
from archive.warc.reader import WarcReader
from crawler.discovery import Links, page_links
from tests.support.crawls import crawl_stat, requisite_rows, scrapy_crawl
from tests.support.requisite_site import RequisiteSite
from tests.support.worker_modules import links_and_frameworks

_ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the checkout, or beside the directory of worktrees it is one of.
CORPUS = (
    next((c for c in (_ROOT.parent / "shared", _ROOT.parent.parent / "shared") if c.is_dir()), _ROOT.parent / "shared")
    / "corpus"
    / "fundus"
)
CAP = 10_000  # every requisite, so a difference anywhere in the page shows
MAX_LINKS = 2000


def _task(url: str, pairs: HeaderPairs, body: bytes, *, extract: bool = True, level: str = "all") -> PageTask:
    page = PageInput(url, body, header_dict(pairs)) if extract else None
    return PageTask(url, 200, pairs, body, None, page, level, CAP, partial(page_links, max_links=MAX_LINKS))


def _scrapy_reads(url: str, pairs: HeaderPairs, body: bytes, level: str = "all") -> tuple[Named | None, Links | None]:
    """What the crawl read before this task existed: both functions on Scrapy's selector, in the reactor."""
    response = record_response(url, 200, pairs, body)
    links = page_links(response.selector, url, MAX_LINKS) if isinstance(response, HtmlResponse) else None
    return named_requisites(response, level, CAP), links


def _assert_reads_as_scrapy(url: str, pairs: HeaderPairs, body: bytes) -> PageRead:
    read = read_page(_task(url, pairs, body))
    named, links = _scrapy_reads(url, pairs, body)
    assert read.named == named, url
    assert read.links == links, url
    return read


def _corpus() -> list[tuple[str, bytes]]:
    if not (CORPUS / "truth.jsonl").exists():
        pytest.skip(f"no dev corpus at {CORPUS}")
    pages = []
    for line in (CORPUS / "truth.jsonl").read_text().splitlines():
        entry = json.loads(line)
        pages.append((entry["url"], gzip.decompress((CORPUS / entry["path"]).read_bytes())))
    return pages


def test_every_corpus_page_reads_as_scrapy_reads_it_from_one_parse() -> None:
    shared = 0
    pages = _corpus()
    for url, body in pages:
        pairs = [("Content-Type", "text/html")]
        read = _assert_reads_as_scrapy(url, pairs, body)
        shared += read.shared
        assert read.result == extract_page(PageInput(url, body, header_dict(pairs))), url  # extraction unchanged
    # Read from extraction's tree, all but a few: two whose <html> line trafilatura repairs, one
    # holding a control character it strips, two that the two charset detectors read differently.
    assert shared >= 0.95 * len(pages)


def test_a_wrong_charset_header_reads_as_scrapy_reads_it() -> None:
    """Extraction reads a valid UTF-8 body as UTF-8 whatever the header says; Scrapy believes the
    header: the two texts differ, so the worker reads what Scrapy reads from a parse of its own."""
    shared = 0
    for url, body in _corpus():
        read = _assert_reads_as_scrapy(url, [("Content-Type", "text/html; charset=iso-8859-1")], body)
        shared += read.shared
    assert 0 < shared < len(_corpus())  # the ASCII pages were still read once


_PAGE = """<html><head>{head}<link rel="stylesheet" href="/css/caf\u00e9.css"><link rel="next" href="/news/page/2/">
<link rel="alternate" type="application/rss+xml" href="/feed/\u00fcber"></head><body>
<img src="/img/K\u00e4ltewelle.jpg" srcset="/img/a-1x.jpg 1x, /img/a-2x.jpg 2x">
<a href="/news/2026/12/07/storm-hits-the-harbour-\u00e9t\u00e9/">Storm hits the harbour this morning again</a>
<a href="/news/page/2/">Next</a>{body}</body></html>"""


def _crafted(head: str = "", body: str = "") -> str:
    return _PAGE.format(head=head, body=body)


CRAFTED: dict[str, tuple[HeaderPairs, bytes]] = {
    "wrong charset header": ([("Content-Type", "text/html; charset=iso-8859-1")], _crafted().encode("utf-8")),
    "meta charset only": (
        [("Content-Type", "text/html")],
        _crafted('<meta charset="windows-1252">').encode("cp1252"),
    ),
    "http-equiv charset only": (
        [("Content-Type", "text/html")],
        _crafted('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-2">').encode("iso-8859-2"),
    ),
    "meta charset wrong for a utf-8 body": (
        [("Content-Type", "text/html")],
        _crafted('<meta charset="windows-1252">').encode("utf-8"),
    ),
    "no charset anywhere, latin-1 bytes": ([("Content-Type", "text/html")], _crafted().encode("cp1252")),
    "utf-8 BOM": ([("Content-Type", "text/html")], b"\xef\xbb\xbf" + _crafted().encode("utf-8")),
    "utf-8 BOM, a header saying latin-1": (
        [("Content-Type", "text/html; charset=iso-8859-1")],
        b"\xef\xbb\xbf" + _crafted().encode("utf-8"),
    ),
    "utf-16 BOM": ([("Content-Type", "text/html")], _crafted().encode("utf-16")),
    "broken markup": (
        [("Content-Type", "text/html; charset=utf-8")],
        b"<html><head><link rel=stylesheet href=/a.css><title>x</head><body><div><p>open <b>bold <i>both"
        b"</div></div></span><table><a href=/news/2026/12/07/a-story-in-a-table/>A story in a table, badly nested"
        b"<tr><td><img src=/in-table.png></table><img src='/single quoted.png' <img src=/next.png>"
        b'<a href="/news/2026/12/07/unclosed-quote-story/>Unclosed quote story here now</a></body>',
    ),
    "base href": (
        [("Content-Type", "text/html; charset=utf-8")],
        _crafted('<base href="https://cdn.example/assets/">').encode("utf-8"),
    ),
    "control characters in attributes": (
        [("Content-Type", "text/html; charset=utf-8")],
        _crafted(
            body='<img src="/ctl\x01\x0bimage.png"><a href="/news/ctl\x08-story/">A story with control chars</a>'
        ).encode("utf-8"),
    ),
    "a noncharacter in an attribute": (
        [("Content-Type", "text/html; charset=utf-8")],
        _crafted(body='<img src="/non\uffffchar.png"><img src="/non\ufffechar.png">').encode("utf-8"),
    ),
    "a NUL after the head": (
        [("Content-Type", "text/html; charset=utf-8")],
        _crafted(body="x" * 3000 + '\x00<img src="/after-nul.png">').encode("utf-8"),
    ),
    "self-closing html tag": (
        [("Content-Type", "text/html; charset=utf-8")],
        b'<!DOCTYPE html>\n<html lang="en"/>\n' + _crafted().encode("utf-8"),
    ),
    "xml declaration": (
        [("Content-Type", "text/html")],
        b'<?xml version="1.0" encoding="utf-8"?>\n' + _crafted().encode("utf-8"),
    ),
    "xhtml doctype": (
        [("Content-Type", "application/xhtml+xml")],
        b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">'
        b"\n" + _crafted().encode("utf-8"),
    ),
    "nested deeper than libxml2's default limit": (
        [("Content-Type", "text/html; charset=utf-8")],
        _crafted(body="<div>" * 400 + '<img src="/deep.png">' + "</div>" * 400 + '<img src="/after-deep.png">').encode(
            "utf-8"
        ),
    ),
    "a text node over libxml2's 10 MB limit": (
        [("Content-Type", "text/html; charset=utf-8")],
        _crafted(body="<script>var x = '" + "x" * 10_500_000 + '\';</script><img src="/after-huge.png">').encode(
            "utf-8"
        ),
    ),
    "an empty body": ([("Content-Type", "text/html")], b""),
    "only whitespace": ([("Content-Type", "text/html")], b"  \n "),
    "binary under an html type": ([("Content-Type", "text/html")], b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
}


@pytest.mark.parametrize("name", list(CRAFTED))
def test_a_crafted_page_reads_as_scrapy_reads_it(name: str) -> None:
    pairs, body = CRAFTED[name]
    _assert_reads_as_scrapy("https://news.example/news/2026/12/07/crafted/", pairs, body)


def test_the_characters_looked_for_are_those_trafilatura_strips_before_parsing() -> None:
    from trafilatura.utils import INVALID_XML_CHARS

    every = map(chr, range(0x10000))
    stripped = {c for c in every if INVALID_XML_CHARS.match(c)}
    assert stripped == {c for c in map(chr, range(0x10000)) if has_invalid_xml_chars(f"<p>{c}</p>")}


def test_the_look_for_those_characters_answers_for_the_page_asked_about() -> None:
    """The look is remembered for the last page (a worker asks twice about each): never for another."""
    clean = "<p>" + "a" * 5000 + "</p>"
    dirty = clean.replace("a", "\x01", 1)
    same_text_other_object = "".join(["<p>", "a" * 5000, "</p>"])
    for _ in range(2):
        assert not has_invalid_xml_chars(clean)
        assert has_invalid_xml_chars(dirty)
        assert not has_invalid_xml_chars(same_text_other_object)
        assert has_invalid_xml_chars(dirty + "\ufffe") and not has_invalid_xml_chars(clean)


def test_a_plain_page_is_parsed_once_and_its_extraction_is_unchanged() -> None:
    url, pairs = "https://news.example/news/2026/12/07/crafted/", [("Content-Type", "text/html; charset=utf-8")]
    body = _crafted(body="<article><h1>Storm</h1>" + "<p>The storm hit the harbour at dawn, said the mayor.</p>" * 20)
    read = _assert_reads_as_scrapy(url, pairs, body.encode("utf-8"))
    assert read.shared
    assert read.result == extract_page(PageInput(url, body.encode("utf-8"), header_dict(pairs)))


def test_no_page_to_extract_still_reads_its_requisites_and_links() -> None:
    """A revisit the reuse pipeline may serve, a rendered page's HTML: Scrapy's selector reads them."""
    url, (pairs, body) = "https://news.example/crafted/", CRAFTED["wrong charset header"]
    read = read_page(_task(url, pairs, body, extract=False))
    assert read.result is None and not read.shared
    assert (read.named, read.links) == _scrapy_reads(url, pairs, body)


def _read_in_a_worker(task: PageTask) -> PageRead:
    """*task* through a pool of one fresh worker, with the pool's crash policy."""
    pool = ExtractionPool(workers=1, niceness=0)
    try:
        return pool.read_result(task, pool.submit_read(task))
    finally:
        pool.close()


def _dies_in_a_worker(selector: Selector, url: str) -> Links:
    """page_links, except in a worker process, which it kills (a fault in C code, out of memory)."""
    if multiprocessing.parent_process() is not None:
        os._exit(1)
    return page_links(selector, url, MAX_LINKS)


def test_a_page_whose_worker_dies_twice_is_an_extraction_error_with_its_requisites_and_links() -> None:
    url, (pairs, body) = "https://news.example/news/2026/12/07/crafted/", CRAFTED["base href"]
    page = PageInput(url, body, header_dict(pairs))
    read = _read_in_a_worker(PageTask(url, 200, pairs, body, None, page, "all", CAP, _dies_in_a_worker))
    assert read.result is not None and read.result.kind == "error" and read.result.reason == "extraction worker crashed"
    assert read.in_caller
    assert (read.named, read.links) == _scrapy_reads(url, pairs, body)


@pytest.mark.parametrize("named", [True, False], ids=["the spider's class", "reextract's: none"])
def test_a_worker_reads_a_listing_without_importing_scrapy(named: bool) -> None:
    """A page task (requisites, links) runs in a fresh worker that never imports Scrapy or Twisted
    (15 MB a worker: issue 19's peak RSS), and reads what Scrapy's selector reads: the spider's,
    which names its response's class, and reextract's, which leaves it to be chosen."""
    url, (pairs, body) = "https://news.example/news/", CRAFTED["meta charset only"]
    spiders = HtmlResponse(url=url, status=200, headers=scrapy_headers(pairs), body=body)
    page = PageInput(url, body, header_dict(pairs))
    kind = kind_of_class(type(spiders)) if named else None  # as crawler/spiders/newsfeed.py sends it
    read = _read_in_a_worker(PageTask(url, 200, pairs, body, kind, page, "all", CAP, links_and_frameworks))
    assert not read.in_caller and read.result is not None and read.result.kind != "error"
    links, frameworks = read.links
    assert frameworks == []
    assert (read.named, links) == _scrapy_reads(url, pairs, body)


def test_the_crawl_process_does_not_import_extraction() -> None:
    """The spider and the pipelines import page_reading; only workers extract, so trafilatura (and
    its 100 modules, 0.2 s at every start) stays out of the crawl's own process."""
    loaded = subprocess.run(
        [sys.executable, "-c", _IMPORTS_OF_THE_CRAWL],
        cwd=_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "trafilatura" not in loaded
    assert "archive.page_reading" in loaded


_IMPORTS_OF_THE_CRAWL = """
import sys
import crawler.spiders.newsfeed, crawler.middlewares, pipelines.extraction, pipelines.storage, pipelines.reuse
print(*sys.modules)
"""


def _html_records(warc_dir: Path) -> list[tuple[str, HeaderPairs, bytes]]:
    pages = []
    for record in WarcReader(sorted(warc_dir.glob("*.warc.gz")), warc_dir=warc_dir):
        capture = record.capture
        if capture.status == 200 and "html" in (capture.content_type or "") and record.payload is not None:
            pages.append((capture.url, record.http_headers, record.payload))
    return pages


def test_every_page_of_the_fixture_sites_reads_as_scrapy_reads_it(tmp_path: Path) -> None:
    """The sample site and the requisite site, crawled at requisites ``all``: every HTML page the
    crawl archived reads alike both ways, and the crawl's reactor parsed none of them."""
    checked = 0
    with SampleSite() as sample, RequisiteSite() as requisite:
        for name, start in (("sample", sample.url + "/news-feed/"), ("requisite", requisite.listing_url)):
            run = scrapy_crawl(tmp_path / name, start, "NEWSARCHIVE_REQUISITES=all")
            assert run.returncode == 0, run.log[-3000:]
            assert crawl_stat(run.log, "newsarchive/read/one_parse") > 0
            assert crawl_stat(run.log, "newsarchive/read/in_crawl_process") == 0
            for url, pairs, body in _html_records(run.warc_dir):
                _assert_reads_as_scrapy(url, pairs, body)
                checked += 1
    assert checked > 10


def test_a_crawl_without_workers_reads_the_same_in_its_own_process(tmp_path: Path) -> None:
    """NEWSARCHIVE_EXTRACT_WORKERS=0: the page tasks run in the crawl's process (the reactor parses,
    as it must), and the pages name the requisites they name with workers."""
    with RequisiteSite() as site:
        runs = {}
        for n in ("0", "1"):
            workers = f"NEWSARCHIVE_EXTRACT_WORKERS={n}"
            runs[n] = scrapy_crawl(tmp_path / n, site.listing_url, "NEWSARCHIVE_REQUISITES=all", workers)
    for run in runs.values():
        assert run.returncode == 0, run.log[-3000:]
    assert crawl_stat(runs["0"].log, "newsarchive/read/in_crawl_process") > 0
    assert crawl_stat(runs["1"].log, "newsarchive/read/in_crawl_process") == 0
    rows = requisite_rows(runs["1"].database_url)
    assert rows and requisite_rows(runs["0"].database_url) == rows
