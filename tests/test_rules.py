"""Agreement files become rules: strict loading, geodesic withdrawal zones, and reasons that fire only when due."""

from __future__ import annotations

import importlib
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from geo.errors import InputError
from geo.rules import (
    REASON_COLUMNS,
    ZONE_COLUMNS,
    AgreementError,
    evaluate,
    load_agreement,
    parse_agreement,
    withdrawal_zones,
)

ROOT = Path(__file__).resolve().parents[1]
MINSK = ROOT / "data" / "agreement.toml"
PARIS = ROOT / "data" / "agreements" / "paris_framework.toml"
GEOD = Geod(ellps="WGS84")
# The module, not the function geo.rules re-exports under the same name.
evaluate_module = importlib.import_module("geo.rules.evaluate")

# The line runs along a meridian: v1 at 37.8 E, then v2 (UA advanced 0.1 degree, about 7.4 km) at 37.9 E.
V1_LON, V2_LON, LAT = 37.8, 37.9, 48.0
V1_FROM = pd.Timestamp("2026-09-01T00:00Z")
V2_FROM = pd.Timestamp("2026-10-15T00:00Z")
AFTER_V2 = pd.Timestamp("2026-10-20T12:00Z")


def _meridian(lon: float) -> shapely.LineString:
    # Many vertices, like a real line: the buffer then follows it closely in every CRS.
    lats = np.linspace(46.5, 49.5, 301)
    return shapely.LineString(np.column_stack([np.full_like(lats, lon), lats]))


@pytest.fixture(scope="module")
def scenario():
    lines = gpd.GeoDataFrame(
        {
            "version": ["v1", "v2"],
            "valid_from": [V1_FROM, V2_FROM],
            "name": ["19 September 2014", "October 2026"],
        },
        geometry=[_meridian(V1_LON), _meridian(V2_LON)],
        crs=4326,
    )
    areas = gpd.GeoDataFrame(
        {
            "side": ["UA", "RU", "UA", "RU"],
            "version": ["v1", "v1", "v2", "v2"],
            "valid_from": [V1_FROM, V1_FROM, V2_FROM, V2_FROM],
        },
        geometry=[
            shapely.box(35.5, 46.5, V1_LON, 49.5),
            shapely.box(V1_LON, 46.5, 40.5, 49.5),
            shapely.box(35.5, 46.5, V2_LON, 49.5),
            shapely.box(V2_LON, 46.5, 40.5, 49.5),
        ],
        crs=4326,
    )
    zones = gpd.GeoDataFrame(
        {
            "zone_id": ["sz-1", "da-1", "ps-1", "op-1"],
            "kind": ["security_zone", "disengagement_area", "protected_site", "op_coverage"],
            "name": ["Central security zone", "Zolote", "Water filtration station", "OP coverage"],
        },
        geometry=[
            shapely.box(37.6, 47.9, 38.0, 48.1),
            shapely.box(37.89, 48.49, 37.91, 48.51),
            shapely.box(37.495, 48.195, 37.505, 48.205),
            shapely.box(36.0, 47.0, 39.0, 49.0),
        ],
        crs=4326,
    )
    posts = gpd.GeoDataFrame(
        {"post_id": ["op-n"], "name": ["OP North"], "range_m": [8000.0]},
        geometry=[shapely.Point(37.3, 48.7)],
        crs=4326,
    )
    return {"lines": lines, "control_areas": areas, "zones": zones, "posts": posts}


def _move(lon: float, lat: float, azimuth: float, km: float) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(lon, lat, azimuth, km * 1000.0)
    return float(x), float(y)


def _reports(rows: list[dict]) -> gpd.GeoDataFrame:
    """Enriched reports as other modules produce them, built by hand with explicit CRS and UTC times."""
    base = {
        "source": "OP-1",
        "count": 1,
        "weapon": "unknown",
        "side": None,
        "dist_to_line_m": np.nan,
        "line_version": None,
        "origin_lon": np.nan,
        "origin_lat": np.nan,
        "origin_side": None,
        "origin_side_p": np.nan,
        "location_precision_m": np.nan,
    }
    rows = [{**base, "id": f"r{i}", **r} for i, r in enumerate(rows)]
    df = pd.DataFrame(rows)
    df["occurred_at"] = pd.to_datetime(df["occurred_at"], utc=True)
    df["count"] = df["count"].astype("Int64")
    df["uid"] = df["source"] + "/" + df["id"]
    geometry = gpd.points_from_xy(df.pop("lon"), df.pop("lat"))
    return gpd.GeoDataFrame(df, geometry=geometry, crs=4326)


def _run(rows: list[dict], path: Path, scenario: dict) -> pd.DataFrame:
    return evaluate(_reports(rows), load_agreement(path), **scenario)


def _codes(reasons: pd.DataFrame, uid: str = "OP-1/r0") -> set[str]:
    return set(reasons.loc[reasons["uid"] == uid, "code"])


def _sentence(reasons: pd.DataFrame, code: str, uid: str = "OP-1/r0") -> str:
    (text,) = reasons.loc[(reasons["uid"] == uid) & (reasons["code"] == code), "sentence"]
    return text


# --- the shipped agreement files ---------------------------------------------------------------


def test_minsk_file_states_the_minsk_ii_terms():
    a = load_agreement(MINSK)
    assert a.effective_at == pd.Timestamp("2026-10-03T00:00:00Z")
    widths = {w.key: (w.width_km, w.width_applies, w.side_width_km) for w in a.withdrawal}
    assert widths["artillery_ge100mm"] == (50, "total", 25)
    assert widths["mlrs"] == (70, "total", 35)
    assert widths["heavy_mlrs_tactical_missile"] == (140, "total", 70)
    assert widths["light_weapons"] == (15, "per_side", 15)
    assert a.withdrawal_for("mortar").key == "light_weapons"
    assert all(w.reference == {"UA": "in_force", "RU": "v1"} for w in a.withdrawal)
    assert {r.code for r in a.rules} >= {"FIRE_AFTER_EFFECTIVE", "HEAVY_WEAPON_IN_ZONE", "LINE_CROSSING"}


def test_second_file_differs_and_converts_its_offset_to_utc():
    a = load_agreement(PARIS)
    # 12:00 at UTC+3 is 09:00 UTC.
    assert a.effective_at == pd.Timestamp("2026-10-10T09:00:00Z")
    (w,) = a.withdrawal
    assert (w.width_km, w.width_applies, w.total_width_km) == (30, "per_side", 60)
    assert w.complete_by == pd.Timestamp("2026-10-17T09:00:00Z")
    assert a.rule("DISENGAGEMENT_ACTIVITY") is None and a.rule("LINE_CROSSING") is None
    assert (
        a.rule("FIRE_AFTER_EFFECTIVE").severity != load_agreement(MINSK).rule("FIRE_AFTER_EFFECTIVE").severity
    )


