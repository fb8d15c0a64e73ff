"""Daily counts per sector against a trailing baseline: surges by an upper-tail test and by ACLED's rule.

Only days the data covers count: a sector's coverage calendar marks the days within runs of its
report days at most ``coverage_gap_days`` apart. A day outside (years between an archive and the
current month, weeks a sector went unreported) is unknown, not zero: it is neither tested nor part
of a baseline. The false-discovery correction runs per calendar month, so data of other months
never changes a month's surges.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from geo.patterns.frame import Points
from geo.patterns.params import PatternParams

DAILY_COLUMNS = (
    "sector",
    "day",
    "count",
    "baseline",
    "upper",
    "p_value",
    "q_value",
    "model",
    "surge",
    "week_count",
    "week_baseline",
    "acled_surge",
    "covered",
)
SURGE_COLUMNS = ("sector", "start", "end", "count", "baseline", "p_value", "rule", "report_uids")


def count_matrix(points: Points) -> tuple[np.ndarray, list[str], pd.DatetimeIndex]:
    """Return reports per sector and day (sectors x days, every day from the first to the last)."""
    if len(points) == 0:
        return np.zeros((0, 0)), [], pd.DatetimeIndex([], tz="UTC")
    days = pd.date_range(points.day.min(), points.day.max(), freq="D")
    # np.unique's codes and sorted names, by hashing: no sort of a million texts.
    s_idx, sectors = pd.factorize(points.sector, sort=True)
    d_idx = ((points.day - days[0]) // pd.Timedelta(days=1)).to_numpy()
    flat = np.bincount(s_idx * len(days) + d_idx, minlength=len(sectors) * len(days))
    return flat.reshape(len(sectors), len(days)).astype(float), [str(s) for s in sectors], days


def coverage(counts: np.ndarray, gap_days: int) -> np.ndarray:
    """Sector-days the data covers: within a run of the sector's report days at most ``gap_days`` apart.

    A day between two report days that are at most ``gap_days`` apart is covered, as are the report
    days themselves; so is a day at most ``gap_days`` after the sector's last report when the data
    goes on that long (a sector gone quiet while the others report is quiet, for a while).
    """
    n_s, n_d = counts.shape
    if not n_d:
        return np.zeros((n_s, 0), dtype=bool)
    day = np.arange(n_d)
    has = counts > 0
    # Index of the last report day at or before each day, and the first at or after it (-1 / n_d).
    prev = np.maximum.accumulate(np.where(has, day, -1), axis=1)
    nxt = np.minimum.accumulate(np.where(has, day, n_d)[:, ::-1], axis=1)[:, ::-1]
    known_prev = prev >= 0
    bridged = known_prev & (nxt < n_d) & (nxt - prev <= gap_days)
    tail = known_prev & (nxt == n_d) & (day - prev <= gap_days)
    return has | bridged | tail


def _tail(
    counts: np.ndarray, window: np.ndarray, params: PatternParams, *, band: bool = True
) -> tuple[np.ndarray, ...]:
    """Test counts against their trailing windows (NaN = left out), one test per row of ``window``.

    ``window`` holds the window's days along its last axis, ``counts`` one count per window.
    Returns the baseline mean, the upper band (None unless ``band``: its quantile function is
    most of the cost), the upper-tail p-value and the model used.
    """
    n = np.sum(np.isfinite(window), axis=-1)
    total = np.nansum(window, axis=-1)
    mean = np.divide(total, n, out=np.full(n.shape, np.nan), where=n > 0)
    sumsq = np.nansum(window**2, axis=-1)
    var = np.divide(sumsq - total * mean, n - 1, out=mean.copy(), where=n > 1)
    # Poisson with an estimated mean: the gamma-Poisson predictive of a Jeffreys posterior, NB(S + 1/2, n/(n+1)).
    # Distributions called, not frozen: freezing builds a docstring per call (a second per 800 days).
    pn, pp = total + 0.5, n / (n + 1.0)
    dispersion = np.divide((n - 1) * var, mean, out=np.zeros(n.shape), where=mean > 0)
    over = (
        (n > 1)
        & (mean > 0)
        & (var > mean)
        & (stats.chi2.sf(dispersion, np.maximum(n - 1, 1)) < params.overdispersion_p)
    )
    size = np.divide(mean**2, var - mean, out=np.ones(n.shape), where=var > mean)
    # Each test's own model's parameters, so each distribution function is called once (elementwise:
    # the same numbers as calling both models and choosing).
    nb_n = np.where(over, size, pn)
    nb_p = np.where(over, size / (size + np.where(mean > 0, mean, 1.0)), pp)
    p = stats.nbinom.sf(counts - 1, nb_n, nb_p)
    p[n == 0] = np.nan
    if not band:
        return mean, None, p, None
    upper = stats.nbinom.ppf(1 - params.alpha, nb_n, nb_p)
    return mean, upper, p, np.where(over, "negbin", "poisson")


def _test_days(
    counts: np.ndarray,
    usable: np.ndarray,
    covered: np.ndarray,
    first: int,
    last: int,
    params: PatternParams,
    *,
    band: bool = True,
) -> tuple[np.ndarray, ...]:
    """The tests of days ``first`` to ``last`` (exclusive), every sector at once, with ``usable`` as it is.

    Each day's window is the ``baseline_days`` before it (fewer at the start of the data); a day
    with fewer than ``min_baseline_days`` covered days in it, or not covered itself, is not tested.
    Without ``band`` only the p-values (the upper band and the model are None).
    """
    width = params.baseline_days
    padded = np.concatenate([np.full((usable.shape[0], width), np.nan), usable], axis=1)
    # Day d's window is usable[:, d - width : d], i.e. padded[:, d : d + width].
    windows = np.lib.stride_tricks.sliding_window_view(padded[:, first : last - 1 + width], width, axis=1)
    mean, upper, p, model = _tail(counts[:, first:last], windows, params, band=band)
    known = (np.sum(np.isfinite(windows), axis=-1) >= params.min_baseline_days) & covered[:, first:last]
    if not band:
        return None, None, np.where(known, p, np.nan), None
    mean, upper, p = (np.where(known, a, np.nan) for a in (mean, upper, p))
    return mean, upper, p, np.where(known, model, "")


def daily_tests(
    counts: np.ndarray,
    params: PatternParams,
    covered: np.ndarray | None = None,
    month: np.ndarray | None = None,
    *,
    keep: dict[str, np.ndarray] | None = None,
    since: int = 0,
) -> dict[str, np.ndarray]:
    """Test every covered sector-day against its trailing baseline.

    A day is tested when it is covered and at least ``min_baseline_days`` of the
    ``baseline_days`` before it are; the baseline is the mean over those covered days only. Days
    whose p-value is below ``baseline_exclude_p`` are left out of the baselines that follow (a surge
    does not hide its second day). The surge decision is Benjamini-Hochberg at ``alpha`` over the
    tested sector-days of each calendar month (``month``: each day's month number; one block when
    None).

    Every day's p-value is computed at once; then, in day order, each day found below
    ``baseline_exclude_p`` is left out and only the ``baseline_days`` after it, whose windows hold
    it, are tested again. A day's test reads only earlier days, so when the scan reaches a day every
    exclusion in its window has been applied and its p-value is final; one last pass with every
    exclusion known gives the bands. The same figures as testing day by day (a test compares).

    With ``keep`` (what an earlier call returned, for counts and coverage equal to these on every
    day before ``since``, over the same sectors and first day), the days before ``since`` are
    taken from it: a day's test reads only the days before it, so they are the same; only the
    days from ``since`` are tested again, and the false-discovery correction of their months.
    The result holds ``usable`` too (the counts the baselines read, exclusions left out).
    """
    n_s, n_d = counts.shape
    covered = np.ones((n_s, n_d), dtype=bool) if covered is None else covered
    since = 0 if keep is None else min(max(since, 0), n_d, keep["usable"].shape[1])
    out = {k: np.full((n_s, n_d), np.nan) for k in ("baseline", "upper", "p_value")}
    out["model"] = np.full((n_s, n_d), "", dtype=object)
    usable = np.where(covered, counts.astype(float), np.nan)
    if since:
        usable[:, :since] = keep["usable"][:, :since]
        for key in ("baseline", "upper", "p_value", "model"):
            out[key][:, :since] = keep[key][:, :since]
    first = max(params.min_baseline_days, since)

    def p_values(start: int, stop: int) -> np.ndarray:
        return _test_days(counts, usable, covered, start, stop, params, band=False)[2]

    p = np.full((n_s, n_d), np.nan)
    if first < n_d:
        p[:, first:] = p_values(first, n_d)
    day = first
    while day < n_d:
        low = p[:, day:] < params.baseline_exclude_p
        hits = np.flatnonzero(low.any(axis=0))
        if not len(hits):
            break
        day += int(hits[0])
        usable[low[:, hits[0]], day] = np.nan
        stop = min(day + 1 + params.baseline_days, n_d)
        if day + 1 < stop:
            p[:, day + 1 : stop] = p_values(day + 1, stop)
        day += 1
    if first < n_d:
        tests = _test_days(counts, usable, covered, first, n_d, params)
        for key, values in zip(("baseline", "upper", "p_value", "model"), tests, strict=True):
            out[key][:, first:] = values
    tested = np.isfinite(out["p_value"])
    q = np.full((n_s, n_d), np.nan)
    month = np.zeros(n_d, dtype=int) if month is None else month
    # Months wholly before ``since`` keep their correction; the others are corrected again.
    redo = np.ones(n_d, dtype=bool) if not since else month >= (month[since] if since < n_d else np.inf)
    if since:
        kept_days = np.flatnonzero(~redo)  # all before ``since``
        q[:, kept_days] = keep["q_value"][:, kept_days]
    for m in np.unique(month[redo]):
        block = tested & (month == m)[None, :]
        if block.any():
            q[block] = stats.false_discovery_control(out["p_value"][block], method="bh")
    out["q_value"] = q
    out["surge"] = tested & (q <= params.alpha) & (counts > out["baseline"])
    out["usable"] = usable
    return out


def acled_weeks(
    counts: np.ndarray, params: PatternParams, covered: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """ACLED's surge rule on the 7 days ending on each day against the mean of the weeks before them.

    Only where the week and the weeks before it are all covered days.
    """
    n_s, n_d = counts.shape
    covered = np.ones((n_s, n_d), dtype=bool) if covered is None else covered
    cum = np.concatenate([np.zeros((n_s, 1)), np.cumsum(counts, axis=1)], axis=1)
    gaps = np.concatenate([np.zeros((n_s, 1)), np.cumsum(~covered, axis=1)], axis=1)
    week = np.full((n_s, n_d), np.nan)
    before = np.full((n_s, n_d), np.nan)
    span = 7 * params.acled_weeks
    if n_d >= 7:
        week[:, 6:] = cum[:, 7:] - cum[:, :-7]
    if n_d >= 7 + span:
        end = np.arange(6 + span, n_d)  # days whose week and trailing weeks are all inside the data
        before[:, end] = (cum[:, end - 6] - cum[:, end - 6 - span]) / params.acled_weeks
        # A gap anywhere in the week or the weeks before it leaves the day untested.
        uncovered = (gaps[:, end + 1] - gaps[:, end - 6 - span]) > 0
        before[:, end] = np.where(uncovered, np.nan, before[:, end])
        week[:, end] = np.where(uncovered, np.nan, week[:, end])
    surge = (before > 0) & (week >= params.acled_ratio * before) & (week >= params.acled_min_count)
    return {"week_count": week, "week_baseline": before, "acled_surge": surge}


def daily_frame(
    counts: np.ndarray, sectors: list[str], days: pd.DatetimeIndex, params: PatternParams
) -> pd.DataFrame:
    """One row per sector and day with the count, the baseline band, the p-value, both surge rules
    and whether the data covers the day (``covered``)."""
    covered = coverage(counts, params.coverage_gap_days)
    month = (days.year * 12 + days.month - 1).to_numpy() if len(days) else np.zeros(0, dtype=int)
    parts = {
        "count": counts,
        **daily_tests(counts, params, covered, month),
        **acled_weeks(counts, params, covered),
        "covered": covered,
    }
    frame = pd.DataFrame(
        {
            "sector": np.repeat(np.array(sectors, dtype=object), len(days)),
            "day": np.tile(days, len(sectors)),
            **{k: v.ravel() for k, v in parts.items()},
        }
    )
    frame["count"] = frame["count"].astype("int64")
    return frame[list(DAILY_COLUMNS)]


def surge_table(daily: pd.DataFrame, points: Points) -> pd.DataFrame:
    """One row per significant sector-day and per run of days under ACLED's rule, with the reports in it."""
    members = _SectorDays(points)
    rows = []
    for row in daily[daily["surge"]].itertuples():
        uids = points.uid[members.between(row.sector, row.day, row.day)].tolist()
        rows.append((row.sector, row.day, row.day, row.count, row.baseline, row.p_value, row.model, uids))
    for sector, group in daily[daily["acled_surge"]].groupby("sector"):
        run = (group["day"].diff() != pd.Timedelta(days=1)).cumsum()
        for _, days in group.groupby(run):
            start, end = days["day"].iloc[0] - pd.Timedelta(days=6), days["day"].iloc[-1]
            hit = members.between(sector, start, end)
            baseline = days["week_baseline"].iloc[0] * len(pd.date_range(start, end)) / 7
            rows.append(
                (sector, start, end, len(hit), baseline, np.nan, "acled_week", points.uid[hit].tolist())
            )
    table = pd.DataFrame(rows, columns=list(SURGE_COLUMNS))
    return table.sort_values(["start", "sector", "rule"], ignore_index=True)


