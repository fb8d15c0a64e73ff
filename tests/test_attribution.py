"""Fire origin: sectors, side probabilities, triangulation, on hand-built geography and on the demo month."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from geo.attribution import OUTPUT_COLUMNS, estimate_origins, origin_sectors
from geo.errors import InputError
from geo.schema import FIRE_TYPES

GEOD = Geod(ellps="WGS84")
ROOT = Path(__file__).resolve().parents[1]
LINE_LON = 37.5
# Version v2 moves the line 0.05 degrees (about 3.7 km) east: the strip between goes to UA.
V2_LINE_LON = 37.55
T1 = pd.Timestamp("2026-03-01T12:00:00Z")
T2 = pd.Timestamp("2026-07-01T12:00:00Z")


def _box(west: float, east: float) -> shapely.Polygon:
    return shapely.box(west, 47.0, east, 49.0)


@pytest.fixture
def control_areas() -> gpd.GeoDataFrame:
    """UA west and RU east of a meridian; v2 (from June) moves the meridian east."""
    return gpd.GeoDataFrame(
        {
            "side": ["UA", "RU", "UA", "RU"],
            "version": ["v1", "v1", "v2", "v2"],
            "valid_from": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-06-01", "2026-06-01"], utc=True),
        },
        geometry=[
            _box(36.5, LINE_LON),
            _box(LINE_LON, 38.5),
            _box(36.5, V2_LINE_LON),
            _box(V2_LINE_LON, 38.5),
        ],
        crs=4326,
    )


def _reports(*rows: dict) -> gpd.GeoDataFrame:
    """Reports shaped like the normalised frame: unset fields are NaN, geometry at the observer."""
    base = {
        "type": "outgoing_fire",
        "means": "heard",
        "occurred_at": T1,
        "observer_lon": np.nan,
        "observer_lat": np.nan,
        "bearing_deg": np.nan,
        "bearing_min_deg": np.nan,
        "bearing_max_deg": np.nan,
        "distance_min_m": np.nan,
        "distance_max_m": np.nan,
        "weapon": "unknown",
    }
    frame = pd.DataFrame([{**base, "source": f"S{i}", "uid": f"S{i}/{i}", **r} for i, r in enumerate(rows)])
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    points = shapely.points(frame[["observer_lon", "observer_lat"]].fillna(37.0).to_numpy())
    return gpd.GeoDataFrame(frame, geometry=points, crs=4326)


def _vertex_polar(sector: shapely.Polygon, lon: float, lat: float) -> tuple[np.ndarray, np.ndarray]:
    """Bearings (0..360) and geodesic distances from the observer to the sector's vertices."""
    xy = shapely.get_coordinates(sector)
    az, _, dist = GEOD.inv(np.full(len(xy), lon), np.full(len(xy), lat), xy[:, 0], xy[:, 1])
    return np.asarray(az) % 360, np.asarray(dist)


def test_a_density_far_from_the_line_is_wholly_on_one_side(control_areas):
    reports = _reports(
        dict(
            observer_lon=37.40, observer_lat=48.0, bearing_deg=270.0, distance_min_m=1000, distance_max_m=3000
        )
    )
    out = estimate_origins(reports, control_areas=control_areas)
    row = out.iloc[0]
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    assert row["origin_method"] == "bearing"
    # 7 km from the line and firing away from it: the tail beyond the line is negligible.
    assert row["origin_p_UA"] > 0.999 and row["origin_p_UA"] + row["origin_p_RU"] == pytest.approx(1.0)
    assert row["origin_side"] == "UA"
    assert row["origin_group"] is None and np.isnan(row["origin_ellipse_major_m"])
    az, _, dist = GEOD.inv(37.40, 48.0, row["origin_lon"], row["origin_lat"])
    assert az % 360 == pytest.approx(270, abs=0.1)
    # The point estimate is the log-normal's median: the geometric mean of the bracket.
    assert dist == pytest.approx(np.sqrt(1000 * 3000), rel=0.01)


