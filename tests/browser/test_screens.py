"""Every page at 1600x1000 and 1366x768, light and dark: rendered offline, whole, legible; a screenshot each.

The pictures go to test-artifacts/browser/matrix/<page>-<size>-<theme>.png (what the window shows) and
<page>-<size>-<theme>-full.png (the whole page), for a person to look at. One server, one browser, one
context per theme: a page is opened, measured and photographed in about two seconds. Under
pytest-xdist (``make test``) the dark half runs in the second lane, on that worker's server and browser.
"""

from __future__ import annotations

import itertools

import pytest

from tests.browser.conftest import SECOND_LANE, keep_offline

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
PAGES = {  # name: (path, its title)
    "overview": ("/", "Overview"),
    "map": ("/map", "Map"),
    "incidents": ("/incidents", "Incidents"),
    "patterns": ("/patterns", "Patterns"),
    "briefing": ("/briefing", "Briefing"),
    "upload": ("/upload", "Upload a batch"),
    "zones": ("/zones", "Zones and agreement"),
}
SIZES = {"1600x1000": (1600, 1000), "1366x768": (1366, 768)}
THEMES = ("light", "dark")
# The Map page's map fills most of the window; the others' maps are a part of the page.
MAP_MIN_HEIGHT = {"map": 560}
OTHER_MAP_MIN_HEIGHT = 300

SETTLED = '[data-testid="stApp"][data-test-script-state="notRunning"]'
FOLIUM = 'iframe[title="streamlit_folium.st_folium"]'
# Leaflet is in the iframe (st_folium's global map_div) and its vector layers are drawn on the canvas.
LEAFLET_DRAWN = (
    "() => typeof map_div !== 'undefined' && map_div._loaded"
    " && document.querySelector('.leaflet-overlay-pane canvas, .leaflet-overlay-pane svg') !== null"
    " && document.querySelectorAll('.leaflet-control').length > 0"
)
# Charts and tables draw after the script has ended: every one of them has its canvas or svg.
CHARTS_DRAWN = """() => [...document.querySelectorAll(
    '[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"], [data-testid="stDataFrame"]')]
    .every(el => el.querySelector('canvas, svg') !== null)"""
# Elements reaching past the window's right edge, unless an ancestor that fits clips or scrolls them.
OVERFLOWING = """() => {
    const w = document.documentElement.clientWidth, out = [];
    const name = el => el.tagName.toLowerCase() + (el.dataset.testid ? `[${el.dataset.testid}]` : '')
        + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '');
    if (document.documentElement.scrollWidth > w) out.push(`document ${document.documentElement.scrollWidth}`);
    for (const el of document.querySelectorAll('[data-testid="stApp"] *')) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0 || r.right <= w + 1) continue;
        let clipped = false;
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
            if (getComputedStyle(a).overflowX !== 'visible' && a.getBoundingClientRect().right <= w + 1) {
                clipped = true;
                break;
            }
        }
        if (!clipped) out.push(`${name(el)} right=${Math.round(r.right)}`);
    }
    return out.slice(0, 8);
}"""
# Containers in the main column that scroll sideways (a table wider than its column).
SIDEWAYS = """() => [...document.querySelectorAll('[data-testid="stMain"] *')]
    .filter(el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX)
        && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0
        && !el.closest('[data-testid="stDataFrame"]'))
    .map(el => `${el.tagName.toLowerCase()}[${el.dataset.testid || ''}] ${el.scrollWidth}>${el.clientWidth}`)"""
