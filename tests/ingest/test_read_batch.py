"""Ingest: every bad case gets a message naming feature, field, problem and fix; good features are kept."""

from __future__ import annotations

import io
import json
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.errors import InputError
from geo.ingest import read_batch, read_layer
from geo.schema import FIELDS
from geo.settings import Settings


def feature(**props):
    lonlat = props.pop("lonlat", [37.62, 48.14])
    base = {"id": "r1", "source": "CVM-OP-07", "occurred_at": "2026-10-05T04:10:00+03:00", "type": "impact"}
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": lonlat},
        "properties": base | props,
    }


def batch(*features, **top):
    return json.dumps({"type": "FeatureCollection", "features": list(features)} | top).encode()


def only_issue(result, *, severity="error"):
    found = [i for i in result.issues if i.severity == severity]
    assert len(found) == 1, [i.as_text() for i in result.issues]
    return found[0]


def test_a_full_report_round_trips_every_field():
    props = {
        "id": "r1",
        "source": "CVM-OP-07",
        "occurred_at": "2026-10-05T04:10:00+03:00",
        "time_precision": "minute",
        "type": "outgoing_fire",
        "count": 18,
        "weapon": "artillery_ge100mm",
        "means": "heard",
        "source_type": "observation_post",
        "reliability": "B",
        "credibility": 2,
        "location_precision_m": 800,
        "observer_lon": 37.5,
        "observer_lat": 48.1,
        "bearing_deg": "SSE",
        "distance_min_m": 3000,
        "distance_max_m": 5000,
        "casualties_low": 0,
        "casualties_best": 1,
        "casualties_high": 2,
        "description": "18 explosions, «Авдіївка» & <b>",
        "patrol_leader": "kept",
    }
    result = read_batch(
        batch(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [37.62, 48.14]},
                "properties": props,
            }
        ),
        filename="b.geojson",
    )
    assert result.ok and not result.issues
    row = result.accepted.iloc[0]
    assert list(result.accepted.columns) == [f.name for f in FIELDS] + ["extra", "uid", "geometry"]
    assert result.accepted.crs.to_epsg() == 4326
    assert row["occurred_at"] == pd.Timestamp("2026-10-05T01:10:00Z")
    assert (
        row["bearing_deg"] == 157.5 and row["bearing_min_deg"] == 146.25 and row["bearing_max_deg"] == 168.75
    )
    assert row["count"] == 18 and row["credibility"] == 2
    assert row["description"] == props["description"]
    assert json.loads(row["extra"]) == {"patrol_leader": "kept"}
    assert row["uid"] == "CVM-OP-07/r1"
    assert (row.geometry.x, row.geometry.y) == (37.62, 48.14)
    assert str(result.accepted["occurred_at"].dtype) == "datetime64[ns, UTC]"


def test_defaults_and_interval_midpoint():
    f = feature(occurred_at=None, occurred_from="2026-10-01T00:00:00Z", occurred_to="2026-10-03T00:00:00Z")
    del f["properties"]["occurred_at"]
    row = read_batch(batch(f), filename="b.geojson").accepted.iloc[0]
    assert row["occurred_at"] == pd.Timestamp("2026-10-02T00:00:00Z")
    assert (row["weapon"], row["reliability"], row["credibility"], row["count"]) == ("unknown", "F", 6, 1)


@pytest.mark.parametrize(
    ("bearing", "lo", "hi", "centre"),
    [("120-150", 120, 150, 135), ("350-20", 350, 20, 5), ("N", 348.75, 11.25, 0), (42, np.nan, np.nan, 42)],
)
def test_bearing_forms(bearing, lo, hi, centre):
    row = read_batch(batch(feature(bearing_deg=bearing)), filename="b.geojson").accepted.iloc[0]
    np.testing.assert_allclose(
        [row["bearing_min_deg"], row["bearing_max_deg"], row["bearing_deg"]], [lo, hi, centre]
    )