# --- validation --------------------------------------------------------------------------------

VALID = """
[agreement]
name = "Test agreement"
effective_at = 2026-10-03T00:00:00Z

[sides.UA]
label = "Ukraine"
[sides.RU]
label = "Russia"

[withdrawal.mlrs]
width_km = 70
width_applies = "total"
reference = { UA = "in_force", RU = "v1" }
clause = "para 2"

[rules.FIRE_AFTER_EFFECTIVE]
severity = "high"
weight = 0.7
clause = "para 1"
"""


def _fails(text: str) -> AgreementError:
    with pytest.raises(AgreementError) as info:
        parse_agreement(text, path=Path("terms.toml"))
    assert "terms.toml" in info.value.message
    assert isinstance(info.value, InputError) and info.value.hint
    return info.value


def test_the_minimal_file_is_valid():
    a = parse_agreement(VALID, path=Path("terms.toml"))
    assert a.short_name == "Test agreement" and a.withdrawal[0].weapons == ("mlrs",)


def test_missing_key_is_named():
    err = _fails(VALID.replace("effective_at = 2026-10-03T00:00:00Z\n", ""))
    assert "agreement.effective_at" in err.message and "missing" in err.message


def test_unknown_weapon_class_suggests_the_closest():
    err = _fails(VALID.replace("[withdrawal.mlrs]", "[withdrawal.mrls]"))
    assert "withdrawal.mrls" in err.message and "'mrls'" in err.message
    assert "Did you mean 'mlrs'?" in err.hint
    err = _fails(VALID.replace("width_km = 70", 'weapons = ["artilery_ge100mm"]\nwidth_km = 70'))
    assert "withdrawal.mlrs.weapons[0]" in err.message and "'artillery_ge100mm'" in err.hint


def test_bad_value_names_the_key_path_and_value():
    err = _fails(VALID.replace("width_km = 70", "width_km = -70"))
    assert "withdrawal.mlrs.width_km" in err.message and "-70" in err.message
    err = _fails(VALID.replace('"total"', '"both"'))
    assert "withdrawal.mlrs.width_applies" in err.message and "per_side" in err.hint
    err = _fails(VALID.replace("weight = 0.7", "weight = 1.5"))
    assert "rules.FIRE_AFTER_EFFECTIVE.weight" in err.message and "1.5" in err.message
    err = _fails(VALID.replace('severity = "high"', 'severity = "hihg"'))
    assert "'high'" in err.hint


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2026-10-03T00:00:00", "no UTC offset"),
        ('"2026-10-03T00:00:00"', "no UTC offset"),
        ("2026-10-03", "not a time"),
        ('"3 October"', "not an ISO 8601 time"),
    ],
)
def test_time_without_offset_is_refused(value, problem):
    err = _fails(VALID.replace("2026-10-03T00:00:00Z", value))
    assert "agreement.effective_at" in err.message and problem in err.message


def test_time_as_text_with_offset_is_accepted():
    a = parse_agreement(
        VALID.replace("2026-10-03T00:00:00Z", '"2026-10-03T02:00:00+02:00"'), path=Path("t.toml")
    )
    assert a.effective_at == pd.Timestamp("2026-10-03T00:00Z")


def test_unknown_keys_are_errors_not_ignored():
    err = _fails(VALID.replace("width_km = 70", "width_km = 70\nwidht_km = 70"))
    assert "withdrawal.mlrs.widht_km" in err.message and "'width_km'" in err.hint
    err = _fails(VALID.replace("[rules.FIRE_AFTER_EFFECTIVE]", "[rules.FIRE_AFTER_EFECTIVE]"))
    assert "rules.FIRE_AFTER_EFECTIVE" in err.message and "'FIRE_AFTER_EFFECTIVE'" in err.hint
    err = _fails(VALID + "\n[extras]\nx = 1\n")
    assert "extras" in err.message
    err = _fails(VALID.replace('clause = "para 1"', 'clause = "para 1"\nbuffer_km = 3'))
    assert "rules.FIRE_AFTER_EFFECTIVE.buffer_km" in err.message


def test_reference_lines_must_cover_the_declared_sides():
    err = _fails(
        VALID.replace('reference = { UA = "in_force", RU = "v1" }', 'reference = { UA = "in_force" }')
    )
    assert "withdrawal.mlrs.reference.RU" in err.message
    err = _fails(VALID.replace('RU = "v1"', 'RU = "v1", RUS = "v1"'))
    assert "'RU'" in err.hint


def test_a_weapon_class_has_one_withdrawal_distance():
    extra = '\n[withdrawal.rockets]\nweapons = ["mlrs"]\nwidth_km = 10\nwidth_applies = "per_side"\n'
    extra += 'reference = { UA = "in_force", RU = "in_force" }\nclause = "x"\n'
    err = _fails(VALID.replace("[rules.", extra + "\n[rules.", 1))
    assert "withdrawal.rockets.weapons" in err.message and "withdrawal.mlrs" in err.message


def test_sentence_templates_are_checked_when_loading():
    base = VALID.replace('clause = "para 1"', 'clause = "para 1"\nsentence = "{what} at {wen}."')
    err = _fails(base)
    assert "{wen}" in err.message and "'when'" in err.hint
    err = _fails(VALID.replace('clause = "para 1"', 'clause = "para 1"\nsentence = "{dist_km:.1f} km."'))
    assert "already formatted" in err.message


def test_files_that_cannot_be_read(tmp_path):
    with pytest.raises(AgreementError, match="No agreement file"):
        load_agreement(tmp_path / "missing.toml")
    (tmp_path / "terms.yaml").write_text("agreement: {}\n")
    with pytest.raises(AgreementError, match=r"not a \.toml file"):
        load_agreement(tmp_path / "terms.yaml")
    err = _fails("[agreement\nname = 1")
    assert "not valid TOML" in err.message


# --- withdrawal zones --------------------------------------------------------------------------


def _far_edge_km(
    zone: shapely.Geometry, line_lon: float, *, side: str, edge_lon: float | None = None
) -> np.ndarray:
    """Geodesic distance from the zone's outer boundary (mid-latitudes) to the meridian line.

    The outer boundary is the part beyond ``edge_lon`` (default the line) plus a margin, away from
    the control area's edge.
    """
    edge_lon = line_lon if edge_lon is None else edge_lon
    xy = shapely.get_coordinates(zone.boundary)
    mid = (xy[:, 1] > 47.7) & (xy[:, 1] < 48.3)
    outer = xy[mid & ((xy[:, 0] > edge_lon + 0.05) if side == "RU" else (xy[:, 0] < edge_lon - 0.05))]
    line_lats = np.arange(47.0, 49.0, 0.0005)
    dist = [
        GEOD.inv(
            np.full_like(line_lats, line_lon),
            line_lats,
            np.full_like(line_lats, x),
            np.full_like(line_lats, y),
        )[2].min()
        for x, y in outer
    ]
    return np.asarray(dist) / 1000.0


