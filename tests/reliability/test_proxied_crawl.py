"""Crawls through a forward proxy (HTTP_PROXY / HTTPS_PROXY, with and without credentials) stay wire-exact.

Through a plain-http proxy the request goes out in absolute form with ``Proxy-Authorization``;
through a CONNECT tunnel the proxy answers ``200 Connection established`` before the origin's TLS.
The WARC must hold neither: the request as the origin read it, the response as the origin wrote
it, no proxy credentials anywhere (WARC, database, log), and no proxy address presented as the
origin's. A proxy that refuses is one log line per URL and a stat, never a record.

Finding: a plain-http proxy that could not reach the origin answered 502 itself, and the crawl
archived and stored it as the site's answer without a word. Its own 502 and an origin's it relays
are the same bytes (no header tells them apart reliably), so the record is kept as received and
the line says who may have answered.
"""

from __future__ import annotations

import base64
import gzip
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import newsarchive
from tests.support.crawls import CrawlRun, capture_rows, scrapy_crawl
from tests.support.forward_proxy import UNREACHABLE, ForwardProxy
from tests.support.raw_site import RawSite, closed_port, response, self_signed_tls
from tests.support.sample_articles import article_html
from tests.support.warc_files import warc_records

HTML = ("Content-Type", "text/html; charset=utf-8")
CREDENTIALS = "crawler:s3cret-Proxy-pass"
SECRETS = ("s3cret-Proxy-pass", base64.b64encode(CREDENTIALS.encode()).decode())
ARTICLES = {
    "/news/odd-reason-story/": response(
        article_html("Odd reason phrase"),
        ("ETag", '"odd-1"'),
        ("X-custom-HEADER", "kept as sent"),
        ("X-Latin", b"caf\xe9"),
        HTML,
        status="200 Fine Thanks",
        close=False,
    ),
    "/news/a-gzip-coded-story/": response(
        gzip.compress(article_html("Gzip body")), HTML, ("Content-Encoding", "gzip"), close=False
    ),
    "/news/moved-elsewhere-story/": response(
        b"", ("Location", "/news/landed-after-redirect-story/"), status="301 Moved", close=False
    ),
}


def _routes() -> dict[str, bytes]:
    listing = "".join(f"<li><a href='{path}'>{path}</a></li>" for path in ARTICLES)
    return {
        **ARTICLES,
        "/news/landed-after-redirect-story/": response(article_html("Landed after a redirect"), HTML, close=False),
        "/news/": response(f"<html><body><h1>News</h1><ul>{listing}</ul></body></html>".encode(), HTML, close=False),
        "/robots.txt": response(b"User-agent: *\nAllow: /\n", ("Content-Type", "text/plain"), close=False),
    }


def _proxy_env(proxy_url: str) -> dict[str, str]:
    # no_proxy empty: 127.0.0.1 goes through the proxy like any host.
    return {"HTTP_PROXY": proxy_url, "HTTPS_PROXY": proxy_url, "NO_PROXY": "", "no_proxy": ""}


ProxiedCrawl = tuple[RawSite, ForwardProxy, CrawlRun]


@pytest.fixture(
    scope="module",
    params=[("http", None), ("http", CREDENTIALS), ("https", None), ("https", CREDENTIALS)],
    ids=["http", "http-credentials", "https", "https-credentials"],
)
def proxied(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxiedCrawl]:
    scheme, credentials = request.param
    tls = self_signed_tls(tmp_path_factory.mktemp("tls")) if scheme == "https" else None
    with RawSite(_routes(), tls=tls) as site, ForwardProxy(credentials=credentials) as proxy:
        proxy_url = proxy.url_with_credentials(credentials) if credentials else proxy.url
        # Keeping the origin's credentials must not keep the proxy's.
        keep = f"NEWSARCHIVE_WARC_KEEP_CREDENTIALS={bool(credentials)}"
        tmp = tmp_path_factory.mktemp(f"proxied-{scheme}")
        run = scrapy_crawl(tmp, f"{site.url}/news/", keep, env=_proxy_env(proxy_url))
        assert run.returncode == 0, run.log[-3000:]
        yield site, proxy, run


def _blocks(site: RawSite, run: CrawlRun, warc_type: str) -> dict[str, bytes]:
    return {
        fields["WARC-Target-URI"].removeprefix(site.url): block
        for fields, block in warc_records(run.warc_dir)
        if fields["WARC-Type"] == warc_type
    }


