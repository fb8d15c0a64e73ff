"""Sectors: a report belongs to the named stretch of the line nearest to it."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.crs import centre_of, from_theatre, theatre_crs, to_theatre
from geo.errors import InputError
from geo.pipeline import scenario_sectors
from geo.proximity import measure
from geo.scenario import load_scenario
from geo.scenario.sectors import assign_sectors, load_sectors
from geo.settings import load_settings


def test_points_near_towns_fall_in_their_sector():
    scenario = load_scenario()
    sectors = load_sectors()
    # Towns well inside each stretch (lon, lat), and the sector the demo names for them.
    towns = {
        "Kupiansk": (37.61, 49.71),
        "Bakhmut": (38.00, 48.59),
        "Pokrovsk": (37.18, 48.28),
        "Zaporizhzhia": (35.87, 47.45),
        "Kherson": (32.62, 46.64),
    }
    reports = gpd.GeoDataFrame(
        {
            "occurred_at": pd.Timestamp("2026-10-05T00:00Z"),
            "location_precision_m": 0.0,
        },
        index=range(len(towns)),
        geometry=gpd.points_from_xy(*zip(*towns.values(), strict=True)),
        crs=4326,
    )
    near = measure(reports, lines=scenario.lines, control_areas=scenario.control_areas, zones=scenario.zones)
    nearest = gpd.GeoSeries.from_xy(near["nearest_lon"], near["nearest_lat"], crs=4326)
    got = assign_sectors(nearest, near["line_version"], lines=scenario.lines, sectors=sectors)
    assert list(got) == list(towns)


def test_a_missing_sectors_file_is_named(tmp_path):
    with pytest.raises(InputError, match=r"sectors file .* is missing"):
        load_sectors(tmp_path)


def _whole_line(nearest, line_version, *, lines, sectors):
    """The sectors as measured along the whole line for every point (the reference)."""
    crs = theatre_crs(*centre_of(lines))
    starts = sectors.to_crs(crs).geometry.to_numpy()
    points = nearest.to_crs(crs).to_numpy()
    names = sectors["sector"].to_numpy()
    out = np.full(len(nearest), None, dtype=object)
    for v, line in zip(lines["version"], lines.to_crs(crs).geometry, strict=True):
        rows = np.flatnonzero(line_version.to_numpy() == v)
        cuts = shapely.line_locate_point(line, starts)
        order = np.argsort(cuts)
        at = shapely.line_locate_point(line, points[rows])
        k = np.clip(np.searchsorted(cuts[order], at, side="right") - 1, 0, len(order) - 1)
        out[rows] = names[order][k]
    return out


def _hard_points(lines, sectors, rng):
    """Points at and within millimetres of each sector start and vertex along each line version, on
    the line and a few centimetres off it, with the sector starts themselves; lon/lat."""
    crs = theatre_crs(*centre_of(lines))
    starts = sectors.to_crs(crs).geometry.to_numpy()
    # Metres along the line: within float rounding, within and just past the fast path's 1 mm.
    offsets = np.concatenate(
        [
            np.linspace(-3e-9, 3e-9, 61),
            [1e-6, -1e-6, 1e-4, -1e-4, 9e-4, -9e-4, 1e-3, -1e-3, 2e-3, -2e-3, 0.05, -0.05],
        ]
    )
    xy, versions = [], []
    for v, line in zip(lines["version"], lines.to_crs(crs).geometry, strict=True):
        vertices = shapely.line_locate_point(line, shapely.points(shapely.get_coordinates(line)))
        at = np.concatenate([shapely.line_locate_point(line, starts), vertices])
        on = shapely.get_coordinates(shapely.line_interpolate_point(line, (at[:, None] + offsets).ravel()))
        for p in (on, on + rng.normal(0, 0.02, on.shape), shapely.get_coordinates(starts)):
            xy.append(p)
            versions += [v] * len(p)
    xy = np.concatenate(xy)
    return gpd.GeoSeries.from_xy(*from_theatre(xy[:, 0], xy[:, 1], crs), crs=4326), pd.Series(versions)


def _nearest_points(scenario, n, rng):
    """The nearest points on the line of ``n`` reports scattered over and around the theatre."""
    x0, y0, x1, y1 = scenario.lines.total_bounds
    reports = gpd.GeoDataFrame(
        {"occurred_at": pd.Series(pd.to_datetime(rng.choice(["2026-05-01", "2026-11-01"], n), utc=True))},
        geometry=gpd.points_from_xy(rng.uniform(x0 - 0.5, x1 + 0.5, n), rng.uniform(y0 - 0.5, y1 + 0.5, n)),
        crs=4326,
    )
    near = measure(reports, lines=scenario.lines, control_areas=scenario.control_areas, zones=scenario.zones)
    nearest = gpd.GeoSeries.from_xy(near["nearest_lon"], near["nearest_lat"], crs=4326)
    return nearest, near["line_version"].astype("str")


def test_the_sectors_are_those_of_the_whole_line_measure():
    # The demo's sector starts sit on vertices, where every report off a corner has its nearest
    # point: the fast path must agree with the whole line there to the last float.
    directory = load_settings().scenario_dir
    scenario = load_scenario(directory)
    sectors = scenario_sectors(directory)
    rng = np.random.default_rng(0)
    for nearest, version in (
        _nearest_points(scenario, 20_000, rng),
        _hard_points(scenario.lines, sectors, rng),
    ):
        got = assign_sectors(nearest, version, lines=scenario.lines, sectors=sectors)
        want = _whole_line(nearest, version, lines=scenario.lines, sectors=sectors)
        assert (got == want).all()


def test_a_line_that_passes_close_to_itself_keeps_the_whole_line_sectors():
    # A hairpin coming back 5 mm beside itself, a part through every 7th of its vertices (the
    # same point on two parts: GEOS takes the first) and a part 1 mm from it: the nearest segment
    # is a matter of millimetres or of the order of the parts. Half the sector starts lie between
    # vertices, where the fast path's position may differ from GEOS's in the last bit.
    scenario = load_scenario(load_settings().scenario_dir)
    crs = theatre_crs(*centre_of(scenario.lines))
    x, y = to_theatre(*shapely.get_coordinates(scenario.lines.geometry.iloc[0]).T, crs)
    out = np.column_stack([x, y])
    parts = [
        np.concatenate([out, out[::-1][: len(out) // 2] + np.array([0.005, 0.0])]),
        out[::-7],
        out[:40] + np.array([0.0, 0.001]),
    ]
    metric = shapely.multilinestrings([shapely.linestrings(p) for p in parts])
    line = shapely.multilinestrings(
        [shapely.linestrings(np.column_stack(from_theatre(*p.T, crs))) for p in parts]
    )
    lines = gpd.GeoDataFrame(
        {"version": ["v1"], "valid_from": [pd.Timestamp("2026-01-01T00:00Z")]}, geometry=[line], crs=4326
    )
    rng = np.random.default_rng(1)
    vertices = shapely.get_coordinates(metric)[rng.choice(len(shapely.get_coordinates(metric)), 6)]
    between = shapely.get_coordinates(
        shapely.line_interpolate_point(metric, rng.uniform(0, metric.length, 6))
    )
    starts = np.concatenate([vertices, between])
    sectors = gpd.GeoDataFrame(
        {"sector": [f"s{i}" for i in range(12)]},
        geometry=gpd.points_from_xy(*from_theatre(*starts.T, crs)),
        crs=4326,
    )
    nearest, version = _hard_points(lines, sectors, rng)
    got = assign_sectors(nearest, version, lines=lines, sectors=sectors)
    assert (got == _whole_line(nearest, version, lines=lines, sectors=sectors)).all()


def test_a_point_without_coordinates_gets_no_sector():
    scenario = load_scenario()
    nearest = gpd.GeoSeries(
        [None, shapely.Point(), shapely.Point(np.nan, np.nan), shapely.Point(37.6, 49.7)], crs=4326
    )
    got = assign_sectors(nearest, pd.Series(["v1"] * 4), lines=scenario.lines, sectors=load_sectors())
    assert list(got) == [None, None, None, "Kupiansk"]