def test_zone_width_is_geodesic_and_total_splits_between_sides(scenario):
    zones = withdrawal_zones(
        load_agreement(MINSK), at=V1_FROM, **{k: scenario[k] for k in ("lines", "control_areas")}
    )
    assert zones.crs.to_epsg() == 4326 and list(zones.columns) == [*ZONE_COLUMNS, "geometry"]
    art = zones[zones["withdrawal"] == "artillery_ge100mm"].set_index("side")
    for side in ("UA", "RU"):
        edge = _far_edge_km(art.loc[side, "geometry"], V1_LON, side=side)
        assert len(edge) > 10
        # 50 km in total: 25 km each side, within 0.2 % of the geodesic distance.
        np.testing.assert_allclose(edge, 25.0, rtol=2e-3)
    light = zones[zones["withdrawal"] == "light_weapons"].set_index("side")
    np.testing.assert_allclose(_far_edge_km(light.loc["RU", "geometry"], V1_LON, side="RU"), 15.0, rtol=2e-3)
    assert light.loc["RU", "total_width_km"] == 30 and art.loc["RU", "total_width_km"] == 50


def test_each_side_measures_from_its_own_reference_line(scenario):
    frames = {k: scenario[k] for k in ("lines", "control_areas")}
    zones = withdrawal_zones(load_agreement(MINSK), at=AFTER_V2, **frames)
    art = zones[zones["withdrawal"] == "artillery_ge100mm"].set_index("side")
    assert art.loc["UA", "line_version"] == "v2" and art.loc["RU", "line_version"] == "v1"
    # UA keeps 25 km from the line in force (v2); RU keeps 25 km from the older line (v1) ...
    np.testing.assert_allclose(_far_edge_km(art.loc["UA", "geometry"], V2_LON, side="UA"), 25.0, rtol=2e-3)
    np.testing.assert_allclose(
        _far_edge_km(art.loc["RU", "geometry"], V1_LON, side="RU", edge_lon=V2_LON), 25.0, rtol=2e-3
    )
    # ... and each zone stays inside the area its side controls.
    ru_area = scenario["control_areas"].query("version == 'v2' and side == 'RU'").geometry.iloc[0]
    assert art.loc["RU", "geometry"].bounds[0] >= V2_LON - 1e-6
    assert shapely.area(shapely.difference(art.loc["RU", "geometry"], ru_area)) < 1e-7
    # The second agreement measures both sides from the line in force, 30 km each.
    paris = withdrawal_zones(load_agreement(PARIS), at=AFTER_V2, **frames).set_index("side")
    np.testing.assert_allclose(_far_edge_km(paris.loc["RU", "geometry"], V2_LON, side="RU"), 30.0, rtol=2e-3)


def test_unknown_reference_version_is_named(scenario, tmp_path):
    path = tmp_path / "terms.toml"
    path.write_text(VALID.replace('RU = "v1"', 'RU = "v9"'))
    with pytest.raises(AgreementError, match=r"withdrawal\.mlrs\.reference\.RU is 'v9'") as info:
        withdrawal_zones(
            load_agreement(path), lines=scenario["lines"], control_areas=scenario["control_areas"]
        )
    assert "v1, v2" in info.value.hint


def test_zones_refuse_a_time_without_zone(scenario):
    with pytest.raises(InputError, match="no time zone"):
        withdrawal_zones(
            load_agreement(MINSK),
            lines=scenario["lines"],
            control_areas=scenario["control_areas"],
            at=pd.Timestamp("2026-10-05"),
        )


# --- evaluation: one test per rule, each against both agreement files ---------------------------

MINSK_AT = pd.Timestamp("2026-10-03T00:00:00Z")
PARIS_AT = pd.Timestamp("2026-10-10T09:00:00Z")
QUIET = (37.95, 47.5)  # far from every zone and post


def _at_quiet(**row) -> dict:
    return {"lon": QUIET[0], "lat": QUIET[1], **row}


def test_fire_after_effective_starts_at_the_effective_second(scenario):
    one_second = pd.Timedelta(seconds=1)
    rows = [
        _at_quiet(type="impact", occurred_at=MINSK_AT - one_second, side="RU", dist_to_line_m=2100.0),
        _at_quiet(type="impact", occurred_at=MINSK_AT, side="RU", dist_to_line_m=2100.0, count=18),
        _at_quiet(type="illumination_flare", occurred_at=AFTER_V2),
        _at_quiet(type="weapon_sighting", occurred_at=AFTER_V2),
    ]
    minsk = _run(rows, MINSK, scenario)
    assert "FIRE_AFTER_EFFECTIVE" not in _codes(minsk, "OP-1/r0")
    assert "FIRE_AFTER_EFFECTIVE" in _codes(minsk, "OP-1/r1")
    assert not _codes(minsk, "OP-1/r2") and not _codes(minsk, "OP-1/r3")
    text = _sentence(minsk, "FIRE_AFTER_EFFECTIVE", "OP-1/r1")
    for figure in ("Impact (count 18)", "2.1 km", "RU-controlled", "2026-10-03 at 00:00 UTC", "para 1"):
        assert figure in text
    # The second agreement takes effect a week later: the same fire is no violation under it.
    paris = _run(rows, PARIS, scenario)
    assert paris.empty
    rows = [
        _at_quiet(type="impact", occurred_at=PARIS_AT - one_second),
        _at_quiet(type="impact", occurred_at=PARIS_AT),
    ]
    paris = _run(rows, PARIS, scenario)
    assert list(paris["uid"]) == ["OP-1/r1"] and list(paris["severity"]) == ["critical"]


def _east_of_v1(km: float, **row) -> dict:
    lon, lat = _move(V1_LON, 48.3, 90, km)
    return {"lon": lon, "lat": lat, "occurred_at": AFTER_V2, **row}


