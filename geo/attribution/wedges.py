"""A report's bearing and distance bracket, with defaults by means of observation; wedges drawn geodesically."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd
from pyproj import Geod

GEOD = Geod(ellps="WGS84")

# Types whose sound or flash is at the weapon, so a sector from the observer locates the firing
# position. An impact's bearing points at where the round landed, not where it came from.
ORIGIN_TYPES: frozenset[str] = frozenset({"outgoing_fire", "muzzle_flash", "burst_or_shots"})
# Crater analysis reads the direction of fire from the crater, so its bearing points back at the
# weapon whatever the report's type.
BACK_BEARING_MEANS: frozenset[str] = frozenset({"crater_analysis"})

# (nearest, farthest) metres when a report gives no distance; docs/METHOD.md ("Fire origin") says why.
DEFAULT_DISTANCES_M: dict[str, tuple[float, float]] = {
    "heard": (300.0, 20_000.0),
    "seen": (200.0, 5_000.0),
    "camera": (200.0, 8_000.0),
    "uav": (0.0, 3_000.0),
}
FALLBACK_DISTANCE_M: tuple[float, float] = (300.0, 20_000.0)
# Crater analysis gives a direction, not a distance: the weapon's reach bounds it.
WEAPON_REACH_M: dict[str, tuple[float, float]] = {
    "small_arms": (100.0, 2_000.0),
    "mortar": (300.0, 8_000.0),
    "artillery_lt100mm": (1_000.0, 15_000.0),
    "artillery_ge100mm": (2_000.0, 30_000.0),
    "mlrs": (3_000.0, 40_000.0),
    "heavy_mlrs_tactical_missile": (10_000.0, 120_000.0),
    "tank": (500.0, 10_000.0),
}

# Vertices per arc: a 30-degree arc then departs from the true circle by 0.003 % of its radius
# (0.3 m at 10 km).
ARC_VERTICES = 33
# A distance given as one number (both ends equal) is widened by this share each way.
EXACT_DISTANCE_SPREAD = 0.1
# The widest sector: a full circle drawn as one ring would touch itself along the seam.
MAX_WIDTH_DEG = 359.0


def column(frame: pd.DataFrame, name: str, *, dtype: type = float) -> np.ndarray:
    """Return a column as a numpy array (NaN or None where missing), or all-missing if absent."""
    missing = np.nan if dtype is float else None
    if name in frame:
        return frame[name].to_numpy(dtype=dtype, na_value=missing)
    return np.full(len(frame), missing, dtype=dtype)


def bearings(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (has a bearing, centre, clockwise spread) in degrees for every report.

    A range (``bearing_min_deg``..``bearing_max_deg``, which a compass point also fills) is read
    clockwise from its minimum, so 350..20 is centred on 5 and spreads 30 degrees across north; a
    single number has no spread of its own (its error comes from the means of observation).
    """
    bearing = column(frame, "bearing_deg")
    lo, hi = column(frame, "bearing_min_deg"), column(frame, "bearing_max_deg")
    span = np.where(hi > lo, hi - lo, hi - lo + 360.0)
    has_range = np.isfinite(lo) & np.isfinite(hi) & (lo != hi)
    span = np.minimum(np.where(has_range, span, 0.0), MAX_WIDTH_DEG)
    centre = np.where(has_range, lo + span / 2, np.where(np.isfinite(bearing), bearing, lo)) % 360.0
    return has_range | np.isfinite(centre), centre, span


def distances(
    frame: pd.DataFrame, *, defaults: Mapping[str, tuple[float, float]] | None = None, spread: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Return (nearest, farthest) metres, filling what a report leaves out from its means or weapon.

    A lone farthest distance starts at the default nearest or half of it, whichever is less; a
    lone nearest distance ends at the default farthest or twice it, whichever is more. With
    ``spread``, a single distance is widened by :data:`EXACT_DISTANCE_SPREAD` each way (for a
    drawn bracket); without, it stays one number (a density adds its own error).
    """
    n = len(frame)
    dmin, dmax = column(frame, "distance_min_m"), column(frame, "distance_max_m")
    means = column(frame, "means", dtype=object)
    weapon = column(frame, "weapon", dtype=object)
    def_lo = np.full(n, FALLBACK_DISTANCE_M[0])
    def_hi = np.full(n, FALLBACK_DISTANCE_M[1])
    for name, (lo, hi) in {**DEFAULT_DISTANCES_M, **(defaults or {})}.items():
        hit = means == name
        def_lo[hit], def_hi[hit] = lo, hi
    crater = np.isin(means, list(BACK_BEARING_MEANS))
    for name, (lo, hi) in WEAPON_REACH_M.items():
        hit = crater & (weapon == name)
        def_lo[hit], def_hi[hit] = lo, hi
    has_lo, has_hi = np.isfinite(dmin), np.isfinite(dmax)
    lo = np.where(has_lo, dmin, np.where(has_hi, np.minimum(def_lo, dmax / 2), def_lo))
    hi = np.where(has_hi, dmax, np.where(has_lo, np.maximum(def_hi, dmin * 2), def_hi))
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    if not spread:
        return np.maximum(lo, 0.0), hi
    exact = (hi - lo) < EXACT_DISTANCE_SPREAD * hi
    mid = (lo + hi) / 2
    lo = np.where(exact, mid * (1 - EXACT_DISTANCE_SPREAD), lo)
    hi = np.where(exact, mid * (1 + EXACT_DISTANCE_SPREAD), hi)
    return np.maximum(lo, 0.0), hi


def locates_origin(frame: pd.DataFrame, *, origin_types: Collection[str]) -> np.ndarray:
    """Return where a report's observer, bearing and type say where the weapon was."""
    rtype = column(frame, "type", dtype=object)
    means = column(frame, "means", dtype=object)
    return np.isin(rtype, list(origin_types)) | np.isin(means, list(BACK_BEARING_MEANS))


def sector_rings(
    lon: np.ndarray,
    lat: np.ndarray,
    start: np.ndarray,
    width: np.ndarray,
    dmin: np.ndarray,
    dmax: np.ndarray,
) -> np.ndarray:
    """Return (m, 2k, 2) lon/lat rings of annular wedges, every vertex from one vectorised Geod.fwd.

    Each ring runs clockwise along the outer arc and back along the inner one (a single point,
    the observer, when the nearest distance is 0); ``shapely.polygons`` closes it.
    """
    m, k = len(lon), ARC_VERTICES
    az = start[:, None] + width[:, None] * np.linspace(0.0, 1.0, k)[None, :]
    az = np.concatenate([az, az[:, ::-1]], axis=1)
    dist = np.concatenate([np.repeat(dmax[:, None], k, 1), np.repeat(dmin[:, None], k, 1)], axis=1)
    olon = np.repeat(lon[:, None], 2 * k, 1)
    olat = np.repeat(lat[:, None], 2 * k, 1)
    vlon, vlat, _ = GEOD.fwd(olon.ravel(), olat.ravel(), (az % 360.0).ravel(), dist.ravel())
    vlon, vlat = np.reshape(vlon, (m, 2 * k)), np.reshape(vlat, (m, 2 * k))
    # Geod.fwd at distance 0 returns the observer give or take rounding, and those zigzags would
    # make the ring self-intersecting: pin them to the observer exactly.
    at_observer = dist == 0
    vlon[at_observer], vlat[at_observer] = olon[at_observer], olat[at_observer]
    return np.stack([vlon, vlat], axis=-1)
