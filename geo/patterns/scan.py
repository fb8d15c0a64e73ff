"""Space-time clusters: a space-time permutation scan statistic (Kulldorff et al. 2005) on H3 cells and days.

Reports are counted per (cell, day). A candidate cluster is a cylinder: a disk of cells (a centre cell
with reports and up to ``scan_rings`` rings around it) over a window of 1 to ``scan_max_days`` days.
Its expected count under no space-time interaction is (reports in the disk, all days) x (reports in
the window, everywhere) / (all reports), and its statistic the Poisson log-likelihood ratio. The
significance of the best cylinders comes from replicates in which the days are shuffled among the
reports (both margins kept): p = (1 + replicates whose best cylinder scores at least as high) /
(1 + replicates). Every replicate scans the same family of cylinders, so the p-value accounts for
all the cylinders tried. The work is linear in reports, cells and days, never quadratic.

The replicates are counted all at once, in small integers, and only where a cylinder can matter:
a replicate keeps every disk's total and every window's total, so no cylinder ever holds more
reports than the smaller of the two, and a centre none of whose cylinders could reach the
statistic of the weakest cluster found is never counted (:func:`_centres`). This changes no result.
"""

from __future__ import annotations

import multiprocessing
import pickle
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod
from scipy import sparse

from geo.cores import cores
from geo.lookup import distinct
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
# Centres whose replicates are counted together: few enough for one chunk's tables to stay in cache.
CENTRES_PER_CHUNK = 256


@dataclass(frozen=True)
class Grid:
    """The reports as (cell, day) indices and the disks of cells around each cell with reports."""

    cells: np.ndarray  # sorted unique uint64
    cell_idx: np.ndarray
    day_idx: np.ndarray
    n_days: int
    first_day: pd.Timestamp
    disks: tuple[sparse.csr_matrix, ...]


