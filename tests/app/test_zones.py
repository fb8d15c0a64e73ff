"""The Zones and agreement page: versions and their change, a drawn zone stored, a line version uploaded.

The edits run on both stores (for PostGIS, read back through the test's own handle, from the
database); the pages over the committed scenario of the demo on the GeoPackage one."""

from __future__ import annotations

import hashlib
import json

import psycopg
import pytest
import shapely
from shapely.geometry import mapping

from geo.labels import label
from geo.rules import load_agreement
from geo.scenario import load_scenario
from geo.settings import SCENARIO_DIR, load_settings
from tests.app.conftest import edits_of

ZONES_PAGE = "app_pages/zones.py"
SQUARE = mapping(shapely.box(37.58, 48.08, 37.62, 48.12))


def _digest() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(SCENARIO_DIR.glob("*"))}


def test_zones_on_the_demo_show_the_latest_line_zones_and_terms(app_on, demo_store, texts, shown):
    at = app_on(demo_store.path, ZONES_PAGE)
    assert not at.exception and not at.error
    base = load_scenario(SCENARIO_DIR)
    latest = base.lines.sort_values("valid_from")["version"].iloc[-1]
    drawn = at.session_state["zones_map_layers"]
    assert drawn["line_version"] == latest and drawn["zones"] == len(base.zones)
    # Ukrainian-held, occupied and Russia's own ground of the latest version.
    assert drawn["control_areas"] == 3 and drawn["change"] is None
    agreement = load_agreement(load_settings(environ={}).agreement_path)
    withdrawal, rules = at.dataframe[-2].value, at.dataframe[-1].value
    assert withdrawal["zone width (km)"].tolist() == [w.total_width_km for w in agreement.withdrawal]
    assert rules["rule"].tolist() == [label(r.code, "code") for r in agreement.rules]  # in words
    assert f"Agreement in force: {agreement.short_name}" in [shown(s.value) for s in at.subheader]
    assert "No edits yet" in texts(at)


def test_zones_on_an_empty_store_still_show_the_scenario(app_on, empty_store):
    at = app_on(empty_store, ZONES_PAGE)
    assert not at.exception and not at.error
    assert at.session_state["zones_map_layers"]["zones"] == len(load_scenario(SCENARIO_DIR).zones)


def test_comparing_two_versions_shows_the_change(app_on, demo_store):
    at = app_on(demo_store.path, ZONES_PAGE)
    at.selectbox(key="zones_version").set_value("v2")
    at.selectbox(key="zones_compare").set_value("v1").run()
    assert not at.exception and not at.error
    assert at.session_state["zones_map_layers"]["change"] == ("v1", "v2")
    figures = at.dataframe[0].value.set_index("figure")["value"]
    # The demo's v2 moves one sector towards Ukrainian-held ground: only RU gains.
    assert figures["Ground gained by RU (km²)"] > 0 and figures["Ground gained by UA (km²)"] == 0
    assert figures["Line moved (km)"] > 0


def test_a_drawn_zone_is_stored_and_comes_into_force(app_on, fresh_store, texts):
    before = _digest()
    at = app_on(fresh_store, ZONES_PAGE)
    assert at.button(key="zones_zone_save").disabled, "nothing drawn yet"
    # What st_folium hands back after a polygon is drawn (a browser test draws it for real).
    at.session_state["zones_drawing"] = SQUARE
    at.run()
    at.text_input(key="zones_zone_id").input("PS-9")
    at.selectbox(key="zones_zone_kind").set_value("protected_site")
    at.text_input(key="zones_zone_name").input("School 4")
    at.text_input(key="zones_zone_note").input("school reopened")
    at.button(key="zones_zone_save").click().run()
    assert not at.exception and not at.error
    assert "Saved zone PS-9" in texts(at)
    edits = edits_of(fresh_store)
    assert edits.history()[["label", "note"]].values.tolist() == [["PS-9", "school reopened"]]
    zone = edits.scenario().zones.set_index("zone_id").loc["PS-9"]
    assert zone["kind"] == "protected_site" and shapely.equals(zone.geometry, shapely.geometry.shape(SQUARE))
    assert at.session_state["zones_map_layers"]["zones"] == len(load_scenario(SCENARIO_DIR).zones) + 1
    assert _digest() == before, "the committed scenario is never written"


def test_a_zone_id_in_use_is_refused_and_nothing_is_stored(app_on, fresh_store, shown):
    at = app_on(fresh_store, ZONES_PAGE)
    at.session_state["zones_drawing"] = SQUARE
    at.run()
    at.text_input(key="zones_zone_id").input("SZ-1")
    at.text_input(key="zones_zone_name").input("Again")
    at.button(key="zones_zone_save").click().run()
    assert not at.exception
    assert "Zone SZ-1 exists already" in shown(at.error[0].value)
    assert edits_of(fresh_store).edits() == []


