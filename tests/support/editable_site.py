"""A news site on 127.0.0.1 whose articles a test edits between crawls.

A paginated listing (``/news/``, ``/news/page/N/``, newest first), an RSS feed (``/feed.xml``) and
article pages with JSON-LD, an ``ETag`` and a ``Last-Modified`` that answer conditional requests
with ``304``. Each page may carry clutter inside its ``<article>`` (a most-read list, an "updated
N minutes ago" line, a view counter, related stories) that a test rotates without touching the
story. Old URLs can redirect (301) to new ones, and a path can ignore validators (always 200).
Every request is logged with its answer (``log``), so a test counts full downloads and 304s.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import threading
from dataclasses import dataclass, field, replace
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

PAGE_SIZE = 3


@dataclass(frozen=True)
class Story:
    slug: str
    title: str
    paragraphs: tuple[str, ...]
    author: str
    published: dt.datetime
    modified: dt.datetime | None = None
    clutter: int = 0  # which rotation of the clutter the page shows
    bare: bool = False  # the page declares no title and no date (the news sitemap has them)
    keywords: tuple[str, ...] = ()  # declared in the page's JSON-LD

    @property
    def path(self) -> str:
        return f"/{self.published:%Y/%m}/{self.slug}/"

    @property
    def updated(self) -> dt.datetime:
        return self.modified or self.published


@dataclass(frozen=True)
class Hit:
    path: str
    status: int
    conditional: bool  # the request carried If-None-Match or If-Modified-Since


def _clutter(rotation: int) -> str:
    return f"""
      <p class="updated-ago">Updated {rotation * 7 + 5} minutes ago</p>
      <div class="view-counter">{1000 + rotation * 337} views</div>
      <aside class="most-read"><h3>Most read</h3><ol>
        <li><a href="/2020/01/most-read-{rotation}-a/">Most read story {rotation} a</a></li>
        <li><a href="/2020/01/most-read-{rotation}-b/">Most read story {rotation} b</a></li></ol></aside>
      <div class="related-stories"><h3>Related stories</h3>
        <a href="/2020/01/related-{rotation}/">A related story number {rotation}</a></div>"""


def render_article(story: Story) -> bytes:
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.title,
        "datePublished": story.published.isoformat(),
        "author": {"@type": "Person", "name": story.author},
    }
    if story.modified:
        ld["dateModified"] = story.modified.isoformat()
    if story.keywords:
        ld["keywords"] = list(story.keywords)
    body = "\n".join(f"      <p>{html.escape(p)}</p>" for p in story.paragraphs)
    head = f"<title>{html.escape(story.title)} | Editable News</title>\n"
    head += f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    heading = f"<h1>{html.escape(story.title)}</h1>"
    if story.bare:
        head, heading = "", ""
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">{head}</head>
<body><header><a href="/">Editable News</a> <a href="/news/">News</a></header>
<main><article class="story">
      {heading}
      <p class="byline">By {html.escape(story.author)}</p>
{body}
{_clutter(story.clutter)}
</article></main><footer>© Editable News</footer></body></html>"""
    return page.encode()


