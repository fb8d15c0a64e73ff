"""Distance to the contact line in force, the nearest point on it, the side and the zones of each report."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree

from geo.cores import cores
from geo.crs import centre_of, geodesic_m, require_wgs84, theatre_crs, to_theatre
from geo.errors import InputError
from geo.scenario.versions import version_at

COLUMNS: tuple[str, ...] = ("line_version", "dist_to_line_m", "nearest_lon", "nearest_lat", "side", "zones")

# Lines are cut into pieces of at most this many degrees before projecting, so that each straight
# projected segment follows its straight lon/lat original within centimetres.
DENSIFY_DEG = 0.01
# Points per task of the distance search: bounds the (chunk x candidates) work arrays and lets the
# tasks spread over the cores (pyproj, cKDTree and numpy release the GIL).
CHUNK = 100_000
# Points per block of the search, and (point, sample) pairs per KD-tree query: work arrays of a few
# megabytes that stay in the CPU cache, whatever the number of samples a wide query needs.
BLOCK = 8_192
WORK = 65_536


class LineIndex:
    """Nearest point on a polyline in a metric CRS: a KD-tree over samples, then exact segments.

    Parameters
    ----------
    line
        A LineString or MultiLineString in lon/lat degrees.
    crs
        The metric CRS to search in (the theatre projection).
    spacing_m
        Largest gap between consecutive samples along a segment. It does not limit accuracy (the
        refinement is exact); it trades the size of the tree against how often a wider query is needed.
    k
        Samples fetched per point in the first query.
    """

    def __init__(self, line: shapely.Geometry, crs: CRS, *, spacing_m: float = 250.0, k: int = 3) -> None:
        parts = shapely.get_parts(shapely.segmentize(line, DENSIFY_DEG))
        coords, part = shapely.get_coordinates(parts, return_index=True)
        if len(coords) < 2:
            msg = "The contact line has fewer than two vertices."
            raise InputError(msg, hint="Give each line version at least one segment.")
        x, y = to_theatre(coords[:, 0], coords[:, 1], crs)
        keep = part[:-1] == part[1:]
        starts = np.flatnonzero(keep)
        ax, ay = x[starts], y[starts]
        dx, dy = x[starts + 1] - ax, y[starts + 1] - ay
        length = np.hypot(dx, dy)
        # One row per segment (start x, start y, dx, dy, 1 / length^2) so that one gather fetches a
        # candidate; a zero-length segment gets 0 there and so t = 0.
        inv_len2 = np.divide(1.0, length**2, out=np.zeros_like(length), where=length > 0)
        self.seg = np.column_stack([ax, ay, dx, dy, inv_len2])
        lon0, lat0 = coords[starts, 0], coords[starts, 1]
        self.seg_lonlat = np.column_stack(
            [lon0, lat0, coords[starts + 1, 0] - lon0, coords[starts + 1, 1] - lat0]
        )
        seg_part = part[starts]
        n_seg = len(starts)
        first_of_part = np.r_[True, seg_part[1:] != seg_part[:-1]]
        last_of_part = np.r_[seg_part[1:] != seg_part[:-1], True]

        # Samples at t = 0, 1/m, ..., (m-1)/m of each segment (m pieces no longer than spacing_m),
        # plus t = 1 on the last segment of each part, so every vertex is a sample.
        pieces = np.maximum(np.ceil(length / spacing_m), 1).astype(np.int64)
        sample_seg = np.repeat(np.arange(n_seg), pieces)
        offset = np.arange(len(sample_seg)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        t = offset / pieces[sample_seg]
        ends = np.flatnonzero(last_of_part)
        sample_seg = np.r_[sample_seg, ends]
        t = np.r_[t, np.ones(len(ends))]
        self.spacing = float(np.max(length / pieces)) if n_seg else 0.0
        # A sample at the start of a segment is also the end of the previous one in the same part:
        # it nominates both segments, so that every sample of a segment nominates that segment.
        prev = np.where(first_of_part, np.arange(n_seg), np.arange(n_seg) - 1)
        self.cand_a = sample_seg
        self.cand_b = np.where(t == 0, prev[sample_seg], sample_seg)
        sx = ax[sample_seg] + t * dx[sample_seg]
        sy = ay[sample_seg] + t * dy[sample_seg]
        # Samples lie along a curve and most queries are far from it: there, a sliding-midpoint tree
        # without shrunk node boxes answered 5 to 20 times faster than the default on the bench's 10,000-vertex line.
        self.tree = cKDTree(np.column_stack([sx, sy]), leafsize=64, balanced_tree=False, compact_nodes=False)
        self.k = k

    def nearest(
        self, px: np.ndarray, py: np.ndarray, *, workers: int = -1
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the planar distance to the line and where on it the nearest point lies.

        Parameters
        ----------
        px, py
            Finite coordinates in the index's CRS (metres).
        workers
            Threads for the KD-tree queries (-1: every core).

        Returns
        -------
        tuple of numpy.ndarray
            Distance in metres, segment number and position ``t`` (0..1) along that segment; give
            the last two to :meth:`xy_at` or :meth:`lonlat_at`.
        """
        dist = np.empty(len(px))
        seg = np.empty(len(px), dtype=np.int64)
        t = np.empty(len(px))
        for lo in range(0, len(px), BLOCK):
            sl = slice(lo, lo + BLOCK)
            dist[sl], seg[sl], t[sl] = self._nearest(px[sl], py[sl], workers)
        return dist, seg, t

    def xy_at(self, seg: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The point at ``t`` along each segment, in the index's CRS."""
        ax, ay, dx, dy, _ = self.seg[seg].T
        return ax + t * dx, ay + t * dy

    def lonlat_at(self, seg: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The point at ``t`` along each segment, in lon/lat degrees.

        Segments are at most DENSIFY_DEG long, so the straight lon/lat segment and its projected
        image agree to centimetres: interpolating in lon/lat puts the point on the line as stored
        (straight in lon/lat, as RFC 7946 reads it) without an inverse projection.
        """
        lon0, lat0, dlon, dlat = self.seg_lonlat[seg].T
        return lon0 + t * dlon, lat0 + t * dlat

    def _nearest(
        self, px: np.ndarray, py: np.ndarray, workers: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n_samples = self.tree.n
        d2 = np.empty(len(px))
        best = np.empty(len(px), dtype=np.int64)
        todo = np.arange(len(px))
        k = min(self.k, n_samples)
        while len(todo):
            # Wider queries go to fewer points at a time: at most WORK (point, sample) pairs each.
            step = max(1, WORK // k)
            unsure = [
                self._round(px, py, todo[lo : lo + step], k, workers, d2, best)
                for lo in range(0, len(todo), step)
            ]
            if k >= n_samples:
                break
            todo = np.concatenate(unsure)
            k = min(4 * k, n_samples)
        ax, ay, dx, dy, inv_len2 = self.seg[best].T
        t = np.clip(((px - ax) * dx + (py - ay) * dy) * inv_len2, 0.0, 1.0)
        return np.sqrt(d2), best, t

    def _round(
        self,
        px: np.ndarray,
        py: np.ndarray,
        rows: np.ndarray,
        k: int,
        workers: int,
        d2: np.ndarray,
        best: np.ndarray,
    ) -> np.ndarray:
        """Measure ``rows`` against the segments of their k nearest samples; return the unsure rows."""
        rk, idx = self.tree.query(np.column_stack([px[rows], py[rows]]), k=k, workers=workers)
        rk = rk.reshape(len(rows), -1)
        idx = idx.reshape(len(rows), -1)
        cand = np.concatenate([self.cand_a[idx], self.cand_b[idx]], axis=1)
        cd2 = self._segment_d2(px[rows, None], py[rows, None], cand)
        pick = np.argmin(cd2, axis=1)
        at = np.arange(len(rows))
        got = cd2[at, pick]
        d2[rows], best[rows] = got, cand[at, pick]
        # Correctness bound. Every sample of a segment nominates it, and consecutive samples of a
        # segment are at most s = self.spacing apart. A segment not nominated has all its samples
        # at least r_k (the k-th sample distance) from the point; the point of a piece of length
        # <= s nearest to it is then at least sqrt(r_k^2 - s^2/4) away (the foot lies within s/2
        # of a piece end). So the candidates' minimum is the line's minimum when
        # d^2 <= r_k^2 - s^2/4; the other rows are asked again with four times as many samples,
        # until k covers every sample (an exhaustive search, where every segment is a candidate).
        return rows[got > rk[:, -1] ** 2 - self.spacing**2 / 4]

    def _segment_d2(self, px: np.ndarray, py: np.ndarray, cand: np.ndarray) -> np.ndarray:
        """Squared distance from each point to each of its candidate segments."""
        g = self.seg[cand]
        ex = px - g[..., 0]
        ey = py - g[..., 1]
        t = (ex * g[..., 2] + ey * g[..., 3]) * g[..., 4]
        np.clip(t, 0.0, 1.0, out=t)
        ex -= t * g[..., 2]
        ey -= t * g[..., 3]
        return ex * ex + ey * ey


def _points(incidents: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    geoms = incidents.geometry.to_numpy()
    kinds = shapely.get_type_id(geoms)
    # -1 is a missing geometry and 0 a Point; anything else cannot be measured as a place.
    bad = ~np.isin(kinds, (-1, 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = f"Report {incidents.index[i]!r} has a {geoms[i].geom_type} geometry, not a Point."
        raise InputError(msg, hint="Give each report a Point (lon, lat).")
    return shapely.get_x(geoms), shapely.get_y(geoms)


def _precision(incidents: gpd.GeoDataFrame) -> np.ndarray:
    if "location_precision_m" not in incidents:
        return np.zeros(len(incidents))
    values = pd.to_numeric(incidents["location_precision_m"], errors="coerce").to_numpy(dtype=float)
    return np.nan_to_num(values, nan=0.0)


def _sides(
    lon: np.ndarray, lat: np.ndarray, version: np.ndarray, control_areas: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """The side whose area contains each point, and how many areas of its version contain it."""
    side = np.full(len(lon), "none", dtype=object)
    count = np.zeros(len(lon), dtype=np.int64)
    geoms = control_areas.geometry.to_numpy()
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms)
    # One pass per control area (a handful: sides x versions), over the points in its bounding box.
    for area, label, v, (x0, y0, x1, y1) in zip(
        geoms, control_areas["side"], control_areas["version"], bounds, strict=True
    ):
        rows = np.flatnonzero((version == v) & (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
        if not len(rows):
            continue
        inside = rows[shapely.intersects_xy(area, lon[rows], lat[rows])]
        side[inside] = label
        count[inside] += 1
    return side, count


def _zones(lon: np.ndarray, lat: np.ndarray, zones: gpd.GeoDataFrame) -> np.ndarray:
    """The list of zone ids containing each point (zones in the order of the frame)."""
    n = len(lon)
    ids = zones["zone_id"].astype(str).to_numpy()
    words = np.zeros((n, max(1, -(-len(ids) // 64))), dtype=np.uint64)
    geoms = zones.geometry.to_numpy()
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms)
    # One pass per zone (tens of polygons), each over the points inside its bounding box only.
    for j, (zone, (x0, y0, x1, y1)) in enumerate(zip(geoms, bounds, strict=True)):
        rows = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
        if len(rows):
            inside = rows[shapely.contains_xy(zone, lon[rows], lat[rows])]
            words[inside, j // 64] |= np.uint64(1) << np.uint64(j % 64)
    if words.shape[1] == 1:
        combos, inverse = np.unique(words[:, 0], return_inverse=True)
        combos = combos[:, None]
    else:
        combos, inverse = np.unique(words, axis=0, return_inverse=True)
    bits = np.unpackbits(combos.view(np.uint8), axis=1, bitorder="little")[:, : len(ids)].astype(bool)
    lists = np.empty(len(combos), dtype=object)
    for i, member in enumerate(bits):  # one per distinct combination of zones, a few dozen
        lists[i] = ids[member].tolist()
    # Reports with the same zones share one list object (a fresh list per row cost a third of a
    # second per million): treat the lists as read-only.
    return lists[inverse.ravel()]


def measure(
    incidents: gpd.GeoDataFrame,
    *,
    lines: gpd.GeoDataFrame,
    control_areas: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
) -> pd.DataFrame:
    """Measure each report against the contact line in force when it happened.

    The search for the nearest point runs in the theatre projection (:func:`geo.crs.theatre_crs`,
    centred on the lines); the distance is then the geodesic distance on the WGS84 ellipsoid from
    the report to that point, which agrees with the true geodesic distance to the line within 0.1 %
    (or 20 m) up to 1,500 km from the centre (tests/test_proximity.py checks it on real data).

    Parameters
    ----------
    incidents
        Reports in EPSG:4326 with Point geometry and ``occurred_at`` (UTC); ``location_precision_m``
        is read when present (NaN or absent counts as 0).
    lines
        Contact line versions: ``version``, ``valid_from`` (UTC), (Multi)LineString geometry.
    control_areas
        ``side`` (``UA``, ``RU``), ``version`` (a line version), (Multi)Polygon geometry.
    zones
        ``zone_id`` and (Multi)Polygon geometry; zones are not versioned.

    Returns
    -------
    pandas.DataFrame
        Aligned on ``incidents.index``: ``line_version``, ``dist_to_line_m`` (geodesic metres),
        ``nearest_lon``, ``nearest_lat``, ``side`` and ``zones`` (list of ``zone_id``, ``[]`` when
        none; reports with the same zones share one list, so copy it before changing it).
        ``side`` is the side of the control area of the same version that holds the point (its
        boundary included); ``ambiguous`` when the location uncertainty reaches the line
        (``location_precision_m >= dist_to_line_m``) or when areas of both sides hold it (a point
        on the line itself lies on both areas' boundary); ``none`` outside every control area.
        A report before the first line version (or without a time) has ``line_version`` None,
        NaN distance and nearest point, and side ``none``; its zones are still given. A report
        without a place (a missing geometry) keeps its line version and gets NaN, ``none``, ``[]``.

    Raises
    ------
    InputError
        When a frame has no CRS or another CRS than EPSG:4326, a column is missing, or a report's
        geometry is not a Point.
    """
    require_wgs84(incidents, what="The incident reports")
    require_wgs84(lines, what="The contact lines")
    require_wgs84(control_areas, what="The control areas")
    require_wgs84(zones, what="The zones")
    for frame, what, needed in (
        (incidents, "The incident reports", ("occurred_at",)),
        (lines, "The contact lines", ("version", "valid_from")),
        (control_areas, "The control areas", ("side", "version")),
        (zones, "The zones", ("zone_id",)),
    ):
        missing = [c for c in needed if c not in frame]
        if missing:
            msg = f"{what} lack the column(s) {', '.join(missing)}."
            raise InputError(msg, hint="Load them with geo.ingest / geo.scenario, which add them.")
    n = len(incidents)
    lon, lat = _points(incidents)
    version = version_at(incidents["occurred_at"], lines["valid_from"], lines["version"].astype(str))
    crs = theatre_crs(*centre_of(lines))
    dist = np.full(n, np.nan)
    nlon = np.full(n, np.nan)
    nlat = np.full(n, np.nan)
    finite = np.isfinite(lon) & np.isfinite(lat)
    tasks = []
    # One index per line version in use: a handful of versions.
    for label, line in zip(lines["version"].astype(str), lines.geometry, strict=True):
        rows = np.flatnonzero((version == label) & finite)
        if len(rows):
            index = LineIndex(line, crs)
            tasks += [(index, rows[lo : lo + CHUNK]) for lo in range(0, len(rows), CHUNK)]

    def run(task: tuple[LineIndex, np.ndarray]) -> None:
        index, rows = task
        x, y = to_theatre(lon[rows], lat[rows], crs)
        _, seg, t = index.nearest(x, y, workers=1)
        nlon[rows], nlat[rows] = index.lonlat_at(seg, t)
        dist[rows] = geodesic_m(lon[rows], lat[rows], nlon[rows], nlat[rows])

    areas = control_areas.assign(version=control_areas["version"].astype(str))
    # The distance tasks run in worker threads (each writes its own rows) while this thread does
    # the polygon tests: GEOS prepared geometries are not safe to share between threads.
    with ThreadPoolExecutor(max_workers=cores()) as pool:
        pending = [pool.submit(run, task) for task in tasks]
        side, count = _sides(lon, lat, version, areas)
        in_zones = _zones(lon, lat, zones) if n else np.empty(0, dtype=object)
        for future in pending:
            future.result()
    reach = _precision(incidents) >= dist
    side[(count > 1) | ((count == 1) & reach)] = "ambiguous"
    out = pd.DataFrame(
        {
            "line_version": pd.Series(version, index=incidents.index, dtype=object),
            "dist_to_line_m": dist,
            "nearest_lon": nlon,
            "nearest_lat": nlat,
            "side": side,
            "zones": in_zones,
        },
        index=incidents.index,
    )
    return out[list(COLUMNS)]
