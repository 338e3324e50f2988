"""Finding: ``reextract`` rebuilt a database without the crawl's ``url_aliases``. The crawl stores each
URL a server redirected (its 3xx's ``Location``) as an alias of the target; the WARC reader never
read a 3xx's target, so a database rebuilt from the WARCs had none: the next crawl asked for every
old URL again, and ``show``/``wacz`` could not follow a requisite's redirect to its record. Both
ways in now read the target with one function (``archive/responses.py`` ``redirect_target``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.support.cli import newsarchive
from tests.support.crawls import scrapy_crawl
from tests.support.raw_site import RawSite, response
from tests.support.sample_articles import article_html
from tests.support.warc_files import gzipped, warc_record

HTML = ("Content-Type", "text/html; charset=utf-8")
STORIES = ("/news/harbour-breakwater-story/", "/news/river-ferry-story/", "/news/library-reopens-story/")


def _aliases(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT alias, target FROM url_aliases ORDER BY alias").fetchall()


def test_a_reextract_into_a_fresh_database_keeps_the_crawls_aliases(tmp_path: Path) -> None:
    listing = "".join(f"<li><a href='{path}'>{path}</a></li>" for path in STORIES)
    routes = {path: response(article_html(path.split("/")[2]), HTML, close=False) for path in STORIES[1:]}
    routes |= {
        # The old slug, moved; and one moved with a relative Location, and one written in capitals.
        STORIES[0]: response(b"", ("Location", "/news/harbour-works-story/"), status="301 Moved Permanently"),
        "/news/harbour-works-story/": response(article_html("Harbour works"), HTML, close=False),
        "/news/": response(f"<html><body><h1>News</h1><ul>{listing}</ul></body></html>".encode(), HTML, close=False),
        "/robots.txt": response(b"User-agent: *\nAllow: /\n", ("Content-Type", "text/plain"), close=False),
    }
    with RawSite(routes) as site:
        run = scrapy_crawl(tmp_path / "crawl", f"{site.url}/news/")
    assert run.returncode == 0, run.log[-3000:]
    crawled = _aliases(tmp_path / "crawl" / "archive.db")
    assert crawled == [(site.url + STORIES[0], site.url + "/news/harbour-works-story/")]
    fresh = tmp_path / "fresh.db"
    done = newsarchive("reextract", "--warc-dir", str(run.warc_dir), "--db", f"sqlite:///{fresh}", "--workers", "0")
    assert done.returncode == 0, done.stderr[-3000:]
    assert _aliases(fresh) == crawled


def test_a_foreign_warcs_redirects_are_aliases_as_the_crawl_would_store_them(tmp_path: Path) -> None:
    """Another tool's WARC: a Location relative, one with the scheme in capitals (a scheme is
    case-insensitive), one to a non-http URL (no alias), and a 304 (no redirect)."""

    def moved(location: str) -> bytes:
        return f"HTTP/1.1 301 Moved Permanently\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n".encode()

    http = "application/http; msgtype=response"
    records = [
        warc_record("response", "http://news.example/a/", moved("/a-new/"), content_type=http),
        warc_record("response", "http://news.example/b/", moved("HTTPS://News.Example/b-new/"), content_type=http),
        warc_record("response", "http://news.example/c/", moved("ftp://news.example/c/"), content_type=http),
    ]
    warc = tmp_path / "foreign.warc.gz"
    warc.write_bytes(gzipped(*records))
    database = tmp_path / "archive.db"
    done = newsarchive("reextract", str(warc), "--db", f"sqlite:///{database}", "--workers", "0")
    assert done.returncode == 0, done.stderr[-3000:]
    assert _aliases(database) == [
        ("http://news.example/a/", "http://news.example/a-new/"),
        ("http://news.example/b/", "https://news.example/b-new/"),
    ]
