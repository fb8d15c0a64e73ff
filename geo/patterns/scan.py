"""Space-time clusters: a space-time permutation scan statistic (Kulldorff et al. 2005) on H3 cells and days.

Reports are counted per (cell, day). A candidate cluster is a cylinder: a disk of cells (a centre cell
with reports and up to ``scan_rings`` rings around it) over a window of 1 to ``scan_max_days`` days.
Its expected count under no space-time interaction is (reports in the disk, all days) x (reports in
the window, everywhere) / (all reports), and its statistic the Poisson log-likelihood ratio. The
significance of the best cylinders comes from replicates in which the days are shuffled among the
reports (both margins kept): p = (1 + replicates whose best cylinder scores at least as high) /
(1 + replicates). Every replicate scans the same family of cylinders, so the p-value accounts for
all the cylinders tried. The work is linear in reports, cells and days, never quadratic.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod
from scipy import sparse

from geo.patterns import hexgrid
from geo.patterns.frame import Points
from geo.patterns.params import PatternParams

CLUSTER_COLUMNS = (
    "cluster_id",
    "n",
    "expected",
    "ratio",
    "llr",
    "p_value",
    "significant",
    "start",
    "end",
    "window_start",
    "window_end",
    "cell",
    "rings",
    "radius_m",
    "report_uids",
    "geometry",
)
# How many of the best cylinders of each (disk size, window length) are kept as candidates.
CANDIDATES_PER_SHAPE = 500


@dataclass(frozen=True)
class Grid:
    """The reports as (cell, day) indices and the disks of cells around each cell with reports."""

    cells: np.ndarray  # sorted unique uint64
    cell_idx: np.ndarray
    day_idx: np.ndarray
    n_days: int
    first_day: pd.Timestamp
    disks: tuple[sparse.csr_matrix, ...]


def grid_of(points: Points, params: PatternParams) -> Grid:
    """Index every report by its cell at ``scan_resolution`` and its day."""
    cells, cell_idx = np.unique(
        hexgrid.cells_of(points.lon, points.lat, params.scan_resolution), return_inverse=True
    )
    first = points.day.min()
    day_idx = ((points.day - first) // pd.Timedelta(days=1)).to_numpy().astype(np.int64)
    return Grid(
        cells=cells,
        cell_idx=cell_idx,
        day_idx=day_idx,
        n_days=int(day_idx.max()) + 1,
        first_day=first,
        disks=hexgrid.ring_matrix(cells, params.scan_rings),
    )


def _llr(c: np.ndarray, mu: np.ndarray, total: float) -> np.ndarray:
    """Kulldorff's log-likelihood ratio of c observed against mu expected, for c > mu."""
    return c * np.log(c / mu) + (total - c) * np.log1p((mu - c) / (total - mu))


