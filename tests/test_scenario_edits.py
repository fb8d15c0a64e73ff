"""User-made line versions and zones: stored beside the store, versioned, validated, and in the analysis."""

from __future__ import annotations

import hashlib
import json

import pytest
import shapely
from shapely.geometry import mapping

from geo.audit import acting_as
from geo.demo import SHIFT_M
from geo.errors import InputError
from geo.ingest import read_batch
from geo.pipeline import analyse_store, context_key
from geo.scenario import load_scenario
from geo.scenario.edits import LINE, ZONE, ZONE_REMOVED, ScenarioEdits, edits_root
from geo.scenario.line_change import line_change
from geo.settings import SCENARIO_DIR, Settings, load_settings
from geo.store import open_store


def _digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*"))}


@pytest.fixture
def edits(tmp_path) -> ScenarioEdits:
    return ScenarioEdits(edits_root(tmp_path / "store.gpkg"), SCENARIO_DIR, settings=Settings())


@pytest.fixture(scope="module")
def base():
    return load_scenario(SCENARIO_DIR)


def _line_file(base, *, source: str, version: str, valid_from: str, sides=("UA", "RU"), swap=False) -> bytes:
    """A line file made of an existing version's line and control areas, under a new label."""
    line = base.lines.loc[base.lines["version"] == source].geometry.iloc[0]
    areas = base.control_areas.loc[base.control_areas["version"] == source].set_index("side").geometry
    if swap:
        line = shapely.transform(line, lambda xy: xy[:, ::-1])
    features = [
        {
            "type": "Feature",
            "geometry": mapping(line),
            "properties": {"version": version, "valid_from": valid_from},
        }
    ] + [{"type": "Feature", "geometry": mapping(areas[s]), "properties": {"side": s}} for s in sides]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def test_a_new_line_version_comes_into_force_and_the_committed_files_stay(edits, base):
    before = _digest(SCENARIO_DIR)
    assert edits.scenario_dir() == SCENARIO_DIR, "no edits: the committed scenario is in force"
    data = _line_file(base, source="v1", version="v3", valid_from="2026-11-01T00:00:00+02:00")
    with acting_as("desk"):
        edit = edits.add_line_version(data, filename="v3.geojson", note="back to v1")
    assert edit.kind == LINE and edit.label == "v3" and edit.seq == 1
    now = edits.scenario()
    assert now.version_at("2026-11-02T00:00:00Z") == "v3"
    assert now.version_at("2026-10-20T00:00:00Z") == "v2"
    assert set(now.control_areas.loc[now.control_areas["version"] == "v3", "side"]) == {"UA", "RU"}
    assert (edits.root / "files" / hashlib.sha256(data).hexdigest()).read_bytes() == data
    assert _digest(SCENARIO_DIR) == before
    history = edits.history()
    assert history.loc[0, "author"] == "desk" and history.loc[0, "label"] == "v3"
    # v2 moved part of the line by up to SHIFT_M towards Ukrainian-held ground; v3 (= v1) moves it back.
    forth, back = line_change(now, "v1", "v2"), line_change(now, "v2", "v3")
    ua, ru = (forth.gained.set_index("side")["area_km2"][s] for s in ("UA", "RU"))
    assert ru > 10 * max(ua, 1e-9)
    assert back.gained.set_index("side")["area_km2"]["UA"] == pytest.approx(ru, rel=0.02)
    assert forth.moved["max_shift_km"].max() == pytest.approx(SHIFT_M / 1000, rel=0.05)
    assert back.moved["max_shift_km"].max() == pytest.approx(SHIFT_M / 1000, rel=0.05)
    assert len(forth.moved) == len(back.moved) == 1, "one sector moved, and back"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source": "v1", "version": "v2", "valid_from": "2026-11-01"}, "exists already"),
        ({"source": "v1", "version": "v3", "valid_from": "2026-10-15T00:00:00Z"}, "already starts at"),
        (
            {"source": "v1", "version": "v3", "valid_from": "2026-11-01", "sides": ("UA",)},
            "no control area for RU",
        ),
        ({"source": "v1", "version": "v3", "valid_from": "soon"}, "'soon' is not an ISO 8601"),
        ({"source": "v1", "version": "v 3", "valid_from": "2026-11-01"}, "not a usable label"),
        ({"source": "v1", "version": "v3", "valid_from": "2026-11-01", "swap": True}, "outside the theatre"),
    ],
)
def test_a_bad_line_file_is_refused_and_nothing_is_stored(edits, base, kwargs, message):
    with pytest.raises(InputError) as caught:
        edits.add_line_version(_line_file(base, **kwargs), filename="new.geojson")
    assert message in caught.value.message and caught.value.hint
    assert edits.edits() == [] and edits.scenario_dir() == SCENARIO_DIR


