"""Finding: the reader showed a user something other than the page captured at a URL.

* The article page's list of captures had no method column and offered "view as archived" for
  every capture of the URL: a foreign WARC's POST to the page (a search form, a comment posted
  back) or HEAD (a link checker) was shown as the page, and the listing could not tell them apart.
  Only a GET's answer is read as a document (archive/responses.py ``body_is_read``), as reextract
  decides.
* A page's rendered DOM (render mode's ``conversion`` record) inside a WACZ was never found: the
  look past the page's record framed the zip, not the WARC inside it, so the view showed the empty
  shell the browser started from.

Each through the real CLI: a crafted WARC or WACZ imported by ``reextract``, read from the real
``newsarchive serve``."""

from __future__ import annotations

import sqlite3
import urllib.error
import urllib.request
import uuid
import zipfile
from pathlib import Path

from lxml import html as lxml_html

from archive.warc.digests import payload_digest
from tests.reliability.test_foreign_warc_methods import HOST, _crawl
from tests.support.cli import newsarchive
from tests.support.reader import serving
from tests.support.sample_articles import article_html
from tests.support.warc_files import gzipped, http_response, wacz, warc_record

HTTP = "application/http; msgtype=response"


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _imported(tmp_path: Path, name: str, data: bytes) -> tuple[str, Path, Path]:
    """*data* as the file *name* in a WARC directory, imported by `reextract`: (database URL,
    WARC directory, database file)."""
    warcs = tmp_path / "warc"
    warcs.mkdir()
    (warcs / name).write_bytes(data)
    database = tmp_path / "imported.db"
    done = newsarchive("reextract", "--db", f"sqlite:///{database}", "--warc-dir", str(warcs), "--workers", "0")
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return f"sqlite:///{database}", warcs, database


def _captures_of(database: Path, url: str) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT method, id FROM captures WHERE url = ?", (url,))
        return {method: capture for method, capture in rows}


def test_only_the_get_capture_of_a_page_is_viewed_and_the_listing_names_each_method(tmp_path: Path) -> None:
    database_url, warcs, database = _imported(tmp_path, "foreign.warc.gz", gzipped(*_crawl()))
    url = f"{HOST}/budget/"
    captures = _captures_of(database, url)
    assert set(captures) == {"GET", "HEAD", "POST"}
    with sqlite3.connect(database) as db:
        (article,) = db.execute("SELECT id FROM articles WHERE url = ?", (url,)).fetchone()
    with serving(database_url, "--warc-dir", str(warcs)) as base:
        _, page = _fetch(f"{base}/article/{article}")
        listing = lxml_html.document_fromstring(page)
        rows = listing.xpath("//section[@class='captures']//tr[td]")
        methods = [row.xpath("string(td[@class='method'])") for row in rows]
        assert sorted(methods) == ["GET", "HEAD", "POST"], methods
        views = listing.xpath("//a[@class='archived']/@href")
        assert views == [f"/article/{article}?view={captures['GET']}#archived"], views
        # Asked for by hand, the POST's and the HEAD's captures are no page to view: a message
        # naming the capture's record, never the search results as the article's page.
        for method in ("POST", "HEAD"):
            status, shown = _fetch(f"{base}/capture/{captures[method]}/archived")
            assert status == 404 and f"answered a {method}".encode() in shown, shown[:500]
            assert b"Search results" not in shown
            _, page = _fetch(f"{base}/article/{article}?view={captures[method]}")
            assert b'class="replay"' not in page
        status, shown = _fetch(f"{base}/capture/{captures['GET']}/archived")
        assert status == 200 and b"Harbour budget agreed" in shown and b"Search results" not in shown


def _shell_and_its_dom(site: str) -> list[bytes]:
    """A page whose story a script builds, and render mode's DOM of it (crawler/render.py's
    ``conversion`` record, referring to the page's response record)."""
    page_id = f"<urn:uuid:{uuid.uuid4()}>"
    shell = b"<html><head><title>Tram line</title></head><body><main id='app'>Loading</main></body></html>"
    built = (
        "<html><head><title>Tram line</title></head><body><main id='app'><article><h1>Tram line reopens</h1><p>"
        + "The tram line reopened on Monday after a year of works on the bridge. " * 30
        + "</p></article></main></body></html>"
    )
    return [
        warc_record("response", f"{site}/tram/", http_response(shell), content_type=HTTP, record_id=page_id),
        warc_record(
            "conversion",
            f"{site}/tram/",
            built.encode(),
            content_type="text/html; charset=utf-8",
            date="2024-05-01T10:00:05Z",
            warc_headers=(("WARC-Refers-To", page_id), ("WARC-Refers-To-Target-URI", f"{site}/tram/")),
        ),
    ]


