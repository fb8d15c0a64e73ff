"""Scenario edits in the audit log (issue 15): a line version, a zone, a zone draft and its settling
each append an entry naming who, what and the SHA-256 of the edit's document (and of an uploaded line
file); an edit whose entry cannot be recorded is withdrawn. On both stores, through
geo.context.scenario_edits as the app and the CLI open them."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import closing

import psycopg
import pytest
import shapely
from shapely.geometry import mapping

from geo.audit import acting_as
from geo.audit.log import AuditLog, verify
from geo.context import scenario_edits
from geo.errors import StoreError
from geo.scenario import load_scenario
from geo.scenario.edits import LINE, ZONE, ZONE_DRAFT, ZONE_REMOVED
from geo.settings import SCENARIO_DIR, Settings
from geo.store.postgis import PostGISStore


def _edits_of(store):
    """The store's edits as geo.context.scenario_edits gives them to an app server."""
    if isinstance(store, PostGISStore):
        settings = Settings(store_url=store.url, store_path=store.path / "store.gpkg")
        return scenario_edits(settings, store_path=store.url)
    return scenario_edits(Settings(), store_path=store.path)


def _square(lon: float, lat: float, half: float = 0.02) -> dict:
    return mapping(shapely.box(lon - half, lat - half, lon + half, lat + half))


def _line_file(version: str, valid_from: str) -> bytes:
    """Version v1's line and control areas under a new label: a real line file, as the desk uploads."""
    base = load_scenario(SCENARIO_DIR)
    line = base.lines.loc[base.lines["version"] == "v1"].geometry.iloc[0]
    areas = base.control_areas.loc[base.control_areas["version"] == "v1"].set_index("side").geometry
    features = [
        {
            "type": "Feature",
            "geometry": mapping(line),
            "properties": {"version": version, "valid_from": valid_from},
        }
    ] + [{"type": "Feature", "geometry": mapping(areas[s]), "properties": {"side": s}} for s in ("UA", "RU")]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def test_every_edit_is_an_entry_with_its_author_and_the_hash_of_its_document(store_kind, new_store):
    store = new_store()
    edits = _edits_of(store)
    line = _line_file("v9", "2026-11-20T00:00:00+00:00")
    with acting_as("desk (admin)"):
        edits.add_line_version(line, filename="v9.geojson", note="surveyed 19 Nov")
        edits.save_zone(_square(37.6, 48.1), zone_id="PS-9", kind="protected_site", name="School")
    with acting_as("ana (analyst)"):
        drafted = edits.save_zone_draft(
            _square(37.7, 48.2), zone_id="PS-10", kind="protected_site", name="Clinic"
        )
        edits.remove_zone_draft("PS-9", note="school closed")
    with acting_as("desk (admin)"):
        edits.publish_draft(drafted.seq, note="checked")
        edits.discard_draft(drafted.seq + 1, note="still open")

    entries = [e for e in AuditLog(store).all() if e.action in ("line_version", "zone")]
    assert [(e.who, e.action, e.what["kind"], e.what["label"]) for e in entries] == [
        ("desk (admin)", "line_version", LINE, "v9"),
        ("desk (admin)", "zone", ZONE, "PS-9"),
        ("ana (analyst)", "zone", ZONE_DRAFT, "PS-10"),
        ("ana (analyst)", "zone", ZONE_DRAFT, "PS-9"),
        ("desk (admin)", "zone", ZONE, "PS-10"),
        ("desk (admin)", "zone", "zone_draft_discarded", "PS-9"),
    ]
    assert entries[0].what["filename"] == "v9.geojson" and entries[0].what["note"] == "surveyed 19 Nov"
    assert entries[0].hashes["file"] == hashlib.sha256(line).hexdigest()
    assert entries[3].what["proposes"] == ZONE_REMOVED
    assert entries[4].what["draft"] == drafted.seq and entries[4].what["drafted_by"] == "ana (analyst)"
    # Each entry's edit hash is that of the document kept in the history (the database's, on PostGIS).
    by_seq = {e.seq: e for e in edits.edits()}
    for entry in entries:
        kept = by_seq[entry.what["seq"]].path.read_bytes()
        assert entry.hashes["edit"] == hashlib.sha256(kept).hexdigest()
    assert verify(store, data=False) == []


def _refuse_entries(store) -> None:
    """Make the store's database refuse any new audit entry, behind the program's back."""
    if isinstance(store, PostGISStore):
        with psycopg.connect(store.url, autocommit=True) as conn:
            conn.execute(
                "create function refuse() returns trigger language plpgsql as "
                "$$ begin raise exception 'no more entries'; end $$"
            )
            conn.execute("create trigger refuse before insert on audit_log execute function refuse()")
        return
    with closing(sqlite3.connect(store.path)) as con:
        con.execute(
            "CREATE TABLE IF NOT EXISTS audit_log (seq INTEGER PRIMARY KEY, entry TEXT NOT NULL, leaf TEXT NOT NULL)"
        )
        con.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'no more entries'); END"
        )
        con.commit()


def test_an_edit_that_cannot_be_recorded_is_withdrawn(store_kind, new_store):
    store = new_store()
    edits = _edits_of(store)
    _refuse_entries(store)
    with pytest.raises(StoreError, match="audit log") as err, acting_as("desk (admin)"):
        edits.save_zone(_square(37.6, 48.1), zone_id="PS-9", kind="protected_site", name="School")
    assert err.value.hint
    assert edits.edits() == [] and "PS-9" not in edits.zone_ids()
    assert _edits_of(store).edits() == [], "another server sees no edit either"
