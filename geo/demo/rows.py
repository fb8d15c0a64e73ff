"""The row every simulated report starts from, time units, and the shared placement noise."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from geo.demo.geography import GEOD

REPORT_DEFAULTS: dict[str, Any] = {
    "h": -1,
    "means": None,
    "t_from": -1,
    "t_to": -1,
    "time_precision": "minute",
    "location_precision_m": np.nan,
    "observer_lon": np.nan,
    "observer_lat": np.nan,
    "bearing_deg": np.nan,
    "bearing_min_deg": np.nan,
    "bearing_max_deg": np.nan,
    "distance_min_m": np.nan,
    "distance_max_m": np.nan,
    "description": None,
    "attributed_to": None,
    "observed": "",
    "copy_of": -1,
    "repeat_of": -1,
}
MINUTE, HOUR, DAY = 60_000_000_000, 3_600_000_000_000, 86_400_000_000_000


def report_rows(**columns: Any) -> pd.DataFrame:
    """Report rows from the given columns, every other column at its REPORT_DEFAULTS value."""
    n = len(columns["h"])
    return pd.DataFrame({**{k: [v] * n for k, v in REPORT_DEFAULTS.items()}, **columns})


def scatter(rng: np.random.Generator, lon, lat, sigma_m) -> tuple[np.ndarray, np.ndarray]:
    """Move each point by a 2-D Gaussian error of ``sigma_m`` metres per axis (Rayleigh distance)."""
    n = len(lon)
    lon2, lat2, _ = GEOD.fwd(lon, lat, rng.uniform(0, 360, n), rng.rayleigh(1.0, n) * sigma_m)
    return lon2, lat2


def observed_point(
    h_frame: pd.DataFrame, h: np.ndarray, observed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The (lon, lat) each report observes: the happening's impact or its origin."""
    impact = observed == "impact"
    lon = np.where(impact, h_frame["ilon"].to_numpy()[h], h_frame["olon"].to_numpy()[h])
    lat = np.where(impact, h_frame["ilat"].to_numpy()[h], h_frame["olat"].to_numpy()[h])
    return lon, lat
