"""Report dots sized by a value: the reports of the report's event, or its casualties, on an area-true scale.

The dot's area above the smallest dot grows in proportion to the value: ``r² = base² + (cap² -
base²) · v / top``, with ``top`` the largest value drawn, so the largest dot has the capped radius
and a dot of twice the value has twice the extra ink. A report without a figure (no casualty figure
given) is drawn at the smallest size, as a zero is, and the legend says so: the two cannot be told
apart on the map, and the legend never lets a missing figure pass for zero.
No folium here: the map image draws the same sizes with matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.labels import SIZE_SCHEME_LABELS
from geo.maps import style

SIZE_SCHEMES: tuple[str, ...] = tuple(SIZE_SCHEME_LABELS)
UNIFORM = "uniform"
# The smallest dot is the map's usual one; the largest reads as "many" without burying its neighbours.
BASE_RADIUS = float(style.MARKER_RADIUS)
MAX_RADIUS = 22.0
CASUALTY_COLUMNS = ("casualties_best", "casualties_low", "casualties_high")


def _check(size_by: str) -> None:
    if size_by not in SIZE_SCHEMES:
        msg = f"size_by {size_by!r} is not a way of sizing the map's dots."
        raise InputError(msg, hint=f"Use one of {', '.join(SIZE_SCHEMES)}.")


def casualty_figure(frame: pd.DataFrame) -> np.ndarray:
    """Each report's casualty figure: the best estimate, else the middle of the low and high ones,
    else the one given; NaN when the report gives none (not zero)."""

    def column(name: str) -> np.ndarray:
        if name not in frame.columns:
            return np.full(len(frame), np.nan)
        return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    best, low, high = (column(c) for c in CASUALTY_COLUMNS)
    middle = np.where(np.isnan(low), high, np.where(np.isnan(high), low, (low + high) / 2))
    return np.where(np.isnan(best), middle, best)


def event_report_counts(frame: pd.DataFrame, events: pd.DataFrame | None = None) -> np.ndarray:
    """How many reports each report's event merges (its corroboration): the events' ``n_reports``
    when given, else the reports of each ``event_id`` in ``frame``; 1 for a report without an event."""
    if "event_id" not in frame.columns:
        return np.ones(len(frame))
    if events is not None and "n_reports" in events.columns:
        per_event = events.drop_duplicates("event_id").set_index("event_id")["n_reports"]
    else:
        per_event = frame["event_id"].value_counts()
    counts = frame["event_id"].map(per_event)
    return pd.to_numeric(counts, errors="coerce").fillna(1).to_numpy(dtype=float)


def size_values(frame: pd.DataFrame, size_by: str, *, events: pd.DataFrame | None = None) -> np.ndarray:
    """The value each report's dot is sized by (NaN: no figure); all NaN for ``uniform``.

    Raises
    ------
    InputError
        When ``size_by`` is not one of :data:`SIZE_SCHEMES`.
    """
    _check(size_by)
    if size_by == "reports":
        return event_report_counts(frame, events)
    if size_by == "casualties":
        return casualty_figure(frame)
    return np.full(len(frame), np.nan)


def radii(
    values: np.ndarray, *, top: float | None = None, base: float = BASE_RADIUS, cap: float = MAX_RADIUS
) -> np.ndarray:
    """Dot radii (px) on the area-true scale of the module docstring.

    Parameters
    ----------
    values
        One value per dot, >= 0; NaN (no figure) gets ``base``, as zero does.
    top
        The value drawn at ``cap``; default the largest finite value. Larger values are capped.
    base, cap
        Radii of the smallest and of the largest dot.

    Examples
    --------
    >>> radii(np.array([0.0, 1.0, 4.0, np.nan]), top=4.0, base=2.0, cap=4.0).round(2).tolist()
    [2.0, 2.45, 4.0, 2.0]
    """
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    if top is None:
        top = float(finite.max()) if finite.size else 0.0
    if top <= 0:
        return np.full(v.shape, base)
    share = np.clip(np.nan_to_num(v, nan=0.0), 0.0, top) / top
    return np.sqrt(base**2 + (cap**2 - base**2) * share)


@dataclass(frozen=True)
class SizeKey:
    """The size legend: a title and (words, radius px) rows, smallest first."""

    title: str
    rows: tuple[tuple[str, float], ...]


def _nice(values: np.ndarray, top: float) -> list[float]:
    """Up to three values to show in the legend: the smallest one drawn, a middle one, the top."""
    low = float(np.nanmin(values)) if np.isfinite(values).any() else 0.0
    return sorted({low, float(np.round((low + top) / 2)), top})


def size_key(values: np.ndarray, size_by: str) -> SizeKey | None:
    """The legend rows of the sizes drawn for ``values`` (as :func:`size_values` gives); None for uniform."""
    _check(size_by)
    if size_by == UNIFORM:
        return None
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    top = float(finite.max()) if finite.size else 0.0
    if size_by == "reports":
        unit = ("report in its event", "reports in its event")
        rows = [(f"{x:,.0f} {unit[x != 1]}", float(radii(np.array([x]), top=top)[0])) for x in _nice(v, top)]
        return SizeKey("Size: reports in its event (area)", tuple(rows))
    missing = int(np.isnan(v).sum())
    if not finite.size:
        return SizeKey(
            "Size: casualties; no report drawn gives a figure", (("No figure given (all)", BASE_RADIUS),)
        )
    rows = [(f"{x:,.0f} casualties", float(radii(np.array([x]), top=top)[0])) for x in _nice(finite, top)]
    if missing:
        rows.insert(0, (f"No figure given ({missing:,} reports)", BASE_RADIUS))
    return SizeKey("Size: casualties (area); no figure given = smallest", tuple(rows))
