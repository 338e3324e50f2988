"""Crawl throughput: the real ``scrapy crawl newsfeed`` beside the naive pipeline and the cost of its parts.

usage: python benchmarks/crawl.py [--pages 300] [--rounds N] [--keep DIR] [--charset-header] [--identity]
                                  [--profile OUT] [-s NAME=VALUE]
       python benchmarks/crawl.py --pages 10000 --memory
       python benchmarks/crawl.py --pages 300 --second-crawl [--rounds N]

Starts a local news site on 127.0.0.1 (a threaded static server in this process): the real-size pages
of ../shared/corpus/fundus/pages, gzip-encoded as stored, under PAGES distinct article URLs
(``/news/<slug>-NNNNN/``, page i is corpus page i mod 143) and a news-feed listing of 100 links a page
with ``rel=next`` pagination. ``Content-Type: text/html`` carries no charset unless --charset-header;
--identity serves the pages uncompressed.

In one run, on the same pages, side by side:

1. stage costs, CPU ms/page measured here: extract (``archive.extract.extract`` on each page),
   WARC write (the project's writer at NEWSARCHIVE_WARC_GZIP_LEVEL; warcio at its level 9 for the
   naive figure; a level 1/3/6/9 size-vs-CPU table), store (``archive.store.store`` in batches of 200
   into a fresh SQLite; one commit per item for the naive figure), and fetch (CPU of a fetch-only
   Scrapy crawl of the site, ``benchmarks/naive.py fetch``);
2. the NAIVE pipeline (``benchmarks/naive.py naive``: extract in the callback, warcio in the reactor
   thread, one commit per item);
3. the real ``scrapy crawl newsfeed`` (the ``scrapy`` console script; stall probe on, autothrottle off,
   everything else as configured).

Prints pages/s of both crawls, CPU ms/page per stage, peak RSS (the crawl process plus its
extraction workers), what of the workers' CPU is their start-up (a pool started and stopped apart:
spawning, imports, stop words, warm-up; about 0.65 s a worker, 3.5 ms a page of a 400-page run), the
longest reactor stall, the reactor thread's CPU per page, how many pages the crawl process parsed
itself (``newsarchive/read/in_crawl_process``: 0 when the reactor parses no HTML; the workers read
every page's requisites and links, from extraction's parse or from one of their own), and the ratios
real/naive and real/two-core limit, where the limit is 2 cores / (sum of the per-page stage costs).
The machine's load average is printed with them: these machines are shared, so only ratios from one
run mean anything.

--memory: the real crawl only, reporting RSS over time (sampled every 0.5 s) and peak RSS.
--second-crawl: a real crawl, then the same site crawled again into copies of its archive, every page
fetched in full (incremental and conditional requests off) and unchanged, so each HTML page is a
revisit: once with NEWSARCHIVE_EXTRACT_REUSE on, once off, alternately for --rounds rounds; CPU
ms/page of each second crawl (what reusing the first crawl's extraction saves).
--profile OUT: run the real crawl under ``py-spy record --subprocesses -f raw`` (collapsed stacks; other
py-spy options in $BENCH_PYSPY_ARGS, e.g. "--gil" for the main process's GIL holders only).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _shared_dir() -> Path:
    """../shared, beside the main checkout: a git worktree elsewhere finds it through its .git file."""
    git = ROOT / ".git"
    if not (ROOT.parent / "shared").is_dir() and git.is_file():
        # "gitdir: MAIN/.git/worktrees/NAME"
        main = Path(git.read_text().split(":", 1)[1].strip()).parents[2]
        return main.parent / "shared"
    return ROOT.parent / "shared"


_SHARED = _shared_dir()
CORPUS = _SHARED / "corpus" / "fundus" / "pages"
PER_LISTING_PAGE = 100
STATS_FILE_ENV = "NEWSARCHIVE_BENCH_STATS_FILE"


# -- the site ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CorpusPage:
    name: str
    gz: bytes  # as stored: served as Content-Encoding: gzip
    html: bytes


def load_corpus(directory: Path = CORPUS) -> list[CorpusPage]:
    pages = []
    for path in sorted(directory.glob("*.html.gz")):
        data = path.read_bytes()
        pages.append(CorpusPage(path.name.removesuffix(".html.gz"), data, gzip.decompress(data)))
    if not pages:
        raise SystemExit(f"no pages under {directory}")
    return pages


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class BenchSite:
    """PAGES article URLs over the corpus and a paginated news feed, on 127.0.0.1, from memory."""

    def __init__(
        self, corpus: list[CorpusPage], pages: int, charset_header: bool = False, gzip_encoding: bool = True
    ) -> None:
        self.corpus = corpus
        self.pages = pages
        self.content_type = "text/html; charset=utf-8" if charset_header else "text/html"
        self.gzip_encoding = gzip_encoding
        self.served = 0  # article responses sent
        self._lock = threading.Lock()
        self.listing_pages = -(-pages // PER_LISTING_PAGE)
        self.paths = [f"/news/{_slug(corpus[i % len(corpus)].name)}-{i:05d}/" for i in range(pages)]
        self._by_path = {p: i for i, p in enumerate(self.paths)}
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # As nginx's tcp_nodelay: without it the body waits on a delayed ACK of the headers (~40 ms).
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                site.handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            # nginx's listen backlog; socketserver's default of 5 drops connections under a burst and the
            # client's SYN retry adds a whole second to those downloads.
            request_queue_size = 511

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="bench-site", daemon=True)

    def __enter__(self) -> BenchSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def page_of(self, index: int) -> CorpusPage:
        return self.corpus[index % len(self.corpus)]

    def listing(self, number: int) -> bytes:
        first = (number - 1) * PER_LISTING_PAGE
        items = "".join(
            f'<li><a href="{p}">Story {first + k}: {p.split("/")[2].replace("-", " ")}</a></li>'
            for k, p in enumerate(self.paths[first : first + PER_LISTING_PAGE])
        )
        nxt = f"/news-feed/page/{number + 1}/" if number < self.listing_pages else ""
        link = f'<link rel="next" href="{nxt}">' if nxt else ""
        more = f'<a class="load-more" href="{nxt}">Show more</a>' if nxt else ""
        return (
            f"<!doctype html><html lang=en><head><meta charset=utf-8><title>News feed, page {number}</title>"
            f"{link}</head><body><h1>News feed</h1><ul>{items}</ul>{more}</body></html>"
        ).encode()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        encoding = None
        if path == "/robots.txt":
            body, ctype = b"User-agent: *\nAllow: /\n", "text/plain"
        elif path == "/news-feed/" or (m := re.fullmatch(r"/news-feed/page/(\d+)/", path)):
            number = 1 if path == "/news-feed/" else int(m.group(1))  # type: ignore[union-attr]
            if not 1 <= number <= self.listing_pages:
                return self._send(request, 404, b"not found", "text/plain")
            body, ctype = self.listing(number), "text/html; charset=utf-8"
        elif (index := self._by_path.get(path)) is not None:
            page = self.page_of(index)
            ctype = self.content_type
            if self.gzip_encoding and "gzip" in (request.headers.get("Accept-Encoding") or ""):
                body, encoding = page.gz, "gzip"
            else:
                body = page.html
            with self._lock:
                self.served += 1
        else:
            body, ctype = b"not found", "text/plain"
            return self._send(request, 404, body, ctype)
        self._send(request, 200, body, ctype, encoding)

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str, encoding: str | None = None
    ) -> None:
        request.send_response(status)
        request.send_header("Content-Type", ctype)
        if encoding:
            request.send_header("Content-Encoding", encoding)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)


# -- measuring processes -------------------------------------------------------------------------
def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found.extend(int(c) for c in text)
    except OSError:
        pass
    return found


def tree_rss_kb(pid: int) -> tuple[int, int]:
    """(RSS of *pid*, RSS of *pid* and all its descendants), in KiB."""
    own = _rss_kb(pid)
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += _rss_kb(current)
        stack.extend(_children(current))
    return own, total


@dataclass
class RssSamples:
    samples: list[tuple[float, int, int, int]] = field(default_factory=list)  # (t, main KiB, tree KiB, served)

    @property
    def peak_tree_mb(self) -> float:
        return max((s[2] for s in self.samples), default=0) / 1024

    @property
    def peak_main_mb(self) -> float:
        return max((s[1] for s in self.samples), default=0) / 1024


@dataclass
class CrawlResult:
    name: str
    stats: dict[str, Any]
    rss: RssSamples
    returncode: int
    log: Path
    others_cores: float = 0.0  # CPU used by everything else on the machine while the crawl ran

    def stat(self, key: str, default: float = 0.0) -> float:
        return float(self.stats.get(key, default) or 0.0)


def run_crawl(
    name: str, command: list[str], workdir: Path, site: BenchSite, interval: float = 0.25, main_pid_of: str = ""
) -> CrawlResult:
    """Run a crawl process, sampling the RSS of its process tree; read the stats it dumped."""
    workdir.mkdir(parents=True, exist_ok=True)
    stats_file = workdir / "stats.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    env[STATS_FILE_ENV] = str(stats_file)
    env["NEWSARCHIVE_INDEX_FILE"] = str(workdir / "warc.cdxj")
    # This checkout's packages, whatever is installed: the console script's own directory is first on its path.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    log = workdir / "crawl.log"
    rss = RssSamples()
    started = time.monotonic()
    machine_before, tree_before = _machine_busy_seconds(), _children_cpu_seconds()
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        while process.poll() is None:
            pid = process.pid
            if main_pid_of:  # py-spy wraps the crawl: measure its child
                kids = _children(pid)
                pid = kids[0] if kids else pid
            main, tree = tree_rss_kb(pid)
            if main_pid_of and pid == process.pid:
                main, tree = 0, 0
            rss.samples.append((time.monotonic() - started, main, tree, site.served))
            time.sleep(interval)
    wall = time.monotonic() - started
    others = (_machine_busy_seconds() - machine_before) - (_children_cpu_seconds() - tree_before)
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    if process.returncode != 0 or not stats:
        print(f"!! {name} crawl failed (exit {process.returncode}); log tail:", file=sys.stderr)
        print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
    return CrawlResult(name, stats, rss, process.returncode, log, others_cores=max(0.0, others / wall))


def _machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat: everything but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = sum(fields[:8]) - fields[3] - fields[4]
    return busy / os.sysconf("SC_CLK_TCK")


def _children_cpu_seconds() -> float:
    """CPU of this process's reaped children, their reaped children included (the crawl's workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure_worker_startup(workers: int) -> float:
    """CPU seconds an extraction pool of *workers* spends on starting (spawn, imports, stop words,
    warm-up) and stopping: in every crawl's worker CPU whatever its length (one tiny page each)."""
    from archive.extraction.pool import ExtractionPool
    from archive.responses import PageInput

    before = _children_cpu_seconds()
    pool = ExtractionPool(workers, 0)
    tiny = PageInput("http://localhost/", b"<html><body><p>start</p></body></html>", {"Content-Type": "text/html"})
    for future in [pool.submit(tiny) for _ in range(workers)]:
        future.result()
    pool.close()
    return _children_cpu_seconds() - before


