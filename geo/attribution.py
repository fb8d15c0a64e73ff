"""Fire origin: candidate sectors from observer, bearing and distance, triangulation and side probabilities."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod, Transformer
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from geo.crs import centre_of, require_wgs84, theatre_crs
from geo.errors import InputError
from geo.versions import version_at

SIDES: tuple[str, ...] = ("UA", "RU")
GEOD = Geod(ellps="WGS84")

# Types whose sound or flash is at the weapon, so a sector from the observer locates the firing
# position. An impact's bearing points at where the round landed, not where it came from.
ORIGIN_TYPES: frozenset[str] = frozenset({"outgoing_fire", "muzzle_flash", "burst_or_shots"})
# Crater analysis reads the direction of fire from the crater, so its bearing points back at the weapon
# whatever the report's type.
BACK_BEARING_MEANS: frozenset[str] = frozenset({"crater_analysis"})

# (nearest, farthest) metres when a report gives no distance; docs/METHOD.md ("Fire origin") says why.
DEFAULT_DISTANCES_M: dict[str, tuple[float, float]] = {
    "heard": (500.0, 10_000.0),
    "seen": (200.0, 5_000.0),
    "camera": (200.0, 8_000.0),
    "uav": (0.0, 3_000.0),
}
FALLBACK_DISTANCE_M: tuple[float, float] = (500.0, 10_000.0)
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

# Vertices per arc: a 30-degree arc at 10 km then departs from the true circle by under 2 m.
ARC_VERTICES = 33
# Intersections smaller than this (square metres) are sectors that only touch.
MIN_AREA_M2 = 100.0
# A range whose ends coincide, or a distance given as one number, is widened by this share each way.
EXACT_DISTANCE_SPREAD = 0.1

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
    """Everything both public functions need, positional over the incidents."""

    valid: np.ndarray  # bool (n,): the report has a sector
    lonlat_rings: np.ndarray  # (m, 2k, 2) sector vertices in lon/lat, m = valid.sum()
    sectors: np.ndarray  # (m,) sector polygons in the theatre CRS
    areas: np.ndarray  # (m,) origin area (group intersection or own sector), theatre CRS
    group: np.ndarray  # (m,) object: group id or None
    group_areas: dict[str, shapely.Geometry]  # group id -> intersection, theatre CRS
    to_lonlat: Transformer
    uid: np.ndarray  # (n,) object


def _column(frame: pd.DataFrame, name: str, *, dtype: type = float) -> np.ndarray:
    if name in frame:
        return frame[name].to_numpy(dtype=dtype, na_value=np.nan if dtype is float else None)
    return np.full(len(frame), np.nan if dtype is float else None, dtype=dtype)


def _bearings(frame: pd.DataFrame, halfwidth: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (has bearing, start, clockwise width) in degrees for every report."""
    bearing = _column(frame, "bearing_deg")
    lo, hi = _column(frame, "bearing_min_deg"), _column(frame, "bearing_max_deg")
    # A range is clockwise from its minimum, so 350..20 spans 30 degrees across north.
    span = np.where(hi > lo, hi - lo, hi - lo + 360.0)
    has_range = np.isfinite(lo) & np.isfinite(hi) & (lo != hi)
    centre = np.where(np.isfinite(bearing), bearing, lo)
    start = np.where(has_range, lo, centre - halfwidth) % 360.0
    # A full circle drawn as one ring would touch itself along the seam.
    width = np.minimum(np.where(has_range, span, 2.0 * halfwidth), 359.0)
    has = has_range | np.isfinite(centre)
    return has, start, width