@pytest.mark.parametrize(
    ("props", "field", "words"),
    [
        ({"type": "shelling"}, "type", "'shelling' is not a known type"),
        ({"type": "impakt"}, "type", "Did you mean 'impact'"),
        ({"weapon": "artilery_ge100mm"}, "weapon", "Did you mean 'artillery_ge100mm'"),
        ({"reliability": "G"}, "reliability", "'G' is not a known reliability"),
        ({"credibility": 9}, "credibility", "not 1 to 6"),
        ({"count": 0}, "count", "below the minimum 1"),
        ({"count": 2.5}, "count", "not a whole number"),
        ({"occurred_at": "yesterday"}, "occurred_at", "has no time zone"),
        ({"occurred_at": "2026-10-05T04:10:00"}, "occurred_at", "has no time zone"),
        ({"occurred_at": "2026-13-45T04:10:00Z"}, "occurred_at", "not a valid ISO 8601"),
        ({"occurred_at": "2099-01-01T00:00:00Z"}, "occurred_at", "in the future"),
        ({"source": ""}, "source", "required field 'source' is missing"),
        ({"observer_lon": 37.5}, "observer_lon", "Only one of observer_lon and observer_lat"),
        ({"distance_min_m": 5000, "distance_max_m": 3000}, "distance_min_m", "exceeds distance_max_m"),
        ({"casualties_low": 3, "casualties_best": 1}, "casualties_best", "low <= best <= high"),
        ({"bearing_deg": "400-20"}, "bearing_deg", "goes past 360"),
        ({"location_precision_m": "far"}, "location_precision_m", "'far' is not a number"),
    ],
)
def test_bad_values_name_the_field_and_the_fix(props, field, words):
    result = read_batch(batch(feature(**props), feature(id="ok")), filename="b.geojson")
    issue = only_issue(result)
    assert issue.field == field and issue.index == 0 and issue.feature_id == "r1"
    assert words in issue.problem + " " + issue.fix
    assert issue.fix
    assert len(result.accepted) == 1 and result.accepted["id"].item() == "ok"
    assert result.rejected[0].feature["properties"]["id"] == "r1"


def test_lenient_spellings_are_accepted_with_a_warning():
    result = read_batch(
        batch(feature(type="Outgoing fire", reliability="b", count="3")), filename="b.geojson"
    )
    assert result.ok
    assert {w.field for w in result.warnings} == {"type", "reliability", "count"}
    row = result.accepted.iloc[0]
    assert (row["type"], row["reliability"], row["count"]) == ("outgoing_fire", "B", 3)


def test_nan_and_infinity_are_named():
    text = batch(feature(id="a"), feature(id="b")).replace(
        b'"id": "b"', b'"id": "b", "location_precision_m": NaN'
    )
    result = read_batch(text, filename="b.geojson")
    issue = only_issue(result)
    assert issue.feature_id == "b" and "NaN or Infinity" in issue.problem
    text = batch(feature()).replace(b"[37.62, 48.14]", b"[Infinity, 48.14]")
    assert "not a finite number" in only_issue(read_batch(text, filename="b.geojson")).problem


def test_duplicate_ids_in_a_batch_name_the_first():
    result = read_batch(batch(feature(), feature(id="x"), feature()), filename="b.geojson")
    issue = only_issue(result)
    assert issue.index == 2 and "repeats feature 0" in issue.problem
    assert len(result.accepted) == 2


@pytest.mark.parametrize(
    ("geometry", "words"),
    [
        (None, "null or missing"),
        ({"type": "LineString", "coordinates": [[37, 48], [38, 48]]}, "is a LineString"),
        ({"type": "Point", "coordinates": [370.0, 48.0]}, "out of range"),
        ({"type": "Point", "coordinates": [37.0]}, "needs [lon, lat]"),
        ({"type": "Point", "coordinates": ["37", 48]}, "not a finite number"),
    ],
)
def test_bad_geometries(geometry, words):
    f = feature()
    f["geometry"] = geometry
    issue = only_issue(read_batch(batch(f), filename="b.geojson"))
    assert issue.field == "geometry" and words in issue.problem


def test_swapped_coordinates_are_reported_not_fixed():
    result = read_batch(
        batch(feature(lonlat=[48.14, 37.62]), feature(id="2", lonlat=[47.9, 37.2])), filename="b.geojson"
    )
    assert not len(result.accepted)
    file_level = [i for i in result.issues if i.index is None]
    assert file_level and "swapped" in file_level[0].problem and "[longitude, latitude]" in file_level[0].fix


def test_legacy_crs_member_is_reprojected_with_a_note():
    x, y = shapely.get_coordinates(gpd.GeoSeries.from_xy([37.62], [48.14], crs=4326).to_crs(3857).values)[0]
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    result = read_batch(batch(feature(lonlat=[x, y]), crs=crs), filename="b.geojson")
    assert result.ok and any("Reprojected from urn:ogc:def:crs:EPSG::3857" in n for n in result.notes)
    geom = result.accepted.geometry.iloc[0]
    assert geom.x == pytest.approx(37.62) and geom.y == pytest.approx(48.14)


