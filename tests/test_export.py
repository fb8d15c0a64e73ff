"""Exports hold exactly the given rows, round-trip through ingest, keep Unicode and defuse spreadsheet formulas."""

from __future__ import annotations

import io
import json

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from geo.errors import InputError
from geo.export import export_incidents
from geo.ingest import read_batch

DESCRIPTIONS = [
    '=HYPERLINK("http://x")',
    "Обстріл Авдіївки",
    "-5",
    "+1 more",
    "@cmd",
    "\tTAB",
    "\rCR",
    "-2+3",
]


def _features():
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [37.5 + i / 100, 48.1 - i / 1000]},
            "properties": {
                "id": f"r{i}",
                "source": "CVM-OP-07",
                "occurred_at": f"2026-10-05T04:10:0{i}.25Z" if i % 2 else "2026-10-05T04:10:00Z",
                "type": "impact",
                "count": 3,
                "bearing_deg": "120-150" if i % 2 else "SSE",
                "description": text,
                "patrol": "П-3",
                "nested": {"crew": [1, 2]},
            }
            | (
                {
                    "occurred_at": None,
                    "occurred_from": "2026-10-04T22:00:00Z",
                    "occurred_to": "2026-10-05T02:00:00Z",
                }
                if i == 2
                else {}
            ),
        }
        for i, text in enumerate(DESCRIPTIONS)
    ]


@pytest.fixture
def frame():
    data = json.dumps({"type": "FeatureCollection", "features": _features()}, ensure_ascii=False).encode()
    result = read_batch(data, filename="x.geojson")
    assert result.ok, [i.as_text() for i in result.issues]
    return result.accepted


def test_geojson_is_rfc7946_and_round_trips_through_ingest(tmp_path, frame):
    path = export_incidents(frame, tmp_path / "out.geojson", format="geojson")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert "crs" not in doc and len(doc["features"]) == len(frame)
    first, second = doc["features"][0], doc["features"][1]
    assert first["geometry"] == {"type": "Point", "coordinates": [37.5, 48.1]}  # lon, lat
    assert first["properties"]["occurred_at"] == "2026-10-05T04:10:00Z"
    assert second["properties"]["occurred_at"] == "2026-10-05T04:10:01.25Z"
    assert first["properties"]["patrol"] == "П-3" and first["properties"]["nested"] == {"crew": [1, 2]}
    assert first["properties"]["uid"] == "CVM-OP-07/r0" and "extra" not in first["properties"]
    back = read_batch(path.read_bytes(), filename="out.geojson")
    assert back.ok, [i.as_text() for i in back.issues]
    pd.testing.assert_frame_equal(back.accepted, frame)


def test_store_frames_round_trip_with_their_batch(new_store, store_kind, frame):
    store = new_store(store_kind)
    data = json.dumps({"type": "FeatureCollection", "features": _features()}).encode()
    receipt = store.add_batch(read_batch(data, filename="x.geojson"), original=data)
    stored = store.incidents()
    doc = json.loads(export_incidents(stored, io.BytesIO(), format="geojson").getvalue())
    assert {f["properties"]["batch_id"] for f in doc["features"]} == {receipt.batch_id}
    back = read_batch(json.dumps(doc).encode(), filename="again.geojson")
    pd.testing.assert_frame_equal(back.accepted, stored.drop(columns="batch_id"))


def test_exactly_the_rows_given_in_their_order(tmp_path, frame):
    some = frame.iloc[[5, 1, 3]]
    doc = json.loads(export_incidents(some, tmp_path / "o.geojson", format="geojson").read_bytes())
    assert [f["properties"]["id"] for f in doc["features"]] == ["r5", "r1", "r3"]
    table = pd.read_csv(export_incidents(some, tmp_path / "o.csv", format="csv"), dtype=str)
    assert table["id"].tolist() == ["r5", "r1", "r3"]
    assert table["lon"].astype(float).tolist() == some.geometry.x.tolist()
    empty = json.loads(
        export_incidents(frame.iloc[:0], tmp_path / "e.geojson", format="geojson").read_bytes()
    )
    assert empty == {"type": "FeatureCollection", "features": []}


