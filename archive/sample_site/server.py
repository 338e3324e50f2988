"""The bundled sample news site: a Ghost-theme-like "The Sample Independent" served on 127.0.0.1.

Used by ``newsarchive demo`` and by the end-to-end tests. Everything is rendered once at start-up (the
port is only known then) and served from memory, so every response is byte-for-byte deterministic:
fixed ``Date``/``Last-Modified`` headers taken from the article data, a weak ``ETag`` per page (the same
for the identity and the gzip variant), gzip bodies compressed with ``mtime=0``. Conditional requests
(``If-None-Match``, ``If-Modified-Since``) get ``304 Not Modified``.

Routes (see ``SampleSite.routes()`` for the full list after start):

* ``/`` home, ``/news-feed/`` + ``/news-feed/page/N/`` (5 teasers per page, "Show More" + ``rel=next``),
  ``/tag/<slug>/``, ``/author/<slug>/`` (paginated the same way), ``/news/<slug>/`` articles,
  ``/news/<slug>/amp/`` (same page, canonical to the clean URL);
* ``/rss/`` (RSS 2.0), ``/sitemap.xml`` (index) -> ``/sitemap-posts.xml``, ``/sitemap-news.xml``,
  ``/sitemap-tags.xml``, ``/sitemap-authors.xml``; ``/robots.txt`` (``Disallow: /private/``);
* traps: ``/go/<n>`` (301 to the n-th article, oldest first), ``/private/secret/`` (disallowed, linked
  from every footer), ``/files/report.pdf``, PNG images under ``/content/images/``, a link to a 404
  page, tracking-parameter and ``#comments`` links, links to ``http://other-site.example/``;
* ``template=APP_SHELL`` serves every article as a browser-rendered shell (chrome and a loading notice,
  no story in the HTML): a template change that breaks extraction without breaking a download;
* a path without its trailing slash gets a 301 to the slashed path, ``/news-feed/page/1/`` a 301 to
  ``/news-feed/``; query strings are ignored when routing (``?utm_source=...`` serves the same page).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import html
import json
import re
import struct
import threading
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit

__all__ = [
    "APP_SHELL",
    "GHOST",
    "SITE_NAME",
    "TEMPLATES",
    "SampleArticle",
    "SampleSite",
    "SampleTweet",
    "load_articles",
    "main",
]

SITE_NAME = "The Sample Independent"
DATA_FILE = Path(__file__).with_name("articles.json")
PDF_FILE = Path(__file__).with_name("report.pdf")
PER_PAGE = 5
SIDEBAR_SIZE = 3
EXTERNAL_HOST = "http://other-site.example"
MISSING_PATH = "/news/this-story-was-retracted/"  # linked from the home page, answers 404
PRIVATE_PATH = "/private/secret/"  # disallowed by robots.txt, linked from every footer
PDF_PATH = "/files/report.pdf"
TRACKING_QUERY = "?utm_source=twitter&utm_medium=social"

# Site-wide clutter (visible on every article page, or an attribute such as the "Avatar" alt text).
MEMBERS_COUNT = "0 members on board"
MEMBERS_THANKS = "25,000 people chose to be part of the Sample Independent community — thank you."
JOIN_TEXT = "Join our community"
SHARE_PROMPT = "Share this article"
FOLLOW_PROMPT = "Follow The Sample Independent on Twitter and Telegram for breaking news."
NEWSLETTER_TITLE = "Get the morning briefing"
NEWSLETTER_TEXT = (
    "Sign up for our newsletter and get the most important news from Valdoria in your inbox every weekday morning."
)
VIDEO_TEASER = (
    "In a new documentary, our reporters travel along the Alna River to meet the families "
    "who rebuilt their homes after the great flood."
)
VIDEO_URL = f"{EXTERNAL_HOST}/video/alna-river-documentary/"


@dataclass(frozen=True)
class SampleTweet:
    """An embedded tweet (rendered as ``<blockquote class="twitter-tweet">`` inside the body)."""

    text: str
    pic: str  # "pic.twitter.com/..."
    name: str
    handle: str  # without "@"
    date: str  # "July 3, 2023"
    status: str  # status id


@dataclass(frozen=True)
class SampleArticle:
    """One article of the sample site.

    ``paragraphs`` is the plain text of the body paragraphs (what a good extractor returns, in order);
    ``clutter`` lists strings rendered on the article's page that must NOT end up in an extracted body
    (caption, photo credit, related-article link text, author bios, sidebar teasers). Site-wide clutter
    is ``SampleSite.SITE_CLUTTER``. The embedded tweet (if any) is neither body nor clutter.
    """

    slug: str
    path: str
    title: str
    authors: tuple[str, ...]
    published: str
    modified: str
    tags: tuple[str, ...]
    paragraphs: tuple[str, ...]
    clutter: tuple[str, ...]
    description: str = ""
    caption: str = ""
    credit: str = ""
    bios: tuple[str, ...] = ()  # one per author, same order
    related: str | None = None  # slug of the article linked as an inline "related" paragraph
    links: tuple[tuple[str, str], ...] = ()  # (anchor text inside a paragraph, href)
    tweet: SampleTweet | None = None
    image_link: bool = False  # the lead image is wrapped in a link to the image file
    no_charset_header: bool = False  # served as "text/html" (charset only in <meta charset>)

    @property
    def published_dt(self) -> datetime:
        return datetime.fromisoformat(self.published)

    @property
    def modified_dt(self) -> datetime:
        return datetime.fromisoformat(self.modified)

    @property
    def image(self) -> str:
        """Root-relative path of the lead image."""
        dt = self.published_dt
        return f"/content/images/{dt:%Y}/{dt:%m}/{self.slug}.png"

    @property
    def author_slugs(self) -> tuple[str, ...]:
        return tuple(slugify(a) for a in self.authors)

    @property
    def tag_slugs(self) -> tuple[str, ...]:
        return tuple(slugify(t) for t in self.tags)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _load_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return data


def _newest_first(articles: Iterable[SampleArticle]) -> list[SampleArticle]:
    return sorted(articles, key=lambda a: (a.published_dt, a.slug), reverse=True)


def _sidebar(article: SampleArticle, articles: Sequence[SampleArticle]) -> list[SampleArticle]:
    """The "News Feed" sidebar of an article page: the newest other articles."""
    return [a for a in _newest_first(articles) if a.slug != article.slug][:SIDEBAR_SIZE]


def _bio(article: SampleArticle, i: int) -> str:
    if i < len(article.bios):
        return article.bios[i]
    return f"{article.authors[i]} is a reporter at {SITE_NAME}."


def _page_clutter(article: SampleArticle, articles: Sequence[SampleArticle]) -> tuple[str, ...]:
    """Article-specific clutter strings, derived from what the page renders."""
    by_slug = {a.slug: a for a in articles}
    items: list[str] = [s for s in (article.caption, article.credit) if s]
    if article.related and article.related in by_slug:
        items.append(by_slug[article.related].title)
    items.extend(_bio(article, i) for i in range(len(article.authors)))
    for other in _sidebar(article, articles):
        items.append(other.title)
        if other.description:
            items.append(other.description)
    return tuple(dict.fromkeys(items))


def load_articles() -> list[SampleArticle]:
    """The sample site's articles (oldest first), from ``articles.json`` in this package."""
    data = _load_data()
    bios: dict[str, str] = data["authors"]
    raw: list[dict[str, Any]] = data["articles"]
    articles: list[SampleArticle] = []
    for item in raw:
        tweet = item.get("tweet")
        articles.append(
            SampleArticle(
                slug=item["slug"],
                path=f"/news/{item['slug']}/",
                title=item["title"],
                authors=tuple(item["authors"]),
                published=item["published"],
                modified=item["modified"],
                tags=tuple(item["tags"]),
                paragraphs=tuple(item["paragraphs"]),
                clutter=(),
                description=item.get("description", ""),
                caption=item.get("caption", ""),
                credit=item.get("credit", ""),
                bios=tuple(bios.get(name, "") or f"{name} is a reporter at {SITE_NAME}." for name in item["authors"]),
                related=item.get("related"),
                links=tuple((text, href) for text, href in item.get("links", [])),
                tweet=SampleTweet(**tweet) if tweet else None,
                image_link=bool(item.get("image_link", False)),
                no_charset_header=bool(item.get("no_charset_header", False)),
            )
        )
    articles.sort(key=lambda a: (a.published_dt, a.slug))
    return [replace(a, clutter=_page_clutter(a, articles)) for a in articles]


