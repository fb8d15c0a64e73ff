"""A page run reads one store revision throughout: an ingest by another session while a run is under
way shows on the next run, and never breaks this one (it did on the Map page once hexagons were drawn).
On both stores: with PostGIS the other session is another server (the test's handle, its own work folder)."""

from __future__ import annotations

from geo.ingest import read_batch
from tests.app.conftest import edits_of, update_landed

MAP_PAGE = "app_pages/map.py"


def test_an_ingest_during_a_map_run_changes_nothing_until_the_next_run(
    app_on, serve, served, demo_copy, monkeypatch, small_batch
):
    count = demo_copy.count()
    monkeypatch.setenv("CM_MAP_POINT_LIMIT", "500")  # hexagons: the index is read after the reports
    from ui import data

    real = data.analysis
    done = {}

    def analysis_then_another_session_ingests():
        out = real()
        if not done:
            batch = small_batch(40, source="other-session")
            demo_copy.add_batch(read_batch(batch, filename="meanwhile.geojson"), original=batch)
            done["revision"] = demo_copy.revision()
        return out

    at = app_on(demo_copy, MAP_PAGE)
    assert not at.exception and at.session_state["map_hexagon_count"] == count
    # The next run of the Map page: another session ingests while it runs, after its reports were read.
    monkeypatch.setattr(data, "analysis", analysis_then_another_session_ingests)
    at.run()
    assert done, "the other session's ingest happened inside the run"
    assert not at.exception and not at.error
    assert at.session_state["map_hexagon_count"] == count  # the revision the run started with
    # The next run starts the update in the background and, until it lands, shows the last
    # analysis with a note saying so (no wait here, so the note shows whatever the update's size).
    monkeypatch.setattr(data, "WAIT_S", 0.0)
    at.run()
    assert not at.exception
    notes = [i.value for i in at.info if "Updating the analysis" in i.value]
    assert notes and "revision" in notes[0], [i.value for i in at.info]
    assert at.session_state["map_hexagon_count"] == count

    update_landed(served(demo_copy))
    at.run()
    assert not at.exception and at.session_state["map_hexagon_count"] == count + 40
    assert not [i.value for i in at.info if "Updating the analysis" in i.value]


def test_a_failed_background_update_says_so_and_keeps_the_last_analysis(
    app_on, serve, served, demo_copy, monkeypatch, small_batch
):
    from geo import refresh
    from geo.errors import StoreError
    from ui import data, updating

    at = app_on(demo_copy)
    assert not at.exception
    batch = small_batch(10, source="failing-update")
    demo_copy.add_batch(read_batch(batch, filename="ten.geojson"), original=batch)

    def broken(*args, **kwargs):
        raise StoreError("The disk is full.", hint="Free some space.")

    monkeypatch.setattr(refresh, "refresh_store", broken)
    monkeypatch.setattr(data, "WAIT_S", 5.0)  # the failure lands within the wait
    at.run()
    assert not at.exception
    notes = [i.value for i in at.info if "could not be brought up to date" in i.value]
    assert notes and "The disk is full. Free some space." in notes[0], [i.value for i in at.info]
    assert f"as of store revision {demo_copy.revision() - 1}" in notes[0]
    assert updating.job(served(demo_copy)).error == "The disk is full. Free some space."
    # Fixed: the next run tries again and shows the new reports.
    monkeypatch.undo()
    serve(demo_copy)
    at.run()
    update_landed(served(demo_copy))
    at.run()
    assert not at.exception
    assert not [i.value for i in at.info if "analysis" in i.value.lower()]


def test_a_zone_drawn_elsewhere_keeps_the_pages_on_the_last_analysis_until_the_new_one_lands(
    app_on, served, demo_copy, monkeypatch
):
    from ui import data

    at = app_on(demo_copy, MAP_PAGE)
    assert not at.exception
    square = {
        "type": "Polygon",
        "coordinates": [[[37.58, 48.08], [37.62, 48.08], [37.62, 48.12], [37.58, 48.12], [37.58, 48.08]]],
    }
    edits_of(demo_copy).save_zone(square, zone_id="PS-9", kind="protected_site", name="School")
    monkeypatch.setattr(data, "WAIT_S", 0.0)
    at.run()
    assert not at.exception and not at.error
    notes = [i.value for i in at.info if "Updating the analysis" in i.value]
    assert notes and "the scenario or agreement changed" in notes[0], [i.value for i in at.info]
    update_landed(served(demo_copy))
    at.run()
    assert not at.exception and not [i.value for i in at.info if "Updating the analysis" in i.value]