def startup_line(startup_s: float, workers: int, pages: int) -> str:
    return (
        f"  of the workers' CPU, their start-up (measured apart, {workers} workers): {startup_s:.2f} s, "
        f"{startup_s / pages * 1000:.1f} ms/page of this run"
    )


def scrapy_command() -> list[str]:
    """``scrapy``, the console script users run, beside this interpreter (``python -m scrapy`` where
    there is none): a spawned worker is prepared from the parent's main script, and the two differ there."""
    import sysconfig

    script = Path(sysconfig.get_path("scripts")) / "scrapy"
    return [sys.executable, str(script)] if script.is_file() else [sys.executable, "-m", "scrapy"]


def real_crawl_command(site: BenchSite, workdir: Path, extra: list[str], profile: str | None) -> list[str]:
    command = [
        *scrapy_command(),
        "crawl",
        "newsfeed",
        "-a",
        f"start_url={site.url}/news-feed/",
        "-s",
        f"NEWSARCHIVE_DATABASE_URL=sqlite:///{workdir / 'archive.db'}",
        "-s",
        f"NEWSARCHIVE_WARC_DIR={workdir / 'warc'}",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "NEWSARCHIVE_STALL_PROBE=True",
        "-s",
        "NEWSARCHIVE_MAX_LISTING_PAGES=100000",
        "-s",
        "STATS_CLASS=benchmarks.naive.JsonStatsCollector",
        "-s",
        "LOGSTATS_INTERVAL=10",
        # The corpus pages name their requisites on the real internet, which a benchmark machine
        # cannot reach, and the naive pipeline fetches none: `-s NEWSARCHIVE_REQUISITES=layout` to time them.
        "-s",
        "NEWSARCHIVE_REQUISITES=none",
    ]
    for setting in extra:
        command += ["-s", setting]
    if profile:
        extra_args = os.environ.get("BENCH_PYSPY_ARGS", "--subprocesses").split()  # e.g. "--gil"
        command = ["py-spy", "record", *extra_args, "-r", "200", "-f", "raw", "-o", profile, "--", *command]
    return command


