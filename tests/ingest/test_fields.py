"""Ingest, field by field: every schema field normalised, every bad value named with its feature, field and fix."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from geo.ingest import read_batch
from geo.schema import FIELDS


def only(result, severity="error"):
    found = [i for i in result.issues if i.severity == severity]
    assert len(found) == 1, [i.as_text() for i in result.issues]
    return found[0]


def test_a_full_report_round_trips_every_field(feature, batch, settings):
    props = {
        "id": "r1",
        "source": "CVM-OP-07",
        "occurred_at": "2026-10-05T04:10:00+03:00",
        "occurred_from": "2026-10-05T04:00:00+03:00",
        "occurred_to": "2026-10-05T04:20:00+03:00",
        "time_precision": "minute",
        "type": "outgoing_fire",
        "count": 18,
        "weapon": "artillery_ge100mm",
        "means": "heard",
        "source_type": "observation_post",
        "reliability": "B",
        "credibility": 2,
        "location_precision_m": 800.5,
        "observer_lon": 37.5,
        "observer_lat": 48.1,
        "bearing_deg": "SSE",
        "distance_min_m": 3000,
        "distance_max_m": 5000,
        "casualties_low": 0,
        "casualties_best": 1,
        "casualties_high": 2,
        "description": "18 explosions, «Авдіївка» & <b>",
        "source_family": "CVM",
        "cites": "UA-MOD/2026-10-05-17",
        "assessment": "assessed as outgoing artillery fire",
        "patrol_leader": {"name": "kept", "rank": None},
    }
    assert set(props) - {"patrol_leader"} == {f.name for f in FIELDS} - {"bearing_min_deg", "bearing_max_deg"}
    result = read_batch(batch(feature(**props)), filename="b.geojson", settings=settings)
    assert result.ok and not result.issues and result.n_features == 1 and result.format == "geojson"
    frame = result.accepted
    assert list(frame.columns) == [f.name for f in FIELDS] + ["extra", "uid", "geometry"]
    assert frame.crs.to_epsg() == 4326
    row = frame.iloc[0]
    assert row["occurred_at"] == pd.Timestamp("2026-10-05T01:10:00Z")
    assert row["occurred_from"] == pd.Timestamp("2026-10-05T01:00:00Z")
    assert row["occurred_to"] == pd.Timestamp("2026-10-05T01:20:00Z")
    assert (row["bearing_deg"], row["bearing_min_deg"], row["bearing_max_deg"]) == (157.5, 146.25, 168.75)
    for name in (
        "id",
        "source",
        "time_precision",
        "type",
        "weapon",
        "means",
        "source_type",
        "reliability",
        "source_family",
        "cites",
        "assessment",
    ):
        assert row[name] == props[name], name
    for name in ("count", "credibility", "casualties_low", "casualties_best", "casualties_high"):
        assert row[name] == props[name] and str(frame[name].dtype) == "Int64", name
    for name in ("location_precision_m", "observer_lon", "observer_lat", "distance_min_m", "distance_max_m"):
        assert row[name] == props[name] and frame[name].dtype == "float64", name
    assert row["description"] == props["description"]
    assert json.loads(row["extra"]) == {"patrol_leader": {"name": "kept", "rank": None}}
    assert row["uid"] == "CVM-OP-07/r1"
    assert (row.geometry.x, row.geometry.y) == (37.62, 48.14)
    for name in ("occurred_at", "occurred_from", "occurred_to"):
        assert str(frame[name].dtype) == "datetime64[ns, UTC]"
    assert all(frame[c].dtype == "str" for c in ("id", "type", "description", "extra", "uid"))


def test_defaults_interval_midpoint_and_empty_extra(feature, batch, settings):
    f = feature(occurred_at=None, occurred_from="2026-10-01T00:00:00Z", occurred_to="2026-10-03T00:00:00Z")
    row = read_batch(batch(f), filename="b.geojson", settings=settings).accepted.iloc[0]
    assert row["occurred_at"] == pd.Timestamp("2026-10-02T00:00:00Z")
    assert (row["weapon"], row["reliability"], row["credibility"], row["count"]) == ("unknown", "F", 6, 1)
    assert (row["time_precision"], row["extra"]) == ("minute", "{}")
    assert np.isnan(row["bearing_deg"]) and pd.isna(row["description"])


def test_uid_escapes_the_separator(feature, batch, settings):
    row = read_batch(batch(feature(source="UA/JFO", id=17)), filename="b.geojson", settings=settings).accepted
    assert (row["id"].item(), row["uid"].item()) == ("17", "UA%2FJFO/17")


@pytest.mark.parametrize(
    ("bearing", "lo", "hi", "centre"),
    [
        ("120-150", 120, 150, 135),
        ("350-20", 350, 20, 5),
        ("N", 348.75, 11.25, 0),
        ("sse", 146.25, 168.75, 157.5),
        (42, np.nan, np.nan, 42),
    ],
)
def test_bearing_forms(feature, batch, settings, bearing, lo, hi, centre):
    row = read_batch(
        batch(feature(bearing_deg=bearing)), filename="b.geojson", settings=settings
    ).accepted.iloc[0]
    np.testing.assert_allclose(
        [row["bearing_min_deg"], row["bearing_max_deg"], row["bearing_deg"]], [lo, hi, centre]
    )


@pytest.mark.parametrize(
    ("props", "field", "problem", "fix"),
    [
        ({"type": "shelling"}, "type", "'shelling' is not a known type", "Allowed: undetermined_explosion"),
        ({"type": "impakt"}, "type", "'impakt' is not a known type", "Did you mean 'impact'?"),
        ({"weapon": "artilery_ge100mm"}, "weapon", "not a known weapon", "Did you mean 'artillery_ge100mm'?"),
        ({"means": 3}, "means", "3 is not a known means", "Allowed: heard"),
        ({"reliability": "G"}, "reliability", "'G' is not a known reliability", "Allowed: A, B"),
        ({"credibility": 9}, "credibility", "credibility 9 is not one of 1 to 6", "Admiralty credibility"),
        ({"count": 0}, "count", "0 is below the minimum 1", "count >= 1"),
        ({"count": 2.5}, "count", "2.5 is not a whole number", "whole number"),
        ({"count": True}, "count", "boolean true is not a number", "Give count as a number"),
        ({"location_precision_m": "far"}, "location_precision_m", "'far' is not a number", "as a number"),
        ({"bearing_deg": 400}, "bearing_deg", "400 is above the maximum 360", "<= 360"),
        ({"bearing_deg": "400-20"}, "bearing_deg", "'400-20' goes past 360", "'350-20' crosses north"),
        (
            {"occurred_at": "yesterday"},
            "occurred_at",
            "'yesterday' is not a valid ISO 8601",
            "with an offset",
        ),
        ({"occurred_at": "2026-10-05T04:10:00"}, "occurred_at", "has no time zone", "'Z' for UTC"),
        (
            {"occurred_at": "2026-13-45T04:10:00Z"},
            "occurred_at",
            "not a valid ISO 8601",
            "2026-10-05T04:10:00+03:00",
        ),
        ({"occurred_at": 1759630200}, "occurred_at", "1759630200 is not a date-time string", "ISO 8601"),
        ({"occurred_at": "2099-01-01T00:00:00Z"}, "occurred_at", "is in the future", "UTC offset"),
        (
            {"occurred_at": None},
            "occurred_at",
            "No time: occurred_at is missing",
            "occurred_from and occurred_to",
        ),
        (
            {"occurred_from": "2026-10-05T00:00:00Z", "occurred_to": "2026-10-04T00:00:00Z"},
            "occurred_from",
            "occurred_from 2026-10-05T00:00Z is after occurred_to 2026-10-04T00:00Z",
            "Swap them",
        ),
        (
            {"occurred_from": "2026-10-06T00:00:00Z", "occurred_to": "2026-10-07T00:00:00Z"},
            "occurred_at",
            "lies outside its own interval 2026-10-06T00:00Z to 2026-10-07T00:00Z",
            "inside the interval",
        ),
        ({"source": ""}, "source", "required field 'source' is missing or empty", "(source, id) identifies"),
        (
            {"source": "   "},
            "source",
            "required field 'source' is missing or empty",
            "Give every report 'source'",
        ),
        ({"type": None}, "type", "required field 'type' is missing", "Give every report 'type'"),
        ({"description": ["a", "b"]}, "description", "JSON array, not text", "as a string"),
        ({"observer_lon": 37.5}, "observer_lon", "observer_lon is given without observer_lat", "Give both"),
        ({"observer_lat": 48.0}, "observer_lat", "observer_lat is given without observer_lon", "or neither"),
        (
            {"distance_min_m": 5000, "distance_max_m": 3000},
            "distance_min_m",
            "5000 exceeds distance_max_m 3000",
            "Swap",
        ),
    ],
)
def test_bad_values_name_feature_field_problem_and_fix(feature, batch, settings, props, field, problem, fix):
    result = read_batch(batch(feature(id="ok"), feature(**props)), filename="b.geojson", settings=settings)
    issue = only(result)
    assert (issue.index, issue.feature_id, issue.field) == (1, "r1", field)
    assert problem in issue.problem and fix in issue.fix
    assert f"feature 1 (id 'r1'), field '{field}'" in issue.as_text()
    assert result.accepted["id"].tolist() == ["ok"]
    assert len(result.rejected) == 1 and result.rejected[0].index == 1
    assert result.rejected[0].feature == json.loads(batch(feature(**props)))["features"][0]
    assert result.rejected[0].issues == (issue,)


@pytest.mark.parametrize(
    ("props", "said"),
    [
        ({"casualties_low": 3, "casualties_best": 1}, "(low 3, best 1, high null)"),
        ({"casualties_best": 5, "casualties_high": 2}, "(low null, best 5, high 2)"),
    ],
)
def test_casualty_estimates_out_of_order_are_kept_as_given_with_a_warning(
    feature, batch, settings, props, said
):
    # Real data has them (UCDP GED): the report stands, the figures are named, never reordered.
    result = read_batch(batch(feature(id="ok"), feature(**props)), filename="b.geojson", settings=settings)
    assert not result.rejected and result.accepted["id"].tolist() == ["ok", "r1"]
    (warning,) = result.warnings
    assert (
        warning.field == "casualties_best"
        and said in warning.problem
        and "kept as the source gives" in warning.problem
    )
    row = result.accepted.set_index("id").loc["r1"]
    for name, value in props.items():
        assert row[name] == value


def test_clock_skew_of_a_few_minutes_is_allowed(feature, batch, settings):
    soon = (pd.Timestamp.now(tz="UTC") + pd.Timedelta(minutes=2)).isoformat()
    later = (pd.Timestamp.now(tz="UTC") + pd.Timedelta(minutes=30)).isoformat()
    result = read_batch(
        batch(feature(occurred_at=soon), feature(id="2", occurred_at=later)), filename="b", settings=settings
    )
    assert result.accepted["id"].tolist() == ["r1"] and only(result).index == 1


def test_a_date_alone_is_read_as_that_whole_day_in_the_theatre_with_a_warning(feature, batch, settings):
    # Kyiv is UTC+3 in summer time: its 5 October runs from 21:00Z on the 4th to 21:00Z on the 5th.
    result = read_batch(batch(feature(occurred_at="2026-10-05")), filename="b.geojson", settings=settings)
    warning = only(result, "warning")
    assert warning.field == "occurred_at" and "date without a time" in warning.problem
    assert "whole day in Europe/Kyiv (2026-10-04T21:00Z to 2026-10-05T21:00Z)" in warning.problem
    row = result.accepted.iloc[0]
    assert (row["occurred_from"], row["occurred_to"]) == (
        pd.Timestamp("2026-10-04T21:00:00Z"),
        pd.Timestamp("2026-10-05T21:00:00Z"),
    )
    assert (row["occurred_at"], row["time_precision"]) == (pd.Timestamp("2026-10-05T09:00:00Z"), "day")


def test_the_theatre_time_zone_is_a_setting_and_winter_time_moves_the_day(feature, batch, settings):
    winter = read_batch(batch(feature(occurred_at="2026-12-01")), filename="b.geojson", settings=settings)
    assert winter.accepted.iloc[0]["occurred_from"] == pd.Timestamp("2026-11-30T22:00:00Z")
    utc = replace(settings, theatre_timezone="UTC")
    plain = read_batch(batch(feature(occurred_at="2026-10-05")), filename="b.geojson", settings=utc)
    row = plain.accepted.iloc[0]
    assert (row["occurred_from"], row["occurred_to"]) == (
        pd.Timestamp("2026-10-05T00:00:00Z"),
        pd.Timestamp("2026-10-06T00:00:00Z"),
    )


def test_dates_alone_in_an_interval_cover_the_whole_days(feature, batch, settings):
    f = feature(occurred_at=None, occurred_from="2026-10-05", occurred_to="2026-10-06")
    result = read_batch(batch(f), filename="b.geojson", settings=settings)
    row = result.accepted.iloc[0]
    assert (row["occurred_from"], row["occurred_to"]) == (
        pd.Timestamp("2026-10-04T21:00:00Z"),
        pd.Timestamp("2026-10-06T21:00:00Z"),
    )
    assert {w.field for w in result.warnings} == {"occurred_from", "occurred_to"}


def test_lenient_spellings_and_numbers_as_text_are_kept_with_a_warning(feature, batch, settings):
    f = feature(type="Outgoing fire", weapon="Heavy-MLRS tactical missile", reliability=" b", count="3",
                credibility="2", location_precision_m=" 12.5 ")  # fmt: skip
    result = read_batch(batch(f), filename="b.geojson", settings=settings)
    assert result.ok and not result.errors
    said = {w.field: w.problem for w in result.warnings}
    assert set(said) == {"type", "weapon", "reliability", "count", "credibility", "location_precision_m"}
    assert "'Outgoing fire' was read as 'outgoing_fire'" in said["type"]
    assert "given as text ('3')" in said["count"]
    row = result.accepted.iloc[0]
    assert (row["type"], row["weapon"], row["reliability"]) == (
        "outgoing_fire",
        "heavy_mlrs_tactical_missile",
        "B",
    )
    assert (row["count"], row["credibility"], row["location_precision_m"]) == (3, 2, 12.5)


def test_duplicate_source_and_id_rejects_later_copies_naming_the_first(feature, batch, settings):
    data = batch(feature(), feature(id="x"), feature(), feature(source="other"), feature(id="x"))
    result = read_batch(data, filename="b.geojson", settings=settings)
    assert [(i.index, i.field) for i in result.errors] == [(2, "id"), (4, "id")]
    assert "('CVM-OP-07', 'r1') repeats feature 0" in result.errors[0].problem
    assert "repeats feature 1" in result.errors[1].problem and "own id" in result.errors[1].fix
    assert result.accepted["uid"].tolist() == ["CVM-OP-07/r1", "CVM-OP-07/x", "other/r1"]


def test_all_rejected_still_gives_the_normalised_columns(feature, batch, settings):
    result = read_batch(batch(feature(type="nope")), filename="b.geojson", settings=settings)
    frame = result.accepted
    assert len(frame) == 0 and frame.crs.to_epsg() == 4326
    assert list(frame.columns) == [f.name for f in FIELDS] + ["extra", "uid", "geometry"]
    assert str(frame["occurred_at"].dtype) == "datetime64[ns, UTC]" and str(frame["count"].dtype) == "Int64"
