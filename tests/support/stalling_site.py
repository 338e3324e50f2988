"""A news site on 127.0.0.1 where one article's page never finishes loading in a browser.

``/news/`` lists two articles whose stories a script builds from inline data. ``/news/2026/ferry-timetable-changes/``
loads ``/static/build.js`` at once; ``/news/2026/page-never-loads/`` loads ``/static/stall.js``, which the
server holds back for ``STALL_SECONDS`` before answering: a render timeout shorter than that gives
the stalled page up, and the quick one must still be rendered and stored.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

STALL_SECONDS = 30.0
QUICK_TEXT = (
    "The quick page's story is written by its script: the ferry timetable changes on Monday, with "
    "two more crossings each evening and a later last boat on Fridays and Saturdays."
)
_BUILD_JS = (
    'document.addEventListener("DOMContentLoaded", function () {\n'
    f"  var p = document.createElement('p'); p.textContent = {QUICK_TEXT!r};\n"
    '  document.getElementById("story").appendChild(p);\n'
    "});\n"
)


def _page(title: str, script: str) -> bytes:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<script src="{script}"></script></head><body><header>The Stalling Post</header>'
        '<main><article id="story"></article></main><footer>The Stalling Post</footer></body></html>'
    ).encode()


class StallingSite:
    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.resources: dict[str, tuple[str, bytes]] = {
            "/news/": (
                "text/html; charset=utf-8",
                b"<!doctype html><html><head><title>News</title></head><body><main><h1>News</h1><ul>"
                b'<li><h2><a href="/news/2026/ferry-timetable-changes/">Ferry timetable changes</a></h2></li>'
                b'<li><h2><a href="/news/2026/page-never-loads/">A page that never loads</a></h2></li>'
                b"</ul></main></body></html>",
            ),
            "/news/2026/ferry-timetable-changes/": (
                "text/html; charset=utf-8",
                _page("Ferry timetable changes", "/static/build.js"),
            ),
            "/news/2026/page-never-loads/": (
                "text/html; charset=utf-8",
                _page("A page that never loads", "/static/stall.js"),
            ),
            "/static/build.js": ("text/javascript", _BUILD_JS.encode()),
            "/static/stall.js": ("text/javascript", b"/* late */\n"),
        }

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def listing_url(self) -> str:
        return f"{self.url}/news/"

    def __enter__(self) -> StallingSite:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                found = site.resources.get(self.path.split("?", 1)[0])
                if found is None:
                    content_type, body, status = "text/plain", b"not found\n", 404
                else:
                    (content_type, body), status = found, 200
                if self.path.startswith("/static/stall.js"):
                    time.sleep(STALL_SECONDS)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
