"""What page requisites cost: requests and bytes per article on a first and a second run, and crawl
throughput with requisites at the default level and off.

usage: python benchmarks/requisite_cost.py [--pages 300] [--rounds 2] [--identity] [--keep DIR] [-s NAME=VALUE]

The site is benchmarks/crawl.py's (the real-size pages of ../shared/corpus/fundus/pages under PAGES
article URLs and a paginated news feed), with every page's requisites made reachable: the corpus
pages name their stylesheets, scripts, images and icons on the real internet (the publishers' own
hosts and CDNs), which no benchmark machine reaches, so each absolute URL of a ``src``, ``srcset``,
``poster``, ``<link href>`` or ``url()`` is rewritten to ``http://localhost:PORT/_cdn/<host>/<path>``
(another host name than the site's 127.0.0.1, so another download slot, as a CDN is); relative ones
stay on the site. The structure is the publishers' own (how many requisites a page names, how many
its pages share); the bodies are synthetic, sized by kind (below) and incompressible, each with an ``ETag`` and
answering a matching ``If-None-Match`` with ``304``.

1. First run: ``scrapy crawl newsfeed`` at the default level (``NEWSARCHIVE_REQUISITES=layout``)
   into a fresh archive. Second run: the same archive, ``-a refresh=all`` (every article fetched
   again, conditionally: the bench site's pages carry no validators, so each is a full response and
   a revisit record; the requisites are asked for with their validators). Per run and per article:
   requests the site answered (pages, requisites in full, requisites 304), bytes it sent, WARC bytes.
2. Throughput: fresh crawls with requisites ``layout`` and ``none`` in turn, ROUNDS each: articles/s.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.crawl import (  # noqa: E402
    BenchSite,
    CorpusPage,
    CrawlResult,
    load_average,
    load_corpus,
    parsed_in_crawl_process,
    real_crawl_command,
    run_crawl,
)

# Synthetic body sizes (bytes) by kind: about the HTTP Archive's medians per request of each kind.
SIZES = {"css": 15_000, "js": 25_000, "font": 25_000, "image": 40_000, "icon": 5_000, "other": 10_000}
_KIND_OF_SUFFIX = {
    ".css": "css",
    ".js": "js",
    ".mjs": "js",
    ".woff": "font",
    ".woff2": "font",
    ".ttf": "font",
    ".otf": "font",
    ".ico": "icon",
    ".jpg": "image",
    ".jpeg": "image",
    ".png": "image",
    ".gif": "image",
    ".webp": "image",
    ".avif": "image",
    ".svg": "image",
}
_TYPES = {
    "css": "text/css",
    "js": "application/javascript",
    "font": "font/woff2",
    "image": "image/jpeg",
    "icon": "image/x-icon",
    "other": "application/octet-stream",
}
# Incompressible, as images and fonts are (text kinds compress some 4x in reality: their WARC bytes are an upper bound).
_FILLER = {kind: random.Random(kind).randbytes(size - 32) for kind, size in SIZES.items()}
# An absolute or scheme-relative URL's scheme and host, inside the attributes and CSS that name requisites.
_ABSOLUTE = re.compile(rb"(?:https?:)?//([A-Za-z0-9.-]+\.[A-Za-z]{2,})(?=[/\"'\s?)])")
_REQUISITE_VALUES = re.compile(
    rb"""(\b(?:src|srcset|data-src|data-srcset|poster)\s*=\s*["'][^"']*["'])"""
    rb"""|(<link\b[^>]*>)|(url\(\s*["']?[^)"']*)""",
    re.IGNORECASE,
)


def kind_of(path: str) -> str:
    suffix = Path(path.split("?", 1)[0]).suffix.lower()
    return _KIND_OF_SUFFIX.get(suffix, "other")


def rewrite(html: bytes, cdn: bytes) -> bytes:
    """*html* with the hosts of its requisites' URLs replaced by the local CDN's (anchors untouched)."""

    def local(match: re.Match[bytes]) -> bytes:
        return _ABSOLUTE.sub(lambda host: cdn + b"/_cdn/" + host.group(1), match.group(0))

    return _REQUISITE_VALUES.sub(local, html)


class RequisiteBenchSite(BenchSite):
    """BenchSite whose pages' requisites are answered: synthetic bodies, validators, 304s."""

    def __init__(self, corpus: list[CorpusPage], pages: int, gzip_encoding: bool) -> None:
        super().__init__(corpus, pages, gzip_encoding=gzip_encoding)
        port = self.server.server_address[1]
        self.cdn = f"http://localhost:{port}"
        rewritten = []
        for page in corpus:
            html = rewrite(page.html, self.cdn.encode())
            rewritten.append(CorpusPage(page.name, _gzip(html), html))
        self.corpus = rewritten
        self.counts: Counter[str] = Counter()  # requests answered, by what they were
        self.bytes_sent: Counter[str] = Counter()
        self._count_lock = threading.Lock()

    def __enter__(self) -> RequisiteBenchSite:
        super().__enter__()
        return self

    def reset_counts(self) -> None:
        with self._count_lock:
            self.counts.clear()
            self.bytes_sent.clear()

    def _count(self, what: str, size: int) -> None:
        with self._count_lock:
            self.counts[what] += 1
            self.bytes_sent[what] += size

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        host = (request.headers.get("Host") or "").split(":", 1)[0]
        kind = kind_of(path)
        # The site's own pages, robots.txt and links that name no requisite are answered as
        # benchmarks/crawl.py answers them (a link to no page is a 404 there too).
        if path == "/robots.txt" or (host == "127.0.0.1" and (path in self._by_path or kind == "other")):
            size_before = self.served
            super().handle(request)
            self._count("page" if self.served > size_before else "listing, robots or 404", 0)
            return
        etag = '"' + hashlib.sha1(request.path.encode()).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            request.send_response(304)
            request.send_header("ETag", etag)
            request.end_headers()
            self._count("requisite 304", 0)
            return
        body = hashlib.sha256(request.path.encode()).digest() + _FILLER[kind]
        request.send_response(200)
        request.send_header("Content-Type", _TYPES[kind])
        request.send_header("Content-Length", str(len(body)))
        request.send_header("ETag", etag)
        request.send_header("Cache-Control", "max-age=0")
        request.end_headers()
        request.wfile.write(body)
        self._count(f"requisite 200 {kind}", len(body))


def _gzip(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data, 6)


def _articles(result: CrawlResult) -> int:
    return int(result.stat("newsarchive/extracted/article"))


def run_report(name: str, site: RequisiteBenchSite, result: CrawlResult, pages: int) -> None:
    counts, sent = site.counts, site.bytes_sent
    requisites_full = sum(v for k, v in counts.items() if k.startswith("requisite 200"))
    requisites_bytes = sum(v for k, v in sent.items() if k.startswith("requisite 200"))
    warc_bytes = result.stat("newsarchive/warc_bytes")
    responses = result.stat("newsarchive/warc_responses")
    wall = result.stat("bench/wall_s")
    print(
        f"  {name}: {pages} article URLs, {counts['page']} article responses, {_articles(result)} articles extracted "
        f"in {wall:.1f} s; requisites: {requisites_full} full ({requisites_bytes / 1e6:.1f} MB sent), "
        f"{counts['requisite 304']} answered 304; per article: "
        f"{(requisites_full + counts['requisite 304']) / pages:.2f} requisite requests "
        f"({requisites_full / pages:.2f} full, {counts['requisite 304'] / pages:.2f} 304), "
        f"{requisites_bytes / pages / 1024:.1f} KB of requisites sent, "
        f"{responses / pages:.2f} WARC responses, {warc_bytes / pages / 1024:.1f} KB of WARC"
    )
    by_kind = ", ".join(f"{k.removeprefix('requisite 200 ')} {v}" for k, v in sorted(counts.items()) if "200" in k)
    print(f"    full requisites by kind: {by_kind or 'none'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=300, help="article URLs on the site (default 300)")
    parser.add_argument("--rounds", type=int, default=2, help="throughput crawls per level (default 2)")
    parser.add_argument("--identity", action="store_true", help="serve pages uncompressed")
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: a temporary one)")
    parser.add_argument("-s", dest="settings", action="append", default=[], help="extra setting for every crawl")
    args = parser.parse_args(argv)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="newsarchive-requisites-"))
    print(
        f"python benchmarks/requisite_cost.py --pages {args.pages} --rounds {args.rounds}"
        f"{' --identity' if args.identity else ''}{''.join(' -s ' + s for s in args.settings)}; "
        f"load average before: {load_average()}"
    )
    try:
        with RequisiteBenchSite(load_corpus(), args.pages, gzip_encoding=not args.identity) as site:
            distinct = {u for p in site.corpus for u in re.findall(rb"/_cdn/[^\"'\s)]+", p.html)}
            print(f"  the corpus pages name {len(distinct)} distinct off-site requisite URLs (rewritten to the CDN)")
            archive = workdir / "runs"
            layout = ["NEWSARCHIVE_REQUISITES=layout", *args.settings]
            site.reset_counts()
            first = run_crawl("first", real_crawl_command(site, archive, layout, None), archive, site)
            run_report("first run ", site, first, args.pages)
            site.reset_counts()
            second_command = [*real_crawl_command(site, archive, layout, None), "-a", "refresh=all"]
            second = run_crawl("second", second_command, archive, site)
            run_report("second run", site, second, args.pages)

            speeds: dict[str, list[float]] = {"layout": [], "none": []}
            for number in range(1, args.rounds + 1):
                for level in ("layout", "none"):
                    here = workdir / f"speed-{number}-{level}"
                    site.reset_counts()
                    result = run_crawl(
                        level,
                        real_crawl_command(site, here, [f"NEWSARCHIVE_REQUISITES={level}", *args.settings], None),
                        here,
                        site,
                    )
                    wall = result.stat("bench/wall_s")
                    speeds[level].append(_articles(result) / wall if wall else 0.0)
                    cpu = result.stat("bench/cpu_s") + result.stat("bench/children_cpu_s")
                    print(
                        f"  throughput round {number}, requisites {level:<6}: {speeds[level][-1]:.1f} articles/s, "
                        f"{cpu / args.pages * 1000:.0f} CPU ms/article (workers "
                        f"{result.stat('bench/children_cpu_s') / args.pages * 1000:.0f}, reactor thread "
                        f"{result.stat('newsarchive/probe/reactor_cpu_s') / args.pages * 1000:.1f}), "
                        f"{parsed_in_crawl_process(result)}; load {load_average()}"
                    )
            layout_speed, none_speed = statistics.median(speeds["layout"]), statistics.median(speeds["none"])
            print(
                f"  median articles/s: layout {layout_speed:.1f}, none {none_speed:.1f} "
                f"(layout/none {layout_speed / none_speed if none_speed else 0:.2f})"
            )
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
