"""The web reader's "view as archived" (issue 23 §3): the archived page with its requisites, from
the archive only, sandboxed.

Real crawls of tests/support/requisite_site.py (a site and a CDN on another origin) with page
requisites on, served by a real `newsarchive serve`: the view's markup names only reader URLs,
each of which answers with the archived bytes and type (a re-validated stylesheet's earlier full
copy), anything not archived is a 404, and the live site sees no request while the view is read,
nor while headless Chromium shows it styled with its web font and images. A page render mode
rendered is shown as its rendered DOM.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import sqlite3
import urllib.error
import urllib.request
import uuid
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import html as lxml_html

from archive.requisites import css_urls, rewrite_css_urls, srcset_urls
from tests.support.cli import newsarchive
from tests.support.reader import ServedCrawl, chromium_page, serving
from tests.support.requisite_site import API_STORY, STORIES, RequisiteSite
from tests.support.warc_files import ARTICLE, gzipped, http_response, response_record, warc_record

HTTP = "application/http; msgtype=response"

# As designed: styles, fonts, images and media from the reader only (and data:), inline styles;
# no script, no connection, no frame, no form, no <base>; a sandbox without allow-scripts.
CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "media-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox"
)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _fetch(url: str) -> tuple[int, Message, bytes]:
    """(status, headers, body), redirects not followed."""
    try:
        with _OPENER.open(url, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def _referenced(markup: bytes) -> list[str]:
    """Every URL the page names in an attribute, a style attribute or a <style> (read the way
    the crawl reads a page's requisites)."""
    document = lxml_html.document_fromstring(markup)
    found: list[str] = []
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            if name in ("href", "src", "poster", "background", "action", "formaction", "xlink:href", "data"):
                found.append(value)
            elif name in ("srcset", "imagesrcset"):
                found += srcset_urls(value)
            elif name == "style":
                found += css_urls(value)
        if element.tag == "style" and element.text:
            found += css_urls(element.text)
    return found


def _asked_for(reader_url: str) -> str:
    """The archived URL a reader route asks for (?url=)."""
    return parse_qs(urlsplit(reader_url).query)["url"][0]


def _same_but_urls(served: bytes, original: bytes) -> bool:
    """Whether two stylesheets differ only in their URLs."""

    def blanked(css: bytes) -> str:
        return rewrite_css_urls(css.decode(), lambda url: "")

    return blanked(served) == blanked(original)


def _imported(tmp_path: Path, name: str, data: bytes) -> tuple[str, Path, dict[str, int]]:
    """A WARC file of other records imported by `reextract` into a database of its own: the
    database's URL, the WARC directory, and each URL's (last) capture id."""
    warcs = tmp_path / "warc"
    warcs.mkdir()
    (warcs / name).write_bytes(data)
    database = f"sqlite:///{tmp_path / 'imported.db'}"
    done = newsarchive("reextract", "--db", database, "--warc-dir", str(warcs), "--workers", "1")
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "imported.db") as db:
        captures = {str(url): int(i) for url, i in db.execute("SELECT url, id FROM captures ORDER BY id")}
    return database, warcs, captures


