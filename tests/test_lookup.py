"""geo.lookup: distinct values and rows (numpy's own answers, computed by sorting), positions among ids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from geo.lookup import among, distinct, distinct_pairs, mapped, positions_among

integers = hnp.arrays(
    st.sampled_from([np.int64, np.uint64, np.int32]), st.integers(0, 200), elements=st.integers(0, 2**31 - 1)
)


@given(integers)
def test_distinct_is_numpys_unique(values):
    found = distinct(values)
    assert found.dtype == values.dtype
    np.testing.assert_array_equal(found, np.unique(values))


@given(hnp.arrays(np.int64, st.tuples(st.integers(0, 200), st.just(2)), elements=st.integers(0, 10**6)))
def test_distinct_pairs_are_numpys_unique_rows(pairs):
    np.testing.assert_array_equal(distinct_pairs(pairs), np.unique(pairs, axis=0).reshape(-1, 2))


def test_pairs_whose_keys_would_overflow_are_still_right():
    pairs = np.array([[2**62, 3], [1, 2**40], [2**62, 3], [0, 0]], dtype=np.int64)
    np.testing.assert_array_equal(distinct_pairs(pairs), np.unique(pairs, axis=0))


def test_what_distinct_refuses():
    with pytest.raises(TypeError, match="integers"):
        distinct(np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="non-negative"):
        distinct_pairs(np.array([[-1, 2]]))


def test_positions_among_looks_up_arrow_text_and_declines_what_it_cannot_match():
    ids = pd.Series(["ev-b", "ev-a", "ev-c"], dtype="str")
    values = pd.Series(["ev-a", "ev-x", "ev-c", "ev-a", None], dtype="str")
    assert positions_among(values, ids).tolist() == [1, -1, 2, 1, -1]
    assert positions_among(values, pd.Series(["ev-a", "ev-a"], dtype="str")) is None  # not distinct
    assert positions_among(values, pd.Series(["ev-a", None], dtype="str")) is None  # an id missing
    assert positions_among(values.astype(object), ids.astype(object)) is None  # not Arrow text


def test_mapped_is_series_map_with_a_default_for_missing_and_unmapped_values():
    values = pd.Series(["shelling", "drone_strike", None, "unknown_kind", "shelling"], dtype="str")
    table = {"shelling": "fire", "drone_strike": "air"}
    expected = values.map(table).to_numpy(dtype=object)

    got = mapped(values, table, default="other")

    assert got.tolist() == [e if isinstance(e, str) else "other" for e in expected]
    assert mapped(values, {"shelling": 0.5}, np.nan, float).tolist()[:2] == [
        0.5,
        pytest.approx(np.nan, nan_ok=True),
    ]
    assert mapped(np.array([3, 1, 3]), {1: "one"}).tolist() == [None, "one", None]
    assert mapped(values.iloc[:0], table).tolist() == []


@given(
    st.lists(st.one_of(st.none(), st.sampled_from(["ev-a", "ev-b", "ev-c", "ev-é"])), max_size=40),
    st.sets(
        st.one_of(st.none(), st.just(float("nan")), st.sampled_from(["ev-a", "ev-c", "ev-z"])), max_size=4
    ),
)
def test_among_is_pandas_isin_also_with_a_missing_value_chosen(values, chosen):
    column = pd.Series(values, dtype="str")
    # The column's own isin (element by element in Python): a missing value chosen finds the missing.
    expected = column.isin(list(chosen)).to_numpy()
    assert among(column, chosen).tolist() == expected.tolist()
