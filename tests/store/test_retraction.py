"""Retraction hides, never deletes (issue 15): the analysis after each retraction and restoration is a
from-scratch analysis of the visible reports, reports a later batch also carried stay until both
batches are retracted, and every write leaves its audit entry, on both stores."""

from __future__ import annotations

import json

import pytest

from geo.audit import acting_as
from geo.audit.digest import reports_digest
from geo.audit.log import AuditLog, verify
from geo.demo import DEMO_DIR
from geo.errors import StoreError
from geo.incremental import differences
from geo.ingest import read_batch
from geo.pipeline import analyse
from geo.refresh import forget, refresh_store
from geo.settings import load_settings

SETTINGS = load_settings(environ={})
KW = {"scenario_dir": SETTINGS.scenario_dir, "agreement_path": SETTINGS.agreement_path}
FIRST = DEMO_DIR / "incidents_monitors_2026-10-01.geojson"
OTHER = DEMO_DIR / "incidents_media_2026-10-01.geojson"
NEXT = DEMO_DIR / "incidents_monitors_2026-10-08.geojson"
CARRIED = 40  # the first file's last reports, sent again in the later one


def _add(store, data: bytes, name: str):
    return store.add_batch(read_batch(data, filename=name), original=data)


def _later_file() -> tuple[bytes, set[str]]:
    """The next week's monitors file with the first week's last CARRIED reports in it again (a desk
    resending what it sent before), and the uids of those."""
    first, later = json.loads(FIRST.read_bytes()), json.loads(NEXT.read_bytes())
    again = first["features"][-CARRIED:]
    later["features"] = again + later["features"]
    uids = {f"{f['properties']['source']}/{f['properties']['id']}" for f in again}
    return json.dumps(later).encode(), uids


def _refreshed(store, mode: str):
    """The store's analysis brought up to date, checked against a from-scratch one of what it shows."""
    result, done = refresh_store(store, **KW)
    assert done.mode == mode
    assert differences(result, analyse(store.incidents(), **KW)) == []
    return result


@pytest.mark.parametrize("store_kind", ["gpkg", "postgis"])
def test_the_analysis_after_retractions_and_restorations_is_made_from_scratch_of_what_is_shown(
    new_store, store_kind
):
    store = new_store(store_kind)
    first = _add(store, FIRST.read_bytes(), FIRST.name)
    _add(store, OTHER.read_bytes(), OTHER.name)
    data, carried = _later_file()
    later = _add(store, data, "monitors_resent.geojson")
    assert later.duplicates == CARRIED and set(later.duplicate_uids) == carried
    own = set(store.incidents(batches=[first.batch_id])["uid"])
    assert carried <= own
    _refreshed(store, "from scratch")
    try:
        with acting_as("ana (admin)"):
            # The reports the later batch carried stay on the map and in the analysis.
            assert store.retract_batch(first.batch_id, reason="wrong week") == len(own) - CARRIED
            made = _refreshed(store, "incremental")
            assert carried <= set(made.reports["uid"]) and not (own - carried) & set(made.reports["uid"])
            # Gone when both are retracted ...
            store.retract_batch(later.batch_id, reason="wrong week too")
            made = _refreshed(store, "incremental")
            assert not own & set(made.reports["uid"])
        with acting_as("bo (admin)"):
            # ... back when one is restored: the earlier one with all its reports.
            assert store.restore_batch(first.batch_id, reason="the week was right") == len(own)
            made = _refreshed(store, "incremental")
            assert own <= set(made.reports["uid"])
            store.restore_batch(later.batch_id, reason="the week was right")
            made = _refreshed(store, "incremental")
            assert len(made.reports) == store.count() == len(store.incidents(hidden=True))
    finally:
        forget(store)

    # Every write has its entry: who, what, why, and the digest of the batch's stored reports.
    entries = AuditLog(store).all()
    assert [e.action for e in entries] == ["ingest"] * 3 + ["retract"] * 2 + ["restore"] * 2
    retract = entries[3]
    assert retract.who == "ana (admin)" and retract.what["batch_id"] == first.batch_id
    assert retract.what["reason"] == "wrong week" and retract.what["hidden"] == len(own) - CARRIED
    assert (
        retract.hashes
        == entries[0].hashes
        == {
            "file": first.sha256,
            "reports": reports_digest(store.incidents(batches=[first.batch_id], hidden=True)),
        }
    )
    assert entries[5].who == "bo (admin)" and entries[5].what["reason"] == "the week was right"
    assert entries[2].what["carried"] == CARRIED and entries[2].what["duplicates"] == CARRIED
    assert verify(store) == []


@pytest.mark.parametrize("store_kind", ["gpkg", "postgis"])
def test_a_refused_retraction_or_restoration_leaves_no_entry(store, kit):
    receipt = kit.put(store, [kit.report(i) for i in range(3)])
    for attempt in (
        lambda: store.retract_batch(receipt.batch_id, reason=""),
        lambda: store.retract_batch("b404", reason="gone"),
        lambda: store.restore_batch(receipt.batch_id, reason="not retracted"),
    ):
        with pytest.raises(StoreError):
            attempt()
    assert [e.action for e in AuditLog(store).all()] == ["ingest"]
    assert verify(store) == []


def test_a_failed_restoration_changes_nothing_and_leaves_no_entry(new_store, kit, monkeypatch):
    import sqlite3

    from geo.store.gpkg import GeoPackageStore

    store = new_store("gpkg")
    receipt = kit.put(store, [kit.report(i) for i in range(3)])
    store.retract_batch(receipt.batch_id, reason="checking")
    before = (store.revision(), store.batches().to_json(date_format="iso"), len(AuditLog(store).all()))

    def fail(con):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(GeoPackageStore, "_moved", staticmethod(fail))
    with pytest.raises(StoreError, match=f"Restoring batch {receipt.batch_id} failed.*nothing was changed"):
        store.restore_batch(receipt.batch_id, reason="checked")
    assert (
        store.revision(),
        store.batches().to_json(date_format="iso"),
        len(AuditLog(store).all()),
    ) == before
    assert store.count() == 0
