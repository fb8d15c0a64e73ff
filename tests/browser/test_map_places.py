"""Orientation on the offline map: place names by zoom, oblast names, and a searched place's marker."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.browser

MAP_PATH = os.environ.get("CM_MAP_PATH", "/map")
TIMEOUT_MS = 60_000


def _visible_names(frame, selector: str) -> list[str]:
    return frame.evaluate(
        """(sel) => {
            const box = document.querySelector('.leaflet-container').getBoundingClientRect();
            return [...document.querySelectorAll(sel)].filter(el => {
                const r = el.getBoundingClientRect();
                return r.width > 0 && r.right > box.left && r.left < box.right && r.bottom > box.top && r.top < box.bottom;
            }).map(el => el.textContent);
        }""",
        selector,
    )


def test_names_by_zoom_and_a_searched_place_marked(map_frame, offline_page, artifacts):
    page = offline_page.page
    page.goto(MAP_PATH)
    frame = map_frame(page)
    frame.wait_for_selector(".cm-place", timeout=TIMEOUT_MS)
    opening = _visible_names(frame, ".cm-place")
    zoom = frame.evaluate("() => map_div.getZoom()")
    # The opening view names the cities of the front, not every village.
    assert {"Donetsk", "Kharkiv"} & set(opening), opening
    assert 5 <= len(opening) <= 120, (zoom, len(opening))
    page.wait_for_timeout(300)
    page.screenshot(path=artifacts / "map-places-opening.png")

    box = page.get_by_label("Find a report or a place")
    box.fill("Avdiyivka")
    box.press("Enter")
    page.wait_for_function(
        """() => { const f = [...document.querySelectorAll('iframe')].find(i => i.title.includes('st_folium'));
            return f && f.contentDocument && [...f.contentDocument.querySelectorAll('.cm-searched')]
                .some(el => el.textContent.includes('Avdiyivka')); }""",
        timeout=TIMEOUT_MS,
    )
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    frame.wait_for_function("() => map_div.getZoom() >= 10", timeout=TIMEOUT_MS)
    marker = frame.locator(".cm-searched")
    assert marker.is_visible() and "Avdiyivka" in marker.inner_text()
    centre = frame.evaluate("() => map_div.getCenter()")
    assert abs(centre["lat"] - 48.14) < 0.2 and abs(centre["lng"] - 37.75) < 0.3
    frame.wait_for_timeout(500)
    near = _visible_names(frame, ".cm-place")
    # Zoomed in on the town, its neighbours are named too.
    assert len(near) >= 5 and any(n in near for n in ("Yasynuvata", "Ocheretyne", "Donetsk", "Makiyivka")), (
        near
    )
    assert offline_page.errors == []
    page.screenshot(path=artifacts / "map-places-avdiyivka.png")