def test_heavy_weapon_in_zone_measures_ru_from_the_older_line(scenario):
    art = {"type": "weapon_sighting", "weapon": "artillery_ge100mm"}
    rows = [
        _east_of_v1(18.2, **art),
        _east_of_v1(24.8, **art),
        _east_of_v1(25.2, **art),
        _east_of_v1(27.0, **art),
    ]
    minsk = _run(rows, MINSK, scenario)
    fired = set(minsk.loc[minsk["code"] == "HEAVY_WEAPON_IN_ZONE", "uid"])
    assert fired == {"OP-1/r0", "OP-1/r1"}
    text = _sentence(minsk, "HEAVY_WEAPON_IN_ZONE")
    for figure in (
        "Artillery (100 mm or more) sighted",
        "18.2 km",
        'the line v1 ("19 September 2014")',
        "RU-controlled",
        "25 km",
    ):
        assert figure in text
    # The second agreement: 30 km on each side of the line in force (v2, about 7.4 km east of v1).
    paris = _run(rows, PARIS, scenario)
    assert set(paris.loc[paris["code"] == "HEAVY_WEAPON_IN_ZONE", "uid"]) == {f"OP-1/r{i}" for i in range(4)}
    assert "demilitarised zone" in _sentence(paris, "HEAVY_WEAPON_IN_ZONE", "OP-1/r3")
    assert "30 km" in _sentence(paris, "HEAVY_WEAPON_IN_ZONE", "OP-1/r3")


def test_heavy_weapon_classes_and_deadlines(scenario):
    west_of_v2 = [_move(V2_LON, 48.3, 270, km) for km in (20.0, 26.0)]
    rows = [
        {
            "lon": west_of_v2[0][0],
            "lat": west_of_v2[0][1],
            "occurred_at": AFTER_V2,
            "type": "weapon_sighting",
            "weapon": "artillery_ge100mm",
        },
        {
            "lon": west_of_v2[1][0],
            "lat": west_of_v2[1][1],
            "occurred_at": AFTER_V2,
            "type": "weapon_sighting",
            "weapon": "artillery_ge100mm",
        },
        _east_of_v1(30.0, type="weapon_sighting", weapon="mlrs"),
        _east_of_v1(40.0, type="weapon_sighting", weapon="mlrs"),
        _east_of_v1(14.0, type="weapon_sighting", weapon="tank"),
        _east_of_v1(16.0, type="weapon_sighting", weapon="tank"),
        # Inside the zone, but a week before the second agreement's withdrawal deadline.
        _east_of_v1(
            18.2,
            type="weapon_sighting",
            weapon="artillery_ge100mm",
            occurred_at=pd.Timestamp("2026-10-12T00:00Z"),
        ),
        # Before the first agreement took effect.
        _east_of_v1(
            18.2,
            type="weapon_sighting",
            weapon="artillery_ge100mm",
            occurred_at=MINSK_AT - pd.Timedelta(hours=1),
        ),
        _east_of_v1(10.0, type="weapon_sighting", weapon="small_arms"),
    ]
    minsk = _run(rows, MINSK, scenario)
    heavy = set(minsk.loc[minsk["code"] == "HEAVY_WEAPON_IN_ZONE", "uid"])
    assert heavy == {"OP-1/r0", "OP-1/r2", "OP-1/r4", "OP-1/r6"}
    assert "the contact line in force (v2)" in _sentence(minsk, "HEAVY_WEAPON_IN_ZONE", "OP-1/r0")
    assert "UA-controlled" in _sentence(minsk, "HEAVY_WEAPON_IN_ZONE", "OP-1/r0")
    assert "35 km" in _sentence(minsk, "HEAVY_WEAPON_IN_ZONE", "OP-1/r2")
    assert "Addendum of 29 September 2015" in _sentence(minsk, "HEAVY_WEAPON_IN_ZONE", "OP-1/r4")
    paris = _run(rows, PARIS, scenario)
    assert "OP-1/r6" not in set(paris.loc[paris["code"] == "HEAVY_WEAPON_IN_ZONE", "uid"])


def test_heavy_weapon_fire_counts_at_its_estimated_origin(scenario):
    origin = _move(V1_LON, 48.3, 90, 20.0)
    landed = _move(V2_LON, 48.3, 270, 5.0)
    fire = {"lon": landed[0], "lat": landed[1], "occurred_at": AFTER_V2, "type": "impact", "side": "UA"}
    rows = [
        {
            **fire,
            "weapon": "artillery_ge100mm",
            "origin_lon": origin[0],
            "origin_lat": origin[1],
            "origin_side": "RU",
        },
        {**fire, "weapon": "artillery_ge100mm"},
        {**fire, "weapon": "small_arms", "origin_lon": origin[0], "origin_lat": origin[1]},
    ]
    minsk = _run(rows, MINSK, scenario)
    assert set(minsk.loc[minsk["code"] == "HEAVY_WEAPON_IN_ZONE", "uid"]) == {"OP-1/r0"}
    text = _sentence(minsk, "HEAVY_WEAPON_IN_ZONE")
    assert "fired from an estimated position 20.0 km" in text and "RU-controlled" in text


def test_flight_over_security_zone_or_drone_band(scenario):
    inside = {"lon": 37.7, "lat": 48.0, "occurred_at": AFTER_V2}
    rows = [
        {**inside, "type": "weapon_sighting", "weapon": "uav", "dist_to_line_m": 15000.0},
        {**inside, "type": "weapon_sighting", "weapon": "aircraft", "dist_to_line_m": 15000.0},
        _at_quiet(type="air_or_drone_strike", weapon="uav", occurred_at=AFTER_V2, dist_to_line_m=19000.0),
        _at_quiet(type="air_or_drone_strike", weapon="uav", occurred_at=AFTER_V2, dist_to_line_m=21000.0),
        {**inside, "type": "weapon_sighting", "weapon": "tank", "dist_to_line_m": 15000.0},
    ]
    minsk = _run(rows, MINSK, scenario)
    assert set(minsk.loc[minsk["code"] == "FLIGHT_OVER_SECURITY_ZONE", "uid"]) == {"OP-1/r0", "OP-1/r1"}
    assert 'over the security zone "Central security zone"' in _sentence(minsk, "FLIGHT_OVER_SECURITY_ZONE")
    paris = _run(rows, PARIS, scenario)
    assert set(paris.loc[paris["code"] == "FLIGHT_OVER_SECURITY_ZONE", "uid"]) == {"OP-1/r0", "OP-1/r2"}
    assert "within 20 km of the contact line" in _sentence(paris, "FLIGHT_OVER_SECURITY_ZONE", "OP-1/r2")
    no_distance = _reports(rows).drop(columns="dist_to_line_m")
    with pytest.raises(InputError, match="dist_to_line_m"):
        evaluate(no_distance, load_agreement(PARIS), **scenario)


