"""Finding 7, deep JSON-LD: a normal article whose JSON-LD nests 100,000 levels was a `NotAnArticle`
("document too complex"). That block is skipped and the page kept; so are the siblings: a state
blob (`__NEXT_DATA__`, `window.__STATE__ = ...`) nested as deep, a tower of `<div>` in an ad before
the story (libxml2 dropped everything after it), and a feed nested deeper than the XML parser
follows (the entries after that point are ignored, and the log says so)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.extraction.core import extract
from archive.extraction.types import Article
from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun, scrapy_crawl
from tests.support.hostile_site import GOOD_TEXT
from tests.support.raw_site import RawSite, response

DEEP = 100_000
HEADLINE = "Breakwater to be finished before autumn storms"
AUTHOR = "Olena Kovalenko"
HTML = "text/html; charset=utf-8"
_NEWS_ARTICLE = (
    '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle", '
    f'"headline": "{HEADLINE}", "author": {{"@type": "Person", "name": "{AUTHOR}"}}, '
    '"datePublished": "2024-06-01T09:30:00+03:00"}</script>'
)

# Each trap: (where it goes, what it is). None of them holds anything of the story.
TRAPS = {
    "deep-json-ld-array": ("head", '<script type="application/ld+json">' + "[" * DEEP + "]" * DEEP + "</script>"),
    "deep-json-ld-object": (
        "head",
        '<script type="application/ld+json">' + '{"@type":"Thing","a":' * 50_000 + "1" + "}" * 50_000 + "</script>",
    ),
    "deep-next-data": (
        "end",
        '<script id="__NEXT_DATA__" type="application/json">' + '{"a":' * DEEP + "1" + "}" * DEEP + "</script>",
    ),
    "deep-state-script": ("end", "<script>window.__STATE__ = " + "[" * DEEP + "]" * DEEP + ";</script>"),
    "deep-ad-before-story": ("start", '<div class="ad-slot">' + "<div>" * 1500 + "ad" + "</div>" * 1500 + "</div>"),
}


def _page(trap: str) -> bytes:
    where, markup = TRAPS[trap]
    paragraphs = "".join(f"<p>{GOOD_TEXT} Paragraph {i}.</p>" for i in range(4))
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{HEADLINE}</title>'
        f'<meta property="og:type" content="article">{_NEWS_ARTICLE}{markup if where == "head" else ""}</head>'
        f"<body>{markup if where == 'start' else ''}<article><h1>{HEADLINE}</h1>{paragraphs}</article>"
        f"{markup if where == 'end' else ''}</body></html>"
    ).encode()


def _deep_feed(before: list[str], after: list[str]) -> bytes:
    def items(slugs: list[str]) -> str:
        return "".join(f"<item><title>{slug}</title><link>/news/{slug}/</link></item>" for slug in slugs)

    deep_item = f"<item><title>deep</title><description>{'<x>' * DEEP}{'</x>' * DEEP}</description></item>"
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{items(before)}{deep_item}'
        f"{items(after)}</channel></rss>"
    ).encode()


@pytest.fixture(scope="module")
def deep_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrawlRun]:
    """A default-settings crawl of a listing that links one article per trap, and of a feed with a
    deep item between two entries."""
    listing = "".join(f'<li><a href="/news/{slug}/">A story: {slug.replace("-", " ")}</a></li>' for slug in TRAPS)
    routes = {
        "/news-feed/": response(f"<html><body><ul>{listing}</ul></body></html>".encode(), ("Content-Type", HTML)),
        "/feed.xml": response(
            _deep_feed(["story-before-the-deep-item"], ["story-after-the-deep-item"]),
            ("Content-Type", "application/rss+xml"),
        ),
        "/news/story-before-the-deep-item/": response(_page("deep-json-ld-array"), ("Content-Type", HTML)),
        "/news/story-after-the-deep-item/": response(_page("deep-json-ld-array"), ("Content-Type", HTML)),
        **{f"/news/{slug}/": response(_page(slug), ("Content-Type", HTML)) for slug in TRAPS},
    }
    with RawSite(routes) as site:
        run = scrapy_crawl(tmp_path_factory.mktemp("deep-crawl"), f"{site.url}/news-feed/ {site.url}/feed.xml")
    assert run.returncode == 0, run.log[-3000:]
    yield run


def _stored(run: CrawlRun) -> dict[str, tuple[str | None, str | None, str | None]]:
    """Article URL path -> (what the capture was extracted as, the title, the authors)."""
    with sqlite3.connect(Path(run.database_url.removeprefix("sqlite:///"))) as database:
        rows = database.execute(
            "SELECT c.url, c.extracted_as, v.title, "
            "(SELECT group_concat(au.name, '; ') FROM article_version_authors va "
            " JOIN authors au ON au.id = va.author_id WHERE va.version_id = v.id) "
            "FROM captures c LEFT JOIN article_versions v ON v.capture_id = c.id WHERE c.status = 200"
        )
        return {re.sub(r"^https?://[^/]+", "", url): (kind, title, authors) for url, kind, title, authors in rows}


@pytest.mark.parametrize("trap", TRAPS)
def test_a_crawled_article_with_a_deep_blob_is_archived_as_an_article(deep_crawl: CrawlRun, trap: str) -> None:
    kind, title, authors = _stored(deep_crawl)[f"/news/{trap}/"]
    assert kind == "article"
    assert title == HEADLINE
    assert authors == AUTHOR  # the page's other JSON-LD block is still read
    assert "document too complex" not in deep_crawl.log


def test_a_feed_nested_too_deep_keeps_its_entries_before_that_point_and_says_so(deep_crawl: CrawlRun) -> None:
    stored = _stored(deep_crawl)
    assert stored["/news/story-before-the-deep-item/"][0] == "article"
    assert "/news/story-after-the-deep-item/" not in stored
    assert re.search(
        r"WARNING: feed \S+/feed\.xml nests elements deeper than the XML parser follows .*"
        r"its entries after that point are ignored",
        deep_crawl.log,
    )


@pytest.mark.parametrize("trap", TRAPS)
def test_extract_skips_the_deep_blob_and_keeps_the_page(trap: str) -> None:
    result = extract(_page(trap), "https://news.example/news/breakwater/", {"Content-Type": HTML})
    assert isinstance(result, Article), result
    assert result.title == HEADLINE
    assert list(result.authors) == [AUTHOR]
    assert result.published == "2024-06-01T09:30:00+03:00"
    assert GOOD_TEXT in result.text and "ad" not in result.text.split()


def test_a_body_read_from_a_state_blob_survives_a_deep_one_beside_it() -> None:
    paragraphs = ", ".join(f'{{"type": "paragraph", "text": "{GOOD_TEXT} Paragraph {i}."}}' for i in range(4))
    page = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{HEADLINE}</title>'
        f'<meta property="og:type" content="article">{_NEWS_ARTICLE}</head><body><div id="__next"></div>'
        f"{TRAPS['deep-state-script'][1]}"
        f'<script id="__NEXT_DATA__" type="application/json">{{"props": {{"story": {{"body": [{paragraphs}]}}}}}}'
        "</script></body></html>"
    ).encode()
    result = extract(page, "https://news.example/news/breakwater/", {"Content-Type": HTML})
    assert isinstance(result, Article), result
    assert f"{GOOD_TEXT} Paragraph 3." in result.text


def test_a_manifest_line_nested_too_deep_is_one_line_of_error(tmp_path: Path) -> None:
    manifest = tmp_path / "pages.jsonl"
    manifest.write_text("[" * DEEP + "]" * DEEP + "\n", encoding="utf-8")
    done = newsarchive("extract", "--manifest", str(manifest))
    assert done.returncode == 2
    assert (
        done.stderr
        == f'newsarchive: error: {manifest}:1: not a {{"path", "url"}} JSON line (JSON nested too deep to parse)\n'
    )
