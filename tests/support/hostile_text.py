"""A news site on 127.0.0.1 whose articles are honest in shape and hostile in their text: headlines
and sections that carry terminal escape sequences and rich markup, and cells a spreadsheet would run
as formulas. What the archive stores of them is what a reader's terminal or spreadsheet gets."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.crawls import CrawlRun, scrapy_crawl
from tests.support.hostile_site import GOOD_TEXT
from tests.support.raw_site import RawSite, response

# Shown as it reads: to rich, markup that would restyle the table, add a link, or ("[/b]") fail.
MARKUP_HEADLINE = "Breakwater [/b] done [link=https://evil.example/]now[/link] [bold red]"
# Sets the terminal's title, clears the screen, turns what follows red; an 8-bit CSI too.
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[31m\x9b2J"
ESCAPE_HEADLINE = MARKUP_HEADLINE + ESCAPES
ESCAPE_SECTION = "World" + ESCAPES
FORMULA_HEADLINE = '=HYPERLINK("https://evil.example/","Breakwater report")'
FORMULA_DESCRIPTION = "+1 storms ahead"
FORMULA_SECTION = "@harbour"
FORMULA_TAGS = ("-storms", "weather")
AUTHOR = "Olena Kovalenko"
PARAGRAPHS = [f"{GOOD_TEXT} Paragraph {i}." for i in range(3)]


def _article(headline: str, **declared: object) -> bytes:
    """An article page that declares *headline* (and *declared*) in JSON-LD, the way most news
    sites do; its <h1> and <title> carry the headline without the escapes, as a browser shows it."""
    shown = headline.replace(ESCAPES, "")
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": headline}
    data |= {"author": {"@type": "Person", "name": AUTHOR}, "datePublished": "2024-06-01T09:30:00+03:00", **declared}
    escaped = shown.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escaped}</title>'
        f'<meta property="og:type" content="article"><script type="application/ld+json">{json.dumps(data)}</script>'
        f"</head><body><article><h1>{escaped}</h1>{body}</article></body></html>"
    ).encode()


def crawl_hostile_text(tmp: Path) -> CrawlRun:
    """A default-settings crawl of a feed of the two hostile articles."""
    html = ("Content-Type", "text/html; charset=utf-8")
    items = "".join(
        f"<item><title>{slug}</title><link>/news/{slug}/</link></item>"
        for slug in ("breakwater-escapes", "breakwater-formula")
    )
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{items}</channel></rss>'
    routes = {
        "/feed.xml": response(feed.encode(), ("Content-Type", "application/rss+xml")),
        "/news/breakwater-escapes/": response(_article(ESCAPE_HEADLINE, articleSection=ESCAPE_SECTION), html),
        "/news/breakwater-formula/": response(
            _article(
                FORMULA_HEADLINE,
                description=FORMULA_DESCRIPTION,
                articleSection=FORMULA_SECTION,
                keywords=list(FORMULA_TAGS),
            ),
            html,
        ),
    }
    with RawSite(routes) as site:
        run = scrapy_crawl(tmp, f"{site.url}/feed.xml")
    assert run.returncode == 0, run.log[-3000:]
    return run