def test_the_projected_scenario_is_reused_only_while_its_content_is_the_same(scenario):
    # The rules keep the scenario projected per process (geo.rules.evaluate._geography), by the
    # frames' content: a zone renamed or moved, even in the same frame, is evaluated anew.
    inside = {"lon": 37.7, "lat": 48.0, "occurred_at": AFTER_V2, "dist_to_line_m": 15000.0}
    rows = [{**inside, "type": "weapon_sighting", "weapon": "uav"}]
    zones = scenario["zones"].copy()
    edited = {**scenario, "zones": zones}
    projected = importlib.import_module("geo.rules.evaluate")._geography
    assert projected(**edited)[0] is projected(**{k: v.copy() for k, v in edited.items()})[0]
    assert 'security zone "Central security zone"' in _sentence(
        _run(rows, MINSK, edited), "FLIGHT_OVER_SECURITY_ZONE"
    )
    zones.loc[0, "name"] = "Renamed zone"
    assert 'security zone "Renamed zone"' in _sentence(_run(rows, MINSK, edited), "FLIGHT_OVER_SECURITY_ZONE")
    zones.loc[0, "geometry"] = shapely.box(36.0, 46.6, 36.2, 46.8)  # far from the report
    assert "FLIGHT_OVER_SECURITY_ZONE" not in _codes(_run(rows, MINSK, edited))


def test_attack_on_monitors_and_restriction(scenario):
    post = (37.3, 48.7)
    rows = [
        {
            "lon": _move(*post, 0, 0.8)[0],
            "lat": _move(*post, 0, 0.8)[1],
            "type": "impact",
            "occurred_at": AFTER_V2,
        },
        {
            "lon": _move(*post, 0, 1.5)[0],
            "lat": _move(*post, 0, 1.5)[1],
            "type": "impact",
            "occurred_at": AFTER_V2,
        },
        {"lon": post[0], "lat": post[1], "type": "weapon_sighting", "occurred_at": AFTER_V2},
        _at_quiet(type="restriction_of_monitors", occurred_at=AFTER_V2, side="RU", dist_to_line_m=3000.0),
    ]
    minsk, paris = _run(rows, MINSK, scenario), _run(rows, PARIS, scenario)
    assert set(minsk.loc[minsk["code"] == "ATTACK_ON_MONITORS", "uid"]) == {"OP-1/r0"}
    assert set(paris.loc[paris["code"] == "ATTACK_ON_MONITORS", "uid"]) == {"OP-1/r0", "OP-1/r1"}
    text = _sentence(minsk, "ATTACK_ON_MONITORS")
    assert "0.8 km from the observation post OP North" in text and "1 km" in text
    assert "1.5 km" in _sentence(paris, "ATTACK_ON_MONITORS", "OP-1/r1")
    for reasons, severity in ((minsk, "medium"), (paris, "high")):
        row = reasons[reasons["code"] == "MONITOR_RESTRICTION"]
        assert list(row["uid"]) == ["OP-1/r3"] and list(row["severity"]) == [severity]
    assert "3.0 km from the contact line" in _sentence(minsk, "MONITOR_RESTRICTION", "OP-1/r3")


def test_disengagement_activity_within_its_buffer(scenario):
    edge = (37.91, 48.5)
    rows = [
        {"lon": _move(*edge, 90, km)[0], "lat": edge[1], "type": kind, "occurred_at": AFTER_V2}
        for km, kind in ((4.0, "weapon_sighting"), (6.0, "weapon_sighting"), (0.0, "other"))
    ]
    rows.append({**rows[0], "occurred_at": MINSK_AT - pd.Timedelta(days=1)})
    minsk = _run(rows, MINSK, scenario)
    assert set(minsk.loc[minsk["code"] == "DISENGAGEMENT_ACTIVITY", "uid"]) == {"OP-1/r0", "OP-1/r2"}
    text = _sentence(minsk, "DISENGAGEMENT_ACTIVITY")
    assert "4.0 km from the disengagement area Zolote" in text and "5 km buffer" in text
    assert "DISENGAGEMENT_ACTIVITY" not in set(_run(rows, PARIS, scenario)["code"])


def test_protected_site_inside_or_near(scenario):
    edge = (37.505, 48.2)
    near = [_move(*edge, 90, km) for km in (0.3, 0.8)]
    rows = [
        {"lon": near[0][0], "lat": near[0][1], "type": "impact", "occurred_at": AFTER_V2},
        {"lon": near[1][0], "lat": near[1][1], "type": "impact", "occurred_at": AFTER_V2},
        {"lon": near[0][0], "lat": near[0][1], "type": "outgoing_fire", "occurred_at": AFTER_V2},
        {"lon": 37.5, "lat": 48.2, "type": "air_or_drone_strike", "weapon": "uav", "occurred_at": AFTER_V2},
    ]
    minsk, paris = _run(rows, MINSK, scenario), _run(rows, PARIS, scenario)
    assert set(minsk.loc[minsk["code"] == "PROTECTED_SITE", "uid"]) == {"OP-1/r0", "OP-1/r3"}
    assert set(paris.loc[paris["code"] == "PROTECTED_SITE", "uid"]) == {f"OP-1/r{i}" for i in range(4)}
    assert "0.3 km from the protected site Water filtration station" in _sentence(minsk, "PROTECTED_SITE")
    assert "0.0 km" in _sentence(minsk, "PROTECTED_SITE", "OP-1/r3")


def test_line_crossing_only_where_the_agreement_prohibits_it(scenario):
    rows = [
        _at_quiet(type="line_crossing", occurred_at=AFTER_V2, side="ambiguous", dist_to_line_m=150.0),
        _at_quiet(type="line_crossing", occurred_at=MINSK_AT - pd.Timedelta(minutes=1)),
    ]
    minsk = _run(rows, MINSK, scenario)
    assert list(minsk["code"]) == ["LINE_CROSSING"] and list(minsk["uid"]) == ["OP-1/r0"]
    assert ", too close to the contact line to tell the side (0.1 km" in minsk["sentence"].iloc[0]
    assert _run(rows, PARIS, scenario).empty


def test_same_reports_give_different_reasons_under_each_agreement(scenario):
    rows = [
        _east_of_v1(27.0, type="outgoing_fire", weapon="artillery_ge100mm", side="RU"),
        _at_quiet(type="impact", occurred_at=pd.Timestamp("2026-10-05T10:00Z")),
        _at_quiet(type="line_crossing", occurred_at=AFTER_V2),
    ]
    minsk, paris = _run(rows, MINSK, scenario), _run(rows, PARIS, scenario)
    by_agreement = {
        name: {(u, c) for u, c in zip(r["uid"], r["code"], strict=True)}
        for name, r in (("minsk", minsk), ("paris", paris))
    }
    assert by_agreement["minsk"] == {
        ("OP-1/r0", "FIRE_AFTER_EFFECTIVE"),
        ("OP-1/r1", "FIRE_AFTER_EFFECTIVE"),
        ("OP-1/r2", "LINE_CROSSING"),
    }
    assert by_agreement["paris"] == {("OP-1/r0", "FIRE_AFTER_EFFECTIVE"), ("OP-1/r0", "HEAVY_WEAPON_IN_ZONE")}
    assert "seen firing" in _sentence(paris, "HEAVY_WEAPON_IN_ZONE")


