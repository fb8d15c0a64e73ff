"""The demo month: seeded, schema-clean batches, a ground truth that matches them, and no drift."""

from __future__ import annotations

import importlib
import importlib.util
import json
import re

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from geo.demo import (
    CEASEFIRE_EFFECTIVE,
    DEMO_DIR,
    FIRE_NEAR_POST_M,
    TRUTH_COLUMNS,
    WITHDRAWAL_HALF_WIDTH_M,
    WITHDRAWAL_REFERENCE,
    generate,
    write_demo,
)
from geo.scenario import load_scenario
from geo.schema import COMPASS_POINTS, FIELDS, FIELDS_BY_NAME, report_uid
from geo.settings import DATA_DIR

BATCHES = sorted(DEMO_DIR.glob("incidents_*.geojson"))
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")
RANGE = re.compile(r"^(\d{1,3})-(\d{1,3})$")
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def scenario():
    return load_scenario()


@pytest.fixture(scope="module")
def month(scenario):
    return generate(scenario=scenario)


@pytest.fixture(scope="module")
def features():
    out = []
    for path in BATCHES:
        out += [(path.name, f) for f in json.loads(path.read_text(encoding="utf-8"))["features"]]
    return out


def test_same_seed_same_frames_other_seed_other_frames(scenario):
    a, ta = generate(seed=7, days=4, scenario=scenario)
    b, tb = generate(seed=7, days=4, scenario=scenario)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(ta, tb)
    c, _ = generate(seed=8, days=4, scenario=scenario)
    assert len(c) != len(a) or not a.geometry.equals(c.geometry)


def test_frame_has_the_normalised_columns(month):
    reports, _ = month
    assert reports.crs.to_epsg() == 4326
    assert [f.name for f in FIELDS] == list(reports.columns[: len(FIELDS)])
    assert {"extra", "uid", "geometry"} <= set(reports.columns)
    assert str(reports["occurred_at"].dt.tz) == "UTC" and reports["occurred_at"].notna().all()
    assert str(reports["count"].dtype) == "Int64" and str(reports["credibility"].dtype) == "Int64"
    assert reports["bearing_deg"].dtype == np.float64
    interval = reports["occurred_from"].notna()
    mid = (
        reports.loc[interval, "occurred_from"]
        + (reports.loc[interval, "occurred_to"] - reports.loc[interval, "occurred_from"]) / 2
    )
    assert (mid == reports.loc[interval, "occurred_at"]).all()
    assert (reports["uid"] == report_uid(reports["source"], reports["id"])).all()
    assert reports["uid"].is_unique


def test_a_realistic_month(month):
    reports, truth = month
    start, end = pd.Timestamp("2026-10-01", tz="UTC"), pd.Timestamp("2026-11-01", tz="UTC")
    assert 3_000 <= len(reports) <= 5_000
    for col in ("occurred_at", "occurred_from", "occurred_to"):
        times = reports[col].dropna()
        assert ((times >= start) & (times < end)).all()
    families = reports["source_type"].value_counts()
    assert {"observation_post", "monitor", "uav", "satellite", "party", "media", "open_source"} <= set(
        families.index
    )
    assert set(reports.loc[reports["source_type"] == "party", "reliability"]) == {"D", "E"}
    assert set(reports.loc[reports["source_type"] == "observation_post", "reliability"]) == {"A"}
    assert (reports["time_precision"] == "day").sum() > 50
    # The stated ranges in docs/DEMO.md.
    assert 0.65 <= truth["is_violation"].mean() <= 0.9
    assert 0.04 <= truth["is_false_report"].mean() <= 0.12
    assert 0.02 <= truth["is_repeat_of_same_source"].mean() <= 0.07
    assert 0.01 <= (truth["rereport_of"] != "").mean() <= 0.08
    kinds = truth["violation_kinds"].str.split(";").explode()
    assert set(kinds) - {""} == {
        "fire_across_line",
        "heavy_weapon_in_zone",
        "flight_over_security_zone",
        "disengagement_activity",
        "fire_near_monitors",
    }


def test_surge_and_cluster_stand_out(month):
    _, truth = month
    fire = truth[(truth["happening_kind"] == "fire") & ~truth["is_repeat_of_same_source"]]
    fire = fire.drop_duplicates("happening_id")
    day = pd.to_datetime(fire["true_time"]).dt.day
    pokrovsk = fire[fire["sector"] == "Pokrovsk"].groupby(day[fire["sector"] == "Pokrovsk"]).size()
    assert pokrovsk.loc[10:13].mean() > 3 * pokrovsk.drop(range(10, 14), errors="ignore").mean()
    near = (fire["true_impact_lon"] - 35.84).abs().lt(0.1) & (fire["true_impact_lat"] - 47.45).abs().lt(0.07)
    assert near.sum() > 100