# -- stage costs -----------------------------------------------------------------------------------
def cpu_per_call(function: Callable[[], Any]) -> float:
    """CPU seconds of this thread spent in *function*."""
    start = time.thread_time()
    function()
    return time.thread_time() - start


def weighted(counts: Counter[int], costs: dict[int, float]) -> float:
    """Mean per-page cost over the crawl's pages (page i is corpus page i mod n)."""
    total = sum(counts.values())
    return sum(costs[k] * c for k, c in counts.items()) / total


@dataclass
class StageCosts:
    extract_ms: float = 0.0
    warc_ms: float = 0.0  # project writer at the configured level
    warc_naive_ms: float = 0.0  # warcio, level 9
    store_ms: float = 0.0  # batches of 200
    store_naive_ms: float = 0.0  # one commit per item
    fetch_ms: float = 0.0
    level_table: list[tuple[int, float, float]] = field(default_factory=list)  # (level, MB per page, ms per page)
    extract_p99_ms: float = 0.0
    extract_max_ms: float = 0.0

    @property
    def total_ms(self) -> float:
        return self.fetch_ms + self.extract_ms + self.warc_ms + self.store_ms

    @property
    def naive_total_ms(self) -> float:
        return self.fetch_ms + self.extract_ms + self.warc_naive_ms + self.store_naive_ms


