"""Space-time clusters: false clusters at the nominal rate, planted clusters found, Monte Carlo p-values."""

from __future__ import annotations

import os
import pickle
import tempfile
import threading
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from geo.patterns import PatternParams, find_patterns, hexgrid, synthetic
from geo.patterns import scan as sc
from geo.patterns.frame import points_of
from geo.patterns.scan import _llr, clusters

BOX = (35.0, 47.0, 35.5, 47.3)
FAST = PatternParams(scan_permutations=49)


def test_false_clusters_under_a_homogeneous_poisson_process_match_alpha():
    runs, alpha = 60, 0.05
    flagged = 0
    for seed in range(runs):
        frame = synthetic.background(400, seed=100 + seed, days=20, box=BOX)
        flagged += bool(clusters(points_of(frame), FAST)["significant"].any())
    assert flagged <= stats.binom.ppf(0.99, runs, alpha)


@pytest.mark.parametrize("size", [15, 30])
def test_a_planted_cluster_is_found_with_its_members(size):
    frame = synthetic.background(400, seed=5, days=20, box=BOX)
    frame, planted = synthetic.plant_cluster(
        frame, size, seed=6, centre=(35.25, 47.15), radius_m=2_000, first_day=9, days=2
    )
    found = find_patterns(frame, params=FAST, parts=("clusters",)).clusters
    best = found.iloc[0]
    members = set(best["report_uids"])
    assert best["significant"] and best["p_value"] == pytest.approx(1 / 50)
    assert len(members & set(planted)) / size >= 0.8  # recall of the planted reports
    assert len(members & set(planted)) / len(members) >= 0.6  # precision
    assert best["n"] == len(members) and best["n"] > best["expected"]
    assert synthetic.START + pd.Timedelta(days=9) <= best["start"] <= best["end"]
    assert best["end"] < synthetic.START + pd.Timedelta(days=11)
    assert 0 < best["radius_m"] < 8_000
    assert found.crs.to_epsg() == 4326


def test_clusters_do_not_overlap_and_come_best_first():
    frame = synthetic.background(600, seed=9, days=20, box=BOX)
    found = clusters(points_of(frame), FAST)
    assert found["llr"].is_monotonic_decreasing
    uids = [u for members in found["report_uids"] for u in members]
    assert len(uids) == len(set(uids))
    assert (found["n"] >= FAST.min_cluster_size).all()


def test_p_values_are_monte_carlo_ranks():
    frame = synthetic.background(300, seed=2, days=15, box=BOX)
    found = clusters(points_of(frame), PatternParams(scan_permutations=19))
    ranks = found["p_value"] * 20
    assert np.allclose(ranks, ranks.round()) and (found["p_value"] >= 1 / 20).all()
    assert found["p_value"].is_monotonic_increasing


def test_the_statistic_is_kulldorffs_likelihood_ratio():
    c, mu, total = np.array([10.0]), np.array([4.0]), 200.0
    expected = c * np.log(c / mu) + (total - c) * np.log((total - c) / (total - mu))
    assert _llr(c, mu, total) == pytest.approx(expected)


def test_too_few_reports_give_no_cluster():
    frame = synthetic.background(3, seed=1, days=5, box=BOX)
    assert clusters(points_of(frame), FAST).empty


def test_long_periods_are_scanned_per_calendar_month_and_clusters_do_not_cross_one():
    frame = synthetic.background(900, seed=21, days=70, box=BOX)
    frame, planted = synthetic.plant_cluster(
        frame, 20, seed=22, centre=(35.25, 47.15), radius_m=2_000, first_day=45, days=2
    )
    found = find_patterns(frame, params=FAST, parts=("clusters",)).clusters
    best = found.iloc[0]
    assert best["significant"] and len(set(best["report_uids"]) & set(planted)) >= 16
    # Blocks are calendar months: 70 days from 1 October are October, November and December.
    block = found["window_start"].dt.month
    last = (found["window_end"] - pd.Timedelta(days=1)).dt.month
    assert (block == last).all() and set(block) == {10, 11, 12}
    assert found["cluster_id"].is_unique


