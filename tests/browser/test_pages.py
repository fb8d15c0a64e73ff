"""Overview and Upload in headless Chromium: they render offline, and the Upload page rejects a bad file."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000


def _settled(page):
    # Streamlit marks the app "running" while a script runs; wait for it to finish, not for a fixed time.
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=TIMEOUT_MS)


def test_overview_renders_offline(offline_page, artifacts):
    page = offline_page.page
    page.goto("/")
    page.get_by_text("Likely violations by side and sector").wait_for(timeout=TIMEOUT_MS)
    _settled(page)
    assert page.locator('[data-testid="stMetric"]').count() >= 4
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=artifacts / "overview.png", full_page=True)


def test_upload_rejects_a_bad_file_with_the_reason(offline_page, artifacts, shared_data):
    page = offline_page.page
    page.goto("/upload")
    page.get_by_text("Batch history").wait_for(timeout=TIMEOUT_MS)
    page.locator('input[type="file"]').set_input_files(str(shared_data / "geojson_bad" / "bad-json.geojson"))
    page.get_by_text("is not valid JSON").wait_for(timeout=TIMEOUT_MS)
    _settled(page)
    assert page.get_by_text("How to fix").count() >= 1
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=artifacts / "upload-rejected.png", full_page=True)
