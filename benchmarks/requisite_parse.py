"""What reading a page's requisites (its capture_requisites rows) costs, per page of the corpus.

For each page of ``../shared/corpus/fundus/pages/`` (best of 5 runs of each step): the response
``reextract`` rebuilds from a record (``record_response``), its parse (``response.selector``: the
crawl's spider has it already), the XPaths of ``page_requisites`` (which the crawl ran before
capture_requisites existed) and what capture_requisites adds to both ways (the cap, the crawlable
check and the spelling Scrapy's ``Request`` gives a URL). Medians, 90th percentiles, maxima, in ms.

usage: python benchmarks/requisite_parse.py [--level layout|all]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "fundus" / "pages"
_T = TypeVar("_T")


def best(step: Callable[[], _T], runs: int = 5) -> tuple[_T, float]:
    """The result of *step* and its fastest time of *runs* (other load only ever slows a run), ms."""
    fastest = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        result = step()
        fastest = min(fastest, time.perf_counter() - started)
    return result, fastest * 1000


def measure(path: Path, level: str) -> tuple[dict[str, float], int, int]:
    """(ms of each step, rows kept, body bytes) of one corpus page."""
    from w3lib.url import safe_url_string

    from archive.requisites import page_requisites, record_response
    from archive.urls import is_crawlable

    pairs = [("Content-Type", "text/html; charset=utf-8")]
    body = gzip.decompress(path.read_bytes())
    url = f"https://example.com/{path.name.removesuffix('.html.gz')}/"
    response, built = best(lambda: record_response(url, 200, pairs, body))
    _, parsed = best(lambda: record_response(url, 200, pairs, body).selector)
    found, xpaths = best(lambda: page_requisites(response.selector, url, level))
    kept, rows = best(lambda: tuple(dict.fromkeys(safe_url_string(u, "utf-8") for u in found[:60] if is_crawlable(u))))
    return {"build": built, "parse": parsed - built, "xpaths": xpaths, "rows": rows}, len(kept), len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--level", default="layout", choices=("layout", "all"))
    parser.add_argument("--corpus", type=Path, default=CORPUS, help=f"a folder of *.html.gz pages (default {CORPUS})")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    pages = sorted(args.corpus.glob("*.html.gz"))
    if not pages:
        sys.exit(f"no pages under {args.corpus}")
    steps: dict[str, list[float]] = {"build": [], "parse": [], "xpaths": [], "rows": []}
    counts, sizes = [], []
    for path in pages:
        times, kept, size = measure(path, args.level)
        for name, value in times.items():
            steps[name].append(value)
        counts.append(kept)
        sizes.append(size)

    def line(label: str, values: list[float]) -> None:
        ranked = sorted(values)
        p90 = ranked[int(0.9 * (len(ranked) - 1))]
        print(f"  {label:60s} median {statistics.median(values):6.2f}  p90 {p90:6.2f}  max {max(values):6.2f}")

    kib = statistics.median(sizes) / 1024
    print(
        f"{len(pages)} pages, median {kib:.0f} KiB, rows a page: median {statistics.median(counts)}, max {max(counts)}"
    )
    line("record_response (reextract only)", steps["build"])
    line("parse, response.selector (reextract only: the crawl has it)", steps["parse"])
    line("page_requisites XPaths (the crawl ran them already)", steps["xpaths"])
    line("cap, crawlable check, Request spelling (both, new)", steps["rows"])
    line("reextract, all of it", [sum(v) for v in zip(*steps.values(), strict=True)])


if __name__ == "__main__":
    main()