# Charts drawn wider than the column they stand in: an ancestor clips them (a legend's words cut off).
CHARTS_CLIPPED = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
    .map(el => [el.getBoundingClientRect(), el.closest('[data-testid="stVerticalBlock"]').getBoundingClientRect()])
    .filter(([chart, column]) => chart.right > column.right + 1)
    .map(([chart, column]) => `chart ${Math.round(chart.width)} px in a ${Math.round(column.width)} px column`)"""
COLOURS = "el => { const s = getComputedStyle(el); return [s.color, s.backgroundColor]; }"
TEXT_COLOUR = "el => getComputedStyle(el).color"


def _luminance(css: str) -> float:
    r, g, b = (int(float(v)) / 255 for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.fixture(scope="module")
def tab(browser, app_url):
    """One browser tab per theme, opened on first use and kept for the module; nothing leaves the machine."""
    tabs, blocked, errors = {}, [], []

    def open_tab(theme: str):
        if theme not in tabs:
            context = browser.new_context(base_url=app_url, color_scheme=theme)
            keep_offline(context, blocked)
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            tabs[theme] = (context, page)
        return tabs[theme][1]

    yield open_tab
    for context, _ in tabs.values():
        context.close()
    assert blocked == [], f"requests left the machine: {blocked}"
    assert errors == [], f"scripts failed in the page: {errors}"


def _settle(page) -> None:
    """Wait until the page is drawn and stays so: a map sends its view back once drawn, which runs
    the script again (the Map page's caption then counts the reports in view); a screenshot taken
    in between showed the map gone."""
    for _ in range(10):
        _drawn(page)
        page.wait_for_timeout(500)
        if page.locator(SETTLED).count() and not page.locator('[data-testid="stStatusWidget"]').is_visible():
            return
    pytest.fail("the page kept running its script again for 10 rounds")


def _drawn(page) -> None:
    """Wait for the script and its fragments to end, then for maps, charts and tables to be drawn."""
    page.wait_for_selector(SETTLED, timeout=TIMEOUT_MS)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=TIMEOUT_MS)
    page.wait_for_selector(SETTLED, timeout=TIMEOUT_MS)
    for iframe in page.locator(FOLIUM).element_handles():
        iframe.content_frame().wait_for_function(LEAFLET_DRAWN, timeout=TIMEOUT_MS)
    page.wait_for_function(CHARTS_DRAWN, timeout=TIMEOUT_MS)
    page.wait_for_timeout(300)  # the canvases' last animation frame (Leaflet's zoom, Vega's resize)


@pytest.mark.parametrize(
    ("theme", "size", "name"),
    [
        # The dark half in the second lane under pytest-xdist (tests/browser/conftest.py).
        pytest.param(
            theme, size, name, id=f"{theme}-{size}-{name}", marks=[SECOND_LANE] if theme == "dark" else []
        )
        for theme, size, name in itertools.product(THEMES, SIZES, PAGES)
    ],
)
def test_page_is_whole_and_legible(tab, artifacts, theme, size, name):
    path, title = PAGES[name]
    width, height = SIZES[size]
    page = tab(theme)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(path)
    page.locator('[data-testid="stHeading"] h1').first.wait_for(timeout=TIMEOUT_MS)
    if name in MAP_MIN_HEIGHT:
        page.locator(FOLIUM).first.wait_for(timeout=TIMEOUT_MS)
        # The map has sent its view back and the page has been drawn again with it.
        page.get_by_text("in this view").first.wait_for(timeout=TIMEOUT_MS)
    _settle(page)
    shots = artifacts / "matrix"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=shots / f"{name}-{size}-{theme}.png")

    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("Traceback (most recent call last)").count() == 0
    heading = page.locator('[data-testid="stHeading"] h1').first
    assert heading.is_visible() and heading.inner_text().strip() == title
    assert heading.bounding_box()["y"] < height / 3, "the page's title is pushed down out of the first view"
    assert page.evaluate(OVERFLOWING) == [], f"wider than the {width} px window"
    assert page.evaluate(SIDEWAYS) == [], "a table or block scrolls sideways"
    assert page.evaluate(CHARTS_CLIPPED) == []

    main = page.locator('[data-testid="stMain"]').bounding_box()
    for iframe in page.locator(FOLIUM).all():
        box = iframe.bounding_box()
        assert box["x"] >= main["x"] and box["x"] + box["width"] <= main["x"] + main["width"] + 1
        assert box["height"] >= MAP_MIN_HEIGHT.get(name, OTHER_MAP_MIN_HEIGHT), box
        if name in MAP_MIN_HEIGHT:  # the map is the page: most of it in the first view
            assert height - box["y"] >= MAP_MIN_HEIGHT[name] * 0.8, box
    if name in MAP_MIN_HEIGHT:
        assert page.locator(FOLIUM).count() >= 1

    text, background = page.locator('[data-testid="stApp"]').evaluate(COLOURS)
    if theme == "dark":
        assert _luminance(background) < 0.1, f"not a dark page: {background}"
    else:
        assert _luminance(background) > 0.8, f"not a light page: {background}"
    assert _contrast(text, background) >= 4.5  # WCAG AA for body text
    for caption in page.locator('[data-testid="stCaptionContainer"]').all()[:5]:
        assert _contrast(caption.evaluate(TEXT_COLOUR), background) >= 4.5
    sidebar = page.locator('[data-testid="stSidebar"]')
    if sidebar.is_visible():
        side_text, side_background = sidebar.evaluate(COLOURS)
        assert _contrast(side_text, side_background) >= 4.5

    # The whole page too (Streamlit scrolls its main column, not the document): the window made as tall
    # as the content for the picture, then as it was.
    full = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    if full > height:
        page.set_viewport_size({"width": width, "height": full})
        page.wait_for_timeout(300)
        page.screenshot(path=shots / f"{name}-{size}-{theme}-full.png")
