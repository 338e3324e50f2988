"""A hostile news site on 127.0.0.1: every page is a trap a crawler must survive.

Raw sockets, not http.server, so it can lie: endless chunked bodies, a slow drip, gzip bombs,
wrong charsets, XML bombs. The listing links every trap as if it were an article, plus one
honest article, which must come out archived however the traps behave.
"""

from __future__ import annotations

import gzip
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from types import TracebackType

GOOD_TEXT = (
    "The harbour authority confirmed on Tuesday that the new breakwater will be finished before the autumn storms. "
    "Engineers said the last concrete blocks were placed overnight and inspections will begin next week."
)
SECRET = "root:x:0:0:root:/root:/bin/bash"  # what /etc/passwd starts with: must never be archived

TRAPS = (
    "decompression-bomb-story",
    "huge-response-story",
    "endless-response-story",
    "slow-loris-story",
    "lying-charset-story",
    "nul-bytes-invalid-utf8-story",
    "deeply-nested-html-story",
    "redirect-loop-story",
    "redirect-offsite-story",
    "redirect-to-file-story",
    "enormous-links-story",
)


def _article(title: str, body: str, charset_meta: str = "utf-8") -> bytes:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="{charset_meta}"><title>{title}</title>'
        '<meta property="og:type" content="article">'
        f"</head><body><article><h1>{title}</h1>{body}</article></body></html>"
    ).encode()


def good_article() -> bytes:
    """An honest article page: a headline and four paragraphs of GOOD_TEXT."""
    paragraphs = "".join(f"<p>{GOOD_TEXT} Paragraph {i}.</p>" for i in range(4))
    return _article("Breakwater to be finished before autumn storms", paragraphs)


class HostileSite:
    def __init__(self, max_size: int) -> None:
        self.max_size = max_size  # the crawl's DOWNLOAD_MAXSIZE, so "huge" is huge for it
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._server: socketserver.ThreadingTCPServer | None = None
        self.url = ""

    # -- responses -----------------------------------------------------------------------------
    def _routes(self) -> dict[str, Callable[[socket.socket], None]]:
        def ok(body: bytes, content_type: str = "text/html; charset=utf-8", extra: str = "") -> Callable:
            def send(sock: socket.socket) -> None:
                head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{extra}"
                sock.sendall(head.encode() + b"Connection: close\r\n\r\n" + body)

            return send

        def redirect(location: str) -> Callable:
            def send(sock: socket.socket) -> None:
                sock.sendall(
                    f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n"
                    "Connection: close\r\n\r\n".encode()
                )

            return send

        def endless(sock: socket.socket) -> None:
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"<p>" + b"more " * 2000 + b"</p>"
            frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # bounded: the test machine is ours to protect too
                sock.sendall(frame)

        def slow(sock: socket.socket) -> None:
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
            for _ in range(60):
                sock.sendall(b"<")
                time.sleep(1)

        bomb = gzip.compress(b"\0" * (self.max_size * 20), compresslevel=9)
        links = "".join(f'<a href="/page-{i}-of-many-links/">link {i}</a>' for i in range(100_000))
        # An article stuffed with links (never followed: articles are leaves) has a fifth of the
        # listing's: extraction's cost grows faster than the page (100,000 links: 7.5-8.5 CPU s, 20,000:
        # ~1), and the one worker reading both pages in turn put the crawl past the 240 s its test
        # allows on a loaded machine. The listing keeps 100,000: the frontier cap's test.
        article_links = "".join(f'<a href="/page-{i}-of-many-links/">link {i}</a>' for i in range(20_000))
        deep = "<div>" * 100_000 + "deep" + "</div>" * 100_000
        billion_laughs = (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + "".join(
                f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i else "&lol;" * 10}">' for i in range(10)
            )
            + ']><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&lol9;</loc></url></urlset>'
        )
        xxe_rss = (
            '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            '<rss version="2.0"><channel><title>t</title><item><title>&xxe;</title>'
            f"<link>{self.url}/news/xxe-&xxe;/</link></item></channel></rss>"
        )
        listing = "".join(
            f'<li><a href="/news/{slug}/">A story about {slug.replace("-", " ")}</a></li>'
            for slug in (*TRAPS, "honest-breakwater-story")
        )
        return {
            "/robots.txt": ok(f"User-agent: *\nSitemap: {self.url}/sitemap-bomb.xml\n".encode(), "text/plain"),
            "/news-feed/": ok(
                (
                    f'<html><head><link rel="alternate" type="application/rss+xml" href="/rss-xxe/"></head><body>'
                    f"<ul>{listing}</ul></body></html>"
                ).encode()
            ),
            "/sitemap-bomb.xml": ok(billion_laughs.encode(), "application/xml"),
            "/rss-xxe/": ok(xxe_rss.encode(), "application/rss+xml"),
            "/news/honest-breakwater-story/": ok(good_article()),
            "/news/decompression-bomb-story/": ok(bomb, "text/html; charset=utf-8", "Content-Encoding: gzip\r\n"),
            "/news/huge-response-story/": ok(b"<p>" + b"x" * (self.max_size * 2) + b"</p>"),
            "/news/endless-response-story/": endless,
            "/news/slow-loris-story/": slow,
            # Declares koi8-r in the header and utf-8 in a meta tag; is neither cleanly.
            "/news/lying-charset-story/": ok(
                _article("Lying charset", "<p>" + "Ünïcödé ünd mehr Text hier. " * 20 + "</p>").replace(
                    b"\xc3", b"\xc3\xff"
                ),
                "text/html; charset=koi8-r",
            ),
            "/news/nul-bytes-invalid-utf8-story/": ok(
                _article(
                    "NUL",
                    "<p>"
                    + "text\0 with nul \udcff ".encode("utf-8", "surrogateescape").decode("latin-1") * 30
                    + "</p>",
                ).replace(b"nul", b"\0\xff\xfe")
            ),
            "/news/deeply-nested-html-story/": ok(_article("Deep", deep)),
            "/news/redirect-loop-story/": redirect("/loop-b/"),
            "/loop-b/": redirect("/news/redirect-loop-story/"),
            "/news/redirect-offsite-story/": redirect("http://offsite.invalid/stolen/"),
            "/news/redirect-to-file-story/": redirect("file:///etc/passwd"),
            "/news/enormous-links-story/": ok(f"<html><body>{article_links}</body></html>".encode()),
            "/links-flood/": ok(f"<html><body>{links}</body></html>".encode()),
        }

    # -- server --------------------------------------------------------------------------------
    def start(self) -> HostileSite:
        site = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = self.request.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                path = data.split(b" ", 2)[1].decode("latin-1").split("?")[0]
                with site._lock:
                    site.paths.append(path)
                route = routes.get(path)
                try:
                    if route is None:
                        self.request.sendall(
                            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        )
                    else:
                        route(self.request)
                except OSError:
                    pass  # the crawler hung up on us: that is the point of most traps

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        routes = self._routes()
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> HostileSite:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