def _exchange(site: BenchSite, index: int) -> tuple[Any, Any]:
    from archive.warc.writer import ExchangeRequest, ExchangeResponse

    page = site.page_of(index)
    url = site.url + site.paths[index]
    body = page.gz if site.gzip_encoding else page.html
    headers = [("Content-Type", site.content_type), ("Content-Length", str(len(body)))]
    if site.gzip_encoding:
        headers.insert(1, ("Content-Encoding", "gzip"))
    return (
        ExchangeRequest("GET", url, [("Host", url.split("/")[2]), ("Accept-Encoding", "gzip, deflate, br, zstd")]),
        ExchangeResponse(200, "OK", headers, body, ip_address="127.0.0.1"),
    )


def measure_extract(site: BenchSite) -> tuple[float, float, float, dict[int, Any]]:
    """CPU ms/page of ``extract`` over the crawl's pages (mean, p99, max), and its results by corpus page."""
    from archive.extract import extract

    counts = Counter(i % len(site.corpus) for i in range(site.pages))
    extract(b"<html><body><p>warm up</p></body></html>", "http://localhost/", {"Content-Type": "text/html"})
    results: dict[int, Any] = {}
    extract_costs: dict[int, float] = {}
    for k in counts:
        page = site.page_of(k)
        url = site.url + site.paths[k]  # the first URL serving corpus page k is index k
        headers = {"Content-Type": site.content_type, "Content-Length": str(len(page.gz))}
        extract_costs[k] = cpu_per_call(
            lambda p=page, u=url, h=headers, k=k: results.__setitem__(k, extract(p.html, u, h))
        )
    ordered = sorted(extract_costs.values())
    return (
        weighted(counts, extract_costs) * 1000,
        ordered[int(0.99 * (len(ordered) - 1))] * 1000,
        ordered[-1] * 1000,
        results,
    )


