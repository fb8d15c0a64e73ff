"""Zones and Incidents in headless Chromium: a zone drawn with the Draw tool comes back to Python and is stored."""

from __future__ import annotations

import shutil

import pytest
import shapely

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000


def _settled(page):
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=TIMEOUT_MS)


def _map_frame(page):
    page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', timeout=TIMEOUT_MS)
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    frame.wait_for_selector(".leaflet-draw-draw-rectangle", timeout=TIMEOUT_MS)
    return frame


def test_a_rectangle_drawn_on_the_map_is_stored_as_a_zone(offline_page, demo_store_path, artifacts):
    from geo.scenario.edits import ScenarioEdits, edits_root
    from geo.settings import SCENARIO_DIR, Settings

    page = offline_page.page
    page.goto("/zones")
    frame = _map_frame(page)
    _settled(page)
    frame.locator(".leaflet-draw-draw-rectangle").click()
    box = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    x, y = box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y + 40, steps=5)
    page.mouse.up()
    # st_folium hands the drawing back; the page reruns with the Save button enabled.
    page.get_by_text("Nothing drawn yet.").wait_for(state="detached", timeout=TIMEOUT_MS)
    _settled(page)
    page.get_by_label("Zone id").fill("PS-77")
    page.get_by_label("Name", exact=True).fill("Drawn in the browser")
    page.get_by_label("Name", exact=True).press("Enter")
    _settled(page)
    page.get_by_role("button", name="Save zone").click()
    page.get_by_text("Saved zone PS-77").wait_for(timeout=TIMEOUT_MS)
    _settled(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=artifacts / "zones.png", full_page=True)
    edits = ScenarioEdits(edits_root(demo_store_path), SCENARIO_DIR, settings=Settings())
    try:
        zone = edits.scenario().zones.set_index("zone_id").loc["PS-77"]
        # A rectangle dragged on screen: a valid box in the theatre.
        assert zone.geometry.is_valid and shapely.equals(zone.geometry, shapely.box(*zone.geometry.bounds))
        assert offline_page.errors == []
    finally:
        # The demo store is shared by the session's browser tests: they see the committed scenario.
        shutil.rmtree(edits.root)


def test_incidents_page_renders_offline(offline_page, demo_store_path, artifacts):
    from geo.store import open_store

    page = offline_page.page
    page.goto("/incidents")
    page.get_by_text("Select a row").wait_for(timeout=TIMEOUT_MS)
    _settled(page)
    # The table's canvas mounts after the script ends: wait for it, not for a fixed time.
    page.locator('[data-testid="stDataFrame"] canvas').first.wait_for(timeout=TIMEOUT_MS)
    stored = open_store(demo_store_path).count()
    # The export buttons come after the table in the script: wait for the one naming every row.
    page.get_by_role("button", name=f"Export GeoPackage ({stored:,} rows)").wait_for(timeout=TIMEOUT_MS)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=artifacts / "incidents.png", full_page=True)
    # Selecting the first row (its checkbox) opens that report's detail, and the URL names it.
    page.locator('[data-testid="stDataFrame"]').first.click(position={"x": 20, "y": 52})
    page.get_by_text("Sources (the reports of its event)").wait_for(timeout=TIMEOUT_MS)
    _settled(page)
    assert "uid=" in page.url and page.locator('[data-testid="stException"]').count() == 0
    # Its small map: the report's point (and any origin) with nothing over it.
    page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', timeout=TIMEOUT_MS)
    small = next(f for f in page.frames if "streamlit_folium" in f.url)
    small.wait_for_function("() => typeof map_div !== 'undefined'", timeout=TIMEOUT_MS)
    assert small.locator(".cm-legend, .leaflet-control-minimap, .leaflet-popup").count() == 0
    page.screenshot(path=artifacts / "incidents-detail.png", full_page=True)
    page.locator('iframe[title="streamlit_folium.st_folium"]').scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=artifacts / "incidents-detail-map.png")
