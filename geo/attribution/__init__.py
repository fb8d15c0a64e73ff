"""Fire origin: candidate sectors from observer, bearing and distance, triangulation and side probabilities."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.attribution.sectors import (
    DEFAULT_DISTANCES_M,
    ORIGIN_TYPES,
    bearings,
    column,
    distances,
    locates_origin,
    sector_rings,
)
from geo.attribution.sides import SIDES, side_areas
from geo.attribution.triangulate import Sightings, triangulate
from geo.crs import centre_of, require_wgs84, theatre_crs
from geo.errors import InputError

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
)


@dataclass(frozen=True)
class _Origins:
    """What both public functions need; ``m`` is the number of reports with a sector."""

    valid: np.ndarray  # (n,) bool: the report has a sector
    rings: np.ndarray  # (m, 2k, 2) sector outlines in lon/lat
    sectors: np.ndarray  # (m,) sector polygons in the theatre CRS
    areas: np.ndarray  # (m,) origin area: the group's intersection or the own sector
    group: np.ndarray  # (m,) group id or None
    group_areas: dict[str, shapely.Geometry]  # group id -> intersection in the theatre CRS
    uid: np.ndarray  # (n,) report keys
    crs: object  # the theatre CRS
    to_lonlat: Transformer


def _compute(
    incidents: pd.DataFrame,
    control_areas: gpd.GeoDataFrame,
    *,
    default_bearing_halfwidth_deg: float,
    window_minutes: float,
    observer_apart_m: float,
    default_distances_m: Mapping[str, tuple[float, float]] | None,
    origin_types: Collection[str],
) -> _Origins:
    require_wgs84(control_areas, what="The control areas")
    absent = [c for c in ("side", "version", "valid_from") if c not in control_areas]
    if absent:
        msg = f"The control areas lack the column(s) {', '.join(absent)}."
        raise InputError(msg, hint="Load them with geo.scenario.load_scenario (docs/ARCHITECTURE.md).")
    if not 0 < default_bearing_halfwidth_deg < 180:
        msg = f"default_bearing_halfwidth_deg {default_bearing_halfwidth_deg!r} is not between 0 and 180."
        raise InputError(msg, hint="Give the half-width of a plain bearing in degrees, for example 10.")
    if not window_minutes >= 0:
        msg = f"window_minutes {window_minutes!r} is not a non-negative number."
        raise InputError(msg, hint="Give the triangulation time window in minutes, for example 10.")
    missing = [c for c in ("type", "occurred_at") if c not in incidents]
    if missing:
        msg = f"The incidents lack the column(s) {', '.join(missing)}."
        raise InputError(msg, hint="Pass the normalised frame from geo.ingest.read_batch or the store.")
    lon, lat = column(incidents, "observer_lon"), column(incidents, "observer_lat")
    has_bearing, start, width = bearings(incidents, halfwidth=default_bearing_halfwidth_deg)
    dmin, dmax = distances(incidents, defaults=default_distances_m)
    valid = locates_origin(incidents, origin_types=origin_types) & np.isfinite(lon) & np.isfinite(lat)
    valid &= has_bearing & (dmax > 0)
    uid = (
        incidents["uid"].astype(str).to_numpy(dtype=object)
        if "uid" in incidents
        else np.asarray([str(label) for label in incidents.index], dtype=object)
    )
    crs = theatre_crs(*centre_of(control_areas))
    to_xy = Transformer.from_crs(4326, crs, always_xy=True)
    v = np.flatnonzero(valid)
    rings = sector_rings(lon[v], lat[v], start[v], width[v], dmin[v], dmax[v])
    x, y = to_xy.transform(rings[..., 0], rings[..., 1])
    sectors = shapely.polygons(np.stack([x, y], axis=-1)) if len(v) else np.empty(0, dtype=object)
    sightings = Sightings(
        sectors=sectors,
        times=pd.DatetimeIndex(incidents["occurred_at"]).as_unit("ns").asi8[v],
        source=column(incidents, "source", dtype=object)[v],
        lon=lon[v],
        lat=lat[v],
        uid=uid[v],
    )
    group, group_areas = triangulate(
        sightings, window_ns=round(window_minutes * 60e9), apart_m=observer_apart_m
    )
    areas = sectors.copy()
    grouped = np.flatnonzero(pd.notna(group))
    areas[grouped] = [group_areas[g] for g in group[grouped]]
    return _Origins(
        valid=valid,
        rings=rings,
        sectors=sectors,
        areas=areas,
        group=group,
        group_areas=group_areas,
        uid=uid,
        crs=crs,
        to_lonlat=Transformer.from_crs(crs, 4326, always_xy=True),
    )


def estimate_origins(
    incidents: pd.DataFrame,
    *,
    control_areas: gpd.GeoDataFrame,
    threshold: float = 0.9,
    default_bearing_halfwidth_deg: float = 10.0,
    window_minutes: float = 10.0,
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
    default_bearing_halfwidth_deg
        Half-width of the sector of a bearing given as a single number.
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
        (docs/ARCHITECTURE.md, "Enrichment columns").

    Raises
    ------
    InputError
        When the threshold is not in (0.5, 1], an option is out of range, the control areas are
        not EPSG:4326 or lack ``side``, ``version`` or ``valid_from``, or the incidents lack
        ``type`` or ``occurred_at``.
    """
    if not 0.5 < threshold <= 1:
        msg = f"The attribution threshold {threshold!r} is not above 0.5 and at most 1."
        raise InputError(msg, hint="Use a probability such as 0.9, so at most one side can reach it.")
    o = _compute(
        incidents,
        control_areas,
        default_bearing_halfwidth_deg=default_bearing_halfwidth_deg,
        window_minutes=window_minutes,
        observer_apart_m=observer_apart_m,
        default_distances_m=default_distances_m,
        origin_types=origin_types,
    )
    n = len(incidents)
    v = np.flatnonzero(o.valid)
    lon, lat = np.full(n, np.nan), np.full(n, np.nan)
    p_ua, p_ru = np.full(n, np.nan), np.full(n, np.nan)
    method = np.full(n, "none", dtype=object)
    group = np.full(n, None, dtype=object)
    side = np.full(n, None, dtype=object)
    if len(v):
        # The centroid is the mean of a uniform distribution over the area: the point with the
        # least expected squared distance to the true origin.
        centroids = shapely.centroid(o.areas)
        lon[v], lat[v] = o.to_lonlat.transform(shapely.get_x(centroids), shapely.get_y(centroids))
        method[v] = np.where(pd.notna(o.group), "triangulated", "sector")
        group[v] = o.group
        by_side = side_areas(o.areas, incidents["occurred_at"].iloc[v], control_areas, crs=o.crs)
        total = by_side["UA"] + by_side["RU"]
        controlled = total > 0
        p_ua[v[controlled]] = by_side["UA"][controlled] / total[controlled]
        p_ru[v[controlled]] = by_side["RU"][controlled] / total[controlled]
        side[v] = "undetermined"
        side[np.nan_to_num(p_ua) >= threshold] = "UA"
        side[np.nan_to_num(p_ru) >= threshold] = "RU"
    return pd.DataFrame(
        {
            "origin_lon": lon,
            "origin_lat": lat,
            "origin_method": method,
            "origin_group": group,
            "origin_p_UA": p_ua,
            "origin_p_RU": p_ru,
            "origin_side": side,
            "origin_side_p": np.fmax(p_ua, p_ru),
        },
        index=incidents.index,
    )