# --------------------------------------------------------------------------------------------- rendering


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def _jsonld(obj: dict[str, Any]) -> str:
    text = json.dumps(obj, ensure_ascii=False, indent=4).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>'


def _display_date(dt: datetime) -> str:
    return f"{dt:%b} {dt.day}, {dt.year}"


def _http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(UTC), usegmt=True)


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A tiny, valid, solid-colour PNG."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height, 9))
        + chunk(b"IEND", b"")
    )


def _png_for(name: str, width: int = 96, height: int = 54) -> bytes:
    digest = hashlib.sha1(name.encode()).digest()
    return _png(width, height, (digest[0], digest[1], digest[2]))


@dataclass
class _Resource:
    status: int
    content_type: str
    body: bytes
    last_modified: datetime | None = None
    location: str | None = None
    etag: str = field(init=False, default="")
    gzipped: bytes | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.status == 200:
            self.etag = 'W/"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'

    @property
    def compressible(self) -> bool:
        ct = self.content_type.split(";")[0].strip()
        return ct.startswith("text/") or ct.endswith("xml") or ct == "application/json"

    def gzip_body(self) -> bytes:
        if self.gzipped is None:
            self.gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self.gzipped


HTML_UTF8 = "text/html; charset=utf-8"
# The article templates SampleSite can serve: the Ghost theme, or a redesign that renders articles in the
# browser (an extractor then finds no story in the HTML: what a site's silent template change looks like).
GHOST = "ghost"
APP_SHELL = "app-shell"
TEMPLATES = (GHOST, APP_SHELL)
XML_UTF8 = "application/xml; charset=utf-8"
RSS_UTF8 = "application/rss+xml; charset=utf-8"