def test_a_heard_burst_near_the_line_names_no_side(control_areas):
    # A patrol 1.5 km west of the line hears small-arms bursts "to the E at about 2,000 m": the
    # heard distance is routinely off by 30-50 %, so the fire may be on either side.
    post = dict(observer_lon=LINE_LON - 0.02, observer_lat=48.0, type="burst_or_shots", weapon="small_arms")
    reports = _reports(
        dict(**post, bearing_deg=90.0, distance_min_m=2000, distance_max_m=2000),
        # Seen by a camera, the same bearing and distance is precise enough to name the side.
        dict(
            **post,
            bearing_deg=90.0,
            distance_min_m=2000,
            distance_max_m=2000,
            means="camera",
            occurred_at=T1 + pd.Timedelta(hours=2),
        ),
    )
    reports["source"] = ["PATROL-1", "CAM-1"]
    out = estimate_origins(reports, control_areas=control_areas)
    heard, camera = out.iloc[0], out.iloc[1]
    assert 0.1 < heard["origin_p_RU"] < 0.9 and heard["origin_side"] == "undetermined"
    assert camera["origin_p_RU"] > heard["origin_p_RU"]


def test_a_wider_error_spreads_the_density_across_the_line(control_areas):
    # The same report 3 km from the line, 2 km towards it: seen it is on UA ground, heard it may not be.
    post = dict(observer_lon=LINE_LON - 0.04, observer_lat=48.0, bearing_deg=90.0, distance_min_m=1500,
                distance_max_m=1500)  # fmt: skip
    reports = _reports(
        dict(**post, means="seen"), dict(**post, means="heard", occurred_at=T1 + pd.Timedelta(hours=2))
    )
    out = estimate_origins(reports, control_areas=control_areas)
    assert out["origin_p_UA"].iloc[0] > 0.95
    assert out["origin_p_UA"].iloc[0] > out["origin_p_UA"].iloc[1] > 0.5


def test_sector_straddling_the_line_is_undetermined(control_areas):
    # From a point on the line a wedge centred on north is cut in half by the meridian.
    reports = _reports(
        dict(
            observer_lon=LINE_LON,
            observer_lat=48.0,
            bearing_deg=0.0,
            distance_min_m=1000,
            distance_max_m=5000,
        )
    )
    row = estimate_origins(reports, control_areas=control_areas).iloc[0]
    assert row["origin_p_UA"] == pytest.approx(0.5, abs=0.02)
    assert row["origin_p_UA"] + row["origin_p_RU"] == pytest.approx(1.0)
    assert row["origin_side"] == "undetermined"


def _aimed(post: tuple[float, float], fire: tuple[float, float], **extra) -> dict:
    """A report from ``post`` of fire at ``fire``: the bearing to the degree, distance heard 5-15 km at 10."""
    az, _, dist = GEOD.inv(*post, *fire)
    return dict(
        observer_lon=post[0],
        observer_lat=post[1],
        bearing_deg=round(az % 360),
        distance_min_m=0.5 * dist,
        distance_max_m=1.5 * dist,
        **extra,
    )


def test_two_posts_triangulate_a_fire_on_the_other_side(control_areas):
    # The posts see the fire about 90 degrees apart, as a commission would site them to.
    fire = (37.56, 48.02)
    reports = _reports(
        _aimed((37.46, 47.95), fire),
        _aimed((37.46, 48.09), fire, occurred_at=T1 + pd.Timedelta(minutes=3)),
    )
    out = estimate_origins(reports, control_areas=control_areas)
    assert (out["origin_method"] == "triangulated").all()
    assert out["origin_group"].nunique() == 1 and out["origin_group"].iloc[0] is not None
    assert (out["origin_side"] == "RU").all()
    _, _, miss = GEOD.inv(out["origin_lon"], out["origin_lat"], [fire[0]] * 2, [fire[1]] * 2)
    assert np.max(miss) < 400
    shapes = origin_sectors(reports, control_areas=control_areas)
    assert shapes.crs.equals("EPSG:4326")
    sectors = shapes[shapes["kind"] == "sector"]
    inter = shapes[shapes["kind"] == "intersection"]
    assert sorted(sectors["uid"]) == sorted(reports["uid"])
    assert list(inter["origin_group"]) == [out["origin_group"].iloc[0]]
    assert inter["area_km2"].iloc[0] < 0.5 * sectors["area_km2"].min()
    assert shapely.contains_xy(inter.geometry.iloc[0], *fire)


def test_same_observer_or_far_apart_in_time_does_not_triangulate(control_areas):
    fire = (37.56, 48.02)
    same_post = _reports(_aimed((37.45, 47.98), fire), _aimed((37.451, 47.981), fire, occurred_at=T1))
    same_post["source"] = "OP-1"
    later = _reports(
        _aimed((37.45, 47.98), fire), _aimed((37.46, 48.06), fire, occurred_at=T1 + pd.Timedelta(minutes=30))
    )
    for reports in (same_post, later):
        out = estimate_origins(reports, control_areas=control_areas)
        assert (out["origin_method"] == "bearing").all()
    # One source at two posts 9 km apart is two observers (a patrol that moved).
    moved = _reports(_aimed((37.45, 47.98), fire), _aimed((37.46, 48.06), fire))
    moved["source"] = "PATROL-1"
    assert (estimate_origins(moved, control_areas=control_areas)["origin_method"] == "triangulated").all()