def test_reasons_frame_follows_the_contract(scenario):
    rows = [
        _east_of_v1(10.0, type="outgoing_fire", weapon="artillery_ge100mm", side="RU"),
        _at_quiet(type="other", occurred_at=AFTER_V2),
        _at_quiet(type="line_crossing", occurred_at=AFTER_V2),
    ]
    agreement = load_agreement(MINSK)
    reasons = evaluate(_reports(rows), agreement, **scenario)
    assert list(reasons.columns) == REASON_COLUMNS
    # Ordered by report, then by the rules' order in the file.
    assert list(zip(reasons["uid"], reasons["code"], strict=True)) == [
        ("OP-1/r0", "FIRE_AFTER_EFFECTIVE"),
        ("OP-1/r0", "HEAVY_WEAPON_IN_ZONE"),
        ("OP-1/r2", "LINE_CROSSING"),
    ]
    for code, severity, weight in zip(reasons["code"], reasons["severity"], reasons["weight"], strict=True):
        assert (severity, weight) == (agreement.rule(code).severity, agreement.rule(code).weight)
    assert reasons["sentence"].map(lambda s: "{" not in s and s.endswith(".")).all()


def test_empty_and_malformed_inputs(scenario):
    agreement = load_agreement(MINSK)
    empty = evaluate(
        _reports([_at_quiet(type="other", occurred_at=AFTER_V2)]).iloc[:0], agreement, **scenario
    )
    assert empty.empty and list(empty.columns) == REASON_COLUMNS
    quiet = evaluate(_reports([_at_quiet(type="other", occurred_at=AFTER_V2)]), agreement, **scenario)
    assert quiet.empty and list(quiet.columns) == REASON_COLUMNS
    reports = _reports([_at_quiet(type="impact", occurred_at=AFTER_V2)])
    with pytest.raises(InputError, match="lack the column"):
        evaluate(reports.drop(columns="weapon"), agreement, **scenario)
    with pytest.raises(InputError, match="no time zone"):
        evaluate(
            reports.assign(occurred_at=reports["occurred_at"].dt.tz_localize(None)), agreement, **scenario
        )
    with pytest.raises(InputError, match="EPSG:4326"):
        evaluate(reports.to_crs(3857), agreement, **scenario)


# --- the demo scenario and the enrichment of the other modules ---------------------------------


@pytest.fixture(scope="module")
def demo_scenario():
    from geo.scenario import load_scenario
    from geo.settings import SCENARIO_DIR

    if not (SCENARIO_DIR / "contact_line.geojson").is_file():
        pytest.skip(f"the demo scenario is not generated yet ({SCENARIO_DIR})")
    s = load_scenario(SCENARIO_DIR)
    return {"lines": s.lines, "control_areas": s.control_areas, "zones": s.zones, "posts": s.posts}


@pytest.mark.parametrize("path", [MINSK, PARIS], ids=["minsk", "paris"])
def test_zones_on_the_demo_scenario(demo_scenario, path):
    agreement = load_agreement(path)
    frames = {k: demo_scenario[k] for k in ("lines", "control_areas")}
    zones = withdrawal_zones(agreement, **frames)
    # Every withdrawal rule has a zone on each side, valid and inside that side's control area.
    assert len(zones) == len(agreement.withdrawal) * len(agreement.sides)
    assert zones.geometry.is_valid.all() and not zones.geometry.is_empty.any()
    areas = demo_scenario["control_areas"]
    latest = areas[areas["valid_from"] == areas["valid_from"].max()].set_index("side")
    for row in zones.itertuples():
        outside = shapely.area(shapely.difference(row.geometry, latest.loc[row.side, "geometry"]))
        assert outside < 1e-6 * shapely.area(row.geometry)


def test_evaluate_through_proximity_on_the_demo_scenario(demo_scenario):
    proximity = pytest.importorskip("geo.proximity", reason="geo.proximity is not written yet")
    agreement = load_agreement(MINSK)
    zones = withdrawal_zones(agreement, **{k: demo_scenario[k] for k in ("lines", "control_areas")})
    art = zones[(zones["withdrawal"] == "artillery_ge100mm")].set_index("side")
    # A sighting at a point well inside each side's artillery zone, and one far behind the line.
    inside = [art.loc[side, "geometry"].representative_point() for side in ("UA", "RU")]
    rows = [
        {
            "lon": p.x,
            "lat": p.y,
            "type": "weapon_sighting",
            "weapon": "artillery_ge100mm",
            "occurred_at": AFTER_V2,
        }
        for p in inside
    ]
    reports = _reports(rows).drop(columns=["side", "dist_to_line_m", "line_version"])
    near = proximity.measure(
        reports,
        lines=demo_scenario["lines"],
        control_areas=demo_scenario["control_areas"],
        zones=demo_scenario["zones"],
    )
    reasons = evaluate(reports.join(near), agreement, **demo_scenario)
    heavy = reasons[reasons["code"] == "HEAVY_WEAPON_IN_ZONE"]
    assert list(heavy["uid"]) == ["OP-1/r0", "OP-1/r1"]
    assert "UA-controlled" in heavy["sentence"].iloc[0] and "RU-controlled" in heavy["sentence"].iloc[1]


def test_the_format_doc_lists_every_rule_parameter_and_placeholder():
    from geo.rules.spec import COMMON_PLACEHOLDERS, RULE_SPECS

    doc = (ROOT / "docs" / "AGREEMENT.md").read_text(encoding="utf-8")
    for spec in RULE_SPECS.values():
        assert f"`{spec.code}`" in doc
        assert f"`{spec.sentence}`" in doc, f"docs/AGREEMENT.md lacks the default sentence of {spec.code}"
        for name in spec.params:
            assert f"`{name}`" in doc
        for name in spec.placeholders | COMMON_PLACEHOLDERS:
            assert f"{{{name}}}" in doc


# --- lawful activity, bounds of where fire counts, and times that straddle the effective time ---

NOTICE = """
[[notifications]]
id = "N-014"
party = "UA"
activity = "demining"
lon = 37.95
lat = 47.5
radius_m = 1500
start = 2026-10-12T07:00:00Z
end = 2026-10-12T13:00:00Z
reference = "JCCC 12/10"
"""


def _with(text: str) -> object:
    return parse_agreement(MINSK.read_text(encoding="utf-8") + text, path=MINSK)


