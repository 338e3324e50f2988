"""Finding 3, `reextract` decompresses without limit: a ~1 MB gzip that inflates to ~1 GB, which the
crawl refused (and archived as received), must be refused by `newsarchive reextract` too, within
DOWNLOAD_MAXSIZE, instead of inflating it into gigabytes of memory. The deflate, br and zstd
decoders both paths share stop at the limit too."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import brotli
import pytest

from archive.content_coding import TooLarge, decode_content
from tests.support.cli import ROOT
from tests.support.crawls import CrawlRun, crawl_env, scrapy_crawl
from tests.support.hostile_site import good_article
from tests.support.raw_site import RawSite, response

INFLATED = 1 << 30  # 1 GiB of zeros: ~1 MB as gzip -9
LIMIT = 32 * 1024 * 1024  # the default DOWNLOAD_MAXSIZE, which both paths apply
PEAK_RSS_LIMIT = 400 * 1024 * 1024  # an unbounded inflate of the bomb took 2.2 GB
MB = 1 << 20


def _compressed(compressor: Callable[[bytes], bytes], finish: Callable[[], bytes], size: int) -> bytes:
    """*size* zero bytes through a streaming compressor, never holding them all in memory."""
    zeros = b"\0" * MB
    return b"".join([*(compressor(zeros) for _ in range(size // MB)), finish()])


def _zlib_bomb(size: int, wbits: int) -> bytes:
    deflater = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return _compressed(deflater.compress, deflater.flush, size)


def _brotli_bomb(size: int) -> bytes:
    compressor = brotli.Compressor(quality=5)
    return _compressed(compressor.process, compressor.finish, size)


def _zstd_bomb(size: int) -> bytes:
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python 3.14
    except ImportError:
        from backports import zstd
    compressor = zstd.ZstdCompressor()
    return _compressed(compressor.compress, compressor.flush, size)


def _listing(*slugs: str) -> bytes:
    items = "".join(f'<li><a href="/news/{slug}/">A story about {slug.replace("-", " ")}</a></li>' for slug in slugs)
    return f"<html><body><h1>Latest news</h1><ul>{items}</ul></body></html>".encode()


@pytest.fixture(scope="module")
def bomb_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrawlRun]:
    """A default-settings crawl of a listing that links a gzip bomb as an article, beside an honest one."""
    html = "text/html; charset=utf-8"
    routes = {
        "/news-feed/": response(_listing("gzip-bomb-story", "honest-breakwater-story"), ("Content-Type", html)),
        "/news/gzip-bomb-story/": response(
            _zlib_bomb(INFLATED, zlib.MAX_WBITS | 16), ("Content-Type", html), ("Content-Encoding", "gzip")
        ),
        "/news/honest-breakwater-story/": response(good_article(), ("Content-Type", html)),
    }
    with RawSite(routes) as site:
        run = scrapy_crawl(tmp_path_factory.mktemp("bomb-crawl"), f"{site.url}/news-feed/")
    assert run.returncode == 0, run.log[-3000:]
    yield run


def _newsarchive_measured(*args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """`newsarchive ARGS` in a subprocess of a small wrapper process, and the peak RSS in bytes of
    the biggest process of that tree (the command and its extraction workers): the wrapper's only
    children are those, so its RUSAGE_CHILDREN counts nothing else."""
    wrapper = (
        "import json, resource, subprocess, sys\n"
        "done = subprocess.run([sys.executable, '-m', 'archive.cli', *sys.argv[1:]], capture_output=True, text=True)\n"
        "peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(json.dumps({'rc': done.returncode, 'out': done.stdout, 'err': done.stderr, 'peak': peak_kib * 1024}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *args],
        cwd=ROOT,
        env=crawl_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    command = ["newsarchive", *args]
    return subprocess.CompletedProcess(command, report["rc"], report["out"], report["err"]), int(report["peak"])


def _captures(database: Path) -> dict[str, str | None]:
    with sqlite3.connect(database) as connection:
        return dict(connection.execute("SELECT url, extracted_as FROM captures WHERE status = 200"))


def test_the_crawl_refuses_the_bomb_and_archives_it(bomb_crawl: CrawlRun) -> None:
    captures = _captures(Path(bomb_crawl.database_url.removeprefix("sqlite:///")))
    bomb = [url for url in captures if url.endswith("/news/gzip-bomb-story/")]
    assert bomb and captures[bomb[0]] == "error"
    assert "exceeded DOWNLOAD_MAXSIZE" in bomb_crawl.log


def test_reextract_refuses_the_bomb_within_download_maxsize_in_bounded_memory(
    bomb_crawl: CrawlRun, tmp_path: Path
) -> None:
    rebuilt = tmp_path / "rebuilt.db"
    done, peak = _newsarchive_measured(
        "reextract", "--db", f"sqlite:///{rebuilt}", "--warc-dir", str(bomb_crawl.warc_dir)
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert peak < PEAK_RSS_LIMIT, f"reextract peaked at {peak / MB:,.0f} MB of RSS"
    captures = _captures(rebuilt)
    bomb = next(url for url in captures if url.endswith("/news/gzip-bomb-story/"))
    honest = next(url for url in captures if url.endswith("/news/honest-breakwater-story/"))
    assert captures[bomb] == "error"  # stored, as the crawl stored it, and the run went on
    assert captures[honest] == "article"
    assert f"{bomb}: decoded body exceeded DOWNLOAD_MAXSIZE ({LIMIT:,} bytes)" in done.stderr


def _foreign_warc_with_a_bomb(path: Path, url: str) -> None:
    """A WARC as another tool might write it (one gzip member per record, ~1 MB) whose one response
    record inflates to 1 GiB: its block is an HTML answer of zeros, declared at its full length."""
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    head = (
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:0e4b1a5c-6f1e-4d0b-9a59-3f0c1f9e2b7d>\r\n"
        f"WARC-Target-URI: {url}\r\nWARC-Date: 2024-06-01T12:00:00Z\r\n"
        f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http) + INFLATED}\r\n\r\n"
    ).encode()
    deflater = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    with path.open("wb") as warc:
        warc.write(deflater.compress(head + http))
        warc.write(_compressed(deflater.compress, lambda: deflater.compress(b"\r\n\r\n") + deflater.flush(), INFLATED))


def test_reextract_of_a_foreign_warc_whose_record_inflates_to_a_gigabyte_stays_in_bounded_memory(
    tmp_path: Path,
) -> None:
    warc = tmp_path / "foreign.warc.gz"
    _foreign_warc_with_a_bomb(warc, "https://news.example/2024/06/01/bomb-story/")
    assert warc.stat().st_size < 2 * MB
    done, peak = _newsarchive_measured("reextract", "--db", f"sqlite:///{tmp_path / 'rebuilt.db'}", str(warc))
    assert peak < PEAK_RSS_LIMIT, f"reextract peaked at {peak / MB:,.0f} MB of RSS"
    assert done.returncode == 0, done.stderr[-3000:]
    # The record's capture is made from its headers; a block over the reader's limit is not extracted.
    assert _captures(tmp_path / "rebuilt.db") == {"https://news.example/2024/06/01/bomb-story/": None}


def test_extract_of_a_gzipped_page_that_inflates_to_a_gigabyte_is_an_error_in_bounded_memory(tmp_path: Path) -> None:
    page = tmp_path / "story.html.gz"
    page.write_bytes(_zlib_bomb(INFLATED, zlib.MAX_WBITS | 16))
    done, peak = _newsarchive_measured("extract", str(page), "--url", "https://news.example/story/")
    assert peak < PEAK_RSS_LIMIT, f"extract peaked at {peak / MB:,.0f} MB of RSS"
    assert done.returncode == 1, done.stderr[-3000:]
    record = json.loads(done.stdout)
    assert record["kind"] == "error"
    assert f"exceeded DOWNLOAD_MAXSIZE ({LIMIT:,} bytes)" in record["reason"]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("coding", "bomb"),
    [
        ("gzip", lambda: _zlib_bomb(INFLATED, zlib.MAX_WBITS | 16)),
        ("deflate", lambda: _zlib_bomb(INFLATED, zlib.MAX_WBITS)),  # zlib-wrapped, as RFC 9110 means it
        ("deflate", lambda: _zlib_bomb(INFLATED, -zlib.MAX_WBITS)),  # raw, as some servers send it
        ("br", lambda: _brotli_bomb(INFLATED)),
        ("zstd", lambda: _zstd_bomb(INFLATED)),
    ],
    ids=["gzip", "deflate-zlib", "deflate-raw", "br", "zstd"],
)
def test_every_decoder_stops_at_the_limit(coding: str, bomb: Callable[[], bytes]) -> None:
    body = bomb()
    assert len(body) < 2 * MB  # a small download...
    tracemalloc.start()
    try:
        with pytest.raises(TooLarge, match=r"exceeded DOWNLOAD_MAXSIZE \(33,554,432 bytes\)"):
            decode_content(body, [coding], LIMIT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * LIMIT, f"{coding}: decoding held {peak / MB:,.0f} MB"  # ...that never became 1 GiB
