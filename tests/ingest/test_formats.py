"""Ingest, the file: what cannot be read says what it looks like; GIS formats are read and reprojected."""

from __future__ import annotations

import gzip
import io
import json
import re
import zipfile

import geopandas as gpd
import numpy as np
import pytest

from geo.errors import InputError
from geo.ingest import read_batch, validate_file
from geo.settings import Settings


@pytest.mark.parametrize(
    ("data", "words", "hint"),
    [
        (b"", "upload.json is empty", "FeatureCollection"),
        (b"  \n ", "is blank", "FeatureCollection"),
        (
            b'{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature" "x": 1}]}',
            "Expecting ',' delimiter at line 3, column 22",
            "missing comma",
        ),
        (
            b'{"type": "FeatureCollection", "features": {}}',
            "'features' member is a JSON object, not an array",
            '"features": [',
        ),
        (b'{"type": "FeatureCollection"}', "'features' member is missing", '"features": ['),
        (
            b'{"type": "Topology", "objects": {}, "arcs": []}',
            'TopoJSON ("type": "Topology")',
            "ogr2ogr -f GeoJSON out.geojson upload.json",
        ),
        (
            b'{"geometryType": "esriGeometryPoint", "spatialReference": {"wkid": 4326}, "features": []}',
            "Esri JSON",
            "ogr2ogr -f GeoJSON",
        ),
        (b'{"features": [{"attributes": {"a": 1}, "geometry": {"x": 1, "y": 2}}]}', "Esri JSON", "ogr2ogr"),
        (b'{"features": [{"type": "Feature"}]}', 'no "type": "FeatureCollection"', "Add"),
        (b'{"name": "x", "rows": []}', "JSON object of type None (members: name, rows)", "FeatureCollection"),
        (b"null", "holds a JSON null", "FeatureCollection"),
        (b'"hello"', "holds a JSON string", "FeatureCollection"),
        (b"[1, 2]", "JSON array of numbers", "newline-delimited"),
        (
            b"event_id_cnty,event_date,latitude,longitude\nUKR1,2022-01-01,48,37\n",
            "ACLED export",
            "the schema's field names",
        ),
        (
            b"id;date_start;where_prec;side_a;side_b;latitude\n1;2022-01-01;1;a;b;48\n",
            "UCDP GED export",
            "X_POSSIBLE_NAMES=longitude",
        ),
        (b"lat,lon,what\n48,37,x\n", "looks like CSV (header: 'lat,lon,what')", "ogr2ogr"),
        (b"%PDF-1.7 ...", "is a PDF document", "data behind the report"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Office document", "schema's field names"),
        # mtime=0: the bytes (and so the test's id) the same in every process; with the time in them,
        # two xdist workers collecting in different seconds disagreed and the run stopped.
        (gzip.compress(b"{}", mtime=0), "gzip-compressed", "gunzip"),
        (b"\x00\x00\x27\x0a\x00\x00", ".shp part of a shapefile", "Zip the .shp"),
        (b"<html><body>hi</body></html>", "is XML or HTML", "ogr2ogr"),
        (b"<?xml version='1.0'?><gpx version='1.1'></gpx>", "is GPX", "ogr2ogr"),
        (b"12345", "starts with a number", "GeoJSON"),
    ],
)
def test_unreadable_files_say_what_they_look_like_and_how_to_convert(data, words, hint):
    with pytest.raises(InputError, match=None) as info:
        read_batch(data, filename="upload.json", settings=Settings())
    assert words in info.value.message and "upload.json" in info.value.message
    assert hint in info.value.hint


def test_office_and_odd_zip_files(tmp_path):
    for members, words in (
        ({"[Content_Types].xml": "x", "xl/workbook.xml": "x"}, "Excel"),
        ({"a.txt": "x"}, "without a shapefile or KML inside (it holds a.txt)"),
    ):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for name, text in members.items():
                z.writestr(name, text)
        with pytest.raises(InputError, match=re.escape(words)):
            read_batch(buf.getvalue(), filename="x.zip", settings=Settings())


def test_size_limit_names_the_size_the_limit_and_the_setting(batch, feature):
    data = batch(*[feature(id=str(i)) for i in range(30)])
    with pytest.raises(InputError) as info:
        read_batch(data, filename="big.geojson", settings=Settings(max_upload_mb=0.001))
    assert f"big.geojson is {len(data):,} bytes, over the upload limit of 1,048 bytes" in info.value.message
    assert "CM_MAX_UPLOAD_MB" in info.value.hint


def test_utf8_bom_and_utf16_are_read(batch, feature):
    data = batch(feature(description="Авдіївка"))
    assert read_batch(b"\xef\xbb\xbf" + data, filename="b.geojson", settings=Settings()).ok
    result = read_batch(data.decode().encode("utf-16"), filename="b.geojson", settings=Settings())
    assert result.ok and "UTF-16" in result.notes[0] and result.accepted["description"].item() == "Авдіївка"


def _frame_3857(n=3):
    g = gpd.GeoDataFrame(
        {
            "id": [f"s{i}" for i in range(n)],
            "source": ["GIS"] * n,
            "occurred_at": ["2026-10-05T04:10:00Z"] * n,
            "type": ["impact"] * n,
            "count": [1, 2, 3][:n],
        },
        geometry=gpd.points_from_xy(37.6 + np.arange(n) * 0.01, [48.1] * n),
        crs=4326,
    )
    return g.to_crs(3857)


def _zip_dir(tmp_path, stem):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for p in tmp_path.glob(f"{stem}.*"):
            z.write(p, p.name)
    return buf.getvalue()


def test_zipped_shapefile_in_3857_is_reprojected_and_names_restored(tmp_path):
    # A shapefile cuts 'occurred_at' to 10 characters, as GIS users' files do.
    with pytest.warns(UserWarning, match="truncated"), pytest.warns(RuntimeWarning, match="laundered"):
        _frame_3857().to_file(tmp_path / "inc.shp")
    result = read_batch(_zip_dir(tmp_path, "inc"), filename="inc.zip", settings=Settings())
    assert result.ok, [i.as_text() for i in result.issues]
    assert result.format == "a zipped shapefile"
    assert any("Reprojected from EPSG:3857" in n for n in result.notes)
    assert any("occurred_a -> occurred_at" in n for n in result.notes)
    assert result.accepted.geometry.x.tolist() == pytest.approx([37.6, 37.61, 37.62])
    assert result.accepted["count"].tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("driver", "suffix", "label"), [("GPKG", "gpkg", "a GeoPackage"), ("FlatGeobuf", "fgb", "FlatGeobuf")]
)
def test_geopackage_and_flatgeobuf_in_3857_are_reprojected(tmp_path, driver, suffix, label):
    path = tmp_path / f"inc.{suffix}"
    _frame_3857().to_file(path, driver=driver)
    result = read_batch(path.read_bytes(), filename=path.name, settings=Settings())
    assert result.ok and result.format == label
    assert any("Reprojected from EPSG:3857 to WGS84" in n for n in result.notes)
    assert result.accepted.geometry.y.tolist() == pytest.approx([48.1] * 3)


