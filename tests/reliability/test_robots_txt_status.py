"""robots.txt is read by its status, as RFC 9309 §2.3.1 says, not by whatever body came back.

Finding: Scrapy parses the body of any final robots.txt response. A server error page (503 after
the retries, or a plain-http proxy's own 502 when it cannot reach the origin) holds no rules, so
the host was crawled as if it allowed everything: at the moment the site asked crawlers to stay
away, or when nobody could say what it allows. And a 404 page that shows an example robots.txt
("Disallow: /") was obeyed as the site's rules. Now: 2xx is parsed; 4xx is no robots.txt (every
URL allowed, its body not read); a server error (5xx, and 429, which asks to slow down) disallows
every URL of the host for the run, with one WARNING line naming the status and a stat.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.crawls import scrapy_crawl
from tests.support.forward_proxy import ForwardProxy
from tests.support.raw_site import RawSite, closed_port, response
from tests.support.sample_articles import article_html
from tests.support.warc_files import warc_records

HTML = ("Content-Type", "text/html; charset=utf-8")
STORIES = ("/news/harbour-breakwater-story/", "/news/river-ferry-story/", "/news/library-reopens-story/")
ERROR_PAGE = b"<html><body><h1>Service unavailable</h1><p>Please come back later.</p></body></html>"
# A help page that shows what a robots.txt looks like, served at /robots.txt with a 404.
EXAMPLE_PAGE = (
    b"<html><body><p>No robots.txt here. An example:</p><pre>User-agent: *\nDisallow: /\n</pre></body></html>"
)


def _routes(robots: bytes) -> dict[str, bytes]:
    listing = "".join(f"<li><a href='{path}'>{path}</a></li>" for path in STORIES)
    pages = {path: response(article_html(path.split("/")[2]), HTML, close=False) for path in STORIES}
    page = f"<html><body><h1>News</h1><ul>{listing}</ul></body></html>".encode()
    return {**pages, "/news/": response(page, HTML, close=False), "/robots.txt": robots}


def _stats(log: str) -> dict[str, str]:
    return dict(re.findall(r"'(newsarchive/robotstxt/\w+|robotstxt/\w+)': (\d+)", log))


@pytest.mark.parametrize("status", ["503 Service Unavailable", "500 Internal Server Error", "429 Too Many Requests"])
def test_a_server_error_for_robots_txt_disallows_the_host_for_the_run(status: str, tmp_path: Path) -> None:
    robots = response(ERROR_PAGE, HTML, status=status, close=False)
    with RawSite(_routes(robots)) as site:
        run = scrapy_crawl(tmp_path / "crawl", f"{site.url}/news/", "RETRY_TIMES=1")
        asked = [exchange.path for exchange in site.exchanges]
    assert "Traceback" not in run.log
    assert set(asked) == {"/robots.txt"}, asked  # retried once, and nothing else of the host asked for
    netloc = site.url.removeprefix("http://")
    lines = [line for line in run.log.splitlines() if "robots.txt of" in line and "WARNING" in line]
    assert len(lines) == 1, run.log[-3000:]
    assert lines[0].endswith(
        f"robots.txt of {netloc} answered {status} (after 1 retry): nothing of {netloc} is crawled this run"
        " (a server error is read as disallowing every URL, RFC 9309; ROBOTSTXT_OBEY=False crawls regardless)"
    ), lines[0]
    stats = _stats(run.log)
    assert stats["newsarchive/robotstxt/server_error"] == "1", stats
    assert stats["robotstxt/forbidden"] == "1", stats  # the start page, refused
    # What the server said is archived as it said it.
    blocks = [
        block
        for fields, block in warc_records(run.warc_dir)
        if fields.get("WARC-Target-URI", "").endswith("/robots.txt")
    ]
    assert any(block.startswith(f"HTTP/1.1 {status}".encode()) for block in blocks)


def test_a_proxys_5xx_for_robots_txt_disallows_and_says_who_may_have_answered(tmp_path: Path) -> None:
    """Through a plain-http proxy that cannot reach the origin, its own 502 is not the site's
    robots.txt: nothing is crawled, and the line says the proxy or the origin answered."""
    with ForwardProxy() as proxy:
        start = f"http://127.0.0.1:{closed_port()}/news/"
        env = {"HTTP_PROXY": proxy.url, "HTTPS_PROXY": proxy.url, "NO_PROXY": "", "no_proxy": ""}
        run = scrapy_crawl(tmp_path / "crawl", start, "RETRY_TIMES=0", env=env)
    assert "Traceback" not in run.log
    netloc = start.removeprefix("http://").removesuffix("/news/")
    lines = [line for line in run.log.splitlines() if "robots.txt of" in line and "WARNING" in line]
    assert len(lines) == 1, run.log[-3000:]
    assert (
        f"robots.txt of {netloc} answered 502 Bad Gateway from the proxy {proxy.url.removeprefix('http://')} or from"
        f" the origin (a plain-http proxy's own answer and one it relays look alike): nothing of {netloc} is crawled"
        in lines[0]
    ), lines[0]
    assert _stats(run.log)["robotstxt/forbidden"] == "1"


def test_a_4xx_robots_txt_is_no_robots_txt_whatever_its_page_says(tmp_path: Path) -> None:
    robots = response(EXAMPLE_PAGE, HTML, status="404 Not Found", close=False)
    with RawSite(_routes(robots)) as site:
        run = scrapy_crawl(tmp_path / "crawl", f"{site.url}/news/")
        asked = {exchange.path for exchange in site.exchanges}
    assert "Traceback" not in run.log and run.returncode == 0, run.log[-3000:]
    assert asked == {"/robots.txt", "/news/", *STORIES}, asked
    stats = _stats(run.log)
    assert "robotstxt/forbidden" not in stats and "newsarchive/robotstxt/server_error" not in stats, stats
    assert "robots.txt of" not in run.log  # nothing to warn about: a site without robots.txt


def test_a_2xx_robots_txt_is_obeyed(tmp_path: Path) -> None:
    robots = response(
        b"User-agent: *\nDisallow: /news/river-ferry-story/\n", ("Content-Type", "text/plain"), close=False
    )
    with RawSite(_routes(robots)) as site:
        run = scrapy_crawl(tmp_path / "crawl", f"{site.url}/news/")
        asked = {exchange.path for exchange in site.exchanges}
    assert asked == {"/robots.txt", "/news/", *STORIES} - {"/news/river-ferry-story/"}, asked
    assert _stats(run.log)["robotstxt/forbidden"] == "1"
