"""ReplayWeb.page for the replay tests, offline once fetched: its npm package's two bundles.

ReplayWeb.page is a web component (``ui.js``) and a service worker (``sw.js``) that replays a WACZ
in the browser; replayweb.page serves them from the internet, the npm package ``replaywebpage``
carries them built. ``python -m tests.rwp_env`` downloads the package's tarball from the npm
registry (once, into the cache directory; no npm needed), checks it against the registry's sha512
``integrity``, and prints the directory holding ``ui.js`` and ``sw.js``.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import json
import os
import tarfile
import urllib.request
from pathlib import Path

from tests.pywb_env import cached_tool

RWP_PACKAGE, RWP_VERSION = "replaywebpage", "2.5.3"  # pinned: a replay test must not change with "latest"
BUNDLES = ("ui.js", "sw.js")
REGISTRY = os.environ.get("NEWSARCHIVE_NPM_REGISTRY", "https://registry.npmjs.org")


def bundle_dir() -> Path:
    """$NEWSARCHIVE_RWP_DIR, else ~/.cache/newsarchive/<package>-<version>."""
    return cached_tool("NEWSARCHIVE_RWP_DIR", f"{RWP_PACKAGE}-{RWP_VERSION}")


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as answer:
        data: bytes = answer.read()
        return data


def ensure_replaywebpage() -> Path:
    """The directory of ``ui.js`` and ``sw.js``, fetched first if needed. Raises OSError when the
    registry cannot be reached, ValueError when the tarball is not the one the registry vouches for."""
    target = bundle_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / (target.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test sessions must not unpack it at once
        if all((target / name).is_file() for name in BUNDLES):
            return target
        meta = json.loads(_download(f"{REGISTRY}/{RWP_PACKAGE}/{RWP_VERSION}"))
        tarball = _download(meta["dist"]["tarball"])
        algorithm, _, digest = meta["dist"]["integrity"].partition("-")
        if algorithm != "sha512" or base64.b64decode(digest) != hashlib.sha512(tarball).digest():
            raise ValueError(f"{RWP_PACKAGE} {RWP_VERSION}: the tarball does not match the registry's integrity")
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as package:
            bundles = {}
            for name in BUNDLES:
                member = package.extractfile(f"package/{name}")
                if member is None:
                    raise ValueError(f"{RWP_PACKAGE} {RWP_VERSION} holds no {name}")
                bundles[name] = member.read()
        target.mkdir(exist_ok=True)
        for name, data in bundles.items():
            partial = target / (name + ".partial")
            partial.write_bytes(data)
            partial.rename(target / name)  # whole, or not there
    return target


if __name__ == "__main__":
    print(ensure_replaywebpage())
