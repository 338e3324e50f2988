"""How extraction workers are started: spawned, without running the parent's main module again.

A spawned process runs the parent's ``__main__`` before its task, so that functions defined there
can be unpickled. A worker needs none (its tasks are ``archive.page_reading`` functions), but paid
for it all the same: started from the ``scrapy`` console script (``scrapy crawl``, the project's
scheduled runs) every worker ran ``from scrapy.cmdline import execute`` and held all of Scrapy and
Twisted, 620 modules and 45 MB more a worker, and a second of CPU more at each start; from pytest's
script, every test's worker imported pytest. Packages' ``__main__`` modules (``python -m scrapy``)
were already skipped by multiprocessing itself, which is why benchmarks never saw it.

The workers are spawned processes of a context of their own, and only for processes of that context
is the parent's main module left out of what the child prepares from.
"""

from __future__ import annotations

import multiprocessing.context
import multiprocessing.spawn
from typing import Any

_NAME_PREFIX = "newsarchive-extraction-"


class _WorkerProcess(multiprocessing.context.SpawnProcess):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name = _NAME_PREFIX + self.name


class WorkerContext(multiprocessing.context.SpawnContext):
    """``multiprocessing.get_context("spawn")`` for extraction workers."""

    Process = _WorkerProcess


def _without_main_for_workers(prepare: Any) -> Any:
    def preparation_data(name: str) -> dict[str, Any]:
        data: dict[str, Any] = prepare(name)
        if name.startswith(_NAME_PREFIX):
            data.pop("init_main_from_name", None)
            data.pop("init_main_from_path", None)
        return data

    preparation_data.newsarchive_wrapped = True  # type: ignore[attr-defined]
    return preparation_data


# multiprocessing asks this module-level function what a spawned child prepares from; it is wrapped
# once, and changes nothing for any process but ours.
if not getattr(multiprocessing.spawn.get_preparation_data, "newsarchive_wrapped", False):
    multiprocessing.spawn.get_preparation_data = _without_main_for_workers(multiprocessing.spawn.get_preparation_data)