def _distances(
    frame: pd.DataFrame, defaults: Mapping[str, tuple[float, float]]
) -> tuple[np.ndarray, np.ndarray]:
    """Return (nearest, farthest) metres, filling what the report leaves out from its means (or weapon)."""
    n = len(frame)
    dmin, dmax = _column(frame, "distance_min_m"), _column(frame, "distance_max_m")
    means = _column(frame, "means", dtype=object)
    weapon = _column(frame, "weapon", dtype=object)
    table = {**DEFAULT_DISTANCES_M, **defaults}
    def_lo = np.full(n, FALLBACK_DISTANCE_M[0])
    def_hi = np.full(n, FALLBACK_DISTANCE_M[1])
    for name, (lo, hi) in table.items():
        hit = means == name
        def_lo[hit], def_hi[hit] = lo, hi
    crater = np.isin(means, list(BACK_BEARING_MEANS))
    for name, (lo, hi) in WEAPON_REACH_M.items():
        hit = crater & (weapon == name)
        def_lo[hit], def_hi[hit] = lo, hi
    only_min = np.isfinite(dmin) & ~np.isfinite(dmax)
    only_max = ~np.isfinite(dmin) & np.isfinite(dmax)
    lo = np.where(np.isfinite(dmin), dmin, np.where(only_max, np.minimum(def_lo, dmax / 2), def_lo))
    hi = np.where(np.isfinite(dmax), dmax, np.where(only_min, np.maximum(def_hi, dmin * 2), def_hi))
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    exact = (hi - lo) < EXACT_DISTANCE_SPREAD * hi
    mid = (lo + hi) / 2
    lo = np.where(exact, mid * (1 - EXACT_DISTANCE_SPREAD), lo)
    hi = np.where(exact, mid * (1 + EXACT_DISTANCE_SPREAD), hi)
    return np.maximum(lo, 0.0), hi


def _sector_rings(lon, lat, start, width, dmin, dmax) -> np.ndarray:
    """Return (m, 2k, 2) lon/lat rings of annular wedges, every vertex from one vectorised Geod.fwd."""
    m, k = len(lon), ARC_VERTICES
    az = start[:, None] + width[:, None] * np.linspace(0.0, 1.0, k)[None, :]
    # The outer arc runs clockwise, the inner one back, so each ring is one closed outline.
    az = np.concatenate([az, az[:, ::-1]], axis=1)
    dist = np.concatenate([np.repeat(dmax[:, None], k, 1), np.repeat(dmin[:, None], k, 1)], axis=1)
    olon = np.repeat(lon[:, None], 2 * k, 1)
    olat = np.repeat(lat[:, None], 2 * k, 1)
    vlon, vlat, _ = GEOD.fwd(olon.ravel(), olat.ravel(), (az % 360.0).ravel(), dist.ravel())
    return np.stack([np.reshape(vlon, (m, 2 * k)), np.reshape(vlat, (m, 2 * k))], axis=-1)


def _different_observers(source, ox, oy, i, j, *, apart_m: float) -> np.ndarray:
    """True where reports i and j come from different observers: another source or posts apart."""
    _, _, dist = GEOD.inv(ox[i], oy[i], ox[j], oy[j])
    return (source[i] != source[j]) | (np.asarray(dist) > apart_m)