def test_single_feature_ndjson_wrapped_and_3d():
    single = json.dumps(feature(lonlat=[37.62, 48.14, 120.0])).encode()
    result = read_batch(single, filename="one.geojson")
    assert result.ok and result.format == "geojson-feature" and any("Heights" in n for n in result.notes)
    lines = b"\n".join(json.dumps(feature(id=str(i))).encode() for i in range(3))
    assert len(read_batch(lines, filename="b.geojsonl").accepted) == 3
    assert len(read_batch(b"\x1e" + lines.replace(b"\n", b"\n\x1e"), filename="b.json").accepted) == 3
    wrapped = json.dumps({"status": "ok", "data": json.loads(batch(feature()))}).encode()
    result = read_batch(wrapped, filename="api.json")
    assert result.ok and "member 'data'" in result.warnings[0].problem


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "is empty"),
        (b'{"type": "FeatureCollection", "features": [', "not valid JSON"),
        (b'{"type": "Topology", "objects": {}}', "TopoJSON"),
        (b'{"geometryType": "esriGeometryPoint", "features": []}', "Esri JSON"),
        (b"event_id_cnty,event_date,latitude,longitude\nUKR1,2022-01-01,48,37\n", "ACLED"),
        (b"id,date_start,where_prec,side_a,side_b\n1,2022-01-01,1,a,b\n", "UCDP GED"),
        (b"%PDF-1.7 ...", "PDF"),
        (b'{"type": "Point", "coordinates": [37, 48]}', "bare Point"),
        (b'{"type": "FeatureCollection", "features": {}}', "not an array"),
        (b"<html><body>hi</body></html>", "XML or HTML"),
    ],
)
def test_unreadable_files_say_what_they_look_like(data, words):
    with pytest.raises(InputError, match=words) as info:
        read_batch(data, filename="upload.json")
    assert info.value.hint


def test_size_limit_names_the_setting():
    settings = Settings(max_upload_mb=0.0001)
    with pytest.raises(InputError, match="over the upload limit") as info:
        read_batch(batch(feature()), filename="big.geojson", settings=settings)
    assert "CM_MAX_UPLOAD_MB" in info.value.hint


def _frame_3857(n=3):
    g = gpd.GeoDataFrame(
        {
            "id": [f"s{i}" for i in range(n)],
            "source": ["GIS"] * n,
            "occurred_at": ["2026-10-05T04:10:00Z"] * n,
            "type": ["impact"] * n,
        },
        geometry=gpd.points_from_xy(37.6 + np.arange(n) * 0.01, [48.1] * n),
        crs=4326,
    )
    return g.to_crs(3857)


def test_zipped_shapefile_and_geopackage_are_read_and_reprojected(tmp_path):
    frame = _frame_3857()
    # Writing a shapefile cuts 'occurred_at' to 10 characters, as GIS users' files do.
    with pytest.warns(UserWarning, match="truncated"), pytest.warns(RuntimeWarning, match="laundered"):
        frame.to_file(tmp_path / "inc.shp")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for p in tmp_path.glob("inc.*"):
            z.write(p, p.name)
    for data, name in ((buf.getvalue(), "inc.zip"), (None, "inc.gpkg")):
        if data is None:
            frame.to_file(tmp_path / name, driver="GPKG")
            data = (tmp_path / name).read_bytes()
        result = read_batch(data, filename=name)
        assert result.ok, [i.as_text() for i in result.issues]
        assert any("Reprojected from EPSG:3857" in n for n in result.notes)
        assert name.endswith(".gpkg") or any("occurred_a -> occurred_at" in n for n in result.notes)
        assert result.accepted.geometry.x.iloc[1] == pytest.approx(37.61)


def test_polygon_layer_winding_is_accepted_with_a_warning():
    cw = [[[37, 48], [37, 49], [38, 49], [38, 48], [37, 48]]]
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"zone_id": "Z"},
                "geometry": {"type": "Polygon", "coordinates": cw},
            }
        ],
    }
    frame, issues = read_layer(
        json.dumps(doc).encode(), filename="zones.geojson", geometry_types=("Polygon", "MultiPolygon")
    )
    assert frame["zone_id"].item() == "Z"
    assert any("right-hand rule" in i.problem and i.severity == "warning" for i in issues)
    assert shapely.is_ccw(frame.geometry.iloc[0].exterior)
    with pytest.raises(InputError, match="wrong geometry type"):
        read_layer(batch(feature()), filename="z.geojson", geometry_types=("Polygon",))


def test_geojsonhint_bad_files_all_fail_clearly(shared_data):
    for path in sorted((shared_data / "geojson_bad").glob("*.geojson")):
        try:
            result = read_batch(path.read_bytes(), filename=path.name)
        except InputError as exc:
            assert exc.hint, path.name
            continue
        assert result.issues, f"{path.name} raised no issue"
        assert all(i.fix for i in result.issues)


def test_valid_geojson_that_is_not_our_schema_never_crashes(shared_data):
    for path in sorted((shared_data / "geojson_good").glob("*.geojson")):
        try:
            result = read_batch(path.read_bytes(), filename=path.name)
        except InputError as exc:
            assert "not a Feature" in str(exc) or "geometry" in str(exc), path.name
            continue
        assert len(result.rejected) + len(result.accepted) == result.n_features


def test_ucdp_ged_is_rejected_feature_by_feature_and_kept(shared_data):
    path = shared_data / "ucdp_ged" / "ucdp_ged_ukraine_minsk2_2015-02-15_2022-02-23.geojson"
    result = read_batch(path.read_bytes(), filename=path.name)
    assert result.n_features == 1447 and len(result.rejected) == 1447 and not len(result.accepted)
    first = {i.field for i in result.rejected[0].issues}
    assert {"source", "type", "occurred_at"} <= first
    assert result.rejected[0].feature["properties"]["where_description"]