def measure_stages(site: BenchSite, workdir: Path, gzip_level: int, gzip_library: str) -> tuple[StageCosts, Any]:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from archive.capture import Capture
    from archive.db import open_database
    from archive.store import store
    from archive.warc.writer import WarcWriter

    counts = Counter(i % len(site.corpus) for i in range(site.pages))
    first_index = {k: k for k in counts}  # the first URL serving corpus page k is index k
    costs = StageCosts()
    costs.extract_ms, costs.extract_p99_ms, costs.extract_max_ms, results = measure_extract(site)

    def warc_costs(level: int) -> tuple[float, float]:
        directory = workdir / f"stage-warc-{level}"
        writer = WarcWriter(directory, gzip_level=level, gzip_library=gzip_library)
        per: dict[int, float] = {}
        sizes: dict[int, int] = {}
        for k in counts:
            request, response = _exchange(site, first_index[k])
            before = writer.bytes_written
            per[k] = cpu_per_call(lambda r=request, s=response: writer.write_exchange(r, s))
            sizes[k] = writer.bytes_written - before
        writer.close()
        shutil.rmtree(directory, ignore_errors=True)
        return weighted(counts, per) * 1000, weighted(counts, {k: float(v) for k, v in sizes.items()}) / 1e6

    for level in (1, 3, 6, 9):
        ms, mb = warc_costs(level)
        costs.level_table.append((level, mb, ms))
        if level == gzip_level:
            costs.warc_ms = ms
    if not costs.warc_ms:
        costs.warc_ms = warc_costs(gzip_level)[0]

    naive_per: dict[int, float] = {}
    buffer = io.BytesIO()
    warcio_writer = WARCWriter(buffer, gzip=True)
    for k in counts:
        request, response = _exchange(site, first_index[k])

        def write(rq: Any = request, rs: Any = response) -> None:
            record = warcio_writer.create_warc_record(
                rq.url,
                "response",
                payload=io.BytesIO(rs.body),
                length=len(rs.body),
                http_headers=StatusAndHeaders("200 OK", rs.headers, protocol="HTTP/1.1"),
            )
            warcio_writer.write_record(record)
            warcio_writer.write_record(
                warcio_writer.create_warc_record(
                    rq.url,
                    "request",
                    payload=io.BytesIO(b""),
                    length=0,
                    http_headers=StatusAndHeaders("GET / HTTP/1.1", rq.headers, is_http_request=True),
                )
            )

        naive_per[k] = cpu_per_call(write)
        buffer.seek(0)
        buffer.truncate()
    costs.warc_naive_ms = weighted(counts, naive_per) * 1000

    import datetime as dt

    def entries() -> Iterator[tuple[Any, Any]]:
        for i in range(site.pages):
            k = i % len(site.corpus)
            page = site.page_of(k)
            capture = Capture(
                url=site.url + site.paths[i],
                status=200,
                fetched_at=dt.datetime.now(dt.UTC),
                warc_file="bench.warc.gz",
                warc_offset=i * 1000,
                warc_length=999,
                warc_record_id=f"<urn:uuid:{i:032x}>",
                content_type=site.content_type,
                content_length=len(page.gz),
                payload_digest=f"sha1:{k:032d}",
            )
            yield capture, results[k]

    sessions = open_database(f"sqlite:///{workdir / 'stage-store.db'}")
    all_entries = list(entries())
    start = time.thread_time()
    for offset in range(0, len(all_entries), 200):
        with sessions.begin() as session:
            store(session, all_entries[offset : offset + 200])
    costs.store_ms = (time.thread_time() - start) / len(all_entries) * 1000
    naive_sessions = open_database(f"sqlite:///{workdir / 'stage-store-naive.db'}")
    sample = all_entries[: min(len(all_entries), 300)]
    start = time.thread_time()
    for entry in sample:
        with naive_sessions.begin() as session:
            store(session, [entry])
    costs.store_naive_ms = (time.thread_time() - start) / len(sample) * 1000
    return costs, results


# -- report ------------------------------------------------------------------------------------------
def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def pages_per_s(result: CrawlResult, pages: int) -> float:
    wall = result.stat("bench/wall_s")
    return pages / wall if wall else 0.0


def parsed_in_crawl_process(result: CrawlResult) -> str:
    """What the reactor parsed: pages whose requisites or links the crawl process read itself (no
    workers, or a worker that died twice), against those read in a worker; a tree before page
    reads (issue 19) parsed every HTML page in the reactor and counted none."""
    if "newsarchive/read/in_crawl_process" not in result.stats:
        return "HTML pages parsed in the crawl process: not counted (every one, before issue 19)"
    return (
        f"HTML pages parsed in the crawl process {int(result.stat('newsarchive/read/in_crawl_process'))}, "
        f"read in a worker from extraction's parse {int(result.stat('newsarchive/read/one_parse'))}, "
        f"from a parse of their own {int(result.stat('newsarchive/read/own_parse'))}"
    )


