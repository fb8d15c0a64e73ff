"""Sectors: named stretches of the contact line; a report belongs to the stretch nearest to it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo.cores import cores
from geo.crs import centre_of, theatre_crs, to_theatre
from geo.errors import InputError
from geo.settings import SCENARIO_DIR

SECTORS_FILE = "sectors.geojson"


def load_sectors(directory: Path = SCENARIO_DIR) -> gpd.GeoDataFrame:
    """Read the sector starts: Points with a ``sector`` name, in order along the line from its first end.

    Each sector runs from its start to the next sector's start (the last to the line's end).
    """
    path = Path(directory) / SECTORS_FILE
    if not path.is_file():
        msg = f"The sectors file {path} is missing."
        raise InputError(
            msg, hint="Add Points with a 'sector' property where each stretch of the line begins."
        )
    frame = gpd.read_file(path)
    if "sector" not in frame.columns or frame["sector"].isna().any():
        msg = f"Every feature of {path.name} needs a 'sector' name."
        raise InputError(msg, hint="Give each sector start a 'sector' property.")
    if not (frame.geom_type == "Point").all():
        msg = f"{path.name} must hold Points (where each sector starts)."
        raise InputError(msg, hint="Replace other geometries by the sector's first point on the line.")
    return frame.to_crs(4326)


# Positions along the line and distances to it that agree within this (metres) are taken as possibly
# equal: float rounding in the projection and the arithmetic is below a micrometre on a theatre.
TOL_M = 1e-3
# Reports per task: the tasks spread the projection and the search over the cores (pyproj, cKDTree
# and numpy release the GIL).
CHUNK = 65_536
# (report, sample) pairs per KD-tree query: work arrays of a few megabytes, however many samples a
# wide query needs.
WORK = 65_536


class _Locator:
    """Where a point near a polyline lies along it, as GEOS ``line_locate_point`` finds it, in bulk.

    GEOS measures a point along a line at its nearest segment (the first one in the line's order on
    a tie), as the length of the segments before that one plus the distance along it to the foot of
    the perpendicular (clamped to the segment). Instead of the distance to every segment, a KD-tree
    over samples of the segments yields a few candidates, among them every segment nearly as near
    as the nearest; the measure is then taken on those. Only the sector of a position is wanted:
    :meth:`sector_index` returns how many cuts lie at or before it, or -1 where near-tied candidates
    or float rounding could put GEOS's position on the other side of a cut.

    Parameters
    ----------
    line
        A LineString or MultiLineString with at least one segment, in a metric CRS, as given to
        ``line_locate_point``.
    cuts
        The sector starts' positions along ``line``, sorted.
    """

    def __init__(self, line: shapely.Geometry, cuts: np.ndarray) -> None:
        coords, part = shapely.get_coordinates(shapely.get_parts(line), return_index=True)
        starts = np.flatnonzero(part[:-1] == part[1:])
        ax, ay = coords[starts, 0], coords[starts, 1]
        dx, dy = coords[starts + 1, 0] - ax, coords[starts + 1, 1] - ay
        # GEOS walks the parts in order, adding up their segments' lengths without gaps.
        length = np.sqrt(dx * dx + dy * dy)
        inv_len2 = np.divide(1.0, length**2, out=np.zeros_like(length), where=length > 0)
        # One row per segment (start x, start y, dx, dy, 1 / length^2, position of its start,
        # length) so that one gather fetches a candidate; a zero-length segment gets 0 in the fifth
        # column and so the position of its start, as in GEOS.
        self.seg = np.column_stack([ax, ay, dx, dy, inv_len2, np.cumsum(length) - length, length])
        self.cuts = cuts
        # Samples at the middle of m equal pieces of each segment, pieces about as long as a typical
        # segment, so that a few samples reach past the longest half-piece (see _round).
        spacing = float(np.median(length[length > 0])) if (length > 0).any() else 1.0
        pieces = np.maximum(np.ceil(length / spacing), 1).astype(np.int64)
        self.sample_seg = np.repeat(np.arange(len(length)), pieces)
        offset = np.arange(len(self.sample_seg)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        t = (offset + 0.5) / pieces[self.sample_seg]
        self.half = float(np.max(length / pieces / 2))
        sx = ax[self.sample_seg] + t * dx[self.sample_seg]
        sy = ay[self.sample_seg] + t * dy[self.sample_seg]
        self.tree = cKDTree(np.column_stack([sx, sy]), leafsize=16)

    def sector_index(self, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        """How many cuts lie at or before each (finite) point's position; -1 where in doubt."""
        out = np.full(len(px), -1, dtype=np.int64)
        todo = np.arange(len(px))
        k = min(3, self.tree.n)
        while len(todo):
            # Wider queries go to fewer points at a time: at most WORK (point, sample) pairs each.
            step = max(1, WORK // k)
            todo = np.concatenate(
                [self._round(px, py, todo[lo : lo + step], k, out) for lo in range(0, len(todo), step)]
            )
            k = min(4 * k, self.tree.n)
        return out

    def _round(self, px: np.ndarray, py: np.ndarray, rows: np.ndarray, k: int, out: np.ndarray) -> np.ndarray:
        """Settle ``rows`` from the segments of their k nearest samples; return the rows needing more."""
        x, y = px[rows, None], py[rows, None]
        r, idx = self.tree.query(np.column_stack([x[:, 0], y[:, 0]]), k=k, workers=1)
        r = r.reshape(len(rows), -1)
        cand = self.sample_seg[idx.reshape(len(rows), -1)]
        g = self.seg[cand]
        ex, ey = x - g[..., 0], y - g[..., 1]
        t = (ex * g[..., 2] + ey * g[..., 3]) * g[..., 4]
        np.clip(t, 0.0, 1.0, out=t)
        ex -= t * g[..., 2]
        ey -= t * g[..., 3]
        d = np.sqrt(ex * ex + ey * ey)
        at = g[..., 5] + t * g[..., 6]
        near = d.min(axis=1)
        # GEOS's segment is among the candidates nearer than near + TOL_M: a segment that is not a
        # candidate has all its samples at least r_k away and every point within `half` of one of
        # them, so it is at least r_k - half away. Rows where that does not clear near + TOL_M
        # (with TOL_M to spare for rounding) are asked again with more samples, up to all of them.
        complete = (near + 2 * TOL_M < r[:, -1] - self.half) | (k == self.tree.n)
        tied = d <= near[:, None] + TOL_M
        lo = np.where(tied, at, np.inf).min(axis=1) - TOL_M
        hi = np.where(tied, at, -np.inf).max(axis=1) + TOL_M
        # The position is settled when no cut lies between the lowest and highest position of the
        # near-tied candidates, each widened by TOL_M for rounding: GEOS's position then has the
        # same cuts at or before it. Otherwise it stays -1 for the caller's whole-line measure.
        first = np.searchsorted(self.cuts, lo, side="right")
        settled = complete & (first == np.searchsorted(self.cuts, hi, side="right"))
        out[rows[settled]] = first[settled]
        return rows[~complete]


def assign_sectors(
    nearest: gpd.GeoSeries, line_version: pd.Series, *, lines: gpd.GeoDataFrame, sectors: gpd.GeoDataFrame
) -> np.ndarray:
    """Return each report's sector from its nearest point on the line version in force.

    The sector is the one whose start lies last at or before the point along the line (the first
    sector before the first start), positions measured as ``shapely.line_locate_point`` does in
    the theatre projection. A KD-tree finds each point's position (:class:`_Locator`) without
    measuring it against the whole line; the few points within a millimetre of a sector start, or
    where the line passes within a millimetre of itself, are measured along the whole line.

    Parameters
    ----------
    nearest
        The nearest point on the line of each report (from :func:`geo.proximity.measure`), EPSG:4326.
        A missing, empty or NaN point gets no sector.
    line_version
        The line version each nearest point lies on.
    lines, sectors
        The scenario's line versions and the sector starts.
    """
    # Empty and missing points have no coordinates and stay NaN.
    lon, lat = np.full(len(nearest), np.nan), np.full(len(nearest), np.nan)
    xy, at = shapely.get_coordinates(nearest.to_numpy(), return_index=True)
    lon[at], lat[at] = xy[:, 0], xy[:, 1]
    return sectors_at(lon, lat, line_version, lines=lines, sectors=sectors)


def sectors_at(
    lon: np.ndarray,
    lat: np.ndarray,
    line_version: pd.Series,
    *,
    lines: gpd.GeoDataFrame,
    sectors: gpd.GeoDataFrame,
) -> np.ndarray:
    """:func:`assign_sectors` of nearest points given by their coordinates (degrees, NaN for none):
    a million points made only to be read back as coordinates took 0.6 s."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    crs = theatre_crs(*centre_of(lines))
    out = np.full(len(lon), None, dtype=object)
    metric_lines = lines.to_crs(crs)
    starts = sectors.to_crs(crs).geometry.to_numpy()
    version = line_version.to_numpy()
    names = sectors["sector"].to_numpy()
    finite = np.isfinite(lon) & np.isfinite(lat)
    # Per report, how many of its version's sector starts lie at or before it along the line.
    count = np.full(len(lon), -1, dtype=np.int64)
    tasks, versions = [], []
    for v, line in zip(metric_lines["version"], metric_lines.geometry, strict=True):  # a handful of versions
        rows = np.flatnonzero((version == v) & finite)
        if not len(rows):
            continue
        cuts = shapely.line_locate_point(line, starts)
        order = np.argsort(cuts)
        versions.append((rows, line, cuts[order], order))
        # A line without a segment leaves its reports in doubt, to the whole-line measure.
        if shapely.get_num_coordinates(line) > 1:
            locator = _Locator(line, cuts[order])
            tasks += [(locator, rows[lo : lo + CHUNK]) for lo in range(0, len(rows), CHUNK)]

    def run(task: tuple[_Locator, np.ndarray]) -> None:
        locator, rows = task
        count[rows] = locator.sector_index(*to_theatre(lon[rows], lat[rows], crs))

    with ThreadPoolExecutor(max_workers=cores()) as pool:
        list(pool.map(run, tasks))
    for rows, line, cuts, order in versions:
        doubt = rows[count[rows] < 0]
        if len(doubt):
            # The whole-line measure, on points projected as ever: exactly the positions GEOS gives.
            # Points in doubt are mostly a vertex where a sector starts, the nearest point of every
            # report off its outer corner: each distinct point is measured once.
            _, first, again = np.unique(
                np.column_stack([lon[doubt], lat[doubt]]), axis=0, return_index=True, return_inverse=True
            )
            chosen = doubt[first]
            points = gpd.GeoSeries.from_xy(lon[chosen], lat[chosen], crs=4326).to_crs(crs).to_numpy()
            at = shapely.line_locate_point(line, points)
            at = at[again.ravel()]
            count[doubt] = np.where(np.isfinite(at), np.searchsorted(cuts, at, side="right"), -1)
        rows = rows[count[rows] >= 0]
        out[rows] = names[order][np.clip(count[rows] - 1, 0, len(order) - 1)]
    return out


# A sector start farther than this (metres) from every line version marks the sectors of another line.
SECTOR_FIT_M = 5_000.0


def check_sectors_fit(
    sectors: gpd.GeoDataFrame, lines: gpd.GeoDataFrame, *, sectors_file: Path, line_file: Path
) -> None:
    """Refuse sector starts that do not lie on the line versions passed (another theatre's sectors).

    Raises
    ------
    InputError
        Naming the sector, both files and the distance.
    """
    crs = theatre_crs(*centre_of(lines))
    line = shapely.union_all(lines.to_crs(crs).geometry.to_numpy())
    apart = shapely.distance(sectors.to_crs(crs).geometry.to_numpy(), line)
    if (apart > SECTOR_FIT_M).any():
        i = int(np.argmax(apart))
        msg = (
            f"The sectors of {sectors_file} lie along another line than {line_file}: sector "
            f"{sectors['sector'].iloc[i]!r} starts {apart[i] / 1000:,.0f} km from it."
        )
        raise InputError(
            msg,
            hint="Pass --scenario DIR with your line and its own sectors.geojson (or none: reports then get no sector).",
        )
