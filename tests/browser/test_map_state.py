"""The Map page's state in Chromium: a filter change redraws the map; a shared URL restores filters and view."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
LEGEND_COUNT = re.compile(r"\(([\d,]+) reports\)")


def _legend(page) -> str:
    """The text of the map's legend once a map with it is drawn (the iframe may be replaced)."""
    page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', timeout=TIMEOUT_MS)
    for _ in range(TIMEOUT_MS // 100):
        for frame in [f for f in page.frames if "streamlit_folium" in f.url]:
            try:
                if frame.locator(".cm-legend").count():
                    return frame.locator(".cm-legend").inner_text()
            except Exception:
                continue
        page.wait_for_timeout(100)
    raise AssertionError("no map legend")


def _count(legend: str) -> int:
    return int(LEGEND_COUNT.search(legend).group(1).replace(",", ""))


def _drag(page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Press the mouse at ``start``, move to ``end`` in steps, release (a brush, a drawn box)."""
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=8)
    page.mouse.up()


def _url_with(page, text: str) -> str:
    """The page's URL once it holds ``text`` (the app writes the view to it after a run)."""
    for _ in range(TIMEOUT_MS // 200):
        if text in page.url:
            break
        page.wait_for_timeout(200)
    return page.url


def _count_other_than(page, before: int) -> int:
    """The legend's report count once the map is redrawn with another count than ``before``."""
    for _ in range(TIMEOUT_MS // 200):
        after = _count(_legend(page))
        if after != before:
            break
        page.wait_for_timeout(200)
    return after


def test_a_filter_change_redraws_the_map(offline_page, artifacts):
    page = offline_page.page
    page.goto("/map")
    before = _count(_legend(page))
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    frame.wait_for_function("() => typeof map_div !== 'undefined'", timeout=TIMEOUT_MS)
    frame.evaluate("() => { map_div.cmMark = 'the map before the change'; }")
    page.get_by_role("button", name="Last 7 days").click()
    for _ in range(TIMEOUT_MS // 200):
        after = _count(_legend(page))
        if after != before:
            break
        page.wait_for_timeout(200)
    assert 0 < after < before
    assert "from=" in page.url
    # The overlays were swapped in the same Leaflet map: no reload of the iframe, one legend, one
    # layer control, the incidents of the new period drawn, the events overlay still unticked.
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    assert frame.evaluate("() => map_div.cmMark") == "the map before the change"
    assert frame.locator(".cm-legend").count() == 1
    assert frame.locator(".leaflet-control-layers").count() == 1
    drawn = frame.evaluate(
        "() => { const u = new Set(); map_div.eachLayer(l => { if (l.feature && l.feature.properties.uid)"
        " u.add(l.feature.properties.uid); }); return u.size; }"
    )
    assert drawn == after
    overlays = frame.evaluate(
        "() => Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
        ".map(l => [l.innerText.trim(), l.querySelector('input').checked])"
    )
    ticked = dict(overlays)
    assert ticked["Incidents"] is True and ticked["Events (likely, possible)"] is False
    assert ticked["Heatmap"] is False and ticked["Contact line v2"] is True
    assert offline_page.errors == []
    page.screenshot(path=artifacts / "map-7-days.png", full_page=True)


def test_a_shared_url_restores_filters_and_view(offline_page, browser, app_url, artifacts):
    page = offline_page.page
    link = "/map?from=2026-10-10&to=2026-10-12&type=impact&lat=48.3000&lon=37.9000&z=9"
    page.goto(link)
    legend = _legend(page)
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    frame.wait_for_function("() => typeof map_div !== 'undefined'", timeout=TIMEOUT_MS)
    centre = frame.evaluate(
        "() => { const c = map_div.getCenter(); return [c.lat, c.lng, map_div.getZoom()]; }"
    )
    # Within a few pixels (at zoom 9 a pixel is about 0.002 degrees): the iframe settles its height
    # after Leaflet starts, which can move the centre by a handful of pixels under load.
    assert abs(centre[0] - 48.3) < 0.02 and abs(centre[1] - 37.9) < 0.02 and centre[2] == 9
    assert "2026-10-10 to 2026-10-12" in legend
    assert "type=impact" in page.url and "z=9" in page.url
    page.screenshot(path=artifacts / "map-shared-link.png", full_page=True)


def _wait_for(page, check, what: str):
    for _ in range(TIMEOUT_MS // 200):
        value = check()
        if value:
            return value
        page.wait_for_timeout(200)
    raise AssertionError(f"timed out waiting for {what}")


def _demo_reports_on(day: str) -> int:
    """The demo month's reports on one UTC day, read from its files (what the store holds)."""
    import pandas as pd

    from geo.demo import DEMO_DIR
    from geo.ingest import read_batch

    times = pd.concat(
        [
            read_batch(p.read_bytes(), filename=p.name).accepted["occurred_at"]
            for p in DEMO_DIR.glob("*.geojson")
        ]
    )
    start = pd.Timestamp(day, tz="UTC")
    return int(((times >= start) & (times < start + pd.Timedelta(days=1))).sum())


def test_playback_puts_the_day_in_the_url_and_the_url_restores_it(offline_page, artifacts):
    page = offline_page.page
    on_the_ninth = _demo_reports_on("2026-10-09")
    page.goto("/map")
    month = _legend(page)
    page.get_by_text("Play by day").click()
    _wait_for(page, lambda: "day=2026-10-01" in page.url, "the day in the URL")
    # The link of a day, opened and reloaded: the same day, its count, the line then in force.
    page.goto("/map?day=2026-10-09")
    for visit in ("opened", "reloaded"):
        if visit == "reloaded":
            page.reload()
        legend = _wait_for(
            page, lambda: (text := _legend(page)).startswith("2026-10-09 UTC (playback") and text, "the day"
        )
        assert "Contact line v1" in legend and "Contact line v2" not in legend
        assert _count(legend) == on_the_ninth < _count(month), visit
        assert "day=2026-10-09" in page.url, visit
        caption = page.locator('[data-testid="stCaptionContainer"]', has_text="line v1").first.inner_text()
        assert caption.startswith(f"{on_the_ninth:,} of ") and "2026-10-09 UTC (playback" in caption
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    ticked = dict(
        frame.evaluate(
            "() => Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
            ".map(l => [l.innerText.trim(), l.querySelector('input').checked])"
        )
    )
    assert ticked.get("Contact line v1") is True and "Contact line v2" not in ticked
    assert offline_page.errors == []
    page.screenshot(path=artifacts / "map-playback-day.png", full_page=True)


def test_a_new_sessions_timeline_follows_its_map_by_itself(offline_page, map_frame):
    page = offline_page.page
    page.goto("/map?from=2026-10-01&to=2026-10-31")
    frame = map_frame(page)
    # The map reports its view once drawn; that report brings the timeline, with no click.
    page.locator(".stVegaLiteChart canvas, .stVegaLiteChart svg").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(1000)  # the page's runs after the report have ended
    assert not frame.is_detached()  # the map drawn once: its frame was not mounted anew
    assert page.get_by_text("is drawn below once the map is shown").count() == 0
    assert page.get_by_text("Drag across the chart to choose another period").count() == 1
    assert offline_page.errors == []


def test_brushing_the_timeline_sets_the_period(offline_page, artifacts):
    page = offline_page.page
    page.goto("/map?from=2026-10-01&to=2026-10-31")
    before = _count(_legend(page))
    chart = page.locator(".stVegaLiteChart canvas, .stVegaLiteChart svg").first
    chart.wait_for(timeout=TIMEOUT_MS)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    box = chart.bounding_box()
    # Across about the middle tenth of the month (the plot starts after the y axis' labels).
    y = box["y"] + box["height"] * 0.6
    _drag(page, (box["x"] + box["width"] * 0.45, y), (box["x"] + box["width"] * 0.55, y))
    for _ in range(TIMEOUT_MS // 200):
        if "from=2026-10-01" not in page.url:
            break
        page.wait_for_timeout(200)
    # The URL follows the period in more than one step (a brush reports as it is drawn, and each
    # run writes its query): read it once it has held still for a second.
    seen, still = page.url, 0
    for _ in range(TIMEOUT_MS // 200):
        page.wait_for_timeout(200)
        seen, still = page.url, (still + 1 if page.url == seen else 0)
        if still >= 5:
            break
    start = re.search(r"from=(2026-10-\d\d)", page.url).group(1)
    end = re.search(r"to=(2026-10-\d\d)", page.url).group(1)
    assert "2026-10-05" < start <= end < "2026-10-26"
    assert 0 < _count_other_than(page, before) < before
    assert offline_page.errors == []
    page.screenshot(path=artifacts / "map-timeline-brushed.png", full_page=True)


def test_a_rectangle_drawn_on_the_map_selects_its_reports(offline_page, artifacts):
    page = offline_page.page
    page.goto("/map?lat=48.1000&lon=37.8000&z=9")
    before = _count(_legend(page))
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    frame.wait_for_function("() => typeof map_div !== 'undefined'", timeout=TIMEOUT_MS)
    frame.locator(".leaflet-draw-draw-rectangle").click()
    box = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    # A box around the map's centre, a quarter of its width and height.
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    _drag(
        page, (cx - box["width"] / 8, cy - box["height"] / 8), (cx + box["width"] / 8, cy + box["height"] / 8)
    )
    assert "area=" in _url_with(page, "area=")
    assert 0 < _count_other_than(page, before) < before
    assert page.get_by_role("button", name="Clear the drawn area").count() == 1
    corners = re.search(r"area=([^&]+)", page.url).group(1).replace("%2C", ",").replace("%3B", ";")
    lons = [float(c.split(",")[0]) for c in corners.split(";")]
    assert len(lons) == 4 and 37.0 < min(lons) < 37.8 < max(lons) < 38.6  # the rectangle drawn
    assert offline_page.errors == []
    page.screenshot(path=artifacts / "map-area-drawn.png", full_page=True)