def test_a_notified_demining_mitigates_explosions_inside_its_circle_and_window(scenario):
    agreement = _with(NOTICE)
    inside = _move(*QUIET, 45, 1.0)
    outside = _move(*QUIET, 45, 3.0)
    rows = [
        {"lon": inside[0], "lat": inside[1], "type": "undetermined_explosion", "count": 6,
         "occurred_at": "2026-10-12T09:40Z"},
        # The same place before the window opened (beyond the 30 min slack): no mitigation.
        {"lon": inside[0], "lat": inside[1], "type": "undetermined_explosion", "occurred_at": "2026-10-12T06:00Z"},
        # In the window but 3 km away, outside the 1.5 km circle.
        {"lon": outside[0], "lat": outside[1], "type": "undetermined_explosion", "occurred_at": "2026-10-12T09:40Z"},
        # 3 km away, but the report's own location is uncertain by 2 km: it may be inside.
        {"lon": outside[0], "lat": outside[1], "type": "impact", "occurred_at": "2026-10-12T09:40Z",
         "location_precision_m": 2000.0},
    ]  # fmt: skip
    reasons = evaluate(_reports(rows), agreement, **scenario)
    assert _codes(reasons, "OP-1/r0") == {"FIRE_AFTER_EFFECTIVE", "NOTIFIED_ACTIVITY"}
    assert _codes(reasons, "OP-1/r1") == {"FIRE_AFTER_EFFECTIVE"}
    assert _codes(reasons, "OP-1/r2") == {"FIRE_AFTER_EFFECTIVE"}
    assert "NOTIFIED_ACTIVITY" in _codes(reasons, "OP-1/r3")
    row = reasons[(reasons["uid"] == "OP-1/r0") & (reasons["code"] == "NOTIFIED_ACTIVITY")].iloc[0]
    assert row["effect"] == "mitigate" and row["weight"] == 0.9
    for figure in ("1.0 km", "demining", "Ukrainian forces", "N-014, JCCC 12/10", "2026-10-12 07:00 UTC"):
        assert figure in row["sentence"]


def test_an_observers_assessment_of_lawful_activity_mitigates(scenario):
    rows = [
        _at_quiet(type="undetermined_explosion", occurred_at=AFTER_V2, assessment="Assessed as controlled detonation"),
        _at_quiet(type="undetermined_explosion", occurred_at=AFTER_V2, assessment="assessed as outgoing artillery"),
    ]  # fmt: skip
    reasons = _run(rows, MINSK, scenario)
    assert _codes(reasons, "OP-1/r0") == {"FIRE_AFTER_EFFECTIVE", "ASSESSED_LAWFUL"}
    assert '"Assessed as controlled detonation"' in _sentence(reasons, "ASSESSED_LAWFUL")
    assert _codes(reasons, "OP-1/r1") == {"FIRE_AFTER_EFFECTIVE"}
    # A file sets its own phrases; the old ones then no longer count.
    own = MINSK.read_text(encoding="utf-8") + (
        '\n[rules.ASSESSED_LAWFUL]\nseverity = "low"\nweight = 0.8\nclause = "SOP 4"\nphrases = ["EOD"]\n'
    )
    reasons = evaluate(_reports(rows), parse_agreement(own, path=MINSK), **scenario)
    assert "ASSESSED_LAWFUL" not in _codes(reasons, "OP-1/r0")


def test_the_agreement_bounds_where_fire_counts(scenario):
    # The shipped agreement exempts designated ranges; the bound from the line is added here.
    assert load_agreement(MINSK).rule("FIRE_AFTER_EFFECTIVE").params["exempt_zone_kinds"] == (
        "designated_range",
    )
    text = MINSK.read_text(encoding="utf-8").replace(
        'clause = "para 1"\n',
        'clause = "para 1"\nmax_line_dist_km = 10\n',
        1,
    )
    agreement = parse_agreement(text, path=MINSK)
    zones = pd.concat(
        [
            scenario["zones"],
            gpd.GeoDataFrame(
                {"zone_id": ["rg-1"], "kind": ["designated_range"], "name": ["Range 4"]},
                geometry=[shapely.box(37.94, 47.49, 37.96, 47.51)],
                crs=4326,
            ),
        ],
        ignore_index=True,
    )
    rows = [
        _at_quiet(type="impact", occurred_at=AFTER_V2, dist_to_line_m=4000.0),  # on the range
        {"lon": 37.7, "lat": 47.4, "type": "impact", "occurred_at": AFTER_V2, "dist_to_line_m": 4000.0},
        {"lon": 37.7, "lat": 47.4, "type": "impact", "occurred_at": AFTER_V2, "dist_to_line_m": 25000.0},
        {"lon": 37.7, "lat": 47.4, "type": "impact", "occurred_at": AFTER_V2},  # distance unknown: counts
    ]
    reasons = evaluate(_reports(rows), agreement, **{**scenario, "zones": zones})
    fired = set(reasons.loc[reasons["code"] == "FIRE_AFTER_EFFECTIVE", "uid"])
    assert fired == {"OP-1/r1", "OP-1/r3"}


