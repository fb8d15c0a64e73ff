"""The timeline under the map: reports per UTC day, week or month by flag level, a brushed range read back as days.

The timeline shows every day of the record that the filters other than the period keep, so a user
sees where the period lies and can brush another one; the brushed range becomes the period filter
(whole UTC days, :mod:`geo.periods`), the same filter the sidebar's slider and presets set.

Over a long record the days are gathered into bars of a longer unit (:func:`bin_unit`): a mission of
23 years drawn by day was 25,000 rows of chart data (1.3 MB on every run of the Map page, about 6 s
for headless Chromium to draw), and 8,000 daily bars in 1,400 px are unreadable anyway.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from geo.filters import Filters, filter_mask
from geo.framememo import per_frame
from geo.labels import label
from geo.lookup import mapped, positions_among

# Flag levels in the order they stack (the most serious at the bottom, where the eye starts).
LEVELS = ("likely", "possible", "unlikely")
NOT_ASSESSED = "not assessed"
COLUMNS = ["day", "flag_level", "reports"]
# The bars of a timeline in another unit: the first instant of each bar and the first after it.
BAR_COLUMNS = ["start", "stop", "flag_level", "reports"]
# Counts kept per frame: one for each of the last few filters (the period aside) a page asked for.
KEPT_PER_FRAME = 8
# The units a bar may span, finest first (weeks are ISO weeks, from Monday; all in UTC).
UNITS = ("day", "week", "month", "year")
# The most bars a timeline draws per flag level: the finest unit that needs no more is chosen, so
# up to 400 days of record are drawn by day, up to about 7.7 years by week, up to 33 by month.
MAX_BARS = 400

_RANKED = (*LEVELS, NOT_ASSESSED)
_DAY_NS = 86_400 * 10**9
# 1970-01-01, day 0, was a Thursday: day numbers d with (d + 3) % 7 == 0 are Mondays.
_MONDAY_SHIFT = 3


def without_period(filters: Filters) -> Filters:
    """The filters with their period dropped: what the timeline counts over."""
    return dataclasses.replace(filters, start=None, end=None)


@dataclasses.dataclass
class _Held:
    """What is kept of one frame: each report's day and level as one integer, and the counts made."""

    keys: np.ndarray  # day number (days since 1970-01-01, UTC) * 4 + the level's rank
    timed: np.ndarray  # whether the report has a time (the others are never counted)
    counted: dict[tuple, pd.DataFrame] = dataclasses.field(default_factory=dict)


@per_frame
def _held(reports: pd.DataFrame) -> _Held:
    """Each report's day and level (once per frame), and the counts made of ``reports`` so far."""
    times = reports["occurred_at"]
    timed = times.notna().to_numpy()
    utc = times.dt.tz_convert("UTC") if times.dt.tz is not None else times
    nanos = utc.to_numpy(dtype="datetime64[ns]").view(np.int64)
    days = np.where(timed, nanos, 0) // _DAY_NS  # floored: a report before 1970 falls on its own day
    return _Held(keys=days * len(_RANKED) + _level_ranks(reports), timed=timed)


def _level_ranks(reports: pd.DataFrame) -> np.ndarray:
    """Each report's level as its place in ``_RANKED``: no level, or another word, is not assessed."""
    if "flag_level" not in reports:
        return np.full(len(reports), len(LEVELS), dtype=np.int64)
    # In Arrow when the column is Arrow text (a million in 20 ms), else through its distinct values.
    found = positions_among(reports["flag_level"], pd.Series(LEVELS, dtype="str"))
    if found is None:
        rank = {level: i for i, level in enumerate(LEVELS)}
        return mapped(reports["flag_level"], rank, default=len(LEVELS), dtype=np.int64)
    return np.where(found < 0, len(LEVELS), found)


