"""Surge evidence of the events (their stand-ins), kept up to date as events come and go.

The daily tests of :mod:`geo.patterns.temporal` over the stand-ins, with what the score reads of
them: each stand-in on a surge sector-day (the Poisson or negative-binomial test, significant after
the false-discovery correction of its month) gets a ``PATTERN_SURGE`` row, as
:func:`geo.patterns.evidence.pattern_evidence` gives it. :class:`SurgeState` keeps the tests: an
update adds and removes the stand-ins that changed, tests again only from the first day whose
count or coverage changed (:func:`geo.patterns.temporal.daily_tests` with ``keep``), and the
evidence of the stand-ins before that day's month stays as it was. The result equals testing
every day of the new stand-ins (tests/patterns/test_temporal.py compares the tests,
tests/test_incremental.py the evidence with a from-scratch analysis).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.patterns.evidence import EVIDENCE_COLUMNS, SURGE_CODE, empty_evidence, surge_sentences
from geo.patterns.frame import Points
from geo.patterns.params import PatternParams
from geo.patterns.temporal import count_matrix, coverage, daily_tests

DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class SurgeState:
    """The daily tests of a set of points: per sector (rows) and day (columns, from the first
    report day to the last), the counts and :func:`~geo.patterns.temporal.daily_tests`' arrays
    (with ``covered``). ``since`` is the first day tested again when it was last updated."""

    sectors: tuple[str, ...]
    days: pd.DatetimeIndex
    counts: np.ndarray
    tests: dict[str, np.ndarray]
    since: int = 0

    @property
    def recomputed_from(self) -> pd.Timestamp:
        """The first day of the month of ``since`` (after the last day when nothing changed): surge
        evidence before it did not change."""
        if self.since >= len(self.days):
            return self.days[-1] + DAY
        day = self.days[self.since]
        return pd.Timestamp(year=day.year, month=day.month, day=1, tz="UTC")

    def cells(self, points: Points) -> tuple[np.ndarray, np.ndarray]:
        """Each point's sector row (-1 when not a sector here) and day column (from the first day)."""
        at = {name: i for i, name in enumerate(self.sectors)}
        rows = np.array([at.get(s, -1) for s in points.sector], dtype=np.int64)
        cols = np.asarray((points.day - self.days[0]) // DAY, dtype=np.int64)
        return rows, cols


def _months(days: pd.DatetimeIndex) -> np.ndarray:
    return (days.year * 12 + days.month - 1).to_numpy() if len(days) else np.zeros(0, dtype=int)


def surge_state(points: Points, params: PatternParams) -> SurgeState:
    """The daily tests of ``points``, every day."""
    counts, names, days = count_matrix(points)
    covered = coverage(counts, params.coverage_gap_days)
    tests = daily_tests(counts, params, covered, _months(days))
    return SurgeState(tuple(names), days, counts, {**tests, "covered": covered})


def updated(state: SurgeState, removed: Points, added: Points, params: PatternParams) -> SurgeState | None:
    """``state`` with ``removed`` taken out of its points and ``added`` put in, or None when the
    grid would not be the one the new points make (a sector or a first or last day appearing or
    vanishing): then :func:`surge_state` of the new points."""
    if not len(state.days):
        return None
    first = state.days[0]
    last = max(state.days[-1], added.day.max()) if len(added) else state.days[-1]
    n_d = int((last - first) // DAY) + 1
    before = np.zeros((len(state.sectors), n_d))
    before[:, : len(state.days)] = state.counts
    counts = before.copy()
    for points, sign in ((added, 1.0), (removed, -1.0)):
        rows, cols = state.cells(points)
        if (rows < 0).any() or (cols < 0).any():  # a sector or a day before the first: another grid
            return None
        np.add.at(counts, (rows, cols), sign)
    if (
        (counts < 0).any()
        or (counts.sum(axis=1) == 0).any()
        or not counts[:, 0].any()
        or not counts[:, -1].any()
    ):
        return None
    covered = coverage(counts, params.coverage_gap_days)
    was_covered = np.zeros_like(covered)
    was_covered[:, : len(state.days)] = state.tests["covered"]
    differ = np.flatnonzero(((counts != before) | (covered != was_covered)).any(axis=0))
    since = min(int(differ[0]) if len(differ) else n_d, len(state.days))
    days = pd.date_range(first, periods=n_d, freq="D")
    tests = daily_tests(counts, params, covered, _months(days), keep=state.tests, since=since)
    return SurgeState(state.sectors, days, counts, {**tests, "covered": covered}, since)


def surge_evidence(
    state: SurgeState, points: Points, *, start: pd.Timestamp | None = None, unit: str = "events"
) -> pd.DataFrame:
    """The ``PATTERN_SURGE`` rows of ``points`` (from day ``start`` on when given) by ``state``'s tests."""
    keep = np.ones(len(points), dtype=bool) if start is None else np.asarray(points.day >= start)
    if not len(state.days) or not keep.any():
        return empty_evidence()
    rows, cols = state.cells(points)
    inside = keep & (rows >= 0) & (cols >= 0) & (cols < len(state.days))
    member = np.zeros(len(points), dtype=bool)
    member[inside] = state.tests["surge"][rows[inside], cols[inside]]
    model = state.tests["model"][rows[member], cols[member]]
    member[np.flatnonzero(member)[~np.isin(model, ["poisson", "negbin"])]] = False
    r, c = rows[member], cols[member]
    surges = pd.DataFrame(
        {
            "sector": np.asarray(state.sectors, dtype=object)[r],
            "start": state.days[c],
            "count": state.counts[r, c].astype(np.int64),
            "baseline": state.tests["baseline"][r, c],
            "rule": state.tests["model"][r, c],
            "p_value": state.tests["p_value"][r, c],
        }
    )
    out = pd.DataFrame(
        {
            "uid": points.uid[member],
            "code": SURGE_CODE,
            "p_value": surges["p_value"].to_numpy(),
            "sentence": surge_sentences(surges, unit).to_numpy(dtype=object),
        }
    )
    return out[list(EVIDENCE_COLUMNS)].reset_index(drop=True)
