"""Two app servers on one PostGIS store: a batch uploaded through one appears on the other's map.

Server B's Map page is left open, untouched: its poll (ui.follow) reruns it when the store moves.
"""

from __future__ import annotations

import json
import re
import time
from contextlib import ExitStack

import pytest

from tests.browser.conftest import COUNT_UIDS, SECOND_LANE, keep_offline, running_app

pytestmark = [pytest.mark.browser, SECOND_LANE]

TIMEOUT_MS = 60_000
# Server B shows a batch committed through A within the poll (ui.follow.POLL_S, 3 s) and the
# probe's sharing (1 s), with the update of its analysis (the page waits up to 1 s for it) and
# the map's redraw: generously.
FOLLOW_S = 20.0
SEED = "incidents_imagery_2026-10-01.geojson"
# The new batch: a 6 x 6 block of impacts at a place the seed leaves empty, easy to see on the map.
GRID = [(33.3 + 0.06 * i, 49.9 + 0.04 * j) for i in range(6) for j in range(6)]

HAS_UIDS = (
    "(uids) => { const s = new Set(); map_div.eachLayer(l => { if (l.feature && l.feature.properties.uid)"
    " s.add(l.feature.properties.uid); }); return uids.every(u => s.has(u)); }"
)


def _settled(page) -> None:
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=TIMEOUT_MS)


def _reports_in_caption(page) -> int:
    text = page.get_by_text(re.compile(r"Store revision \d+ · [\d,]+ reports")).first.inner_text()
    return int(re.search(r"· ([\d,]+) reports", text).group(1).replace(",", ""))


def _map_frame(page):
    page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', timeout=TIMEOUT_MS)
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    frame.wait_for_selector(".leaflet-container .cm-legend", timeout=TIMEOUT_MS)
    return frame


def _drawn(page, uids: list[str], *, deadline: float):
    """B's map frame once it draws every one of ``uids`` (the page may rebuild the frame meanwhile:
    a rerun when the store moved, another when the analysis update lands)."""
    from playwright.sync_api import Error

    while True:
        try:
            frame = _map_frame(page)
            if frame.evaluate(HAS_UIDS, uids):
                return frame
        except (Error, StopIteration):  # the frame was replaced between two looks
            pass
        if time.time() > deadline:
            pytest.fail(f"server B's map did not draw the {len(uids)} new reports within {FOLLOW_S:.0f} s")
        page.wait_for_timeout(100)


def _batch() -> dict:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "id": f"grid-{k:02d}",
                "source": "SERVER-A-DESK",
                "occurred_at": "2026-10-01T09:00:00Z",
                "type": "impact",
            },
        }
        for k, (lon, lat) in enumerate(GRID)
    ]
    return {"type": "FeatureCollection", "features": features}


def test_a_batch_uploaded_through_one_server_appears_on_the_others_map(
    browser, postgis_database, tmp_path, artifacts, monkeypatch
):
    from geo.demo import DEMO_DIR
    from geo.ingest import read_batch
    from geo.schema import report_uid
    from geo.store import open_store

    url = postgis_database()
    seed = (DEMO_DIR / SEED).read_bytes()
    seeded = open_store(url, work=tmp_path / "seed").add_batch(read_batch(seed, filename=SEED), original=seed)
    assert seeded.accepted > 0
    batch = tmp_path / "server-a-grid.geojson"
    batch.write_text(json.dumps(_batch()), encoding="utf-8")
    uids = [str(report_uid("SERVER-A-DESK", f"grid-{k:02d}")) for k in range(len(GRID))]

    monkeypatch.setenv("CM_STORE_URL", url)  # both servers; each its own local work folder
    with ExitStack() as stack:
        base_a = stack.enter_context(running_app(tmp_path / "a" / "store.gpkg", tmp_path / "a.log"))
        base_b = stack.enter_context(running_app(tmp_path / "b" / "store.gpkg", tmp_path / "b.log"))
        blocked: list[str] = []
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        stack.callback(context.close)
        keep_offline(context, blocked)
        page_a, page_b = context.new_page(), context.new_page()

        page_b.goto(f"{base_b}/map")
        frame = _map_frame(page_b)
        _settled(page_b)
        before = _reports_in_caption(page_b)
        assert before == seeded.accepted
        drawn_before = frame.evaluate(COUNT_UIDS)
        assert drawn_before > 0 and not frame.evaluate(HAS_UIDS, uids[:1])
        page_b.screenshot(path=artifacts / "two-servers-b-before.png")
        # Not checked here: that a search typed on B and not yet sent survives the rerun. It did in
        # three quiet runs and was lost once with the other core busy (a known doubt, docs/DEPLOY.md).

        page_a.goto(f"{base_a}/upload")
        page_a.get_by_text("Batch history").wait_for(timeout=TIMEOUT_MS)
        page_a.locator('input[type="file"]').set_input_files(str(batch))
        page_a.get_by_role("button", name=f"Commit {len(GRID)} reports").click()
        page_a.get_by_text("Stored batch").wait_for(timeout=TIMEOUT_MS)
        # When the database took the batch (its clock is this machine's): B's delays count from it.
        batches = open_store(url, work=tmp_path / "seed").batches()
        stored = batches.loc[batches["filename"] == batch.name, "uploaded_at"].iloc[0].timestamp()

        # B, left alone, shows the new count and draws the new reports.
        page_b.get_by_text(re.compile(rf"· {before + len(GRID):,} reports")).wait_for(
            timeout=max(0.0, stored + FOLLOW_S - time.time()) * 1000
        )
        counted = time.time()
        _drawn(page_b, uids, deadline=stored + FOLLOW_S)
        drawn = time.time()
        print(
            f"server B: the count {counted - stored:.1f} s, the map {drawn - stored:.1f} s after A stored the batch"
        )
        _settled(page_b)
        frame = _drawn(page_b, uids, deadline=time.time() + FOLLOW_S)
        assert frame.evaluate(COUNT_UIDS) == drawn_before + len(GRID)
        assert page_b.locator('[data-testid="stException"]').count() == 0
        page_b.wait_for_timeout(500)  # the canvas's last frame before the picture
        page_b.screenshot(path=artifacts / "two-servers-b-after.png")
        assert blocked == []
