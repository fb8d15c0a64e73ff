"""Space-time clusters: false clusters at the nominal rate, planted clusters found, Monte Carlo p-values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from geo.patterns import PatternParams, find_patterns, synthetic
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