def test_csv_keeps_unicode_and_neutralises_formulas(tmp_path, frame):
    frame = frame.assign(zones=[["sz-1", "Зона"]] + [[]] * (len(frame) - 1))
    frame.loc[0, "geometry"] = shapely.Point(-70.25, -33.5)
    frame["=cmd|' /C calc'!A0"] = "x"  # a hostile column name, as an enrichment step could pass on
    path = export_incidents(frame, tmp_path / "out.csv", format="csv")
    text = path.read_bytes().decode("utf-8")
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert table["description"].tolist() == [
        "'=HYPERLINK(\"http://x\")", "Обстріл Авдіївки", "-5", "'+1 more", "'@cmd", "'\tTAB", "'\rCR", "'-2+3",
    ]  # fmt: skip
    assert (table.iloc[0]["lon"], table.iloc[0]["lat"]) == (
        "-70.25",
        "-33.5",
    )  # negative numbers stay numbers
    assert list(table.columns[:4]) == ["lon", "lat", "id", "source"]
    assert {"uid", "extra", "zones", "'=cmd|' /C calc'!A0"} <= set(table.columns)
    assert json.loads(table["zones"].iloc[0]) == ["sz-1", "Зона"]
    assert json.loads(table["extra"].iloc[0]) == {"nested": {"crew": [1, 2]}, "patrol": "П-3"}
    assert table["occurred_at"].iloc[1] == "2026-10-05T04:10:01.25Z" and table["count"].iloc[0] == "3"
    assert len(table) == len(frame)


@pytest.mark.parametrize("fmt", ["gpkg", "kml"])
def test_gis_formats_are_readable(tmp_path, frame, fmt):
    frame = frame.assign(zones=[["sz-1"]] * len(frame))
    path = export_incidents(frame, tmp_path / f"out.{fmt}", format=fmt)
    back = pyogrio.read_dataframe(path)
    assert len(back) == len(frame) and back.crs.to_epsg() == 4326
    assert shapely.equals_exact(back.geometry.values, frame.geometry.values, tolerance=1e-9).all()
    assert back["description"].iloc[1] == "Обстріл Авдіївки" and back["zones"].iloc[0] == '["sz-1"]'
    if fmt == "gpkg":
        result = read_batch(path.read_bytes(), filename=path.name)
        assert result.ok and result.accepted["uid"].tolist() == frame["uid"].tolist()
        # Seconds only: geo.ingest's GIS reader writes layer times as text without the fraction.
        assert (
            result.accepted["occurred_at"].dt.floor("s").tolist()
            == frame["occurred_at"].dt.floor("s").tolist()
        )


def test_buffers_get_the_same_bytes(tmp_path, frame):
    for fmt in ("geojson", "csv"):
        buffer = export_incidents(frame, io.BytesIO(), format=fmt)
        assert buffer.getvalue() == export_incidents(frame, tmp_path / f"x.{fmt}", format=fmt).read_bytes()
    gpkg = export_incidents(frame, io.BytesIO(), format="gpkg").getvalue()
    (tmp_path / "b.gpkg").write_bytes(gpkg)
    assert gpkg[:16] == b"SQLite format 3\x00" and len(pyogrio.read_dataframe(tmp_path / "b.gpkg")) == len(
        frame
    )


def test_real_ucdp_events_export_and_come_back(tmp_path, shared_data):
    raw = (shared_data / "ucdp_ged" / "ucdp_ged_ukraine_minsk2_2015-02-15_2022-02-23.geojson").read_bytes()
    doc = json.loads(raw)
    for f in doc["features"]:
        p = f["properties"]
        f["properties"] = {"id": str(p["id"]), "source": "UCDP GED 22.1", "type": "other",
                           "occurred_from": p["date_start"] + "T00:00:00Z", "occurred_to": p["date_end"] + "T23:59:59Z",
                           "casualties_best": p["best"], "description": p["where_description"], "adm_1": p["adm_1"]}  # fmt: skip
    frame = read_batch(json.dumps(doc).encode(), filename="ucdp.geojson").accepted
    assert len(frame) == len(doc["features"])
    back = read_batch(
        export_incidents(frame, io.BytesIO(), format="geojson").getvalue(), filename="x.geojson"
    )
    pd.testing.assert_frame_equal(back.accepted, frame)


def test_refusals(tmp_path, frame):
    with pytest.raises(InputError, match="Unknown export format 'xls'"):
        export_incidents(frame, tmp_path / "x.xls", format="xls")
    with pytest.raises(InputError, match="not EPSG:4326"):
        export_incidents(frame.to_crs(3857), tmp_path / "x.csv", format="csv")
    with pytest.raises(InputError, match="has no CRS"):
        export_incidents(
            gpd.GeoDataFrame(frame, crs=None).set_crs(None, allow_override=True),
            tmp_path / "x.csv",
            format="csv",
        )
