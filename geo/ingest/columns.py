"""Column helpers for the field pass: what each value is, and the issues found per row."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
import pandas as pd

from geo.ingest.result import Issue

_CODES = {str: 1, int: 2, float: 2, bool: 3}
# A value shown in a message is cut to this many characters (a hostile file may hold huge ones).
SHOW_LIMIT = 80


@dataclass
class Findings:
    """Issues per row (positional), added to as the checks run."""

    n: int
    ids: list[str | None]
    props: list[dict[str, Any]]
    by_row: dict[int, list[Issue]] = field(default_factory=dict)

    def raw(self, row: int, name: str) -> Any:
        """The value as the file gave it (before pandas turned it into a column)."""
        return self.props[row].get(name)

    def show(self, row: int, name: str) -> str:
        """The value as the file gave it, for a message: text quoted, anything else as JSON."""
        return show_value(self.raw(row, name))

    def add(
        self,
        rows: np.ndarray | list[int],
        column: str | None,
        problem: Any,
        fix: Any,
        severity: str = "error",
    ) -> None:
        """Record an issue for each row; ``problem`` and ``fix`` may be callables of the row."""
        for r in np.asarray(rows, dtype=int).tolist():
            p = problem(r) if callable(problem) else problem
            f = fix(r) if callable(fix) else fix
            self.by_row.setdefault(r, []).append(Issue(r, self.ids[r], column, p, f, severity))  # type: ignore[arg-type]


def show_value(value: Any) -> str:
    """A value for a message: text quoted, NaN and Infinity by name, anything else as JSON; long ones cut."""
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, float) and not math.isfinite(value):
        text = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    else:
        try:
            text = orjson.dumps(value).decode()
        except TypeError:  # an integer beyond 64 bits, or something JSON cannot hold
            text = repr(value)
    if len(text) > SHOW_LIMIT:
        text = f"{text[: SHOW_LIMIT - 20]}...{text[-10:]} ({len(text):,} characters)"
    return text


def as_float(s: pd.Series, mask: np.ndarray) -> np.ndarray:
    """The numbers under ``mask`` as floats (NaN elsewhere); an integer beyond a float's range is ±inf.

    Python's JSON reader keeps integers of any size, which ``astype(float)`` refuses with an
    OverflowError; only then are the values converted one by one.
    """
    out = np.full(len(s), np.nan)
    if not mask.any():
        return out
    picked = s[mask]
    try:
        out[mask] = picked.astype(float).to_numpy()
    except OverflowError:
        out[mask] = [_to_float(v) for v in picked.tolist()]
    return out


def _to_float(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


@dataclass
class Kinds:
    """What each value of a column is: present (not null, not blank text), text, number or boolean."""

    present: np.ndarray
    is_str: np.ndarray
    is_num: np.ndarray
    is_bool: np.ndarray

    @property
    def other(self) -> np.ndarray:
        """Present values that are none of the three (a JSON object or array)."""
        return self.present & ~self.is_str & ~self.is_num & ~self.is_bool


def kinds(s: pd.Series) -> Kinds:
    """Classify a column's values, from its dtype when pandas inferred one (the common, fast case)."""
    n = len(s)
    none = np.zeros(n, dtype=bool)
    missing = s.isna().to_numpy(dtype=bool)
    if missing.all():
        return Kinds(none, none, none, none)
    if s.dtype.kind in "iuf":
        return Kinds(~missing, none, ~missing, none)
    if s.dtype.kind == "b":
        return Kinds(~missing, none, none, ~missing)
    if isinstance(s.dtype, pd.StringDtype):
        is_str = ~missing
    else:
        # Mixed values: one pass over the column to type them, then everything is vectorised.
        codes = np.fromiter((_CODES.get(type(v), 0) for v in s), dtype=np.int8, count=n)
        is_str = codes == 1
        return _with_blanks(s, missing, is_str, (codes == 2) & ~missing, codes == 3)
    return _with_blanks(s, missing, is_str, none, none)


def _with_blanks(
    s: pd.Series, missing: np.ndarray, is_str: np.ndarray, is_num: np.ndarray, is_bool: np.ndarray
) -> Kinds:
    blank = np.zeros(len(s), dtype=bool)
    if is_str.any():
        blank[is_str] = (s[is_str].astype("str").str.strip() == "").to_numpy(dtype=bool)
    return Kinds(~missing & ~blank, is_str & ~blank, is_num, is_bool)


def stripped(s: pd.Series, mask: np.ndarray) -> pd.Series:
    """The values under ``mask`` as a stripped string column (NaN elsewhere)."""
    out = pd.Series(np.nan, index=s.index, dtype="str")
    if mask.any():
        out[mask] = s[mask].astype("str").str.strip()
    return out