def _block(frame, params):
    """The grid, counts and margins of one block, as ``scan.clusters`` makes them."""
    points = points_of(frame)
    cell = hexgrid.cells_of(points.lon, points.lat, params.scan_resolution)
    every = np.unique(cell)
    grid = sc.grid_of(points, cell, every, hexgrid.ring_matrix(every, params.scan_rings))
    counts = sc._table(grid, grid.day_idx)
    margins = sc.margins_of(grid, counts, params)
    return grid, counts, margins


def _plain_null_maxima(grid, margins, params, floor):
    """Each replicate's best statistic among all cylinders that reach their need, one replicate at a time."""
    rng = np.random.default_rng(params.seed)
    maxima = []
    for _ in range(params.scan_permutations):
        counts = sc._table(grid, rng.permutation(grid.day_idx))
        best = 0.0
        for rings, disk in enumerate(grid.disks):
            for length, observed in sc._windows(disk @ counts, params.scan_max_days):
                mu = (
                    margins.disk_totals[rings][:, None]
                    * (margins.window_totals[length] / margins.total)[None, :]
                )
                need = np.maximum(
                    mu + np.sqrt(floor * mu * (margins.total - mu) / margins.total), params.min_cluster_size
                )
                hit = observed >= need
                if hit.any():
                    best = max(best, float(_llr(observed[hit], mu[hit], margins.total).max()))
        maxima.append(best)
    return np.array(maxima)


@pytest.mark.parametrize(
    ("n", "days", "floor"), [(500, 25, None), (500, 25, 3.0), (120, 6, None), (120, 6, 3.0)]
)
def test_pruned_replicates_give_the_maxima_of_a_plain_scan_of_every_cylinder(n, days, floor):
    # A sparse block of many days and a dense one of few; the floor of the scan and a lower one.
    frame = synthetic.background(n, seed=31, days=days, box=BOX)
    frame, _ = synthetic.plant_cluster(
        frame, 12, seed=32, centre=(35.25, 47.15), radius_m=2_000, first_day=2, days=2
    )
    params = PatternParams(scan_permutations=29)
    grid, counts, margins = _block(frame, params)
    if floor is None:  # as the scan does: the weakest cluster reported
        chosen = sc._disjoint(sc.candidates(grid, counts, margins, params), grid, params.max_clusters)
        floor = min(c[0] for c in chosen)
    computed = [
        len(centres)
        for rings in range(len(grid.disks))
        for centres, _, _ in sc._centres(grid, margins, params, floor, rings, np.dtype(np.uint8))
    ]
    assert 0 < sum(computed) < len(grid.cells) * len(grid.disks)  # some centres are left out, some not
    plain = _plain_null_maxima(grid, margins, params, floor)
    assert (plain >= floor).any()
    assert np.array_equal(sc.null_maxima(grid, margins, params, floor), plain)


