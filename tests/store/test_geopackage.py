"""The store file is an OGC GeoPackage that GDAL (pyogrio, geopandas, QGIS) reads as it is."""

from __future__ import annotations

import sqlite3
import struct

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geo.errors import StoreError
from geo.store import open_store
from geo.store import sql as store_sql


@pytest.fixture
def store_kind() -> str:
    """The GeoPackage store only: this module tests its own files (tests/store/test_postgis_store.py
    tests the PostGIS store's database)."""
    return "gpkg"


def rows_of(store, query):
    with sqlite3.connect(store.path) as con:
        return con.execute(query).fetchall()


def test_the_required_geopackage_tables_and_header(store, kit):
    rows = [kit.report(i) for i in range(3)]
    kit.put(store, rows)
    assert rows_of(store, "PRAGMA application_id") == [(0x47504B47,)]
    assert rows_of(store, "PRAGMA user_version")[0][0] >= 10200
    srs = dict(
        rows_of(
            store, "SELECT srs_id, organization || ':' || organization_coordsys_id FROM gpkg_spatial_ref_sys"
        )
    )
    assert srs == {-1: "NONE:-1", 0: "NONE:0", 4326: "EPSG:4326"}
    contents = {
        r[0]: r[1:]
        for r in rows_of(
            store, "SELECT table_name, data_type, srs_id, min_x, min_y, max_x, max_y FROM gpkg_contents"
        )
    }
    assert contents["incidents"][:2] == ("features", 4326)
    assert contents["batches"][0] == contents["quarantine"][0] == "attributes"
    lon = [r["lon"] for r in rows]
    assert contents["incidents"][2:] == (min(lon), 48.1, max(lon), 48.1)
    assert rows_of(store, "SELECT * FROM gpkg_geometry_columns") == [
        ("incidents", "geom", "POINT", 4326, 0, 0)
    ]
    assert rows_of(store, "PRAGMA integrity_check") == [("ok",)]
    indexed = {r[0] for r in rows_of(store, "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"incidents_time", "incidents_lonlat"} <= indexed


def test_geometry_is_a_geopackage_blob_of_lon_lat(store, kit):
    rows = [kit.report(0, lon=0.0, lat=0.0), kit.report(1, lon=37.55, lat=48.125)]
    kit.put(store, rows)
    for blob, lon, lat in rows_of(store, "SELECT geom, lon, lat FROM incidents ORDER BY fid"):
        assert blob[:4] == b"GP\x00\x01" and struct.unpack("<i", blob[4:8])[0] == 4326
        point = shapely.from_wkb(blob[8:])
        assert (point.geom_type, point.x, point.y) == ("Point", lon, lat)
    assert [r[1:] for r in rows_of(store, "SELECT fid, lon, lat FROM incidents ORDER BY fid")] == [
        (0.0, 0.0),
        (37.55, 48.125),
    ]


def test_pyogrio_and_geopandas_read_the_incidents_layer(store, kit):
    rows = [kit.report(i, lat=48.1 + i / 1000) for i in range(5)]
    kit.put(store, rows, rejected=[kit.report(9, type="bogus")])
    assert dict(pyogrio.list_layers(store.path))["incidents"] == "Point"
    mine = store.incidents()
    for back in (
        gpd.read_file(store.path, layer="incidents"),
        pyogrio.read_dataframe(store.path, layer="incidents", use_arrow=True),
    ):
        assert back.crs.to_epsg() == 4326 and len(back) == 5
        assert shapely.equals(back.geometry.values, mine.geometry.values).all()
        assert back["uid"].tolist() == mine["uid"].tolist()
        assert back["description"].tolist() == ["Обстріл «Авдіївки»"] * 5
        assert pd.to_datetime(back["occurred_at"], utc=True).tolist() == mine["occurred_at"].tolist()
    info = pyogrio.read_info(store.path, layer="incidents")
    assert info["features"] == 5 and info["geometry_type"] == "Point"
    assert np.allclose(info["total_bounds"], mine.total_bounds)
    batches = pyogrio.read_dataframe(store.path, layer="batches")
    assert batches["batch_id"].tolist() == store.batches()["batch_id"].tolist()


def test_real_ucdp_events_read_back_through_gdal(store, kit, ucdp_rows):
    result, data = kit.make_result(ucdp_rows, filename="ucdp.geojson")
    store.add_batch(result, original=data)
    back = pyogrio.read_dataframe(store.path, layer="incidents", use_arrow=True)
    assert len(back) == len(ucdp_rows)
    assert np.array_equal(
        shapely.get_coordinates(back.geometry.values), [[r["lon"], r["lat"]] for r in ucdp_rows]
    )
    assert back["casualties_best"].tolist() == [r["casualties_best"] for r in ucdp_rows]


def test_a_file_that_is_not_a_store_is_refused(tmp_path):
    other = tmp_path / "roads.gpkg"
    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(30.5, 50.4)], crs=4326)
    pyogrio.write_dataframe(frame, other, layer="roads")
    before = other.read_bytes()
    with pytest.raises(
        StoreError, match=r"roads\.gpkg is a SQLite or GeoPackage file but not a Ceasefire Monitor store"
    ):
        open_store(other)
    assert other.read_bytes() == before
    junk = tmp_path / "notes.gpkg"
    junk.write_text("not a database at all, just some text that is longer than a header " * 10)
    with pytest.raises(StoreError, match=r"notes\.gpkg is not a readable GeoPackage"):
        open_store(junk)


def test_a_store_of_another_layout_is_refused(store):
    with sqlite3.connect(store.path) as con:
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    with pytest.raises(
        StoreError,
        match=f"has layout '1'; this version of the program reads layout '{store_sql.SCHEMA_VERSION}'",
    ) as err:
        open_store(store.path)
    assert "files" in str(err.value)


def test_reopening_keeps_everything(store, kit):
    receipt = kit.put(store, [kit.report(1)])
    again = open_store(store.path)
    assert again.revision() == store.revision() and again.count() == 1
    assert again.batches()["batch_id"].tolist() == [receipt.batch_id]