def test_truth_matches_reports_one_to_one(month):
    reports, truth = month
    assert list(truth.columns) == list(TRUTH_COLUMNS)
    assert (truth["uid"].to_numpy() == reports["uid"].to_numpy()).all()
    false = truth["is_false_report"]
    assert (truth.loc[false, "happening_id"] == "").all() and not truth.loc[false, "is_violation"].any()
    assert truth.loc[false, ["true_origin_lon", "true_impact_lon"]].isna().all().all()
    assert (truth.loc[~false, "happening_id"] != "").all()
    assert (truth["is_violation"] == (truth["violation_kinds"] != "")).all()
    repeats = truth[truth["is_repeat_of_same_source"]]
    by_uid = truth.set_index("uid")
    original = by_uid.loc[repeats["repeat_of"]]
    assert (original["happening_id"].to_numpy() == repeats["happening_id"].to_numpy()).all()
    assert (
        reports.set_index("uid").loc[repeats["repeat_of"], "source"].to_numpy()
        == reports.loc[repeats.index, "source"].to_numpy()
    ).all()
    assert set(truth.loc[truth["rereport_of"] != "", "rereport_of"]) <= set(truth["uid"])


def test_truth_geometry_agrees_with_the_scenario(month, scenario):
    _, truth = month
    fire = truth[truth["happening_kind"] == "fire"].drop_duplicates("happening_id")
    t = pd.to_datetime(fire["true_time"])
    v2_from = scenario.lines["valid_from"].iloc[1]
    for part, when in ((fire[t < v2_from], v2_from - pd.Timedelta(days=1)), (fire[t >= v2_from], v2_from)):
        areas = scenario.control_at(when)
        for side, other in (("UA", "RU"), ("RU", "UA")):
            mine = part[part["firing_side"] == side]
            assert len(mine) > 100
            o = shapely.points(mine[["true_origin_lon", "true_origin_lat"]].to_numpy())
            i = shapely.points(mine[["true_impact_lon", "true_impact_lat"]].to_numpy())
            # Rounded to 6 decimals: allow the odd point within a metre of the line on the wrong side.
            assert shapely.contains(areas.loc[side, "geometry"], o).mean() > 0.995
            assert shapely.contains(areas.loc[other, "geometry"], i).mean() > 0.995
    before = pd.to_datetime(fire["true_time"]) < CEASEFIRE_EFFECTIVE
    assert (
        before.sum() > 50 and not fire.loc[before, "violation_kinds"].str.contains("fire_across_line").any()
    )
    assert fire.loc[~before, "violation_kinds"].str.contains("fire_across_line").mean() > 0.99


def test_heavy_weapons_in_zone_are_inside_their_withdrawal_distance(month, scenario):
    _, truth = month
    heavy = truth[truth["happening_kind"] == "heavy_weapon"].drop_duplicates("happening_id")
    crs = scenario.posts.estimate_utm_crs()
    lines = scenario.lines.set_index("version").to_crs(crs)
    pts = shapely.points(heavy[["true_origin_lon", "true_origin_lat"]].to_numpy())
    import geopandas as gpd

    xy = gpd.GeoSeries(pts, crs=4326).to_crs(crs).to_numpy()
    in_force = np.where(pd.to_datetime(heavy["true_time"]) < lines["valid_from"].iloc[1], "v1", "v2")
    ref = np.where(heavy["firing_side"].map(WITHDRAWAL_REFERENCE) == "in_force", in_force, "v1")
    dist = np.array([shapely.distance(lines.loc[v, "geometry"], p) for v, p in zip(ref, xy, strict=True)])
    half = heavy["true_weapon"].map(WITHDRAWAL_HALF_WIDTH_M).to_numpy()
    flagged = heavy["violation_kinds"].str.contains("heavy_weapon_in_zone").to_numpy()
    # UTM stretches distances by up to ~0.1 % here; stay clear of the edge by that much.
    clear = np.abs(dist - half) > 0.002 * half
    assert (flagged[clear] == (dist < half)[clear]).all()
    assert 0.3 < flagged.mean() < 0.8


def test_monitor_bearings_point_at_what_they_observed(month):
    reports, truth = month
    mon = reports["observer_lon"].notna().to_numpy() & ~truth["is_repeat_of_same_source"].to_numpy()
    r, t = reports[mon], truth[mon]
    at_origin = (t["observed"] == "origin").to_numpy()
    lon = np.where(at_origin, t["true_origin_lon"], t["true_impact_lon"])
    lat = np.where(at_origin, t["true_origin_lat"], t["true_impact_lat"])
    az, _, dist = GEOD.inv(r["observer_lon"].to_numpy(), r["observer_lat"].to_numpy(), lon, lat)
    centre = r["bearing_deg"].fillna(
        (r["bearing_min_deg"] + ((r["bearing_max_deg"] - r["bearing_min_deg"]) % 360) / 2) % 360
    )
    err = np.abs((az - centre.to_numpy() + 180) % 360 - 180)
    assert np.median(err) < 12 and np.quantile(err, 0.95) < 40
    inside = (dist >= 0.5 * r["distance_min_m"]) & (dist <= 2 * r["distance_max_m"])
    assert inside.mean() > 0.9
    has_range = r["bearing_min_deg"].notna()
    assert has_range.mean() > 0.2 and r["bearing_deg"].notna().mean() > 0.4


