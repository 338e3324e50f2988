"""A page archived by a crawl and re-extracted from that crawl's WARC yields the same capture and
the same article: one function decides headers, charset, content codings and hints for both.

Each page below once came out differently on the two paths (a header byte outside UTF-8, a
repeated Content-Type, gzip declared over a plain body, a profile's drop_css that only one path
applied, a body over the size limit only one path enforced).
"""

from __future__ import annotations

import gzip
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun, scrapy_crawl
from tests.support.raw_site import RawSite, response

PROSE = (
    "The regional council voted on Thursday to rebuild the old river bridge, a project that has been "
    "debated for a decade and will close the main road for most of next year."
)
PROMO = "Become a member and support independent journalism today."
MAX_SIZE = 200_000


def _article(title: str, extra: str = "") -> bytes:
    paragraphs = "".join(f"<p>{PROSE} Paragraph {i} of the report on {title.lower()}.</p>" for i in range(4))
    return (
        f"<!doctype html><html lang='en'><head><title>{title}</title>"
        "<meta property='og:type' content='article'></head>"
        f"<body><article><h1>{title}</h1>{paragraphs}{extra}</article></body></html>"
    ).encode()


HTML = ("Content-Type", "text/html; charset=utf-8")
CYRILLIC = "Київ відбудовує міст"
PAGES: dict[str, bytes] = {
    "/news/a-header-byte-outside-utf8-story/": response(
        _article("A header byte outside UTF-8"), HTML, ("X-Note", b"caf\xe9")
    ),
    # No <meta charset>: the header decides, and the first Content-Type is the one both paths read.
    "/news/two-content-types-in-one-story/": response(
        _article(CYRILLIC).replace(b"<meta property", b"<meta name='x' content='y'><meta property"),
        HTML,
        ("Content-Type", "text/html; charset=windows-1251"),
    ),
    "/news/gzip-declared-over-plain-story/": response(
        _article("Gzip declared over plain HTML"), HTML, ("Content-Encoding", "gzip")
    ),
    "/news/profile-drops-the-promo-story/": response(
        _article("A profile drops the promo", f"<p class='promo'>{PROMO}</p>"), HTML
    ),
    "/news/too-big-once-decoded-story/": response(
        gzip.compress(_article("Too big once decoded", "<p>" + "x " * MAX_SIZE + "</p>")),
        HTML,
        ("Content-Encoding", "gzip"),
    ),
    "/news/body-cannot-be-decoded-story/": response(
        b"\x00\x01 not gzip at all \xff" * 20, HTML, ("Content-Encoding", "gzip")
    ),
    # The record holds header lines as the wire had them: both paths read the first of each, in any case.
    "/news/headers-twice-in-odd-case-story/": response(
        _article("Headers twice in odd case"),
        ("content-TYPE", "text/html; charset=utf-8"),
        ("etag", '"first"'),
        ("ETag", '"second"'),
        ("Content-Type", "text/plain"),
    ),
}
LISTING = "".join(f"<li><a href='{path}'>{path.split('/')[2]}</a></li>" for path in PAGES)


@pytest.fixture(scope="module")
def site() -> Iterator[RawSite]:
    routes = dict(PAGES)
    routes["/news/"] = response(f"<html><body><h1>News</h1><ul>{LISTING}</ul></body></html>".encode(), HTML)
    routes["/robots.txt"] = response(b"User-agent: *\nAllow: /\n", ("Content-Type", "text/plain"))
    with RawSite(routes) as raw:
        yield raw


@pytest.fixture(scope="module")
def sites_file(site: RawSite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("profiles") / "sites.toml"
    path.write_text(
        f'[sites.rawsite]\nlistings = ["{site.url}/news/"]\n\n[sites.rawsite.extraction]\ndrop_css = [".promo"]\n'
    )
    return path


@pytest.fixture(scope="module")
def crawl(site: RawSite, sites_file: Path, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    # Started by URL, not by profile: the profile's hints apply all the same, as they do on reextract.
    run = scrapy_crawl(
        tmp_path_factory.mktemp("crawl"),
        f"{site.url}/news/",
        f"NEWSARCHIVE_SITES_FILE={sites_file}",
        f"DOWNLOAD_MAXSIZE={MAX_SIZE}",
        "ROBOTSTXT_OBEY=False",
    )
    assert run.returncode == 0, run.log[-3000:]
    return run


def _rows(database_url: str) -> dict[str, tuple[object, ...]]:
    """Per page: the capture's recorded header values and what extraction made of it."""
    path = database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT c.url, c.content_type, c.etag, c.extracted_as, v.title, v.text FROM captures c "
            "LEFT JOIN articles a ON a.url = c.url LEFT JOIN article_versions v ON v.id = a.current_version_id "
            "WHERE c.url LIKE '%-story/'"
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


def _reextract(crawl: CrawlRun, database_url: str, *options: str) -> str:
    done = newsarchive("reextract", "--warc-dir", str(crawl.warc_dir), "--db", database_url, "--workers", "0", *options)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def rebuilt(crawl: CrawlRun, sites_file: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('rebuilt') / 'rebuilt.db'}"
    _reextract(crawl, database_url, "--sites-file", str(sites_file), "--set", f"DOWNLOAD_MAXSIZE={MAX_SIZE}")
    return database_url


def test_the_crawl_extracted_every_case_as_a_reader_expects(crawl: CrawlRun, site: RawSite) -> None:
    rows = _rows(crawl.database_url)
    assert len(rows) == len(PAGES)
    url = site.url
    assert rows[f"{url}/news/a-header-byte-outside-utf8-story/"][2] == "article"
    content_type, _, kind, title, _ = rows[f"{url}/news/two-content-types-in-one-story/"]
    assert content_type == "text/html; charset=utf-8" and kind == "article" and title == CYRILLIC
    assert rows[f"{url}/news/gzip-declared-over-plain-story/"][2] == "article"
    promo = rows[f"{url}/news/profile-drops-the-promo-story/"]
    assert promo[2] == "article" and PROMO not in str(promo[4]) and "Paragraph 3" in str(promo[4])
    assert rows[f"{url}/news/too-big-once-decoded-story/"][2] == "error"
    assert rows[f"{url}/news/body-cannot-be-decoded-story/"][2] == "error"
    odd_case = rows[f"{url}/news/headers-twice-in-odd-case-story/"]
    assert odd_case[:3] == ("text/html; charset=utf-8", '"first"', "article")


def test_reextract_into_an_empty_database_yields_what_the_crawl_stored(crawl: CrawlRun, rebuilt: str) -> None:
    assert _rows(rebuilt) == _rows(crawl.database_url)


def test_reextract_of_the_crawl_changes_nothing(crawl: CrawlRun, sites_file: Path) -> None:
    options = ("--sites-file", str(sites_file), "--set", f"DOWNLOAD_MAXSIZE={MAX_SIZE}")
    before = _rows(crawl.database_url)
    for _ in range(2):
        out = _reextract(crawl, crawl.database_url, *options)
        assert "versions new: 0" in out and "articles new: 0" in out, out
    assert _rows(crawl.database_url) == before


def test_settings_given_with_set_are_the_crawls_settings(crawl: CrawlRun, sites_file: Path, tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'set.db'}"
    _reextract(
        crawl, database_url, "--set", f"NEWSARCHIVE_SITES_FILE={sites_file}", "--set", f"DOWNLOAD_MAXSIZE={MAX_SIZE}"
    )
    assert _rows(database_url) == _rows(crawl.database_url)
