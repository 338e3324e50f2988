"""The project directory and the `newsarchive` command, run in a subprocess as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# `crawl` and `demo` write Scrapy's log under NEWSARCHIVE_LOG_DIR (data/logs by default): the tests'
# crawls write theirs here, not into the project directory, unless a test names its own folder.
LOG_DIR = Path(tempfile.mkdtemp(prefix="newsarchive-test-logs-"))


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"NEWSARCHIVE_LOG_DIR": str(LOG_DIR), **os.environ, **(extra or {})}


def newsarchive(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console script's code (`python -m archive.cli`), as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "archive.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(env),
    )


def newsarchive_in_terminal(*args: str, columns: int = 200) -> tuple[int, str]:
    """Run `newsarchive ARGS` with a pseudo-terminal for stdin, stdout and stderr, as a user at a
    terminal runs it (rich output, isatty() true): (exit status, everything the terminal was sent)."""
    import pty

    controller, terminal = pty.openpty()
    env = _env({"TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": "50"})
    with subprocess.Popen(
        [sys.executable, "-m", "archive.cli", *args],
        cwd=ROOT,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
    ) as process:
        os.close(terminal)
        received = bytearray()
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the command exited and the terminal's last writer is gone
                break
            if not chunk:
                break
            received += chunk
        os.close(controller)
        returncode = process.wait(timeout=300)
    return returncode, received.decode("utf-8", "replace")
