"""Ingest, the GeoJSON structure: geometry, properties, ids, NaN, duplicate keys, wrappers and layouts."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

from geo.ingest import read_batch
from geo.settings import Settings


def only(result, severity="error"):
    found = [i for i in result.issues if i.severity == severity]
    assert len(found) == 1, [i.as_text() for i in result.issues]
    return found[0]


@pytest.mark.parametrize(
    ("geometry", "problem"),
    [
        (None, "The geometry is null"),
        ("here", "The geometry is a JSON string, not an object"),
        (
            {"type": "LineString", "coordinates": [[37, 48], [38, 48]]},
            "is a LineString; an incident report is one Point",
        ),
        ({"type": "MultiPoint", "coordinates": [[37, 48], [38, 48]]}, "is a MultiPoint of 2 points"),
        ({"type": "Point"}, "The Point has no 'coordinates' member"),
        ({"type": "Point", "coordinates": [370.0, 48.0]}, "[370, 48] are out of range"),
        ({"type": "Point", "coordinates": [37.0, -91.0]}, "[37, -91] are out of range"),
        ({"type": "Point", "coordinates": [37.0]}, "have 1 value(s); a position needs [lon, lat]"),
        ({"type": "Point", "coordinates": [[37.0, 48.0]]}, "nested arrays"),
        ({"type": "Point", "coordinates": ["37", 48]}, "hold the JSON string '37', not a number"),
        ({"type": "Point", "coordinates": [True, 48]}, "hold the JSON boolean True, not a number"),
        ({"type": "Point", "coordinates": {"lon": 37}}, "coordinates are a JSON object, not an array"),
    ],
)
def test_bad_geometries_name_the_feature(feature, batch, settings, geometry, problem):
    bad = feature(id="g")
    bad["geometry"] = geometry
    result = read_batch(batch(feature(), bad), filename="b.geojson", settings=settings)
    issue = only(result)
    assert (issue.index, issue.feature_id, issue.field) == (1, "g", "geometry")
    assert problem in issue.problem and ("[lon, lat]" in issue.fix or "Point" in issue.fix)
    assert (
        result.accepted["id"].tolist() == ["r1"]
        and result.rejected[0].feature == json.loads(batch(bad))["features"][0]
    )


def test_missing_geometry_member(feature, batch, settings):
    f = feature()
    del f["geometry"]
    assert "The geometry is missing" in only(read_batch(batch(f), filename="b", settings=settings)).problem


def test_a_multipoint_of_one_point_is_a_point_with_a_warning(feature, batch, settings):
    f = feature()
    f["geometry"] = {"type": "MultiPoint", "coordinates": [[37.62, 48.14]]}
    result = read_batch(batch(f), filename="b.geojson", settings=settings)
    assert result.ok and "MultiPoint of one point" in only(result, "warning").problem
    assert result.accepted.geometry.iloc[0].equals(shapely.Point(37.62, 48.14))


def test_heights_are_dropped_with_a_note(feature, batch, settings):
    result = read_batch(
        batch(feature(lonlat=(37.62, 48.14, 120.0)), feature(id="2")), filename="b", settings=settings
    )
    assert result.ok and any("Heights" in n for n in result.notes)
    assert not shapely.has_z(result.accepted.geometry.values).any()


def test_swapped_coordinates_are_reported_not_fixed(feature, batch, settings):
    data = batch(feature(lonlat=(48.14, 37.62)), feature(id="2", lonlat=(47.9, 37.2)))
    result = read_batch(data, filename="b.geojson", settings=settings)
    assert len(result.accepted) == 0 and len(result.rejected) == 2
    file_level = [i for i in result.issues if i.index is None]
    assert (
        len(file_level) == 1
        and "look swapped" in file_level[0].problem
        and "not swapped for you" in file_level[0].problem
    )
    assert "[longitude, latitude]" in file_level[0].fix
    per_feature = result.rejected[1].issues[0]
    assert (
        per_feature.field == "geometry"
        and "[47.9, 37.2] lies outside the theatre; [37.2, 47.9] would lie inside" in per_feature.problem
    )


def test_points_outside_the_theatre_are_not_called_swapped(feature, batch):
    data = batch(feature(lonlat=(48.14, 37.62)), feature(id="2", lonlat=(37.0, 48.0)))
    assert read_batch(data, filename="b", settings=Settings()).ok
    # The swap test is the theatre's: a box elsewhere makes the same points ordinary.
    assert read_batch(
        batch(feature(lonlat=(48.14, 37.62))), filename="b", settings=Settings(theatre_bbox=(40, 30, 50, 40))
    ).ok


def test_legacy_crs_member_is_reprojected_with_a_note(feature, batch, settings):
    x, y = shapely.get_coordinates(gpd.GeoSeries.from_xy([37.62], [48.14], crs=4326).to_crs(3857).values)[0]
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    result = read_batch(batch(feature(lonlat=(x, y)), crs=crs), filename="b.geojson", settings=settings)
    assert result.ok and any("Reprojected from urn:ogc:def:crs:EPSG::3857" in n for n in result.notes)
    geom = result.accepted.geometry.iloc[0]
    assert geom.x == pytest.approx(37.62) and geom.y == pytest.approx(48.14)
    wgs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    result = read_batch(batch(feature(), crs=wgs), filename="b.geojson", settings=settings)
    assert result.ok and result.accepted.geometry.iloc[0].x == 37.62 and "names WGS84" in result.notes[0]


def test_an_unknown_legacy_crs_is_refused(feature, batch, settings):
    from geo.errors import InputError

    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}}
    with pytest.raises(InputError, match="EPSG::999999") as info:
        read_batch(batch(feature(), crs=crs), filename="b.geojson", settings=settings)
    assert "RFC 7946" in info.value.hint


@pytest.mark.parametrize(
    ("props", "words"), [([], "a JSON array"), ("id=1", "a JSON string"), (7, "a JSON number")]
)
def test_properties_that_are_not_an_object(feature, batch, settings, props, words):
    f = feature()
    f["properties"] = props
    result = read_batch(batch(f), filename="b.geojson", settings=settings)
    first = result.rejected[0].issues[0]
    assert (
        first.field == "properties" and f"The 'properties' member is {words}, not an object" in first.problem
    )
    assert '"properties": {' in first.fix


def test_the_features_own_id_stands_in_with_a_warning(feature, batch, settings):
    f = feature(id=None)
    f["id"] = "top-7"
    result = read_batch(batch(f), filename="b.geojson", settings=settings)
    warning = only(result, "warning")
    assert (warning.index, warning.feature_id, warning.field) == (0, "top-7", "id")
    assert (
        "the Feature's own 'id' member was used" in warning.problem
        and result.accepted["id"].item() == "top-7"
    )


def test_a_feature_id_that_is_an_object_is_ignored_with_a_warning(feature, batch, settings):
    f = feature()
    f["id"] = {}
    result = read_batch(batch(f), filename="b.geojson", settings=settings)
    assert result.ok and "own 'id' member is a JSON object" in only(result, "warning").problem


def test_nan_and_infinity_are_named_per_feature(feature, batch, settings):
    text = batch(feature(id="a"), feature(id="b", location_precision_m=1), feature(id="c", casualties_best=2))
    text = text.replace(b'"location_precision_m": 1', b'"location_precision_m": NaN')
    text = text.replace(b'"casualties_best": 2', b'"casualties_best": -Infinity')
    result = read_batch(text, filename="b.geojson", settings=settings)
    assert [(i.index, i.feature_id, i.field) for i in result.errors] == [
        (1, "b", "location_precision_m"),
        (2, "c", "casualties_best"),
    ]
    assert "'properties.location_precision_m' is NaN or Infinity" in result.errors[0].problem
    assert "null" in result.errors[0].fix and result.accepted["id"].tolist() == ["a"]


def test_nan_in_coordinates_and_nested_values(feature, batch, settings):
    text = batch(feature(), feature(id="n", notes={"depth": [1, 2]})).replace(
        b"[37.62, 48.14]", b"[Infinity, 48.14]", 1
    )
    text = text.replace(b"[1, 2]", b"[1, NaN]")
    result = read_batch(text, filename="b.geojson", settings=settings)
    first, second = result.rejected
    assert first.issues[0].field == "geometry" and "NaN or Infinity" in first.issues[0].problem
    assert second.issues[0].field == "notes" and "'properties.notes.depth'" in second.issues[0].problem


def test_duplicate_keys_are_named_per_feature(feature, batch, settings):
    text = batch(feature(), feature(id="d", weapon="mortar"))
    text = text.replace(b'"weapon": "mortar"', b'"weapon": "mortar", "weapon": "tank"')
    result = read_batch(text, filename="b.geojson", settings=settings)
    issue = only(result)
    assert (issue.index, issue.feature_id, issue.field) == (1, "d", "weapon")
    assert "'properties.weapon' is given twice" in issue.problem and "once per object" in issue.fix
    outer = batch(feature()).replace(
        b'"type": "FeatureCollection"', b'"type": "FeatureCollection", "name": "a", "name": "b"'
    )
    result = read_batch(outer, filename="b.geojson", settings=settings)
    assert result.ok and "(name)" in only(result, "warning").problem


def test_the_same_text_inside_a_value_is_not_a_duplicate(feature, batch, settings):
    result = read_batch(
        batch(feature(description='he said "type": "impact"')), filename="b", settings=settings
    )
    assert result.ok and not result.issues


def test_a_wrapped_collection_is_unwrapped_saying_where(feature, batch, settings):
    wrapped = json.dumps({"status": "ok", "result": {"data": json.loads(batch(feature()))}}).encode()
    result = read_batch(wrapped, filename="api.json", settings=settings)
    assert result.ok and "at member 'result.data'" in only(result, "warning").problem


def test_layouts_single_feature_array_and_newline_delimited(feature, settings):
    one = read_batch(json.dumps(feature()).encode(), filename="one.geojson", settings=settings)
    assert one.ok and one.format == "geojson-feature"
    array = read_batch(
        json.dumps([feature(id=str(i)) for i in range(2)]).encode(), filename="a.json", settings=settings
    )
    assert len(array.accepted) == 2 and "JSON array of Features" in only(array, "warning").problem
    lines = b"\n".join(json.dumps(feature(id=str(i))).encode() for i in range(3))
    for data, name in (
        (lines, "b.geojsonl"),
        (lines + b"\n", "b.json"),
        (b"\x1e" + lines.replace(b"\n", b"\n\x1e"), "b.geojsons"),
    ):
        result = read_batch(data, filename=name, settings=settings)
        assert result.format == "geojsonseq" and result.accepted["id"].tolist() == ["0", "1", "2"], name


def test_a_bad_line_of_newline_delimited_geojson_is_named(feature, settings):
    from geo.errors import InputError

    lines = json.dumps(feature()).encode() + b"\n" + b'{"type": "Feature",' + b"\n"
    with pytest.raises(InputError, match=r"record 2, is not valid JSON"):
        read_batch(lines, filename="b.geojsonl", settings=settings)


def test_a_bare_geometry_is_read_as_a_feature_without_properties(settings):
    result = read_batch(
        b'{"type": "Point", "coordinates": [37.6, 48.1]}', filename="p.geojson", settings=settings
    )
    assert "bare Point geometry" in result.issues[0].problem
    assert {i.field for i in result.errors} >= {"id", "source", "type", "occurred_at"}


def test_items_that_are_not_features(feature, batch, settings):
    odd = {"type": "Featre", "geometry": {"type": "Point", "coordinates": [37, 48]}, "properties": {}}
    result = read_batch(
        batch(feature(), odd, 5, {"type": "Point", "coordinates": [1, 2]}), filename="b", settings=settings
    )
    problems = [r.issues[0].problem for r in result.rejected]
    assert "its type is 'Featre' (did you mean 'Feature'?)" in problems[0]
    assert "JSON number: it is not a Feature" in problems[1] and result.rejected[1].feature == {"value": 5}
    assert "bare Point geometry" in problems[2] and len(result.accepted) == 1


def test_unknown_properties_are_kept_and_system_columns_recomputed(feature, batch, settings):
    f = feature(uid="forged", batch_id="b9", extra='{"earlier": 1}', village="Zaitseve", blank=None)
    row = read_batch(batch(f), filename="b.geojson", settings=settings).accepted.iloc[0]
    assert json.loads(row["extra"]) == {"earlier": 1, "village": "Zaitseve"}
    assert row["uid"] == "CVM-OP-07/r1"