def test_control_areas_that_overlap_are_refused(edits, base):
    doc = json.loads(_line_file(base, source="v1", version="v3", valid_from="2026-11-01"))
    doc["features"][2]["geometry"] = doc["features"][1]["geometry"]
    with pytest.raises(InputError, match="control areas overlap"):
        edits.add_line_version(json.dumps(doc).encode(), filename="overlap.geojson")
    with pytest.raises(InputError, match="not valid JSON"):
        edits.add_line_version(b"{", filename="broken.geojson")


def _square(lon: float, lat: float, half: float = 0.02) -> dict:
    return mapping(shapely.box(lon - half, lat - half, lon + half, lat + half))


def test_zones_are_drawn_revised_and_removed_with_their_history(edits):
    edits.save_zone(_square(37.6, 48.1), zone_id="PS-9", kind="protected_site", name="School")
    edits.save_zone(_square(37.7, 48.2), zone_id="PS-9", kind="protected_site", name="School", replace=True)
    zones = edits.scenario().zones.set_index("zone_id")
    assert shapely.equals(zones.loc["PS-9"].geometry, shapely.geometry.shape(_square(37.7, 48.2)))
    assert list(edits.scenario().zones["zone_id"]).count("PS-9") == 1
    base_ids = set(load_scenario(SCENARIO_DIR).zones["zone_id"])
    edits.remove_zone("SZ-1", note="superseded")
    assert set(edits.scenario().zones["zone_id"]) == base_ids - {"SZ-1"} | {"PS-9"}
    assert edits.history()["kind"].tolist() == [ZONE, ZONE, ZONE_REMOVED]
    states = sorted(p.name for p in (edits.root / "current").iterdir())
    assert len(states) == 2 and edits.scenario_dir().name in states, "the state in force and the one before"
    assert "SZ-1" in set(load_scenario(SCENARIO_DIR).zones["zone_id"]), "the committed file is untouched"


@pytest.mark.parametrize(
    ("geometry", "kwargs", "message"),
    [
        ({"type": "Point", "coordinates": [37.6, 48.1]}, {}, "needs a polygon, not 'Point'"),
        (
            {"type": "Polygon", "coordinates": [[[37, 48], [38, 49], [38, 48], [37, 49], [37, 48]]]},
            {},
            "not a valid polygon",
        ),
        (_square(48.1, 37.6), {}, "coordinates look swapped"),
        (_square(37.6, 48.1), {"kind": "no_fly"}, "kind 'no_fly' is not known"),
        (_square(37.6, 48.1), {"zone_id": "SZ-1"}, "Zone SZ-1 exists already"),
        (_square(37.6, 48.1), {"zone_id": "XX-1", "replace": True}, "no zone XX-1 in force"),
        (_square(37.6, 48.1), {"name": " "}, "has no name"),
    ],
)
def test_a_bad_zone_is_refused_and_nothing_is_stored(edits, geometry, kwargs, message):
    args = {"zone_id": "PS-9", "kind": "protected_site", "name": "School"} | kwargs
    with pytest.raises(InputError) as caught:
        edits.save_zone(geometry, **args)
    assert message in str(caught.value) and caught.value.hint
    assert edits.edits() == []


