"""The app in a browser that prefers a dark theme: Streamlit follows it, and the map stays legible."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
# The computed colours of an element, and the luminance of an "rgb(r, g, b)" string.
COLOURS = "el => { const s = getComputedStyle(el); return [s.color, s.backgroundColor]; }"


def _luminance(css: str) -> float:
    r, g, b = (int(v) / 255 for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_dark_theme_is_dark_and_the_map_legend_keeps_its_contrast(browser, app_url, artifacts):
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, base_url=app_url, color_scheme="dark"
    )
    try:
        page = context.new_page()
        page.goto("/map")
        page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', timeout=TIMEOUT_MS)
        frame = next(f for f in page.frames if "streamlit_folium" in f.url)
        frame.wait_for_selector(".cm-legend", timeout=TIMEOUT_MS)
        app_text, app_background = page.locator('[data-testid="stApp"]').evaluate(COLOURS)
        assert _luminance(app_background) < 0.1, f"not a dark theme: {app_background}"
        assert _contrast(app_text, app_background) >= 4.5  # WCAG AA for body text
        text, background = frame.locator(".cm-legend").evaluate(COLOURS)
        # The legend carries its own light box and dark text, whatever the page's theme.
        assert _contrast(text, background) >= 7
        caption = page.locator('[data-testid="stCaptionContainer"]').first
        caption_text = caption.evaluate("el => getComputedStyle(el).color")
        assert _contrast(caption_text, app_background) >= 4.5
        page.wait_for_timeout(300)
        page.screenshot(path=artifacts / "map-dark.png", full_page=True)
        page.goto("/")
        page.get_by_text("Latest likely violations").first.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_timeout(500)
        page.screenshot(path=artifacts / "overview-dark.png", full_page=True)
    finally:
        context.close()
