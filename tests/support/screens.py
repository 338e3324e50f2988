"""Screenshots of a page as a reader's browser draws it, and a measure of how alike two are.

Debian's headless Chromium through Playwright; a page is shot once the network is idle, its web
fonts are loaded (``document.fonts.ready``) and every image has loaded or failed, over its full
height. The measure: the share of pixels, over the larger of the two images, whose colour differs
in no channel by more than ``PIXEL_TOLERANCE`` (a pixel one image has and the other lacks, when
their heights differ, differs).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from tests.support.reader import CHROMIUM, CHROMIUM_ARGS

# Out of 255: anti-aliasing noise passes, a background of another shade (the site's paper colour
# against a browser's white differs by 11 to 45) does not.
PIXEL_TOLERANCE = 8
# A replay at or above it looks like the page; the figures it must separate are in README "Replay".
MATCH_THRESHOLD = 0.99


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int
    scale: float = 1  # device pixels per CSS pixel: a srcset's "w" candidates are chosen by it


# Each picks other candidates of the pages' srcset and <picture>: lead-800 and inline-wide,
# lead-400 and inline, lead-1600 and inline-wide.
VIEWPORTS = (Viewport("desktop", 1200, 900), Viewport("phone", 390, 844), Viewport("hidpi", 1200, 900, 2))

_SETTLED = """async () => {
  await document.fonts.ready;
  await Promise.all([...document.images].filter((img) => !img.complete).map(
    (img) => new Promise((done) => { img.onload = img.onerror = done; })));
}"""


def pixel_match(first: bytes, second: bytes, tolerance: int = PIXEL_TOLERANCE) -> float:
    """The share of pixels of two PNG screenshots alike within *tolerance* (module docstring)."""
    from PIL import Image  # the test extra's: imported here, so a suite without it still collects

    a, b = (np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16) for png in (first, second))
    height, width = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    # Filled with values no pixel has, apart by more than any tolerance: missing pixels differ.
    padded_a = np.full((height, width, 3), -1000, dtype=np.int16)
    padded_b = np.full((height, width, 3), 1000, dtype=np.int16)
    padded_a[: a.shape[0], : a.shape[1]] = a
    padded_b[: b.shape[0], : b.shape[1]] = b
    alike = np.abs(padded_a - padded_b).max(axis=2) <= tolerance
    return float(alike.mean())


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class Shot:
    png: bytes
    refused: list[str] = field(default_factory=list)  # requests to a forbidden origin, aborted


class Screens:
    """One headless Chromium; each screenshot in a fresh context (no cache, no cookies)."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser

    def shoot(self, url: str, viewport: Viewport, *, alone: bool = False, forbidden: tuple[str, ...] = ()) -> Shot:
        """*url* at *viewport*. *alone*: the page's own HTML and nothing else it asks for (every
        other request aborted: the page unstyled). A request to one of the *forbidden* origins is
        aborted and listed in the shot."""
        context = self.browser.new_context(
            viewport={"width": viewport.width, "height": viewport.height},
            device_scale_factor=viewport.scale,
            service_workers="block",
        )
        refused: list[str] = []

        def route(request_route: Any) -> None:
            requested = request_route.request.url
            if origin(requested) in forbidden:
                refused.append(requested)
                request_route.abort()
            elif alone and requested != url:
                request_route.abort()
            else:
                request_route.continue_()

        try:
            if alone or forbidden:
                context.route("**/*", route)
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(url, wait_until="networkidle")
            page.evaluate(_SETTLED)
            return Shot(page.screenshot(full_page=True, animations="disabled"), refused)
        finally:
            context.close()

    def shoot_embedded(
        self, embed_url: str, viewport: Viewport, height: int, *, forbidden: tuple[str, ...] = ()
    ) -> Shot:
        """The page ReplayWeb.page replays in *embed_url* (tests/support/replaywebpage.py), its
        frame *height* CSS pixels tall (the live page's full height: the frame does not scroll)."""
        context = self.browser.new_context(
            viewport={"width": viewport.width, "height": height}, device_scale_factor=viewport.scale
        )
        refused: list[str] = []

        def route(request_route: Any) -> None:
            if origin(request_route.request.url) in forbidden:
                refused.append(request_route.request.url)
                request_route.abort()
            else:
                request_route.continue_()

        try:
            context.route("**/*", route)
            page = context.new_page()
            page.set_default_timeout(60_000)
            said: list[str] = []
            page.on("console", lambda message: said.append(message.text[:300]))
            page.goto(embed_url, wait_until="networkidle")
            # The service worker starts and loads the WACZ; then the component's frame opens the
            # replay's frame (mp_: the archived page, in two frames below this page). Once more
            # after a reload: under load, a first visit once opened none within the wait.
            frame = _replay_frame(page) or _replay_frame(page, reload=True)
            assert frame is not None, (embed_url, [f.url for f in page.frames], said)
            frame.wait_for_load_state("load")
            page.wait_for_load_state("networkidle")
            frame.evaluate(_SETTLED)
            return Shot(page.screenshot(animations="disabled"), refused)
        finally:
            context.close()


def _replay_frame(page: Any, *, reload: bool = False) -> Any:
    """ReplayWeb.page's frame of the archived page, within 45 s (bounded polling), or None."""
    if reload:
        page.reload(wait_until="networkidle")
    for _ in range(180):
        frame = next((f for f in page.frames if "mp_/" in f.url), None)
        if frame is not None:
            return frame
        page.wait_for_timeout(250)
    return None


def png_height(png: bytes, scale: float = 1) -> int:
    """A screenshot's height in CSS pixels."""
    from PIL import Image

    return round(Image.open(io.BytesIO(png)).height / scale)


@contextmanager
def screens() -> Iterator[Screens]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield Screens(browser)
        finally:
            browser.close()