class _Renderer:
    """Renders every page of the site for one base URL."""

    def __init__(
        self, base: str, articles: Sequence[SampleArticle], data: dict[str, Any], template: str = "ghost"
    ) -> None:
        self.base = base
        self.template = template
        self.articles = list(articles)
        self.newest = _newest_first(self.articles)
        self.by_slug = {a.slug: a for a in self.articles}
        site = data.get("site", {})
        self.site_description: str = site.get("description", f"{SITE_NAME}: independent news.")
        self.now = datetime.fromisoformat(site.get("now", "2023-07-15T12:00:00+00:00"))
        self.epoch = datetime.fromisoformat(site.get("epoch", "2023-07-01T00:00:00+00:00"))
        if self.articles:
            self.now = max([self.now, *(a.modified_dt for a in self.articles)])
        self.last_change = max((a.modified_dt for a in self.articles), default=self.epoch)
        self.bios: dict[str, str] = dict(data.get("authors", {}))
        self.tags: dict[str, str] = {}
        self.authors: dict[str, str] = {}
        for a in self.newest:
            for t in a.tags:
                self.tags.setdefault(slugify(t), t)
            for i, name in enumerate(a.authors):
                self.authors.setdefault(slugify(name), name)
                if name not in self.bios:
                    self.bios[name] = _bio(a, i)
        # trap placement (by data, robust to custom article lists)
        oldest = sorted(self.articles, key=lambda a: (a.published_dt, a.slug))
        self.go_ids = {str(i): a for i, a in enumerate(oldest, 1)}
        self.editors_pick = str(min(9, len(oldest))) if oldest else None

    # ----------------------------------------------------------------------------------------- chrome
    def abs(self, path: str) -> str:
        return self.base + path

    def head(
        self,
        *,
        title: str,
        description: str,
        canonical: str,
        og_type: str,
        extra: str = "",
        image: str | None = None,
    ) -> str:
        img = self.abs(image) if image else self.abs("/content/images/logo.png")
        return f"""<head>
    <meta charset="utf-8">
    <meta http-equiv="X-UA-Compatible" content="IE=edge">
    <title>{_esc(title)}</title>
    <meta name="HandheldFriendly" content="True">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <link rel="stylesheet" type="text/css" href="/assets/built/screen.css?v=5f1c2a">
    <link rel="icon" href="/content/images/logo.png" type="image/png">
    <meta name="description" content="{_attr(description)}">
    <link rel="canonical" href="{_attr(canonical)}">
    <meta name="referrer" content="no-referrer-when-downgrade">
    <meta property="og:site_name" content="{SITE_NAME}">
    <meta property="og:type" content="{og_type}">
    <meta property="og:title" content="{_attr(title.removesuffix(" | " + SITE_NAME))}">
    <meta property="og:description" content="{_attr(description)}">
    <meta property="og:url" content="{_attr(canonical)}">
    <meta property="og:image" content="{_attr(img)}">
    <meta name="twitter:card" content="summary_large_image">
    <meta name="twitter:site" content="@SampleIndependent">
{extra}    <meta name="generator" content="Ghost 5.54">
    <link rel="alternate" type="application/rss+xml" title="{SITE_NAME}" href="{self.abs("/rss/")}">
</head>"""

    def header(self) -> str:
        nav_tags = [t for t in ("politics", "economy", "climate", "technology", "culture") if t in self.tags]
        nav = "\n".join(
            f'                <li class="nav-{s}"><a href="/tag/{s}/">{_esc(self.tags[s])}</a></li>' for s in nav_tags
        )
        return f"""<header id="gh-head" class="gh-head">
        <nav class="gh-head-inner gh-inner">
            <div class="gh-head-brand"><a class="gh-head-logo" href="{self.abs("/")}">{SITE_NAME}</a></div>
            <ul class="nav">
                <li class="nav-home"><a href="/">Home</a></li>
                <li class="nav-news-feed"><a href="/news-feed/">News Feed</a></li>
{nav}
            </ul>
            <div class="gh-head-members">
                <div class="members-count">{MEMBERS_COUNT}</div>
                <p class="members-thanks">{_esc(MEMBERS_THANKS)}</p>
                <a class="gh-head-btn" href="#/portal/signup">{JOIN_TEXT}</a>
            </div>
        </nav>
    </header>"""

    def newsletter(self) -> str:
        return f"""<section class="newsletter-box" data-portal="signup">
        <h3 class="newsletter-title">{NEWSLETTER_TITLE}</h3>
        <p class="newsletter-text">{_esc(NEWSLETTER_TEXT)}</p>
        <form class="newsletter-form" data-members-form="signup">
            <input type="email" placeholder="Your email address"
            data-members-email><button class="button" type="submit">Subscribe</button></form>
    </section>"""

    def footer(self) -> str:
        return f"""<footer class="gh-foot">
        <div class="gh-foot-inner gh-inner">
            <div class="gh-copyright">{SITE_NAME} © 2023 · A bundled sample site for newsarchive</div>
            <nav class="gh-foot-menu"><ul class="nav">
                <li><a href="/rss/">RSS</a></li>
                <li><a href="/sitemap.xml">Sitemap</a></li>
                <li><a href="{PRIVATE_PATH}">Staff area</a></li>
                <li><a href="{EXTERNAL_HOST}/">Our partner site</a></li>
            </ul></nav>
        </div>
    </footer>"""

    def document(self, head: str, body_class: str, main: str) -> str:
        return f"""<!DOCTYPE html>
<html lang="en">
{head}
<body class="{body_class}">
<div class="gh-site">
    {self.header()}
    <main id="gh-main" class="gh-main">
{main}
    </main>
    {self.newsletter()}
    {self.footer()}
</div>
<script src="/assets/built/main.min.js?v=5f1c2a"></script>
</body>
</html>
"""

    def teaser(self, a: SampleArticle, *, href: str | None = None, comments: bool = False, image: bool = False) -> str:
        link = _attr(href or a.path)
        img = (
            f'\n            <img class="feed-image" src="{a.image}" alt="{_attr(a.title)}" loading="lazy">'
            if image
            else ""
        )
        com = f'\n            <a class="feed-comments" href="{a.path}#comments">Comments</a>' if comments else ""
        names = ", ".join(a.authors)
        return f"""        <article class="feed post">
            <a class="feed-link" href="{link}">{img}
                <h2 class="feed-title">{_esc(a.title)}</h2>
            </a>
            <p class="feed-excerpt">{_esc(a.description)}</p>
            <div class="feed-meta"><span class="feed-author">{_esc(names)}</span>
            <time datetime="{a.published_dt:%Y-%m-%d}">{_display_date(a.published_dt)}</time>
            <span class="feed-length">1 min read</span></div>{com}
        </article>"""

    # ---------------------------------------------------------------------------------------- articles
    def body_html(self, a: SampleArticle) -> str:
        paras: list[str] = []
        for text in a.paragraphs:
            out = _esc(text)
            for anchor, href in a.links:
                esc_anchor = _esc(anchor)
                if esc_anchor in out:
                    out = out.replace(esc_anchor, f'<a href="{_attr(href)}">{esc_anchor}</a>', 1)
            paras.append(f"<p>{out}</p>")
        if a.related and a.related in self.by_slug:
            rel = self.by_slug[a.related]
            pos = min(3, len(paras) - 1) if len(paras) > 1 else len(paras)
            paras.insert(pos, f'<p><a href="{rel.path}">{_esc(rel.title)}</a></p>')
        if a.tweet:
            t = a.tweet
            tweet = (
                '<figure class="kg-card kg-embed-card"><blockquote class="twitter-tweet">'
                f'<p lang="en" dir="ltr">{_esc(t.text)} <a href="https://t.co/{t.status[-10:]}">{_esc(t.pic)}</a></p>'
                f"&mdash; {_esc(t.name)} (@{_esc(t.handle)}) "
                f'<a href="https://twitter.com/{t.handle}/status/{t.status}?ref_src=twsrc%5Etfw">{_esc(t.date)}</a>'
                "</blockquote>\n"
                '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
                "</figure>"
            )
            paras.insert(min(2, len(paras)), tweet)
        return "\n".join("            " + p for p in paras)

    def article_jsonld(self, a: SampleArticle, canonical: str) -> dict[str, Any]:
        people = [
            {
                "@type": "Person",
                "name": name,
                "url": self.abs(f"/author/{slugify(name)}/"),
                "sameAs": [],
            }
            for name in a.authors
        ]
        return {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "publisher": {
                "@type": "Organization",
                "name": SITE_NAME,
                "url": self.abs("/"),
                "logo": {
                    "@type": "ImageObject",
                    "url": self.abs("/content/images/logo.png"),
                    "width": 96,
                    "height": 54,
                },
            },
            "author": people[0] if len(people) == 1 else people,
            "headline": a.title,
            "url": canonical,
            "datePublished": a.published,
            "dateModified": a.modified,
            "image": {"@type": "ImageObject", "url": self.abs(a.image), "width": 1200, "height": 675},
            "keywords": ", ".join(a.tags),
            "description": a.description,
            "mainEntityOfPage": canonical,
        }

    def article(self, a: SampleArticle) -> str:
        if self.template == APP_SHELL:
            return self.app_shell()
        canonical = self.abs(a.path)
        title = f"{a.title} | {SITE_NAME}"
        extra = (
            f'    <meta property="article:published_time" content="{a.published}">\n'
            f'    <meta property="article:modified_time" content="{a.modified}">\n'
            + "".join(f'    <meta property="article:tag" content="{_attr(t)}">\n' for t in a.tags)
            + "".join(f'    <meta name="author" content="{_attr(n)}">\n' for n in a.authors)
            + "    "
            + _jsonld(self.article_jsonld(a, canonical)).replace("\n", "\n    ")
            + "\n"
        )
        head = self.head(
            title=title,
            description=a.description,
            canonical=canonical,
            og_type="article",
            extra=extra,
            image=a.image,
        )
        img = f'<img src="{a.image}" alt="{_attr(a.title)}" width="1200" height="675">'
        if a.image_link:
            img = f'<a href="{a.image}" class="image-link">{img}</a>'
        caption = _esc(a.caption) + (f' <span class="credit">{_esc(a.credit)}</span>' if a.credit else "")
        cards = "\n".join(
            f"""            <section class="author-card">
                <img class="author-profile-image"
                     src="/content/images/avatars/{slugify(name)}.png" alt="Avatar">
                <div class="author-card-content">
                    <h4 class="author-card-name"><a href="/author/{slugify(name)}/">{_esc(name)}</a></h4>
                    <span class="author-card-role">Reporter</span>
                    <p class="author-card-bio">{_esc(_bio(a, i))}</p>
                    <a class="author-card-more" href="/author/{slugify(name)}/">Read more</a>
                </div>
            </section>"""
            for i, name in enumerate(a.authors)
        )
        share_url = _attr(quote(canonical, safe=""))
        sidebar_items = _sidebar(a, self.articles)
        sidebar = "\n".join(
            f"""            <div class="sidebar-post">
                <a class="sidebar-post-link" href="{self.abs(o.path)}">{_esc(o.title)}</a>
                <p class="sidebar-post-excerpt">{_esc(o.description)}</p>
            </div>"""
            for o in sidebar_items
        )
        tag_links = " ".join(f'<a href="/tag/{slugify(t)}/">{_esc(t)}</a>' for t in a.tags)
        main = f"""        <article class="gh-article post {" ".join("tag-" + s for s in a.tag_slugs)}">
        <header class="gh-article-header gh-canvas">
            <a class="gh-article-tag" href="/news-feed/">News Feed</a>
            <h1 class="gh-article-title">{_esc(a.title)}</h1>
            <div class="gh-article-meta">
                <time class="gh-article-meta-date"
                      datetime="{a.published_dt:%Y-%m-%d}">{_display_date(a.published_dt)}</time>
                <span class="gh-article-meta-length">1 min read</span>
            </div>
            <figure class="gh-article-image">
                {img}
                <figcaption>{caption}</figcaption>
            </figure>
        </header>
        <div class="gh-content gh-canvas">
{self.body_html(a)}
        </div>
        <footer class="gh-article-footer gh-canvas">
            <div class="article-tags">{tag_links}</div>
            <section class="share">
                <h4>{SHARE_PROMPT}</h4>
                <a class="share-twitter" href="https://twitter.com/intent/tweet?url={share_url}">Twitter</a>
                <a class="share-facebook" href="https://www.facebook.com/sharer/sharer.php?u={share_url}">Facebook</a>
                <a class="share-telegram" href="https://t.me/share/url?url={share_url}">Telegram</a>
                <p class="follow">{_esc(FOLLOW_PROMPT)}</p>
            </section>
{cards}
        </footer>
        </article>
        <aside class="gh-sidebar">
            <h3 class="sidebar-title"><a href="/news-feed/">News Feed</a></h3>
{sidebar}
            <div class="sidebar-video">
                <span class="sidebar-label">Video</span>
                <a href="{VIDEO_URL}">{_esc(VIDEO_TEASER)}</a>
            </div>
            <a class="load-more" href="/news-feed/">Show More</a>
        </aside>"""
        body_class = "post-template " + " ".join("tag-" + s for s in a.tag_slugs)
        return self.document(head, body_class, main)

    def app_shell(self) -> str:
        """An article page after a redesign that renders the story in the browser: the HTML holds only
        the site's chrome and a loading notice, the story comes from an API a crawler never calls."""
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
    <meta charset="utf-8">
    <title>{SITE_NAME}</title>
    <link rel="stylesheet" href="/assets/app/app.css">
