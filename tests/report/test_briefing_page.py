"""The Briefing page (AppTest): image, pack and export built for the filters in the URL; an empty store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.filters import Filters, apply_filters
from tests.app.conftest import run_app
from tests.report.conftest import WEEK

PAGE = "app_pages/briefing.py"


@pytest.fixture
def briefing(monkeypatch):
    """Return a function running the Briefing page over a store, with URL query parameters (as a link)."""

    def run(store_path: Path, query: dict[str, str] | None = None) -> AppTest:
        monkeypatch.setenv("CM_STORE_PATH", str(store_path))
        return run_app(PAGE, query=query)

    return run


def test_builds_image_pack_and_export_of_the_filtered_rows(briefing, demo_store, reports):
    at = briefing(demo_store.path, WEEK)
    assert not at.exception and not at.error
    shown = apply_filters(reports, Filters.from_params(WEEK))
    assert any(f"{len(shown):,} of {len(reports):,} reports" in c.value for c in at.caption)
    at.button(key="brief_image_build").click().run()
    assert not at.exception and at.session_state["brief_image"][1].startswith(b"\x89PNG")
    at.button(key="brief_pack_build").click().run()
    pack = at.session_state["brief_pack"][1]
    assert not at.exception and pack.pdf.startswith(b"%PDF")
    assert pack.manifest.filters == WEEK and pack.manifest.figures["reports"] == len(shown)
    at.button(key="brief_export_build").click().run()
    doc = json.loads(at.session_state["brief_export"][1])
    assert [f["properties"]["uid"] for f in doc["features"]] == shown["uid"].tolist()
    assert "flag_level" not in doc["features"][0]["properties"]


def test_a_result_built_for_other_choices_is_not_offered(briefing, demo_store):
    at = briefing(demo_store.path, WEEK)
    at.button(key="brief_image_build").click().run()
    assert [b.key for b in at.get("download_button")] == ["brief_image_download"] and at.get("image")
    at.selectbox(key="brief_format").set_value("svg").run()
    # The PNG built before is kept, but neither shown nor offered for the SVG now chosen.
    assert not at.exception and not at.get("download_button") and not at.get("image")


def test_an_empty_store_gets_a_message_not_an_error(briefing, tmp_path):
    at = briefing(tmp_path / "empty" / "store.gpkg")
    assert not at.exception and not at.error
    assert any("No reports yet" in i.value for i in at.info)
