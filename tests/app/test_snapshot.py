"""A page run reads one store revision throughout: an ingest by another session while a run is under
way shows on the next run, and never breaks this one (it did on the Map page once hexagons were drawn)."""

from __future__ import annotations

import shutil

from geo.ingest import read_batch
from geo.store import open_store

MAP_PAGE = "app_pages/map.py"


def test_an_ingest_during_a_map_run_changes_nothing_until_the_next_run(
    app_on, demo_store, tmp_path, monkeypatch, small_batch
):
    folder = tmp_path / "copy"
    shutil.copytree(demo_store.path.parent, folder)
    path = folder / demo_store.path.name
    monkeypatch.setenv("CM_MAP_POINT_LIMIT", "500")  # hexagons: the index is read after the reports
    from ui import data

    real = data.analysis
    done = {}

    def analysis_then_another_session_ingests():
        out = real()
        if not done:
            batch = small_batch(40, source="other-session")
            open_store(path).add_batch(read_batch(batch, filename="meanwhile.geojson"), original=batch)
            done["revision"] = open_store(path).revision()
        return out

    at = app_on(path, MAP_PAGE)
    assert not at.exception and at.session_state["map_hexagon_count"] == demo_store.count()
    # The next run of the Map page: another session ingests while it runs, after its reports were read.
    monkeypatch.setattr(data, "analysis", analysis_then_another_session_ingests)
    at.run()
    assert done, "the other session's ingest happened inside the run"
    assert not at.exception and not at.error
    assert at.session_state["map_hexagon_count"] == demo_store.count()  # the revision the run started with
    at.run()
    assert not at.exception and at.session_state["map_hexagon_count"] == demo_store.count() + 40
