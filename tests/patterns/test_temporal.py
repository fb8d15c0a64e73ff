"""Surges per sector: the false-alarm rate under no change, planted surges found, the ACLED week rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from geo.patterns import PatternParams, find_patterns, synthetic
from geo.patterns.temporal import acled_weeks, coverage, daily_tests

SIGNIFICANT = ["poisson", "negbin"]


def test_false_surges_under_a_homogeneous_poisson_process_match_alpha():
    runs, alpha = 60, 0.05
    flagged = 0
    for seed in range(runs):
        frame = synthetic.background(1_800, seed=seed, days=30, sectors=3)
        found = find_patterns(frame, params=PatternParams(alpha=alpha), parts=("surges",))
        flagged += bool(found.surges["rule"].isin(SIGNIFICANT).any())
    # At most the nominal rate plus sampling slack (the 99th percentile of Binomial(runs, alpha)).
    assert flagged <= stats.binom.ppf(0.99, runs, alpha)


@pytest.mark.parametrize("extra", [40, 80])
def test_a_planted_surge_is_flagged_on_its_day_and_sector(extra):
    frame = synthetic.background(1_800, seed=7, days=30, sectors=3)
    frame, planted = synthetic.plant_surge(frame, extra, seed=8, sector="S2", day=20)
    found = find_patterns(frame, parts=("surges",))
    surges = found.surges[found.surges["rule"].isin(SIGNIFICANT)]
    hit = surges[(surges["sector"] == "S2") & (surges["start"] == synthetic.START + pd.Timedelta(days=20))]
    assert len(hit) == 1
    assert set(planted) <= set(hit["report_uids"].iloc[0])
    assert len(surges) - 1 <= 1  # noise may add a rare false day (the false-alarm test bounds the rate)
    day = found.daily[(found.daily["sector"] == "S2") & found.daily["surge"]]
    assert (day["count"] > day["upper"]).all() and (day["p_value"] < 0.05).all()


def test_a_day_needs_the_minimum_baseline_before_it_is_tested():
    counts = np.zeros((1, 12))
    counts[0, 3] = 50  # a burst before any baseline exists is not tested
    out = daily_tests(counts, PatternParams(min_baseline_days=7))
    assert np.isnan(out["p_value"][0, :7]).all()
    assert not out["surge"][0, :7].any()


def test_a_surge_day_does_not_raise_the_baseline_of_the_next():
    rng = np.random.default_rng(3)
    counts = rng.poisson(10, (1, 30)).astype(float)
    counts[0, 20:22] = 60
    out = daily_tests(counts, PatternParams())
    assert out["surge"][0, 20] and out["surge"][0, 21]
    assert out["baseline"][0, 21] == pytest.approx(counts[0, 7:21][counts[0, 7:21] < 60].mean(), rel=0.2)


def _tests_day_by_day(counts, params, covered, month):
    """The definition, one day after the other: each day against its window, its exclusion applied
    before the next day is tested (what daily_tests computes all at once)."""
    from geo.patterns.temporal import _tail

    n_s, n_d = counts.shape
    p_value = np.full((n_s, n_d), np.nan)
    baseline, upper = p_value.copy(), p_value.copy()
    usable = np.where(covered, counts, np.nan)
    for d in range(params.min_baseline_days, n_d):
        window = usable[:, max(0, d - params.baseline_days) : d]
        mean, up, p, _ = _tail(counts[:, d], window, params)
        known = (np.isfinite(window).sum(axis=1) >= params.min_baseline_days) & covered[:, d]
        baseline[:, d], upper[:, d], p_value[:, d] = (np.where(known, a, np.nan) for a in (mean, up, p))
        usable[p_value[:, d] < params.baseline_exclude_p, d] = np.nan
    q = np.full((n_s, n_d), np.nan)
    for m in np.unique(month):
        block = np.isfinite(p_value) & (month == m)[None, :]
        if block.any():
            q[block] = stats.false_discovery_control(p_value[block], method="bh")
    return {"baseline": baseline, "upper": upper, "p_value": p_value, "q_value": q}


def _bursty(rng: np.random.Generator) -> tuple[np.ndarray, PatternParams]:
    """Counts of 1-6 sectors over 40-300 days with bursts (excluded days) and gaps, and settings."""
    n_s, n_d = int(rng.integers(1, 7)), int(rng.integers(40, 300))
    counts = rng.poisson(rng.gamma(2, 3, (n_s, 1)), (n_s, n_d)).astype(float)
    burst = rng.random((n_s, n_d)) < 0.05
    counts[burst] += rng.poisson(40, int(burst.sum()))
    counts[rng.random((n_s, n_d)) < 0.15] = 0
    return counts, PatternParams(min_baseline_days=int(rng.integers(1, 8)))


@pytest.mark.parametrize("seed", range(12))
def test_all_days_at_once_equal_the_day_by_day_definition(seed):
    # Bursts far above the baseline make excluded days (some in a row, some a window apart), gaps
    # leave days uncovered, and the first days come before any baseline exists.
    rng = np.random.default_rng(seed)
    counts, params = _bursty(rng)
    n_d = counts.shape[1]
    covered = coverage(counts, params.coverage_gap_days)
    month = np.arange(n_d) // 30
    expected = _tests_day_by_day(counts, params, covered, month)
    out = daily_tests(counts, params, covered, month)
    assert (out["p_value"] < params.baseline_exclude_p).any()  # the exclusions are exercised
    for key, values in expected.items():
        np.testing.assert_array_equal(out[key], values, err_msg=key)


def test_overdispersed_baselines_use_the_negative_binomial():
    rng = np.random.default_rng(5)
    steady = rng.poisson(20, 30)
    bursty = rng.negative_binomial(2, 2 / 22, 30)  # mean 20, variance 220
    out = daily_tests(np.vstack([steady, bursty]).astype(float), PatternParams())
    tested = np.isfinite(out["p_value"])
    assert (out["model"][0][tested[0]] == "poisson").mean() > 0.8
    assert (out["model"][1][tested[1]] == "negbin").mean() > 0.8


def test_acled_rule_flags_a_week_twice_the_trailing_four_week_mean():
    counts = np.full((1, 42), 2.0)  # 14 a week
    counts[0, 35:42] = 4.0  # the sixth week: 28, exactly twice
    out = acled_weeks(counts, PatternParams())
    assert np.isnan(out["week_baseline"][0, :34]).all()
    assert out["week_baseline"][0, 41] == pytest.approx(14.0)
    assert out["acled_surge"][0, 41] and not out["acled_surge"][0, :40].any()


def test_every_sector_given_gets_a_series_and_reports_without_one_are_grouped():
    frame = synthetic.background(300, seed=1, days=10, sectors=2)
    frame.loc[:9, "sector"] = None
    sectors = pd.DataFrame({"sector": ["S1", "S2", "Quiet"]})
    found = find_patterns(frame, sectors=sectors, parts=("surges",))
    per_sector = found.daily.groupby("sector")["count"].sum()
    assert per_sector["(no sector)"] == 10 and per_sector["Quiet"] == 0
    assert per_sector.sum() == len(frame)
    assert found.daily.groupby("sector").size().nunique() == 1


def _archive(frame, *, years: int, seed: int):
    """A sparse archive of the same sectors, ``years`` years before the frame (an old dataset uploaded late)."""
    old = synthetic.background(120, seed=seed, days=60, sectors=3)
    old["occurred_at"] = old["occurred_at"] - pd.DateOffset(years=years)
    old["uid"] = "archive-" + old["uid"]
    return pd.concat([frame, old], ignore_index=True)


def test_old_data_uploaded_into_a_current_store_changes_no_current_surge_or_cluster():
    # The current month, with a planted surge; then the same month with a 2019 archive uploaded
    # into the store. Before the coverage calendar the days between counted as zeros, so the first
    # days of the month were tested against a baseline of 0.0 a day and flagged.
    current = synthetic.background(1_800, seed=7, days=30, sectors=3)
    current, _ = synthetic.plant_surge(current, 60, seed=8, sector="S2", day=20)
    both = _archive(current, years=7, seed=9)
    params = PatternParams(scan_permutations=19)
    alone = find_patterns(current, params=params, parts=("surges", "clusters"))
    mixed = find_patterns(both, params=params, parts=("surges", "clusters"))

    def now(table, column):
        return table[table[column] >= synthetic.START].reset_index(drop=True)

    pd.testing.assert_frame_equal(now(alone.surges, "start"), now(mixed.surges, "start"))
    pd.testing.assert_frame_equal(
        now(alone.clusters, "window_start").drop(columns="cluster_id"),
        now(mixed.clusters, "window_start").drop(columns="cluster_id"),
        check_like=True,
    )
    # The years between are unknown, not zero: not covered, never tested.
    daily = mixed.daily
    gap = daily[(daily["day"] < synthetic.START) & (daily["day"] > synthetic.START - pd.Timedelta(days=300))]
    assert not gap["covered"].any() and gap["p_value"].isna().all()


def test_a_sector_back_from_a_silence_is_not_tested_against_the_silence():
    # S1 goes unreported for 20 days (a post closed), then reports as before: its first days back
    # have too few covered days behind them to be tested, rather than a baseline of zero.
    frame = synthetic.background(2_400, seed=3, days=40, sectors=3)
    silent = (
        (frame["sector"] == "S1")
        & (frame["occurred_at"] >= synthetic.START + pd.Timedelta(days=10))
        & (frame["occurred_at"] < synthetic.START + pd.Timedelta(days=30))
    )
    found = find_patterns(frame[~silent].reset_index(drop=True), parts=("surges",))
    s1 = found.daily[found.daily["sector"] == "S1"].set_index("day")
    back = synthetic.START + pd.Timedelta(days=30)
    assert not s1.loc[back - pd.Timedelta(days=5), "covered"]
    assert s1.loc[back : back + pd.Timedelta(days=6), "p_value"].isna().all()
    assert not found.surges["sector"].eq("S1").any()


@pytest.mark.parametrize("seed", range(12))
def test_testing_again_from_the_first_changed_day_equals_testing_every_day(seed):
    # An update changes the counts from some day on (a batch of recent reports, a late report, a
    # report retracted) and may add days at the end; the tests kept before that day and redone
    # after it must be those of testing every day of the new counts.
    rng = np.random.default_rng(100 + seed)
    counts, params = _bursty(rng)
    n_s, n_d = counts.shape
    month = np.arange(n_d + 30) // 30
    before = daily_tests(counts, params, coverage(counts, params.coverage_gap_days), month[:n_d])
    since = int(rng.integers(0, n_d))
    extra = int(rng.integers(0, 30))
    after = np.concatenate([counts, rng.poisson(3, (n_s, extra)).astype(float)], axis=1)
    after[:, since:] = np.maximum(after[:, since:] + rng.integers(-2, 6, after[:, since:].shape), 0)
    covered = coverage(after, params.coverage_gap_days)
    old_cover = np.zeros_like(covered)
    old_cover[:, :n_d] = coverage(counts, params.coverage_gap_days)
    old_counts = np.zeros_like(after)
    old_counts[:, :n_d] = counts
    differ = np.flatnonzero(((after != old_counts) | (covered != old_cover)).any(axis=0))
    first = int(differ[0]) if len(differ) else after.shape[1]
    expected = daily_tests(after, params, covered, month[: after.shape[1]])
    again = daily_tests(after, params, covered, month[: after.shape[1]], keep=before, since=first)
    for key, values in expected.items():
        np.testing.assert_array_equal(again[key], values, err_msg=key)