</head>
<body>
<div id="app" class="app-shell">
    <nav><a href="/">Home</a> <a href="/news-feed/">News Feed</a></nav>
    <div class="loading">Loading the story…</div>
</div>
<noscript>Please enable JavaScript to read {SITE_NAME}.</noscript>
<script src="/assets/app/app.js"></script>
</body>
</html>
"""

    # ---------------------------------------------------------------------------------------- listings
    def listing_pages(
        self, base_path: str, items: Sequence[SampleArticle]
    ) -> list[tuple[str, list[SampleArticle], str | None, str | None]]:
        """(path, items, next_path, prev_path) for each page of a paginated listing."""
        chunks = [list(items[i : i + PER_PAGE]) for i in range(0, len(items), PER_PAGE)] or [[]]
        paths = [base_path] + [f"{base_path}page/{n}/" for n in range(2, len(chunks) + 1)]
        return [
            (paths[i], chunk, paths[i + 1] if i + 1 < len(paths) else None, paths[i - 1] if i else None)
            for i, chunk in enumerate(chunks)
        ]

    def listing(
        self,
        *,
        path: str,
        items: Sequence[SampleArticle],
        next_path: str | None,
        prev_path: str | None,
        title: str,
        heading: str,
        intro: str,
        jsonld: dict[str, Any],
        body_class: str,
        comments: bool = False,
    ) -> str:
        page_no = int(path.rstrip("/").rsplit("/", 1)[1]) if "/page/" in path else 1
        full_title = f"{title} (Page {page_no}) | {SITE_NAME}" if page_no > 1 else f"{title} | {SITE_NAME}"
        extra = ""
        if prev_path:
            extra += f'    <link rel="prev" href="{self.abs(prev_path)}">\n'
        if next_path:
            extra += f'    <link rel="next" href="{self.abs(next_path)}">\n'
        extra += "    " + _jsonld(jsonld).replace("\n", "\n    ") + "\n"
        head = self.head(title=full_title, description=intro, canonical=self.abs(path), og_type="website", extra=extra)
        teasers = "\n".join(self.teaser(a, comments=comments) for a in items)
        more = f'\n        <a class="load-more" href="{next_path}">Show More</a>' if next_path else ""
        main = f"""        <section class="gh-archive gh-canvas">
            <h1 class="gh-archive-title">{_esc(heading)}</h1>
            <p class="gh-archive-description">{_esc(intro)}</p>
        </section>
        <div class="gh-feed">
{teasers}
        </div>{more}"""
        return self.document(head, body_class, main)

    def home(self) -> str:
        items = self.newest[:6]
        extra = (
            "    "
            + _jsonld(
                {
                    "@context": "https://schema.org",
                    "@type": "WebSite",
                    "publisher": {"@type": "Organization", "name": SITE_NAME, "url": self.abs("/")},
                    "url": self.abs("/"),
                    "name": SITE_NAME,
                    "description": self.site_description,
                }
            ).replace("\n", "\n    ")
            + "\n"
        )
        head = self.head(
            title=SITE_NAME,
            description=self.site_description,
            canonical=self.abs("/"),
            og_type="website",
            extra=extra,
        )
        teasers: list[str] = []
        for i, a in enumerate(items):
            if i == 0:
                teasers.append(self.teaser(a, href=a.path + TRACKING_QUERY, image=True, comments=True))
            elif i == 1:
                teasers.append(self.teaser(a, href=self.abs(a.path), comments=True))
            else:
                teasers.append(self.teaser(a, comments=True))
        pick = ""
        if self.editors_pick:
            chosen = self.go_ids[self.editors_pick]
            pick = f"""
        <section class="editors-pick">
            <h3>Editor’s pick</h3>
            <a href="/go/{self.editors_pick}">{_esc(chosen.title)}</a>
        </section>"""
        main = f"""        <section class="home-top gh-canvas">
            <h2 class="home-section-title"><a href="/news-feed/">News Feed</a></h2>
        </section>
        <div class="gh-feed">
{chr(10).join(teasers)}
        </div>
        <a class="load-more" href="/news-feed/">Show More</a>{pick}
        <section class="home-extras">
            <h3>Documents</h3>
            <ul>
                <li><a href="{PDF_PATH}">Alna River flood defences: the full report (PDF)</a></li>
                <li><a href="/content/images/logo.png">Download our logo</a></li>
                <li><a href="{MISSING_PATH}">Correction: an earlier story on the port strike</a></li>
                <li><a href="{EXTERNAL_HOST}/world/valdoria-elections-explained/"
                    >Elsewhere: Valdoria’s elections explained</a></li>
            </ul>
        </section>"""
        return self.document(head, "home-template", main)

    # ------------------------------------------------------------------------------------- feeds & xml
    def rss(self) -> str:
        items: list[str] = []
        for a in self.newest:
            cats = "".join(f"<category><![CDATA[{t}]]></category>" for t in a.tags)
            content = f'<img src="{self.abs(a.image)}" alt="{_attr(a.title)}">' + "".join(
                f"<p>{_esc(p)}</p>" for p in a.paragraphs
            )
            items.append(
                f"<item><title><![CDATA[{a.title}]]></title>"
                f"<description><![CDATA[{a.description}]]></description>"
                f"<link>{_esc(self.abs(a.path))}</link>"
                f'<guid isPermaLink="false">{hashlib.sha1(a.slug.encode()).hexdigest()[:24]}</guid>'
                f"{cats}<dc:creator><![CDATA[{', '.join(a.authors)}]]></dc:creator>"
                f"<pubDate>{_http_date(a.published_dt)}</pubDate>"
                f'<media:content url="{_attr(self.abs(a.image))}" medium="image"/>'
                f"<content:encoded><![CDATA[{content}]]></content:encoded></item>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:atom="http://www.w3.org/2005/Atom" version="2.0" xmlns:media="http://search.yahoo.com/mrss/">'
            f"<channel><title><![CDATA[{SITE_NAME}]]></title>"
            f"<description><![CDATA[{self.site_description}]]></description>"
            f"<link>{_esc(self.abs('/'))}</link>"
            f"<image><url>{_esc(self.abs('/content/images/logo.png'))}</url><title>{SITE_NAME}</title>"
            f"<link>{_esc(self.abs('/'))}</link></image>"
            f"<generator>Ghost 5.54</generator><lastBuildDate>{_http_date(self.now)}</lastBuildDate>"
            f'<atom:link href="{_attr(self.abs("/rss/"))}" rel="self" type="application/rss+xml"/>'
            "<ttl>60</ttl>" + "".join(items) + "</channel></rss>\n"
        )

    def sitemap_index(self) -> str:
        entries = "".join(
            f"<sitemap><loc>{_esc(self.abs('/' + name))}</loc>"
            f"<lastmod>{self.last_change.isoformat()}</lastmod></sitemap>"
            for name in ("sitemap-posts.xml", "sitemap-news.xml", "sitemap-tags.xml", "sitemap-authors.xml")
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>\n'
        )

    def sitemap_posts(self) -> str:
        urls = "".join(
            f"<url><loc>{_esc(self.abs(a.path))}</loc><lastmod>{a.modified}</lastmod>"
            f"<image:image><image:loc>{_esc(self.abs(a.image))}</image:loc>"
            f"<image:caption>{_esc(a.caption)}</image:caption></image:image></url>"
            for a in self.newest
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">'
            f"{urls}</urlset>\n"
        )

    def sitemap_news(self) -> str:
        urls = "".join(
            f"<url><loc>{_esc(self.abs(a.path))}</loc><news:news><news:publication>"
            f"<news:name>{SITE_NAME}</news:name><news:language>en</news:language></news:publication>"
            f"<news:publication_date>{a.published}</news:publication_date>"
            f"<news:title>{_esc(a.title)}</news:title>"
            f"<news:keywords>{_esc(', '.join(a.tags))}</news:keywords>"
            "</news:news></url>"
            for a in self.newest
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"{urls}</urlset>\n"
        )

    def sitemap_simple(self, paths: Iterable[tuple[str, datetime]]) -> str:
        urls = "".join(
            f"<url><loc>{_esc(self.abs(p))}</loc><lastmod>{dt.isoformat()}</lastmod></url>" for p, dt in paths
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
        )

    def robots(self) -> str:
        return (
            "User-agent: *\n"
            f"Sitemap: {self.abs('/sitemap.xml')}\n"
            "Disallow: /ghost/\n"
            "Disallow: /email/\n"
            "Disallow: /members/api/comments/counts/\n"
            "Disallow: /r/\n"
            "Disallow: /private/\n"
        )

    def simple_page(self, *, path: str, title: str, heading: str, text: str, robots: str | None = None) -> str:
        extra = f'    <meta name="robots" content="{robots}">\n' if robots else ""
        head = self.head(
            title=f"{title} | {SITE_NAME}",
            description=text,
            canonical=self.abs(path),
            og_type="website",
            extra=extra,
        )
        main = f"""        <section class="gh-canvas">
            <h1>{_esc(heading)}</h1>
            <p>{_esc(text)}</p>
            <p><a href="/">Go to the front page →</a></p>
        </section>"""
        return self.document(head, "page-template", main)

    def not_found(self) -> str:
        return self.simple_page(
            path="/404/",
            title="Page not found",
            heading="404 — Page not found",
            text="The page you were looking for does not exist or has been removed.",
            robots="noindex",
        )

    def redirect_body(self, location: str) -> str:
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            "<title>Moved Permanently</title></head>"
            f'<body><p>Moved Permanently. Redirecting to <a href="{_attr(location)}">{_esc(location)}</a></p>'
            "</body></html>\n"
        )

    # -------------------------------------------------------------------------------------------- routes
    def routes(self) -> dict[str, _Resource]:
        r: dict[str, _Resource] = {}

        def page(path: str, text: str, modified: datetime, content_type: str = HTML_UTF8) -> None:
            r[path] = _Resource(200, content_type, text.encode("utf-8"), modified)

        def redirect(path: str, target: str) -> None:
            location = self.abs(target)
            r[path] = _Resource(301, HTML_UTF8, self.redirect_body(location).encode("utf-8"), None, location)

        page("/", self.home(), self.last_change)
        for path, items, nxt, prev in self.listing_pages("/news-feed/", self.newest):
            page(
                path,
                self.listing(
                    path=path,
                    items=items,
                    next_path=nxt,
                    prev_path=prev,
                    title="News Feed",
                    heading="News Feed",
                    intro="The latest news from Valdoria and the region, as it happens.",
                    jsonld={
                        "@context": "https://schema.org",
                        "@type": "CollectionPage",
                        "url": self.abs(path),
                        "name": "News Feed",
                        "publisher": {"@type": "Organization", "name": SITE_NAME},
                    },
                    body_class="tag-template tag-news-feed",
                    comments=True,
                ),
                self.last_change,
            )
        redirect("/news-feed/page/1/", "/news-feed/")
        for slug, name in self.tags.items():
            items = [a for a in self.newest if slug in a.tag_slugs]
            changed = max(a.modified_dt for a in items)
            for path, chunk, nxt, prev in self.listing_pages(f"/tag/{slug}/", items):
                page(
                    path,
                    self.listing(
                        path=path,
                        items=chunk,
                        next_path=nxt,
                        prev_path=prev,
                        title=name,
                        heading=name,
                        intro=f"All stories tagged {name}.",
                        jsonld={
                            "@context": "https://schema.org",
                            "@type": "Series",
                            "url": self.abs(path),
                            "name": name,
                            "publisher": {"@type": "Organization", "name": SITE_NAME},
                        },
                        body_class=f"tag-template tag-{slug}",
                    ),
                    changed,
                )
        for slug, name in self.authors.items():
            items = [a for a in self.newest if slug in a.author_slugs]
            changed = max(a.modified_dt for a in items)
            bio = self.bios.get(name, f"{name} is a reporter at {SITE_NAME}.")
            for path, chunk, nxt, prev in self.listing_pages(f"/author/{slug}/", items):
                page(
                    path,
                    self.listing(
                        path=path,
                        items=chunk,
                        next_path=nxt,
                        prev_path=prev,
                        title=name,
                        heading=f"{name} · Reporter",
                        intro=bio,
                        jsonld={
                            "@context": "https://schema.org",
                            "@type": "Person",
                            "name": name,
                            "url": self.abs(path),
                            "description": bio,
                            "mainEntityOfPage": {"@type": "WebPage", "@id": self.abs(path)},
                        },
                        body_class=f"author-template author-{slug}",
                    ),
                    changed,
                )
        for a in self.articles:
            text = self.article(a)
            page(a.path, text, a.modified_dt, "text/html" if a.no_charset_header else HTML_UTF8)
            page(a.path + "amp/", text, a.modified_dt, "text/html" if a.no_charset_header else HTML_UTF8)
            r[a.image] = _Resource(200, "image/png", _png_for(a.slug), a.published_dt)
        for n, a in self.go_ids.items():
            redirect(f"/go/{n}", a.path)
        for slug in self.authors:
            r[f"/content/images/avatars/{slug}.png"] = _Resource(200, "image/png", _png_for(slug, 32, 32), self.epoch)
        r["/content/images/logo.png"] = _Resource(200, "image/png", _png_for(SITE_NAME), self.epoch)
        page("/rss/", self.rss(), self.last_change, RSS_UTF8)
        page("/sitemap.xml", self.sitemap_index(), self.last_change, XML_UTF8)
        page("/sitemap-posts.xml", self.sitemap_posts(), self.last_change, XML_UTF8)
        page("/sitemap-news.xml", self.sitemap_news(), self.last_change, XML_UTF8)
        tag_mod = {s: max(a.modified_dt for a in self.articles if s in a.tag_slugs) for s in self.tags}
        page(
            "/sitemap-tags.xml",
            self.sitemap_simple((f"/tag/{s}/", tag_mod[s]) for s in sorted(self.tags)),
            self.last_change,
            XML_UTF8,
        )
        auth_mod = {s: max(a.modified_dt for a in self.articles if s in a.author_slugs) for s in self.authors}
        page(
            "/sitemap-authors.xml",
            self.sitemap_simple((f"/author/{s}/", auth_mod[s]) for s in sorted(self.authors)),
            self.last_change,
            XML_UTF8,
        )
        page("/robots.txt", self.robots(), self.epoch, "text/plain; charset=utf-8")
        page(
            PRIVATE_PATH,
            self.simple_page(
                path=PRIVATE_PATH,
                title="Staff area",
                heading="Staff area",
                text="Internal planning notes. This page is disallowed by robots.txt and must never be crawled.",
                robots="noindex, nofollow",
            ),
            self.epoch,
        )
        r[PDF_PATH] = _Resource(200, "application/pdf", PDF_FILE.read_bytes(), self.epoch)
        page(
            "/assets/built/screen.css",
            "body{font-family:Georgia,serif;margin:0}.gh-canvas{max-width:720px;margin:0 auto}\n",
            self.epoch,
            "text/css; charset=utf-8",
        )
        page(
            "/assets/built/main.min.js",
            "/* sample site: no scripts */\n",
            self.epoch,
            "application/javascript",
        )
        return r


# ------------------------------------------------------------------------------------------------ server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], site: SampleSite) -> None:
        self.site = site
        super().__init__(address, _Handler)


def _accepts_gzip(header: str | None) -> bool:
    if not header:
        return False
    for part in header.split(","):
        token, _, params = part.strip().partition(";")
        if token.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            return True
    return False


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(","))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def version_string(self) -> str:
        return "SampleSite/1.0"

    def date_time_string(self, timestamp: float | None = None) -> str:
        return self.server.site._date_header

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def _respond(self, *, head: bool) -> None:
        site = self.server.site
        site._record(self.command, self.path, dict(self.headers.items()))
        res = site._resolve(urlsplit(self.path).path or "/", urlsplit(self.path).query)
        if res.status == 200 and self._not_modified(res):
            self.send_response(304)
            self.send_header("ETag", res.etag)
            if res.last_modified:
                self.send_header("Last-Modified", _http_date(res.last_modified))
            self.send_header("Cache-Control", "public, max-age=0")
            self.send_header("Vary", "Accept-Encoding")
            self.end_headers()
            return
        body = res.body
        gzipped = res.compressible and _accepts_gzip(self.headers.get("Accept-Encoding"))
        if gzipped:
            body = res.gzip_body()
        self.send_response(res.status)
        self.send_header("Content-Type", res.content_type)
        self.send_header("Content-Length", str(len(body)))
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        if res.compressible:
            self.send_header("Vary", "Accept-Encoding")
        if res.location:
            self.send_header("Location", res.location)
        if res.last_modified:
            self.send_header("Last-Modified", _http_date(res.last_modified))
        if res.etag:
            self.send_header("ETag", res.etag)
        self.send_header("Cache-Control", "public, max-age=0" if res.status == 200 else "no-cache")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _not_modified(self, res: _Resource) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return _etag_matches(inm, res.etag)
        ims = self.headers.get("If-Modified-Since")
        if ims and res.last_modified:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            return res.last_modified.replace(microsecond=0) <= since
        return False


class SampleSite:
    """The sample news site on a real HTTP server (a daemon thread); use as a context manager."""

    SITE_CLUTTER: tuple[str, ...] = (
        MEMBERS_COUNT,
        MEMBERS_THANKS,
        JOIN_TEXT,
        "News Feed",
        "1 min read",
        "Show More",
        "Read more",
        "Avatar",
        "Reporter",
        SHARE_PROMPT,
        FOLLOW_PROMPT,
        NEWSLETTER_TITLE,
        NEWSLETTER_TEXT,
        VIDEO_TEASER,
    )
    # Paths that exist but are disallowed by robots.txt (a polite crawler never requests them).
    DISALLOWED_PATHS: tuple[str, ...] = (PRIVATE_PATH,)
    MISSING_PATH: str = MISSING_PATH
    PDF_PATH: str = PDF_PATH
    EXTERNAL_HOST: str = EXTERNAL_HOST

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        articles: list[SampleArticle] | None = None,
        template: str = GHOST,
    ) -> None:
        if template not in TEMPLATES:
            raise ValueError(f"template {template!r} is not one of {', '.join(TEMPLATES)}")
        self.host = host
        self.port = port
        self.template = template
        self.articles: list[SampleArticle] = list(articles) if articles is not None else load_articles()
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._routes: dict[str, _Resource] = {}
        self._not_found: _Resource | None = None
        self._date_header = ""
        self._url: str | None = None

    # ------------------------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        """``http://HOST:PORT`` without a trailing slash; valid after ``start()``."""
        if self._url is None:
            raise RuntimeError("SampleSite.url is only known after start()")
        return self._url

    def start(self) -> SampleSite:
        if self._server is not None:
            return self
        server = _Server((self.host, self.port), self)
        host, port = server.server_address[:2]
        self.port = int(port)
        self._url = f"http://{host if isinstance(host, str) else self.host}:{self.port}"
        renderer = _Renderer(self._url, self.articles, _load_data(), self.template)
        self._routes = renderer.routes()
        self._not_found = _Resource(404, HTML_UTF8, renderer.not_found().encode("utf-8"))
        self._date_header = _http_date(renderer.now)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sample-site-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> SampleSite:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -------------------------------------------------------------------------------------- helpers
    def routes(self) -> list[str]:
        """Every path the site answers with 200 or 301 (after start)."""
        return sorted(self._routes)

    def article_url(self, article: SampleArticle) -> str:
        return self.url + article.path

    def requested_paths(self) -> list[str]:
        """Paths (with query) of every request received so far."""
        with self._lock:
            return [path for _, path, _ in self.requests]

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def _record(self, method: str, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append((method, path, headers))

    def _resolve(self, path: str, query: str) -> _Resource:
        res = self._routes.get(path)
        if res is not None:
            return res
        if not path.endswith("/") and path + "/" in self._routes:
            location = self.url + path + "/" + (f"?{query}" if query else "")
            body = f'<!DOCTYPE html><p>Moved Permanently: <a href="{_attr(location)}">here</a></p>\n'
            return _Resource(301, HTML_UTF8, body.encode(), None, location)
        assert self._not_found is not None
        return self._not_found


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m archive.sample_site", description=f"Serve {SITE_NAME} locally.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    site = SampleSite(host=args.host, port=args.port).start()
    print(f"{SITE_NAME} at {site.url}/  (news feed: {site.url}/news-feed/, Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
