"""One definition of a listing's URL path (`archive.extraction.urlshape`), shared by the crawler's discovery
and extraction's listing check: discovery now knows the non-English listing paths extraction knew."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from parsel import Selector

from archive.extraction.urlshape import LISTING_SEGMENTS, is_listing_path
from crawler.discovery import is_listing_url, looks_like_article_url, page_links

ROOT = Path(__file__).resolve().parent.parent

ARTICLES = [
    "https://www.derstandard.at/story/3000000218734/nach-kalifat-rufen-in-hamburg-sind-wir-zu-sanft-zu-islamisten",
    "https://www.nzz.ch/international/live-ticker-zum-krieg-in-der-ukraine-ld.1688234",
    "https://elpais.com/internacional/2024-05-03/la-guerra-en-gaza-entra-en-una-nueva-fase.html",
    "https://www.example.com/news/2024/05/03/city-council-approves-new-budget/",
    "https://www.lemonde.fr/politique/article/2024/05/03/le-gouvernement-presente-son-plan_6231234_823448.html",
]


@pytest.mark.parametrize(
    "url",
    [
        "https://www.zeit.de/themen/klimawandel/",
        "https://www.spiegel.de/thema/ukraine_konflikt/",
        "https://www.tagesanzeiger.ch/stichwort/autor/jan-novak",
        "https://www.folha.uol.com.br/categoria/politica/",
        "https://www.repubblica.it/argomento/elezioni-europee-2024",
        "https://www.lefigaro.fr/rubrique/international",
        "https://www.elmundo.es/etiqueta/sanchez/",
        "https://www.example.com/de/themen/wirtschaft/",  # below a language edition's root
        "https://www.example.com/news/tag/climate/",  # not only as the first segment
        "https://www.example.com/en/",  # a language edition's front page
    ],
)
def test_discovery_recognises_listing_paths_in_other_languages(url: str) -> None:
    assert is_listing_url(url)
    assert not looks_like_article_url(url)


@pytest.mark.parametrize("url", ARTICLES)
def test_article_urls_are_still_articles(url: str) -> None:
    assert not is_listing_url(url)
    assert looks_like_article_url(url)


@pytest.mark.parametrize("word", LISTING_SEGMENTS)
def test_every_listing_word_is_a_listing_for_discovery_and_extraction(word: str) -> None:
    path = f"/{word}/some-name/"
    assert is_listing_path(path)
    assert is_listing_url(f"https://www.example.com{path}")
    assert not looks_like_article_url(f"https://www.example.com{path}")
    # A story's slug after the word is a story to both (`names_listing`): discovery follows what extraction keeps.
    story = f"/{word}/a-story-about-the-city-budget"
    assert not is_listing_path(story)
    assert looks_like_article_url(f"https://www.example.com{story}")


def test_utility_pages_stay_discoverys_own() -> None:
    # Not listings to extraction (a login page is neither), but never article candidates either.
    assert not is_listing_path("/login/")
    assert is_listing_url("https://www.example.com/login/")
    assert is_listing_url("https://www.example.com/news/page/2/")  # pagination
    assert not looks_like_article_url("https://www.example.com/about/our-team-and-our-history")


def test_a_headline_link_to_a_topic_page_is_no_article_candidate() -> None:
    html = f"""<html><body>
        <a href="/themen/klimawandel/">Alle Artikel zum Thema Klimawandel auf einen Blick</a>
        <a href="/categoria/politica/">Todas las noticias de política en un solo lugar</a>
        <a href="/de/">Zur Startseite der deutschen Ausgabe wechseln</a>
        <a href="{ARTICLES[0]}">Nach Kalifat-Rufen in Hamburg</a>
    </body></html>"""
    links = page_links(Selector(text=html), "https://www.example.com/")
    assert links.articles == [ARTICLES[0]]


def test_discovery_does_not_load_the_extraction_code() -> None:
    code = "import sys, crawler.discovery; print(sorted(m for m in sys.modules if m.startswith('archive.extraction.')))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip() == "['archive.extraction.urlshape']"
