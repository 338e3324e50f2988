"""pywb for the replay tests, in a virtualenv of its own under the cache directory.

pywb 2.10 pins redis==2.10.6, werkzeug==3.1.7 and pyOpenSSL<26.2 and pulls in gevent, so it
cannot share the project's environment; the tests run its ``wayback`` server as a subprocess.
``python -m tests.pywb_env`` creates (or reuses) the virtualenv and prints the ``wayback`` path;
.ci/run calls it before the tests, so CI never skips the replay test for want of pywb.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

PYWB_REQUIREMENT = "pywb==2.10.*"


def cached_tool(variable: str, name: str) -> Path:
    """$*variable*, else ~/.cache/newsarchive/*name* (``$XDG_CACHE_HOME`` honoured): where a
    replay tool the tests run is installed once."""
    explicit = os.environ.get(variable)
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsarchive" / name


def venv_dir() -> Path:
    """$NEWSARCHIVE_PYWB_VENV, else ~/.cache/newsarchive/pywb-pyX.Y (one per Python version)."""
    return cached_tool("NEWSARCHIVE_PYWB_VENV", f"pywb-py{sys.version_info.major}.{sys.version_info.minor}")


def wayback_path() -> Path:
    return venv_dir() / "bin" / "wayback"


def _ready(venv: Path) -> bool:
    marker = venv / "newsarchive-requirement.txt"
    return (venv / "bin" / "wayback").exists() and marker.exists() and marker.read_text().strip() == PYWB_REQUIREMENT


def ensure_pywb() -> Path:
    """The ``wayback`` executable, installing pywb into its virtualenv first if needed.
    Raises CalledProcessError when the install fails (no network, no registry)."""
    venv = venv_dir()
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / (venv.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test sessions must not build the same venv at once
        if not _ready(venv):
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
            subprocess.run(
                [
                    str(venv / "bin" / "python"),
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    PYWB_REQUIREMENT,
                ],
                check=True,
            )
            (venv / "newsarchive-requirement.txt").write_text(PYWB_REQUIREMENT + "\n")
    return wayback_path()


if __name__ == "__main__":
    print(ensure_pywb())
