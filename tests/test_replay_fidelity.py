"""Replay that looks like the page (issue 23 §3): pywb over our CDXJ index, proven with screenshots.

Two real runs of tests/support/requisite_site.py (a site and a CDN on another origin: stylesheets
with @import, a web font, background images, srcset and <picture>, a script-built panel, a story a
script builds from a JSON API) are archived with their requisites (tests/support/replay.py); a real
pywb serves them in frameless replay (no banner, no frame). Each page is shot in headless Chromium
live and replayed, at three viewports that choose other srcset candidates, and the two compared
pixel by pixel (tests/support/screens.py: the share of pixels alike within a small tolerance, over
the full page). The replay must reach MATCH_THRESHOLD; the page's HTML alone (every other request
aborted: bare text) must not, so the threshold tells a styled page from an unstyled one. During
replay the browser may not reach the live site: requests to its origins are aborted and counted,
and the site's own log must show no request.
"""

from __future__ import annotations

import json

import pytest

from tests.support.replay import ReplayArchive
from tests.support.replaywebpage import embed_url
from tests.support.requisite_site import API_STORY, RequisiteSite
from tests.support.screens import MATCH_THRESHOLD, VIEWPORTS, Screens, Viewport, pixel_match, png_height


def _static_pages(site: RequisiteSite) -> list[str]:
    """The pages whose look their markup and stylesheets name: the listing, the articles."""
    return [site.listing_url, *(url for url in site.article_urls() if not url.endswith(API_STORY.path))]


def _replayed(screenshots: Screens, site: RequisiteSite, replay_url: str, viewport: Viewport) -> bytes:
    """The replay's screenshot, once no request of it reached the live site."""
    before = len(site.hits())
    shot = screenshots.shoot(replay_url, viewport, forbidden=(site.url, site.cdn_url))
    assert shot.refused == [], f"{replay_url}: the browser asked the live site"
    assert site.hits()[before:] == [], f"{replay_url}: requests reached the live site"
    return shot.png


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: v.name)
def test_every_page_replayed_as_of_now_looks_like_the_live_page(
    requisite_site: RequisiteSite,
    replay_archive: ReplayArchive,
    frameless_wayback: str,
    screenshots: Screens,
    viewport: Viewport,
) -> None:
    """As of after the re-check: the listing is its new capture, the other pages the first run's
    captures which the re-check's 304s confirmed (those 304s are not replayed); the script-built
    page from the rendered crawl. Without render mode its story is missing, and the measure says so."""
    later = replay_archive.later
    replays = {url: f"{frameless_wayback}/news/{later}/{url}" for url in _static_pages(requisite_site)}
    script_built = f"{requisite_site.url}{API_STORY.path}"
    replays[script_built] = f"{frameless_wayback}/rendered/{later}/{script_built}"
    figures: dict[str, dict[str, float]] = {}
    for url, replay_url in replays.items():
        live = screenshots.shoot(url, viewport).png
        bare = screenshots.shoot(url, viewport, alone=True).png
        replay = _replayed(screenshots, requisite_site, replay_url, viewport)
        figures[url.removeprefix(requisite_site.url)] = {
            "replay": pixel_match(live, replay),
            "unstyled": pixel_match(live, bare),
        }
    unrendered = _replayed(screenshots, requisite_site, f"{frameless_wayback}/news/{later}/{script_built}", viewport)
    without_render = pixel_match(screenshots.shoot(script_built, viewport).png, unrendered)
    print(f"{viewport.name}: {json.dumps(figures)}; script-built page without render: {without_render:.4f}")
    assert all(page["replay"] >= MATCH_THRESHOLD for page in figures.values()), figures
    assert all(page["unstyled"] < MATCH_THRESHOLD for page in figures.values()), figures
    assert without_render < MATCH_THRESHOLD


def test_each_article_replayed_at_its_capture_looks_like_the_live_page(
    requisite_site: RequisiteSite,
    replay_archive: ReplayArchive,
    frameless_wayback: str,
    screenshots: Screens,
) -> None:
    """At the timestamp of its first capture (what a link from pywb's calendar opens)."""
    _, index = replay_archive.collections()["news"]
    captured: dict[str, str] = {}
    for line in index.read_text(encoding="utf-8").splitlines():
        _, timestamp, fields = line.split(" ", 2)
        entry = json.loads(fields)
        if entry["status"] == "200":
            captured.setdefault(entry["url"], timestamp)  # sorted: the first capture first
    desktop = VIEWPORTS[0]
    figures = {}
    for url in _static_pages(requisite_site)[1:]:
        live = screenshots.shoot(url, desktop).png
        replay = _replayed(screenshots, requisite_site, f"{frameless_wayback}/news/{captured[url]}/{url}", desktop)
        figures[url.removeprefix(requisite_site.url)] = pixel_match(live, replay)
    print(f"at capture, {desktop.name}: replay {json.dumps(figures)}")
    assert all(replay >= MATCH_THRESHOLD for replay in figures.values()), figures


def test_replaywebpage_over_the_wacz_looks_like_the_live_page(
    requisite_site: RequisiteSite, replay_archive: ReplayArchive, replaywebpage: str, screenshots: Screens
) -> None:
    """ReplayWeb.page (its own bundles, served from 127.0.0.1: nothing from the internet) over
    `newsarchive wacz`'s package of the plain runs, as of after the re-check."""
    desktop = VIEWPORTS[0]
    figures = {}
    for url in _static_pages(requisite_site):
        live = screenshots.shoot(url, desktop).png
        height = png_height(live)
        before = len(requisite_site.hits())
        shot = screenshots.shoot_embedded(
            embed_url(replaywebpage, url, replay_archive.later, desktop.width, height),
            desktop,
            height,
            forbidden=(requisite_site.url, requisite_site.cdn_url),
        )
        assert shot.refused == [] and requisite_site.hits()[before:] == [], f"{url}: the replay asked the live site"
        figures[url.removeprefix(requisite_site.url)] = pixel_match(live, shot.png)
    print(f"ReplayWeb.page, {desktop.name}: replay {json.dumps(figures)}")
    assert all(replay >= MATCH_THRESHOLD for replay in figures.values()), figures
