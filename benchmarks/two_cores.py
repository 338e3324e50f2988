"""Whether two busy cores cost more each than one: the CPU a round of parsing corpus pages takes in one
process alone, then in two processes at once (issue 19's two-core limit assumes they cost the same).

    python benchmarks/two_cores.py [--rounds 3] [--pages 40]
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "fundus" / "pages"


def _pages(count: int) -> list[bytes]:
    return [gzip.decompress(path.read_bytes()) for path in sorted(CORPUS.glob("*.html.gz"))[:count]]


def parse_rounds(rounds: int, count: int) -> float:
    """CPU seconds a round of parsing *count* pages (lxml, then the text of every paragraph) takes."""
    import lxml.html

    pages = _pages(count)
    started = time.process_time()
    for _ in range(rounds):
        for body in pages:
            tree = lxml.html.fromstring(body)
            sum(len(element.text_content()) for element in tree.iter("p"))
    return (time.process_time() - started) / rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", type=int, default=40)
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        alone = pool.apply(parse_rounds, (args.rounds, args.pages))
    with context.Pool(2) as pool:
        both = pool.starmap(parse_rounds, [(args.rounds, args.pages)] * 2)
    print(
        f"alone {alone * 1000:.1f} CPU ms a round; two at once {both[0] * 1000:.1f} and {both[1] * 1000:.1f};"
        f" ratio {sum(both) / 2 / alone:.2f}"
    )


if __name__ == "__main__":
    main()
