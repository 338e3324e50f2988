"""Finding: ``reextract`` read no ``request`` record, so every capture it stored was a GET. Another
tool's WARC records HEADs (``wget --spider``, link checkers) and POSTs (Browsertrix and pywb record
a page's XHR and GraphQL calls; a form posting to its own page): a HEAD's bodiless 200 became a GET
capture of the URL, and a POST's HTML answer was extracted as the article at its URL, a version of
it the site never published there. Replays and ``show`` then picked those captures for a requisite.

Each response's method is the one its request record says (linked by ``WARC-Concurrent-To``, the
request before the response as wget writes them, or after it as Heritrix, warcio and this
project's writer do); only a GET's answer is extracted, as the crawl decides."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest

from archive.warc import methods
from archive.warc.digests import payload_digest
from archive.warc.reader import WarcReader
from tests.support.cli import newsarchive
from tests.support.sample_articles import article_html
from tests.support.warc_files import gzipped, http_response, wacz, warc_record

HOST = "https://news.example"
BUDGET = article_html("Harbour budget agreed")
SEARCH = article_html("Search results: seven stories about the harbour")
HARBOUR = article_html("Ferry terminal opens on the harbour")
COMMENT = article_html("Thank you for your comment on the ferry story")


def _id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def request_block(method: str, path: str, body: bytes = b"") -> bytes:
    """An HTTP request message as a WARC request record's block."""
    head = f"{method} {path} HTTP/1.1\r\nHost: news.example\r\nUser-Agent: a-crawler/1.0\r\n"
    if body:
        form = body[:1] not in (b"{", b"[")
        kind = "application/x-www-form-urlencoded" if form else "application/json"
        head += f"Content-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


def exchange(
    method: str,
    path: str,
    answer: bytes,
    *,
    date: str = "2024-05-01T10:00:00Z",
    posted: bytes = b"",
    request_first: bool = False,
) -> list[bytes]:
    """A response record and its request record, linked as the writers link them: the request
    after the response pointing back at it (Heritrix, warcio, pywb, Browsertrix, this project), or
    before it with the response pointing at the request (wget)."""
    response_id, request_id = _id(), _id()
    request_links = () if request_first else (("WARC-Concurrent-To", response_id),)
    response_links = (("WARC-Concurrent-To", request_id),) if request_first else ()
    request = warc_record(
        "request", HOST + path, request_block(method, path, posted),
        content_type="application/http; msgtype=request", date=date, record_id=request_id,
        warc_headers=request_links,
    )  # fmt: skip
    response = warc_record(
        "response", HOST + path, answer,
        content_type="application/http; msgtype=response", date=date, record_id=response_id,
        warc_headers=response_links,
    )  # fmt: skip
    return [request, response] if request_first else [response, request]


def head_answer(length: int) -> bytes:
    """A HEAD's answer: the GET's headers, Content-Length included, and no body."""
    return f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {length}\r\n\r\n".encode()


def _reextract(tmp_path: Path, warc: Path, *options: str) -> tuple[str, Path]:
    database = tmp_path / "archive.db"
    done = newsarchive("reextract", str(warc), "--db", f"sqlite:///{database}", "--workers", "0", *options)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return done.stdout + done.stderr, database


def _captures(database: Path) -> list[tuple[str, str, int, int]]:
    """(url, method, status, versions made from it) of every capture, by URL and method."""
    with sqlite3.connect(database) as db:
        return db.execute(
            "SELECT c.url, c.method, c.status, count(v.id) FROM captures c"
            " LEFT JOIN article_versions v ON v.capture_id = c.id GROUP BY c.id ORDER BY c.url, c.method"
        ).fetchall()