def test_parties_blame_the_other_side_and_inflate(month):
    reports, truth = month
    party = (reports["source_type"] == "party").to_numpy()
    blamed = reports.loc[party, "extra"].map(json.loads).map(lambda e: e.get("attributed_to"))
    reporter = reports.loc[party, "source"].str[:2]
    assert (blamed.to_numpy() != reporter.to_numpy()).all()
    real = (
        truth.loc[party, "firing_side"].isin(["UA", "RU"]).to_numpy()
        & (truth.loc[party, "happening_kind"] == "fire").to_numpy()
    )
    right = blamed.to_numpy()[real] == truth.loc[party, "firing_side"].to_numpy()[real]
    assert 0.7 < right.mean() < 0.99


def test_batches_validate_against_the_schema(features):
    assert len(BATCHES) >= 10
    allowed = {f.name for f in FIELDS} | {"attributed_to"}
    for name, feature in features:
        props = feature["properties"]
        assert set(props) <= allowed, name
        assert not set(props) & (set(TRUTH_COLUMNS) - {"uid"})
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert 30 < lon < 42 and 44 < lat < 52
        assert {"id", "source", "type"} <= set(props)
        assert "occurred_at" in props or {"occurred_from", "occurred_to"} <= set(props)
        for key, value in props.items():
            field = FIELDS_BY_NAME.get(key)
            if field is None:
                continue
            if field.kind == "enum":
                assert value in field.choices, (name, key, value)
            elif field.kind == "datetime":
                assert ISO.match(value), (name, key, value)
            elif key == "bearing_deg" and isinstance(value, str):
                m = RANGE.match(value)
                assert value in COMPASS_POINTS or (m and int(m.group(1)) < int(m.group(2)) <= 360), value
            elif field.kind in ("number", "integer"):
                assert isinstance(value, int | float) and not isinstance(value, bool)
                assert field.minimum is None or value >= field.minimum
                assert field.maximum is None or value <= field.maximum
    offsets = {p["occurred_at"][-6:] for _, f in features if (p := f["properties"]).get("occurred_at")}
    assert {"+03:00", "+02:00"} <= offsets


def test_committed_files_are_what_write_demo_makes(tmp_path):
    written = write_demo(tmp_path)
    committed = sorted(p.name for p in DEMO_DIR.iterdir())
    assert sorted(p.name for p in written) == committed
    for path in written:
        assert path.read_bytes() == (DEMO_DIR / path.name).read_bytes(), f"{path.name} drifted: regenerate"
    assert sum(p.stat().st_size for p in written) < 4_000_000


def test_ground_truth_file_matches_the_frame(month):
    _, truth = month
    on_disk = pd.read_csv(DEMO_DIR / "ground_truth.csv", keep_default_na=False, na_values=[""])
    assert list(on_disk.columns) == list(TRUTH_COLUMNS)
    assert (on_disk["uid"] == truth["uid"]).all()
    assert (on_disk["is_violation"] == truth["is_violation"]).all()


def test_constants_match_the_demo_agreement():
    if importlib.util.find_spec("geo.rules") is None:
        pytest.skip("geo.rules is not there yet")
    from geo.rules.agreement import load_agreement

    agreement = load_agreement(DATA_DIR / "agreement.toml")
    assert agreement.effective_at == CEASEFIRE_EFFECTIVE
    for weapon, half in WITHDRAWAL_HALF_WIDTH_M.items():
        terms = agreement.withdrawal_for(weapon)
        assert terms.side_width_km * 1000 == half, weapon
        assert terms.reference == WITHDRAWAL_REFERENCE
    assert agreement.rule("ATTACK_ON_MONITORS").params["within_km"] * 1000 == FIRE_NEAR_POST_M


def test_every_batch_ingests_without_errors():
    ingest = importlib.import_module("geo.ingest")
    if not hasattr(ingest, "read_batch"):
        pytest.skip("geo.ingest.read_batch is not there yet")
    read_batch = ingest.read_batch
    for path in BATCHES:
        result = read_batch(path.read_bytes(), filename=path.name)
        assert result.ok and not result.errors, [i.as_text() for i in result.errors[:3]]
        assert len(result.accepted) == result.n_features
