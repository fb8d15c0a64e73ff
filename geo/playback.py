"""Playback: the filtered reports one UTC day at a time, and what the map says it shows that day.

While a day is played, the map shows that day's reports only; its caption, legend, line drawn and
image must say so. :func:`day_filters` narrows the filters to the day (so every figure computed from
them is the day's), :func:`describe_day` names it, and :func:`line_in_force` names the contact line
version drawn and any other version that was in force during the day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.filters import Filters
from geo.periods import whole_days

# The URL parameter of the day played (the map's view and selection are lat, lon, z and uid).
DAY_PARAM = "day"
# How many days the map shows at the day played, by the URL's ``window`` (absent: one day).
WINDOW_PARAM = "window"
WINDOWS: dict[str, str] = {
    "day": "The day alone",
    "week": "The 7 days to it (sliding)",
    "cumulative": "From the period's start (cumulative)",
}


def play_days(times: pd.Series, mask: np.ndarray) -> list[pd.Timestamp]:
    """The UTC days (midnight timestamps) on which the reports ``mask`` keeps occurred, in order."""
    kept = times[np.asarray(mask, bool)]
    return sorted(kept.dt.floor("D").unique())


def read_day(text: str) -> pd.Timestamp:
    """Read a day of the URL (``2026-10-09``) as its UTC midnight.

    Raises
    ------
    InputError
        Naming the parameter and the value when it is not a date.
    """
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        msg = f"The day played {DAY_PARAM}={text!r} is not a date."
        raise InputError(msg, hint=f"Write it as {DAY_PARAM}=2026-10-09 (a UTC day).") from None
    return pd.Timestamp(day, tz="UTC")


def day_filters(filters: Filters, day: pd.Timestamp, window: str = "day") -> Filters:
    """The filters narrowed to the days ``window`` shows at ``day``, within the filters' own period.

    ``window`` (:data:`WINDOWS`): ``day`` the day alone; ``week`` the 7 days ending with it (a
    sliding window); ``cumulative`` every day from the period's start to it.

    Examples
    --------
    >>> month = Filters.from_params({"from": "2026-10-01", "to": "2026-10-31", "type": "impact"})
    >>> day_filters(month, pd.Timestamp("2026-10-09", tz="UTC")).to_params()
    {'from': '2026-10-09', 'to': '2026-10-09', 'type': 'impact'}
    >>> day_filters(month, pd.Timestamp("2026-10-09", tz="UTC"), "week").to_params()["from"]
    '2026-10-03'
    >>> day_filters(month, pd.Timestamp("2026-10-09", tz="UTC"), "cumulative").to_params()["from"]
    '2026-10-01'
    """
    if window not in WINDOWS:
        msg = f"The playback window {window!r} is not one of {', '.join(WINDOWS)}."
        raise InputError(msg, hint=f"Write {WINDOW_PARAM}=week, for example, or leave it out for one day.")
    first = {"day": day, "week": day - pd.Timedelta(days=6), "cumulative": filters.start or day}[window]
    whole = whole_days(first, day)
    start, end = whole.start, whole.end
    if window == "cumulative" and filters.start is None:
        start = None  # no period: every report up to the day
    elif filters.start is not None:
        start = max(start, filters.start)
    if filters.end is not None:
        end = min(end, filters.end)
    return dataclasses.replace(filters, start=start, end=end)


def describe_day(
    filters: Filters, day: pd.Timestamp, days: Sequence[pd.Timestamp], window: str = "day"
) -> str:
    """The filters in words while ``day`` is played: the days shown first, then the rest of the filters.

    Examples
    --------
    >>> month = Filters.from_params({"from": "2026-10-01", "to": "2026-10-31", "type": "impact"})
    >>> days = list(pd.date_range("2026-10-01", "2026-10-31", tz="UTC"))
    >>> describe_day(month, days[8], days)
    '2026-10-09 UTC (playback, day 9 of 31 in 2026-10-01 to 2026-10-31 UTC); type: Impact'
    >>> describe_day(month, days[8], days, "week")
    '2026-10-03 to 2026-10-09 UTC (playback, the 7 days to day 9 of 31 in 2026-10-01 to 2026-10-31 UTC); type: Impact'
    """
    period = dataclasses.replace(filters, choices={}, min_km=None, max_km=None, area=None).describe()
    rest = dataclasses.replace(filters, start=None, end=None)
    shown = day_filters(filters, day, window)
    if shown.start is None:
        span = f"up to {day:%Y-%m-%d}"
    elif shown.start.date() == day.date():
        span = f"{day:%Y-%m-%d}"
    else:
        span = f"{shown.start:%Y-%m-%d} to {day:%Y-%m-%d}"
    lead = {"day": "", "week": "the 7 days to ", "cumulative": "from the start to "}[window]
    at = f"{lead}day {list(days).index(day) + 1} of {len(days)} in " if day in days else lead
    text = f"{span} UTC (playback, {at}{period})"
    return text if rest.describe() == "no filters" else f"{text}; {rest.describe()}"


def line_in_force(
    valid_from: pd.Series, versions: pd.Series, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[str | None, list[str]]:
    """The line version in force at ``end``, and the other versions in force at some time in ``start..end``.

    A version that came into force during the day leaves the day's earlier reports measured against
    the one before it: the caption names both.

    Examples
    --------
    >>> valid_from = pd.Series(pd.to_datetime(["2026-01-01T00:00", "2026-10-15T12:00"], utc=True))
    >>> versions = pd.Series(["v1", "v2"])
    >>> day = pd.Timestamp("2026-10-09", tz="UTC")
    >>> line_in_force(valid_from, versions, day, day + pd.Timedelta(hours=23))
    ('v1', [])
    >>> day = pd.Timestamp("2026-10-15", tz="UTC")
    >>> line_in_force(valid_from, versions, day, day + pd.Timedelta(hours=23))
    ('v2', ['v1'])
    """
    lines = pd.DataFrame({"start": valid_from.to_numpy(), "version": versions.astype(str).to_numpy()})
    lines = lines.sort_values("start", kind="stable")
    # A handful of versions: the one in force when the day starts, then those that start during it.
    before = lines.loc[lines["start"] <= start, "version"].tail(1).tolist()
    during = lines.loc[(lines["start"] > start) & (lines["start"] <= end), "version"].tolist()
    in_force = before + during
    return (in_force[-1], in_force[:-1]) if in_force else (None, [])
