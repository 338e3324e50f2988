"""Link discovery judges a URL by extraction's one listing rule (`archive.extraction.urlshape.is_listing_path`),
so the crawler follows the stories extraction accepts at URLs with listing words in them (issue 20, round 2)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crawler.discovery import is_listing_url, looks_like_article_url
from tests.support.crawls import scrapy_crawl
from tests.support.url_shape_site import LISTING_PATHS, STORY_PATHS


@pytest.mark.parametrize("path", STORY_PATHS)
def test_a_story_at_a_url_with_a_listing_word_is_an_article_candidate(path: str) -> None:
    url = f"https://news.test{path}"
    assert looks_like_article_url(url)
    assert not is_listing_url(url)


@pytest.mark.parametrize("path", [*LISTING_PATHS, "/", "/en/", "/tag/radverkehr/", "/news/?p=2", "/news/?page=1500"])
def test_listings_and_their_next_pages_are_no_article_candidates(path: str) -> None:
    url = f"https://news.test{path}"
    assert not looks_like_article_url(url)
    assert is_listing_url(url)


def test_the_crawl_archives_the_stories_at_urls_with_listing_words(url_shape_site: str, tmp_path: Path) -> None:
    run = scrapy_crawl(tmp_path, f"{url_shape_site}/")
    assert run.returncode == 0, run.log[-3000:]
    with sqlite3.connect(tmp_path / "archive.db") as db:
        articles = {url for (url,) in db.execute("SELECT url FROM articles")}
    assert articles == {f"{url_shape_site}{path}" for path in STORY_PATHS}
