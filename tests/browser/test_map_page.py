"""The Map page in headless Chromium: Leaflet inside the st_folium iframe, incidents drawn, legend, offline."""

from __future__ import annotations

import os

import pytest

from geo.scenario import load_scenario
from tests.browser.conftest import COUNT_UIDS

pytestmark = pytest.mark.browser

MAP_PATH = os.environ.get("CM_MAP_PATH", "/map")
TIMEOUT_MS = 60_000


def test_map_page_draws_incidents_offline(map_frame, offline_page, app_url, artifacts):
    page = offline_page.page
    page.goto(MAP_PATH)
    frame = map_frame(page)
    # st_folium keeps the Leaflet map in the iframe's global `map_div`; count what the canvas draws.
    frame.wait_for_function(f"() => ({COUNT_UIDS})() > 0", timeout=TIMEOUT_MS)
    drawn = frame.evaluate(COUNT_UIDS)
    assert drawn > 0
    assert frame.locator(".leaflet-overlay-pane canvas").count() >= 1
    legend = frame.locator(".cm-legend")
    assert legend.is_visible()
    # The map opens coloured by flag level, with every report counted in the legend.
    assert "Violation flag (3,668 reports)" in legend.inner_text()  # the demo month's ground_truth.csv rows
    assert frame.locator(".leaflet-control-scale").count() == 1
    # Each observation post: its range as a dashed circle in metres, its symbol with its name.
    posts = frame.evaluate(
        "() => { const r = []; map_div.eachLayer(l => { if (l instanceof L.Circle)"
        " r.push([l.getLatLng().lat, l.getLatLng().lng, l.getRadius()]); }); return r; }"
    )
    scenario = load_scenario()  # the demo scenario the app serves
    expected = zip(
        scenario.posts.geometry.y, scenario.posts.geometry.x, scenario.posts["range_m"], strict=True
    )
    assert len(posts) == len(scenario.posts)
    for drawn, post in zip(sorted(posts), sorted(expected), strict=True):
        assert drawn == pytest.approx(post, abs=1e-5)  # the map's GeoJSON keeps 5 decimals
    symbols = frame.locator(".leaflet-marker-pane .leaflet-marker-icon")
    assert symbols.count() == len(scenario.posts)
    symbols.first.hover(force=True)
    assert "Observation post" in frame.locator(".leaflet-tooltip").first.inner_text()
    assert frame.locator(".leaflet-control-layers").count() == 1
    # The minimap draws the map's own countries (handed over in the browser, not sent twice).
    assert frame.locator(".leaflet-control-minimap path").count() > 20
    # No national flag in the attribution (Leaflet 1.9 prefixes one): the mission is impartial.
    attribution = frame.locator(".leaflet-control-attribution")
    assert attribution.inner_text().strip().startswith("Leaflet") and attribution.locator("svg").count() == 0

    leaflet = [(url, status) for url, status in offline_page.responses if url.endswith("/map-bundle.js")]
    assert leaflet and all(
        url.startswith(f"{app_url}/app/static/") and status == 200 for url, status in leaflet
    )
    failed = [
        (url, status) for url, status in offline_page.responses if "/app/static/" in url and status >= 400
    ]
    assert failed == []
    assert offline_page.errors == []
    assert offline_page.blocked == []

    page.wait_for_timeout(300)  # let the canvas finish its last frame before the picture
    page.screenshot(path=artifacts / "map.png", full_page=True)


def test_the_map_has_room_on_a_laptop_screen(browser, app_url, map_frame, artifacts):
    # At 1366 x 768 the map used to start 300 px down, leaving it about 460 px in view.
    context = browser.new_context(base_url=app_url, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        page.goto(MAP_PATH)
        map_frame(page)
        top = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()["y"]
        assert 768 - top >= 560, top
        page.screenshot(path=artifacts / "map-1366x768.png")
    finally:
        context.close()


def test_hot_spots_are_marked_at_the_opening_zoom(map_frame, offline_page, artifacts):
    """Switched on, the hot and cold areas are drawn above the dots and, while small on screen,
    ringed: at the opening zoom an officer sees where they are without zooming in."""
    from geo.maps.build import ABOVE_DOTS_PANE

    page = offline_page.page
    page.goto(MAP_PATH)
    map_frame(page)
    page.get_by_text("Hotspots and clusters").click()
    # A new map (with the patterns layers) replaces the first: read its rings once it is drawn.
    read = (
        "() => { if (typeof map_div === 'undefined' || typeof map_div.eachLayer !== 'function') return null;"
        " const until = [], panes = new Set();"
        " map_div.eachLayer(l => { if (l.feature && l.feature.properties.until !== undefined) {"
        "   panes.add(l.options.pane); if (l.options.opacity > 0 && l.options.fillOpacity > 0)"
        "   until.push(l.feature.properties.until); } });"
        f" const pane = map_div.getPane('{ABOVE_DOTS_PANE}');"
        " return {zoom: map_div.getZoom(), until, panes: [...panes],"
        " through: pane ? pane.style.pointerEvents : null}; }"
    )
    found = None
    for _ in range(TIMEOUT_MS // 500):
        frame = next((f for f in page.frames if "streamlit_folium" in f.url), None)
        try:
            found = frame.evaluate(read) if frame is not None else None
        except Exception:  # the frame was replaced while read: read the new one
            found = None
        if found and found["until"]:
            break
        page.wait_for_timeout(500)
    assert found and found["until"], "no hot or cold area ringed at the opening zoom"
    # A ring is shown only below the zoom at which its area is wide enough to see.
    assert all(found["zoom"] < until for until in found["until"])
    # The rings sit in the pane above the dots, which lets a click through to the dots.
    assert found["panes"] == [ABOVE_DOTS_PANE] and found["through"] == "none"
    page.screenshot(path=artifacts / "map-hot-spots-opening.png", full_page=True)
