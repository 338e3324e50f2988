"""The reader's "view as archived": what its two costs are on real pages.

1. Rewriting: CPU time of ``rewrite_html`` (parse, every URL to a reader route, serialize) for each
   page of the corpus (real news pages), median, 95th percentile and worst.
2. The rendered-DOM look (``records.rendered_dom``) for a page render mode did not render, the worst
   case: every record after the page is read up to the end of the file (all of them dated within
   NEWSARCHIVE_READER_RENDERED_WITHIN). A WARC of --records corpus pages, one gzip member each.
   Once per page and closed file: the answer is remembered.

    python benchmarks/archived_view.py [--corpus ../shared/corpus] [--records 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.extraction.decode import decode_html
from archive.reader.records import _conversion_of
from archive.reader.rewrite import ReaderRoutes, UnshowablePage, rewrite_html


def _pages(corpus: Path) -> list[tuple[str, bytes]]:
    pages = []
    for path in sorted(corpus.glob("**/pages/*.html.gz")):
        host = path.name.split("_")[2].lower()
        pages.append((f"https://{host}.example/{path.stem}", gzip.decompress(path.read_bytes())))
    return pages


def _record(url: str, body: bytes, date: str) -> bytes:
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(body)
    block += body
    head = (
        f"WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\nWARC-Date: {date}\r\n"
        f"WARC-Record-ID: <urn:uuid:{abs(hash((url, date))):032x}>\r\n"
        f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(block)}\r\n\r\n"
    )
    return gzip.compress(head.encode() + block + b"\r\n\r\n", compresslevel=6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--records", type=int, default=2000)
    opts = parser.parse_args()
    pages = _pages(opts.corpus)
    assert pages, f"no pages under {opts.corpus}"

    times, sizes = [], []
    for url, body in pages:
        text = decode_html(body, {"Content-Type": "text/html"})
        start = time.process_time()
        try:
            rewrite_html(text, url, ReaderRoutes(1))
        except UnshowablePage:
            continue
        times.append((time.process_time() - start) * 1000)
        sizes.append(len(body))
    times.sort()
    print(
        f"rewrite_html: {len(times)} pages, median {statistics.median(sizes) / 1024:.0f} KiB: "
        f"median {statistics.median(times):.1f} ms, p95 {times[int(len(times) * 0.95)]:.1f} ms, "
        f"worst {times[-1]:.1f} ms CPU"
    )

    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "look.warc.gz"
        with path.open("wb") as out:
            for n in range(opts.records):
                url, body = pages[n % len(pages)]
                date = (moment + dt.timedelta(seconds=n * 0.1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                out.write(_record(f"{url}?{n}", body, date))
        size = path.stat().st_size
        start, wall = time.process_time(), time.perf_counter()
        found, _ = _conversion_of(path, 0, "<urn:uuid:none>", dt.timedelta(seconds=600))
        cpu, elapsed = time.process_time() - start, time.perf_counter() - wall
    assert not found
    print(
        f"rendered-DOM look, none to find: {opts.records} records after the page, {size / 2**20:.0f} MiB gzipped: "
        f"{cpu * 1000:.0f} ms CPU ({elapsed * 1000:.0f} ms wall), {size / 2**20 / cpu:.0f} MiB/s"
    )


if __name__ == "__main__":
    main()