class EditableSite:
    """The site, served on a thread while the context is open."""

    def __init__(self, stories: list[Story]) -> None:
        self.stories: dict[str, Story] = {s.slug: s for s in stories}
        self.redirects: dict[str, str] = {}  # old path -> slug of the story it now is
        self.ignore_validators: set[str] = set()  # slugs whose pages answer 200 whatever was sent
        self.news_titles: dict[str, str] = {}  # slug -> the news sitemap's title, when not the page's
        self.listing_extra: list[str] = []  # paths linked from the first listing page besides its stories
        self.log: list[Hit] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> EditableSite:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- what a test does between crawls --------------------------------------------------------
    def edit(self, slug: str, **changes: Any) -> Story:
        with self._lock:
            self.stories[slug] = replace(self.stories[slug], **changes)
            return self.stories[slug]

    def add(self, story: Story) -> None:
        with self._lock:
            self.stories[story.slug] = story

    def hits(self, path: str) -> list[Hit]:
        return [h for h in self.log if h.path == path]

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    # -- serving --------------------------------------------------------------------------------
    def newest_first(self) -> list[Story]:
        return sorted(self.stories.values(), key=lambda s: s.published, reverse=True)

    def _listing(self, page: int) -> bytes:
        stories = self.newest_first()[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        links = [f'<li><h2><a href="{s.path}">{html.escape(s.title)}</a></h2></li>' for s in stories]
        if page == 1:
            links += [f'<li><h2><a href="{p}">A story under an old address</a></h2></li>' for p in self.listing_extra]
        more = ""
        if page * PAGE_SIZE < len(self.stories):
            more = f'<a class="load-more" rel="next" href="/news/page/{page + 1}/">Show More</a>'
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>News Feed | Editable News</title>'
            '<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body><h1>News Feed</h1>'
            f"<ul>{''.join(links)}</ul>{more}</body></html>"
        ).encode()

    def _feed(self, base: str) -> bytes:
        items = "".join(
            f"<item><title>{html.escape(s.title)}</title><link>{base}{s.path}</link>"
            f"<pubDate>{format_datetime(s.updated)}</pubDate></item>"
            for s in self.newest_first()[:PAGE_SIZE]
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Editable News</title>'
            f"<link>{base}/</link><description>news</description>{items}</channel></rss>"
        ).encode()

    def _news_sitemap(self, base: str) -> bytes:
        """A Google News sitemap: ``news:publication_date`` (the story's latest date, as sites that
        re-date an update do), ``news:title``, ``news:keywords``; no ``lastmod``."""
        urls = "".join(
            f"<url><loc>{base}{s.path}</loc><news:news><news:publication><news:name>Editable News</news:name>"
            f"<news:language>en</news:language></news:publication>"
            f"<news:publication_date>{s.updated.isoformat()}</news:publication_date>"
            f"<news:title>{html.escape(self.news_titles.get(s.slug, s.title))}</news:title>"
            "<news:keywords>council, vote</news:keywords>"
            "</news:news></url>"
            for s in self.newest_first()
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>'
        ).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                status, headers, body = self._answer(path)
                conditional = bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))
                with site._lock:
                    site.log.append(Hit(path, status, conditional))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
                html_type = {"Content-Type": "text/html; charset=utf-8"}
                if path in ("/news/", "/"):
                    return self._validated(html_type, site._listing(1))
                if path.startswith("/news/page/"):
                    return self._validated(html_type, site._listing(int(path.strip("/").rsplit("/", 1)[-1])))
                if path == "/news-sitemap.xml":
                    return self._validated({"Content-Type": "application/xml"}, site._news_sitemap(site.url))
                if path == "/feed.xml":
                    return self._validated({"Content-Type": "application/rss+xml"}, site._feed(site.url))
                if path in site.redirects:
                    return 301, {"Location": site.url + site.stories[site.redirects[path]].path}, b""
                story = next((s for s in site.stories.values() if s.path == path), None)
                if story is None:
                    return 404, html_type, b"<html><body>not found</body></html>"
                last_modified = {"Last-Modified": format_datetime(story.updated, usegmt=True)}
                if story.slug in site.ignore_validators:
                    return 200, {**html_type, **last_modified}, render_article(story)
                return self._validated({**html_type, **last_modified}, render_article(story))

            def _validated(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
                """200 with an ETag of the body, or 304 when the request names it."""
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    return 304, {"ETag": etag}, b""
                return 200, {**headers, "ETag": etag}, body

        return Handler


@dataclass
class Newsroom:
    """Stories of the site, by age at the first crawl."""

    first_crawl: dt.datetime
    stories: list[Story] = field(default_factory=list)

    def story(self, slug: str, days_old: float, paragraphs: int = 4) -> Story:
        published = self.first_crawl - dt.timedelta(days=days_old)
        text = tuple(
            f"Paragraph {n} of the story {slug.replace('-', ' ')} tells readers what the council decided "
            f"on the {n}th item of its agenda, and why the vote was closer than expected this time."
            for n in range(1, paragraphs + 1)
        )
        made = Story(slug, f"The story of {slug.replace('-', ' ')}", text, "Jane Reporter", published)
        self.stories.append(made)
        return made