def test_the_view_names_only_reader_urls_and_each_answers_with_the_archived_copy(
    requisite_reader: ServedCrawl, requisite_site: RequisiteSite
) -> None:
    article = f"{requisite_site.url}{STORIES[0].path}"
    capture = requisite_reader.capture_id(article)
    before = len(requisite_site.hits())
    status, headers, body = _fetch(requisite_reader.url(f"/capture/{capture}/archived"))
    assert status == 200, body[:500]
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"] == CSP
    assert STORIES[0].paragraphs[0].encode() in body
    document = lxml_html.document_fromstring(body)
    assert document.xpath("//script | //base | //iframe | //meta[@http-equiv='refresh']") == []
    assert not any(name.startswith("on") for element in document.iter() for name in element.attrib)
    # Not one URL of the live site or its CDN, in any form: every URL is the reader's.
    for live in (requisite_site.url, requisite_site.cdn_url):
        assert live.encode() not in body and live.removeprefix("http://").encode() not in body
    # A data: URL (a lazy image's placeholder) is the page's own bytes, loaded from nowhere.
    referenced = {url for url in _referenced(body) if not url.startswith("data:")}
    prefix = f"/capture/{capture}/archived/"
    assert referenced and all(url.startswith(prefix) for url in referenced), referenced
    requisites = {url for url in referenced if url.startswith(prefix + "requisite?")}

    # Every requisite route (and what the stylesheets it serves load in turn) answers with the archived copy.
    reached: set[str] = set()
    while requisites:
        route = requisites.pop()
        archived_url = _asked_for(route)
        reached.add(archived_url)
        status, headers, served = _fetch(requisite_reader.url(route))
        assert status == 200, (archived_url, served[:300])
        assert headers["Content-Security-Policy"] == CSP and headers["X-Content-Type-Options"] == "nosniff"
        expected = requisite_site.resource(archived_url)
        assert expected is not None, archived_url
        content_type, original = expected
        if content_type == "text/css":
            assert headers["Content-Type"] == "text/css; charset=utf-8"
            assert _same_but_urls(served, original), served
            nested = list(css_urls(served.decode()))
            assert nested == [] or all(url.startswith(prefix + "requisite?") for url in nested), nested
            requisites |= {url for url in nested if _asked_for(url) not in reached}
        else:
            assert headers["Content-Type"] == content_type and served == original, archived_url
    # What the page shows with: everything it loads but its script, which does not run here.
    assert reached == requisite_site.requisites_of(article) - {f"{requisite_site.url}/static/panel.js"}
    assert len(requisite_site.hits()) == before, requisite_site.hits()[before:]


def test_a_revalidated_requisite_is_its_earlier_full_copy(
    requisite_reader: ServedCrawl, requisite_site: RequisiteSite
) -> None:
    stylesheet = f"{requisite_site.url}/static/site.css"
    assert [status for _, status, _ in requisite_reader.captures(stylesheet)] == [200, 304]
    listing = requisite_reader.capture_id(requisite_site.listing_url, last=True)  # the second run's
    before = len(requisite_site.hits())
    status, _, body = _fetch(requisite_reader.url(f"/capture/{listing}/archived"))
    assert status == 200 and b"Edition 2" in body
    route = next(url for url in _referenced(body) if url.endswith("site.css"))
    status, headers, served = _fetch(requisite_reader.url(route))
    assert status == 200 and headers["Content-Type"] == "text/css; charset=utf-8"
    resource = requisite_site.resource(stylesheet)
    assert resource is not None and _same_but_urls(served, resource[1])
    assert len(requisite_site.hits()) == before


def test_links_stay_in_the_archive(requisite_reader: ServedCrawl, requisite_site: RequisiteSite) -> None:
    article = requisite_reader.capture_id(f"{requisite_site.url}{STORIES[0].path}")
    before = len(requisite_site.hits())
    _, _, body = _fetch(requisite_reader.url(f"/capture/{article}/archived"))
    document = lxml_html.document_fromstring(body)
    (masthead,) = document.xpath("//header[@class='masthead']/a/@href")
    assert _asked_for(masthead) == requisite_site.listing_url
    status, headers, _ = _fetch(requisite_reader.url(masthead))
    # The listing's capture nearest the article's (the first run's), in the archived view.
    first_listing = requisite_reader.capture_id(requisite_site.listing_url)
    assert status == 302 and headers["Location"] == f"/capture/{first_listing}/archived"
    status, _, body = _fetch(requisite_reader.url(f"/capture/{article}/archived/link?url=http://elsewhere.example/"))
    assert status == 404 and b"not in this archive" in body
    assert len(requisite_site.hits()) == before


