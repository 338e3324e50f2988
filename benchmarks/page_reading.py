"""What a page costs its extraction worker with requisites (and links) read from extraction's parse
(issue 19's "parse once": ``archive/page_reading.py`` ``read_page``) against reading them as before,
from a parse of their own.

For each page of ``../shared/corpus/fundus/pages/`` (served as ``text/html``, no charset), in this
one process, best of ``--runs`` of each (other load only ever slows a run), CPU time of this thread:

* before: ``extract_page`` (the extraction task) plus, apart, ``named_requisites`` on the response rebuilt
  as Scrapy's downloader made it, which parses it with Scrapy's selector (what ``reextract``'s
  second worker task did, and what the crawl's reactor thread did on every page), plus with
  ``--links`` ``page_links`` on that selector (the reactor's work on a listing);
* one task: ``read_page`` of the page with the same level and cap (and links).

"Their own parse" alone is what the crawl's reactor thread spent on a page before (a listing's with
``--links``); "what reading them adds" is what the workers spend now. The steps are run in turn
page by page, so load from other processes falls on all alike. Prints median, mean and 90th
percentile ms a page of each, how many pages were read from extraction's tree, and whether the
answers were the same (they must be).

usage: python benchmarks/page_reading.py [--level layout|all] [--links] [--runs 3]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_T = TypeVar("_T")


def _corpus_dir() -> Path:
    for shared in (ROOT.parent / "shared", ROOT.parent.parent / "shared"):
        if shared.is_dir():
            return shared / "corpus" / "fundus" / "pages"
    return ROOT.parent / "shared" / "corpus" / "fundus" / "pages"


def best(step: Callable[[], _T], runs: int) -> tuple[_T, float]:
    """The result of *step* and its least CPU time of *runs*, ms."""
    fastest = float("inf")
    result: _T
    for _ in range(runs):
        started = time.thread_time()
        result = step()
        fastest = min(fastest, time.thread_time() - started)
    return result, fastest * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--level", default="layout", choices=("layout", "all"))
    parser.add_argument("--links", action="store_true", help="read the links too (a listing page)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    from archive.page_reading import PageTask, extract_page, read_page
    from archive.requisites import named_requisites, record_response
    from archive.responses import PageInput
    from crawler.discovery import page_links

    cap, max_links = 60, 2000
    pairs = [("Content-Type", "text/html")]
    links = partial(page_links, max_links=max_links) if args.links else None
    extract_ms: list[float] = []
    own_ms: list[float] = []
    before_ms: list[float] = []
    once_ms: list[float] = []
    shared = differ = 0
    for path in sorted(_corpus_dir().glob("*.html.gz")):
        body = gzip.decompress(path.read_bytes())
        url = f"https://bench.example/{path.name.removesuffix('.html.gz')}/"
        page = PageInput(url, body, dict(pairs))

        def own_parse(body: bytes = body, url: str = url) -> tuple[object, ...]:
            response = record_response(url, 200, pairs, body)
            named = named_requisites(response, args.level, cap)
            return named, page_links(response.selector, url, max_links) if args.links else None

        task = PageTask(url, 200, pairs, body, None, page, args.level, cap, links)
        result, extract_cost = best(partial(extract_page, page), args.runs)
        before, own_cost = best(own_parse, args.runs)
        read, once_cost = best(partial(read_page, task), args.runs)
        extract_ms.append(extract_cost)
        own_ms.append(own_cost)
        before_ms.append(extract_cost + own_cost)
        once_ms.append(once_cost)
        shared += read.shared
        differ += (read.result, read.named, read.links) != (result, *before)
    saved = [b - o for b, o in zip(before_ms, once_ms, strict=True)]
    added = [o - e for o, e in zip(once_ms, extract_ms, strict=True)]

    def line(name: str, values: list[float]) -> str:
        median, mean, p90 = statistics.median(values), statistics.mean(values), statistics.quantiles(values, n=10)[-1]
        return f"  {name:<44} median {median:6.2f}  mean {mean:6.2f}  p90 {p90:6.2f}"

    print(
        f"{len(once_ms)} corpus pages, requisites {args.level} (cap {cap}){', links' if args.links else ''}, "
        f"best of {args.runs}, CPU ms a page; load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}"
    )
    print(line("extraction alone (extract_page)", extract_ms))
    print(line("their own parse: Scrapy's selector + reads", own_ms))
    print(line("before: the two", before_ms))
    print(line("one task (read_page)", once_ms))
    print(line("saved: before - one task", saved))
    print(line("what reading them adds to extraction", added))
    print(f"  read from extraction's tree: {shared} of {len(once_ms)} pages; answers differing: {differ}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