def report_crawl(result: CrawlResult, pages: int) -> str:
    cpu = result.stat("bench/cpu_s") + result.stat("bench/children_cpu_s")
    wall = result.stat("bench/wall_s")
    return (
        f"  {result.name:<6} {pages_per_s(result, pages):7.1f} pages/s  {wall:6.1f} s wall  "
        f"{cpu / pages * 1000:6.1f} CPU ms/page ({cpu / wall if wall else 0:.2f} cores; workers "
        f"{result.stat('bench/children_cpu_s') / pages * 1000:.1f}; reactor thread "
        f"{result.stat('newsarchive/probe/reactor_cpu_s') / pages * 1000:.1f})  "
        f"peak RSS {result.rss.peak_tree_mb:6.0f} MB (crawl process {result.rss.peak_main_mb:.0f} MB)  "
        f"longest reactor stall {result.stat('newsarchive/probe/max_stall_ms'):6.0f} ms "
        f"({int(result.stat('newsarchive/probe/stalls_over_50ms'))} over 50 ms; "
        f"longest busy on its own CPU {result.stat('newsarchive/probe/max_busy_ms'):.0f} ms "
        f"at {result.stat('newsarchive/probe/max_busy_at_s'):.1f} s, longest GC pause "
        f"{result.stat('newsarchive/probe/max_gc_pause_ms'):.0f} ms, "
        f"{int(result.stat('newsarchive/probe/busy_over_50ms'))} over 50 ms)  "
        f"captures stored {int(result.stat('newsarchive/store/captures'))}; "
        # What the reactor parsed: the pages whose requisites or links were read in the crawl's
        # process (no workers, or a worker that died twice), against those read in a worker.
        f"{parsed_in_crawl_process(result)}"
        + (
            f"; extraction pool underfed (fewer pages than workers) "
            f"{result.stat('newsarchive/extract/pool_underfed_s'):.1f} s"
            if "newsarchive/extract/pool_underfed_s" in result.stats
            else ""
        )
    )


def check_real(result: CrawlResult, pages: int) -> list[str]:
    problems = []
    stored = int(result.stat("newsarchive/store/captures"))
    if stored < pages:
        problems.append(f"real crawl stored {stored} captures for {pages} pages")
    if result.returncode:
        problems.append(f"real crawl exited {result.returncode}")
    return problems


