"""ReplayWeb.page for the replay tests: its published npm package, unpacked under the cache directory.

ReplayWeb.page is a static web app (``ui.js``, the viewer, and ``sw.js``, the service worker that
replays from a WACZ in the browser): any HTTP server can serve it, no Node needed. The package is
downloaded from the npm registry once, checked against the registry's sha512 ``integrity``, and
unpacked; the tests serve it on 127.0.0.1 beside a WACZ and let Chromium replay from it with every
other origin refused. ``python -m tests.replayweb_env`` fetches it (or finds it) and prints its
directory; .ci/run calls it before the tests, so CI never skips the ReplayWeb.page test for want of it.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import json
import os
import shutil
import tarfile
import urllib.request
from pathlib import Path

# A pinned version: a replay test must not change because the registry's "latest" did.
VERSION = "2.5.3"
REGISTRY = os.environ.get("NEWSARCHIVE_NPM_REGISTRY", "https://registry.npmjs.org")


def package_dir() -> Path:
    """$NEWSARCHIVE_REPLAYWEB_DIR, else ~/.cache/newsarchive/replaywebpage-VERSION."""
    explicit = os.environ.get("NEWSARCHIVE_REPLAYWEB_DIR")
    if explicit:
        return Path(explicit)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "newsarchive" / f"replaywebpage-{VERSION}"


def _ready(directory: Path) -> bool:
    return (directory / "ui.js").is_file() and (directory / "sw.js").is_file()


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as answer:
        data: bytes = answer.read()
        return data


def ensure_replayweb() -> Path:
    """The unpacked package's directory (``ui.js``, ``sw.js``), downloading it first if needed.
    Raises OSError when the registry cannot be reached, ValueError when the download does not
    match the registry's integrity digest."""
    directory = package_dir()
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.parent / (directory.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test sessions must not unpack into one directory at once
        if _ready(directory):
            return directory
        meta = json.loads(_download(f"{REGISTRY}/replaywebpage/{VERSION}"))
        tarball = _download(meta["dist"]["tarball"])
        algorithm, _, expected = meta["dist"]["integrity"].partition("-")
        if algorithm != "sha512" or base64.b64decode(expected) != hashlib.sha512(tarball).digest():
            raise ValueError(f"replaywebpage {VERSION}: the download does not match the registry's integrity")
        partial = directory.with_name(directory.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            archive.extractall(partial, filter="data")
        shutil.rmtree(directory, ignore_errors=True)
        (partial / "package").rename(directory)  # whole, or not there
        shutil.rmtree(partial, ignore_errors=True)
    return directory


if __name__ == "__main__":
    print(ensure_replayweb())
