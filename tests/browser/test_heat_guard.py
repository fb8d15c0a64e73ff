"""The heatmap on a map not yet laid out (0 px wide, as a map frame under load): without the guard
Leaflet.heat throws from getImageData; with it (geo.maps.build.HeatGuard, in every map's script)
nothing is thrown and the heat is drawn once the map has its size."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.maps.build import HeatGuard

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "static"
HEAT = """() => {
    const box = document.getElementById('m');
    const map = L.map(box, {center: [48.0, 37.8], zoom: 9});
    const heat = L.heatLayer([[48.0, 37.8, 1], [48.05, 37.85, 0.5]], {radius: 18}).addTo(map);
    window.cm = {map: map, heat: heat};
}"""
# Whether the heat's canvas holds any drawn pixel.
DRAWN = """() => {
    const c = window.cm.heat._canvas;
    if (!c.width || !c.height) return false;
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) return true; }
    return false;
}"""


def _page(browser, *, guarded: bool):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_content('<div id="m" style="width: 0; height: 400px"></div>')
    page.add_script_tag(path=str(STATIC / "leaflet" / "leaflet.js"))
    page.add_script_tag(path=str(STATIC / "heat" / "leaflet-heat.js"))
    if guarded:
        guard = HeatGuard()
        page.add_script_tag(content=guard._template.module.script(guard, {}))
    try:
        page.evaluate(HEAT)  # the layer draws as it is added, and again on animation frames
    except Exception as exc:  # playwright's Error: thrown in the page, as the map's script would be
        errors.append(str(exc))
    page.wait_for_timeout(300)
    return page, errors


def test_the_heatmap_waits_for_a_map_with_a_size(browser):
    page, errors = _page(browser, guarded=False)
    try:
        # The failure the guard is for, as Chromium reports it.
        assert any("getImageData" in e and "width is 0" in e for e in errors), errors
    finally:
        page.close()

    page, errors = _page(browser, guarded=True)
    try:
        assert errors == []
        # Laid out later: the map's size changes, the heat is drawn.
        page.evaluate(
            "() => { document.getElementById('m').style.width = '600px'; window.cm.map.invalidateSize(); }"
        )
        page.wait_for_function(DRAWN, timeout=10_000)
        assert errors == []
    finally:
        page.close()