def _versions(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as db:
        return db.execute(
            "SELECT a.url, v.title FROM article_versions v JOIN articles a ON a.id = v.article_id ORDER BY a.url"
        ).fetchall()


def _crawl() -> list[bytes]:
    """A page fetched by GET, then HEAD-checked, and a search form posting to it; the same in wget's order."""
    # fmt: off
    return [
        *exchange("GET", "/budget/", http_response(BUDGET)),
        *exchange("HEAD", "/budget/", head_answer(len(BUDGET)), date="2024-05-01T10:05:00Z"),
        *exchange("POST", "/budget/", http_response(SEARCH), date="2024-05-01T10:06:00Z", posted=b'{"q":"harbour"}'),
        *exchange("GET", "/ferry/", http_response(HARBOUR), request_first=True),
        *exchange("HEAD", "/ferry/", head_answer(len(HARBOUR)), date="2024-05-01T10:05:00Z", request_first=True),
        *exchange("POST", "/ferry/", http_response(COMMENT), date="2024-05-01T10:06:00Z", posted=b"text=Nice",
                  request_first=True),
    ]
    # fmt: on


def test_each_capture_keeps_its_method_and_only_a_gets_page_is_an_article(tmp_path: Path) -> None:
    warc = tmp_path / "foreign.warc.gz"
    warc.write_bytes(gzipped(*_crawl()))
    output, database = _reextract(tmp_path, warc)
    assert _captures(database) == [
        (f"{HOST}/budget/", "GET", 200, 1),
        (f"{HOST}/budget/", "HEAD", 200, 0),
        (f"{HOST}/budget/", "POST", 200, 0),
        (f"{HOST}/ferry/", "GET", 200, 1),
        (f"{HOST}/ferry/", "HEAD", 200, 0),
        (f"{HOST}/ferry/", "POST", 200, 0),
    ], output
    # The articles are the pages as published: no version of the search results or the thank-you page.
    assert _versions(database) == [
        (f"{HOST}/budget/", "Harbour budget agreed"),
        (f"{HOST}/ferry/", "Ferry terminal opens on the harbour"),
    ], output
    # Nothing of a HEAD or a POST went to extraction; the summary says why they are captures only.
    assert "response records: extracted 2; " in output, output
    assert "stored as a capture (answered a HEAD, not a GET) 2" in output, output
    assert "stored as a capture (answered a POST, not a GET) 2" in output, output
    # `show` lists every capture of the article's URL with the method it answered.
    done = newsarchive("show", f"{HOST}/budget/", "--no-text", "--format", "json", "--db", f"sqlite:///{database}")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert [(c["method"], c["status"]) for c in shown["captures"]] == [("GET", 200), ("HEAD", 200), ("POST", 200)]
    assert shown["title"] == "Harbour budget agreed" and shown["versions"] == 1
    # A second reextract stores nothing new: the method is part of what a capture is.
    again, _ = _reextract(tmp_path, warc)
    assert len(_captures(database)) == 6, again


def test_an_uncompressed_warc_and_a_response_without_a_request_record(tmp_path: Path) -> None:
    """Most WARCs hold a request record for each response; without one a response is a GET's, as
    it has always been read."""
    warc = tmp_path / "foreign.warc"
    bare = warc_record(
        "response", f"{HOST}/council/", http_response(article_html("Council meets")),
        content_type="application/http; msgtype=response", date="2024-05-01T11:00:00Z",
    )  # fmt: skip
    warc.write_bytes(b"".join([*_crawl(), bare]))
    output, database = _reextract(tmp_path, warc)
    assert [(url, method, versions) for url, method, _, versions in _captures(database)] == [
        (f"{HOST}/budget/", "GET", 1),
        (f"{HOST}/budget/", "HEAD", 0),
        (f"{HOST}/budget/", "POST", 0),
        (f"{HOST}/council/", "GET", 1),
        (f"{HOST}/ferry/", "GET", 1),
        (f"{HOST}/ferry/", "HEAD", 0),
        (f"{HOST}/ferry/", "POST", 0),
    ], output


def test_a_wacz_posting_to_one_of_its_pages(tmp_path: Path) -> None:
    """Browsertrix lists the page in ``pages.jsonl``; a form on it posted back to the same URL."""
    package = wacz(tmp_path / "crawl.wacz", {"data.warc.gz": gzipped(*_crawl()[:6])}, [f"{HOST}/budget/"])
    output, database = _reextract(tmp_path, package)
    assert [(url, method, versions) for url, method, _, versions in _captures(database)] == [
        (f"{HOST}/budget/", "GET", 1),
        (f"{HOST}/budget/", "HEAD", 0),
        (f"{HOST}/budget/", "POST", 0),
    ], output
    assert _versions(database) == [(f"{HOST}/budget/", "Harbour budget agreed")], output


STYLED = b"""<html><head><title>Harbour budget agreed</title><link rel="stylesheet" href="/site.css"></head>
<body><article><h1>Harbour budget agreed</h1><p>The council met on Monday.</p></article></body></html>"""


def test_a_requisite_resolves_to_its_get_capture_though_a_head_or_post_is_nearer(tmp_path: Path) -> None:
    css = b"body { color: #123; }"
    css_answer = http_response(css, content_type="text/css")
    # fmt: off
    records = [
        *exchange("GET", "/site.css", css_answer, date="2024-05-01T09:00:00Z"),
        *exchange("GET", "/budget/", http_response(STYLED)),
        # A link checker's HEAD and a tool's POST, moments after the page: nearer in time than the GET.
        *exchange("HEAD", "/site.css", head_answer(len(css)).replace(b"text/html", b"text/css"),
                  date="2024-05-01T10:00:01Z"),
        *exchange("POST", "/site.css", http_response(b"/* refused */", content_type="text/css"),
                  date="2024-05-01T10:00:02Z", posted=b"x=1", request_first=True),
    ]
    # fmt: on
    warc = tmp_path / "styled.warc.gz"
    warc.write_bytes(gzipped(*records))
    output, database = _reextract(tmp_path, warc)
    with sqlite3.connect(database) as db:
        (get_offset,) = db.execute(
            "SELECT warc_offset FROM captures WHERE url = ? AND method = 'GET'", (f"{HOST}/site.css",)
        ).fetchone()
    done = newsarchive("show", f"{HOST}/budget/", "--no-text", "--format", "json", "--db", f"sqlite:///{database}")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    (stylesheet,) = [r for r in shown["requisites"] if r["url"] == f"{HOST}/site.css"]
    assert stylesheet["status"] == 200 and stylesheet["size"] == len(css), (shown, output)
    assert f"@{get_offset}+" in stylesheet["warc"], (stylesheet, output)


def test_the_cdxj_index_keys_a_post_by_its_body_and_leaves_a_head_out(tmp_path: Path) -> None:
    """A replay looks a page's URL up in the index: a POST's answer there (pywb's and py-wacz's
    indexer key it apart, ``__wb_method=post``) or a HEAD's bodiless one would be served as the page."""
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    (warc_dir / "foreign.warc.gz").write_bytes(gzipped(*_crawl()))
    index = tmp_path / "index.cdxj"
    done = newsarchive("index", "--warc-dir", str(warc_dir), "-o", str(index))
    assert done.returncode == 0, done.stderr
    lines = [line.split(" ", 2) for line in index.read_text().splitlines()]
    keys = [(key, stamp, json.loads(fields).get("method")) for key, stamp, fields in lines]
    digests = {key: json.loads(fields)["digest"] for key, _, fields in lines}
    budget = [k for k in keys if k[0].startswith("example,news)/budget")]
    ferry = [k for k in keys if k[0].startswith("example,news)/ferry")]
    assert budget[0] == ("example,news)/budget", "20240501100000", None), keys
    assert ferry[0] == ("example,news)/ferry", "20240501100000", None), keys
    # Each page's URL has its GET alone; the POST is under a key of its own, as pywb looks it up.
    assert [k for k in keys if k[0] in ("example,news)/budget", "example,news)/ferry")] == [budget[0], ferry[0]]
    assert [(stamp, method) for _, stamp, method in budget[1:]] == [("20240501100600", "POST")], keys
    assert budget[1][0] == "example,news)/budget?__wb_method=post&q=harbour", keys
    assert [(stamp, method) for _, stamp, method in ferry[1:]] == [("20240501100600", "POST")], keys
    assert ferry[1][0] == "example,news)/ferry?__wb_method=post&text=nice", keys
    # The payload digests (these records declare none) are their payloads', as without the pairing.
    assert digests["example,news)/budget"] == payload_digest(BUDGET)
    assert digests[budget[1][0]] == payload_digest(SEARCH)


def test_a_wacz_of_the_reextracted_archive_lists_the_pages_and_keys_the_post_apart(tmp_path: Path) -> None:
    import gzip
    import zipfile

    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    (warc_dir / "foreign.warc.gz").write_bytes(gzipped(*_crawl()))
    database = f"sqlite:///{tmp_path / 'archive.db'}"
    common = ("--db", database, "--warc-dir", str(warc_dir))
    done = newsarchive("reextract", str(warc_dir), "--workers", "0", *common)
    assert done.returncode == 0, done.stderr[-3000:]
    package = tmp_path / "archive.wacz"
    done = newsarchive("wacz", "-o", str(package), *common)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    with zipfile.ZipFile(package) as wacz_file:
        lines = gzip.decompress(wacz_file.read("indexes/index.cdx.gz")).decode().splitlines()
        pages = [json.loads(line) for line in wacz_file.read("pages/pages.jsonl").decode().splitlines()[1:]]
    assert sorted(page["url"] for page in pages) == [f"{HOST}/budget/", f"{HOST}/ferry/"]
    fields = {line.split(" ", 2)[0]: json.loads(line.split(" ", 2)[2]) for line in lines}
    assert sorted(line.split(" ", 1)[0] for line in lines) == [
        "example,news)/budget",
        "example,news)/budget?__wb_method=post&q=harbour",
        "example,news)/ferry",
        "example,news)/ferry?__wb_method=post&text=nice",
    ], lines  # no HEAD's bodiless answer for the page's URL
    assert fields["example,news)/budget"]["digest"] == payload_digest(BUDGET)


def test_the_methods_remembered_are_bounded_and_each_pair_still_meets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A WARC of millions of exchanges must not keep one entry each: a request lies next to its
    response, so the last few links are all a reader needs, in either order."""
    monkeypatch.setattr(methods, "METHODS_LOOKBACK", 4)
    records = []
    for i in range(40):
        method = ("POST", "HEAD", "GET")[i % 3]
        answer = head_answer(100) if method == "HEAD" else http_response(article_html(f"Story {i}"))
        records += exchange(method, f"/story-{i}/", answer, posted=b"a=1" if method == "POST" else b"",
                            request_first=i % 2 == 0)  # fmt: skip
    warc = tmp_path / "many.warc.gz"
    warc.write_bytes(gzipped(*records))
    reader = WarcReader([warc])
    read = [(r.capture.url, r.capture.method) for r in reader]
    assert read == [(f"{HOST}/story-{i}/", ("POST", "HEAD", "GET")[i % 3]) for i in range(40)]
    assert len(reader._methods._by_id) <= 4
    # Only the GETs' pages were decoded for extraction.
    assert reader.stats.outcomes["response", "extracted"] == 13


def test_a_revisit_answering_a_post_is_a_capture_of_the_post(tmp_path: Path) -> None:
    """Browsertrix writes a revisit when a POST's answer repeats a payload it has: still a POST's,
    stored as a capture without its original being looked for (here it is not in the file)."""
    revisit_id = _id()
    records = [
        warc_record(
            "revisit", f"{HOST}/budget/", http_response(b""),
            content_type="application/http; msgtype=response", date="2024-05-01T10:06:00Z", record_id=revisit_id,
            warc_headers=(("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
                          ("WARC-Payload-Digest", payload_digest(BUDGET))),
        ),
        warc_record(
            "request", f"{HOST}/budget/", request_block("POST", "/budget/", b"q=x"),
            content_type="application/http; msgtype=request", date="2024-05-01T10:06:00Z",
            warc_headers=(("WARC-Concurrent-To", revisit_id),),
        ),
    ]  # fmt: skip
    warc = tmp_path / "revisit.warc.gz"
    warc.write_bytes(gzipped(*records))
    reader = WarcReader([warc])
    read = [(r.capture.record_type, r.capture.method, r.payload is not None) for r in reader]
    assert read == [("revisit", "POST", False)]
    assert reader.stats.skipped == 0, reader.stats.skip_reasons


def _redirect(location: str, status: str = "301 Moved Permanently") -> bytes:
    return f"HTTP/1.1 {status}\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n".encode()


def test_only_a_gets_redirect_leads_to_a_page_and_only_a_get_arrives_by_it(tmp_path: Path) -> None:
    """A redirect chain is what led the crawl's GET to a page (it decides whether a canonical claim
    is trusted, archive/canonical.py). A form's POST answered "303 See Other" leads the browser to
    the thank-you page, yet no GET of the form's URL redirects there; and a link checker's HEAD of
    the new URL, read first, must not take the chain the GET of it came by."""
    # fmt: off
    records = [
        *exchange("GET", "/old-story/", _redirect(f"{HOST}/new-story/")),
        *exchange("HEAD", "/new-story/", head_answer(len(BUDGET)), date="2024-05-01T10:00:01Z"),
        *exchange("GET", "/new-story/", http_response(BUDGET), date="2024-05-01T10:00:02Z"),
        *exchange("POST", "/comment/", _redirect(f"{HOST}/thanks/", "303 See Other"), date="2024-05-01T10:01:00Z",
                  posted=b"text=Nice"),
        *exchange("GET", "/thanks/", http_response(COMMENT), date="2024-05-01T10:01:01Z"),
    ]
    # fmt: on
    warc = tmp_path / "redirects.warc.gz"
    warc.write_bytes(gzipped(*records))
    read = [(r.capture.method, r.capture.url, r.capture.redirected_from) for r in WarcReader([warc])]
    assert read == [
        ("GET", f"{HOST}/old-story/", ()),
        ("HEAD", f"{HOST}/new-story/", ()),
        ("GET", f"{HOST}/new-story/", (f"{HOST}/old-story/",)),
        ("POST", f"{HOST}/comment/", ()),
        ("GET", f"{HOST}/thanks/", ()),
    ]
