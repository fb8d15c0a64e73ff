"""Ingest on real files: the geojsonhint suite's bad and good GeoJSON, and UCDP GED's Minsk II events."""

from __future__ import annotations

import json

import pytest

from geo.errors import InputError
from geo.ingest import read_batch
from geo.settings import Settings

# What each geojsonhint bad file is about (its .result), and the words our report must use for it.
BAD_INTENT = {
    "bad-duplicate-properties": "'type' is given twice",
    "bad-json": "not valid JSON: Expecting ',' delimiter at line 3",
    "bad-polygon-interiorring-rhr": "is a Polygon; an incident report is one Point",
    "bad-properties-as-array": "'properties' member is a JSON array",
    "badcoordtype": "is a MultiPolygon",
    "badfeatureid": "own 'id' member is a JSON object",
    "bbox-contains-string": "'bbox'",
    "different-first-last": "is a Polygon",
    # A valid LineString with 10 decimals: geojsonhint no longer complains; for us it is no incident.
    "excessive_precision_truncated": "is a LineString",
    "false": "is a GeometryCollection",
    "featurecollection-obj": "'features' member is a JSON object, not an array",
    "featurecollection": "'features' member is missing",
    "geometry_changed_semantics": "required field 'id' is missing",
    "geometrycollection_single": "is a GeometryCollection",
    "multipoint-multidimension": "coordinates are nested arrays",
    "nofeaturetype": "its type is 'Featre'",
    "point-labeled-as-a-multipolygon": "is a MultiPolygon",
    "point-toofew": "have 1 value(s); a position needs [lon, lat]",
    "point": "The Point has no 'coordinates' member",
    "rootstring": "holds a JSON null",
    "short-linearring": "is a Polygon",
    "stringcoord": "hold the JSON string '39.36827914916011', not a number",
}


def _said(path):
    try:
        result = read_batch(path.read_bytes(), filename=path.name, settings=Settings())
    except InputError as exc:
        assert exc.hint, path.name
        return str(exc), None
    assert result.issues and all(i.problem and i.fix for i in result.issues), path.name
    return " ".join(i.as_text() for i in result.issues), result


def test_every_geojsonhint_bad_file_fails_clearly_and_for_its_reason(shared_data):
    paths = sorted((shared_data / "geojson_bad").glob("*.geojson"))
    assert {p.stem for p in paths} == set(BAD_INTENT)
    for path in paths:
        expected = json.loads(path.with_suffix(".result").read_text())
        said, result = _said(path)
        assert BAD_INTENT[path.stem] in said, (path.name, said)
        if result is not None:
            assert not len(result.accepted) and len(result.rejected) == result.n_features, path.name
        assert expected or path.stem == "excessive_precision_truncated"


def test_valid_geojson_that_is_not_our_schema_gives_feature_errors_never_a_crash(shared_data):
    for path in sorted((shared_data / "geojson_good").glob("*.geojson")):
        result = read_batch(path.read_bytes(), filename=path.name, settings=Settings())
        assert len(result.rejected) == result.n_features and not len(result.accepted), path.name
        for rejection in result.rejected:
            assert any(
                i.field in ("id", "source", "type") and "required field" in i.problem
                for i in rejection.issues
            )
            assert rejection.feature["type"] == "Feature", path.name


def test_ucdp_ged_is_rejected_feature_by_feature_and_kept(shared_data):
    path = shared_data / "ucdp_ged" / "ucdp_ged_ukraine_minsk2_2015-02-15_2022-02-23.geojson"
    result = read_batch(path.read_bytes(), filename=path.name, settings=Settings())
    assert result.n_features == 1447 and len(result.rejected) == 1447 and not len(result.accepted)
    file_level = [i for i in result.issues if i.index is None]
    assert "UCDP GED" in file_level[0].problem and "--mapping ucdp" in file_level[0].fix
    first = result.rejected[0]
    said = {i.field: i.problem for i in first.issues}
    assert {"source", "type", "occurred_at"} <= set(said) and "missing" in said["source"]
    assert first.feature_id == str(first.feature["properties"]["id"])
    assert first.feature["properties"]["where_description"]


@pytest.mark.slow
def test_a_100k_batch_is_read(make_reports):
    import time

    data = make_reports(100_000)
    t0 = time.perf_counter()
    result = read_batch(data, filename="big.geojson", settings=Settings())
    print(f"100k reports, {len(data) / 1e6:.0f} MB: {time.perf_counter() - t0:.2f} s")
    assert result.ok and len(result.accepted) == 100_000
    assert result.accepted["bearing_min_deg"].notna().sum() == 66_667
