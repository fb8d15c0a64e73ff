"""The timeline under the map: reports per UTC day by flag level, and a brushed range read back as days.

The timeline shows every day of the record that the filters other than the period keep, so a user
sees where the period lies and can brush another one; the brushed range becomes the period filter
(whole UTC days, :mod:`geo.periods`), the same filter the sidebar's slider and presets set.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from geo.filters import Filters, filter_mask
from geo.framememo import per_frame

# Flag levels in the order they stack (the most serious at the bottom, where the eye starts).
LEVELS = ("likely", "possible", "unlikely")
NOT_ASSESSED = "not assessed"
COLUMNS = ["day", "flag_level", "reports"]
# Counts kept per frame: one for each of the last few filters (the period aside) a page asked for.
KEPT_PER_FRAME = 8


def without_period(filters: Filters) -> Filters:
    """The filters with their period dropped: what the timeline counts over."""
    return dataclasses.replace(filters, start=None, end=None)


@per_frame
def _counted(reports: pd.DataFrame) -> dict[tuple, pd.DataFrame]:
    """The counts made of ``reports`` so far, by filters (every field but the period)."""
    return {}


def daily_counts(reports: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Reports per UTC day and flag level that ``filters`` keep, the period aside.

    Columns :data:`COLUMNS`: ``day`` (UTC midnight), ``flag_level`` (:data:`LEVELS`, then
    :data:`NOT_ASSESSED` for reports with none) and ``reports``; only days and levels with reports,
    by day then level. Empty (with the columns) when no report is kept.

    Remembered per frame (which must not change while it lives, as the analysis frames never do)
    and per filters: the Map page asks on every run, and at a million reports each count took
    0.3 to 0.5 s. A copy is returned, so the caller may change it.
    """
    held = _counted(reports)
    key = (
        tuple(sorted((column, tuple(values)) for column, values in filters.choices.items())),
        filters.min_km,
        filters.max_km,
        filters.area,
    )
    if key not in held:
        if len(held) >= KEPT_PER_FRAME:
            held.pop(next(iter(held)))
        held[key] = _daily_counts(reports, filters)
    return held[key].copy()


def _daily_counts(reports: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    kept = reports.loc[
        filter_mask(reports, without_period(filters)) & reports["occurred_at"].notna().to_numpy()
    ]
    if kept.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype=t) for c, t in zip(COLUMNS, ("datetime64[ns, UTC]", str, int), strict=True)}
        )
    level = (
        kept["flag_level"].astype(object).where(kept["flag_level"].isin(LEVELS), NOT_ASSESSED)
        if "flag_level" in kept
        else pd.Series(NOT_ASSESSED, index=kept.index)
    )
    counts = (
        pd.DataFrame({"day": kept["occurred_at"].dt.floor("D"), "flag_level": level.to_numpy()})
        .value_counts()
        .rename("reports")
        .reset_index()
    )
    rank = {name: i for i, name in enumerate((*LEVELS, NOT_ASSESSED))}
    order = np.lexsort((counts["flag_level"].map(rank).to_numpy(), counts["day"].to_numpy()))
    return counts.iloc[order].reset_index(drop=True)[COLUMNS]


def brushed_days(selection: object, *, first: dt.date, last: dt.date) -> tuple[dt.date, dt.date] | None:
    """The whole UTC days a brushed interval covers, within ``first`` .. ``last``; None when nothing is brushed.

    ``selection`` is the interval's two ends on the time axis as Vega-Lite reports them: epoch
    milliseconds (UTC), or date text. A day counts when the brush reaches into it; the range is
    clamped to the days with reports.
    """
    if not isinstance(selection, list | tuple) or len(selection) != 2:
        return None
    ends = []
    for value in selection:
        if isinstance(value, int | float) and not isinstance(value, bool):
            stamp = pd.Timestamp(value, unit="ms", tz="UTC")
        else:
            stamp = pd.Timestamp(value)
            stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        ends.append(stamp)
    start, end = sorted(ends)
    # A brush ending exactly at a midnight does not reach into that day.
    last_in = (end - pd.Timedelta(1, unit="ns")) if end == end.normalize() and end > start else end
    days = (min(max(start.date(), first), last), min(max(last_in.date(), first), last))
    return (days[0], max(days))