def _line_file(version: str, *, areas: bool = True) -> bytes:
    """A line version file: v1's line as ``version`` (from 1 November), with v1's control areas or not."""
    base = load_scenario(SCENARIO_DIR)
    line = base.lines.loc[base.lines["version"] == "v1"].geometry.iloc[0]
    sides = base.control_areas.loc[base.control_areas["version"] == "v1"].set_index("side").geometry
    props = {"version": version, "valid_from": "2026-11-01T00:00:00Z", "name": "Line of 1 November"}
    features = [{"type": "Feature", "geometry": mapping(line), "properties": props}]
    if areas:
        features += [
            {"type": "Feature", "geometry": mapping(sides[s]), "properties": {"side": s}}
            for s in ("UA", "RU")
        ]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def test_a_line_version_file_is_added_or_refused_with_the_reason(app_on, fresh_store):
    bad, good = _line_file("v3", areas=False), _line_file("v3")
    at = app_on(fresh_store, ZONES_PAGE)
    at.file_uploader(key="zones_line_file").set_value(
        ("line-only.geojson", bad, "application/geo+json")
    ).run()
    at.button(key="zones_line_save").click().run()
    assert not at.exception
    assert "has no control area for UA, RU" in at.error[0].value
    assert edits_of(fresh_store).edits() == []
    at.file_uploader(key="zones_line_file").set_value(("v3.geojson", good, "application/geo+json")).run()
    at.button(key="zones_line_save").click().run()
    assert not at.exception and not at.error
    assert any(label.startswith("v3 ") for label in at.selectbox(key="zones_version").options)
    assert at.selectbox(key="zones_version").value == "v3", "the newest version is shown"


def test_picking_a_zone_fills_the_form_and_saving_records_a_revision(app_on, fresh_store, texts):
    base = load_scenario(SCENARIO_DIR).zones.set_index("zone_id").loc["PS-1"]
    at = app_on(fresh_store, ZONES_PAGE)
    at.selectbox(key="zones_target").set_value("PS-1").run()
    assert at.text_input(key="zones_zone_id").value == "PS-1" and at.text_input(key="zones_zone_id").disabled
    assert at.text_input(key="zones_zone_name").value == base["name"]
    assert at.selectbox(key="zones_zone_kind").value == base["kind"]
    at.text_input(key="zones_zone_name").input("ZNPP (renamed)")
    at.button(key="zones_zone_save").click().run()
    assert not at.exception and not at.error and "Saved zone PS-1" in texts(at)
    zone = edits_of(fresh_store).scenario().zones.set_index("zone_id").loc["PS-1"]
    assert zone["name"] == "ZNPP (renamed)" and shapely.equals(zone.geometry, base.geometry)
    at.selectbox(key="zones_target").set_value("PS-1").run()
    at.checkbox(key="zones_remove_confirm_PS-1").check().run()
    # The confirmation belongs to the zone it names: picking another zone starts unconfirmed.
    other = next(z for z in at.selectbox(key="zones_target").options if z not in ("PS-1",) and "-" in z)
    at.selectbox(key="zones_target").set_value(other).run()
    assert not at.checkbox(key=f"zones_remove_confirm_{other}").value
    assert at.button(key="zones_zone_remove").disabled
    at.selectbox(key="zones_target").set_value("PS-1").run()
    at.checkbox(key="zones_remove_confirm_PS-1").check().run()
    at.button(key="zones_zone_remove").click().run()
    assert not at.exception and "Removed zone PS-1" in texts(at)
    edits = edits_of(fresh_store)
    assert "PS-1" not in set(edits.scenario().zones["zone_id"])
    assert edits.history()["kind"].tolist() == ["zone", "zone_removed"]


@pytest.mark.parametrize("store_kind", ["postgis"])
def test_a_zone_and_a_line_version_saved_on_one_server_are_in_the_database_for_another(
    app_on, fresh_store, texts
):
    at = app_on(fresh_store, ZONES_PAGE)
    at.session_state["zones_drawing"] = SQUARE
    at.run()
    at.text_input(key="zones_zone_id").input("PS-9")
    at.text_input(key="zones_zone_name").input("School 4")
    at.button(key="zones_zone_save").click().run()
    assert not at.exception and not at.error and "Saved zone PS-9" in texts(at)
    line = _line_file("v3")
    at.file_uploader(key="zones_line_file").set_value(("v3.geojson", line, "application/geo+json")).run()
    at.button(key="zones_line_save").click().run()
    assert not at.exception and not at.error, [i.value for i in at.info]
    with psycopg.connect(fresh_store.url) as conn:
        stored = conn.execute("select seq, name from scenario_edits order by seq").fetchall()
        kept = conn.execute(
            "select content from files where sha256 = %s", (hashlib.sha256(line).hexdigest(),)
        ).fetchone()
    assert stored == [(1, "000001-zone-PS-9.geojson"), (2, "000002-line_version-v3.geojson")]
    assert kept is not None and bytes(kept[0]) == line, "the uploaded line file is kept whole"
    # Another app server on the same database, with a work folder of its own, shows both.
    other = app_on(fresh_store, ZONES_PAGE, server="other")
    assert not other.exception and not other.error
    assert other.session_state["zones_map_layers"]["zones"] == len(load_scenario(SCENARIO_DIR).zones) + 1
    assert other.selectbox(key="zones_version").value == "v3"
    assert [e.label for e in edits_of(fresh_store).edits()] == ["PS-9", "v3"]
