"""The surges' daily tests kept with a stored analysis: stored and read back as they were, and
taken only for the stand-ins they count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.patterns import PatternParams, synthetic
from geo.patterns.frame import points_of
from geo.patterns.surges import SurgeState, counts_them, surge_state, updated
from geo.refresh import from_arrow, to_arrow


def _frame(seed: int, n: int = 900) -> pd.DataFrame:
    frame = synthetic.background(n, seed=seed, days=40, sectors=3).sort_values("occurred_at")
    # A few reports without a sector (counted as "no sector"), as reports off every stretch of line.
    return frame.assign(sector=frame["sector"].where(np.arange(n) % 97 != 5))


def _stored(state: SurgeState) -> SurgeState | None:
    """``state`` through the store's conversion (geo.refresh: Arrow and back), as read back."""
    return SurgeState.from_frame(from_arrow(to_arrow("surges", state.to_frame())))


def assert_same_surges(got: SurgeState | None, state: SurgeState) -> None:
    """``got`` holds the days, counts and tests of ``state``, each array of its type."""
    assert got is not None
    assert (got.sectors, got.since) == (state.sectors, state.since) and got.days.equals(state.days)
    np.testing.assert_array_equal(got.counts, state.counts)
    assert got.tests.keys() == state.tests.keys()
    for key, values in state.tests.items():
        assert got.tests[key].dtype == values.dtype, key
        np.testing.assert_array_equal(got.tests[key], values, err_msg=key)


@pytest.mark.parametrize("seed", range(3))
def test_a_state_reads_back_as_it_was_and_updates_the_same(seed):
    params = PatternParams()
    frame = _frame(seed)
    first, later = frame.iloc[:700], frame.iloc[700:]
    state = surge_state(points_of(first), params)
    again = updated(state, points_of(first.iloc[:0]), points_of(later), params)
    assert again is not None and again.since > 0  # tested again from a later day only
    for kept in (state, again):
        assert_same_surges(_stored(kept), kept)
    # Read back, it is updated as the state it was (some reports of the middle days retracted).
    removed, none = points_of(first.iloc[300:320]), points_of(first.iloc[:0])
    expected = updated(again, removed, none, params)
    assert expected is not None
    assert_same_surges(updated(_stored(again), removed, none, params), expected)
    # No points, no days.
    empty = surge_state(points_of(frame.iloc[:0]), params)
    assert_same_surges(_stored(empty), empty)


def test_a_table_that_is_not_a_state_is_refused():
    state = surge_state(points_of(_frame(7)), PatternParams())
    table = state.to_frame()
    assert SurgeState.from_frame(table.drop(columns=["tests.p_value"])) is None
    assert SurgeState.from_frame(table.iloc[1:]) is None  # a sector-day missing
    days_apart = table.assign(day=table["day"] + pd.to_timedelta(np.arange(len(table)) % 2, unit="D"))
    assert SurgeState.from_frame(days_apart) is None
    assert SurgeState.from_frame(table.assign(since=np.arange(len(table)))) is None


def test_a_state_counts_its_own_points_and_no_others():
    frame = _frame(3)
    state = surge_state(points_of(frame), PatternParams())
    assert counts_them(state, frame)
    assert not counts_them(state, frame.iloc[1:])  # one fewer
    assert not counts_them(state, pd.concat([frame, frame.iloc[[0]]]))  # one more
    moved = frame.copy()
    moved.loc[moved.index[0], "sector"] = "S3" if moved["sector"].iloc[0] != "S3" else "S1"
    assert not counts_them(state, moved)  # another sector
    later = frame.copy()
    later.loc[later.index[0], "occurred_at"] = later["occurred_at"].iloc[0] + pd.Timedelta(days=1)
    assert not counts_them(state, later)  # another day
    assert counts_them(surge_state(points_of(frame.iloc[:0]), PatternParams()), frame.iloc[:0])
