"""Distance to the line in force, nearest point, side and zones: real geometry, hand-built cases, the demo."""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from geo.crs import centre_of, theatre_crs, to_theatre
from geo.errors import InputError
from geo.ingest import read_batch
from geo.proximity import COLUMNS, LineIndex, measure
from geo.scenario import load_scenario

GEOD = Geod(ellps="WGS84")
ROOT = Path(__file__).resolve().parents[1]
T0 = pd.Timestamp("2026-01-01", tz="UTC")


def _frame(rows: list[dict], *, crs=4326) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows)
    geometry = gpd.points_from_xy(frame.pop("lon"), frame.pop("lat"))
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=crs)


def _lines(geometry, version="a", valid_from=T0) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"version": [version], "valid_from": [valid_from]}, geometry=[geometry], crs=4326)


NO_AREAS = gpd.GeoDataFrame({"side": [], "version": []}, geometry=[], crs=4326)
NO_ZONES = gpd.GeoDataFrame({"zone_id": []}, geometry=[], crs=4326)


@pytest.fixture
def toy():
    """A north-south line at 35 E, UA west of it and RU east of it, two overlapping zones."""
    line = shapely.LineString([(35.0, 46.0), (35.0, 50.0)])
    areas = gpd.GeoDataFrame(
        {"side": ["UA", "RU"], "version": ["a", "a"]},
        geometry=[shapely.box(33.0, 46.0, 35.0, 50.0), shapely.box(35.0, 46.0, 37.0, 50.0)],
        crs=4326,
    )
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z1", "Z2"]},
        geometry=[shapely.box(34.5, 47.5, 35.5, 48.5), shapely.box(34.8, 47.9, 35.2, 48.1)],
        crs=4326,
    )
    return {"lines": _lines(line), "control_areas": areas, "zones": zones}


def _reference_distance(lon: np.ndarray, lat: np.ndarray, line: shapely.Geometry) -> tuple[np.ndarray, float]:
    """Brute force: the line densified in lon/lat to about 45 m, the least Geod.inv over its vertices.

    Returns the distances and the largest gap between densified vertices in metres (the reference
    can overstate a distance by at most half of it).
    """
    vertices = []
    for part in shapely.get_parts(line):
        xy = shapely.get_coordinates(part)
        for a, b in itertools.pairwise(xy):
            n = max(1, int(np.ceil(np.max(np.abs(b - a)) / 0.0004)))
            vertices.append(a + (np.arange(n) / n)[:, None] * (b - a))
        vertices.append(xy[-1:])
    v = np.concatenate(vertices)
    gaps = GEOD.inv(v[:-1, 0], v[:-1, 1], v[1:, 0], v[1:, 1])[2]
    vl, vp = np.radians(v[:, 0]), np.radians(v[:, 1])
    out = np.empty(len(lon))
    for i, (plon, plat) in enumerate(zip(lon, lat, strict=True)):  # a few hundred reference points
        pl, pp = np.radians(plon), np.radians(plat)
        # Haversine on a sphere is within 0.6 % of the ellipsoid: keep every vertex that could win.
        hav = np.sin((vp - pp) / 2) ** 2 + np.cos(pp) * np.cos(vp) * np.sin((vl - pl) / 2) ** 2
        h = 2 * 6_371_008.8 * np.arcsin(np.sqrt(hav))
        near = h <= h.min() * 1.01 + 100
        out[i] = GEOD.inv(np.full(near.sum(), plon), np.full(near.sum(), plat), v[near, 0], v[near, 1])[
            2
        ].min()
    # Gaps across a part break are not along the line; the largest within a part is below 100 m.
    return out, float(np.max(gaps[gaps < 1000]))


