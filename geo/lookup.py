"""Membership and row selection over large tables, in Arrow where the columns are Arrow.

An analysis kept up to date holds its columns in several Arrow chunks (geo.incremental shares the
blocks an update leaves alone). pandas selects rows of such a column through Arrow's ``take`` on
the whole chunked column, which copies every chunk first: a few rows of a million-row table then
cost as much as all of them. :func:`take_rows` takes them chunk by chunk.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of an integer array, sorted: ``np.unique(values)``, computed by sorting.

    numpy 2.4's ``np.unique`` without ``return_*`` hashes integers, and for many distinct values
    that is many times slower than a sort (a million: 0.77 s against 0.06 s).
    """
    values = np.asarray(values)
    if not (np.issubdtype(values.dtype, np.integer) or values.dtype == bool):
        msg = f"distinct takes integers, not {values.dtype}: use np.unique."
        raise TypeError(msg)
    ordered = np.sort(values.ravel())
    if len(ordered) < 2:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def distinct_pairs(pairs: np.ndarray) -> np.ndarray:
    """The distinct rows of an (n, 2) array of non-negative integers, sorted: ``np.unique(pairs, axis=0)``.

    Each row becomes one integer (first * (largest second + 1) + second), sorted and made distinct
    by :func:`distinct`: ``np.unique`` over rows sorts them as raw bytes, 10 times slower.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if not len(pairs):
        return pairs
    if pairs.min() < 0:
        msg = "distinct_pairs takes non-negative integers."
        raise ValueError(msg)
    width = int(pairs[:, 1].max()) + 1
    if int(pairs[:, 0].max()) >= np.iinfo(np.int64).max // width:
        return np.unique(pairs, axis=0)  # the keys would overflow
    keys = distinct(pairs[:, 0] * width + pairs[:, 1])
    return np.column_stack([keys // width, keys % width])


def mapped(values: object, mapping: dict, default: object = None, dtype: type = object) -> np.ndarray:
    """``pd.Series(values).map(mapping)`` as an array of ``dtype``, ``default`` where a value is missing
    or not mapped, each distinct value looked up once (a million reports' types mapped by pandas
    took a quarter of a second each time; a dozen distinct ones take microseconds)."""
    codes, uniques = pd.factorize(values if isinstance(values, pd.Series | pd.Index) else np.asarray(values))
    table = np.array([*(mapping.get(u, default) for u in uniques), default], dtype=dtype)
    return table[codes]  # code -1 (missing) takes the last: the default


def arrow_text(values: object) -> pa.Array | pa.ChunkedArray | None:
    """``values`` as the Arrow text array they hold (no copy), or None when they hold something else."""
    if not isinstance(values, pd.Series | pd.Index) or not isinstance(
        values.dtype, pd.ArrowDtype | pd.StringDtype
    ):
        return None
    try:
        array = pa.array(values.array)
    except (TypeError, pa.ArrowException):
        return None
    return array if pa.types.is_string(array.type) or pa.types.is_large_string(array.type) else None


def positions_among(values: object, ids: pd.Series) -> np.ndarray | None:
    """Each of ``values``'s row among ``ids`` (-1 where absent), looked up in Arrow without Python text.

    None unless both are Arrow text and ``ids`` are distinct and never missing: the caller then
    matches them its own way (a join, a factorisation).
    """
    text, among_ids = arrow_text(values), arrow_text(ids)
    if text is None or among_ids is None or not ids.notna().all() or not ids.is_unique:
        return None
    at = pc.index_in(text, value_set=among_ids).fill_null(-1)
    return at.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


def among(values: object, chosen: object) -> np.ndarray:
    """Which ``values`` are in ``chosen`` (as pandas' ``isin`` says).

    Arrow text is looked up in Arrow (a million in about 15 ms); anything else as Python objects
    (pandas' own ``isin`` on Arrow text tests element by element in Python, a second per 100,000).
    A missing value among ``chosen`` (None, NaN: the event of a report without one) finds the
    missing values, as in pandas.
    """
    pool = list(chosen) if isinstance(chosen, set | frozenset) else np.asarray(chosen, dtype=object).tolist()
    text = arrow_text(values)
    words = [v for v in pool if isinstance(v, str)]
    gaps = [v for v in pool if not isinstance(v, str) and _missing(v)]
    if text is not None and len(words) + len(gaps) == len(pool):
        value_set = pa.array(words + [None] * bool(gaps), type=text.type)
        found = pc.is_in(text, value_set=value_set)  # a null finds a null in the set (skip_nulls=False)
        return found.to_numpy(zero_copy_only=False).astype(bool, copy=False)
    return pd.Series(np.asarray(values, dtype=object), dtype=object).isin(pool).to_numpy()


def _missing(value: object) -> bool:
    """Whether ``value`` is a missing value (None, NaN, NA, NaT), not a value that merely is not text."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list, an array: not one missing value
        return False


def _take_chunked(array: pa.ChunkedArray, positions: np.ndarray) -> pa.Array:
    """Rows ``positions`` (ascending) of ``array``, each taken from its own chunk."""
    starts = np.r_[0, np.cumsum([len(c) for c in array.chunks])]
    chunk = np.searchsorted(starts, positions, side="right") - 1
    cuts = np.searchsorted(chunk, np.arange(array.num_chunks + 1))
    pieces = [
        array.chunk(k).take(pa.array(positions[a:b] - starts[k]))
        for k, (a, b) in enumerate(itertools.pairwise(cuts))
        if b > a
    ]
    if not pieces:
        return pa.array([], type=array.type)
    return pa.chunked_array(pieces, type=array.type).combine_chunks()


def take_rows(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """``frame.iloc[rows]`` (``rows``: a boolean mask or positions), the same frame, with Arrow
    columns of several chunks taken chunk by chunk."""
    rows = np.asarray(rows)
    positions = np.flatnonzero(rows) if rows.dtype == bool else rows.astype(np.int64, copy=False)
    chunked = []
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.ArrowDtype | pd.StringDtype):
            array = pa.array(frame[name].array)
            if isinstance(array, pa.ChunkedArray) and array.num_chunks > 1:
                chunked.append((name, array))
    if not chunked or len(positions) > len(frame) // 4:
        return frame.iloc[positions]
    if len(positions) > 1 and not bool(np.all(np.diff(positions) >= 0)):
        # Taken in ascending order, then put in the order asked (the rows taken are one chunk).
        order = np.argsort(positions, kind="stable")
        taken = take_rows(frame, positions[order])
        return taken.iloc[np.argsort(order, kind="stable")]
    out = frame.drop(columns=[name for name, _ in chunked]).iloc[positions]
    for name, array in chunked:
        taken = pd.array(_take_chunked(array, positions), dtype=frame[name].dtype)
        out[name] = pd.Series(taken, index=out.index, name=name)
    return out[list(frame.columns)]
