"""ReplayWeb.page over our WACZ packages, on 127.0.0.1, for the replay tests.

ReplayWeb.page is a static web app (tests/replayweb_env.py unpacks its npm package): its viewer
(``ui.js``) and, under ``replay/``, the service worker that reads a WACZ in the browser and
replays from it (``sw.js``) beside the viewer's own page, which the ``<replay-web-page>`` element
opens in an iframe with ``embed=replayonly`` (no sidebar, no address bar: the archived page alone,
in one more iframe). The server here serves that, the WACZ files, and ``/embed.html?source=NAME&url=URL``,
a page holding one ``<replay-web-page>``. Chromium replays from the WACZ as a reader's would: a
service worker, no other server; :func:`shoot_replay` shoots the archived page's frame.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.replayweb_env import ensure_replayweb
from tests.support.screens import SETTLED, Screens, Shot, Viewport, origin

_VIEWER = """<!doctype html><html class="no-overflow"><head><script src="/ui.js"></script></head>
<body><replay-app-main></replay-app-main></body></html>"""
# The element fills the window, which shoot_replay makes as tall as the archived page.
_EMBED = """<!doctype html><html><head><script src="/ui.js"></script>
<style>html, body { margin: 0; padding: 0; overflow: hidden }
replay-web-page { display: block; width: 100vw; height: 100vh }</style></head>
<body><script>
const asked = new URLSearchParams(location.search);
const replay = document.createElement("replay-web-page");
replay.setAttribute("source", "/" + asked.get("source"));
replay.setAttribute("url", asked.get("url"));
replay.setAttribute("embed", "replayonly");
replay.setAttribute("replayBase", "/replay/");
document.body.appendChild(replay);
</script></body></html>"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a download the browser dropped
            super().handle()


@contextmanager
def replayweb_server(root: Path, packages: dict[str, Path]) -> Iterator[str]:
    """ReplayWeb.page and *packages* (served name → WACZ file) under *root*, served on 127.0.0.1; its base URL."""
    package = ensure_replayweb()
    (root / "replay").mkdir(parents=True, exist_ok=True)
    shutil.copy(package / "ui.js", root / "ui.js")
    shutil.copy(package / "sw.js", root / "replay" / "sw.js")
    (root / "replay" / "index.html").write_text(_VIEWER)
    (root / "embed.html").write_text(_EMBED)
    for name, wacz in packages.items():
        shutil.copy(wacz, root / name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="replayweb", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def shoot_replay(screens: Screens, base: str, source: str, url: str, viewport: Viewport) -> Shot:
    """The archived page *url* as ReplayWeb.page replays it from the package *source*, shot over
    its full height at *viewport* (the window made as tall as the page, so the frame holds all of
    it, as a full-page shot of the live page does). A request to anything but *base* is aborted
    and listed in the shot: the replay must need nothing but the package."""
    context = screens.browser.new_context(
        viewport={"width": viewport.width, "height": viewport.height}, device_scale_factor=viewport.scale
    )
    refused: list[str] = []

    def route(request_route: Any) -> None:
        requested = request_route.request.url
        if origin(requested) != base:
            refused.append(requested)
            request_route.abort()
        else:
            request_route.continue_()

    try:
        context.route("**/*", route)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(f"{base}/embed.html?source={source}&url={url}")
        frame = None
        for _ in range(600):  # the viewer loads, registers its service worker, reads the package
            frame = next((f for f in page.frames if "mp_/" in f.url and f.url.endswith(url)), None)
            if frame is not None:
                break
            page.wait_for_timeout(100)
        assert frame is not None, f"ReplayWeb.page opened no replay of {url}: {[f.url for f in page.frames]}"
        frame.wait_for_load_state("networkidle")
        frame.evaluate(SETTLED)
        height = frame.evaluate("document.documentElement.scrollHeight")
        page.set_viewport_size({"width": viewport.width, "height": height})
        frame.wait_for_load_state("networkidle")  # a wider window may choose other srcset candidates
        frame.evaluate(SETTLED)
        element = frame.frame_element()
        return Shot(element.screenshot(animations="disabled"), refused)
    finally:
        context.close()
