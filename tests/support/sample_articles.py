"""Bigger versions of the sample site: its articles repeated under new slugs and titles."""

from __future__ import annotations

import dataclasses

from archive.sample_site import SampleArticle, load_articles


def many_articles(copies: int) -> list[SampleArticle]:
    """Every sample article *copies* times over, copy by copy: slug and path end in ``-N``, the title
    in ``(N)``, and none links a related article (the slugs the originals name are not served)."""
    articles = []
    for copy in range(copies):
        for article in load_articles():
            slug = f"{article.slug}-{copy}"
            articles.append(
                dataclasses.replace(
                    article, slug=slug, path=f"/news/{slug}/", title=f"{article.title} ({copy})", related=None
                )
            )
    return articles


_PROSE = "The harbour authority said on Monday that the new ferry terminal will open in the spring. " * 6


def article_html(title: str) -> bytes:
    """A small page every extractor takes for one article titled *title* (og:type article, four
    paragraphs of prose that name the title)."""
    paragraphs = "".join(f"<p>{_PROSE} Part {i} of {title.lower()}.</p>" for i in range(4))
    return (
        f"<!doctype html><html lang='en'><head><title>{title}</title><meta property='og:type' content='article'>"
        f"</head><body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()