def test_a_day_precision_report_on_the_effective_day_is_capped(scenario):
    # The ceasefire took effect at 00:00Z on 3 October; a party's "3 October" in Kyiv time runs from
    # 21:00Z on the 2nd (as ingest reads a date alone), so it may predate the ceasefire.
    day = {"occurred_from": "2026-10-02T21:00Z", "occurred_to": "2026-10-03T21:00Z"}
    rows = [
        _at_quiet(type="impact", occurred_at="2026-10-03T09:00Z", time_precision="day", **day),
        _at_quiet(type="impact", occurred_at="2026-10-04T09:00Z", time_precision="day",
                  occurred_from="2026-10-03T21:00Z", occurred_to="2026-10-04T21:00Z"),
        # Midpoint before the ceasefire, but the interval ends after it: judged, and capped.
        _at_quiet(type="impact", occurred_at="2026-10-02T12:00Z", time_precision="day"),
        # Wholly before: no reason at all.
        _at_quiet(type="impact", occurred_at="2026-10-01T12:00Z", time_precision="day"),
        # A lawful report straddling the time gets no cap: there is nothing to cap.
        _at_quiet(type="illumination_flare", occurred_at="2026-10-03T09:00Z", time_precision="day", **day),
    ]  # fmt: skip
    frame = _reports(rows)
    for name in ("occurred_from", "occurred_to"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    reasons = evaluate(frame, load_agreement(MINSK), **scenario)
    assert _codes(reasons, "OP-1/r0") == {"FIRE_AFTER_EFFECTIVE", "STRADDLES_EFFECTIVE"}
    assert _codes(reasons, "OP-1/r1") == {"FIRE_AFTER_EFFECTIVE"}
    assert _codes(reasons, "OP-1/r2") == {"FIRE_AFTER_EFFECTIVE", "STRADDLES_EFFECTIVE"}
    assert not _codes(reasons, "OP-1/r3") and not _codes(reasons, "OP-1/r4")
    text = _sentence(reasons, "STRADDLES_EFFECTIVE")
    assert "from 2026-10-02 21:00 UTC to 2026-10-03 21:00 UTC" in text and "at most a possible" in text
    assert set(reasons.loc[reasons["code"] == "STRADDLES_EFFECTIVE", "effect"]) == {"cap"}


def test_every_agreement_has_the_mitigations_and_the_cap():
    a = parse_agreement(VALID, path=Path("terms.toml"))
    effects = {r.code: r.effect for r in a.rules}
    assert effects == {
        "FIRE_AFTER_EFFECTIVE": "breach",
        "NOTIFIED_ACTIVITY": "mitigate",
        "ASSESSED_LAWFUL": "mitigate",
        "STRADDLES_EFFECTIVE": "cap",
    }
    only_mitigation = VALID.replace("[rules.FIRE_AFTER_EFFECTIVE]", "[rules.ASSESSED_LAWFUL]")
    assert "names no prohibited act" in _fails(only_mitigation).message


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (('party = "UA"', 'party = "XX"'), "notifications[0].party"),
        (('activity = "demining"', 'activity = "deminnig"'), "Did you mean 'demining'"),
        (("radius_m = 1500", "radius_m = 0"), "notifications[0].radius_m"),
        (("end = 2026-10-12T13:00:00Z", "end = 2026-10-12T06:00:00Z"), "not after its start"),
        (("start = 2026-10-12T07:00:00Z", 'start = "2026-10-12T07:00"'), "no UTC offset"),
        (('reference = "JCCC 12/10"', 'refrence = "x"'), "notifications[0].refrence"),
    ],
)
def test_a_bad_notification_is_refused_by_name(change, problem):
    text = VALID + NOTICE.replace(*change)
    err = _fails(text)
    assert problem in err.message + err.hint


def test_two_notices_with_one_id_are_refused():
    assert "has the id 'N-014' twice" in _fails(VALID + NOTICE + NOTICE).message


# The reasons' texts are built column-wise (geo.rules.evaluate); these tests hold each piece to the
# plain per-report way it replaced, on varied values.


def test_sentences_fill_a_template_as_format_map_would():
    agreement = load_agreement(MINSK)
    rule = agreement.rule("FIRE_AFTER_EFFECTIVE")
    extra = {
        "over": np.array(["over A", "", np.nan, "over {B}", "x"], dtype=object),
        "zone_name": np.array(["a", "b", "c", "d", "e"], dtype=object),
        "band_km": np.array([1.5, 2.0, np.nan, None, "3"], dtype=object),
    }
    hit = evaluate_module.Hit(rule, np.arange(5), extra)
    ctx = SimpleNamespace(agreement=agreement)
    constants = {"short_name": agreement.short_name, "clause": rule.clause}
    for template in (
        "{over} and {zone_name!r} ({short_name}, {clause}) {band_km} {over}",
        "{{braces}} {band_km!s}{band_km!a}",
        "{short_name} only",
    ):
        hit = replace(hit, rule=replace(rule, sentence=template))
        expected = [
            template.format_map({**constants, **{k: v[i] for k, v in extra.items()}}) for i in range(5)
        ]
        assert list(evaluate_module._sentences(ctx, hit)) == expected
    # Without placeholders the sentence is the template as written.
    hit = replace(hit, rule=replace(rule, sentence="Fixed {{text}}."))
    assert list(evaluate_module._sentences(ctx, hit)) == ["Fixed {{text}}."] * 5


@pytest.mark.parametrize("tz", ["UTC", "Europe/Kyiv"])
def test_when_is_what_strftime_writes(tz):
    rng = np.random.default_rng(1)
    ns = rng.integers(-2 * 10**18, 4 * 10**18, 200)
    times = pd.DatetimeIndex(pd.to_datetime(ns, unit="ns", utc=True)).tz_convert(tz)
    times = times.insert(3, pd.NaT).insert(0, pd.Timestamp("1969-12-31 23:59:59.999", tz=tz))
    expected = times.strftime("on %Y-%m-%d at %H:%M UTC").to_numpy(dtype=object)
    got = evaluate_module._when(times)
    assert [str(x) for x in got] == [str(x) for x in expected] and pd.isna(got[4])


def test_place_describes_each_report_as_the_per_report_rule_does():
    rng = np.random.default_rng(2)
    n = 300
    side = rng.choice(["UA", "RU", "none", "ambiguous", "unknown"], n).astype(object)
    dist = np.where(rng.random(n) < 0.3, np.nan, rng.uniform(0, 60_000, n))
    sides = {"UA": "Ukraine", "RU": "Russia"}

    def one(s, d):
        far = f"{d / 1000:.1f} km from the contact line"
        if s in sides:
            return f"on the {s}-controlled side" + (f", {far}" if np.isfinite(d) else "")
        if s == "ambiguous":
            return "too close to the contact line to tell the side" + (f" ({far})" if np.isfinite(d) else "")
        if s == "none":
            return "outside both control areas"
        return far if np.isfinite(d) else "at the reported place"

    assert list(evaluate_module._place(side, dist, sides)) == [
        one(s, d) for s, d in zip(side, dist, strict=True)
    ]


def test_near_without_measuring_finds_the_same_targets():
    # Two overlapping squares and one apart: points inside one, inside both (nearer to either),
    # on an edge, outside all.
    targets = pd.DataFrame(
        {"geometry": [shapely.box(0, 0, 10, 10), shapely.box(5, 0, 15, 10), shapely.box(20, 0, 30, 10)]}
    )
    rng = np.random.default_rng(3)
    x = np.r_[rng.uniform(-5, 35, 400), 10.0, 5.0, 20.0]
    y = np.r_[rng.uniform(-5, 15, 400), 5.0, 5.0, 10.0]
    ctx = SimpleNamespace(points=shapely.points(x, y))
    mask = rng.random(len(x)) < 0.9
    mask[-3:] = True
    rule = load_agreement(MINSK).rule("FLIGHT_OVER_SECURITY_ZONE")
    pos, j, d = evaluate_module._near(ctx, rule, mask, targets, 0.0)
    pos_fast, j_fast, d_fast = evaluate_module._near(ctx, rule, mask, targets, 0.0, measure=False)
    assert pos.tolist() == pos_fast.tolist() and j.tolist() == j_fast.tolist()
    both = np.isfinite(d_fast)
    assert both.any() and (d_fast[both] == d[both]).all()