@pytest.fixture(scope="module")
def boundary(shared_data):
    """Natural Earth 1:10m land boundaries touching Ukraine, as one line version, with real points."""
    ne = gpd.read_file(
        shared_data / "natural_earth" / "ne_10m_admin_0_boundary_lines_land_UKRAINE_subset.geojson"
    )
    line = shapely.multilinestrings(shapely.get_parts(ne.geometry.to_numpy()))
    lines = _lines(line, version="ne", valid_from=pd.Timestamp("2000-01-01", tz="UTC"))
    rng = np.random.default_rng(20261015)
    ucdp = pd.read_csv(shared_data / "ucdp_ged" / "ucdp_ged_ukraine_2014-2022.csv")
    firms = gpd.read_file(shared_data / "nasa_firms" / "firms_donbas_bbox_2021.geojson")
    u = rng.choice(len(ucdp), 150, replace=False)
    f = rng.choice(len(firms), 100, replace=False)
    clon, clat = centre_of(lines)
    # Points all round the centre, 60 of them 1,350-1,500 km out, where the projection stretches most.
    far = np.r_[rng.uniform(1_350e3, 1_500e3, 60), rng.uniform(100e3, 1_350e3, 90)]
    flon, flat, _ = GEOD.fwd(np.full(150, clon), np.full(150, clat), rng.uniform(-180, 180, 150), far)
    lon = np.r_[ucdp["longitude"].to_numpy()[u], firms.geometry.x.to_numpy()[f], flon]
    lat = np.r_[ucdp["latitude"].to_numpy()[u], firms.geometry.y.to_numpy()[f], flat]
    reports = _frame(
        [{"lon": a, "lat": b, "occurred_at": "2021-06-01T00:00:00Z"} for a, b in zip(lon, lat, strict=True)]
    )
    ref, gap = _reference_distance(lon, lat, line)
    from_centre = GEOD.inv(np.full(len(lon), clon), np.full(len(lat), clat), lon, lat)[2]
    return {
        "lines": lines,
        "line": line,
        "reports": reports,
        "ref": ref,
        "gap": gap,
        "from_centre": from_centre,
    }


def test_distance_agrees_with_brute_force_geodesic_on_real_boundaries(boundary):
    got = measure(boundary["reports"], lines=boundary["lines"], control_areas=NO_AREAS, zones=NO_ZONES)
    ref = boundary["ref"]
    assert boundary["from_centre"].max() > 1_400e3 and len(ref) == 400
    dist = got["dist_to_line_m"].to_numpy()
    # The bound, plus what the 45 m reference densification may overstate (at most half a gap).
    slack = np.sqrt(ref**2 + (boundary["gap"] / 2) ** 2) - ref
    assert np.all(np.abs(dist - ref) <= np.maximum(0.001 * ref, 20.0) + slack)
    # The nearest point is on the line and the distance is measured to it.
    on_line = shapely.distance(shapely.points(got["nearest_lon"], got["nearest_lat"]), boundary["line"])
    assert on_line.max() < 1e-7
    to_nearest = GEOD.inv(
        boundary["reports"].geometry.x, boundary["reports"].geometry.y, got["nearest_lon"], got["nearest_lat"]
    )[2]
    np.testing.assert_allclose(to_nearest, dist, rtol=1e-9)


def test_planar_distance_alone_is_not_accurate_far_from_the_centre(boundary):
    """Why the final distance is geodesic: the projection's own distance misses the 0.1 % far out."""
    crs = theatre_crs(*centre_of(boundary["lines"]))
    x, y = to_theatre(boundary["reports"].geometry.x, boundary["reports"].geometry.y, crs)
    planar, _, _ = LineIndex(boundary["line"], crs).nearest(x, y)
    rel = np.abs(planar - boundary["ref"]) / boundary["ref"]
    far = boundary["from_centre"] > 1_000e3
    assert rel[far].max() > 0.001


def _projected(line: shapely.Geometry, crs) -> shapely.Geometry:
    """The line as LineIndex searches it (cut to 0.01 degree, then projected), built independently."""
    return shapely.transform(
        shapely.segmentize(line, 0.01), lambda xy: np.column_stack(to_theatre(xy[:, 0], xy[:, 1], crs))
    )


