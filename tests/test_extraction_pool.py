"""The one extraction pool of the crawl and of reextract: a worker that dies costs a retry, not the run."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from archive.extract import Article, NotAnArticle
from archive.extraction.pool import ExtractionPool
from archive.responses import PageInput

PROSE = "The harbour authority said the new breakwater will be finished before the autumn storms arrive. "


def _page(paragraphs: int) -> PageInput:
    body = "".join(f"<p>{PROSE * 3} Paragraph {i}.</p>" for i in range(paragraphs))
    html = f"<html lang='en'><head><title>Breakwater</title></head><body><article><h1>Breakwater</h1>{body}</article>"
    return PageInput("http://example.com/news/breakwater-to-be-finished/", f"{html}</body></html>".encode(), {})


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _kill_a_worker_soon(pool: ExtractionPool, into_page: float = 0.05) -> None:
    """SIGKILL the pool's workers once one has spent *into_page* CPU seconds on the page just
    submitted: mid-page however fast extraction got or however loaded the machine is (a fixed
    delay let a quick worker finish the page before the kill)."""

    def kill() -> None:
        processes = dict(pool._pool._processes or {}) if pool._pool is not None else {}  # type: ignore[attr-defined]
        start = {pid: _cpu_seconds(pid) for pid in processes}
        while not any(_cpu_seconds(pid) - cpu >= into_page for pid, cpu in start.items()):
            time.sleep(0.005)
        for pid in processes:
            os.kill(pid, signal.SIGKILL)

    threading.Thread(target=kill, daemon=True).start()


def test_a_page_in_flight_when_a_worker_dies_is_extracted_in_a_fresh_pool() -> None:
    pool = ExtractionPool(workers=1, niceness=0)
    try:
        assert isinstance(pool.result(_page(3), pool.submit(_page(3))), Article)  # warmed up
        slow = _page(3000)
        first = pool._pool
        future = pool.submit(slow)
        _kill_a_worker_soon(pool)
        result = pool.result(slow, future)
        assert pool._pool is not first  # the worker did die mid-page, and the pool was replaced
        assert isinstance(result, Article) and "Paragraph 2999." in result.text
        assert isinstance(pool.result(_page(3), pool.submit(_page(3))), Article)  # the pool works on
    finally:
        pool.close()


def test_the_crawls_asyncio_path_has_the_same_policy() -> None:
    pool = ExtractionPool(workers=1, niceness=0)
    try:
        assert isinstance(asyncio.run(pool.extract(_page(3))), Article)
        first = pool._pool
        _kill_a_worker_soon(pool)
        result = asyncio.run(pool.extract(_page(3000)))
        assert pool._pool is not first
        assert isinstance(result, Article) and "Paragraph 2999." in result.text
    finally:
        pool.close()


def test_an_undecodable_page_is_an_extraction_error_with_its_reason() -> None:
    pool = ExtractionPool(workers=0, niceness=0)
    page = PageInput("http://example.com/x", b"", {}, error="cannot undo Content-Encoding gzip (bad)")
    result = pool.result(page, pool.submit(page))
    assert isinstance(result, NotAnArticle) and result.kind == "error" and "Content-Encoding gzip" in result.reason


@pytest.mark.parametrize("start", ["built", "read from the cache"])
def test_a_worker_keeps_one_copy_of_the_stop_words(start: str, tmp_path: Path) -> None:
    """jusText's stop words are held once in a worker: trafilatura's fallback list and jusText's
    lower-cased copy of it are the language index's own strings, and say what they said before,
    whether the worker built the index or read it from the cache a worker before it wrote."""
    # A process of its own, as a worker is: whatever this one imported has not touched the lists.
    check = """
import justext.core, trafilatura.external as external
from justext.utils import get_stoplist, get_stoplists
from archive.extraction import language
from archive.extraction.worker import init_worker
init_worker()
every = {word for name in get_stoplists() for word in get_stoplist(name)}
assert set(external.JT_STOPLIST) == every
assert justext.core.define_stoplist(external.JT_STOPLIST) == frozenset(w.lower() for w in every)
index = {word: word for word in language._languages_by_word()}
assert all(word is index[word] for word in external.JT_STOPLIST if word in index)
assert justext.core.define_stoplist(external.JT_STOPLIST) is external.JT_STOPLIST
assert justext.core.define_stoplist(("Ab", "cd")) == frozenset({"ab", "cd"})
print("ok")
"""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    for _ in range(2 if start == "read from the cache" else 1):
        done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120, env=env)
        assert done.stdout.strip() == "ok", done.stderr
    assert len(list((tmp_path / "newsarchive").glob("stopwords-*.marshal"))) == 1


_ROOT = Path(__file__).resolve().parent.parent
# A console script as `scrapy crawl` is started by (its own `from scrapy.cmdline import execute`):
# what a spawned child would run again before its task, here marked by a file it leaves.
_CONSOLE_SCRIPT = """
import sys
from pathlib import Path

if __name__ == "__mp_main__":
    Path(sys.argv[1]).write_text("the worker ran the parent's main script")

if __name__ == "__main__":
    from archive.extraction.pool import ExtractionPool
    from archive.responses import PageInput

    pool = ExtractionPool(workers=2, niceness=0)
    story = b"Words of the story. " * 60
    body = b"<html><head><title>T</title></head><body><article><p>" + story + b"</p></article></body></html>"
    page = PageInput("https://news.example/story/", body, {"Content-Type": "text/html"})
    print(pool.result(page, pool.submit(page)).kind)
    pool.close()
"""


def _run_script(script: Path, text: str, marker: Path) -> subprocess.CompletedProcess[str]:
    """*text* run as a main script, given *marker*'s path, with this checkout's packages."""
    script.write_text(text)
    done = subprocess.run(
        [sys.executable, str(script), str(marker)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(_ROOT)},
    )
    assert done.returncode == 0, done.stderr
    return done


def test_workers_do_not_run_the_main_script_that_started_the_crawl(tmp_path: Path) -> None:
    """Started from a console script (``scrapy crawl``), each spawned worker ran the script again
    before its first page: all of Scrapy and Twisted imported in every worker (45 MB and a second
    of CPU each). Workers need nothing of the parent's main module."""
    marker = tmp_path / "ran-in-a-worker"
    done = _run_script(tmp_path / "console-script", _CONSOLE_SCRIPT, marker)
    assert done.stdout.strip() == "article"
    assert not marker.exists()


def test_other_spawned_processes_still_run_the_main_script(tmp_path: Path) -> None:
    """Only the extraction workers leave the parent's main module out: a spawned process of anyone
    else's (whose target may live in that module) is prepared as multiprocessing prepares it."""
    marker = tmp_path / "ran"
    _run_script(
        tmp_path / "other-script",
        "import multiprocessing, sys\n"
        "import archive.extraction.pool\n"
        "def target(path):\n"
        "    open(path, 'w').write('ran')\n"
        "if __name__ == '__main__':\n"
        "    process = multiprocessing.get_context('spawn').Process(target=target, args=(sys.argv[1],))\n"
        "    process.start(); process.join()\n"
        "    sys.exit(process.exitcode)\n",
        marker,
    )
    assert marker.read_text() == "ran"
