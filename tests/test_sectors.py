"""Sectors: a report belongs to the named stretch of the line nearest to it."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from geo.errors import InputError
from geo.proximity import measure
from geo.scenario import load_scenario
from geo.scenario.sectors import assign_sectors, load_sectors


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