@pytest.mark.parametrize("spacing_m", [50.0, 250.0, 5_000.0])
def test_line_index_finds_shapelys_exact_nearest_point(spacing_m):
    scenario = load_scenario()
    line = scenario.lines.geometry.iloc[1]
    crs = theatre_crs(*centre_of(scenario.lines))
    rng = np.random.default_rng(7)
    lon = np.r_[rng.uniform(30, 40, 3000), rng.uniform(34, 39, 3000)]
    lat = np.r_[rng.uniform(44, 53, 3000), rng.uniform(46.5, 50.3, 3000)]
    x, y = to_theatre(lon, lat, crs)
    index = LineIndex(line, crs, spacing_m=spacing_m)
    dist, seg, t = index.nearest(x, y)
    metric = _projected(line, crs)
    np.testing.assert_allclose(dist, shapely.distance(shapely.points(x, y), metric), rtol=0, atol=1e-6)
    fx, fy = index.xy_at(seg, t)
    assert shapely.distance(shapely.points(fx, fy), metric).max() < 1e-6
    np.testing.assert_allclose(np.hypot(x - fx, y - fy), dist, atol=1e-6)


def test_line_index_widens_the_search_where_many_samples_are_equally_near():
    """At the centre of a circle every sample is equally far: the first k samples cannot decide."""
    crs = theatre_crs(35.0, 48.0)
    ring = shapely.LineString(
        [(35.0 + 0.3 * np.cos(a), 48.0 + 0.2 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 2001)]
    )
    rng = np.random.default_rng(3)
    lon, lat = 35.0 + rng.normal(0, 0.02, 500), 48.0 + rng.normal(0, 0.02, 500)
    x, y = to_theatre(lon, lat, crs)
    index = LineIndex(ring, crs, k=2)
    dist, _, _ = index.nearest(x, y)
    np.testing.assert_allclose(dist, shapely.distance(shapely.points(x, y), _projected(ring, crs)), atol=1e-6)


def test_sides_ambiguity_outside_and_nan_precision(toy):
    reports = _frame(
        [
            {"lon": 34.8, "lat": 48.0, "occurred_at": "2026-05-01T12:00:00Z", "location_precision_m": 100.0},
            {"lon": 35.2, "lat": 48.0, "occurred_at": "2026-05-01T12:00:00Z", "location_precision_m": np.nan},
            {
                "lon": 34.9,
                "lat": 47.0,
                "occurred_at": "2026-05-01T12:00:00Z",
                "location_precision_m": 9_000.0,
            },
            {"lon": 38.0, "lat": 48.0, "occurred_at": "2026-05-01T12:00:00Z", "location_precision_m": 0.0},
            {"lon": 35.0, "lat": 49.0, "occurred_at": "2026-05-01T12:00:00Z", "location_precision_m": np.nan},
        ]
    ).set_index(pd.Index([10, 11, 12, 13, 14]))
    got = measure(reports, **toy)
    assert list(got.columns) == list(COLUMNS) and list(got.index) == [10, 11, 12, 13, 14]
    assert list(got["side"]) == ["UA", "RU", "ambiguous", "none", "ambiguous"]
    # 0.2 degrees of longitude at 48 N, measured on the ellipsoid along the parallel's normal.
    east = GEOD.inv(35.0, 48.0, 35.2, 48.0)[2]
    assert got.loc[11, "dist_to_line_m"] == pytest.approx(east, rel=1e-4)
    assert got.loc[11, "nearest_lon"] == pytest.approx(35.0) and got.loc[11, "nearest_lat"] == pytest.approx(
        48.0, abs=0.01
    )
    assert got.loc[14, "dist_to_line_m"] == pytest.approx(0.0, abs=1e-6)
    assert (got["line_version"] == "a").all()


def test_a_report_before_the_first_version_is_not_measured(toy):
    reports = _frame(
        [
            {"lon": 34.8, "lat": 48.0, "occurred_at": "2025-12-31T23:59:00Z"},
            {"lon": 34.8, "lat": 48.0, "occurred_at": "2026-01-01T00:00:00Z"},
        ]
    )
    got = measure(reports, **toy)
    assert got.loc[0, "line_version"] is None and got.loc[1, "line_version"] == "a"
    assert np.isnan(got.loc[0, ["dist_to_line_m", "nearest_lon", "nearest_lat"]].to_numpy(dtype=float)).all()
    assert list(got["side"]) == ["none", "UA"]
    assert got.loc[0, "zones"] == ["Z1"] == got.loc[1, "zones"]


