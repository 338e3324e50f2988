"""ReplayWeb.page over a WACZ, served from 127.0.0.1 with nothing from the internet.

A static server on a free port serves the package's ``ui.js`` and, under ``/replay/``, its service
worker ``sw.js`` (tests/rwp_env.py), the WACZ as ``/archive.wacz``, and ``/embed.html``: a page
holding one ``<replay-web-page>`` in ``embed="replayonly"`` mode (the archived page alone, no
ReplayWeb.page interface) whose ``url``, ``ts``, ``width`` and ``height`` come from its query.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlencode

from tests.rwp_env import ensure_replaywebpage
from tests.support.local_tools import installed, serving

_EMBED = """<!doctype html>
<html><head><meta charset="utf-8"><script src="/ui.js"></script></head><body style="margin:0">
<script>
  const params = new URLSearchParams(location.search);
  const replay = document.createElement("replay-web-page");
  replay.setAttribute("source", "/archive.wacz");
  replay.setAttribute("replayBase", "/replay/");
  replay.setAttribute("embed", "replayonly");
  replay.setAttribute("url", params.get("url"));
  replay.setAttribute("ts", params.get("ts"));
  replay.style.cssText = `display: block; width: ${params.get("width")}px; height: ${params.get("height")}px`;
  document.body.appendChild(replay);
</script></body></html>
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def bundles() -> Path:
    """ReplayWeb.page's ui.js and sw.js, fetched on first use; a skip where they cannot be."""
    return installed(ensure_replaywebpage, "ReplayWeb.page (its npm package)", "python -m tests.rwp_env")


@contextmanager
def replaywebpage_server(wacz: Path, root: Path) -> Iterator[str]:
    """ReplayWeb.page serving *wacz* from *root*; yields its base URL."""
    source = bundles()
    (root / "replay").mkdir(parents=True)
    shutil.copy(source / "ui.js", root / "ui.js")
    shutil.copy(source / "sw.js", root / "replay" / "sw.js")
    shutil.copy(wacz, root / "archive.wacz")
    (root / "embed.html").write_text(_EMBED, encoding="utf-8")
    with serving(functools.partial(_Quiet, directory=str(root))) as base:
        yield base


def embed_url(base: str, url: str, timestamp: str, width: int, height: int) -> str:
    query = urlencode({"url": url, "ts": timestamp, "width": width, "height": height})
    return f"{base}/embed.html?{query}"