def _triangulate(
    sectors: np.ndarray,
    times: np.ndarray,
    source: np.ndarray,
    ox: np.ndarray,
    oy: np.ndarray,
    uid: np.ndarray,
    *,
    window_ns: int,
    apart_m: float,
) -> tuple[np.ndarray, dict[str, shapely.Geometry]]:
    """Return each sector's group id (or None) and each group's intersection (theatre CRS)."""
    m = len(sectors)
    group = np.full(m, None, dtype=object)
    if m < 2:
        return group, {}
    i, j = shapely.STRtree(sectors).query(sectors, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    keep = (np.abs(times[i] - times[j]) <= window_ns) & _different_observers(
        source, ox, oy, i, j, apart_m=apart_m
    )
    i, j = i[keep], j[keep]
    keep = shapely.area(shapely.intersection(sectors[i], sectors[j])) > MIN_AREA_M2
    i, j = i[keep], j[keep]
    graph = coo_array((np.ones(len(i)), (i, j)), shape=(m, m)).tocsr()
    _, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    areas = shapely.area(sectors)
    out: dict[str, shapely.Geometry] = {}
    # One iteration per connected group (a few reports each); the geometry inside is vectorised.
    for label in np.flatnonzero(sizes >= 2):
        members = np.flatnonzero(labels == label)
        # The common case: every member is consistent with every other, so the whole group holds.
        if np.ptp(times[members]) <= window_ns and _one_per_observer(members, source, ox, oy, apart_m):
            whole = shapely.intersection_all(sectors[members])
            if shapely.area(whole) > MIN_AREA_M2:
                _assign(members, whole, group, out, uid)
                continue
        _greedy(members, sectors, areas, times, source, ox, oy, uid, group, out, window_ns, apart_m)
    return group, out


def _one_per_observer(members, source, ox, oy, apart_m) -> bool:
    i, j = np.triu_indices(len(members), 1)
    return bool(_different_observers(source, ox, oy, members[i], members[j], apart_m=apart_m).all())


def _assign(members, area, group, out, uid) -> None:
    gid = "T-" + str(min(uid[members]))
    group[members] = gid
    out[gid] = area


def _greedy(members, sectors, areas, times, source, ox, oy, uid, group, out, window_ns, apart_m) -> None:
    """Split an inconsistent group into consistent subsets, the narrowest sectors first.

    A subset takes a member when it is within the time window of the subset's first, comes from
    another observer than every member so far, and keeps the intersection non-empty. What is left
    is tried again; a member that fits no subset of two keeps its own sector.
    """
    left = members[np.lexsort((times[members], areas[members]))]
    while len(left) >= 2:
        chosen, acc = [left[0]], sectors[left[0]]
        for cand in left[1:]:
            if abs(times[cand] - times[chosen[0]]) > window_ns:
                continue
            if not _different_observers(
                source, ox, oy, np.full(len(chosen), cand), np.array(chosen), apart_m=apart_m
            ).all():
                continue
            trial = shapely.intersection(acc, sectors[cand])
            if shapely.area(trial) > MIN_AREA_M2:
                chosen.append(cand)
                acc = trial
        if len(chosen) >= 2:
            _assign(np.array(chosen), acc, group, out, uid)
        left = np.array([x for x in left if x not in chosen[:1] and group[x] is None])


def _side_areas(
    areas: np.ndarray, times: pd.Series, control_areas: gpd.GeoDataFrame, crs
) -> dict[str, np.ndarray]:
    """Return, per side, the area (m2) of each origin area inside that side's control in force."""
    periods = control_areas.drop_duplicates("version")[["version", "valid_from"]]
    version = version_at(times, periods["valid_from"], periods["version"])
    # Edges are straight in lon/lat (RFC 7946): densify to about 1 km before projecting.
    dense = control_areas.set_geometry(shapely.segmentize(control_areas.geometry.to_numpy(), 0.01), crs=4326)
    projected = dense.to_crs(crs)
    out = {side: np.zeros(len(areas)) for side in SIDES}
    # A handful of versions and two sides; each step is vectorised over every report of the version.
    for label in pd.unique(version[pd.notna(version)]):
        idx = np.flatnonzero(version == label)
        for side in SIDES:
            polys = projected.geometry[
                (projected["version"] == label).to_numpy() & (projected["side"] == side).to_numpy()
            ]
            if polys.empty:
                continue
            poly = shapely.union_all(polys.to_numpy())
            shapely.prepare(poly)
            inside = shapely.contains_properly(poly, areas[idx])
            touch = ~inside & shapely.intersects(poly, areas[idx])
            got = np.zeros(len(idx))
            got[inside] = shapely.area(areas[idx[inside]])
            got[touch] = shapely.area(shapely.intersection(areas[idx[touch]], poly))
            out[side][idx] = got
    out["none"] = np.asarray(pd.isna(version))
    return out


def _compute(
    incidents: pd.DataFrame,
    control_areas: gpd.GeoDataFrame,
    *,
    default_bearing_halfwidth_deg: float,
    window_minutes: float,
    observer_apart_m: float,
    default_distances_m: Mapping[str, tuple[float, float]] | None,
    origin_types: Collection[str],
) -> tuple[_Origins, gpd.GeoDataFrame, object]:
    require_wgs84(control_areas, what="The control areas")
    if not 0 < default_bearing_halfwidth_deg < 180:
        msg = f"default_bearing_halfwidth_deg {default_bearing_halfwidth_deg!r} is not between 0 and 180."
        raise InputError(msg, hint="Give the half-width of a plain bearing in degrees, for example 10.")
    if window_minutes < 0:
        msg = f"window_minutes {window_minutes!r} is negative."
        raise InputError(msg, hint="Give the triangulation time window in minutes, for example 10.")
    missing = [c for c in ("type", "occurred_at") if c not in incidents]
    if missing and len(incidents):
        msg = f"The incidents lack the column(s) {', '.join(missing)}."
        raise InputError(msg, hint="Pass the normalised frame from geo.ingest.read_batch or the store.")
    n = len(incidents)
    # incidents.type would be the geometry type on a GeoDataFrame: always index the column.
    rtype = _column(incidents, "type", dtype=object)
    means = _column(incidents, "means", dtype=object)
    ox, oy = _column(incidents, "observer_lon"), _column(incidents, "observer_lat")
    has_bearing, start, width = _bearings(incidents, default_bearing_halfwidth_deg)
    dmin, dmax = _distances(incidents, default_distances_m or {})
    locates = np.isin(rtype, list(origin_types)) | np.isin(means, list(BACK_BEARING_MEANS))
    valid = locates & np.isfinite(ox) & np.isfinite(oy) & has_bearing & (dmax > 0)
    if "uid" in incidents:
        uid = incidents["uid"].astype(str).to_numpy(dtype=object)
    else:
        uid = np.asarray([str(v) for v in incidents.index], dtype=object)
    crs = theatre_crs(*centre_of(control_areas))
    to_xy = Transformer.from_crs(4326, crs, always_xy=True)
    to_lonlat = Transformer.from_crs(crs, 4326, always_xy=True)
    v = np.flatnonzero(valid)
    rings = _sector_rings(ox[v], oy[v], start[v], width[v], dmin[v], dmax[v])
    x, y = to_xy.transform(rings[..., 0], rings[..., 1])
    sectors = shapely.polygons(np.stack([x, y], axis=-1)) if len(v) else np.empty(0, dtype=object)
    times = (
        pd.DatetimeIndex(incidents["occurred_at"]).as_unit("ns").asi8[v] if n else np.empty(0, dtype=np.int64)
    )
    source = _column(incidents, "source", dtype=object)[v]
    group, group_areas = _triangulate(
        sectors,
        times,
        source,
        ox[v],
        oy[v],
        uid[v],
        window_ns=int(window_minutes * 60e9),
        apart_m=observer_apart_m,
    )
    areas = sectors.copy()
    grouped = np.flatnonzero(group != None)  # noqa: E711 (element-wise comparison on an object array)
    areas[grouped] = [group_areas[g] for g in group[grouped]]
    origins = _Origins(valid, rings, sectors, areas, group, group_areas, to_lonlat, uid)
    return origins, control_areas, crs


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
        The normalised incident frame (docs/ARCHITECTURE.md).
    control_areas
        EPSG:4326 polygons with ``side``, ``version`` and ``valid_from``; each report is measured
        against the version in force at its ``occurred_at``.
    threshold
        A side is named when its probability reaches this; otherwise ``undetermined``.
    default_bearing_halfwidth_deg
        Half-width of the sector for a bearing given as a single number.
    window_minutes
        Reports of different observers at most this far apart in time may triangulate.
    observer_apart_m
        Reports of one source whose observer points are farther apart than this count as
        different observers.
    default_distances_m
        ``means`` -> (nearest, farthest) metres when a report gives no distance; merged over
        :data:`DEFAULT_DISTANCES_M`.
    origin_types
        Report types whose bearing points at the weapon (default :data:`ORIGIN_TYPES`); crater
        analyses always do.

    Returns
    -------
    pandas.DataFrame
        Aligned on ``incidents.index``, the columns of :data:`OUTPUT_COLUMNS`.
    """
    if not 0.5 < threshold <= 1:
        msg = f"The attribution threshold {threshold!r} is not above 0.5 and at most 1."
        raise InputError(msg, hint="Use a probability such as 0.9, so at most one side can reach it.")
    origins, control_areas, crs = _compute(
        incidents,
        control_areas,
        default_bearing_halfwidth_deg=default_bearing_halfwidth_deg,
        window_minutes=window_minutes,
        observer_apart_m=observer_apart_m,
        default_distances_m=default_distances_m,
        origin_types=origin_types,
    )
    n = len(incidents)
    v = np.flatnonzero(origins.valid)
    out = pd.DataFrame(index=incidents.index)
    lon, lat = np.full(n, np.nan), np.full(n, np.nan)
    # The centroid is the mean of a uniform distribution over the area: the least-squares best point.
    cx, cy = shapely.get_x(shapely.centroid(origins.areas)), shapely.get_y(shapely.centroid(origins.areas))
    lon[v], lat[v] = origins.to_lonlat.transform(cx, cy)
    method = np.full(n, "none", dtype=object)
    method[v] = np.where(origins.group != None, "triangulated", "sector")  # noqa: E711
    group = np.full(n, None, dtype=object)
    group[v] = origins.group
    p_ua, p_ru = np.full(n, np.nan), np.full(n, np.nan)
    if len(v):
        times = incidents["occurred_at"].iloc[v]
        side_area = _side_areas(origins.areas, times, control_areas, crs)
        total = side_area["UA"] + side_area["RU"]
        with np.errstate(invalid="ignore", divide="ignore"):
            p_ua[v] = np.where(total > 0, side_area["UA"] / total, np.nan)
            p_ru[v] = np.where(total > 0, side_area["RU"] / total, np.nan)
    side = np.full(n, None, dtype=object)
    side[v] = "undetermined"
    side[np.nan_to_num(p_ua) >= threshold] = "UA"
    side[np.nan_to_num(p_ru) >= threshold] = "RU"
    out["origin_lon"], out["origin_lat"] = lon, lat
    out["origin_method"] = method
    out["origin_group"] = group
    out["origin_p_UA"], out["origin_p_RU"] = p_ua, p_ru
    out["origin_side"] = side
    out["origin_side_p"] = np.fmax(p_ua, p_ru)
    return out


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
    """Return the candidate sectors and triangulated intersections for the map (EPSG:4326).

    Parameters are those of :func:`estimate_origins`.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per report with an origin (``kind='sector'``, its ``uid`` and ``origin_group``)
        and one per triangulation group (``kind='intersection'``, ``uid`` None), with ``area_km2``.
    """
    origins, _, _ = _compute(
        incidents,
        control_areas,
        default_bearing_halfwidth_deg=default_bearing_halfwidth_deg,
        window_minutes=window_minutes,
        observer_apart_m=observer_apart_m,
        default_distances_m=default_distances_m,
        origin_types=origin_types,
    )
    m = len(origins.sectors)
    sector_geoms = shapely.polygons(origins.lonlat_rings) if m else np.empty(0, dtype=object)
    gids = list(origins.group_areas)
    inter_xy = np.array([origins.group_areas[g] for g in gids], dtype=object)
    inter = shapely.transform(
        inter_xy, lambda c: np.column_stack(origins.to_lonlat.transform(c[:, 0], c[:, 1]))
    )
    frame = pd.DataFrame(
        {
            "uid": [*origins.uid[origins.valid], *([None] * len(gids))],
            "origin_group": [*origins.group, *gids],
            "kind": ["sector"] * m + ["intersection"] * len(gids),
            "area_km2": np.concatenate([shapely.area(origins.sectors), shapely.area(inter_xy)]) / 1e6
            if m
            else np.empty(0),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=np.concatenate([sector_geoms, inter]) if m else [], crs=4326)
