"""Fire origin: a probability density per report from observer, bearing and distance; Stansfield fixes; p(side)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.attribution.density import Densities, build, normal_draws, side_probability
from geo.attribution.fix import Fixes, ellipse_draws, stansfield
from geo.attribution.sides import ATTRIBUTION_THRESHOLD, SIDES
from geo.attribution.triangulate import Sightings, pairs_in_window, triangulate
from geo.attribution.wedges import (
    DEFAULT_DISTANCES_M,
    MAX_WIDTH_DEG,
    ORIGIN_TYPES,
    bearings,
    column,
    distances,
    locates_origin,
    sector_rings,
)
from geo.crs import centre_of, require_wgs84, theatre_crs, transformer
from geo.errors import InputError
from geo.lookup import distinct

# Reports are tried together when their wedges this many standard deviations wide overlap; the
# fix's chi-square test then keeps them together or calls them inconsistent (geo.attribution.fix).
TRIANGULATION_SIGMAS = 3.0
# The wedge drawn on the map: two standard deviations each way, about 95 % of the density's mass.
MAP_SIGMAS = 2.0

__all__ = [
    "DEFAULT_DISTANCES_M",
    "ORIGIN_TYPES",
    "OUTPUT_COLUMNS",
    "SIDES",
    "estimate_origins",
    "origin_sectors",
]

OUTPUT_COLUMNS: tuple[str, ...] = (
    "origin_lon",
    "origin_lat",
    "origin_method",
    "origin_group",
    "origin_p_UA",
    "origin_p_RU",
    "origin_side",
    "origin_side_p",
    "origin_ellipse_major_m",
    "origin_ellipse_minor_m",
    "origin_ellipse_azimuth_deg",
)


@dataclass(frozen=True)
class _Origins:
    """What both public functions need; ``m`` is the number of reports with an origin density."""

    valid: np.ndarray  # (n,) bool: the report has an origin density
    density: Densities  # (m,) the densities, theatre CRS
    times: np.ndarray  # (m,) occurred_at, UTC nanoseconds
    group: np.ndarray  # (m,) group id of a consistent fix, or None
    inconsistent: np.ndarray  # (m,) bool: tried with others whose bearings do not agree
    fixes: Fixes  # one per group id in ``group_ids``
    group_ids: list[str]
    rings: np.ndarray  # (m, 2k, 2) the two-sigma wedges in lon/lat, for the map
    uid: np.ndarray  # (n,) report keys
    crs: object  # the theatre CRS
    to_lonlat: Transformer
    partners: np.ndarray  # (k, 2) report positions (rows of the input) tried together in triangulation


def _wedges(d: Densities, lon: np.ndarray, lat: np.ndarray, sigmas: float) -> np.ndarray:
    """Rings of the wedge ``sigmas`` standard deviations wide in bearing and log-distance (lon/lat, geodesic)."""
    half = np.minimum(sigmas * d.sigma_bearing, MAX_WIDTH_DEG / 2)
    near = np.exp(d.log_d - sigmas * d.sigma_log_d)
    far = np.exp(d.log_d + sigmas * d.sigma_log_d)
    return sector_rings(lon, lat, (d.bearing - half) % 360.0, 2 * half, near, far)


def _planar_wedges(d: Densities, sigmas: float, k: int = 17) -> np.ndarray:
    """The same wedges drawn in the theatre CRS from the observer's grid north: (m, 2k) polygons.

    Within the few tens of kilometres of a heard or seen fire the azimuthal equidistant projection
    departs from the geodesic by far less than a bearing's error; these are for grouping only.
    """
    half = np.minimum(sigmas * d.sigma_bearing, MAX_WIDTH_DEG / 2)
    near = np.exp(d.log_d - sigmas * d.sigma_log_d)
    far = np.exp(d.log_d + sigmas * d.sigma_log_d)
    az = (d.bearing + d.north - half)[:, None] + (2 * half)[:, None] * np.linspace(0.0, 1.0, k)[None, :]
    az = np.radians(np.concatenate([az, az[:, ::-1]], axis=1))
    dist = np.concatenate([np.repeat(far[:, None], k, 1), np.repeat(near[:, None], k, 1)], axis=1)
    x = d.x[:, None] + dist * np.sin(az)
    y = d.y[:, None] + dist * np.cos(az)
    return shapely.polygons(np.stack([x, y], axis=-1))


def _compute(
    incidents: pd.DataFrame,
    control_areas: gpd.GeoDataFrame,
    *,
    window_minutes: float,
    observer_apart_m: float,
    default_distances_m: Mapping[str, tuple[float, float]] | None,
    origin_types: Collection[str],
    rings: bool = False,
    partners_only: bool = False,
) -> _Origins | np.ndarray:
    """The origins of ``incidents``; with ``partners_only``, only the pairs tried in triangulation."""
    require_wgs84(control_areas, what="The control areas")
    absent = [c for c in ("side", "version", "valid_from") if c not in control_areas]
    if absent:
        msg = f"The control areas lack the column(s) {', '.join(absent)}."
        raise InputError(msg, hint="Load them with geo.scenario.load_scenario (docs/ARCHITECTURE.md).")
    if not window_minutes >= 0:
        msg = f"window_minutes {window_minutes!r} is not a non-negative number."
        raise InputError(msg, hint="Give the triangulation time window in minutes, for example 10.")
    missing = [c for c in ("type", "occurred_at") if c not in incidents]
    if missing:
        msg = f"The incidents lack the column(s) {', '.join(missing)}."
        raise InputError(msg, hint="Pass the normalised frame from geo.ingest.read_batch or the store.")
    lon, lat = column(incidents, "observer_lon"), column(incidents, "observer_lat")
    has_bearing, centre, spread = bearings(incidents)
    dmin, dmax = distances(incidents, defaults=default_distances_m, spread=False)
    valid = locates_origin(incidents, origin_types=origin_types) & np.isfinite(lon) & np.isfinite(lat)
    valid &= has_bearing & (dmax > 0)
    uid = (
        incidents["uid"].astype(str).to_numpy(dtype=object)
        if "uid" in incidents
        else np.asarray([str(label) for label in incidents.index], dtype=object)
    )
    crs = theatre_crs(*centre_of(control_areas))
    to_xy = transformer(4326, crs)
    v = np.flatnonzero(valid)
    means = column(incidents, "means", dtype=object)[v]
    given = np.isfinite(column(incidents, "distance_min_m")) | np.isfinite(
        column(incidents, "distance_max_m")
    )
    d = build(lon[v], lat[v], means, centre[v], spread[v], dmin[v], dmax[v], to_xy, flat=~given[v])
    times = pd.DatetimeIndex(incidents["occurred_at"]).as_unit("ns").asi8[v]
    source = column(incidents, "source", dtype=object)[v]
    # Triangulation is tried only among reports with a partner: another observer in the window.
    i, j = pairs_in_window(times, round(window_minutes * 60e9))
    observers = Sightings(np.empty(0), times, source, lon[v], lat[v], uid[v])
    reach = np.exp(d.log_d + TRIANGULATION_SIGMAS * d.sigma_log_d)
    keep = np.hypot(d.x[i] - d.x[j], d.y[i] - d.y[j]) <= reach[i] + reach[j]
    i, j = i[keep], j[keep]
    keep = observers.different_observers(i, j, apart_m=observer_apart_m)
    partners = np.column_stack([v[i[keep]], v[j[keep]]]).astype(np.int64)
    if partners_only:
        return partners
    partnered = distinct(np.concatenate([i[keep], j[keep]]))
    wedge_rings = _wedges(d, lon[v], lat[v], MAP_SIGMAS) if rings else np.empty((0, 0, 2))
    group = np.full(len(v), None, dtype=object)
    inconsistent = np.zeros(len(v), dtype=bool)
    gids: list[str] = []
    fixes = Fixes.empty()
    if len(partnered) >= 2:
        sub = partnered
        sightings = Sightings(
            sectors=_planar_wedges(_take(d, sub), TRIANGULATION_SIGMAS),
            times=times[sub],
            source=source[sub],
            lon=lon[v][sub],
            lat=lat[v][sub],
            uid=uid[v][sub],
            weapon=column(incidents, "weapon", dtype=object)[v][sub],
        )
        tried, _ = triangulate(sightings, window_ns=round(window_minutes * 60e9), apart_m=observer_apart_m)
        in_group = np.flatnonzero(pd.notna(tried))
        if len(in_group):
            labels, number = np.unique(tried[in_group].astype(str), return_inverse=True)
            members = sub[in_group]
            fixes = stansfield(_take(d, members), number, len(labels))
            ok = fixes.consistent[number]
            group[members[ok]] = labels[number[ok]]
            inconsistent[members[~ok]] = True
            gids = list(labels)
    return _Origins(
        valid=valid,
        density=d,
        times=times,
        group=group,
        inconsistent=inconsistent,
        fixes=fixes,
        group_ids=gids,
        rings=wedge_rings,
        uid=uid,
        crs=crs,
        to_lonlat=transformer(crs, 4326),
        partners=partners,
    )


def _take(d: Densities, rows: np.ndarray) -> Densities:
    return Densities(*(getattr(d, f)[rows] for f in Densities.__dataclass_fields__))


def estimate_origins(
    incidents: pd.DataFrame,
    *,
    control_areas: gpd.GeoDataFrame,
    threshold: float = ATTRIBUTION_THRESHOLD,
    window_minutes: float = 5.0,
    observer_apart_m: float = 500.0,
    default_distances_m: Mapping[str, tuple[float, float]] | None = None,
    origin_types: Collection[str] = ORIGIN_TYPES,
) -> pd.DataFrame:
    """Estimate where each fire came from and the probability that each side's ground holds it.

    Parameters
    ----------
    incidents
        The normalised incident frame (docs/ARCHITECTURE.md); ``type`` and ``occurred_at`` are
        required, the observer, bearing, distance, ``means``, ``source`` and ``uid`` columns used
        when present.
    control_areas
        EPSG:4326 polygons with ``side``, ``version`` and ``valid_from``; each report is measured
        against the version in force at its ``occurred_at``.
    threshold
        A side is named when its probability reaches this; otherwise ``undetermined``.
    window_minutes
        Reports at most this far apart in time may triangulate.
    observer_apart_m
        Reports of one source whose observer points are farther apart than this count as
        different observers (a patrol that moved).
    default_distances_m
        ``means`` -> (nearest, farthest) metres when a report gives no distance, merged over
        :data:`DEFAULT_DISTANCES_M`.
    origin_types
        Report types whose bearing points at the weapon (default :data:`ORIGIN_TYPES`); crater
        analyses always do.

    Returns
    -------
    pandas.DataFrame
        Aligned on ``incidents.index``, the columns of :data:`OUTPUT_COLUMNS`
        (docs/ARCHITECTURE.md, "Enrichment columns"). ``origin_method`` is ``bearing`` (the
        report's own density), ``triangulated`` (a Stansfield fix of a consistent group; the
        ellipse columns are its 95 % error ellipse), ``inconsistent`` (tried with reports whose
        bearings do not agree: its own density) or ``none``.

    Raises
    ------
    InputError
        When the threshold is not in (0.5, 1], an option is out of range, the control areas are
        not EPSG:4326 or lack ``side``, ``version`` or ``valid_from``, or the incidents lack
        ``type`` or ``occurred_at``.
    """
    return estimate_origins_linked(
        incidents,
        control_areas=control_areas,
        threshold=threshold,
        window_minutes=window_minutes,
        observer_apart_m=observer_apart_m,
        default_distances_m=default_distances_m,
        origin_types=origin_types,
    )[0]


def triangulation_links(
    incidents: pd.DataFrame,
    *,
    control_areas: gpd.GeoDataFrame,
    window_minutes: float = 5.0,
    observer_apart_m: float = 500.0,
    default_distances_m: Mapping[str, tuple[float, float]] | None = None,
    origin_types: Collection[str] = ORIGIN_TYPES,
) -> np.ndarray:
    """The pairs of report positions :func:`estimate_origins_linked` tries together, without the origins."""
    return _compute(
        incidents,
        control_areas,
        window_minutes=window_minutes,
        observer_apart_m=observer_apart_m,
        default_distances_m=default_distances_m,
        origin_types=origin_types,
        partners_only=True,
    )


def estimate_origins_linked(
    incidents: pd.DataFrame,
    *,
    control_areas: gpd.GeoDataFrame,
    threshold: float = ATTRIBUTION_THRESHOLD,
    window_minutes: float = 5.0,
    observer_apart_m: float = 500.0,
    default_distances_m: Mapping[str, tuple[float, float]] | None = None,
    origin_types: Collection[str] = ORIGIN_TYPES,
) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`estimate_origins`, and the pairs of report positions tried together in triangulation.

    A report's origin depends only on the reports linked to it by those pairs (directly or through
    others), which is what lets :mod:`geo.incremental` recompute only what a batch touches.
    """
    if not 0.5 < threshold <= 1:
        msg = f"The attribution threshold {threshold!r} is not above 0.5 and at most 1."
        raise InputError(msg, hint="Use a probability such as 0.9, so at most one side can reach it.")
    o = _compute(
        incidents,
        control_areas,
        window_minutes=window_minutes,
        observer_apart_m=observer_apart_m,
        default_distances_m=default_distances_m,
        origin_types=origin_types,
    )
    n = len(incidents)
    v = np.flatnonzero(o.valid)
    out = {
        "origin_lon": np.full(n, np.nan),
        "origin_lat": np.full(n, np.nan),
        "origin_method": np.full(n, "none", dtype=object),
        "origin_group": np.full(n, None, dtype=object),
        "origin_p_UA": np.full(n, np.nan),
        "origin_p_RU": np.full(n, np.nan),
        "origin_side": np.full(n, None, dtype=object),
        "origin_side_p": np.full(n, np.nan),
        "origin_ellipse_major_m": np.full(n, np.nan),
        "origin_ellipse_minor_m": np.full(n, np.nan),
        "origin_ellipse_azimuth_deg": np.full(n, np.nan),
    }
    if len(v):
        times = incidents["occurred_at"].iloc[v]
        x, y = o.density.median_point()
        p_ua = side_probability(None, o.density, times, control_areas, crs=o.crs)
        grouped = np.flatnonzero(pd.notna(o.group))
        method = np.where(o.inconsistent, "inconsistent", "bearing").astype(object)
        if len(grouped):
            index = {g: k for k, g in enumerate(o.group_ids)}
            number = np.array([index[g] for g in o.group[grouped]])
            fx, fy = o.fixes.x[number], o.fixes.y[number]
            draws = ellipse_draws(o.fixes, normal_draws())
            first = np.unique(number, return_index=True)[1]
            # One integral per group, on the ground in force at its first member's time.
            p_fix = side_probability(
                (draws[0][number[first]], draws[1][number[first]]),
                _take(o.density, grouped[first]),
                times.iloc[grouped[first]],
                control_areas,
                crs=o.crs,
            )
            x[grouped], y[grouped] = fx, fy
            p_ua[grouped] = _spread(p_fix, number, first)
            major, minor, azimuth = o.fixes.ellipse()
            out["origin_ellipse_major_m"][v[grouped]] = major[number]
            out["origin_ellipse_minor_m"][v[grouped]] = minor[number]
            out["origin_ellipse_azimuth_deg"][v[grouped]] = azimuth[number]
            method[grouped] = "triangulated"
        lon, lat = o.to_lonlat.transform(x, y)
        out["origin_lon"][v], out["origin_lat"][v] = lon, lat
        out["origin_method"][v] = method
        out["origin_group"][v] = o.group
        out["origin_p_UA"][v] = p_ua
        out["origin_p_RU"][v] = 1 - p_ua
        side = np.where(np.isfinite(p_ua), "undetermined", None).astype(object)
        side[np.nan_to_num(p_ua) >= threshold] = "UA"
        side[np.nan_to_num(1 - p_ua, nan=0.0) >= threshold] = "RU"
        out["origin_side"][v] = side
        out["origin_side_p"][v] = np.fmax(p_ua, 1 - p_ua)
    return pd.DataFrame(out, index=incidents.index), o.partners