def origin_sectors(
    incidents: pd.DataFrame,
    *,
    control_areas: gpd.GeoDataFrame,
    default_bearing_halfwidth_deg: float = 10.0,
    window_minutes: float = 10.0,
    observer_apart_m: float = 500.0,
    default_distances_m: Mapping[str, tuple[float, float]] | None = None,
    origin_types: Collection[str] = ORIGIN_TYPES,
) -> gpd.GeoDataFrame:
    """Return the candidate sectors and triangulated intersections, for the map.

    Parameters are those of :func:`estimate_origins`; ``control_areas`` chooses the theatre CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326. One row per report with an origin (``kind='sector'``, its ``uid`` and
        ``origin_group``) and one per triangulation group (``kind='intersection'``, its
        ``origin_group``, no ``uid``); ``area_km2`` measured in the theatre CRS.
    """
    o = _compute(
        incidents,
        control_areas,
        default_bearing_halfwidth_deg=default_bearing_halfwidth_deg,
        window_minutes=window_minutes,
        observer_apart_m=observer_apart_m,
        default_distances_m=default_distances_m,
        origin_types=origin_types,
    )
    gids = list(o.group_areas)
    inter_xy = np.array([o.group_areas[g] for g in gids], dtype=object)
    inter = shapely.transform(inter_xy, lambda c: np.column_stack(o.to_lonlat.transform(c[:, 0], c[:, 1])))
    # The sectors for the map come from the geodesic vertices themselves, not back-projected.
    sectors = shapely.polygons(o.rings) if len(o.rings) else np.empty(0, dtype=object)
    frame = pd.DataFrame(
        {
            "uid": pd.array([*o.uid[o.valid], *([None] * len(gids))], dtype=object),
            "origin_group": pd.array([*o.group, *gids], dtype=object),
            "kind": ["sector"] * len(sectors) + ["intersection"] * len(gids),
            "area_km2": np.concatenate([shapely.area(o.sectors), shapely.area(inter_xy)]) / 1e6,
        }
    )
    return gpd.GeoDataFrame(frame, geometry=np.concatenate([sectors, inter]), crs=4326)
