"""Every page renders on the demo store, on an empty store and with filters that match nothing."""

from __future__ import annotations

import json

from geo.store import open_store

DEMO = "demo"


def _texts(at) -> str:
    return " ".join(
        e.value for e in [*at.info, *at.error, *at.warning, *at.success, *at.caption, *at.markdown]
    )


def test_overview_on_the_demo(app_on, demo_store):
    at = app_on(demo_store.path)
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    assert int(labels["Reports, 7 days"].replace(",", "")) > 0
    assert "Likely violations, 30 days" in labels
    assert int(labels["Likely, attributed RU"]) + int(labels["Likely, attributed UA"]) <= int(
        labels["Likely violations, 30 days"].replace(",", "")
    )
    tables = at.dataframe
    assert len(tables) >= 2 and len(tables[-1].value) > 0
    assert not at.error


def test_overview_on_an_empty_store(app_on, empty_store_path):
    at = app_on(empty_store_path)
    assert not at.exception and not at.error
    assert "No reports yet" in _texts(at)


def test_map_on_the_demo(app_on, demo_store):
    at = app_on(demo_store.path, "app_pages/map.py")
    assert not at.exception and not at.error
    assert at.session_state["map_incident_count"] == demo_store.count()
    assert at.sidebar.selectbox(key="map_colour").value == "flag_level"


def test_map_filters_that_match_nothing(app_on, demo_store):
    at = app_on(demo_store.path, "app_pages/map.py")
    # Weapon sightings in the demo are heavy weapons, never UAVs: together the two filters match nothing.
    at.sidebar.multiselect(key="filter_types").set_value(["weapon_sighting"])
    at.sidebar.multiselect(key="filter_weapons").set_value(["uav"]).run()
    assert not at.exception and not at.error
    assert "No report matches the filters" in _texts(at)
    assert at.session_state["map_incident_count"] == 0
    assert at.query_params["type"] == "weapon_sighting" and at.query_params["weapon"] == "uav"


def test_map_filter_narrows_and_lives_in_the_url(app_on, demo_store):
    at = app_on(demo_store.path, "app_pages/map.py")
    at.sidebar.multiselect(key="filter_types").set_value(["weapon_sighting"]).run()
    shown = at.session_state["map_incident_count"]
    expected = int((demo_store.incidents()["type"] == "weapon_sighting").sum())
    assert shown == expected > 0
    assert at.query_params["type"] == "weapon_sighting"


def test_map_on_an_empty_store(app_on, empty_store_path):
    at = app_on(empty_store_path, "app_pages/map.py")
    assert not at.exception and not at.error
    assert "No reports yet" in _texts(at)
    assert at.session_state["map_incident_count"] == 0


def _batch(n=3, **props):
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [37.6 + i / 100, 48.1]},
            "properties": {
                "id": f"u{i}",
                "source": "desk",
                "occurred_at": "2026-10-20T06:00:00Z",
                "type": "impact",
            }
            | props,
        }
        for i in range(n)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def test_upload_commit_duplicate_and_retract(app_on, fresh_store_path):
    at = app_on(fresh_store_path, "app_pages/upload.py")
    assert not at.exception and "No batches yet" in _texts(at)
    at.file_uploader(key="upload_file").set_value(("batch.geojson", _batch(), "application/geo+json")).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Valid"] == "3"
    at.button(key="upload_commit").click().run()
    assert "Stored batch b000001: 3 new reports" in _texts(at)
    assert open_store(fresh_store_path).count() == 3
    at.button(key="upload_commit").click().run()
    assert "already ingested" in _texts(at)
    assert open_store(fresh_store_path).count() == 3
    at.selectbox(key="retract_batch").set_value("b000001")
    at.checkbox(key="retract_confirm").check().run()
    at.button(key="retract_button").click().run()
    assert "3 reports removed" in _texts(at)
    assert open_store(fresh_store_path).count() == 0


def test_upload_bad_file_shows_the_problem_and_stores_nothing(app_on, fresh_store_path, shared_data):
    at = app_on(fresh_store_path, "app_pages/upload.py")
    bad = (shared_data / "geojson_bad" / "bad-json.geojson").read_bytes()
    at.file_uploader(key="upload_file").set_value(("bad-json.geojson", bad, "application/geo+json")).run()
    assert not at.exception
    assert any("not valid JSON" in e.value and "line 3" in e.value for e in at.error)
    assert open_store(fresh_store_path).count() == 0


def test_upload_partly_invalid_batch_lists_each_issue(app_on, fresh_store_path):
    at = app_on(fresh_store_path, "app_pages/upload.py")
    data = (
        _batch(2)[:-2]
        + b', {"type": "Feature", "geometry": null, "properties": {"id": "x", "source": "desk", "type": "shelling"}}]}'
    )
    at.file_uploader(key="upload_file").set_value(("mixed.geojson", data, "application/geo+json")).run()
    assert not at.exception
    issues = at.dataframe[0].value
    assert set(issues["field"]) >= {"geometry", "type", "occurred_at"}
    assert "Did you mean" in " ".join(issues["fix"]) or "Allowed" in " ".join(issues["fix"])
    at.button(key="upload_commit").click().run()
    assert "1 rejected and kept in quarantine" in _texts(at)
    assert len(open_store(fresh_store_path).quarantine()) == 1


def test_map_selected_report_shows_its_reasons_and_origin(app_on, demo_store):
    from geo.pipeline import analyse_store
    from geo.settings import load_settings

    s = load_settings()
    reports = analyse_store(demo_store, scenario_dir=s.scenario_dir, agreement_path=s.agreement_path).reports
    pick = reports.loc[(reports["origin_method"] == "triangulated") & (reports["flag_level"] == "likely")].iloc[0]
    at = app_on(demo_store.path, "app_pages/map.py")
    at.session_state["selected_uid"] = pick["uid"]
    at.run()
    assert not at.exception and not at.error
    assert any(pick["id"] in h.value for h in at.subheader)
    shown = " ".join(m.value for m in at.markdown)
    assert "FIRE_AFTER_EFFECTIVE" in shown and "SIDE_ORIGIN" in shown
