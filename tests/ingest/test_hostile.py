"""Hostile and odd input: huge numbers, types that are not strings, times out of range, points out of place.

Each bad feature is rejected (or warned about) on its own, naming the member, the value and the fix;
a good feature beside it is still accepted; nothing is a traceback, nothing is changed silently.
"""

from __future__ import annotations

import json
from dataclasses import replace

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.errors import InputError
from geo.ingest import read_batch
from geo.schema import FIELDS, FIELDS_BY_NAME
from geo.settings import load_settings


def read(data, settings, name="b.geojson"):
    return read_batch(data, filename=name, settings=settings)


def one_bad(result):
    """The single rejected feature's single error, after checking the good one beside it was kept."""
    assert len(result.accepted) == 1 and len(result.rejected) == 1, [i.as_text() for i in result.issues]
    errors = [i for i in result.rejected[0].issues if i.severity == "error"]
    assert len(errors) == 1, [i.as_text() for i in result.issues]
    return errors[0]


# --- 1. Numbers out of range are refused, never wrapped --------------------------------------------


def test_every_numeric_field_has_explicit_bounds():
    for f in FIELDS:
        if f.kind in ("integer", "number"):
            assert f.minimum is not None and f.maximum is not None, f.name
    assert (FIELDS_BY_NAME["count"].minimum, FIELDS_BY_NAME["count"].maximum) == (1, 1_000_000)
    for name in ("casualties_low", "casualties_best", "casualties_high"):
        assert (FIELDS_BY_NAME[name].minimum, FIELDS_BY_NAME[name].maximum) == (0, 1_000_000)
    for name in ("distance_min_m", "distance_max_m", "location_precision_m"):
        assert (FIELDS_BY_NAME[name].minimum, FIELDS_BY_NAME[name].maximum) == (0, 1_000_000)


@pytest.mark.parametrize(
    ("props", "field", "shown", "allowed"),
    [
        ({"count": 1e308}, "count", "count 1e+308 is above the maximum 1,000,000", "1 to 1,000,000"),
        (
            {"count": 10**29},
            "count",
            "count 100000000000000000000000000000 is above the maximum 1,000,000",
            "1 to 1,000,000",
        ),
        ({"count": 10**19}, "count", "count 10000000000000000000 is above the maximum", "1 to 1,000,000"),
        ({"count": 1e20}, "count", "count 1e+20 is above the maximum", "1 to 1,000,000"),
        ({"count": "1e20"}, "count", "count '1e20' is above the maximum", "1 to 1,000,000"),
        (
            {"count": "100000000000000000000000"},
            "count",
            "'100000000000000000000000' is above",
            "1 to 1,000,000",
        ),
        ({"count": 1_000_001}, "count", "count 1000001 is above the maximum 1,000,000", "1 to 1,000,000"),
        ({"casualties_best": 2**63}, "casualties_best", "9223372036854775808 is above", "0 to 1,000,000"),
        (
            {"casualties_low": -1},
            "casualties_low",
            "casualties_low -1 is below the minimum 0",
            "0 to 1,000,000",
        ),
        ({"location_precision_m": 1e308}, "location_precision_m", "1e+308 is above", "0 to 1,000,000"),
        ({"distance_max_m": 2_000_000}, "distance_max_m", "2000000 is above the maximum", "0 to 1,000,000"),
        ({"distance_min_m": -5}, "distance_min_m", "-5 is below the minimum 0", "0 to 1,000,000"),
    ],
)
def test_numbers_out_of_range_reject_only_their_feature(
    feature, batch, settings, props, field, shown, allowed
):
    result = read(batch(feature(id="good", count=18), feature(id="bad", **props)), settings)
    issue = one_bad(result)
    assert (issue.index, issue.feature_id, issue.field) == (1, "bad", field)
    assert shown in issue.problem and f"(allowed: {allowed})" in issue.problem
    assert f"Give {field} >=" in issue.fix
    # What was stored is what was given: the good feature only, its count exact, nothing wrapped.
    assert result.accepted["id"].tolist() == ["good"] and result.accepted["count"].tolist() == [18]


def test_the_bounds_themselves_are_accepted(feature, batch, settings):
    props = {"count": 1_000_000, "casualties_low": 0, "casualties_best": 0, "casualties_high": 1_000_000}
    result = read(batch(feature(**props, distance_max_m=1_000_000, location_precision_m=0)), settings)
    assert result.ok and not result.errors
    row = result.accepted.iloc[0]
    assert (row["count"], row["casualties_high"], row["distance_max_m"]) == (1_000_000, 1_000_000, 1e6)