def test_kml_and_geoparquet_are_read(tmp_path):
    frame = _frame_3857().to_crs(4326)
    frame.to_file(tmp_path / "inc.kml", driver="KML")
    result = read_batch((tmp_path / "inc.kml").read_bytes(), filename="inc.kml", settings=Settings())
    assert result.format == "KML" and len(result.accepted) == 3, [i.as_text() for i in result.issues]
    _frame_3857().to_parquet(tmp_path / "inc.parquet")
    result = read_batch((tmp_path / "inc.parquet").read_bytes(), filename="inc.parquet", settings=Settings())
    assert result.ok and any("Reprojected from EPSG:3857" in n for n in result.notes)


def test_gis_files_are_validated_by_the_same_rules(tmp_path):
    frame = _frame_3857()
    frame["type"] = ["impact", "shelling", "impact"]
    frame.to_file(tmp_path / "inc.gpkg", driver="GPKG")
    result = read_batch((tmp_path / "inc.gpkg").read_bytes(), filename="inc.gpkg", settings=Settings())
    assert [(i.index, i.feature_id, i.field) for i in result.errors] == [(1, "s1", "type")]
    assert len(result.accepted) == 2


def test_a_damaged_geopackage_is_named(tmp_path):
    with pytest.raises(InputError, match="looks like a GeoPackage but could not be read"):
        read_batch(b"SQLite format 3\x00" + b"\x00" * 100, filename="x.gpkg", settings=Settings())


def test_validate_file(tmp_path, batch, feature):
    path = tmp_path / "b.geojson"
    path.write_bytes(batch(feature()))
    result = validate_file(path, settings=Settings())
    assert result.ok and result.filename == "b.geojson" and len(result.sha256) == 64
    with pytest.raises(InputError, match="No file at"):
        validate_file(tmp_path / "missing.geojson")


def test_the_same_bytes_give_the_same_hash(batch, feature):
    data = batch(feature())
    first, second = (read_batch(data, filename=n, settings=Settings()) for n in ("a.geojson", "b.geojson"))
    assert (
        first.sha256 == second.sha256
        and first.sha256 != read_batch(data + b" ", filename="a", settings=Settings()).sha256
    )
    assert json.loads(data)["features"][0]["properties"]["id"] == first.accepted["id"].item()