class _SectorDays:
    """The points of a sector over a run of days, found by binary search (one sort, not a scan per run)."""

    def __init__(self, points: Points) -> None:
        sector, names = pd.factorize(points.sector)
        self.sectors = {name: i for i, name in enumerate(names)}
        self.origin = points.day.min() if len(points) else pd.Timestamp(0, tz="UTC")
        day = self._day(points.day) if len(points) else np.zeros(0, dtype=np.int64)
        self.span = int(day.max()) + 1 if len(day) else 1
        key = sector.astype(np.int64) * self.span + day
        self.order = np.argsort(key, kind="stable")
        self.keys = key[self.order]

    def _day(self, when) -> np.ndarray:
        return np.asarray((when - self.origin) // pd.Timedelta(days=1), dtype=np.int64)

    def between(self, sector: str, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
        """Positions (ascending) of the points of ``sector`` from day ``start`` to day ``end``, both included."""
        if sector not in self.sectors:
            return np.zeros(0, dtype=np.int64)
        first = min(max(int(self._day(start)), 0), self.span)
        last = min(max(int(self._day(end)), -1), self.span - 1)
        base = self.sectors[sector] * self.span
        lo = np.searchsorted(self.keys, base + first, side="left")
        hi = np.searchsorted(self.keys, base + last, side="right")
        return np.sort(self.order[lo:hi])


def hourly_counts(points: Points, params: PatternParams) -> pd.DataFrame:
    """Reports per sector and hour over the last ``recent_days`` days of the data."""
    if len(points) == 0:
        return pd.DataFrame({"sector": [], "hour": pd.DatetimeIndex([], tz="UTC"), "count": []})
    start = points.day.max() - pd.Timedelta(days=params.recent_days - 1)
    recent = points.day >= start
    hours = pd.date_range(start, points.day.max() + pd.Timedelta(hours=23), freq="h")
    counts = (
        pd.Series(1, index=[points.sector[recent], points.time[recent].floor("h")])
        .groupby(level=[0, 1])
        .sum()
        .unstack(fill_value=0)
        .reindex(columns=hours, fill_value=0)
    )
    long = counts.stack().rename("count").reset_index()
    long.columns = ["sector", "hour", "count"]
    return long
