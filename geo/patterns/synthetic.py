"""Seeded synthetic reports with known truth: a homogeneous background, planted clusters and surges.

Used by the tests, ``python -m geo.patterns.calibrate`` and ``bench/patterns.py``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import geodesic_m

START = pd.Timestamp("2026-10-01", tz="UTC")
# A box on the Zaporizhzhia front, about 150 km by 110 km.
BOX = (35.0, 47.0, 37.0, 48.0)
TYPES = ("impact", "undetermined_explosion", "outgoing_fire", "burst_or_shots")
M_PER_DEG_LAT = 111_320.0


def _frame(lon, lat, times, sector, *, prefix: str, rng: np.random.Generator) -> gpd.GeoDataFrame:
    n = len(lon)
    return gpd.GeoDataFrame(
        {
            "uid": [f"{prefix}{i}" for i in range(n)],
            "occurred_at": pd.to_datetime(times, utc=True),
            "sector": np.asarray(sector, dtype=object),
            "side": rng.choice(["UA", "RU"], n),
            "type": rng.choice(TYPES, n),
            "dist_to_line_m": rng.exponential(5_000, n),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )


def background(
    n: int, *, seed: int, days: int = 31, box: tuple[float, ...] = BOX, sectors: int = 3
) -> gpd.GeoDataFrame:
    """N reports uniform in the box and in time over ``days`` days (a homogeneous Poisson process given n).

    Sectors are equal bands of longitude named S1, S2, ...
    """
    rng = np.random.default_rng(seed)
    lon = rng.uniform(box[0], box[2], n)
    lat = rng.uniform(box[1], box[3], n)
    times = START.value + rng.integers(0, days * 86_400 * 10**9, n)
    band = np.minimum(((lon - box[0]) / (box[2] - box[0]) * sectors).astype(int), sectors - 1)
    return _frame(lon, lat, times, [f"S{b + 1}" for b in band], prefix="b", rng=rng)


def plant_cluster(
    frame: gpd.GeoDataFrame,
    n: int,
    *,
    seed: int,
    centre: tuple[float, float],
    radius_m: float,
    first_day: int,
    days: int,
    sector: str = "S2",
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Add n reports uniform in a disk of ``radius_m`` over ``days`` days; return the frame and their uids."""
    rng = np.random.default_rng(seed)
    r = radius_m * np.sqrt(rng.uniform(0, 1, n))
    theta = rng.uniform(0, 2 * np.pi, n)
    lat = centre[1] + r * np.sin(theta) / M_PER_DEG_LAT
    lon = centre[0] + r * np.cos(theta) / (M_PER_DEG_LAT * np.cos(np.radians(centre[1])))
    start = (START + pd.Timedelta(days=first_day)).value
    times = start + rng.integers(0, days * 86_400 * 10**9, n)
    planted = _frame(lon, lat, times, [sector] * n, prefix=f"c{seed}-", rng=rng)
    return pd.concat([frame, planted], ignore_index=True), planted["uid"].tolist()


def plant_surge(
    frame: gpd.GeoDataFrame, n: int, *, seed: int, sector: str, day: int, box: tuple[float, ...] = BOX
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Add n reports spread over one sector's band of the box on one day; return the frame and their uids."""
    rng = np.random.default_rng(seed)
    sectors = int(frame["sector"].str.slice(1).astype(int).max())
    k = int(sector[1:]) - 1
    width = (box[2] - box[0]) / sectors
    lon = rng.uniform(box[0] + k * width, box[0] + (k + 1) * width, n)
    lat = rng.uniform(box[1], box[3], n)
    times = (START + pd.Timedelta(days=day)).value + rng.integers(0, 86_400 * 10**9, n)
    planted = _frame(lon, lat, times, [sector] * n, prefix=f"s{seed}-", rng=rng)
    return pd.concat([frame, planted], ignore_index=True), planted["uid"].tolist()


def along_line(
    n: int, *, seed: int, line: shapely.LineString, days: int = 31, spread_m: float = 10_000
) -> gpd.GeoDataFrame:
    """N reports at uniform places along a line, offset across it by a normal spread, uniform in time.

    For benchmarks: real reports gather near the contact line, not over a whole box. Sectors are
    eight equal stretches of the line.
    """
    rng = np.random.default_rng(seed)
    fraction = rng.uniform(0, 1, n)
    on_line = shapely.line_interpolate_point(line, fraction, normalized=True)
    offset = rng.normal(0, spread_m, n)
    angle = rng.uniform(0, 2 * np.pi, n)
    lat0 = shapely.get_y(on_line)
    lat = lat0 + offset * np.sin(angle) / M_PER_DEG_LAT
    lon = shapely.get_x(on_line) + offset * np.cos(angle) / (M_PER_DEG_LAT * np.cos(np.radians(lat0)))
    times = START.value + rng.integers(0, days * 86_400 * 10**9, n)
    frame = _frame(lon, lat, times, [f"S{int(f * 8) + 1}" for f in fraction], prefix="l", rng=rng)
    frame["dist_to_line_m"] = geodesic_m(lon, lat, shapely.get_x(on_line), shapely.get_y(on_line))
    return frame
