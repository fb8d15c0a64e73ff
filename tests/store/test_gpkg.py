"""The GeoPackage store: one transaction per batch, idempotent re-upload, quarantine, retraction, real GeoPackage."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from geo.errors import InputError, StoreError
from geo.ingest import read_batch
from geo.store import open_store
from geo.store.gpkg import GeoPackageStore


def feature(i, **props):
    base = {
        "id": f"r{i}",
        "source": "CVM-OP-07",
        "occurred_at": f"2026-10-{1 + i % 28:02d}T04:10:00Z",
        "type": "impact",
        "description": "Обстріл «Авдіївки»",
    }
    lon = 37.5 + 0.01 * i
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, 48.1]},
        "properties": base | props,
    }


def upload(store, features, name="batch.geojson", **kw):
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    return store.add_batch(read_batch(data, filename=name), original=data, **kw), data


@pytest.fixture
def store(tmp_path):
    return open_store(tmp_path / "store" / "store.gpkg")


def state(store):
    with sqlite3.connect(store.path) as con:
        dump = "\n".join(con.iterdump())
    return dump, store.revision(), store.count()


def test_batch_lands_with_provenance(store):
    receipt, data = upload(
        store, [feature(i) for i in range(5)] + [feature(9, type="bogus")], uploader="desk-1"
    )
    assert (receipt.accepted, receipt.rejected, receipt.duplicates, receipt.already_ingested) == (
        5,
        1,
        0,
        False,
    )
    assert receipt.sha256 == hashlib.sha256(data).hexdigest()
    batch = store.batches().iloc[0]
    assert (
        batch["batch_id"] == receipt.batch_id and batch["uploader"] == "desk-1" and batch["n_features"] == 6
    )
    assert store.original_file(receipt.batch_id).read_bytes() == data
    quarantined = store.quarantine(receipt.batch_id)
    assert (
        len(quarantined) == 1 and json.loads(quarantined["feature"].iloc[0])["properties"]["type"] == "bogus"
    )
    assert "bogus" in json.loads(quarantined["issues"].iloc[0])[0]["problem"]
    frame = store.incidents()
    assert len(frame) == 5 and set(frame["batch_id"]) == {receipt.batch_id}
    assert frame["description"].iloc[0] == "Обстріл «Авдіївки»"


def test_same_file_twice_adds_nothing_and_says_so(store):
    first, _ = upload(store, [feature(i) for i in range(3)])
    rev = store.revision()
    again, _ = upload(store, [feature(i) for i in range(3)])
    assert again.already_ingested and again.batch_id == first.batch_id and again.accepted == 0
    assert "already ingested as batch" in again.message
    assert store.revision() == rev and store.count() == 3 and len(store.batches()) == 1


def test_same_reports_in_another_file_are_duplicates(store):
    upload(store, [feature(i) for i in range(3)])
    receipt, _ = upload(store, [feature(i) for i in range(2, 6)], name="later.geojson")
    assert (receipt.accepted, receipt.duplicates) == (3, 1)
    assert receipt.duplicate_uids == ("CVM-OP-07/r2",)
    assert "1 already stored" in receipt.message
    assert store.count() == 6


def test_a_failure_midway_changes_nothing(store, monkeypatch):
    upload(store, [feature(i) for i in range(3)])
    before = state(store)

    def boom(con, frame):
        con.execute("INSERT INTO incidents (lon, lat, uid, source, id) VALUES (1, 1, 'x', 'x', 'x')")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(GeoPackageStore, "_insert_reports", staticmethod(boom))
    with pytest.raises(StoreError, match="nothing was changed"):
        upload(store, [feature(i) for i in range(10, 13)], name="new.geojson")
    assert state(store) == before
    assert len(store.incidents()) == 3


def test_strict_refuses_a_batch_with_any_invalid_feature(store):
    with pytest.raises(StoreError, match="1 of 2 features are invalid"):
        upload(store, [feature(1), feature(2, type="bogus")], strict=True)
    assert store.count() == 0 and store.batches().empty


def test_retract_removes_reports_and_keeps_the_record(store):
    receipt, data = upload(store, [feature(i) for i in range(4)])
    rev = store.revision()
    assert store.retract_batch(receipt.batch_id) == 4
    assert store.count() == 0 and store.incidents().empty and store.revision() > rev
    assert store.batches()["retracted_at"].notna().all()
    assert store.original_file(receipt.batch_id).read_bytes() == data
    with pytest.raises(StoreError, match="already retracted"):
        store.retract_batch(receipt.batch_id)
    with pytest.raises(StoreError, match="no batch 'b999'"):
        store.retract_batch("b999")
    again, _ = upload(store, [feature(i) for i in range(4)])
    assert again.accepted == 4 and not again.already_ingested


def test_queries_by_time_box_and_values(store):
    upload(store, [feature(i, type="impact" if i % 2 else "outgoing_fire") for i in range(20)])
    in_time = store.incidents(start="2026-10-05", end="2026-10-08T23:59Z")
    assert sorted(in_time["id"]) == sorted(f"r{i}" for i in range(4, 8))
    boxed = store.incidents(bbox=(37.5, 48.0, 37.555, 48.2))
    assert sorted(boxed["id"]) == [f"r{i}" for i in range(6)]
    fire = store.incidents(where={"type": ["outgoing_fire"]})
    assert len(fire) == 10 and set(fire["type"]) == {"outgoing_fire"}
    with pytest.raises(StoreError, match="unknown column"):
        store.incidents(where={"colour": ["red"]})
    with pytest.raises(InputError, match="The start 'soon' is not an ISO 8601 date"):
        store.incidents(start="soon")


def test_frame_is_the_normalised_schema(store):
    upload(store, [feature(1, count=18, credibility=2, bearing_deg="SSE")])
    direct = read_batch(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [feature(1, count=18, credibility=2, bearing_deg="SSE")],
            }
        ).encode(),
        filename="x",
    ).accepted
    stored = store.incidents()
    assert stored.crs.to_epsg() == 4326
    pd.testing.assert_frame_equal(
        pd.DataFrame(stored.drop(columns=["batch_id", "geometry"])),
        pd.DataFrame(direct.drop(columns="geometry")),
        check_dtype=False,
    )
    assert str(stored["count"].dtype) == "Int64" and str(stored["occurred_at"].dtype) == "datetime64[ns, UTC]"


def test_columnar_copy_is_rebuilt_when_lost(store):
    receipt, _ = upload(store, [feature(i) for i in range(3)])
    expected = store.incidents()
    (store.path.parent / "columnar" / f"{receipt.batch_id}.parquet").unlink()
    pd.testing.assert_frame_equal(pd.DataFrame(store.incidents()), pd.DataFrame(expected))


def test_the_store_is_a_geopackage_gis_tools_read(store):
    upload(store, [feature(i) for i in range(3)])
    layers = dict(pyogrio.list_layers(store.path))
    assert layers["incidents"] == "Point"
    frame = gpd.read_file(store.path, layer="incidents")
    assert frame.crs.to_epsg() == 4326 and len(frame) == 3
    assert frame.geometry.x.round(6).tolist() == [37.5, 37.51, 37.52]
    assert str(frame["occurred_at"].dtype).startswith("datetime64")
    with sqlite3.connect(store.path) as con:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47


def test_derived_tables_are_kept_per_key(store):
    frame = pd.DataFrame({"a": [1, 2]})
    assert store.load_derived("reports", "k1") is None
    store.save_derived("reports", "k1", frame)
    pd.testing.assert_frame_equal(store.load_derived("reports", "k1"), frame)
    store.save_derived("reports", "k2", frame.assign(a=[3, 4]))
    assert store.load_derived("reports", "k1") is None
    assert store.load_derived("reports", "k2")["a"].tolist() == [3, 4]
