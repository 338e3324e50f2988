"""What a page costs in an extraction worker against the same ``extract_page`` in this process.

The crawl benchmark's worker CPU a page (``benchmarks/crawl.py``) is higher than extraction measured
in process; this tells apart what the worker itself adds (the page pickled across, the result
pickled back, its process) from the rest (the workers' start-up, two busy cores sharing caches).
Each page of ``../shared/corpus/fundus/pages/`` (``text/html``, no charset) goes to one warmed-up
worker, one at a time (so nothing else competes with it), and the worker's own CPU is read from
``/proc``; then the same pages are extracted in this process. ``--rounds`` times, in turn.

usage: python benchmarks/worker_overhead.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.page_reading import _corpus_dir  # noqa: E402


def _process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    from archive.extraction.pool import ExtractionPool
    from archive.page_reading import extract_page
    from archive.responses import PageInput

    files = sorted(_corpus_dir().glob("*.html.gz"))
    pages = [
        PageInput(
            f"http://news.example/news/{path.name}/", gzip.decompress(path.read_bytes()), {"Content-Type": "text/html"}
        )
        for path in files
    ]
    pool = ExtractionPool(1, 0)
    try:
        pool.result(pages[0], pool.submit(pages[0]))  # started and warmed up
        assert pool._pool is not None
        (pid,) = pool._pool._processes  # type: ignore[attr-defined]
        for number in range(1, args.rounds + 1):
            before = _process_cpu(pid)
            for page in pages:
                pool.result(page, pool.submit(page))
            worker = (_process_cpu(pid) - before) / len(pages) * 1000
            started = time.process_time()
            for page in pages:
                extract_page(page)
            here = (time.process_time() - started) / len(pages) * 1000
            print(f"round {number}: in the worker {worker:.1f} CPU ms/page, here {here:.1f} ({len(pages)} pages)")
    finally:
        pool.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
