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
    page.get_by_text("Likely violations (events) by side and sector").wait_for(timeout=TIMEOUT_MS)
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


def test_upload_accepts_a_good_batch_and_commits_it(offline_page, artifacts, tmp_path):
    import json

    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [37.80 + i / 100, 48.60]},
            "properties": {
                "id": f"browser-{i}",
                "source": "BROWSER-TEST",
                "occurred_at": "2026-10-20T06:00:00Z",
                "type": "impact",
            },
        }
        for i in range(3)
    ]
    batch = tmp_path / "three.geojson"
    batch.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    page = offline_page.page
    page.goto("/upload")
    page.get_by_text("Batch history").wait_for(timeout=TIMEOUT_MS)
    page.locator('input[type="file"]').set_input_files(str(batch))
    page.get_by_role("button", name="Commit 3 reports").click()
    page.get_by_text("three.geojson").first.wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("Stored batch").wait_for(timeout=TIMEOUT_MS)
    _settled(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=artifacts / "upload-committed.png", full_page=True)


def test_upload_offers_the_mapping_for_another_datasets_geojson(offline_page, artifacts, shared_data):
    # The real UCDP GED GeoJSON: its schema is recognised, the mapping step shown with the UCDP preset.
    page = offline_page.page
    page.goto("/upload")
    page.get_by_text("Batch history").wait_for(timeout=TIMEOUT_MS)
    path = shared_data / "ucdp_ged" / "ucdp_ged_ukraine_minsk2_2015-02-15_2022-02-23.geojson"
    page.locator('input[type="file"]').set_input_files(str(path))
    page.get_by_text("Column mapping").wait_for(timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Commit 1447 reports").wait_for(timeout=TIMEOUT_MS)
    _settled(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=artifacts / "upload-mapped-geojson.png", full_page=True)


@pytest.mark.parametrize(
    ("path", "heading", "shot"),
    [("/patterns", "Distance profiles", "patterns.png"), ("/briefing", "Briefing", "briefing.png")],
)
def test_patterns_and_briefing_render_offline(offline_page, artifacts, path, heading, shot):
    page = offline_page.page
    page.goto(path)
    page.get_by_role("heading", name=heading).first.wait_for(timeout=TIMEOUT_MS)
    _settled(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    page.wait_for_timeout(500)
    page.screenshot(path=artifacts / shot, full_page=True)
