"""A server started as ``make run`` starts it (``python -m ui.serve``): its first pages rehearsed
before it listens, and its map still served (the rehearsal imports streamlit-folium outside the
server; app.py registers the map's component with the server, ui.components)."""

from __future__ import annotations

import shutil

import pytest

from tests.browser.conftest import COUNT_UIDS, SECOND_LANE, keep_offline, running_app

pytestmark = [pytest.mark.browser, SECOND_LANE]


def test_a_launched_server_rehearses_its_first_pages_and_draws_the_map(
    browser, demo_store, demo_analysis, map_frame, tmp_path
):
    shutil.copytree(demo_store.path.parent, tmp_path / "store")  # the demo with its analysis kept
    log = tmp_path / "server.log"
    with running_app(tmp_path / "store" / demo_store.path.name, log, launcher=True, timeout_s=240) as base:
        said = log.read_text()  # everything it said before it first answered
        assert f"({demo_store.count():,} reports) read back" in said, said
        for page_path in ("app_pages/overview.py", "app_pages/map.py"):
            assert f"Preparing: {page_path} rehearsed in " in said, said
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=base)
        blocked: list[str] = []
        keep_offline(context, blocked)
        errors: list[str] = []
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            page.goto("/map")
            frame = map_frame(page)  # the map's frame is served and Leaflet drew the legend
            legend = frame.locator(".cm-legend").inner_text()
            assert f"Violation flag ({demo_store.count():,} reports)" in legend
            assert frame.evaluate(COUNT_UIDS) > 0
        finally:
            context.close()
        assert errors == [] and blocked == []
