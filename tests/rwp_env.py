"""ReplayWeb.page for the replay tests, offline once fetched: its npm package's two bundles.

ReplayWeb.page is a web component (``ui.js``) and a service worker (``sw.js``) that replays a WACZ
in the browser; replayweb.page serves them from the internet, the npm package ``replaywebpage``
carries them built. ``python -m tests.rwp_env`` fetches the package with ``npm pack`` (once, into
the cache directory) and prints the directory holding ``ui.js`` and ``sw.js``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

RWP_PACKAGE = "replaywebpage@2.5.3"
BUNDLES = ("ui.js", "sw.js")


def bundle_dir() -> Path:
    """$NEWSARCHIVE_RWP_DIR, else ~/.cache/newsarchive/<package>."""
    explicit = os.environ.get("NEWSARCHIVE_RWP_DIR")
    if explicit:
        return Path(explicit)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "newsarchive" / RWP_PACKAGE.replace("@", "-")


def ensure_replaywebpage() -> Path:
    """The directory of ``ui.js`` and ``sw.js``, fetched first if needed. Raises OSError (no npm)
    or CalledProcessError (no registry)."""
    target = bundle_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / (target.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test sessions must not unpack it at once
        if all((target / name).is_file() for name in BUNDLES):
            return target
        npm = shutil.which("npm")
        if npm is None:
            raise FileNotFoundError("npm is not installed")
        with tempfile.TemporaryDirectory() as scratch:
            done = subprocess.run(
                [npm, "pack", RWP_PACKAGE, "--silent"], cwd=scratch, check=True, capture_output=True, text=True
            )
            with tarfile.open(Path(scratch) / done.stdout.strip().splitlines()[-1]) as package:
                for name in BUNDLES:
                    member = package.extractfile(f"package/{name}")
                    assert member is not None, name
                    target.mkdir(exist_ok=True)
                    (target / name).write_bytes(member.read())
    return target


if __name__ == "__main__":
    print(ensure_replaywebpage())