def daily_counts(reports: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Reports per UTC day and flag level that ``filters`` keep, the period aside.

    Columns :data:`COLUMNS`: ``day`` (UTC midnight), ``flag_level`` (:data:`LEVELS`, then
    :data:`NOT_ASSESSED` for reports with none) and ``reports``; only days and levels with reports,
    by day then level. Empty (with the columns) when no report is kept.

    Each report's day and level are found once per frame (which must not change while it lives, as
    the analysis frames never do) and the counts are remembered per filters: the Map page asks on
    every run. A count is then the filters' mask and one ``np.bincount`` of integers: at a million
    reports 0.02 to 0.04 s, the first on a frame 0.04 to 0.14 s, where taking the rows kept, flooring
    their times and pandas' ``value_counts`` took 0.4 to 1.5 s (on a busy machine of 2 cores). A copy
    is returned, so the caller may change it.

    Examples
    --------
    >>> times = pd.to_datetime(["2024-02-29T23:59Z", "2024-02-29T01:00Z", "2024-03-01T00:00Z"])
    >>> frame = pd.DataFrame({"occurred_at": times, "flag_level": ["likely", None, "likely"]})
    >>> daily_counts(frame, Filters())
                            day    flag_level  reports
    0 2024-02-29 00:00:00+00:00        likely        1
    1 2024-02-29 00:00:00+00:00  not assessed        1
    2 2024-03-01 00:00:00+00:00        likely        1
    """
    held = _held(reports)
    key = (
        tuple(sorted((column, tuple(values)) for column, values in filters.choices.items())),
        filters.min_km,
        filters.max_km,
        filters.area,
    )
    if key not in held.counted:
        if len(held.counted) >= KEPT_PER_FRAME:
            held.counted.pop(next(iter(held.counted)))
        kept = filter_mask(reports, without_period(filters)) & held.timed
        held.counted[key] = _tally(held.keys[kept])
    return held.counted[key].copy()


def _tally(keys: np.ndarray) -> pd.DataFrame:
    """The counts of day-and-level keys, by day then level (the keys' own order)."""
    if not len(keys):
        return pd.DataFrame(
            {c: pd.Series(dtype=t) for c, t in zip(COLUMNS, ("datetime64[ns, UTC]", "str", int), strict=True)}
        )
    low = int(keys.min())
    tally = np.bincount(keys - low)  # at most 4 x the days of the record: ns times span 213,000 days
    found = np.flatnonzero(tally)
    days, ranks = np.divmod(found + low, len(_RANKED))
    return pd.DataFrame(
        {
            "day": pd.to_datetime(days * _DAY_NS, utc=True),
            "flag_level": pd.Series(np.asarray(_RANKED, dtype=object)[ranks], dtype="str"),
            "reports": tally[found].astype(np.int64),
        }
    )


def _day_numbers(days: object) -> np.ndarray:
    """Dates, or UTC midnights, as day numbers (days since 1970-01-01)."""
    return pd.DatetimeIndex(pd.to_datetime(days, utc=True)).as_unit("ns").asi8 // _DAY_NS


# The numpy datetime unit of the calendar units (weeks and days are counted in days).
_CALENDAR = {"month": "M", "year": "Y"}


def _bar_numbers(days: np.ndarray, unit: str) -> np.ndarray:
    """The bar of ``unit`` each day number falls in, numbered from the bar holding 1970-01-01."""
    if unit == "day":
        return days
    if unit == "week":
        return (days + _MONDAY_SHIFT) // 7
    return days.astype("datetime64[D]").astype(f"datetime64[{_CALENDAR[unit]}]").astype(np.int64)


def _first_days(bars: np.ndarray, unit: str) -> np.ndarray:
    """The day number of the first day of each bar of ``unit`` (:func:`_bar_numbers`)."""
    if unit == "day":
        return bars
    if unit == "week":
        return bars * 7 - _MONDAY_SHIFT
    return bars.astype(f"datetime64[{_CALENDAR[unit]}]").astype("datetime64[D]").astype(np.int64)


def _starts(days: np.ndarray, unit: str) -> np.ndarray:
    """The day number of the first day of the bar of ``unit`` each day number falls in."""
    return _first_days(_bar_numbers(days, unit), unit)


def _stops(starts: np.ndarray, unit: str) -> np.ndarray:
    """The day number of the first day after each bar of ``unit`` that starts on ``starts``."""
    return _first_days(_bar_numbers(starts, unit) + 1, unit)


def bar_count(first: dt.date, last: dt.date, unit: str) -> int:
    """How many bars of ``unit`` the days ``first`` to ``last`` reach into.

    Examples
    --------
    >>> bar_count(dt.date(2025, 12, 28), dt.date(2026, 1, 5), "week")  # a Sunday to a Monday
    3
    """
    ends = _bar_numbers(_day_numbers([first, last]), unit)
    return int(ends[1] - ends[0]) + 1


def bin_unit(first: dt.date, last: dt.date) -> str:
    """The unit of the timeline's bars for a record from ``first`` to ``last``: the finest of
    :data:`UNITS` that needs at most :data:`MAX_BARS` bars (years for a longer record still).

    Examples
    --------
    >>> bin_unit(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    'day'
    >>> bin_unit(dt.date(2014, 1, 22), dt.date(2022, 2, 25))
    'month'
    """
    return next((unit for unit in UNITS if bar_count(first, last, unit) <= MAX_BARS), UNITS[-1])


@dataclasses.dataclass(frozen=True)
class Bars:
    """A timeline's bars: the reports of each bar of ``unit`` per flag level.

    Attributes
    ----------
    unit
        One of :data:`UNITS`.
    counts
        Columns :data:`BAR_COLUMNS`: ``start`` (the bar's first instant, a UTC midnight), ``stop``
        (the first instant after it), ``flag_level`` and ``reports``; by bar, then level as in
        :func:`daily_counts`. A bar reaching beyond the record is whole (a week is seven days).
    first, last
        The first and last day with reports: what a brush is clipped to.
    """

    unit: str
    counts: pd.DataFrame
    first: dt.date
    last: dt.date


def binned(daily: pd.DataFrame, unit: str | None = None) -> Bars:
    """The counts of :func:`daily_counts` (not empty) summed into bars of ``unit``, by default the
    unit :func:`bin_unit` chooses for their first and last day.

    Examples
    --------
    >>> days = pd.to_datetime(["2025-12-29", "2026-01-04", "2026-01-05"], utc=True)
    >>> daily = pd.DataFrame({"day": days, "flag_level": ["likely"] * 3, "reports": [1, 2, 4]})
    >>> binned(daily, "week").counts  # Monday 29 December's week and the next
                          start                      stop flag_level  reports
    0 2025-12-29 00:00:00+00:00 2026-01-05 00:00:00+00:00     likely        3
    1 2026-01-05 00:00:00+00:00 2026-01-12 00:00:00+00:00     likely        4
    """
    if daily.empty:
        msg = "binned takes the counts of at least one day (daily_counts gave none)."
        raise ValueError(msg)
    first, last = daily["day"].min().date(), daily["day"].max().date()
    unit = bin_unit(first, last) if unit is None else unit
    if unit not in UNITS:
        msg = f"The timeline's unit must be one of {', '.join(UNITS)}, not {unit!r}."
        raise ValueError(msg)
    starts = _starts(_day_numbers(daily["day"]), unit)
    rank = daily["flag_level"].map({level: i for i, level in enumerate(_RANKED)}).to_numpy(dtype=np.int64)
    keys = starts * len(_RANKED) + rank
    low = int(keys.min())
    sums = np.bincount(keys - low, weights=daily["reports"].to_numpy(dtype=np.float64))
    found = np.flatnonzero(sums)  # every day counted has reports: a key with none has no day
    bar_starts, ranks = np.divmod(found + low, len(_RANKED))
    counts = pd.DataFrame(
        {
            "start": pd.to_datetime(bar_starts * _DAY_NS, utc=True),
            "stop": pd.to_datetime(_stops(bar_starts, unit) * _DAY_NS, utc=True),
            "flag_level": pd.Series(np.asarray(_RANKED, dtype=object)[ranks], dtype="str"),
            "reports": sums[found].astype(np.int64),
        }
    )
    return Bars(unit=unit, counts=counts, first=first, last=last)


def unit_title(unit: str) -> str:
    """The bars' unit as an axis or tooltip title: "Day (UTC)", "Week (UTC, from Monday)"."""
    return f"{label(unit, 'time_precision')} (UTC{', from Monday' if unit == 'week' else ''})"


def per_unit(unit: str) -> str:
    """What one bar counts, for a caption: "per day (UTC)", "per week (UTC, weeks from Monday)"."""
    return (
        f"per {label(unit, 'time_precision').lower()} (UTC{', weeks from Monday' if unit == 'week' else ''})"
    )


def bar_names(starts: pd.Series, unit: str) -> pd.Series:
    """Each bar, named by its days as a person reads them: "9 Oct 2026", "29 Dec 2025 to 4 Jan 2026",
    "October 2026", "2026"."""
    starts = starts.dt.tz_convert("UTC")
    if unit == "month":
        return starts.dt.strftime("%B %Y")
    if unit == "year":
        return starts.dt.strftime("%Y")

    def day(t: pd.Series) -> pd.Series:
        return t.dt.day.astype(str) + t.dt.strftime(" %b %Y")

    if unit == "day":
        return day(starts)
    return day(starts) + " to " + day(starts + pd.Timedelta(days=6))


def brushed_days(
    selection: object, *, first: dt.date, last: dt.date, unit: str = "day"
) -> tuple[dt.date, dt.date] | None:
    """The whole UTC days of the bars a brushed interval reaches into, within ``first`` .. ``last``;
    None when nothing is brushed.

    ``selection`` is the interval's two ends on the time axis as Vega-Lite reports them: epoch
    milliseconds (UTC), or date text. A bar of ``unit`` counts when the brush reaches into it, and
    brings all its days (a week's from Monday to Sunday); the range is clamped to the days with
    reports.

    Examples
    --------
    >>> brushed_days(["2026-01-07", "2026-02-11T12:00Z"], first=dt.date(2025, 1, 1), last=dt.date(2026, 2, 20), unit="month")
    (datetime.date(2026, 1, 1), datetime.date(2026, 2, 20))
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
    # A brush ending exactly at a midnight does not reach into that day (nor the bar that starts with it).
    last_in = (end - pd.Timedelta(1, unit="ns")) if end == end.normalize() and end > start else end
    reached = _day_numbers([start.normalize(), last_in.normalize()])
    bars = _starts(reached, unit)
    wide = (bars[0], _stops(bars[1:], unit)[0] - 1)
    ends_in = [pd.Timestamp(d * _DAY_NS, tz="UTC").date() for d in wide]
    days = (min(max(ends_in[0], first), last), min(max(ends_in[1], first), last))
    return (days[0], max(days))
