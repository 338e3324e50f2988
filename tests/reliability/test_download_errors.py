"""Download errors: one log line per URL that cannot be downloaded, with the reason, no traceback.

A real ``scrapy crawl`` of a local listing that links, beside honest articles, to URLs that fail
each way a download fails: a closed port (connection refused), a host that does not resolve
(DNS), TLS spoken to a plain-HTTP server, a server that never answers (timeout) and responses
over DOWNLOAD_MAXSIZE, announced by Content-Length or streamed without one. robots.txt of the
failing hosts fails the same way and gets its line too.
"""

from __future__ import annotations

import re
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from archive import models
from archive.db import open_database
from tests.support.crawls import CrawlRun, scrapy_crawl
from tests.support.hostile_site import HostileSite

MAX_SIZE = 200_000
TIMEOUT = 2
HONEST = ("harbour-breakwater-story", "river-ferry-story", "library-reopens-story")
TEXT = (
    "The council confirmed on Tuesday that the works will be finished before the autumn storms. "
    "Engineers said the last inspections will begin next week and the public may visit in spring."
)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed when the block ends: connecting is refused


def _article(slug: str) -> bytes:
    title = slug.replace("-", " ").capitalize()
    body = "".join(f"<p>{TEXT} ({slug}, paragraph {i}.)</p>" for i in range(4))
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="og:type" content="article"></head><body><article><h1>{title}</h1>{body}'
        "</article></body></html>"
    ).encode()


class FailingSite(HostileSite):
    """The hostile site's raw-socket server (it can stall and stream past any size) with these
    routes, and a second port that answers a TLS handshake in plain HTTP, as a misconfigured
    server does."""

    def __init__(self) -> None:
        super().__init__(MAX_SIZE)
        self.plain = socketserver.ThreadingTCPServer(("127.0.0.1", 0), PlainAnswer)
        self.plain.daemon_threads = True
        self.failing: dict[str, str] = {}  # URL -> the reason its line must give

    def _routes(self) -> dict[str, Callable[[socket.socket], None]]:
        def ok(body: bytes, content_type: str = "text/html; charset=utf-8") -> Callable[[socket.socket], None]:
            head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            return lambda sock: sock.sendall(head.encode() + b"Connection: close\r\n\r\n" + body)

        def streamed(sock: socket.socket) -> None:
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"<p>" + b"more " * 2000 + b"</p>"
            for _ in range(3 * MAX_SIZE // len(chunk)):
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sock.sendall(b"0\r\n\r\n")

        def silent(sock: socket.socket) -> None:
            time.sleep(3 * TIMEOUT)

        self.failing = {
            f"http://127.0.0.1:{_closed_port()}/news/connection-refused-story/": "connection refused",
            f"https://127.0.0.1:{self.plain.server_address[1]}/news/tls-handshake-story/": "TLS error",
            "http://news.nonexistent.invalid/news-feed/": "DNS lookup failed",
            f"{self.url}/news/silent-server-story/": f"timed out (took longer than {float(TIMEOUT)} seconds)",
            f"{self.url}/news/too-large-story/": "larger than download max size",
            f"{self.url}/news/too-large-streamed-story/": "larger than download max size",
        }
        links = [f"/news/{slug}/" for slug in HONEST] + [url for url in self.failing if "news-feed" not in url]
        listing = "".join(f'<li><a href="{href}">A story</a></li>' for href in links)
        return {
            "/robots.txt": ok(b"User-agent: *\nAllow: /\n", "text/plain"),
            "/news-feed/": ok(f"<html><body><h1>News</h1><ul>{listing}</ul></body></html>".encode()),
            **{f"/news/{slug}/": ok(_article(slug)) for slug in HONEST},
            "/news/silent-server-story/": silent,
            "/news/too-large-story/": ok(b"<p>" + b"x" * (2 * MAX_SIZE) + b"</p>"),
            "/news/too-large-streamed-story/": streamed,
        }

    def start(self) -> FailingSite:
        threading.Thread(target=self.plain.serve_forever, daemon=True).start()
        super().start()
        return self

    def stop(self) -> None:
        super().stop()
        self.plain.shutdown()
        self.plain.server_close()


class PlainAnswer(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.recv(65536)  # the TLS ClientHello
        self.request.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


@pytest.fixture(scope="module")
def site() -> Iterator[FailingSite]:
    with FailingSite() as running:
        yield running


@pytest.fixture(scope="module")
def crawl(site: FailingSite, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    return scrapy_crawl(
        tmp_path_factory.mktemp("download-errors"),
        f"{site.url}/news-feed/ http://news.nonexistent.invalid/news-feed/",
        f"DOWNLOAD_MAXSIZE={MAX_SIZE}",
        "DOWNLOAD_WARNSIZE=0",  # its warning would name the oversized URLs once more
        f"DOWNLOAD_TIMEOUT={TIMEOUT}",
        "RETRY_TIMES=1",
    )


def _robots(url: str) -> str:
    return re.sub(r"^(\w+://[^/]+)/.*$", r"\1/robots.txt", url)


def test_the_crawl_finishes_and_stores_the_other_pages(crawl: CrawlRun) -> None:
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert "'finish_reason': 'finished'" in crawl.log
    with open_database(crawl.database_url, create=False)() as session:
        texts = {a.url: a.current_version.text for a in session.scalars(select(models.Article))}
    for slug in HONEST:
        stored = [text for url, text in texts.items() if url.endswith(f"/news/{slug}/")]
        assert stored and TEXT.split(".")[0] in stored[0], sorted(texts)


def test_each_failed_url_is_one_line_with_its_reason(crawl: CrawlRun, site: FailingSite) -> None:
    lines = crawl.log.splitlines()
    for url, reason in site.failing.items():
        failed = [line for line in lines if f"download failed: {url}: " in line]
        assert len(failed) == 1, (url, failed)
        assert reason in failed[0]
        if "larger than" not in reason:  # not retried: the size will not change on a retry
            assert failed[0].endswith("(after 1 retry)"), failed[0]
        # Nothing else about it: no "Gave up retrying", no "Error downloading", no size warning.
        assert [line for line in lines if url in line and re.search(r" (ERROR|WARNING): ", line)] == failed
    # robots.txt of a host that cannot be reached gets its one line too; the crawl goes on without it.
    for host in ("connection-refused", "tls-handshake", "nonexistent"):
        robots = _robots(next(u for u in site.failing if host in u))
        assert len([line for line in lines if f"download failed: {robots}: " in line]) == 1, robots


def test_no_traceback_and_the_errors_are_counted(crawl: CrawlRun) -> None:
    assert "Traceback" not in crawl.log
    stats = dict(re.findall(r"'newsarchive/download_errors/(\w+)': (\d+)", crawl.log))
    # The pages, and robots.txt of their hosts where that fails too.
    assert stats == {
        "connection_refused": "2",
        "tls": "2",
        "dns": "2",
        "timeout": "1",
        "too_large": "2",
        "count": "9",
    }, stats