def test_the_crawl_went_through_the_proxy(proxied: ProxiedCrawl) -> None:
    site, proxy, _ = proxied
    assert proxy.asked and all(asked.answered for asked in proxy.asked)
    if site.url.startswith("https"):
        assert {asked.method for asked in proxy.asked} == {"CONNECT"}
        assert {asked.target for asked in proxy.asked} == {site.url.removeprefix("https://")}
    else:
        assert {asked.target for asked in proxy.asked} == {site.url + exchange.path for exchange in site.exchanges}
    if proxy.credentials:
        assert all(asked.header("Proxy-Authorization") for asked in proxy.asked)


def test_connections_are_kept_alive_through_the_proxy(proxied: ProxiedCrawl) -> None:
    site, _, _ = proxied
    # The proxy keeps one origin connection per client connection (a tunnel is one by nature).
    assert site.connections < len(site.exchanges)


def test_every_response_record_holds_the_bytes_the_origin_wrote(proxied: ProxiedCrawl) -> None:
    site, _, run = proxied
    sent = {exchange.path: exchange.response for exchange in site.exchanges}
    recorded = _blocks(site, run, "response")
    assert set(recorded) == set(sent) >= {*ARTICLES, "/news/landed-after-redirect-story/", "/robots.txt"}
    for path, block in recorded.items():
        assert block == sent[path], path


def test_every_request_record_holds_the_request_as_the_origin_read_it(proxied: ProxiedCrawl) -> None:
    site, _, run = proxied
    read = {exchange.path: exchange.request for exchange in site.exchanges}
    recorded = _blocks(site, run, "request")
    assert recorded == read
    assert all(block.split(b" ", 2)[1].startswith(b"/") for block in recorded.values()), "origin-form request lines"


def test_proxy_credentials_reach_neither_the_warc_nor_the_database_nor_the_log(proxied: ProxiedCrawl) -> None:
    _, _, run = proxied
    blocks = b"".join(block for _, block in warc_records(run.warc_dir))
    assert b"proxy-authorization" not in blocks.lower()
    stored = Path(run.database_url.removeprefix("sqlite:///")).read_bytes()
    for secret in SECRETS:
        assert secret.encode() not in blocks
        assert secret.encode() not in stored
        assert secret not in run.log


def test_the_proxy_address_is_not_recorded_as_the_origin_address(proxied: ProxiedCrawl) -> None:
    _, _, run = proxied
    responses = [fields for fields, _ in warc_records(run.warc_dir) if fields["WARC-Type"] == "response"]
    assert responses and not any("WARC-IP-Address" in fields for fields in responses)
    with sqlite3.connect(run.database_url.removeprefix("sqlite:///")) as db:
        assert db.execute("SELECT count(*) FROM captures WHERE ip_address IS NOT NULL").fetchone() == (0,)


def test_warcio_check_passes(proxied: ProxiedCrawl) -> None:
    _, _, run = proxied
    files = sorted(str(path) for path in run.warc_dir.glob("*.warc.gz"))
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", *files], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_pages_are_stored(proxied: ProxiedCrawl) -> None:
    _, _, run = proxied
    with sqlite3.connect(run.database_url.removeprefix("sqlite:///")) as db:
        titles = {row[0] for row in db.execute("SELECT title FROM article_versions")}
    assert titles >= {"Odd reason phrase", "Gzip body", "Landed after a redirect"}


def test_reextract_reads_every_capture_as_the_crawl_did(proxied: ProxiedCrawl, tmp_path: Path) -> None:
    _, _, run = proxied
    database_url = f"sqlite:///{tmp_path / 'again.db'}"
    done = newsarchive("reextract", "--warc-dir", str(run.warc_dir), "--db", database_url, "--workers", "0")
    assert done.returncode == 0, done.stderr[-3000:]
    assert capture_rows(database_url) == capture_rows(run.database_url)


