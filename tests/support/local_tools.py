"""What the replay tests run besides the project: a thread serving HTTP on 127.0.0.1, and tools
installed into the cache on first use (pywb, ReplayWeb.page) that a machine without them skips."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser that closes a connection mid-answer (a page closed, a download aborted) is no
        # test's failure; anything else is printed as the standard server prints it.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serving(handler: Callable[..., BaseHTTPRequestHandler] | type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """*handler* served on a free port of 127.0.0.1 on a thread of its own; yields the base URL."""
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def installed(install: Callable[[], Any], what: str, by_hand: str) -> Path:
    """``install()``'s path; a skip where it fails (no network, no registry), a failure in CI."""
    try:
        return Path(install())
    except (OSError, ValueError, subprocess.CalledProcessError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{what} could not be installed: {exc}")
        pytest.skip(f"{what} could not be installed ({exc}); run `{by_hand}`")