def test_what_is_not_archived_is_a_404_and_never_fetched(
    requisite_reader: ServedCrawl, requisite_site: RequisiteSite
) -> None:
    article = requisite_reader.capture_id(f"{requisite_site.url}{STORIES[0].path}")
    before = len(requisite_site.hits())
    route = f"/capture/{article}/archived/requisite?url="
    for url, code, words in (
        (f"{requisite_site.url}/static/missing.css", 404, b"is not in this archive"),
        (f"{requisite_site.cdn_url}/cdn/other.png", 404, b"is not in this archive"),
        ("http://elsewhere.example/x.png", 404, b"is not in this archive"),
        ("javascript:alert(1)", 400, b"must be an absolute http(s) URL"),
    ):
        status, _, body = _fetch(requisite_reader.url(route + urllib.request.quote(url, safe="")))
        assert status == code and words in body and b"Traceback" not in body, (url, status, body[:300])
    status, _, body = _fetch(requisite_reader.url("/capture/999999/archived/requisite?url=http://a.example/"))
    assert status == 404 and b"no capture 999999" in body
    assert len(requisite_site.hits()) == before


def test_a_capture_that_is_no_page_is_a_message(requisite_reader: ServedCrawl, requisite_site: RequisiteSite) -> None:
    image = requisite_reader.capture_id(f"{requisite_site.url}/static/img/paper.png")
    status, _, body = _fetch(requisite_reader.url(f"/capture/{image}/archived"))
    assert status == 404 and b"is not an HTML page but image/png" in body and b"Traceback" not in body


def test_a_page_that_is_no_html_inside_is_a_message_and_control_characters_are_no_error(tmp_path: Path) -> None:
    empty, controls = "https://foreign.example/news/empty-story/", "https://foreign.example/news/odd-bytes/"
    # Control characters HTML tolerates and XML does not, in a <style>, an attribute and the text.
    odd = b'<html><head><style>h1 { color: red; }\x0b</style></head><body><h1 title="a\x01b">Odd\x02 bytes</h1>'
    odd += b"<p>The council met on Monday and agreed the budget. " * 20 + b"</p></body></html>"
    records = gzipped(response_record(empty, b""), response_record(controls, odd))
    database, warcs, captures = _imported(tmp_path, "foreign.warc.gz", records)
    with serving(database, "--warc-dir", str(warcs)) as base:
        status, _, body = _fetch(f"{base}/capture/{captures[empty]}/archived")
        assert status == 400 and b"cannot be read as HTML" in body and b"Traceback" not in body
        status, _, body = _fetch(f"{base}/capture/{captures[controls]}/archived")
        assert status == 200 and b"agreed the budget" in body, body[:300]


def test_a_rendered_page_is_shown_as_its_rendered_dom(
    rendered_reader: ServedCrawl, requisite_reader: ServedCrawl, requisite_site: RequisiteSite
) -> None:
    page = f"{requisite_site.url}{API_STORY.path}"
    before = len(requisite_site.hits())
    status, _, body = _fetch(rendered_reader.url(f"/capture/{rendered_reader.capture_id(page)}/archived"))
    assert status == 200
    view = lxml_html.document_fromstring(body)
    # What the script built from the JSON, without the script.
    assert view.xpath("string(//article[@id='story']/h1)") == API_STORY.title
    assert API_STORY.paragraphs[0] in view.xpath("string(//article[@id='story'])")
    assert view.xpath("//script") == []
    article = f"{requisite_site.url}{STORIES[0].path}"
    _, _, body = _fetch(rendered_reader.url(f"/capture/{rendered_reader.capture_id(article)}/archived"))
    assert "Live panel: three updates" in lxml_html.document_fromstring(body).xpath("string(//div[@id='panel'])")
    # Crawled without render mode, the same page is the HTML as received: an empty story.
    _, _, body = _fetch(requisite_reader.url(f"/capture/{requisite_reader.capture_id(page)}/archived"))
    assert lxml_html.document_fromstring(body).xpath("string(//article[@id='story'])").strip() == ""
    assert len(requisite_site.hits()) == before


