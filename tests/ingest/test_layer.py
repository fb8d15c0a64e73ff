"""Context layers: geometry type, validity, winding and CRS of user-uploaded lines and polygons."""

from __future__ import annotations

import json

import pytest
import shapely

from geo.errors import InputError
from geo.ingest import read_layer

POLYS = ("Polygon", "MultiPolygon")


def collection(*geometries, crs=None):
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"zone_id": f"Z{i}"}, "geometry": g}
            for i, g in enumerate(geometries)
        ],
    }
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(doc).encode()


def test_a_clockwise_exterior_is_accepted_reoriented_with_a_warning():
    cw = {"type": "Polygon", "coordinates": [[[37, 48], [37, 49], [38, 49], [38, 48], [37, 48]]]}
    frame, issues = read_layer(collection(cw), filename="zones.geojson", geometry_types=POLYS)
    assert frame["zone_id"].tolist() == ["Z0"] and frame.crs.to_epsg() == 4326
    (issue,) = issues
    assert issue.severity == "warning" and issue.index == 0 and "right-hand rule" in issue.problem
    assert shapely.is_ccw(frame.geometry.iloc[0].exterior)


def test_a_counter_clockwise_hole_is_turned_round(shared_data):
    data = (shared_data / "geojson_bad" / "bad-polygon-interiorring-rhr.geojson").read_bytes()
    frame, issues = read_layer(data, filename="rhr.geojson", geometry_types=POLYS)
    assert [i.severity for i in issues] == ["warning", "warning"]
    assert "bare Polygon" in issues[0].problem and "hole counter-clockwise" in issues[1].problem
    assert not shapely.is_ccw(frame.geometry.iloc[0].interiors[0])


def test_an_invalid_polygon_is_repaired_with_a_warning():
    bowtie = {"type": "Polygon", "coordinates": [[[37, 48], [38, 49], [38, 48], [37, 49], [37, 48]]]}
    frame, issues = read_layer(collection(bowtie), filename="z.geojson", geometry_types=POLYS)
    assert any("invalid (Self-intersection" in i.problem and "make_valid" in i.problem for i in issues)
    assert shapely.is_valid(frame.geometry.iloc[0]) and frame.geometry.iloc[0].geom_type == "MultiPolygon"


def test_wrong_types_and_unreadable_geometries_are_left_out_with_errors():
    good = {"type": "Polygon", "coordinates": [[[37, 48], [38, 48], [38, 49], [37, 48]]]}
    point = {"type": "Point", "coordinates": [37, 48]}
    open_ring = {"type": "Polygon", "coordinates": [[[37, 48], [38, 48], [38, 49], [37, 49]]]}
    far = {"type": "Polygon", "coordinates": [[[3700000, 48], [3800000, 48], [3800000, 49], [3700000, 48]]]}
    frame, issues = read_layer(
        collection(good, point, open_ring, None, far), filename="z.geojson", geometry_types=POLYS
    )
    assert frame["zone_id"].tolist() == ["Z0"]
    errors = {i.index: i.problem for i in issues if i.severity == "error"}
    assert "is a Point, not Polygon or MultiPolygon" in errors[1]
    assert "Polygon geometry cannot be read" in errors[2] and "closed" in errors[2]
    assert "The geometry is null" in errors[3] and "out of range for lon/lat" in errors[4]


def test_a_layer_with_nothing_usable_is_refused(shared_data):
    with pytest.raises(
        InputError, match="no usable Polygon or MultiPolygon feature: The Polygon geometry cannot be read"
    ):
        read_layer(
            (shared_data / "geojson_bad" / "short-linearring.geojson").read_bytes(),
            filename="s.geojson",
            geometry_types=POLYS,
        )
    with pytest.raises(InputError, match="is a Point"):
        read_layer(
            collection({"type": "Point", "coordinates": [37, 48]}), filename="p.geojson", geometry_types=POLYS
        )


def test_a_legacy_crs_is_reprojected_and_heights_dropped(shared_data):
    line = {"type": "LineString", "coordinates": [[4187000, 6130000, 10], [4200000, 6140000, 12]]}
    frame, issues = read_layer(
        collection(line, crs="EPSG:3857"), filename="l.geojson", geometry_types=("LineString",)
    )
    x, y = shapely.get_coordinates(frame.geometry.values)[0]
    assert 37 < x < 38 and 48 < y < 49 and not shapely.has_z(frame.geometry.iloc[0])
    said = " ".join(i.problem for i in issues)
    assert "Reprojected from EPSG:3857" in said and "Heights" in said
    data = (shared_data / "geojson_bad" / "excessive_precision_truncated.geojson").read_bytes()
    frame, _ = read_layer(data, filename="x.geojson", geometry_types=("LineString",))
    assert len(shapely.get_coordinates(frame.geometry.values)) == 7
