"""A batch committed while the app is open: the page shows the last analysis with a note, then the new one.

Its own server over its own copy of the demo store (the other browser tests count the demo's reports).
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests.browser.conftest import running_app

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000


def _settled(page):
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=TIMEOUT_MS)


def _reports_in_caption(page) -> int:
    text = page.get_by_text(re.compile(r"Store revision \d+ · [\d,]+ reports")).first.inner_text()
    return int(re.search(r"· ([\d,]+) reports", text).group(1).replace(",", ""))


def test_a_batch_shows_after_a_note_while_the_analysis_is_updated(
    browser, demo_store_path, tmp_path, artifacts
):
    from geo.demo import DEMO_DIR
    from geo.ingest import read_batch
    from geo.store import open_store

    folder = tmp_path / "store"
    shutil.copytree(demo_store_path.parent, folder)
    path = folder / demo_store_path.name
    with running_app(path, tmp_path / "streamlit.log") as base:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=base)
        page = context.new_page()
        page.goto("/")
        page.get_by_text("Likely violations (events) by side and sector").wait_for(timeout=TIMEOUT_MS)
        _settled(page)
        before = _reports_in_caption(page)
        assert page.get_by_text("Updating the analysis").count() == 0

        # Another desk commits a batch: the demo's whole month again under other sources (new ids),
        # beside every stored report, so its update reaches every event and takes longer than the
        # second a page waits for it. (One week of it no longer did: updates got faster.)
        features = []
        for file in sorted(DEMO_DIR.glob("incidents_*.geojson")):
            for feature in json.loads(file.read_text(encoding="utf-8"))["features"]:
                feature["properties"]["source"] = f"{feature['properties']['source']}-OTHER-DESK"
                feature["properties"].pop("cites", None)
                features.append(feature)
        data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
        added = open_store(path).add_batch(read_batch(data, filename="other-desk.geojson"), original=data)
        assert added.accepted > 0

        page.reload()
        note = page.get_by_text("Updating the analysis")
        note.wait_for(timeout=TIMEOUT_MS)
        assert "The pages show the analysis of revision" in note.first.inner_text()
        # The sidebar says which revision the pages show while the store is ahead of it.
        page.get_by_text(
            re.compile(r"Store revision \d+ · [\d,]+ reports · analysis of revision \d+")
        ).wait_for(timeout=TIMEOUT_MS)
        page.screenshot(path=artifacts / "updating-note.png", full_page=True)

        # The fragment reruns the app when the update has landed: the note goes, the new count shows.
        note.wait_for(state="detached", timeout=120_000)
        _settled(page)
        page.get_by_text(re.compile(rf"· {before + added.accepted:,} reports")).wait_for(timeout=TIMEOUT_MS)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_text("analysis of revision").count() == 0
        page.screenshot(path=artifacts / "updating-landed.png", full_page=True)
        context.close()