def test_two_bearings_that_do_not_meet_are_inconsistent_not_a_sliver(control_areas):
    # Two posts 2 km apart see fire "1.5-2 km" away, one at 80 and one at 100 degrees: the bearings
    # cross only 5.7 km out, far beyond both distances. Their wedges touch at their edges; the old
    # hard wedges intersected them into a sliver and called it a precise fix.
    reports = _reports(
        dict(observer_lon=37.40, observer_lat=48.0, bearing_deg=80, distance_min_m=1500, distance_max_m=2000, means="seen"),
        dict(observer_lon=37.40, observer_lat=48.018, bearing_deg=100, distance_min_m=1500, distance_max_m=2000, means="seen"),
    )  # fmt: skip
    out = estimate_origins(reports, control_areas=control_areas)
    assert list(out["origin_method"]) == ["inconsistent", "inconsistent"]
    assert out["origin_group"].isna().all() and out["origin_ellipse_major_m"].isna().all()
    # Each keeps its own density: its own point, at its own median distance.
    _, _, dist = GEOD.inv([37.40, 37.40], [48.0, 48.018], out["origin_lon"], out["origin_lat"])
    assert np.allclose(dist, np.sqrt(1500 * 2000), rtol=0.01)
    shapes = origin_sectors(reports, control_areas=control_areas)
    assert (shapes["kind"] == "intersection").sum() == 0


def test_a_fix_carries_its_error_ellipse(control_areas):
    fire = (37.56, 48.02)
    reports = _reports(
        _aimed((37.46, 47.95), fire, means="seen"),
        _aimed((37.46, 48.09), fire, means="seen", occurred_at=T1 + pd.Timedelta(minutes=3)),
        _aimed((37.40, 48.02), fire, means="seen", occurred_at=T1 + pd.Timedelta(minutes=5)),
    )
    out = estimate_origins(reports, control_areas=control_areas)
    assert (out["origin_method"] == "triangulated").all() and out["origin_group"].nunique() == 1
    major, minor = out["origin_ellipse_major_m"].iloc[0], out["origin_ellipse_minor_m"].iloc[0]
    # Bearings to the degree with 5-degree errors at about 8 km: an ellipse of some hundreds of metres.
    assert 50 < minor <= major < 3000
    _, _, miss = GEOD.inv(out["origin_lon"].iloc[0], out["origin_lat"].iloc[0], *fire)
    assert miss < major
    two = estimate_origins(reports.iloc[:2], control_areas=control_areas)
    # A third bearing shrinks the ellipse.
    assert two["origin_ellipse_major_m"].iloc[0] * two["origin_ellipse_minor_m"].iloc[0] > major * minor


def test_compass_bearing_and_range_across_north_centre_the_density(control_areas):
    reports = _reports(
        dict(observer_lon=37.45, observer_lat=48.0, bearing_deg=157.5, bearing_min_deg=146.25,
             bearing_max_deg=168.75, distance_min_m=500, distance_max_m=4000),
        dict(observer_lon=37.3, observer_lat=48.0, bearing_min_deg=350, bearing_max_deg=20,
             distance_min_m=1000, distance_max_m=6000),
    )  # fmt: skip
    out = estimate_origins(reports, control_areas=control_areas)
    az0, _, _ = GEOD.inv(37.45, 48.0, out["origin_lon"].iloc[0], out["origin_lat"].iloc[0])
    az1, _, _ = GEOD.inv(37.3, 48.0, out["origin_lon"].iloc[1], out["origin_lat"].iloc[1])
    assert az0 % 360 == pytest.approx(157.5, abs=0.3)
    assert az1 % 360 == pytest.approx(5, abs=0.3)
    shapes = origin_sectors(reports, control_areas=control_areas)
    assert shapes.geometry.is_valid.all()
    az, _ = _vertex_polar(shapes.geometry.iloc[1], 37.3, 48.0)
    # The wedge drawn is two sigma of the widened bearing each way, across north.
    assert (az > 180).any() and (az < 180).any()