def test_a_report_without_a_place_is_not_measured(toy):
    reports = _frame([{"lon": 34.8, "lat": 48.0, "occurred_at": "2026-05-01T00:00:00Z"}] * 2)
    reports.loc[1, "geometry"] = None
    got = measure(reports, **toy)
    assert got.loc[1, "line_version"] == "a" and np.isnan(got.loc[1, "dist_to_line_m"])
    assert got.loc[1, "side"] == "none" and got.loc[1, "zones"] == []
    assert got.loc[0, "side"] == "UA" and got.loc[0, "dist_to_line_m"] > 10_000


def test_zones_are_listed_in_frame_order(toy):
    reports = _frame(
        [
            {"lon": 35.0, "lat": 48.0, "occurred_at": "2026-03-01T00:00:00Z"},
            {"lon": 34.6, "lat": 48.4, "occurred_at": "2026-03-01T00:00:00Z"},
            {"lon": 36.0, "lat": 48.0, "occurred_at": "2026-03-01T00:00:00Z"},
        ]
    )
    got = measure(reports, **toy)
    assert got["zones"].tolist() == [["Z1", "Z2"], ["Z1"], []]


def test_versions_switch_at_valid_from_near_the_moved_sector():
    scenario = load_scenario()
    v1, v2 = scenario.lines.geometry
    # The vertex of v2 farthest from v1: where the line moved between the versions.
    vertices = shapely.points(shapely.get_coordinates(v2))
    moved = vertices[np.argmax(shapely.distance(vertices, v1))]
    reports = _frame(
        [
            {"lon": moved.x, "lat": moved.y, "occurred_at": "2026-10-14T23:59:59Z"},
            {"lon": moved.x, "lat": moved.y, "occurred_at": "2026-10-15T00:00:00Z"},
        ]
    )
    got = measure(reports, lines=scenario.lines, control_areas=scenario.control_areas, zones=scenario.zones)
    assert list(got["line_version"]) == ["v1", "v2"]
    before, after = got["dist_to_line_m"]
    assert after < 1.0 < 1_000.0 < before
    assert got.loc[1, "side"] == "ambiguous" and got.loc[0, "side"] in ("UA", "RU")


def test_empty_input_gives_the_columns():
    reports = _frame([{"lon": 35.0, "lat": 48.0, "occurred_at": "2026-03-01T00:00:00Z"}]).iloc[:0]
    got = measure(
        reports,
        lines=_lines(shapely.LineString([(35, 46), (35, 50)])),
        control_areas=NO_AREAS,
        zones=NO_ZONES,
    )
    assert list(got.columns) == list(COLUMNS) and got.empty


@pytest.mark.parametrize(("crs", "match"), [(None, "has no CRS"), (3857, "not EPSG:4326")])
def test_reports_without_wgs84_are_refused(toy, crs, match):
    reports = _frame([{"lon": 35.0, "lat": 48.0, "occurred_at": "2026-03-01T00:00:00Z"}], crs=crs)
    with pytest.raises(InputError, match=f"The incident reports .*{match}"):
        measure(reports, **toy)


def test_a_line_in_another_crs_is_refused(toy):
    reports = _frame([{"lon": 35.0, "lat": 48.0, "occurred_at": "2026-03-01T00:00:00Z"}])
    with pytest.raises(InputError, match="The contact lines is in EPSG:3857"):
        measure(reports, **(toy | {"lines": toy["lines"].to_crs(3857)}))


def test_non_points_and_missing_times_are_refused(toy):
    reports = _frame([{"lon": 35.0, "lat": 48.0, "occurred_at": "2026-03-01T00:00:00Z"}])
    polygon = reports.set_geometry([shapely.box(34, 47, 35, 48)], crs=4326)
    with pytest.raises(InputError, match="Polygon geometry, not a Point"):
        measure(polygon, **toy)
    with pytest.raises(InputError, match=r"lack the column.*occurred_at"):
        measure(reports.drop(columns="occurred_at"), **toy)


