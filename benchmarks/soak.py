"""Soak: a long real crawl of a local site, watching memory, file descriptors and threads for growth.

usage: python benchmarks/soak.py [--pages 5000] [--max-seconds 1800] [--interval 0.5] [--csv OUT]
                                 [--keep DIR] [-s NAME=VALUE]

Serves the crawl benchmark's site (``benchmarks/crawl.py`` ``BenchSite``: PAGES article URLs over the
fundus corpus pages, gzip-encoded, a paginated news feed, all on 127.0.0.1, from memory) and runs the
real ``scrapy crawl newsfeed`` against it (the benchmark's command: autothrottle off, pagination
unbounded; the stall probe off). Every INTERVAL seconds it samples, from /proc:

* RSS (VmRSS) of the crawl process and of its descendants (the extraction workers);
* open file descriptors (/proc/PID/fd) of the crawl process and of its descendants;
* threads of the crawl process;
* pages fetched so far (article responses the site sent) and captures stored (the crawl's SQLite
  database, read-only, every few seconds).

At --max-seconds the crawl gets SIGINT (Scrapy's graceful stop). It prints the curve (one row per
10% of the crawling time), the peaks, the growth from warm-up (20% of the pages fetched) to the end
of fetching, the descriptor counts at start / max / end, and a verdict: memory is flat when both
the crawl process and the whole tree grow less than --max-growth (default 10%) after warm-up, and
descriptors do not grow when the end count is within a few of the warm-up count (sockets come and
go with the 16 concurrent requests). Memory and descriptors do not depend on the machine's speed,
so a shared, loaded machine gives the same verdict, only later.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import astuple, dataclass, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.crawl import (  # noqa: E402  (after the path fix, so this runs as a plain script)
    STATS_FILE_ENV,
    BenchSite,
    _children,
    _rss_kb,
    load_average,
    load_corpus,
    real_crawl_command,
)

WARM_UP = 0.2  # share of the pages fetched before the baseline is taken
FD_SLACK = 4  # descriptors the end may hold beyond the warm-up count without calling it growth
STOP_GRACE_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class Sample:
    t: float  # seconds since the crawl started
    fetched: int  # article responses sent by the site
    stored: int  # captures in the database
    crawl_rss_kb: int
    workers_rss_kb: int
    crawl_fds: int
    workers_fds: int
    threads: int
    workers: int

    @property
    def tree_rss_kb(self) -> int:
        return self.crawl_rss_kb + self.workers_rss_kb

    @property
    def tree_fds(self) -> int:
        return self.crawl_fds + self.workers_fds


def _descendants(pid: int) -> list[int]:
    found, stack = [], _children(pid)
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(_children(child))
    return found


def _fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:  # gone between listing and reading
        return 0


def _threads(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0


def _stored(database: Path) -> int | None:
    """Captures stored so far; None while the database or its tables do not exist yet."""
    if not database.exists():
        return None
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as connection:
            return int(connection.execute("SELECT count(*) FROM captures").fetchone()[0])
    except sqlite3.Error:
        return None


def sample(pid: int, started: float, site: BenchSite, stored: int) -> Sample:
    workers = _descendants(pid)
    return Sample(
        t=time.monotonic() - started,
        fetched=site.served,
        stored=stored,
        crawl_rss_kb=_rss_kb(pid),
        workers_rss_kb=sum(_rss_kb(w) for w in workers),
        crawl_fds=_fds(pid),
        workers_fds=sum(_fds(w) for w in workers),
        threads=_threads(pid),
        workers=len(workers),
    )


@dataclass
class SoakRun:
    samples: list[Sample]
    returncode: int
    stopped_at_limit: bool
    log: Path
    stats_file: Path


def run_soak(site: BenchSite, workdir: Path, settings: list[str], interval: float, max_seconds: float) -> SoakRun:
    workdir.mkdir(parents=True, exist_ok=True)
    command = real_crawl_command(site, workdir, [*settings, "NEWSARCHIVE_STALL_PROBE=False"], None)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    stats_file = workdir / "stats.json"
    env[STATS_FILE_ENV] = str(stats_file)
    env["NEWSARCHIVE_INDEX_FILE"] = str(workdir / "warc.cdxj")
    database = workdir / "archive.db"
    log = workdir / "crawl.log"
    samples: list[Sample] = []
    stored, last_count = 0, 0.0
    stopped = False
    started = time.monotonic()
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            while process.poll() is None:
                now = time.monotonic()
                if now - last_count >= 5 * interval:  # a read transaction now and then, not every sample
                    stored = _stored(database) or stored
                    last_count = now
                samples.append(sample(process.pid, started, site, stored))
                if not stopped and now - started > max_seconds:
                    print(f"--max-seconds {max_seconds:.0f} reached: stopping the crawl (SIGINT)", flush=True)
                    process.send_signal(signal.SIGINT)
                    stopped = True
                elif stopped and now - started > max_seconds + STOP_GRACE_SECONDS:
                    process.kill()
                time.sleep(interval)
        except KeyboardInterrupt:
            process.send_signal(signal.SIGINT)
            process.wait(STOP_GRACE_SECONDS)
            raise
    return SoakRun(samples, process.returncode, stopped, log, stats_file)


# -- report ----------------------------------------------------------------------------------------
def _mb(kb: float) -> str:
    return f"{kb / 1024:.0f}"


def _median(values: list[int]) -> float:
    return statistics.median(values) if values else 0.0


@dataclass(frozen=True)
class Windows:
    """The samples of the steady part of the run: from warm-up to the last page fetched."""

    crawling: list[Sample]  # first page fetched .. last page fetched
    warm: list[Sample]  # the first tenth of the steady part
    end: list[Sample]  # the last tenth of the steady part


def windows(samples: list[Sample]) -> Windows:
    final = max((s.fetched for s in samples), default=0)
    last = next((i for i, s in enumerate(samples) if s.fetched == final), len(samples) - 1)
    crawling = [s for s in samples[: last + 1] if s.fetched > 0]
    steady = [s for s in crawling if s.fetched >= WARM_UP * final]
    tenth = max(1, len(steady) // 10)
    return Windows(crawling, steady[:tenth], steady[-tenth:])


def report(run: SoakRun, pages: int, max_growth: float) -> bool:
    samples = run.samples
    if not samples:
        print("!! no samples: the crawl exited at once; see", run.log)
        return False
    win = windows(samples)
    crawling = win.crawling or samples
    span = crawling[-1].t - crawling[0].t
    print("\ncurve (one row per 10% of the crawling time; RSS in MB; 'workers' = the crawl's child processes):")
    header = (
        f"  {'%':>4} {'t (s)':>7} {'fetched':>7} {'stored':>6} {'crawl RSS':>9} {'workers RSS':>11} "
        f"{'tree RSS':>8} {'crawl fds':>9} {'worker fds':>10} {'threads':>7} {'workers':>7}"
    )
    print(header)
    for tenth in range(11):
        moment = crawling[0].t + span * tenth / 10
        s = min(crawling, key=lambda x: abs(x.t - moment))
        print(
            f"  {tenth * 10:4d} {s.t:7.1f} {s.fetched:7d} {s.stored:6d} {_mb(s.crawl_rss_kb):>9} "
            f"{_mb(s.workers_rss_kb):>11} {_mb(s.tree_rss_kb):>8} {s.crawl_fds:9d} {s.workers_fds:10d} "
            f"{s.threads:7d} {s.workers:7d}"
        )
    after = samples[-1]
    print(
        f"  exit {after.t:7.1f} {after.fetched:7d} {after.stored:6d} {_mb(after.crawl_rss_kb):>9} "
        f"{_mb(after.workers_rss_kb):>11} {_mb(after.tree_rss_kb):>8} {after.crawl_fds:9d} "
        f"{after.workers_fds:10d} {after.threads:7d} {after.workers:7d}   (last sample, shutting down)"
    )

    peak_crawl = max(samples, key=lambda s: s.crawl_rss_kb)
    peak_tree = max(samples, key=lambda s: s.tree_rss_kb)
    print(
        f"\npeak RSS: crawl process {_mb(peak_crawl.crawl_rss_kb)} MB (at {peak_crawl.t:.0f} s, "
        f"{peak_crawl.fetched} fetched); crawl + workers {_mb(peak_tree.tree_rss_kb)} MB (at {peak_tree.t:.0f} s)"
    )
    ok = True
    if not win.warm:
        print("!! too few samples after warm-up for a growth figure")
        return False
    growth: dict[str, float] = {}
    for name, value in (
        ("crawl process", lambda s: s.crawl_rss_kb),
        ("workers", lambda s: s.workers_rss_kb),
        ("crawl + workers", lambda s: s.tree_rss_kb),
    ):
        start = _median([value(s) for s in win.warm])
        end = _median([value(s) for s in win.end])
        growth[name] = (end - start) / start if start else 0.0
        print(
            f"RSS growth after warm-up ({win.warm[0].fetched}-{win.warm[-1].fetched} fetched -> "
            f"{win.end[0].fetched}-{win.end[-1].fetched} fetched, medians): {name:<15} "
            f"{_mb(start):>5} -> {_mb(end):>5} MB ({growth[name]:+.1%})"
        )
    memory_flat = growth["crawl process"] < max_growth and growth["crawl + workers"] < max_growth

    fd_first = crawling[0]
    fd_warm = _median([s.crawl_fds for s in win.warm])
    fd_end = _median([s.crawl_fds for s in win.end])
    fd_max = max(samples, key=lambda s: s.crawl_fds)
    wfd_warm = _median([s.workers_fds for s in win.warm])
    wfd_end = _median([s.workers_fds for s in win.end])
    print(
        f"fds, crawl process: start {fd_first.crawl_fds}, after warm-up {fd_warm:.0f}, max {fd_max.crawl_fds} "
        f"(at {fd_max.t:.0f} s), end of fetching {fd_end:.0f}, last sample {after.crawl_fds}"
    )
    print(
        f"fds, workers (all): start {fd_first.workers_fds}, after warm-up {wfd_warm:.0f}, max "
        f"{max(s.workers_fds for s in samples)}, end of fetching {wfd_end:.0f}"
    )
    thr_warm = _median([s.threads for s in win.warm])
    thr_end = _median([s.threads for s in win.end])
    thr_max = max(s.threads for s in samples)
    print(f"threads, crawl process: after warm-up {thr_warm:.0f}, max {thr_max}, end of fetching {thr_end:.0f}")
    fds_flat = fd_end <= fd_warm + FD_SLACK and wfd_end <= wfd_warm + FD_SLACK
    threads_flat = thr_end <= thr_warm + 2

    fetched = samples[-1].fetched
    if fetched < pages and not run.stopped_at_limit:
        print(f"!! the site sent {fetched} of {pages} article pages")
        ok = False
    if run.returncode not in (0, None):
        print(f"!! crawl exited {run.returncode}; log: {run.log}")
        ok = False
    print(
        f"\nverdict: memory {'flat' if memory_flat else 'GROWS'} (crawl process {growth['crawl process']:+.1%}, "
        f"crawl + workers {growth['crawl + workers']:+.1%}; limit {max_growth:.0%}); "
        f"fds {'no growth' if fds_flat else 'GROW'} ({fd_warm:.0f} -> {fd_end:.0f}); "
        f"threads {'no growth' if threads_flat else 'GROW'} ({thr_warm:.0f} -> {thr_end:.0f}); "
        f"{fetched} pages fetched in {samples[-1].t:.0f} s"
        + (" (stopped at --max-seconds)" if run.stopped_at_limit else "")
    )
    return ok and memory_flat and fds_flat and threads_flat


def write_csv(path: Path, samples: list[Sample]) -> None:
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([f.name for f in fields(Sample)])
        writer.writerows(astuple(s) for s in samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=5000, help="article URLs on the site (default 5000)")
    parser.add_argument("--max-seconds", type=float, default=1800, help="stop the crawl (SIGINT) after this long")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between samples (default 0.5)")
    parser.add_argument("--max-growth", type=float, default=0.10, help="RSS growth still called flat (0.10)")
    parser.add_argument("--csv", type=Path, help="write every sample to this CSV file")
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: a temporary one)")
    parser.add_argument("-s", dest="settings", action="append", default=[], help="extra setting for the crawl")
    args = parser.parse_args(argv)

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="newsarchive-soak-"))
    corpus = load_corpus()
    print(
        f"soak: {args.pages} article URLs over {len(corpus)} corpus pages, limit {args.max_seconds:.0f} s, "
        f"sample every {args.interval} s; cpus {os.cpu_count()}; load average before: {load_average()}",
        flush=True,
    )
    try:
        with BenchSite(corpus, args.pages) as site:
            run = run_soak(site, workdir / "crawl", args.settings, args.interval, args.max_seconds)
        if args.csv:
            write_csv(args.csv, run.samples)
            print(f"samples written to {args.csv}")
        ok = report(run, args.pages, args.max_growth)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"load average after: {load_average()}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