def test_an_integer_beyond_a_float_is_refused_not_a_traceback(feature, batch, settings):
    # Python's JSON reader keeps 10**400 as an integer; float() of it overflows.
    huge = "1" + "0" * 400
    data = batch(feature(id="good"), feature(id="bad", count=7)).replace(
        b'"count": 7', f'"count": {huge}'.encode()
    )
    issue = one_bad(read(data, settings))
    assert issue.field == "count" and "is above the maximum 1,000,000" in issue.problem
    assert "(401 characters)" in issue.problem and len(issue.problem) < 300


def test_an_integer_of_more_than_4300_digits_is_an_input_error(feature, batch, settings):
    data = batch(feature(count=7)).replace(b'"count": 7', b'"count": ' + b"9" * 5000)
    with pytest.raises(InputError, match="more than 4,300 digits") as info:
        read(data, settings)
    assert "null" in info.value.hint


def test_infinity_as_text_is_not_a_finite_number(feature, batch, settings):
    issue = one_bad(read(batch(feature(id="good"), feature(id="bad", distance_min_m="inf")), settings))
    assert (
        issue.field == "distance_min_m"
        and "'inf' is not a finite number (allowed: 0 to 1,000,000)" in issue.problem
    )


def test_a_coordinate_beyond_a_float_is_named(feature, batch, settings):
    data = batch(feature(id="good"), feature(id="bad", lonlat=(12345, 48.1)))
    data = data.replace(b"[12345, 48.1]", b"[" + b"9" * 400 + b", 48.1]")
    issue = one_bad(read(data, settings))
    assert issue.field == "geometry" and "a number too large for a coordinate" in issue.problem


# --- 2. A 'type' that is not a string is named, never a TypeError -----------------------------------


@pytest.mark.parametrize(
    ("kind", "shown"),
    [({}, "the JSON object {}"), (["Feature"], 'the JSON array ["Feature"]'), (7, "the JSON number 7")],
)
def test_a_feature_whose_type_is_not_a_string(feature, batch, settings, kind, shown):
    bad = feature(id="bad") | {"type": kind}
    issue = one_bad(read(batch(feature(id="good"), bad), settings))
    assert (
        issue.index == 1 and f"The item's 'type' member is {shown}, not the string 'Feature'" in issue.problem
    )
    assert '{"type": "Feature"' in issue.fix


@pytest.mark.parametrize(
    ("kind", "shown"),
    [
        ({}, "the JSON object {}"),
        (["FeatureCollection"], 'the JSON array ["FeatureCollection"]'),
        (1, "the JSON number 1"),
    ],
)
def test_a_top_level_type_that_is_not_a_string_is_an_input_error(feature, settings, kind, shown):
    data = json.dumps({"type": kind, "features": [feature()]}).encode()
    with pytest.raises(InputError) as info:
        read(data, settings)
    assert f'the top-level "type" member is {shown}, not a string' in str(info.value)
    assert '"type": "FeatureCollection"' in info.value.hint


@pytest.mark.parametrize(
    ("geometry", "words"),
    [
        (
            {"type": {}, "coordinates": [37.6, 48.1]},
            "The geometry's 'type' member is the JSON object {}, not the string 'Point'",
        ),
        ({"type": ["Point"], "coordinates": [37.6, 48.1]}, "'type' member is the JSON array [\"Point\"]"),
        ({"type": 1, "coordinates": [37.6, 48.1]}, "'type' member is the JSON number 1"),
        ({"coordinates": [37.6, 48.1]}, "The geometry has no 'type' member"),
        (
            {"type": "point", "coordinates": [37.6, 48.1]},
            "type 'point' is not a GeoJSON geometry type (did you mean 'Point'?)",
        ),
        ({"type": "Point", "coordinates": [{}, 48.1]}, "coordinates hold the JSON object {}, not a number"),
        ({"type": "Point", "coordinates": [None, 48.1]}, "coordinates hold the JSON null, not a number"),
    ],
)
def test_a_geometry_type_or_coordinate_of_the_wrong_kind(feature, batch, settings, geometry, words):
    bad = feature(id="bad")
    bad["geometry"] = geometry
    issue = one_bad(read(batch(feature(id="good"), bad), settings))
    assert (issue.feature_id, issue.field) == ("bad", "geometry") and words in issue.problem
    assert '"type": "Point"' in issue.fix