def test_demo_reports_get_the_side_of_the_control_area_around_them():
    scenario = load_scenario()
    frames = [
        read_batch(p.read_bytes(), filename=p.name).accepted
        for p in sorted((ROOT / "data" / "demo").glob("*.geojson"))
    ]
    reports = pd.concat(frames, ignore_index=True)
    got = measure(reports, lines=scenario.lines, control_areas=scenario.control_areas, zones=scenario.zones)
    assert set(got["line_version"]) == {"v1", "v2"}
    # Independently: the control area of the report's version that contains it, by a spatial join.
    joined = gpd.sjoin(
        reports[["geometry"]].assign(version=got["line_version"]), scenario.control_areas, predicate="within"
    )
    joined = joined[joined["version_left"] == joined["version_right"]]
    truth = joined.groupby(level=0)["side"].agg(lambda s: s.iloc[0] if len(s) == 1 else "ambiguous")
    precision = reports["location_precision_m"].fillna(0.0)
    clear = (got["dist_to_line_m"] > 2_000) & (precision < got["dist_to_line_m"])
    assert clear.sum() > 1_000
    expected = truth.reindex(got.index).fillna("none")
    assert (got.loc[clear, "side"] == expected[clear]).all()
    # Within its uncertainty of the line a report is ambiguous, never given a side.
    assert (got.loc[precision >= got["dist_to_line_m"], "side"].isin(["ambiguous", "none"])).all()
    # Zones agree with an independent join as well.
    zoned = gpd.sjoin(reports[["geometry"]], scenario.zones[["zone_id", "geometry"]], predicate="within")
    want = zoned.groupby(level=0)["zone_id"].agg(set).reindex(got.index)
    assert all(
        (set(z) == (w if isinstance(w, set) else set())) for z, w in zip(got["zones"], want, strict=True)
    )


def test_demo_sides_agree_with_the_ground_truth_away_from_the_line():
    """A true report given a side names the side where what it saw really happened."""
    scenario = load_scenario()
    demo = ROOT / "data" / "demo"
    reports = pd.concat(
        [read_batch(p.read_bytes(), filename=p.name).accepted for p in sorted(demo.glob("*.geojson"))],
        ignore_index=True,
    )
    got = measure(reports, lines=scenario.lines, control_areas=scenario.control_areas, zones=scenario.zones)
    truth = reports[["uid"]].join(got).merge(pd.read_csv(demo / "ground_truth.csv"), on="uid", how="inner")
    origin = truth["observed"] == "origin"
    lon = np.where(origin, truth["true_origin_lon"], truth["true_impact_lon"])
    lat = np.where(origin, truth["true_origin_lat"], truth["true_impact_lat"])
    seen = gpd.GeoDataFrame(
        {"version": truth["line_version"]}, geometry=gpd.points_from_xy(lon, lat), crs=4326
    )
    joined = gpd.sjoin(seen, scenario.control_areas, predicate="within")
    joined = joined[joined["version_left"] == joined["version_right"]]
    true_side = joined.groupby(level=0)["side"].first().reindex(truth.index)
    # The true place's distance to the line of the report's version, in the theatre projection.
    crs = theatre_crs(*centre_of(scenario.lines))
    metric_lines = scenario.lines.to_crs(crs).set_index("version").geometry
    metric = seen.to_crs(crs)
    true_dist = np.full(len(seen), np.nan)
    for version, line in metric_lines.items():  # two versions
        rows = (seen["version"] == version).to_numpy() & np.isfinite(lon) & np.isfinite(lat)
        true_dist[rows] = shapely.distance(metric.geometry.to_numpy()[rows], line)
    # A report closer to the true place than the true place is to the line lies in a disc that
    # the line does not cross: it must be on the same side.
    error = shapely.distance(
        metric.geometry.to_numpy(), reports.set_index("uid").loc[truth["uid"]].to_crs(crs).geometry.to_numpy()
    )
    clear = (
        truth["observed"].notna()
        & ~truth["is_false_report"].astype(bool)
        & truth["side"].isin(["UA", "RU"])
        & (true_dist > 2_000)
        & (error < true_dist)
    )
    assert clear.sum() > 1_000
    assert (truth.loc[clear, "side"] == true_side[clear]).all()