def test_sound_only_reports_take_the_distance_model_of_their_means(control_areas):
    # No distance given: a heard report's density spans earshot, 300 m to 20 km (uniform in log), so
    # from 8 km behind the line it still leans to its side, and a seen one has its own, shorter, default.
    post = dict(observer_lon=37.40, observer_lat=48.0, bearing_deg=270)
    reports = _reports(dict(**post, means="heard"), dict(**post, means="seen", occurred_at=T2))
    out = estimate_origins(reports, control_areas=control_areas)
    _, _, dist = GEOD.inv([37.40, 37.40], [48.0, 48.0], out["origin_lon"], out["origin_lat"])
    assert dist[0] == pytest.approx(np.sqrt(300 * 20_000), rel=0.01)
    assert dist[1] == pytest.approx(np.sqrt(200 * 5_000), rel=0.01)
    assert (out["origin_side"] == "UA").all()


def test_reports_that_do_not_locate_a_weapon_get_none(control_areas):
    post = dict(
        observer_lon=37.45, observer_lat=48.0, bearing_deg=90, distance_min_m=1000, distance_max_m=8000
    )
    reports = _reports(
        dict(**post, type="line_crossing"),
        dict(type="impact"),
        dict(**post, type="impact"),
        dict(**post, type="impact", means="crater_analysis"),
        dict(**{**post, "observer_lon": np.nan}),
    )
    reports["source"] = "OP-1"
    out = estimate_origins(reports, control_areas=control_areas)
    assert list(out["origin_method"]) == ["none", "none", "none", "bearing", "none"]
    none = out["origin_method"] == "none"
    assert (
        out.loc[none, ["origin_lon", "origin_lat", "origin_p_UA", "origin_p_RU", "origin_side_p"]]
        .isna()
        .all()
        .all()
    )
    assert out.loc[none, "origin_side"].isna().all() and out.loc[none, "origin_group"].isna().all()
    wide = estimate_origins(reports, control_areas=control_areas, origin_types=FIRE_TYPES)
    assert list(wide["origin_method"]) == ["none", "none", "bearing", "bearing", "none"]


def test_threshold_is_honoured(control_areas):
    reports = _reports(
        dict(observer_lon=LINE_LON - 0.03, observer_lat=48.0, bearing_deg=90, distance_min_m=1500,
             distance_max_m=1500, means="seen")
    )  # fmt: skip
    row = estimate_origins(reports, control_areas=control_areas, threshold=0.99).iloc[0]
    p = row["origin_p_UA"]
    assert 0.5 < p < 0.99 and row["origin_side"] == "undetermined"
    assert row["origin_side_p"] == pytest.approx(p)
    lax = estimate_origins(reports, control_areas=control_areas, threshold=p - 0.01).iloc[0]
    assert lax["origin_side"] == "UA"
    with pytest.raises(InputError, match=r"threshold 0\.5 "):
        estimate_origins(reports, control_areas=control_areas, threshold=0.5)


def test_control_area_version_in_force_at_the_report(control_areas):
    # The origin lies between the v1 and v2 lines: RU's ground until June, UA's after.
    post = dict(
        observer_lon=37.525, observer_lat=47.98, bearing_deg=0, distance_min_m=1000, distance_max_m=3000,
        means="camera",
    )  # fmt: skip
    reports = _reports(dict(**post, occurred_at=T1), dict(**post, occurred_at=T2))
    out = estimate_origins(reports, control_areas=control_areas)
    assert list(out["origin_side"]) == ["RU", "UA"]
    before = _reports(dict(**post, occurred_at="2025-06-01T00:00:00Z"))
    row = estimate_origins(before, control_areas=control_areas).iloc[0]
    assert row["origin_method"] == "bearing" and np.isnan(row["origin_p_UA"])
    assert row["origin_side"] is None


def test_output_aligned_on_the_index_and_empty_input(control_areas):
    reports = _reports(
        dict(type="impact"),
        dict(observer_lon=37.45, observer_lat=48.0, bearing_deg=270, distance_max_m=2000),
    )
    reports.index = pd.Index(["b", "a"])
    out = estimate_origins(reports, control_areas=control_areas)
    assert list(out.index) == ["b", "a"]
    assert list(out["origin_method"]) == ["none", "bearing"]
    empty = estimate_origins(reports.iloc[:0], control_areas=control_areas)
    assert empty.empty and list(empty.columns) == list(OUTPUT_COLUMNS)
    assert origin_sectors(reports.iloc[:0], control_areas=control_areas).empty


