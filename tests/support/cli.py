"""The project directory and the `newsarchive` command, run in a subprocess as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def newsarchive(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console script's code (`python -m archive.cli`), as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "archive.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
