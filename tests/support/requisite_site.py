"""A news site on 127.0.0.1 whose articles look like real ones only with their page requisites.

Two origins, each its own server: the site and a "CDN" on another port (another origin). Every
article page loads, as a browser reads it:

- ``/static/site.css`` (shared by every page), which ``@import``\\s ``/static/base.css`` and
  names a web font (``/static/fonts/headline.ttf``) and a background image
  (``/static/img/paper.png``) by ``url()``;
- ``<CDN>/cdn/theme.css`` (another origin), whose ``url()`` names ``<CDN>/cdn/masthead.png``;
- a favicon (``<link rel=icon>``), a lead image with three ``srcset`` candidates, an inline
  ``<picture>`` with a ``<source>`` and its ``<img>``;
- ``/static/panel.js``, a script that builds a visible panel (``#panel``) of the page;
- as pages tuned for speed load them: ``/static/late.css`` by ``<link rel=preload as=style>``
  that its ``onload`` turns into a stylesheet (loadCSS; no ``<noscript>`` fallback), and a
  lazy-loaded map whose ``data-src``/``data-srcset`` (two candidates) ``panel.js`` moves into
  ``src``/``srcset`` (lazysizes' convention) in place of a placeholder ``data:`` image;
- a byline icon that ``base.css`` names by ``image-set("pen.png" 1x, "pen-2x.png" 2x)``: bare
  strings, no ``url()``, and a screen of another pixel density loads the other one.

``/news/2026/live-results/`` is a page whose story only a script builds: its HTML holds the
masthead and an empty container that ``/static/story.js`` fills from ``/api/stories/live-results.json``.

Every answer carries an ``ETag`` and a ``Last-Modified`` and answers a conditional request that
matches with ``304``. Every request is logged (``log``) with the origin that answered it, so a test
counts full downloads, 304s, and requests that reach the live site during a replay.
"""

from __future__ import annotations

import hashlib
import html
import json
import struct
import threading
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

SITE_NAME = "The Requisite Times"
MASTHEAD_LINE = "The Requisite Times: independent news since 1901"
LAST_MODIFIED = "Tue, 01 Dec 2026 08:00:00 GMT"
# A lazy image's stand-in until its script sets the real source: a transparent GIF pixel.
_PLACEHOLDER = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

# Fonts a Debian machine with Chromium has (fontconfig pulls in DejaVu); the first found is served.
_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf"),
)


@dataclass(frozen=True)
class Story:
    slug: str
    title: str
    paragraphs: tuple[str, ...]
    author: str = "Ada Quill"

    @property
    def path(self) -> str:
        return f"/news/2026/{self.slug}/"


STORIES = (
    Story(
        "harbour-bridge-reopens",
        "Harbour bridge reopens after two years of repairs",
        (
            "The harbour bridge reopened to traffic on Monday morning after two years of repairs that "
            "replaced every one of its four hundred cables and most of the deck beneath them.",
            "Engineers said the new cables should last a century. The first cars crossed at six, and by "
            "noon the queue at the toll gate had reached the old fish market.",
            "The city will keep the bridge's pedestrian lane closed until the paint on the railings dries.",
        ),
    ),
    Story(
        "council-budget-vote",
        "Council passes a budget with more for libraries",
        (
            "The city council passed next year's budget by nine votes to four on Tuesday, with a third "
            "more money for libraries than this year and a little less for road resurfacing.",
            "The mayor said the libraries had earned it: visits rose by a fifth last year, most of them "
            "by schoolchildren doing homework after the reading rooms began opening until nine.",
        ),
    ),
)

API_STORY = Story(
    "live-results",
    "Election night: the results as they came in",
    (
        "Polls closed at ten, and the first district to report was the harbour ward, where turnout "
        "reached seventy-one percent, the highest in a generation.",
        "By midnight the count in the hill wards had turned the race, and the challenger conceded "
        "shortly before one in the morning.",
    ),
)