@pytest.mark.usefixtures("chromium")
def test_chromium_shows_the_view_styled_from_the_archive(
    requisite_reader: ServedCrawl, requisite_site: RequisiteSite, tmp_path: Path
) -> None:
    article_url = f"{requisite_site.url}{STORIES[0].path}"
    capture = requisite_reader.capture_id(article_url)
    with sqlite3.connect(requisite_reader.run.database_url.removeprefix("sqlite:///")) as db:
        (article,) = db.execute("SELECT id FROM articles WHERE url = ?", (article_url,)).fetchone()
    before = len(requisite_site.hits())
    with chromium_page(tmp_path) as page:
        asked: list[str] = []
        refused: list[str] = []

        def answered(response: Any) -> None:
            # Not "requestfailed": the browser itself drops a <picture>'s <img src> once a <source> matches.
            if response.status >= 400:
                refused.append(response.url)

        page.on("request", lambda request: asked.append(request.url))
        page.on("response", answered)
        page.goto(requisite_reader.url(f"/article/{article}?view={capture}#archived"))
        frame = page.frame_locator("iframe.replay")
        headline = frame.locator("article h1")
        headline.wait_for()
        page.wait_for_load_state("networkidle")
        page.locator("iframe.replay").scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "archived-view.png"), full_page=True)
        style = headline.evaluate(
            """async (h1) => {
                await document.fonts.ready;
                const css = getComputedStyle(h1), body = getComputedStyle(document.body);
                const lead = document.querySelector("img.lead"), mast = document.querySelector(".masthead");
                return {
                    font: css.fontFamily, colour: css.color, fontLoaded: document.fonts.check('40px "Headline"'),
                    page: body.backgroundColor, paper: body.backgroundImage,
                    masthead: getComputedStyle(mast).backgroundColor, mastImage: getComputedStyle(mast).backgroundImage,
                    lead: lead.complete && lead.naturalWidth, leadSource: lead.currentSrc,
                };
            }"""
        )
    assert style["font"].startswith("Headline") and style["fontLoaded"] is True, style
    assert style["colour"] == "rgb(122, 31, 31)" and style["page"] == "rgb(244, 239, 227)", style
    assert style["masthead"] == "rgb(32, 48, 74)", style  # the CDN's stylesheet
    assert "/archived/requisite?url=" in style["paper"] and "/archived/requisite?url=" in style["mastImage"], style
    assert style["lead"] > 0 and "/archived/requisite?url=" in style["leadSource"], style  # the image loaded
    assert asked and all(url.startswith(requisite_reader.base + "/") for url in asked), asked  # the reader only
    assert refused == [], refused
    assert len(requisite_site.hits()) == before, requisite_site.hits()[before:]