def _spread(per_group: np.ndarray, number: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Give each member its group's value (``per_group`` is ordered like ``number[first]``)."""
    by_number = np.full(number.max() + 1, np.nan)
    by_number[number[first]] = per_group
    return by_number[number]


def _ellipse_rings(fixes: Fixes, k: int = 48) -> np.ndarray:
    """The 95 % error ellipse of each fix as a ring in the theatre CRS."""
    major, minor, azimuth = fixes.ellipse()
    t = np.linspace(0, 2 * np.pi, k, endpoint=False)
    a = np.radians(azimuth)[:, None]
    ex, ey = major[:, None] * np.cos(t), minor[:, None] * np.sin(t)
    # Major axis at `azimuth` clockwise from grid north.
    x = fixes.x[:, None] + ex * np.sin(a) + ey * np.cos(a)
    y = fixes.y[:, None] + ex * np.cos(a) - ey * np.sin(a)
    return np.stack([x, y], axis=-1)


def origin_sectors(
    incidents: pd.DataFrame,
    *,
    control_areas: gpd.GeoDataFrame,
    window_minutes: float = 5.0,
    observer_apart_m: float = 500.0,
    default_distances_m: Mapping[str, tuple[float, float]] | None = None,
    origin_types: Collection[str] = ORIGIN_TYPES,
) -> gpd.GeoDataFrame:
    """Return each report's origin wedge and each triangulation's error ellipse, for the map.

    Parameters are those of :func:`estimate_origins`; ``control_areas`` chooses the theatre CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326. One row per report with an origin (``kind='sector'``: the wedge two standard
        deviations wide in bearing and log-distance, about 95 % of its density; its ``uid`` and
        ``origin_group``) and one per consistent triangulation (``kind='intersection'``: the fix's
        95 % error ellipse, its ``origin_group``, no ``uid``); ``area_km2`` measured in the
        theatre CRS.
    """
    o = _compute(
        incidents,
        control_areas,
        window_minutes=window_minutes,
        observer_apart_m=observer_apart_m,
        default_distances_m=default_distances_m,
        origin_types=origin_types,
        rings=True,
    )
    used = sorted({g for g in o.group if g is not None})
    keep = np.array([o.group_ids.index(g) for g in used], dtype=int)
    ellipse_xy = shapely.polygons(_ellipse_rings(o.fixes)[keep]) if len(keep) else np.empty(0, dtype=object)
    ellipses = shapely.transform(
        ellipse_xy, lambda c: np.column_stack(o.to_lonlat.transform(c[:, 0], c[:, 1]))
    )
    wedges = shapely.polygons(o.rings) if len(o.rings) else np.empty(0, dtype=object)
    to_xy = transformer(4326, o.crs)
    wedge_xy = shapely.transform(wedges, lambda c: np.column_stack(to_xy.transform(c[:, 0], c[:, 1])))
    frame = pd.DataFrame(
        {
            "uid": pd.array([*o.uid[o.valid], *([None] * len(used))], dtype=object),
            "origin_group": pd.array([*o.group, *used], dtype=object),
            "kind": ["sector"] * len(wedges) + ["intersection"] * len(used),
            "area_km2": np.concatenate([shapely.area(wedge_xy), shapely.area(ellipse_xy)]) / 1e6,
        }
    )
    return gpd.GeoDataFrame(frame, geometry=np.concatenate([wedges, ellipses]), crs=4326)
