"""The Map page in Chromium: clicking a report opens its popup with every field (fetched on the click
when more reports are drawn than travel with their popups)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
# The uid and the pixel of a drawn report well inside the map (not under the legend or a control).
PICK = """() => {
    const size = map_div.getSize(); let best = null;
    map_div.eachLayer(l => {
        if (!(l.feature && l.feature.properties.uid && l.getLatLng)) return;
        const p = map_div.latLngToContainerPoint(l.getLatLng());
        const d = Math.abs(p.x - size.x * 0.7) + Math.abs(p.y - size.y * 0.35);
        if (best === null || d < best.d) best = {d: d, x: p.x, y: p.y, uid: l.feature.properties.uid,
                                               rows: l.feature.properties.rows !== null};
    });
    return best;
}"""


def _map_of_impacts(page):
    """Open the Map page on the demo's impacts; return the map's frame once its legend is drawn."""
    page.goto("/map?type=impact")
    page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', timeout=TIMEOUT_MS)
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    frame.wait_for_function(
        "() => typeof map_div !== 'undefined' && document.querySelector('.cm-legend') !== null",
        timeout=TIMEOUT_MS,
    )
    return frame


def test_clicking_a_report_opens_its_popup_with_every_field(offline_page, artifacts):
    page = offline_page.page
    frame = _map_of_impacts(page)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=TIMEOUT_MS)
    pick = frame.evaluate(PICK)
    # The demo's impacts are more than map_popup_limit: the popup is not in the page yet.
    assert pick is not None and pick["rows"] is False
    box = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    page.mouse.click(box["x"] + pick["x"], box["y"] + pick["y"])
    popup = frame.locator(".leaflet-popup-content .cm-popup")
    popup.wait_for(timeout=TIMEOUT_MS)
    text = frame.locator(".leaflet-popup-content").inner_text()
    for heading in ("Report", "Time (UTC)", "Place", "Distance to line", "Flag", "Reasons"):
        assert heading in text
    # Two parts, each under a heading across the popup: the report's own fields, then its event's.
    sections = frame.locator(".leaflet-popup-content tr.cm-popup-section").all_inner_texts()
    assert sections[0] == "This report" and sections[1].startswith("Its event")
    assert text.index("Distance to line") < text.index(sections[1]) < text.index("Flag level")
    assert frame.locator(".leaflet-popup-content a.cm-detail").count() == 1
    # The report clicked (the top one where markers overlap) is selected, in the URL too, and its
    # popup is the one open.
    selected = parse_qs(urlparse(page.url).query)["uid"][0]
    report = frame.locator(".leaflet-popup-content tr:not(.cm-popup-section)").first  # the Report row
    assert report.inner_text().split(None, 1)[1] == selected
    # The legend never covers the open popup: folded to its title while the popup is open, and
    # open again once it closes. Checked on the pixels: their boxes do not overlap.
    # Leaflet pans the popup into view with an animation: measure once it has come to rest.
    rects, previous = None, None
    for _ in range(30):
        rects = frame.evaluate(
            "() => [document.querySelector('.leaflet-popup').getBoundingClientRect().toJSON(),"
            " document.querySelector('.cm-legend').getBoundingClientRect().toJSON()]"
        )
        if rects == previous:
            break
        previous = rects
        page.wait_for_timeout(150)
    popup_box, legend_box = rects
    apart = (
        legend_box["right"] <= popup_box["left"]
        or popup_box["right"] <= legend_box["left"]
        or legend_box["bottom"] <= popup_box["top"]
        or popup_box["bottom"] <= legend_box["top"]
    )
    assert apart, (popup_box, legend_box)
    # Nor does the layer control: the map pans the popup clear of the controls.
    control = frame.evaluate(
        "() => document.querySelector('.leaflet-control-layers').getBoundingClientRect().toJSON()"
    )
    assert control["bottom"] <= popup_box["top"] or popup_box["right"] <= control["left"], (
        popup_box,
        control,
    )
    assert frame.evaluate("() => document.querySelector('.cm-legend').open") is False
    assert offline_page.errors == []
    page.screenshot(path=artifacts / "map-popup.png", full_page=True)
    # The popup scrolled to its event's part, for a reader of the artifacts.
    frame.evaluate(
        "() => { const c = document.querySelector('.leaflet-popup-content');"
        " const row = c.querySelectorAll('tr.cm-popup-section')[1];"
        " c.scrollTop += row.getBoundingClientRect().top - c.getBoundingClientRect().top; }"
    )
    page.screenshot(path=artifacts / "map-popup-event.png", full_page=True)


def test_the_legend_folds_while_a_popup_is_open_and_on_a_click_of_its_title(offline_page):
    frame = _map_of_impacts(offline_page.page)
    legend = frame.locator(".cm-legend")
    assert legend.evaluate("d => d.open") is True
    tall = legend.bounding_box()["height"]
    frame.locator(".cm-legend-title").click()  # folded by hand: its title alone
    assert legend.evaluate("d => d.open") is False and legend.bounding_box()["height"] < tall / 3
    frame.locator(".cm-legend-title").click()
    assert legend.evaluate("d => d.open") is True
    # A popup opened and closed from script: the legend folds, then comes back as it was.
    frame.evaluate("() => { L.popup().setLatLng(map_div.getCenter()).setContent('x').openOn(map_div); }")
    assert legend.evaluate("d => d.open") is False
    frame.evaluate("() => { map_div.closePopup(); }")
    assert legend.evaluate("d => d.open") is True
    assert offline_page.errors == []