def test_cylinders_holding_their_whole_disk_are_not_pruned():
    # One cell of min_cluster_size reports among lone reports far apart: every cylinder that can count is
    # that cell's, and in many replicates its best holds all 5 (the bound itself).
    rng = np.random.default_rng(7)
    lon = np.r_[np.full(5, 35.25), 35.0 + 0.1 * np.arange(40)]
    lat = np.r_[np.full(5, 47.15), np.full(40, 47.6)]
    days = rng.integers(0, 10, len(lon))
    frame = gpd.GeoDataFrame(
        {
            "uid": [f"r{i}" for i in range(len(lon))],
            "occurred_at": synthetic.START + pd.to_timedelta(days, unit="D"),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    params = PatternParams(scan_permutations=49)
    grid, _, margins = _block(frame, params)
    plain = _plain_null_maxima(grid, margins, params, floor=1.0)
    assert (plain > 0).mean() > 0.1
    assert np.array_equal(sc.null_maxima(grid, margins, params, floor=1.0), plain)


def test_a_blocks_disks_are_those_of_its_own_cells():
    frame = synthetic.background(300, seed=41, days=20, box=BOX)
    points = points_of(frame)
    cell = hexgrid.cells_of(points.lon, points.lat, FAST.scan_resolution)
    every = np.unique(cell)
    part = points.day < points.day.min() + pd.Timedelta(days=5)
    grid = sc.grid_of(points.subset(part), cell[part], every, hexgrid.ring_matrix(every, 2))
    for shared, own in zip(grid.disks, hexgrid.ring_matrix(grid.cells, 2), strict=True):
        assert shared.shape == own.shape and (shared != own).nnz == 0


def test_the_best_candidates_come_in_the_order_of_a_full_stable_sort():
    values = np.random.default_rng(3).integers(0, 40, 2_000).astype(float)  # many ties
    for k in (1, 10, 500, 1_999, 2_000, 5_000):
        assert np.array_equal(sc._best(values, k), np.argsort(-values, kind="stable")[:k])


def _demo_months(demo_analysis, months: int):
    """The demo month's events (their stand-ins) copied a month apart, ``months`` times."""
    from geo.pipeline import stand_ins

    one = stand_ins(demo_analysis.reports)
    copies = []
    for k in range(months):
        c = one.copy()
        c["occurred_at"] = c["occurred_at"] + pd.Timedelta(days=31 * k)
        c["uid"] = c["uid"] + f"-{k}"
        copies.append(c)
    return points_of(gpd.GeoDataFrame(pd.concat(copies, ignore_index=True), geometry="geometry", crs=4326))


@pytest.mark.slow
def test_a_month_scanned_in_another_process_is_the_same(demo_analysis):
    """The worker processes a long scan uses (geo.patterns.scan._in_workers) find each month's
    clusters exactly as this process does: the month's reports and the shared disks cross intact."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    points, params = _demo_months(demo_analysis, 2), PatternParams()
    cell = hexgrid.cells_of(points.lon, points.lat, params.scan_resolution)
    every = np.unique(cell)
    disks = hexgrid.ring_matrix(every, params.scan_rings)
    month = sc.month_of(points.day)
    blocks = [(points.subset(month == m), cell[month == m]) for m in np.unique(month)]
    with (
        tempfile.TemporaryDirectory() as folder,
        ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=sc._start_worker,
            initargs=(str(sc._share(Path(folder), (every, disks, params))),),
        ) as pool,
    ):
        there = [pool.submit(sc._scan_in_worker, *block).result() for block in blocks]
    here = [sc._scan_block(*block, every, disks, params) for block in blocks]
    assert sum(len(h) for h in here) > 0
    for a, b in zip(here, there, strict=True):
        pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b))


@pytest.mark.slow
def test_a_long_scan_shared_with_other_processes_finds_the_same_clusters(demo_analysis, monkeypatch):
    points, params = _demo_months(demo_analysis, 9), PatternParams()
    alone = clusters(points, params)
    monkeypatch.setattr(sc, "PARALLEL_MIN_REPORTS", 0)
    monkeypatch.setattr(sc, "PARALLEL_MIN_MONTHS", 2)
    cores = sc.scan_workers(len(points), 9)
    if cores < 2:
        pytest.skip("one core: a scan is never shared")
    shared = clusters(points, params)
    assert len(alone) > 9  # clusters in every month of the demo, and more
    pd.testing.assert_frame_equal(pd.DataFrame(shared), pd.DataFrame(alone))


class _DieOnLoad:
    """Unpickled, it ends the process at once, as an out-of-memory kill ends a worker starting up."""

    def __reduce__(self):
        return (os._exit, (3,))


@pytest.mark.slow
@pytest.mark.parametrize("payload", [b"not a pickle", pickle.dumps(_DieOnLoad())], ids=["fails", "dies"])
def test_a_scan_whose_workers_fail_or_die_while_starting_is_finished_here(
    demo_analysis, monkeypatch, payload
):
    """A worker that raises or dies while reading what the months share leaves this process to scan
    every month: the same clusters, and the analysis does not wait for ever (it did when the shared
    data was written through the pipe that starts the worker)."""
    points, params = _demo_months(demo_analysis, 9), PatternParams()
    alone = clusters(points, params)
    monkeypatch.setattr(sc, "PARALLEL_MIN_REPORTS", 0)
    monkeypatch.setattr(sc, "PARALLEL_MIN_MONTHS", 2)
    if sc.scan_workers(len(points), 9) < 2:
        pytest.skip("one core: a scan is never shared")

    def broken(folder, shared):
        path = folder / "shared.pickle"
        path.write_bytes(payload)
        return path

    monkeypatch.setattr(sc, "_share", broken)
    done: list = []
    thread = threading.Thread(target=lambda: done.append(clusters(points, params)), daemon=True)
    thread.start()
    thread.join(timeout=300)
    assert done, "the scan still waits on its broken workers after 300 s"
    pd.testing.assert_frame_equal(pd.DataFrame(done[0]), pd.DataFrame(alone))