def _payload_digest(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()


def test_requisites_by_time_through_revisits_and_redirects(tmp_path: Path) -> None:
    """Records of a crawl over hours (imported by reextract): each page's stylesheet is the copy
    nearest it in time, a revisit its original's bytes, and a redirect followed in the archive."""
    site = "https://times.example"
    first, second = b"h1 { color: rgb(1, 2, 3); }", b"h1 { color: rgb(4, 5, 6); }"
    pixel = b"\x89PNG\r\n\x1a\n-not-really-a-png"

    def page(name: str, date: str) -> bytes:
        markup = f'<html><head><link rel="stylesheet" href="/site.css"></head><body><h1>{name}</h1>'
        markup += "<p>Story text. " * 40 + '</p><img src="/logo.png"></body></html>'
        return response_record(f"{site}/news/{name}/", markup.encode(), date=date)

    def stylesheet(body: bytes, date: str) -> bytes:
        headers = (("WARC-Payload-Digest", _payload_digest(body)),)
        block = http_response(body, content_type="text/css")
        return warc_record("response", f"{site}/site.css", block, content_type=HTTP, date=date, warc_headers=headers)

    revisit_headers = (
        ("WARC-Payload-Digest", _payload_digest(first)),
        ("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
        ("WARC-Refers-To-Target-URI", f"{site}/site.css"),
        ("WARC-Refers-To-Date", "2024-05-01T10:00:00Z"),
    )
    revisit_block = b"HTTP/1.1 200 OK\r\nContent-Type: text/css\r\nContent-Length: %d\r\n\r\n" % len(first)
    redirect = b"HTTP/1.1 301 Moved Permanently\r\nLocation: /img/logo-2024.png\r\nContent-Length: 0\r\n\r\n"
    records = [
        stylesheet(first, "2024-05-01T10:00:00Z"),
        warc_record("response", f"{site}/logo.png", redirect, content_type=HTTP, date="2024-05-01T10:00:00Z"),
        warc_record(
            "response",
            f"{site}/img/logo-2024.png",
            http_response(pixel, content_type="image/png"),
            content_type=HTTP,
            date="2024-05-01T10:00:01Z",
        ),
        page("morning", "2024-05-01T10:00:00Z"),
        warc_record(
            "revisit",
            f"{site}/site.css",
            revisit_block,
            content_type=HTTP,
            date="2024-05-01T12:00:00Z",
            warc_headers=revisit_headers,
        ),
        page("noon", "2024-05-01T12:00:00Z"),
        stylesheet(second, "2024-05-01T14:00:00Z"),
        page("afternoon", "2024-05-01T14:00:00Z"),
    ]
    database, warcs, pages = _imported(tmp_path, "day.warc.gz", gzipped(*records))
    with sqlite3.connect(tmp_path / "imported.db") as db:
        kinds = [row[0] for row in db.execute("SELECT record_type FROM captures WHERE url = ?", (f"{site}/site.css",))]
    assert sorted(kinds) == ["response", "response", "revisit"]
    with serving(database, "--warc-dir", str(warcs)) as base:
        for name, expected in (("morning", first), ("noon", first), ("afternoon", second)):
            capture = pages[f"{site}/news/{name}/"]
            status, _, body = _fetch(f"{base}/capture/{capture}/archived")
            assert status == 200, body[:300]
            (css,) = lxml_html.document_fromstring(body).xpath("//link[@rel='stylesheet']/@href")
            status, headers, served = _fetch(base + css)
            assert (status, headers["Content-Type"], served) == (200, "text/css; charset=utf-8", expected), name
        (logo,) = lxml_html.document_fromstring(body).xpath("//img/@src")
        status, headers, _ = _fetch(base + logo)
        assert status == 302 and _asked_for(headers["Location"]) == f"{site}/img/logo-2024.png"
        status, headers, served = _fetch(base + headers["Location"])
        assert (status, headers["Content-Type"], served) == (200, "image/png", pixel)


@pytest.mark.parametrize("framing", ["members", "whole", "plain"])
def test_the_rendered_dom_is_found_after_its_page_in_any_framing(tmp_path: Path, framing: str) -> None:
    """A page's conversion record is looked for among the records after it, up to the first
    dated NEWSARCHIVE_READER_RENDERED_WITHIN after the page: a later one is not the page's render."""
    site = "https://shell.example"

    def shell(name: str, date: str) -> tuple[bytes, str]:
        record_id = f"<urn:uuid:{uuid.uuid4()}>"
        markup = f"<html><body><main id='app'>Loading {name}</main></body></html>".encode()
        block = http_response(markup)
        return warc_record(
            "response", f"{site}/{name}/", block, content_type=HTTP, date=date, record_id=record_id
        ), record_id

    def dom(name: str, refers_to: str, date: str) -> bytes:
        built = f"<html><body><main id='app'><h1>{name} built</h1>" + "<p>Built by a script. " * 30 + "</p></main>"
        headers = (("WARC-Refers-To", refers_to), ("WARC-Refers-To-Target-URI", f"{site}/{name}/"))
        return warc_record(
            "conversion",
            f"{site}/{name}/",
            built.encode(),
            content_type="text/html; charset=utf-8",
            date=date,
            warc_headers=headers,
        )

    soon, soon_id = shell("soon", "2024-05-01T10:00:00Z")
    late, late_id = shell("late", "2024-05-01T10:00:00Z")
    records = [
        soon,
        late,
        response_record(f"{site}/other/", date="2024-05-01T10:00:20Z"),
        dom("soon", soon_id, "2024-05-01T10:00:30Z"),
        response_record(f"{site}/much-later/", date="2024-05-01T10:05:00Z"),  # past the 120 s window
        dom("late", late_id, "2024-05-01T10:05:01Z"),
    ]
    framed = {"members": gzipped(*records), "whole": gzip.compress(b"".join(records)), "plain": b"".join(records)}
    name = "shell.warc" if framing == "plain" else "shell.warc.gz"
    database, warcs, captures = _imported(tmp_path, name, framed[framing])
    with serving(database, "--warc-dir", str(warcs)) as base:
        _, _, body = _fetch(f"{base}/capture/{captures[f'{site}/soon/']}/archived")
        assert lxml_html.document_fromstring(body).xpath("string(//main/h1)") == "soon built"
        _, _, body = _fetch(f"{base}/capture/{captures[f'{site}/late/']}/archived")
        assert lxml_html.document_fromstring(body).xpath("string(//main)") == "Loading late"


def test_a_revisit_of_a_page_is_viewed_as_its_original(tmp_path: Path) -> None:
    """The article page offers "view as archived" for a revisit capture too: the page it stands for."""
    url = "https://times.example/news/unchanged-story/"
    body = b"<html><head><title>Unchanged</title></head><body><article><h1>Unchanged story</h1>"
    body += (
        b"<p>The council met on Monday and agreed the budget for the harbour. " * 30 + b"</p></article></body></html>"
    )
    digest = (("WARC-Payload-Digest", _payload_digest(body)),)
    revisit_headers = (
        *digest,
        ("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
        ("WARC-Refers-To-Target-URI", url),
        ("WARC-Refers-To-Date", "2024-05-01T10:00:00Z"),
    )
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(body)
    records = gzipped(
        warc_record(
            "response", url, http_response(body), content_type=HTTP, date="2024-05-01T10:00:00Z", warc_headers=digest
        ),
        warc_record("revisit", url, head, content_type=HTTP, date="2024-05-02T10:00:00Z", warc_headers=revisit_headers),
    )
    database, warcs, _ = _imported(tmp_path, "revisit.warc.gz", records)
    with sqlite3.connect(tmp_path / "imported.db") as db:
        (article,) = db.execute("SELECT id FROM articles WHERE url = ?", (url,)).fetchone()
        (revisit,) = db.execute("SELECT id FROM captures WHERE record_type = 'revisit'").fetchone()
    with serving(database, "--warc-dir", str(warcs)) as base:
        _, _, page = _fetch(f"{base}/article/{article}")
        views = lxml_html.document_fromstring(page).xpath("//a[@class='archived']/@href")
        assert f"/article/{article}?view={revisit}#archived" in views, views
        status, _, shown = _fetch(f"{base}/capture/{revisit}/archived")
    assert status == 200 and b"agreed the budget for the harbour" in shown


def test_a_page_stored_as_a_resource_is_viewed(tmp_path: Path) -> None:
    """A browser-based crawler's page (a ``resource`` record: the content, no HTTP message)."""
    url = "https://times.example/news/resource-story/"
    records = gzipped(warc_record("resource", url, ARTICLE, content_type="text/html; charset=utf-8"))
    database, warcs, captures = _imported(tmp_path, "resource.warc.gz", records)
    with sqlite3.connect(tmp_path / "imported.db") as db:
        (article,) = db.execute("SELECT id FROM articles WHERE url = ?", (url,)).fetchone()
    with serving(database, "--warc-dir", str(warcs)) as base:
        _, _, page = _fetch(f"{base}/article/{article}")
        views = lxml_html.document_fromstring(page).xpath("//a[@class='archived']/@href")
        assert views == [f"/article/{article}?view={captures[url]}#archived"]
        status, _, shown = _fetch(f"{base}/capture/{captures[url]}/archived")
    assert status == 200 and b"agreed the budget for the harbour" in shown
