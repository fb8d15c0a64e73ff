"""The schema is one definition: the JSON Schema file and docs/SCHEMA.md are generated from it and kept in step."""

from __future__ import annotations

import json

import jsonschema
import pandas as pd
import pytest

from geo import schema
from geo.settings import DATA_DIR, PROJECT_ROOT


def test_json_schema_file_is_generated_from_fields():
    committed = (DATA_DIR / "incident.schema.json").read_text(encoding="utf-8")
    assert committed == schema.json_schema_text(), "run: python -m geo schema > data/incident.schema.json"


def test_schema_doc_is_generated_from_fields():
    committed = (PROJECT_ROOT / "docs" / "SCHEMA.md").read_text(encoding="utf-8")
    assert committed == schema.to_markdown(), "run: python -m geo schema --markdown > docs/SCHEMA.md"


def test_every_field_appears_in_doc_and_json_schema():
    doc = schema.to_markdown()
    props = schema.to_json_schema()["properties"]["properties"]["properties"]
    for f in schema.FIELDS:
        assert f"`{f.name}`" in doc
        assert f.name in props


def _feature(**props):
    base = {"id": "r1", "source": "SMM-OP-07", "occurred_at": "2026-10-05T04:10:00+03:00", "type": "impact"}
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [37.62, 48.14]},
        "properties": base | props,
    }


@pytest.fixture(scope="module")
def validator():
    spec = schema.to_json_schema()
    jsonschema.Draft202012Validator.check_schema(spec)
    return jsonschema.Draft202012Validator(spec)


def test_json_schema_accepts_a_full_report(validator):
    validator.validate(
        _feature(
            weapon="artillery_ge100mm",
            reliability="B",
            credibility=2,
            bearing_deg="SSE",
            distance_min_m=3000,
            distance_max_m=5000,
            count=18,
            unknown_property="kept",
        )
    )
    validator.validate(_feature(bearing_deg="120-150"))
    interval = _feature(occurred_from="2026-10-01T00:00Z", occurred_to="2026-10-02T00:00Z")
    del interval["properties"]["occurred_at"]
    validator.validate(interval)


@pytest.mark.parametrize(
    ("props", "fragment"),
    [
        ({"type": "shelling"}, "shelling"),
        ({"reliability": "G"}, "'G'"),
        ({"credibility": 7}, "7"),
        ({"count": 0}, "0"),
        ({"bearing_deg": "SOUTH-ISH"}, "SOUTH-ISH"),
    ],
)
def test_json_schema_rejects_bad_values(validator, props, fragment):
    with pytest.raises(jsonschema.ValidationError, match=fragment):
        validator.validate(_feature(**props))


def test_json_schema_requires_source_and_a_time(validator):
    feature = _feature()
    del feature["properties"]["source"]
    with pytest.raises(jsonschema.ValidationError, match="source"):
        validator.validate(feature)
    feature = _feature()
    del feature["properties"]["occurred_at"]
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(feature)


def test_report_uid_is_unambiguous_and_vectorised():
    assert schema.report_uid("a/b", "c") != schema.report_uid("a", "b/c")
    assert schema.report_uid("SMM", 12) == "SMM/12"
    uids = schema.report_uid(pd.Series(["a/b", "SMM"]), pd.Series(["c", "12"]))
    assert list(uids) == [schema.report_uid("a/b", "c"), "SMM/12"]


def test_enums_are_consistent():
    assert set(schema.INCIDENT_TYPES) >= schema.FIRE_TYPES
    assert len(schema.COMPASS_POINTS) == 16
    assert set(schema.REQUIRED) == {"id", "source", "type"}
    assert json.dumps(schema.to_json_schema())  # serialisable
