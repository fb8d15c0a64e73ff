"""One transaction per write: a failure at any point leaves the store as it was."""

from __future__ import annotations

import sqlite3

import pytest

from geo.errors import StoreError
from geo.store.gpkg import GeoPackageStore


@pytest.fixture
def store_kind() -> str:
    """The GeoPackage store only: this module tests its own files (tests/store/test_postgis_store.py
    tests the PostGIS store's database)."""
    return "gpkg"


def snapshot(store):
    """Everything a failed write must not change: the file's bytes, its rows, and the folders beside it."""
    with sqlite3.connect(store.path) as con:
        dump = "\n".join(con.iterdump())
    folder = store.path.parent
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p != store.path)
    return (
        store.path.read_bytes(),
        dump,
        store.revision(),
        store.count(),
        store.batches().to_json(date_format="iso"),
        files,
    )


def test_a_failure_after_the_reports_were_inserted_changes_nothing(store, kit, monkeypatch):
    kit.put(store, [kit.report(i) for i in range(3)])
    before = snapshot(store)
    seen = {}
    real = GeoPackageStore._insert_reports

    def insert_then_count(con, frame):
        real(con, frame)
        seen["rows inside the transaction"] = con.execute("SELECT count(*) FROM incidents").fetchone()[0]

    def fail(con, added=None):
        raise RuntimeError("disk unplugged")

    monkeypatch.setattr(GeoPackageStore, "_insert_reports", staticmethod(insert_then_count))
    # The last step inside the transaction, after the original and the report of the rejected
    # feature were written beside the store: they must go too.
    monkeypatch.setattr(GeoPackageStore, "_touch", staticmethod(fail))
    with pytest.raises(StoreError) as err:
        kit.put(
            store,
            [kit.report(i) for i in range(10, 14)],
            rejected=[kit.report(20, type="x")],
            filename="new.geojson",
        )
    assert str(err.value).startswith(
        "Storing new.geojson failed (RuntimeError: disk unplugged); nothing was changed."
    )
    assert seen["rows inside the transaction"] == 7  # the failure came after the reports were written
    assert snapshot(store) == before
    assert sorted(store.incidents()["id"]) == ["r0", "r1", "r2"]


def test_a_database_error_midway_changes_nothing(store, kit, monkeypatch):
    kit.put(store, [kit.report(i) for i in range(2)])
    before = snapshot(store)

    def clash(con, frame):
        con.execute("INSERT INTO incidents (lon, lat, uid, source, id) VALUES (1, 1, 'x', 'x', 'x')")
        con.execute("INSERT INTO incidents (lon, lat, uid, source, id) VALUES (1, 1, 'x', 'x', 'x')")

    monkeypatch.setattr(GeoPackageStore, "_insert_reports", staticmethod(clash))
    with pytest.raises(
        StoreError, match=r"failed \(IntegrityError: UNIQUE constraint failed.*nothing was changed"
    ):
        kit.put(store, [kit.report(5)], filename="clash.geojson")
    assert snapshot(store) == before


def test_no_batch_row_without_its_file(store, kit, monkeypatch):
    before = snapshot(store)

    def full_disk(self, sha256, original):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(GeoPackageStore, "_keep_file", full_disk)
    with pytest.raises(StoreError, match=r"No space left on device.*nothing was changed") as err:
        kit.put(store, [kit.report(1)])
    assert "disk space" in str(err.value)
    assert snapshot(store) == before and store.batches().empty


def test_a_failed_retraction_keeps_the_reports(store, kit, monkeypatch):
    receipt = kit.put(store, [kit.report(i) for i in range(3)])
    before = snapshot(store)

    def fail(con):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(GeoPackageStore, "_moved", staticmethod(fail))
    with pytest.raises(StoreError, match=f"Retracting batch {receipt.batch_id} failed.*nothing was changed"):
        store.retract_batch(receipt.batch_id, reason="test: withdrawn")
    assert snapshot(store) == before and store.count() == 3
    assert store.batches()[["retracted_at", "retracted_by", "retract_reason"]].isna().all().all()


def test_rejected_features_are_one_compressed_report_not_a_row_each(store, kit):
    rejected = [kit.report(100 + i, type="x", description="d" * 200) for i in range(500)]
    kit.put(store, [kit.report(1)], rejected=rejected, filename="mostly-bad.geojson")
    with sqlite3.connect(store.path) as con:
        assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
    reports = list((store.path.parent / "files").glob("*.rejected.json.gz"))
    assert len(reports) == 1 and reports[0].stat().st_size < 20_000  # 500 features of ~300 bytes each
    q = store.quarantine()
    assert len(q) == 500 and list(q["feature_index"]) == sorted(q["feature_index"])
    batch = store.batches()["batch_id"].iloc[-1]
    assert len(store.quarantine(batch)) == 500