@pytest.mark.parametrize(
    ("crs", "words"),
    [
        (
            {"type": "name", "properties": {"name": {"epsg": 3857}}},
            'names its CRS with the JSON object {"epsg":3857}, not text',
        ),
        ({"type": "name", "properties": {"name": ["EPSG:3857"]}}, "names its CRS with the JSON array"),
        (
            {"type": "EPSG", "properties": {"code": [3857]}},
            "gives the EPSG code as the JSON array [3857], not a number",
        ),
        ({"type": "EPSG", "properties": {"code": True}}, "gives the EPSG code as the JSON boolean true"),
    ],
)
def test_a_crs_member_of_the_wrong_kind_is_an_input_error(feature, batch, settings, crs, words):
    with pytest.raises(InputError) as info:
        read(batch(feature(), crs=crs), settings)
    assert words in str(info.value) and "RFC 7946" in info.value.hint


def test_an_unreadable_crs_member_is_said_not_ignored(feature, batch, settings):
    crs = {"type": "link", "properties": {"href": "crs/epsg4326.proj4", "type": "proj4"}}
    result = read(batch(feature(), crs=crs), settings)
    assert result.ok and len(result.accepted) == 1
    (issue,) = result.warnings
    assert issue.index is None and issue.field == "crs" and "names no CRS this tool reads" in issue.problem


# --- 3. Times outside 1900..2100 reject their feature, not the batch ----------------------------------


@pytest.mark.parametrize(
    ("props", "field", "value"),
    [
        ({"occurred_at": "1600-01-01T00:00:00Z"}, "occurred_at", "'1600-01-01T00:00:00Z'"),
        ({"occurred_at": "2300-01-01T00:00:00Z"}, "occurred_at", "'2300-01-01T00:00:00Z'"),
        ({"occurred_at": "1899-12-31T23:59:59Z"}, "occurred_at", "'1899-12-31T23:59:59Z'"),
        ({"occurred_at": "9999-12-31T23:59:59+03:00"}, "occurred_at", "'9999-12-31T23:59:59+03:00'"),
        ({"occurred_at": "1500-06-01"}, "occurred_at", "'1500-06-01'"),
        (
            {"occurred_at": None, "occurred_from": "0001-01-01T00:00Z", "occurred_to": "2026-01-01T00:00Z"},
            "occurred_from",
            "'0001-01-01T00:00Z'",
        ),
        (
            {"occurred_at": None, "occurred_from": "2026-01-01T00:00Z", "occurred_to": "2262-04-12"},
            "occurred_to",
            "'2262-04-12'",
        ),
    ],
)
def test_a_time_out_of_range_rejects_only_its_feature(feature, batch, settings, props, field, value):
    issue = one_bad(read(batch(feature(id="good"), feature(id="bad", **props)), settings))
    assert (issue.feature_id, issue.field) == ("bad", field)
    assert (
        f"{field} {value} lies outside the supported range of times, 1900-01-01 to 2100-12-31 (UTC)"
        in issue.problem
    )
    assert "Check the year" in issue.fix


def test_the_first_moment_of_1900_is_accepted(feature, batch, settings):
    result = read(
        batch(feature(occurred_at="1900-01-01T00:00:00Z"), feature(id="2", occurred_at="1900-01-01")),
        settings,
    )
    assert len(result.accepted) == 2 and not result.errors
    assert result.accepted["occurred_at"].iloc[0] == pd.Timestamp("1900-01-01T00:00:00Z")


# --- 4. Points outside the theatre, swapped pairs, degrees declared as metres -----------------------


@pytest.mark.parametrize("lonlat", [(0, 0), (-100, 40), (2.35, 48.85)])
def test_a_point_outside_the_theatre_is_kept_with_a_warning(feature, batch, settings, lonlat):
    result = read(batch(feature(id="good"), feature(id="far", lonlat=lonlat)), settings)
    assert result.ok and len(result.accepted) == 2
    (issue,) = result.warnings
    point = f"[{lonlat[0]:g}, {lonlat[1]:g}]"
    assert (issue.feature_id, issue.field) == ("far", "geometry")
    assert (
        f"The point {point} lies outside the theatre (lon 22 to 41, lat 44 to 53; setting theatre_bbox)"
        in issue.problem
    )
    assert "theatre_bbox" in issue.fix and 'outside_theatre = "reject"' in issue.fix
    # Kept where it was given.
    assert result.accepted.geometry.iloc[1].equals(shapely.Point(*lonlat))


def test_zero_zero_is_called_a_missing_location(feature, batch, settings):
    (issue,) = read(batch(feature(lonlat=(0, 0))), settings).warnings
    assert "[0, 0] is where a missing location written as zeros lands" in issue.problem