def png(width: int, height: int, rgb: tuple[int, int, int], stripe: tuple[int, int, int] | None = None) -> bytes:
    """A real PNG of one colour, with horizontal stripes of another every eight rows when given."""
    rows = bytearray()
    for y in range(height):
        colour = stripe if stripe is not None and (y // 8) % 2 else rgb
        rows += b"\x00" + bytes(colour) * width

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes(rows), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def web_font() -> bytes:
    for candidate in _FONT_CANDIDATES:
        if candidate.is_file():
            return candidate.read_bytes()
    raise FileNotFoundError("no TrueType font found to serve as the site's web font (install fonts-dejavu-core)")


@dataclass(frozen=True)
class Hit:
    origin: str  # "site" or "cdn"
    path: str
    status: int
    conditional: bool


class RequisiteSite:
    """The site and its CDN, each served on a thread while the context is open."""

    def __init__(self) -> None:
        self.log: list[Hit] = []
        self.edition = 1  # the listing's "edition" line: a test bumps it to make the listing new
        self.revision = 1  # past 1, the articles carry a correction: a test bumps it to edit them
        self._lock = threading.Lock()
        self._site = ThreadingHTTPServer(("127.0.0.1", 0), self._handler("site"))
        self._cdn = ThreadingHTTPServer(("127.0.0.1", 0), self._handler("cdn"))
        self._threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (self._site, self._cdn)]
        self._resources = {"site": self._site_resources(), "cdn": self._cdn_resources()}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._site.server_address[1]}"

    @property
    def cdn_url(self) -> str:
        return f"http://127.0.0.1:{self._cdn.server_address[1]}"

    @property
    def listing_url(self) -> str:
        return f"{self.url}/news/"

    def article_urls(self) -> list[str]:
        return [f"{self.url}{story.path}" for story in (*STORIES, API_STORY)]

    def requisites_of(self, article_url: str) -> set[str]:
        """Every URL the page needs to look as it does: what a browser loads for it, and every
        ``srcset`` candidate (a browser of another width loads another one)."""
        # What every page's <head> and its stylesheets load.
        shared = {
            f"{self.url}/static/site.css",
            f"{self.url}/static/base.css",
            f"{self.url}/static/fonts/headline.ttf",
            f"{self.url}/static/img/paper.png",
            f"{self.cdn_url}/cdn/theme.css",
            f"{self.cdn_url}/cdn/masthead.png",
            f"{self.url}/static/img/icon.png",
            f"{self.url}/static/late.css",
            # base.css's image-set(): every page loads base.css, and whether a byline there uses it
            # is the browser's call.
            f"{self.url}/static/img/pen.png",
            f"{self.url}/static/img/pen-2x.png",
        }
        if article_url == f"{self.url}{API_STORY.path}":
            return shared | {f"{self.url}/static/story.js", f"{self.url}/api/stories/{API_STORY.slug}.json"}
        images = ("lead-400", "lead-800", "lead-1600", "inline-wide", "inline", "map", "map-1400")
        return shared | {f"{self.url}/img/{name}.png" for name in images} | {f"{self.url}/static/panel.js"}

    def resource(self, url: str) -> tuple[str, bytes] | None:
        """(Content-Type, body) the site or its CDN serves at *url*, read without a request."""
        for origin, base in (("site", self.url), ("cdn", self.cdn_url)):
            if url.startswith(base + "/"):
                path = url[len(base) :]
                if origin == "site" and path == "/news/":  # its edition changes: made for each answer
                    return ("text/html; charset=utf-8", self._listing())
                story = next((s for s in STORIES if s.path == path), None)
                if origin == "site" and story is not None:  # as edited now
                    return ("text/html; charset=utf-8", self._article(story))
                return self._resources[origin].get(path)
        return None

    def hits(self, origin: str | None = None) -> list[Hit]:
        with self._lock:
            return [hit for hit in self.log if origin is None or hit.origin == origin]

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    def __enter__(self) -> RequisiteSite:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for server in (self._site, self._cdn):
            server.shutdown()
            server.server_close()

    # -- content -----------------------------------------------------------------------------
    def _head(self, title: str, script: str) -> str:
        return f"""<meta charset="utf-8">
<title>{html.escape(title)} | {SITE_NAME}</title>
<link rel="stylesheet" href="/static/site.css">
<link rel="stylesheet" href="{self.cdn_url}/cdn/theme.css">
<link rel="icon" type="image/png" href="/static/img/icon.png">
<link rel="preload" as="style" href="/static/late.css" onload="this.onload=null;this.rel='stylesheet'">
<script src="{script}" defer></script>"""

    def _masthead(self) -> str:
        return f'<header class="masthead"><a href="/news/">{html.escape(MASTHEAD_LINE)}</a></header>'

    def _article(self, story: Story) -> bytes:
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": story.title,
            "datePublished": "2026-12-01T08:00:00+00:00",
            "author": {"@type": "Person", "name": story.author},
        }
        paragraphs = story.paragraphs
        if self.revision > 1:
            paragraphs += (f"Correction (revision {self.revision}): an earlier version misstated a date.",)
        body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        page = f"""<!doctype html>
<html lang="en"><head>{self._head(story.title, "/static/panel.js")}
<script type="application/ld+json">{json.dumps(ld)}</script></head>
<body>{self._masthead()}
<main><article class="story">
<h1>{html.escape(story.title)}</h1>
<p class="byline">By {html.escape(story.author)}</p>
<img class="lead" src="/img/lead-800.png" alt="The scene"
     srcset="/img/lead-400.png 400w, /img/lead-800.png 800w, /img/lead-1600.png 1600w"
     sizes="(max-width: 700px) 100vw, 700px">
{body}
<picture class="inline">
  <source media="(min-width: 600px)" srcset="/img/inline-wide.png">
  <img src="/img/inline.png" alt="A chart">
</picture>
<img class="map lazy" src="{_PLACEHOLDER}" data-src="/img/map.png" alt="The route"
     data-srcset="/img/map.png 700w, /img/map-1400.png 1400w" sizes="(max-width: 700px) 100vw, 700px"
     width="700" height="160">
<div id="panel" class="panel"></div>
</article></main>
<footer>© {SITE_NAME}</footer></body></html>"""
        return page.encode()

    def _api_page(self) -> bytes:
        page = f"""<!doctype html>
<html lang="en"><head>{self._head(API_STORY.title, "/static/story.js")}</head>
<body>{self._masthead()}
<main><article class="story" id="story" data-src="/api/stories/{API_STORY.slug}.json"></article></main>
<footer>© {SITE_NAME}</footer></body></html>"""
        return page.encode()

    def _listing(self) -> bytes:
        stories = (*STORIES, API_STORY)
        items = "\n".join(f'<li><h2><a href="{s.path}">{html.escape(s.title)}</a></h2></li>' for s in stories)
        page = f"""<!doctype html>
<html lang="en"><head>{self._head("News", "/static/panel.js")}</head>
<body>{self._masthead()}<main><h1>News</h1><p class="edition">Edition {self.edition}</p>
<ul class="feed">{items}</ul></main></body></html>"""
        return page.encode()

    def _site_resources(self) -> dict[str, tuple[str, bytes]]:
        site_css = b"""@import url("/static/base.css");
@font-face { font-family: "Headline"; src: url("/static/fonts/headline.ttf") format("truetype"); }
body { background: #f4efe3 url("/static/img/paper.png") repeat; margin: 0; }
h1 { font-family: "Headline", serif; font-size: 40px; color: #7a1f1f; }
"""
        base_css = b"""main { max-width: 700px; margin: 0 auto; padding: 16px; font: 18px/1.5 sans-serif; color: #222; }
img.lead, img.map { width: 100%; height: auto; display: block; }
.panel { background: #1f5f7a; color: #fff; padding: 24px; font-weight: bold; min-height: 60px; }
footer { text-align: center; padding: 24px; }
.byline { padding-left: 28px; background: no-repeat left center / 20px 20px
  image-set("/static/img/pen.png" 1x, "/static/img/pen-2x.png" 2x); }
"""
        panel_js = b"""document.addEventListener("DOMContentLoaded", function () {
  var panel = document.getElementById("panel");
  if (panel) { panel.textContent = "Live panel: three updates since this morning"; }
  document.querySelectorAll("img.lazy").forEach(function (img) {
    img.srcset = img.dataset.srcset; img.src = img.dataset.src;
  });
});
"""
        # Below the fold's styles, loaded late (rel=preload + onload): a rule under the masthead.
        late_css = b""".masthead { border-bottom: 12px solid #c9a227; }
"""
        story_js = b"""document.addEventListener("DOMContentLoaded", function () {
  var story = document.getElementById("story");
  fetch(story.dataset.src).then(function (r) { return r.json(); }).then(function (data) {
    var h1 = document.createElement("h1"); h1.textContent = data.headline; story.appendChild(h1);
    data.paragraphs.forEach(function (text) {
      var p = document.createElement("p"); p.textContent = text; story.appendChild(p);
    });
  });
});
"""
        api = json.dumps({"headline": API_STORY.title, "paragraphs": list(API_STORY.paragraphs)}).encode()
        resources: dict[str, tuple[str, bytes]] = {
            "/news/": ("text/html; charset=utf-8", self._listing()),
            f"{API_STORY.path}": ("text/html; charset=utf-8", self._api_page()),
            "/static/site.css": ("text/css", site_css),
            "/static/base.css": ("text/css", base_css),
            "/static/fonts/headline.ttf": ("font/ttf", web_font()),
            "/static/img/paper.png": ("image/png", png(64, 64, (244, 239, 227), (236, 228, 210))),
            "/static/img/icon.png": ("image/png", png(16, 16, (122, 31, 31))),
            "/static/img/pen.png": ("image/png", png(20, 20, (122, 31, 31))),
            "/static/img/pen-2x.png": ("image/png", png(40, 40, (122, 31, 31), (90, 20, 20))),
            "/static/panel.js": ("text/javascript", panel_js),
            "/static/story.js": ("text/javascript", story_js),
            f"/api/stories/{API_STORY.slug}.json": ("application/json", api),
            "/img/lead-400.png": ("image/png", png(400, 200, (40, 120, 60), (30, 90, 45))),
            "/img/lead-800.png": ("image/png", png(800, 400, (40, 120, 60), (30, 90, 45))),
            "/img/lead-1600.png": ("image/png", png(1600, 800, (40, 120, 60), (30, 90, 45))),
            "/img/inline-wide.png": ("image/png", png(700, 180, (200, 150, 30), (170, 120, 20))),
            "/img/inline.png": ("image/png", png(350, 180, (200, 150, 30))),
            "/img/map.png": ("image/png", png(700, 160, (90, 60, 140), (70, 45, 120))),
            "/img/map-1400.png": ("image/png", png(1400, 320, (90, 60, 140), (70, 45, 120))),
            "/static/late.css": ("text/css", late_css),
        }
        for story in STORIES:
            resources[story.path] = ("text/html; charset=utf-8", self._article(story))
        return resources

    def _cdn_resources(self) -> dict[str, tuple[str, bytes]]:
        theme_css = b""".masthead { background: #20304a url("masthead.png") repeat-x; padding: 20px; }
.masthead a { color: #fff; font: bold 22px sans-serif; text-decoration: none; }
"""
        return {
            "/cdn/theme.css": ("text/css", theme_css),
            "/cdn/masthead.png": ("image/png", png(32, 72, (32, 48, 74), (52, 70, 100))),
        }

    # -- serving -----------------------------------------------------------------------------
    def _handler(self, origin: str) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                found = site.resource(f"{site.url if origin == 'site' else site.cdn_url}{path}")
                conditional = bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))
                if found is None:
                    self._answer(404, "text/plain", b"not found\n", None)
                    site._record(Hit(origin, path, 404, conditional))
                    return
                content_type, body = found
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag or (
                    not self.headers.get("If-None-Match") and self.headers.get("If-Modified-Since") == LAST_MODIFIED
                ):
                    self._answer(304, content_type, b"", etag)
                    site._record(Hit(origin, path, 304, conditional))
                    return
                self._answer(200, content_type, body, etag)
                site._record(Hit(origin, path, 200, conditional))

            def _answer(self, status: int, content_type: str, body: bytes, etag: str | None) -> None:
                self.send_response(status)
                if status != 304:
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                if etag is not None:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", LAST_MODIFIED)
                    self.send_header("Cache-Control", "max-age=60")
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def _record(self, hit: Hit) -> None:
        with self._lock:
            self.log.append(hit)