def test_control_areas_without_crs_are_refused(control_areas):
    reports = _reports(dict(observer_lon=37.45, observer_lat=48.0, bearing_deg=270))
    with pytest.raises(InputError, match="control areas has no CRS"):
        estimate_origins(reports, control_areas=control_areas.set_crs(None, allow_override=True))


@pytest.mark.parametrize(
    ("option", "match"),
    [
        ({"window_minutes": -1.0}, "window_minutes -1.0 "),
        ({"window_minutes": float("nan")}, "window_minutes nan "),
    ],
)
def test_out_of_range_options_are_refused(control_areas, option, match):
    reports = _reports(dict(observer_lon=37.45, observer_lat=48.0, bearing_deg=270))
    with pytest.raises(InputError, match=match):
        estimate_origins(reports, control_areas=control_areas, **option)
    with pytest.raises(InputError, match=match):
        origin_sectors(reports, control_areas=control_areas, **option)


def test_control_areas_without_versions_or_sides_are_refused(control_areas):
    reports = _reports(dict(observer_lon=37.45, observer_lat=48.0, bearing_deg=270))
    with pytest.raises(InputError, match=r"lack the column\(s\) version, valid_from") as err:
        estimate_origins(reports, control_areas=control_areas.drop(columns=["version", "valid_from"]))
    assert "load_scenario" in str(err.value)
    with pytest.raises(InputError, match=r"lack the column\(s\) side"):
        origin_sectors(reports, control_areas=control_areas.drop(columns=["side"]))
    with pytest.raises(InputError, match=r"lack the column\(s\) occurred_at"):
        estimate_origins(reports.drop(columns=["occurred_at"]), control_areas=control_areas)


@pytest.fixture(scope="module")
def demo_reports() -> pd.DataFrame:
    from geo.ingest import read_batch

    paths = sorted((ROOT / "data" / "demo").glob("*.geojson"))
    return pd.concat([read_batch(p.read_bytes(), filename=p.name).accepted for p in paths], ignore_index=True)


@pytest.fixture(scope="module")
def demo_control_areas() -> gpd.GeoDataFrame:
    from geo.scenario import load_scenario

    return load_scenario().control_areas


@pytest.fixture(scope="module")
def demo_origins(demo_reports, demo_control_areas) -> pd.DataFrame:
    out = estimate_origins(demo_reports, control_areas=demo_control_areas)
    truth = pd.read_csv(ROOT / "data" / "demo" / "ground_truth.csv")
    return demo_reports[["uid", "type"]].join(out).merge(truth, on="uid", how="left", validate="1:1")


def test_demo_sectors_are_valid_polygons(demo_reports, demo_control_areas):
    # Every fire type, so that sectors from the observer outwards (distance_min_m 0) are included.
    shapes = origin_sectors(demo_reports, control_areas=demo_control_areas, origin_types=FIRE_TYPES)
    assert (shapes["kind"] == "sector").sum() > 800
    assert shapes.geometry.is_valid.all() and not shapes.geometry.is_empty.any()


def test_demo_sides_match_the_truth(demo_origins):
    d = demo_origins
    determined = d["origin_side"].isin(["UA", "RU"])
    assert determined.sum() >= 200
    # At a 0.9 threshold calibrated probabilities would be wrong at most one time in ten.
    assert (d.loc[determined, "origin_side"] == d.loc[determined, "firing_side"]).mean() >= 0.9


def test_demo_origin_points_near_the_truth(demo_origins):
    d = demo_origins[(demo_origins["origin_method"] != "none") & demo_origins["true_origin_lon"].notna()]
    _, _, miss = GEOD.inv(d["origin_lon"], d["origin_lat"], d["true_origin_lon"], d["true_origin_lat"])
    miss = pd.Series(np.asarray(miss), index=d.index)
    # Heard distances carry a lognormal error of about 30 % at a few kilometres.
    assert miss.median() < 2500
    tri = d["origin_method"] == "triangulated"
    assert tri.sum() >= 10
    assert miss[tri].median() < miss[~tri].median()


def test_time_sweep_finds_exactly_the_pairs_within_the_window():
    from geo.attribution.triangulate import pairs_in_window

    rng = np.random.default_rng(7)
    nat = np.iinfo(np.int64).min
    times = rng.integers(0, 3_600, 300) * 1_000_000_000
    times[:5] = nat
    window = 600 * 1_000_000_000
    i, j = pairs_in_window(times, window)
    got = {tuple(sorted(p)) for p in zip(i.tolist(), j.tolist(), strict=True)}
    a, b = np.triu_indices(len(times), 1)
    known = (times[a] != nat) & (times[b] != nat)
    near = known & (np.abs(times[a] - times[b]) <= window)
    assert got == set(zip(a[near].tolist(), b[near].tolist(), strict=True))
    assert len(got) == len(i)