def test_outside_theatre_reject_refuses_those_points(feature, batch, settings):
    strict = replace(settings, outside_theatre="reject")
    result = read(batch(feature(id="good"), feature(id="far", lonlat=(-100, 40))), strict)
    issue = one_bad(result)
    assert (issue.feature_id, issue.field) == ("far", "geometry")
    assert "The point [-100, 40] lies outside the theatre (lon 22 to 41, lat 44 to 53" in issue.problem
    assert 'outside_theatre = "warn"' in issue.fix


def test_the_outside_theatre_setting_is_read_and_checked(tmp_path):
    assert load_settings(tmp_path / "none.toml", environ={}).outside_theatre == "warn"
    assert (
        load_settings(tmp_path / "none.toml", environ={"CM_OUTSIDE_THEATRE": "reject"}).outside_theatre
        == "reject"
    )
    with pytest.raises(InputError, match="'outside_theatre' is 'maybe'") as info:
        load_settings(tmp_path / "none.toml", environ={"CM_OUTSIDE_THEATRE": "maybe"})
    assert '"warn"' in info.value.hint


def test_a_bad_outside_theatre_given_in_code_is_an_input_error(feature, batch, settings):
    with pytest.raises(InputError, match="outside_theatre"):
        read(batch(feature()), replace(settings, outside_theatre="drop"))


def test_some_swapped_points_get_a_batch_warning_and_are_never_swapped(feature, batch, settings):
    data = batch(
        feature(id="a", lonlat=(37.6, 48.1)),
        feature(id="b", lonlat=(48.1, 37.6)),
        feature(id="c", lonlat=(47.9, 37.2)),
        feature(id="d", lonlat=(-100, 40)),
    )
    result = read(data, settings)
    assert result.ok and len(result.accepted) == 4
    batch_level = [i for i in result.issues if i.index is None]
    assert len(batch_level) == 1 and batch_level[0].severity == "warning"
    assert "2 points look swapped: 48.1, 37.6 -> did you mean 37.6, 48.1?" in batch_level[0].problem
    assert (
        "Nothing was swapped for you" in batch_level[0].problem
        and "[longitude, latitude]" in batch_level[0].fix
    )
    per_feature = {i.feature_id: i.problem for i in result.warnings if i.index is not None}
    assert set(per_feature) == {"b", "c", "d"}
    assert "As [lat, lon], [37.2, 47.9], it would lie inside" in per_feature["c"]
    assert "As [lat, lon]" not in per_feature["d"]
    xy = shapely.get_coordinates(result.accepted.geometry.values).tolist()
    assert xy == [[37.6, 48.1], [48.1, 37.6], [47.9, 37.2], [-100.0, 40.0]]


def test_one_swapped_point_is_named_in_the_singular(feature, batch, settings):
    result = read(batch(feature(id="a"), feature(id="b", lonlat=(48.1, 37.6))), settings)
    (batch_level,) = [i for i in result.issues if i.index is None]
    assert batch_level.problem.startswith("1 point looks swapped: 48.1, 37.6 -> did you mean 37.6, 48.1?")


@pytest.mark.parametrize(
    "crs",
    [
        {"type": "name", "properties": {"name": "EPSG:3857"}},
        {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
        {"type": "EPSG", "properties": {"code": 32637}},
    ],
)
def test_a_projected_crs_on_degrees_is_refused_not_reprojected(feature, batch, settings, crs):
    data = batch(feature(lonlat=(37.62, 48.14)), feature(id="2", lonlat=(37.7, 48.2)), crs=crs)
    with pytest.raises(InputError) as info:
        read(data, settings)
    message = str(info.value)
    assert "declares the projected CRS" in message and "every coordinate lies within ±180, ±90" in message
    assert "the file contradicts itself" in message and "[37.62, 48.14] would become" in message
    assert "nothing was reprojected" in message and "Remove the 'crs' member" in info.value.hint


def test_a_projected_crs_on_metres_is_still_reprojected(feature, batch, settings):
    xy = gpd.GeoSeries.from_xy([37.62], [48.14], crs=4326).to_crs(32637).values
    ((x, y),) = shapely.get_coordinates(xy).tolist()
    crs = {"type": "EPSG", "properties": {"code": 32637}}
    result = read(batch(feature(lonlat=(x, y)), feature(id="2", lonlat=(1e10, 1e10)), crs=crs), settings)
    issue = one_bad(result)
    assert issue.feature_id == "2" and "cannot be reprojected from EPSG:32637" in issue.problem
    geom = result.accepted.geometry.iloc[0]
    assert geom.x == pytest.approx(37.62) and geom.y == pytest.approx(48.14)
