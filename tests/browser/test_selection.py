"""Rows selected in the Incidents table, ringed on the Map in Chromium (the same session, by the page links)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
ROW_PX = 35  # Streamlit's table: header and rows of 35 px; the row-selection boxes on the left


def test_rows_selected_in_incidents_are_ringed_on_the_map(offline_page, map_frame, artifacts):
    page = offline_page.page
    page.goto("/incidents?type=impact")
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(timeout=TIMEOUT_MS)
    box = grid.bounding_box()
    for row in (0, 2, 4):
        page.mouse.click(box["x"] + 18, box["y"] + ROW_PX * (row + 1) + ROW_PX / 2)
        n = row // 2 + 1
        page.get_by_text(f"{n} report{'s' if n > 1 else ''} selected: ringed on the Map.").wait_for(
            timeout=TIMEOUT_MS
        )
    page.screenshot(path=artifacts / "incidents-selected.png")
    page.get_by_role("link", name="Map").first.click()  # the same session: the selection goes along
    page.get_by_text("3 reports selected in Incidents, ringed on the map.").wait_for(timeout=TIMEOUT_MS)
    frame = map_frame(page)
    ringed = (
        "() => { const uids = new Set(); map_div.eachLayer(l => { if (l.feature && l.options.pane === "
        "'cm-above-dots' && l.feature.properties.uid) uids.add(l.feature.properties.uid); }); return uids.size; }"
    )
    frame.wait_for_function(f"({ringed})() === 3", timeout=TIMEOUT_MS)
    assert frame.evaluate("() => map_div.getZoom()") >= 7  # fitted to the three, not the theatre
    # The last row added is also the report detailed, whose popup opens: closed for the picture.
    page.wait_for_timeout(500)
    if frame.locator(".leaflet-popup-close-button").count():
        frame.locator(".leaflet-popup-close-button").click()
    page.wait_for_timeout(500)
    page.screenshot(path=artifacts / "map-selected-in-incidents.png")
    page.get_by_role("button", name="Clear the selection").click()
    page.get_by_text("ringed on the map").wait_for(state="detached", timeout=TIMEOUT_MS)
    for _ in range(TIMEOUT_MS // 200):  # the map's frame may be replaced while it redraws
        try:
            if map_frame(page).evaluate(ringed) == 0:
                break
        except Exception:  # a frame detached under the query: ask the new one
            pass
        page.wait_for_timeout(200)
    else:
        raise AssertionError("the rings stayed after Clear the selection")
    assert offline_page.errors == []
