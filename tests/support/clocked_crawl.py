"""``python -m tests.support.clocked_crawl WHEN scrapy-arguments...``: a real ``scrapy crawl`` whose
clock reads WHEN (ISO 8601) at its start and runs on from there (time-machine), so tests run
crawls days apart in seconds. Extraction workers keep the real clock: they stamp nothing."""

from __future__ import annotations

import sys

import time_machine
from scrapy.cmdline import execute


def main() -> None:
    when, *arguments = sys.argv[1:]
    with time_machine.travel(when, tick=True):
        execute(["scrapy", *arguments])


if __name__ == "__main__":
    main()