def test_a_new_zone_changes_the_analysis_key_and_reaches_the_reports(tmp_path, small_store_batch):
    settings = load_settings(environ={})
    store = open_store(tmp_path / "store.gpkg")
    store.add_batch(read_batch(small_store_batch, filename="b.geojson"), original=small_store_batch)
    edits = ScenarioEdits(edits_root(store.path), SCENARIO_DIR, settings=Settings())
    key = context_key(edits.scenario_dir(), settings.agreement_path)
    before = analyse_store(store, scenario_dir=edits.scenario_dir(), agreement_path=settings.agreement_path)
    assert not any("PS-9" in z for z in before.reports["zones"])
    edits.save_zone(_square(37.6, 48.1), zone_id="PS-9", kind="protected_site", name="School")
    assert context_key(edits.scenario_dir(), settings.agreement_path) != key
    after = analyse_store(store, scenario_dir=edits.scenario_dir(), agreement_path=settings.agreement_path)
    inside = after.reports.geometry.within(shapely.geometry.shape(_square(37.6, 48.1)))
    assert inside.any() and not inside.all()
    assert [("PS-9" in z) for z in after.reports["zones"]] == inside.tolist()


def test_a_clash_with_an_edit_stored_meanwhile_withdraws_the_later_one(edits, base, monkeypatch):
    data = _line_file(base, source="v1", version="v3", valid_from="2026-11-01")
    edits.add_line_version(data, filename="first.geojson")
    # The second session read the scenario and checked its edit before the first one's file existed.
    monkeypatch.setattr(edits, "scenario", lambda: base)
    real, calls = edits._check, []

    def check_before_the_first_was_stored(candidate=None, **kw):
        calls.append(candidate)
        return None if len(calls) == 1 else real(candidate, **kw)

    monkeypatch.setattr(edits, "_check", check_before_the_first_was_stored)
    with pytest.raises(InputError, match="version 'v3' twice"):
        edits.add_line_version(
            _line_file(base, source="v2", version="v3", valid_from="2026-11-02"), filename="b"
        )
    assert [e.label for e in edits.edits()] == ["v3"]
    assert load_scenario(edits.scenario_dir()).version_at("2026-11-03") == "v3", "the first one stands"


def test_a_save_cut_off_while_writing_leaves_the_history_whole(edits, monkeypatch):
    import geo.scenario.edits as module

    edits.save_zone(_square(37.6, 48.1), zone_id="PS-9", kind="protected_site", name="School")
    before = _digest(edits.root / "history")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(module.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        edits.save_zone(_square(37.8, 48.3), zone_id="PS-10", kind="protected_site", name="Clinic")
    monkeypatch.undo()
    # Nothing half-written, nothing left behind: the scenario loads with the first zone only.
    assert _digest(edits.root / "history") == before
    zones = set(edits.scenario().zones["zone_id"])
    assert "PS-9" in zones and "PS-10" not in zones


@pytest.mark.parametrize(
    ("line", "valid_from", "message"),
    [
        (
            {"type": "LineString", "coordinates": [["a", "b"], ["c", "d"]]},
            "2026-11-01",
            "cannot be read as a geometry",
        ),
        ({"type": "LineString", "coordinates": [[37.5, 48.0]]}, "2026-11-01", "cannot be read as a geometry"),
        (
            {"type": "LineString", "coordinates": [[37.0, 48.0], [38.0, 49.0], [38.0, 48.0], [37.0, 49.0]]},
            "2026-11-01",
            "the line crosses itself",
        ),
        (
            {"type": "LineString", "coordinates": [[37.5, 48.0], [37.6, 48.5]]},
            "0001-01-01",
            "outside the dates",
        ),
    ],
    ids=["string-coordinates", "one-point", "self-crossing", "year-1"],
)
def test_a_malformed_line_upload_is_one_clear_refusal(edits, base, line, valid_from, message):
    doc = json.loads(_line_file(base, source="v2", version="v9", valid_from=valid_from))
    doc["features"][0]["geometry"] = line
    with pytest.raises(InputError) as caught:
        edits.add_line_version(json.dumps(doc).encode(), filename="new.geojson")
    assert message in caught.value.message and "\n" not in caught.value.message and caught.value.hint
    assert edits.edits() == [] and edits.scenario_dir() == SCENARIO_DIR


def test_a_line_upload_of_deeply_nested_json_is_refused(edits):
    with pytest.raises(InputError, match="is not valid JSON"):
        edits.add_line_version(b"[" * 100_000 + b"]" * 100_000, filename="deep.geojson")