def _windows(table: np.ndarray, max_days: int) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (length, sums over every window of that length) along the days axis (last axis)."""
    cum = np.concatenate(
        [np.zeros((*table.shape[:-1], 1), dtype=table.dtype), np.cumsum(table, axis=-1)], axis=-1
    )
    for length in range(1, min(max_days, table.shape[-1]) + 1):
        yield length, cum[..., length:] - cum[..., :-length]


@dataclass(frozen=True)
class Margins:
    """What the permutations keep: reports per disk (all days) and per window (everywhere), and the total."""

    total: float
    disk_totals: tuple[np.ndarray, ...]
    window_totals: dict[int, np.ndarray]

    def expected(self, rings: int, length: int, centre=slice(None), start=slice(None)) -> np.ndarray:
        """Expected counts of cylinders (every one, or those at the ``centre`` and ``start`` indices)."""
        disk = self.disk_totals[rings][centre]
        window = self.window_totals[length][start] / self.total
        return disk * window if isinstance(centre, np.ndarray) else disk[:, None] * window[None, :]


def margins_of(grid: Grid, counts: np.ndarray, params: PatternParams) -> Margins:
    """The margins of the (cell x day) table, which every replicate shares."""
    by_cell = counts.sum(axis=1)
    return Margins(
        total=float(counts.sum()),
        disk_totals=tuple(disk @ by_cell for disk in grid.disks),
        window_totals=dict(_windows(counts.sum(axis=0), params.scan_max_days)),
    )


def candidates(grid: Grid, counts: np.ndarray, margins: Margins, params: PatternParams) -> list[tuple]:
    """The best ``CANDIDATES_PER_SHAPE`` cylinders of each (disk, window length) with at least ``min_cluster_size``.

    Each is (llr, rings, centre index, first day index, length, observed, expected).
    """
    kept = []
    for rings, disk in enumerate(grid.disks):
        for length, observed in _windows(disk @ counts, params.scan_max_days):
            expected = margins.expected(rings, length)
            centre, start = np.nonzero((observed >= params.min_cluster_size) & (observed > expected))
            c, mu = observed[centre, start], expected[centre, start]
            llr = _llr(c, mu, margins.total)
            top = np.argsort(-llr, kind="stable")[:CANDIDATES_PER_SHAPE]
            kept += [(llr[i], rings, centre[i], start[i], length, c[i], mu[i]) for i in top]
    return kept


def _thresholds(margins: Margins, params: PatternParams, floor: float) -> dict[tuple[int, int], np.ndarray]:
    """Per shape, the fewest reports a cylinder needs before its statistic can reach ``floor`` (days x cells).

    From ln x <= x - 1 the statistic is at most C (c - mu)^2 / (mu (C - mu)), so c below
    mu + sqrt(floor mu (C - mu) / C) cannot reach it: replicates compute logarithms only above that.
    """
    out = {}
    for rings in range(len(margins.disk_totals)):
        for length in margins.window_totals:
            mu = margins.expected(rings, length)
            need = mu + np.sqrt(floor * mu * (margins.total - mu) / margins.total)
            out[rings, length] = np.ascontiguousarray(np.maximum(need, params.min_cluster_size).T)
    return out


def _replicate_max(
    grid: Grid, counts: np.ndarray, margins: Margins, need: dict, params: PatternParams
) -> float:
    """The best statistic of one replicate among cylinders that reach their ``need``; 0 if none does.

    Days run along the first axis here, so each window sum and comparison is one contiguous pass
    into reused buffers (this loop is most of the scan's time).
    """
    n_cells, n_days = len(grid.cells), grid.n_days
    cum = np.zeros((n_days + 1, n_cells))
    window = np.empty((n_days, n_cells))
    hit = np.empty((n_days, n_cells), dtype=bool)
    best = 0.0
    for rings, disk in enumerate(grid.disks):
        np.cumsum((disk @ counts).T, axis=0, out=cum[1:])
        for length in range(1, min(params.scan_max_days, n_days) + 1):
            rows = n_days - length + 1
            observed = np.subtract(cum[length:], cum[:-length], out=window[:rows])
            mask = np.greater_equal(observed, need[rings, length], out=hit[:rows])
            if not mask.any():
                continue
            flat = np.flatnonzero(mask)
            start, centre = np.divmod(flat, n_cells)
            mu = margins.expected(rings, length, centre, start)
            best = max(best, float(_llr(observed.ravel()[flat], mu, margins.total).max()))
    return best


def null_maxima(grid: Grid, margins: Margins, params: PatternParams, floor: float) -> np.ndarray:
    """The best statistic of each replicate with the days shuffled among the reports.

    Only statistics of at least ``floor`` are computed exactly (a smaller best is returned as 0):
    the p-values compare the replicates with clusters whose statistic is at least ``floor``.
    """
    rng = np.random.default_rng(params.seed)
    need = _thresholds(margins, params, floor)
    return np.array(
        [
            _replicate_max(grid, _table(grid, rng.permutation(grid.day_idx)), margins, need, params)
            for _ in range(params.scan_permutations)
        ]
    )


def _table(grid: Grid, day_idx: np.ndarray) -> np.ndarray:
    """Reports per (cell, day) with the days given."""
    flat = np.bincount(grid.cell_idx * grid.n_days + day_idx, minlength=len(grid.cells) * grid.n_days)
    return flat.reshape(len(grid.cells), grid.n_days).astype(float)


def _disjoint(candidates: list[tuple], grid: Grid, limit: int) -> list[tuple]:
    """The best candidates that share no (cell, day) with a better one, at most ``limit``."""
    chosen, taken = [], []
    for cand in sorted(candidates, key=lambda c: -c[0]):
        _, rings, centre, start, length, _, _ = cand
        members = set(grid.disks[rings][centre].indices.tolist())
        days = (start, start + length - 1)
        if any(days[0] <= d1 and d0 <= days[1] and members & m for m, (d0, d1) in taken):
            continue
        chosen.append(cand)
        taken.append((members, days))
        if len(chosen) == limit:
            break
    return chosen


def month_of(days: pd.DatetimeIndex) -> np.ndarray:
    """Each day's calendar month as one number (year * 12 + month - 1): the blocks of the tests."""
    return (days.year * 12 + days.month - 1).to_numpy()


def clusters(points: Points, params: PatternParams) -> gpd.GeoDataFrame:
    """Find the most likely space-time clusters and their Monte Carlo p-values.

    Each calendar month is scanned as a block of its own, a test of its own, so memory and time per
    block stay bounded and grow linearly with the period, and reports of another month (an archive
    uploaded later, or next month's) never change a month's clusters.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cluster, by p-value then statistic, at its centre cell's centre (EPSG:4326):
        ``n`` reports against ``expected``, their ``ratio``, the log-likelihood ratio ``llr``,
        ``p_value``, ``significant`` (p <= alpha), the members' first and last times (``start``,
        ``end``), the days scanned (``window_start``, ``window_end``), the centre ``cell``, the
        disk's ``rings``, ``radius_m`` (farthest member from the centre) and ``report_uids``.
    """
    if len(points) < params.min_cluster_size:
        return _empty()
    block = month_of(points.day)
    found = [_scan_block(points.subset(block == b), params) for b in np.unique(block)]
    found = [f for f in found if len(f)]
    if not found:
        return _empty()
    out = pd.concat(found, ignore_index=True).sort_values(["p_value", "llr"], ascending=[True, False])
    out["cluster_id"] = [f"C{i + 1:02d}" for i in range(len(out))]
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs=4326)