def test_two_weapon_classes_heard_at_once_are_two_fires(control_areas):
    fire = (37.56, 48.02)
    reports = _reports(
        _aimed((37.46, 47.95), fire, weapon="mortar"),
        _aimed((37.46, 48.09), fire, weapon="mlrs", occurred_at=T1 + pd.Timedelta(minutes=3)),
    )
    assert (estimate_origins(reports, control_areas=control_areas)["origin_method"] == "bearing").all()
    reports["weapon"] = ["mortar", "unknown"]
    assert (estimate_origins(reports, control_areas=control_areas)["origin_method"] == "triangulated").all()


def test_return_fire_minutes_later_is_not_triangulated_with_the_first_fire(control_areas):
    # An exchange: a UA gun fires, and eight minutes later a RU gun answers from near where the
    # rounds landed. Two posts each hear one of them; their bearings cross, but they are two fires.
    ua_gun, ru_gun = (37.46, 48.02), (37.56, 48.02)
    reports = _reports(
        _aimed((37.40, 47.95), ua_gun),
        _aimed((37.45, 48.10), ru_gun, occurred_at=T1 + pd.Timedelta(minutes=8)),
    )
    out = estimate_origins(reports, control_areas=control_areas)
    assert (out["origin_method"] == "bearing").all()
    # Within the window the same two bearings of one fire do triangulate.
    one_fire = _reports(
        _aimed((37.40, 47.95), ru_gun),
        _aimed((37.45, 48.10), ru_gun, occurred_at=T1 + pd.Timedelta(minutes=3)),
    )
    assert (estimate_origins(one_fire, control_areas=control_areas)["origin_method"] == "triangulated").all()


def test_a_heard_bearing_without_distance_spreads_over_earshot_and_names_no_side_near_the_line(control_areas):
    # A post 6 km behind the line hears fire to the E (towards the line) and gives no distance. The
    # weapon may be anywhere within earshot (300 m to 20 km, uniform in log distance): the share of
    # that range beyond 6 km is ln(20000 / 6000) / ln(20000 / 300) = 0.29 (a log-normal about the
    # bracket's middle, as before, gave 0.15), so no side can be named.
    km6 = 6000 / (111_320 * np.cos(np.radians(48.0)))
    heard = _reports(dict(observer_lon=LINE_LON - km6, observer_lat=48.0, bearing_deg=90))
    row = estimate_origins(heard, control_areas=control_areas).iloc[0]
    expected = np.log(20_000 / 6000) / np.log(20_000 / 300)
    assert row["origin_p_RU"] == pytest.approx(expected, abs=0.05)
    assert row["origin_side"] == "undetermined"
    # The same post giving "about 15 km" places it across the line, clearly.
    told = _reports(dict(observer_lon=LINE_LON - km6, observer_lat=48.0, bearing_deg=90, distance_min_m=15_000,
                         distance_max_m=15_000))  # fmt: skip
    assert estimate_origins(told, control_areas=control_areas).iloc[0]["origin_side"] == "RU"


def test_the_projected_ground_is_reused_only_while_the_control_areas_are_the_same():
    # The side probabilities keep each scenario's ground projected per process (by the control
    # areas' content and the CRS): the same areas in another frame reuse it; an area moved, even in
    # the same frame, is projected anew and gives the new answer.
    from geo.attribution import density
    from geo.crs import theatre_crs
    from geo.scenario import load_scenario
    from geo.settings import load_settings

    areas = load_scenario(load_settings().scenario_dir).control_areas.copy()
    crs = theatre_crs(*areas.union_all().centroid.coords[0])
    first = density._ground(areas, crs)
    assert density._ground(areas.copy(), crs) is first
    version = areas["version"].iloc[-1]
    ua = np.flatnonzero(((areas["version"] == version) & (areas["side"] == "UA")).to_numpy())[0]
    x, y = first[version].polygons["UA"].representative_point().coords[0]
    assert first[version].polygons["UA"].contains(shapely.Point(x, y))
    areas.loc[areas.index[ua], "geometry"] = shapely.box(20.0, 40.0, 20.5, 40.5)  # far from the theatre
    moved = density._ground(areas, crs)
    assert moved is not first and not moved[version].polygons["UA"].contains(shapely.Point(x, y))