def memory_report(result: CrawlResult, pages: int) -> None:
    samples = result.rss.samples
    print(f"\nRSS over time (crawl process + extraction workers), {pages} pages:")
    print(f"  {'t (s)':>7} {'pages':>6} {'tree MB':>8} {'crawl MB':>9}")
    step = max(1, len(samples) // 25)
    for t, main, tree, served in samples[::step] + samples[-1:]:
        print(f"  {t:7.1f} {served:6d} {tree / 1024:8.0f} {main / 1024:9.0f}")
    print(f"  peak: tree {result.rss.peak_tree_mb:.0f} MB, crawl process {result.rss.peak_main_mb:.0f} MB")
    warm = [s for s in samples if s[3] >= pages * 0.2]
    if warm:
        early = statistics.median(s[2] for s in warm[: max(1, len(warm) // 5)]) / 1024
        late = statistics.median(s[2] for s in warm[-max(1, len(warm) // 5) :]) / 1024
        print(f"  after warm-up (20% of pages): median tree RSS first fifth {early:.0f} MB, last fifth {late:.0f} MB")


# Every page fetched again in full: the second crawl's HTML pages are all revisits of the first's.
REFETCH_ALL = ["NEWSARCHIVE_INCREMENTAL=False", "NEWSARCHIVE_CONDITIONAL_REQUESTS=False"]


def second_crawls(site: BenchSite, workdir: Path, settings: list[str], rounds: int, pages: int) -> None:
    """A first real crawl, then second crawls of the unchanged site into copies of its archive,
    reuse on and off in turn; CPU ms/page of each."""
    import sqlite3

    first_dir = workdir / "first"
    first = run_crawl("first", real_crawl_command(site, first_dir, settings, None), first_dir, site)
    print(report_crawl(first, pages))
    per_page: dict[str, list[float]] = {"on": [], "off": []}
    for number in range(1, rounds + 1):
        for reuse in ("on", "off"):
            here = workdir / f"second-{number}-{reuse}"
            here.mkdir(parents=True)
            with sqlite3.connect(first_dir / "archive.db") as source, sqlite3.connect(here / "archive.db") as copy:
                source.backup(copy)
            shutil.copytree(first_dir / "warc", here / "warc")
            extra = [*settings, *REFETCH_ALL, f"NEWSARCHIVE_EXTRACT_REUSE={reuse == 'on'}"]
            second = run_crawl(f"reuse {reuse}", real_crawl_command(site, here, extra, None), here, site)
            cpu = second.stat("bench/cpu_s") + second.stat("bench/children_cpu_s")
            per_page[reuse].append(cpu / pages * 1000)
            print(
                report_crawl(second, pages) + f"; reused {int(second.stat('newsarchive/extract/reused'))}, "
                f"extracted by the pool {int(second.stat('newsarchive/extract/pool_pages'))}"
            )
    print(
        "second crawl CPU ms/page (crawl process + workers), median: reuse on "
        f"{statistics.median(per_page['on']):.1f} {[round(v, 1) for v in per_page['on']]}, reuse off "
        f"{statistics.median(per_page['off']):.1f} {[round(v, 1) for v in per_page['off']]}"
    )


def print_summary(
    costs: StageCosts,
    gzip_level: int,
    rounds: list[tuple[CrawlResult, CrawlResult | None, CrawlResult]],
    pages: int,
    round_extract: list[float],
    startup: tuple[float, int],
) -> None:
    limit = 2000 / costs.total_ms
    rows = [
        ("fetch (fetch-only Scrapy crawl)", costs.fetch_ms, "median of the rounds" if len(rounds) > 1 else ""),
        ("extract", costs.extract_ms, f"p99 {costs.extract_p99_ms:.0f}, max {costs.extract_max_ms:.0f}"),
        (
            f"WARC write, gzip level {gzip_level}",
            costs.warc_ms,
            f"warcio at level 9: {costs.warc_naive_ms:.1f}",
        ),
        ("store, batches of 200", costs.store_ms, f"one commit per item: {costs.store_naive_ms:.1f}"),
        ("sum", costs.total_ms, f"two-core limit {limit:.1f} pages/s"),
        (
            "naive sum (level 9, commit each)",
            costs.naive_total_ms,
            f"one core: {1000 / costs.naive_total_ms:.1f} pages/s",
        ),
    ]
    print("\nCPU ms/page per stage (measured by this run on the same pages):")
    for name, ms, note in rows:
        print(f"  {name:<34} {ms:7.1f}   {note}")
    print("WARC gzip level (response + request record of each page):")
    for level, mb, ms in costs.level_table:
        print(f"  level {level}: {mb * 1000:7.1f} KB/page {ms:6.2f} CPU ms/page")
    ratios: dict[str, list[float]] = {}
    for number, (fetch, naive, real) in enumerate(rounds, 1):
        print(f"\ncrawls, round {number}:")
        for result in (fetch, naive, real):
            if result is not None:
                print(report_crawl(result, pages))
        real_rate = pages_per_s(real, pages)
        real_cpu = (real.stat("bench/cpu_s") + real.stat("bench/children_cpu_s")) / pages * 1000
        left = max(0.1, (os.cpu_count() or 2) - real.others_cores)
        total_ms = costs.total_ms - costs.extract_ms + round_extract[number - 1]
        print(
            f"  extract measured before the real crawl: {round_extract[number - 1]:.1f} CPU ms/page; "
            f"stage sum {total_ms:.1f}, two-core limit {2000 / total_ms:.1f} pages/s"
        )
        print(startup_line(*startup, pages))
        found = {
            "real / naive (target >= 2.3)": real_rate / pages_per_s(naive, pages)
            if naive is not None and pages_per_s(naive, pages)
            else float("nan"),
            "real / two-core limit (target >= 0.9)": real_rate / (2000 / total_ms),
            "real CPU / sum of parts (overhead beyond the parts)": real_cpu / total_ms,
            "real / limit on the CPU other processes left it": real_rate / (left * 1000 / total_ms),
        }
        print(
            f"  other processes used {real.others_cores:.2f} of {os.cpu_count()} cores during the real crawl"
            + (f", {naive.others_cores:.2f} during the naive one" if naive is not None else "")
        )
        for name, value in found.items():
            print(f"  {name:<60} {value:5.2f}")
            ratios.setdefault(name, []).append(value)
        for problem in check_real(real, pages):
            print("!!", problem)
    if len(rounds) > 1:
        print(f"\nratios, median of {len(rounds)} rounds:")
        for name, values in ratios.items():
            print(f"  {name:<60} {statistics.median(values):5.2f}   ({', '.join(f'{v:.2f}' for v in values)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=300, help="article URLs on the site (default 300)")
    parser.add_argument("--memory", action="store_true", help="real crawl only: RSS over time and peak RSS")
    parser.add_argument("--charset-header", action="store_true", help="serve text/html; charset=utf-8")
    parser.add_argument("--identity", action="store_true", help="serve pages uncompressed (no Content-Encoding)")
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: a temporary one)")
    parser.add_argument("--profile", help="record the real crawl with py-spy (raw collapsed stacks) to this file")
    parser.add_argument("--rounds", type=int, default=1, help="fetch/naive/real crawls this many times, in turn")
    parser.add_argument("--skip-naive", action="store_true", help="stage costs and the real crawl only")
    parser.add_argument("--second-crawl", action="store_true", help="a second, unchanged crawl: reuse on and off")
    parser.add_argument("-s", dest="settings", action="append", default=[], help="extra setting for the real crawl")
    args = parser.parse_args(argv)

    from scrapy.settings import Settings

    project = Settings()
    project.setmodule("crawler.settings")
    gzip_level = project.getint("NEWSARCHIVE_WARC_GZIP_LEVEL", 6)
    gzip_library = project.get("NEWSARCHIVE_WARC_GZIP_LIBRARY")
    workers = project.getint("NEWSARCHIVE_EXTRACT_WORKERS")
    for setting in args.settings:
        if setting.startswith("NEWSARCHIVE_EXTRACT_WORKERS="):
            workers = int(setting.split("=", 1)[1])
        if setting.startswith("NEWSARCHIVE_WARC_GZIP_LEVEL="):
            gzip_level = int(setting.split("=", 1)[1])
        if setting.startswith("NEWSARCHIVE_WARC_GZIP_LIBRARY="):
            gzip_library = setting.split("=", 1)[1]

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="newsarchive-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    corpus = load_corpus()
    mean_kb = statistics.mean(len(p.html) for p in corpus) / 1024
    gz_kb = statistics.mean(len(p.gz) for p in corpus) / 1024
    print(
        f"site: {args.pages} article URLs over {len(corpus)} corpus pages ({mean_kb:.0f} KB mean, {gz_kb:.0f} KB "
        f"gzip), {-(-args.pages // PER_LISTING_PAGE)} listing pages; Content-Type "
        f"{'with' if args.charset_header else 'without'} charset, {'identity' if args.identity else 'gzip'}; "
        f"cpus {os.cpu_count()}; "
        f"load average before: {load_average()}"
    )
    try:
        with BenchSite(corpus, args.pages, charset_header=args.charset_header, gzip_encoding=not args.identity) as site:
            if args.second_crawl:
                second_crawls(site, workdir, args.settings, args.rounds, args.pages)
                print(f"load average after: {load_average()}")
                return 0
            if args.memory:
                real = run_crawl(
                    "real",
                    real_crawl_command(site, workdir / "real", args.settings, args.profile),
                    workdir / "real",
                    site,
                    interval=0.5,
                    main_pid_of="py-spy" if args.profile else "",
                )
                print(report_crawl(real, args.pages))
                print(startup_line(measure_worker_startup(workers), workers, args.pages))
                print(f"  other processes used {real.others_cores:.2f} of {os.cpu_count()} cores meanwhile")
                memory_report(real, args.pages)
                for problem in check_real(real, args.pages):
                    print("!!", problem)
                print(f"load average after: {load_average()}")
                return 0 if real.returncode == 0 else 1

            t0 = time.monotonic()
            costs, _ = measure_stages(site, workdir, gzip_level, gzip_library)
            print(f"stage costs measured in {time.monotonic() - t0:.0f} s; load average: {load_average()}")
            rounds: list[tuple[CrawlResult, CrawlResult | None, CrawlResult]] = []
            round_extract: list[float] = []
            for number in range(1, args.rounds + 1):
                here = workdir / f"round-{number}"
                fetch = run_crawl(
                    "fetch",
                    [sys.executable, "-m", "benchmarks.naive", "fetch", f"{site.url}/news-feed/", str(here / "fetch")],
                    here / "fetch",
                    site,
                )
                naive = None
                if not args.skip_naive:
                    naive = run_crawl(
                        "naive",
                        [
                            sys.executable,
                            "-m",
                            "benchmarks.naive",
                            "naive",
                            f"{site.url}/news-feed/",
                            str(here / "naive"),
                        ],
                        here / "naive",
                        site,
                    )
                # The cores' speed drifts on a shared host: the limit each real crawl is held to comes from
                # extraction measured right before it.
                round_extract.append(measure_extract(site)[0])
                real = run_crawl(
                    "real",
                    real_crawl_command(site, here / "real", args.settings, args.profile),
                    here / "real",
                    site,
                    main_pid_of="py-spy" if args.profile else "",
                )
                rounds.append((fetch, naive, real))
                print(f"round {number} done; load average: {load_average()}")
            costs.fetch_ms = statistics.median(f.stat("bench/cpu_s") for f, _, _ in rounds) / args.pages * 1000
            startup_s = measure_worker_startup(workers)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    print_summary(costs, gzip_level, rounds, args.pages, round_extract, (startup_s, workers))
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