def grid_of(
    points: Points, cell: np.ndarray, every: np.ndarray, disks: tuple[sparse.csr_matrix, ...]
) -> Grid:
    """Index every report by its cell and its day.

    ``cell`` is each report's cell at ``scan_resolution``; ``disks`` are
    :func:`hexgrid.ring_matrix` of ``every`` cell of the whole period, computed once for all blocks: a
    block's disks are their rows and columns of the block's cells, the very matrices
    ``ring_matrix`` gives for those cells alone.
    """
    cells, cell_idx = np.unique(cell, return_inverse=True)
    at = np.searchsorted(every, cells)
    first = points.day.min()
    day_idx = ((points.day - first) // pd.Timedelta(days=1)).to_numpy().astype(np.int64)
    return Grid(
        cells=cells,
        cell_idx=cell_idx,
        day_idx=day_idx,
        n_days=int(day_idx.max()) + 1,
        first_day=first,
        disks=tuple(disk[at][:, at] for disk in disks),
    )


def _members(grid: Grid, rings: int, centre: int) -> np.ndarray:
    """The cells (indices) of the disk of ``rings`` around ``centre``."""
    disk = grid.disks[rings]
    return disk.indices[disk.indptr[centre] : disk.indptr[centre + 1]]


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

    def expected(self, rings: int, length: int, centres: np.ndarray) -> np.ndarray:
        """Expected counts of the cylinders at the ``centres`` (indices), for every start (centres x starts)."""
        return self.disk_totals[rings][centres, None] * (self.window_totals[length] / self.total)[None, :]

    def expected_at(self, rings: int, length: int, centre: np.ndarray, start: np.ndarray) -> np.ndarray:
        """Expected counts of the cylinders at each (``centre``, ``start``) pair."""
        return self.disk_totals[rings][centre] * (self.window_totals[length][start] / self.total)


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

    Each is (llr, rings, centre index, first day index, length, observed, expected). Only centres
    whose disk holds ``min_cluster_size`` reports over the block can have such a cylinder.
    """
    kept = []
    for rings, disk in enumerate(grid.disks):
        centres = np.flatnonzero(margins.disk_totals[rings] >= params.min_cluster_size)
        for length, observed in _windows(disk[centres] @ counts, params.scan_max_days):
            expected = margins.expected(rings, length, centres)
            row, start = np.nonzero((observed >= params.min_cluster_size) & (observed > expected))
            c, mu, centre = observed[row, start], expected[row, start], centres[row]
            llr = _llr(c, mu, margins.total)
            top = _best(llr, CANDIDATES_PER_SHAPE)
            kept += zip(
                llr[top].tolist(),
                [rings] * len(top),
                centre[top].tolist(),
                start[top].tolist(),
                [length] * len(top),
                c[top].tolist(),
                mu[top].tolist(),
                strict=True,
            )
    return kept


def _best(values: np.ndarray, k: int) -> np.ndarray:
    """The indices of the ``k`` largest values, as ``np.argsort(-values, kind="stable")[:k]`` gives them.

    Only the values down to the k-th largest are sorted: every value above it and every tie with it
    (in index order, as a stable sort keeps them) come first in the full sort too.
    """
    key = -values
    if len(key) <= k:
        return np.argsort(key, kind="stable")
    kth = np.partition(key, k - 1)[k - 1]
    if np.isnan(kth):  # fewer than k numbers: NaNs sort last, as in the full sort
        return np.argsort(key, kind="stable")[:k]
    pick = np.flatnonzero(key <= kth)
    return pick[np.argsort(key[pick], kind="stable")[:k]]


def _centres(
    grid: Grid, margins: Margins, params: PatternParams, floor: float, rings: int, dtype: np.dtype
) -> Iterator[tuple[np.ndarray, sparse.csr_matrix, dict[int, np.ndarray]]]:
    """The centres whose cylinders of ``rings`` can reach ``floor`` in a replicate, in chunks.

    Yields (centres, their disks' rows in ``dtype``, and per window length the fewest reports each
    cylinder needs, centres x starts x 1). From ln x <= x - 1 the statistic is at most
    C (c - mu)^2 / (mu (C - mu)), so c below mu + sqrt(floor mu (C - mu) / C) cannot reach ``floor``:
    replicates compute logarithms only from that need on (and from ``min_cluster_size``).

    What makes leaving cylinders out exact: a replicate shuffles the days among the reports, so it
    keeps the disk's total over the block and the window's total over every cell, and its count
    can never exceed the smaller of the two. A cylinder whose bound is below its need never counts
    in any replicate: its need becomes the largest value of ``dtype``, above every count. A centre
    none of whose cylinders can count is not computed at all. Counts are integers, so "at least
    need" is "at least ceil(need)", which is at most the bound and so fits ``dtype``.
    """
    disk_totals = margins.disk_totals[rings]
    never = np.iinfo(dtype).max
    # The need is at least min_cluster_size, so smaller disks cannot count: no need to compute theirs.
    centres = np.flatnonzero(disk_totals >= params.min_cluster_size)
    # Needs and bounds depend on the disk's total alone, of which there are few: computed once each.
    totals, of_centre = np.unique(disk_totals[centres], return_inverse=True)
    needs, useful = {}, np.zeros(len(totals), dtype=bool)
    for length, window_totals in margins.window_totals.items():
        mu = totals[:, None] * (window_totals / margins.total)[None, :]
        need = np.maximum(
            mu + np.sqrt(floor * mu * (margins.total - mu) / margins.total), params.min_cluster_size
        )
        reachable = np.minimum(totals[:, None], window_totals[None, :]) >= need
        useful |= reachable.any(axis=1)
        needs[length] = np.where(reachable, np.ceil(need), never).astype(dtype)
    useful = useful[of_centre]
    centres, of_centre = centres[useful], of_centre[useful]
    disk = grid.disks[rings][centres].astype(dtype)
    needs = {length: need[of_centre][:, :, None] for length, need in needs.items()}
    for a in range(0, len(centres), CENTRES_PER_CHUNK):
        part = slice(a, a + CENTRES_PER_CHUNK)
        yield centres[part], disk[part], {length: need[part] for length, need in needs.items()}


def _replicate_tables(grid: Grid, params: PatternParams, dtype: np.dtype) -> np.ndarray:
    """Reports per (cell, day) of every replicate, replicates along the last axis: cells x (days x replicates).

    Replicate k shuffles the days with the k-th permutation drawn from ``params.seed``, always in
    that order, so the replicates (and p-values) do not depend on how they are computed.
    """
    rng = np.random.default_rng(params.seed)
    n_reps = params.scan_permutations
    tables = np.zeros(len(grid.cells) * grid.n_days * n_reps, dtype=dtype)
    cell_days = grid.cell_idx * grid.n_days
    ones = np.ones(len(cell_days), dtype=dtype)
    for k in range(n_reps):
        np.add.at(tables, (cell_days + rng.permutation(grid.day_idx)) * n_reps + k, ones)
    return tables.reshape(len(grid.cells), grid.n_days * n_reps)


def null_maxima(grid: Grid, margins: Margins, params: PatternParams, floor: float) -> np.ndarray:
    """The best statistic of each replicate with the days shuffled among the reports.

    Only statistics of at least ``floor`` are computed exactly (a smaller best is returned as 0):
    the p-values compare the replicates with clusters whose statistic is at least ``floor``.

    Every replicate is counted at once: replicates run along the last axis, so one sparse product
    gives a chunk of disks' daily counts in all of them, and each window sum and comparison is one
    pass. Counts never exceed the largest disk total, so they are kept in the smallest unsigned
    integer that holds it. Each replicate's best of a shape (disk size, window length) is taken
    as the best of all that shape's cylinders, then kept if above the best so far (as ``max`` would:
    a shape whose best is not a number is passed over).
    """
    largest = max(int(totals.max()) for totals in margins.disk_totals)
    dtype = np.min_scalar_type(largest + 1)
    tables = _replicate_tables(grid, params, dtype)
    n_reps, n_days = params.scan_permutations, grid.n_days
    best = np.zeros(n_reps)
    for rings in range(len(grid.disks)):
        shape_best = {length: np.full(n_reps, -np.inf) for length in margins.window_totals}
        for centres, disk, needs in _centres(grid, margins, params, floor, rings, dtype):
            table = (disk @ tables).reshape(len(centres), n_days, n_reps)
            observed = table
            for length, need in needs.items():
                if length > 1:  # windows one day longer: centres x starts x replicates
                    observed = observed[:, :-1] + table[:, length - 1 :]
                hit = np.flatnonzero(observed >= need)
                centre, rest = np.divmod(hit, observed.shape[1] * n_reps)
                start, replicate = np.divmod(rest, n_reps)
                mu = margins.expected_at(rings, length, centres[centre], start)
                llr = _llr(observed.ravel()[hit].astype(float), mu, margins.total)
                np.maximum.at(shape_best[length], replicate, llr)
        for shape in shape_best.values():
            best = np.where(shape > best, shape, best)
    return best


def _table(grid: Grid, day_idx: np.ndarray) -> np.ndarray:
    """Reports per (cell, day) with the days given."""
    flat = np.bincount(grid.cell_idx * grid.n_days + day_idx, minlength=len(grid.cells) * grid.n_days)
    return flat.reshape(len(grid.cells), grid.n_days).astype(float)


def _disjoint(candidates: list[tuple], grid: Grid, limit: int) -> list[tuple]:
    """The best candidates that share no (cell, day) with a better one, at most ``limit``."""
    chosen, taken = [], np.zeros((len(grid.cells), grid.n_days), dtype=bool)
    for cand in sorted(candidates, key=lambda c: -c[0]):
        _, rings, centre, start, length, _, _ = cand
        members, days = _members(grid, rings, centre), slice(start, start + length)
        if taken[members, days].any():
            continue
        chosen.append(cand)
        taken[members, days] = True
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
    uploaded later, or next month's) never change a month's clusters. The disks around every cell
    are found once for the whole period; each block takes those of its own cells.

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
    cell = hexgrid.cells_of(points.lon, points.lat, params.scan_resolution)
    every = distinct(cell)
    disks = hexgrid.ring_matrix(every, params.scan_rings)
    block = month_of(points.day)
    months = np.unique(block)
    blocks = [(points.subset(block == b), cell[block == b]) for b in months]
    workers = scan_workers(len(points), len(months))
    if workers > 1:
        found = _in_workers(blocks, every, disks, params, workers)
    else:
        found = [_scan_block(*block, every, disks, params) for block in blocks]
    found = [f for f in found if len(f)]
    if not found:
        return _empty()
    out = pd.concat(found, ignore_index=True).sort_values(["p_value", "llr"], ascending=[True, False])
    out["cluster_id"] = [f"C{i + 1:02d}" for i in range(len(out))]
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs=4326)


# The months are scanned in worker processes (one per core) when there are at least this many
# reports and months: each month is a test of its own, so where it ran changes nothing, and a
# million reports over 280 months took 15 s in one process. Smaller scans stay in this process,
# where starting the workers (a second or two) would cost more than it saves.
PARALLEL_MIN_REPORTS = 200_000
PARALLEL_MIN_MONTHS = 8


def scan_workers(n_reports: int, n_months: int) -> int:
    """How many processes scan ``n_months`` months of ``n_reports`` reports (this one included):
    one per core, or 1."""
    n = cores()
    if n < 2 or n_reports < PARALLEL_MIN_REPORTS or n_months < PARALLEL_MIN_MONTHS:
        return 1
    return n


# What every month of one scan shares, read once in each worker process (_start_worker).
_shared: dict[str, object] = {}


def _start_worker(path: str) -> None:
    with open(path, "rb") as f:
        every, disks, params = pickle.load(f)
    _shared.update(every=every, disks=disks, params=params)


def _share(folder: Path, shared: tuple) -> Path:
    """Write what the months share into ``folder`` (private to this user) for the workers to read."""
    path = folder / "shared.pickle"
    path.write_bytes(pickle.dumps(shared, protocol=pickle.HIGHEST_PROTOCOL))
    return path


def _scan_in_worker(points: Points, cell: np.ndarray) -> gpd.GeoDataFrame:
    return _scan_block(points, cell, _shared["every"], _shared["disks"], _shared["params"])


def _in_workers(
    blocks: list[tuple[Points, np.ndarray]],
    every: np.ndarray,
    disks: tuple[sparse.csr_matrix, ...],
    params: PatternParams,
    workers: int,
) -> list[gpd.GeoDataFrame]:
    """Each month's clusters, scanned by this process and ``workers - 1`` others, in the months' order.

    The other processes take months from the front of the queue (largest first), a few at a time
    each; this process takes them from the back meanwhile, so it works while they start (a second
    or two) and none waits long at the end. No queued month is ever cancelled: Python 3.11's pool,
    broken with a cancelled task in its queue, fails in its own thread before it has told every
    waiting task. The others are fresh processes (``spawn``), not forks: the analysis runs in a
    threaded app server, and a fork copies locks that other threads may hold. When they cannot
    start or one dies (killed, out of memory), this process scans what they left: the same result,
    slower.

    What the months share goes to the workers in a private temporary file, not through the pipe
    that starts them: Python writes a new process's start-up data on the calling thread while it
    still holds the pipe's other end, so a worker dying before it read tens of megabytes of disks
    would leave that write, and the analysis, waiting for ever.
    """
    order = sorted(range(len(blocks)), key=lambda i: -len(blocks[i][0]))
    found: dict[int, gpd.GeoDataFrame] = {}
    front, back = 0, len(order)
    sent: dict[int, Future] = {}
    with tempfile.TemporaryDirectory(prefix="cm-scan-") as folder:
        pool = ProcessPoolExecutor(
            workers - 1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(str(_share(Path(folder), (every, disks, params))),),
        )
        try:
            while front < back:
                while front < back and len(sent) < 2 * (workers - 1):
                    sent[order[front]] = pool.submit(_scan_in_worker, *blocks[order[front]])
                    front += 1
                if front < back:
                    back -= 1
                    found[order[back]] = _scan_block(*blocks[order[back]], every, disks, params)
                for i in [i for i, task in sent.items() if task.done()]:
                    found[i] = sent.pop(i).result()
            for i, task in sent.items():
                found[i] = task.result()
        except (BrokenProcessPool, OSError):
            pass  # scanned below
        finally:
            pool.shutdown(wait=True)
    for i in order:
        if i not in found:
            found[i] = _scan_block(*blocks[i], every, disks, params)
    return [found[i] for i in range(len(blocks))]


def _scan_block(
    points: Points,
    cell: np.ndarray,
    every: np.ndarray,
    disks: tuple[sparse.csr_matrix, ...],
    params: PatternParams,
) -> gpd.GeoDataFrame:
    """The clusters of one block of days (``cell``, ``every`` and ``disks`` as in :func:`grid_of`)."""
    if len(points) < params.min_cluster_size:
        return _empty()
    grid = grid_of(points, cell, every, disks)
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
    centres = grid.cells[[c[2] for c in chosen]]
    lon, lat = hexgrid.centres(centres)
    names = hexgrid.cell_names(centres)
    geod = Geod(ellps="WGS84")
    time = points.time.asi8  # the first and last member found on these, then taken as Timestamps
    rows = []
    for i, (llr, rings, centre, start, length, observed, expected) in enumerate(chosen):
        in_disk = np.zeros(len(grid.cells), dtype=bool)
        in_disk[_members(grid, rings, centre)] = True
        members = np.flatnonzero(
            in_disk[grid.cell_idx] & (grid.day_idx >= start) & (grid.day_idx < start + length)
        )
        _, _, dist = geod.inv(
            np.full(len(members), lon[i]),
            np.full(len(members), lat[i]),
            points.lon[members],
            points.lat[members],
        )
        p = (1 + int((maxima >= llr).sum())) / (1 + len(maxima))
        rows.append(
            {
                "n": int(observed),
                "expected": float(expected),
                "ratio": float(observed / expected),
                "llr": float(llr),
                "p_value": p,
                "significant": p <= params.alpha,
                "start": points.time[members[np.argmin(time[members])]],
                "end": points.time[members[np.argmax(time[members])]],
                "window_start": grid.first_day + pd.Timedelta(days=int(start)),
                "window_end": grid.first_day + pd.Timedelta(days=int(start + length)),
                "cell": names[i],
                "rings": rings,
                "radius_m": float(dist.max(initial=0.0)),
                "report_uids": points.uid[members].tolist(),
            }
        )
    frame = pd.DataFrame(rows, columns=list(CLUSTER_COLUMNS[:-1]))
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=4326)


# The type of each column of the clusters frame (a frame of no cluster has them too: a map or a
# table of it reads ``start`` as times whether or not a cluster was found).
_CLUSTER_TYPES = {
    "cluster_id": "object", "n": "int64", "expected": "float64", "ratio": "float64", "llr": "float64",
    "p_value": "float64", "significant": "bool", "start": "datetime64[ns, UTC]", "end": "datetime64[ns, UTC]",
    "window_start": "datetime64[ns, UTC]", "window_end": "datetime64[ns, UTC]", "cell": "object",
    "rings": "int64", "radius_m": "float64", "report_uids": "object",
}  # fmt: skip


def _empty() -> gpd.GeoDataFrame:
    """No cluster, with every column, each of its type."""
    frame = pd.DataFrame({c: pd.Series([], dtype=_CLUSTER_TYPES[c]) for c in CLUSTER_COLUMNS[:-1]})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=4326), crs=4326)