def test_a_rendered_dom_inside_a_wacz_is_what_the_view_shows(tmp_path: Path) -> None:
    site = "https://city.example"
    before = wacz(tmp_path / "made.wacz", {"data.warc.gz": gzipped(*_shell_and_its_dom(site))}, [f"{site}/tram/"])
    database_url, warcs, database = _imported(tmp_path, "rendered.wacz", before.read_bytes())
    (capture,) = _captures_of(database, f"{site}/tram/").values()
    # The crawl extracted the DOM only: the shell it started from is no version of the story,
    # however soon extraction finished it (--workers 0: before the DOM's record was read).
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT title FROM article_versions").fetchall() == [("Tram line reopens",)]
    with serving(database_url, "--warc-dir", str(warcs)) as base:
        status, shown = _fetch(f"{base}/capture/{capture}/archived")
    assert status == 200
    assert lxml_html.document_fromstring(shown).xpath("string(//main//h1)") == "Tram line reopens", shown[:500]


def _long_story() -> tuple[bytes, bytes]:
    """A page, and the record of it its writer cut at half its length (``WARC-Truncated: length``)."""
    whole = (
        b"<html><head><title>A long story</title></head><body><article><h1>A long story</h1><p>"
        + b"The council met on Monday and agreed the budget for the harbour. " * 60
        + b"The last paragraph says the vote was close.</p></article></body></html>"
    )
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(whole)
    return whole, head + whole[: len(whole) // 2]


def test_a_truncated_record_is_no_article_and_the_view_says_it_is_not_whole(tmp_path: Path) -> None:
    """A record its writer cut short (``WARC-Truncated: length``, Heritrix's and wget's at their
    size limit) holds the first part of the page only: extracted, it became an article whose text
    ends mid-story, and the view showed the part as the page. The crawl extracts no page it could
    not download whole (over DOWNLOAD_MAXSIZE: a download error); reextract stores its capture."""
    url = "https://times.example/news/long-story/"
    _, cut = _long_story()
    records = gzipped(
        warc_record("response", url, cut, content_type=HTTP, warc_headers=(("WARC-Truncated", "length"),))
    )
    warcs = tmp_path / "warc"
    warcs.mkdir()
    (warcs / "cut.warc.gz").write_bytes(records)
    database = tmp_path / "imported.db"
    done = newsarchive("reextract", "--db", f"sqlite:///{database}", "--warc-dir", str(warcs), "--workers", "0")
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "stored as a capture (WARC-Truncated: not the whole record) 1" in done.stdout, done.stdout
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM article_versions").fetchone() == (0,)
        (capture,) = db.execute("SELECT id FROM captures WHERE url = ?", (url,)).fetchone()
    with serving(f"sqlite:///{database}", "--warc-dir", str(warcs)) as base:
        status, shown = _fetch(f"{base}/capture/{capture}/archived")
        assert status == 404 and b"WARC-Truncated" in shown, shown[:500]
        status, record = _fetch(f"{base}/capture/{capture}.warc")
        assert status == 200 and record == records  # the record itself, as stored, is still there


def test_a_truncated_record_is_no_answer_in_the_index_a_replay_tool_reads(tmp_path: Path) -> None:
    """pywb and ReplayWeb.page serve what the CDXJ index (and a WACZ's, made by the same rule)
    lists: the first half of a page would be replayed as the page."""
    whole, cut = _long_story()
    warcs = tmp_path / "warc"
    warcs.mkdir()
    truncated = (("WARC-Truncated", "length"),)
    (warcs / "cut.warc.gz").write_bytes(
        gzipped(
            warc_record("response", "https://times.example/cut/", cut, content_type=HTTP, warc_headers=truncated),
            warc_record("response", "https://times.example/whole/", http_response(whole), content_type=HTTP),
        )
    )
    index = tmp_path / "index.cdxj"
    done = newsarchive("index", "--warc-dir", str(warcs), "-o", str(index))
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    keys = [line.split(" ", 1)[0] for line in index.read_text().splitlines()]
    assert keys == ["example,times)/whole"], keys


def test_a_revisit_of_a_truncated_record_is_not_extracted_from_its_part(tmp_path: Path) -> None:
    """A revisit stands for its original's payload: when that record was cut short, the revisit
    has no whole payload either, in the files read or through the captures stored before."""
    url = "https://times.example/news/long-story/"
    _, cut = _long_story()
    original_id, digest = f"<urn:uuid:{uuid.uuid4()}>", payload_digest(cut.split(b"\r\n\r\n", 1)[1])
    original = warc_record(
        "response", url, cut, content_type=HTTP, record_id=original_id,
        warc_headers=(("WARC-Truncated", "length"), ("WARC-Payload-Digest", digest)),
    )  # fmt: skip
    revisit = warc_record(
        "revisit", url, cut.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n", content_type=HTTP, date="2024-05-02T10:00:00Z",
        warc_headers=(
            ("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
            ("WARC-Refers-To", original_id), ("WARC-Refers-To-Target-URI", url),
            ("WARC-Refers-To-Date", "2024-05-01T10:00:00Z"), ("WARC-Payload-Digest", digest),
        ),
    )  # fmt: skip
    warcs = tmp_path / "warc"
    warcs.mkdir()
    (warcs / "a.warc.gz").write_bytes(gzipped(original))
    (warcs / "b.warc.gz").write_bytes(gzipped(revisit))
    database = tmp_path / "imported.db"
    for name in ("a.warc.gz", "b.warc.gz"):  # the second run finds the original among the stored captures
        done = newsarchive("reextract", str(warcs / name), "--db", f"sqlite:///{database}", "--warc-dir", str(warcs))
        assert "Traceback" not in done.stderr, done.stderr[-3000:]
    (warcs / "both.warc.gz").write_bytes(gzipped(original, revisit))
    newsarchive("reextract", str(warcs / "both.warc.gz"), "--db", f"sqlite:///{database}", "--warc-dir", str(warcs))
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM article_versions").fetchone() == (0,)


def test_a_package_of_a_page_captured_as_a_revisit_holds_its_original(tmp_path: Path) -> None:
    """``wacz --since`` packed the WARC files of the captures since then: a page whose capture is
    a revisit (its payload first archived at another URL, before --since: Heritrix and
    Browsertrix deduplicate by digest) went without the record holding its body, and a replay of
    the package had nothing to show for it."""
    first, second = "https://times.example/news/story/", "https://times.example/news/story/?ref=home"
    body = article_html("Harbour budget agreed")
    digest = (("WARC-Payload-Digest", payload_digest(body)),)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(body)
    revisit_headers = (
        *digest,
        ("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
        ("WARC-Refers-To-Target-URI", first),
        ("WARC-Refers-To-Date", "2024-05-01T10:00:00Z"),
    )
    warcs = tmp_path / "warc"
    warcs.mkdir()
    original = warc_record("response", first, http_response(body), content_type=HTTP, warc_headers=digest)
    (warcs / "a.warc.gz").write_bytes(gzipped(original))
    revisit = warc_record(
        "revisit", second, head, content_type=HTTP, date="2024-05-02T10:00:00Z", warc_headers=revisit_headers
    )
    (warcs / "b.warc.gz").write_bytes(gzipped(revisit))
    database = f"sqlite:///{tmp_path / 'imported.db'}"
    done = newsarchive("reextract", "--db", database, "--warc-dir", str(warcs), "--workers", "0")
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    with sqlite3.connect(tmp_path / "imported.db") as db:
        pages = db.execute(
            "SELECT c.url, c.record_type FROM article_versions v JOIN captures c ON c.id = v.capture_id"
        ).fetchall()
    assert (second, "revisit") in pages, pages
    package = tmp_path / "since.wacz"
    done = newsarchive("wacz", "-o", str(package), "--since", "2024-05-02", "--db", database, "--warc-dir", str(warcs))
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    with zipfile.ZipFile(package) as packed:
        members = sorted(name for name in packed.namelist() if name.startswith("archive/"))
    assert members == ["archive/a.warc.gz", "archive/b.warc.gz"], members