def _scan_block(points: Points, params: PatternParams) -> gpd.GeoDataFrame:
    """The clusters of one block of days."""
    if len(points) < params.min_cluster_size:
        return _empty()
    grid = grid_of(points, params)
    counts = _table(grid, grid.day_idx)
    margins = margins_of(grid, counts, params)
    chosen = _disjoint(candidates(grid, counts, margins, params), grid, params.max_clusters)
    if not chosen:
        return _empty()
    maxima = null_maxima(grid, margins, params, floor=min(c[0] for c in chosen))
    return _frame(chosen, grid, points, maxima, params)


def _frame(
    chosen: list[tuple], grid: Grid, points: Points, maxima: np.ndarray, params: PatternParams
) -> gpd.GeoDataFrame:
    """The chosen cylinders as clusters: members, times, radius and Monte Carlo p-value."""
    lon, lat = hexgrid.centres(grid.cells[[c[2] for c in chosen]])
    rows = []
    for i, (llr, rings, centre, start, length, observed, expected) in enumerate(chosen):
        members = (
            np.isin(grid.cell_idx, grid.disks[rings][centre].indices)
            & (grid.day_idx >= start)
            & (grid.day_idx < start + length)
        )
        _, _, dist = Geod(ellps="WGS84").inv(
            np.full(int(members.sum()), lon[i]),
            np.full(int(members.sum()), lat[i]),
            points.lon[members],
            points.lat[members],
        )
        times = points.time[members]
        p = (1 + int((maxima >= llr).sum())) / (1 + len(maxima))
        rows.append(
            {
                "n": int(observed),
                "expected": float(expected),
                "ratio": float(observed / expected),
                "llr": float(llr),
                "p_value": p,
                "significant": p <= params.alpha,
                "start": times.min(),
                "end": times.max(),
                "window_start": grid.first_day + pd.Timedelta(days=int(start)),
                "window_end": grid.first_day + pd.Timedelta(days=int(start + length)),
                "cell": hexgrid.cell_names(grid.cells[[centre]])[0],
                "rings": rings,
                "radius_m": float(dist.max(initial=0.0)),
                "report_uids": points.uid[members].tolist(),
            }
        )
    frame = pd.DataFrame(rows, columns=list(CLUSTER_COLUMNS[:-1]))
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=4326)


def _empty() -> gpd.GeoDataFrame:
    """No cluster, with every column."""
    frame = pd.DataFrame({c: [] for c in CLUSTER_COLUMNS[:-1]})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=4326), crs=4326)
