"""A small news site on 127.0.0.1 whose stories sit at URLs with listing words in them (issue 20): a story's
slug below a topic word, "page" as a path word, a WordPress post by its id on the root path."""

from __future__ import annotations

from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler

from tests.support.local_tools import serving

# Story paths (with their queries) that a listing word or an empty path does not make listings.
STORY_PATHS: tuple[str, ...] = (
    "/DE/themen/verkehr/radverkehr/radplan-beschlossen.html",
    "/themen/der-rat-beschliesst-den-neuen-radverkehrsplan",
    "/page/how-the-council-approved-the-cycling-plan",
    "/?p=31228",
)
# Listings the front page links to with headline-like texts: never article candidates.
LISTING_PATHS: tuple[str, ...] = ("/themen/verkehr/", "/page/2/", "/?page=2")

_PARAGRAPHS = (
    "The district council approved the new cycling plan on Tuesday evening after a debate of almost four hours.",
    "Under the plan, twenty kilometres of protected lanes will be built along the main roads within three years.",
    "Shop owners on the high street had asked for more delivery bays, and the final version includes eleven.",
)


def _story(path: str) -> bytes:
    title = f"Council story at {path}"
    body = "".join(f"<p>{p}</p>" for p in _PARAGRAPHS)
    return (
        f'<html lang="en"><head><title>{title}</title><meta property="og:type" content="article"></head>'
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    ).encode()


def _front_page() -> bytes:
    links = "".join(f'<li><a href="{p}">The latest story of the district council</a></li>' for p in STORY_PATHS)
    more = "".join(f'<li><a href="{p}">More stories about the district and its council</a></li>' for p in LISTING_PATHS)
    page = f"<html><head><title>District News</title></head><body><ul>{links}</ul><ul>{more}</ul></body></html>"
    return page.encode()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/":
            body = _front_page()
        elif self.path in STORY_PATHS:
            body = _story(self.path)
        elif self.path in LISTING_PATHS:
            body = _front_page()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the crawl's log says what was fetched


def url_shape_site() -> AbstractContextManager[str]:
    """Serve the site on a free port of 127.0.0.1; yields its base URL."""
    return serving(_Handler)