# -- proxies that refuse -------------------------------------------------------------------------
REFUSALS = {
    # case: (scheme, the proxy's credentials, CONNECT answer, the stat's kind, what the line says)
    "http-407": ("http", CREDENTIALS, 200, "proxy_auth", "407 Proxy Authentication Required"),
    "https-407": ("https", CREDENTIALS, 200, "proxy_auth", "407 Proxy Authentication Required"),
    "https-502": ("https", None, 502, "proxy_tunnel", "502 Bad Gateway"),
    "refused": ("http", None, 200, "proxy_unreachable", "connection refused"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_proxy_that_refuses_is_one_line_per_url_and_a_stat(case: str, tmp_path: Path) -> None:
    scheme, credentials, connect_status, kind, says = REFUSALS[case]
    tls = self_signed_tls(tmp_path) if scheme == "https" else None
    refusing = ForwardProxy(credentials=credentials, connect_status=connect_status)
    with RawSite(_routes(), tls=tls) as site, refusing as proxy:
        proxy_url = f"http://127.0.0.1:{closed_port()}" if case == "refused" else proxy.url
        run = scrapy_crawl(tmp_path / "crawl", f"{site.url}/news/", env=_proxy_env(proxy_url))
        assert site.exchanges == [], "nothing reached the origin"
    assert "Traceback" not in run.log
    port = proxy_url.rsplit(":", 1)[1]
    for url in (f"{site.url}/news/", f"{site.url}/robots.txt"):
        lines = [line for line in run.log.splitlines() if f"download failed: {url}:" in line]
        assert len(lines) == 1, (url, lines)
        assert f"proxy 127.0.0.1:{port}" in lines[0] and says in lines[0], lines[0]
    stats = dict(re.findall(r"'newsarchive/download_errors/(\w+)': (\d+)", run.log))
    assert stats == {kind: "2", "count": "2"}, stats
    assert {fields["WARC-Type"] for fields, _ in warc_records(run.warc_dir)} <= {"warcinfo"}


@pytest.mark.parametrize("origin", ["unreachable", "answers-502"])
def test_a_5xx_through_a_plain_http_proxy_is_said_to_be_the_proxys_or_the_origins(origin: str, tmp_path: Path) -> None:
    """The proxy's own 502 (it cannot reach the origin) and an origin's 502 it relays look alike:
    both are archived as received, and both are one line per URL saying either may have sent it."""
    routes = {"/robots.txt": response(b"User-agent: *\nAllow: /\n", ("Content-Type", "text/plain"), close=False)}
    routes["/news/"] = response(b"origin down", ("Content-Type", "text/plain"), status="502 Bad Gateway", close=False)
    with RawSite(routes) as site, ForwardProxy() as proxy:
        start = f"http://127.0.0.1:{closed_port()}/news/" if origin == "unreachable" else f"{site.url}/news/"
        # robots.txt off: through the proxy the unreachable origin's robots.txt is a 502 too, which
        # disallows the host (tests/reliability/test_robots_txt_status.py); the page's own 502 is the subject.
        run = scrapy_crawl(
            tmp_path / "crawl", start, "RETRY_TIMES=1", "ROBOTSTXT_OBEY=False", env=_proxy_env(proxy.url)
        )
    assert "Traceback" not in run.log
    lines = [line for line in run.log.splitlines() if f"download failed: {start}:" in line]
    assert len(lines) == 1, run.log[-3000:]
    assert lines[0].endswith(
        f"download failed: {start}: 502 Bad Gateway from the proxy {proxy.url.removeprefix('http://')} or from the"
        " origin (a plain-http proxy's own answer and one it relays look alike) (after 1 retry)"
    ), lines[0]
    assert f"Gave up retrying <GET {start}>" not in run.log  # the one line says it
    stats = dict(re.findall(r"'newsarchive/download_errors/(\w+)': (\d+)", run.log))
    assert stats["proxy_or_origin"] == "1", stats
    # No page is known to have come back: the run says so, and exits 1.
    assert "'finish_reason': 'all_downloads_failed'" in run.log and run.returncode == 1, run.log[-2000:]
    # What came back is kept as it came: the proxy's page, or the origin's.
    responses = [(fields, block) for fields, block in warc_records(run.warc_dir) if fields["WARC-Type"] == "response"]
    bodies = [block for fields, block in responses if fields["WARC-Target-URI"] == start]
    assert bodies and all(block.startswith(b"HTTP/1.1 502 Bad Gateway") for block in bodies)
    sent = UNREACHABLE if origin == "unreachable" else b"origin down"
    assert all(block.endswith(sent) for block in bodies)
