"""Finding 15, `newsarchive serve`: an SQL query naming a column `article_id` that holds no integer
(`?sql=select 'x' as article_id`) was an HTTP 500, and the URL printed for a database file named
`my.archive.db` was a 404 (Datasette reads `.archive` as a format; the name must be tilde-encoded).
Siblings: `--port 0` printed port 0 instead of the one listening, and a port already in use was a
uvicorn log line instead of one line of error."""

from __future__ import annotations

import re
import selectors
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.db import open_database
from tests.support.archive_data import populate
from tests.support.cli import ROOT, newsarchive

# The reader's pages are at the first URL; the database's Datasette page, which these tests read, in "the data".
_SERVING = re.compile(r"serving \S+ read-only at http://\S+ \(the data: (http://\S+); Ctrl-C stops\)")


def _serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    """A real `newsarchive serve ARGS` and the URL it printed, once that URL answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "archive.cli", "serve", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stderr, selectors.EVENT_READ)
    printed, deadline = "", time.monotonic() + 60
    while (found := _SERVING.search(printed)) is None:
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail(f"serve printed no URL: {printed}{process.stderr.read()}")
        if selector.select(timeout=1):
            printed += process.stderr.readline()
    url = found.group(1)
    while True:  # the URL is printed before uvicorn accepts; up to the same deadline
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return process, url
        except urllib.error.HTTPError:
            return process, url  # answering, if not with 200: the tests say what they expected
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"serve did not answer at {url}")
            time.sleep(0.1)


@pytest.fixture(scope="module")
def dotted_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "my.archive.db"
    populate(open_database(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="module")
def served(dotted_archive: Path) -> Iterator[str]:
    process, url = _serve("--db", f"sqlite:///{dotted_archive}", "--port", "0")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_the_printed_url_of_a_dotted_database_name_is_its_page(served: str) -> None:
    port = urllib.parse.urlsplit(served).port
    assert port and port != 0  # the port listening, not the "0" asked for
    status, page = _get(served)
    assert status == 200, page[-2000:]
    assert "search" in page and "article_list" in page  # the canned queries are this database's


@pytest.mark.parametrize(
    "sql",
    [
        "select 'x' as article_id",
        "select 1.5 as article_id",
        "select x'00ff' as article_id",
        "select -1 as article_id, '<b>**x**</b>' as snippet",
        "select 99999999999999999999 as article_id",
    ],
)
def test_an_sql_query_with_any_article_id_renders(served: str, sql: str) -> None:
    status, page = _get(f"{served}?{urllib.parse.urlencode({'sql': sql})}")
    assert status == 200, page[-2000:]
    assert "<b>" not in page.split("<tbody>", 1)[-1]  # archived values are escaped, never markup


def test_an_integer_article_id_still_links_to_the_article(served: str) -> None:
    status, page = _get(f"{served}?{urllib.parse.urlencode({'sql': 'select 3 as article_id'})}")
    assert status == 200
    path = urllib.parse.urlsplit(served).path
    assert f'href="{path}/articles/3"' in page


def test_a_port_in_use_is_one_line_of_error(dotted_archive: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = newsarchive("serve", "--db", f"sqlite:///{dotted_archive}", "--port", str(port))
    assert done.returncode == 2
    assert re.fullmatch(rf"newsarchive: error: cannot listen on 127\.0\.0\.1:{port} \(.+\)\n", done.stderr), done.stderr


def test_an_archive_named_with_a_leading_underscore_gets_the_search_function(tmp_path: Path) -> None:
    # Datasette's own databases are in memory ("_internal"); an archive file may start with "_" too.
    path = tmp_path / "_private.db"
    populate(open_database(f"sqlite:///{path}"))
    process, url = _serve("--db", f"sqlite:///{path}", "--port", "0")
    try:
        query = {"q": "bakhmut", "site": "", "author": "", "since": "", "until": "", "_shape": "array"}
        status, body = _get(f"{url}/search.json?{urllib.parse.urlencode(query)}")
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert status == 200, body[-2000:]
    assert "bakhmut" in body.lower()
