"""CPU and size of a WARC record's gzip member by deflate library and level, on real pages.

    python benchmarks/warc_gzip.py [--rounds 3]

Compresses each fundus page (../shared/corpus/fundus/pages/, decoded: pages as a server sends them
uncompressed) as one gzip member through archive/warc/compression.py, the writer's own path, and
checks that gzip reads every member back. Prints CPU ms a page, MB/s and the compressed fraction.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.warc.compression import gzip_codec  # noqa: E402
from benchmarks.crawl import CORPUS  # noqa: E402

CANDIDATES = [("zlib", 6), ("zlib", 1), ("zlib-ng", 6), ("zlib-ng", 3), ("zlib-ng", 1), ("isal", 3), ("isal", 2)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    pages = [gzip.decompress(p.read_bytes()) for p in sorted(CORPUS.glob("*.gz"))]
    total = sum(map(len, pages))
    print(f"{len(pages)} pages, {total / len(pages) / 1024:.0f} KB mean, {args.rounds} rounds")
    for library, level in CANDIDATES:
        codec = gzip_codec(library, level)
        if codec.library != library:
            print(f"{library:8s} {level}: not installed")
            continue
        started = time.process_time()
        size = 0
        for _ in range(args.rounds):
            members = [codec.compress(page) for page in pages]
            size += sum(map(len, members))
        cpu = (time.process_time() - started) / args.rounds
        assert [gzip.decompress(m) for m in members] == pages
        print(
            f"{library:8s} {level}: {cpu / len(pages) * 1000:5.2f} ms/page  {total / cpu / 1e6:6.0f} MB/s  "
            f"size {size / args.rounds / total:.4f}"
        )


if __name__ == "__main__":
    main()
