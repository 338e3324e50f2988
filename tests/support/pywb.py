"""A real pywb `wayback` server over crawls' WARC directories and our CDXJ indexes, for the replay tests.

pywb runs from its own virtualenv (tests/pywb_env.py) as a subprocess on a free port of 127.0.0.1,
a collection per crawl ("news" by default). Framed replay (pywb's default) shows the archived page in an iframe
under pywb's banner; frameless replay (``framed=False``) serves the rewritten page itself at
``/<collection>/<timestamp>/<url>``, with no banner since pywb 2.7: what a screenshot compares with the live page.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.pywb_env import ensure_pywb
from tests.support.local_tools import installed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_get(url: str) -> tuple[int, bytes, dict[str, str]]:
    """(status, body, headers) of a GET without content coding; an HTTP error is an answer too."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def wayback_executable() -> Path:
    """pywb's `wayback`, installed on first use; a skip where it cannot be (a failure in CI)."""
    return installed(ensure_pywb, "pywb (in its virtualenv)", "python -m tests.pywb_env")


@contextmanager
def wayback_server(root: Path, collections: dict[str, tuple[Path, Path]], *, framed: bool = True) -> Iterator[str]:
    """pywb serving each of *collections* (name: a WARC directory and the CDXJ index its records
    are looked up in) with its config and log under *root*; yields its base URL."""
    executable = wayback_executable()
    root.mkdir(parents=True, exist_ok=True)
    config = {
        "collections": {
            name: {"index_paths": str(index), "archive_paths": f"{warc_dir}/"}
            for name, (warc_dir, index) in collections.items()
        },
        "framed_replay": framed,
    }
    (root / "config.yaml").write_text(json.dumps(config))  # JSON is YAML
    port = free_port()
    log_path = root / "wayback.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(executable), "-b", "127.0.0.1", "-p", str(port), "-t", "2"],
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):  # bounded wait for the server to listen (gevent start-up, a few s)
                assert server.poll() is None, log_path.read_text()[-3000:]
                try:
                    if http_get(f"{base}/")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            else:
                pytest.fail("pywb did not start listening: " + log_path.read_text()[-3000:])
            yield base
        finally:
            server.terminate()
            server.wait(timeout=30)
