"""Periods: the whole UTC days a figure counts, defined once for every page, the briefing pack and the CLI.

A period is a half-open interval ``[start, stop)`` of UTC instants, from a midnight to a midnight.
"The last N days" (:func:`last_days`) is the N calendar days (UTC) that end with the day of the
latest report, not a rolling window of N x 24 hours back from it:

- the sidebar's period is a range of dates, and a link, the CLI's ``--from/--to`` and a briefing
  pack's manifest hold dates (``from=2026-10-25&to=2026-10-31``): whole days are what a user can
  reproduce, so the Overview's "Last 7 days" is exactly the Briefing's "Last 7 days" preset;
- a rolling window moves with the time of the newest report: one late report at 23:00 changes every
  figure of the week, and its start (yesterday 23:00) is no date a person can type.

The price: the latest day is usually not over yet, so "Latest day" may hold fewer reports than a
full day. Counting back from the latest report rather than the wall clock keeps the figures
meaningful when a batch covers an earlier period.

Reports are placed in a period by their own time (``occurred_at``), events by the event's time
(its ``occurred_at``, the median of its reports' times): :mod:`geo.counts`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

DAY = pd.Timedelta(days=1)
# The engine's time resolution: a period's last instant is one nanosecond before its stop, so an
# inclusive end (geo.filters.Filters.end) and the half-open stop keep exactly the same times.
TICK = pd.Timedelta(1, unit="ns")
# The period presets every page offers, by label: days back from the latest report's day (None:
# every day with reports). The Overview's columns and the sidebar's buttons are these.
PRESETS: dict[str, int | None] = {"Latest day": 1, "Last 7 days": 7, "Last 30 days": 30, "Whole record": None}


def _utc(t: pd.Timestamp | dt.date | str, *, what: str) -> pd.Timestamp:
    ts = pd.Timestamp(t)
    if ts.tzinfo is None:
        if isinstance(t, pd.Timestamp | dt.datetime):
            msg = f"{what} {t!r} has no time zone; periods are in UTC."
            raise ValueError(msg)
        ts = ts.tz_localize("UTC")
    return ts.tz_convert("UTC").as_unit("ns")


@dataclass(frozen=True)
class Period:
    """The instants ``start <= t < stop`` (UTC), from one midnight to a later one.

    Attributes
    ----------
    start
        The first instant counted: a midnight, UTC.
    stop
        The first instant not counted: a later midnight, UTC.
    """

    start: pd.Timestamp
    stop: pd.Timestamp

    def __post_init__(self) -> None:
        start, stop = _utc(self.start, what="The start"), _utc(self.stop, what="The stop")
        for name, t in (("start", start), ("stop", stop)):
            if t != t.normalize():
                msg = f"A period's {name} must be a midnight (UTC), not {t.isoformat()}."
                raise ValueError(msg)
        if stop <= start:
            msg = f"A period must end after it starts: {start.isoformat()} to {stop.isoformat()}."
            raise ValueError(msg)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "stop", stop)

    @property
    def first_day(self) -> dt.date:
        """The first day counted."""
        return self.start.date()

    @property
    def last_day(self) -> dt.date:
        """The last day counted (the day before :attr:`stop`)."""
        return (self.stop - DAY).date()

    @property
    def days(self) -> int:
        """How many days the period counts."""
        return (self.stop - self.start) // DAY

    @property
    def end(self) -> pd.Timestamp:
        """The last instant counted, for the inclusive ends of :class:`geo.filters.Filters` and the store."""
        return self.stop - TICK

    def contains(self, times: pd.Series) -> np.ndarray:
        """Return, per time, whether the period counts it (``start <= t < stop``; a missing time: no)."""
        return between(times, self.start, self.stop)

    def describe(self) -> str:
        """The days in words: ``2026-10-25 to 2026-10-31 (UTC)``, or one date for one day."""
        if self.days == 1:
            return f"{self.first_day:%Y-%m-%d} (UTC)"
        return f"{self.first_day:%Y-%m-%d} to {self.last_day:%Y-%m-%d} (UTC)"


def between(times: pd.Series, start: pd.Timestamp | None, stop: pd.Timestamp | None) -> np.ndarray:
    """Return, per time, whether ``start <= t < stop``; None leaves that end open, a missing time is out.

    The one comparison of times with a period's bounds: reports by their time, events by theirs.
    """
    keep = times.notna().to_numpy(copy=True)
    if start is not None:
        keep &= (times >= start).to_numpy()
    if stop is not None:
        keep &= (times < stop).to_numpy()
    return keep


def whole_days(first: dt.date | pd.Timestamp, last: dt.date | pd.Timestamp) -> Period:
    """The period from the start of day ``first`` to the end of day ``last`` (UTC), both counted.

    Raises
    ------
    ValueError
        When ``last`` is before ``first``.
    """
    start = _utc(first, what="The first day").normalize()
    stop = _utc(last, what="The last day").normalize() + DAY
    if stop <= start:
        msg = f"The last day {last} is before the first day {first}."
        raise ValueError(msg)
    return Period(start, stop)


def last_days(latest: pd.Timestamp, days: int) -> Period:
    """The ``days`` whole UTC days that end with the day of ``latest`` (the latest report's time).

    A report at ``latest`` is always counted; so is one at midnight ``days - 1`` days before
    ``latest``'s day; one an instant earlier is not.

    Examples
    --------
    >>> last_days(pd.Timestamp("2026-10-31T23:00Z"), 7).describe()
    '2026-10-25 to 2026-10-31 (UTC)'
    """
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or days < 1:
        msg = f"A period counts one day or more, not {days!r}."
        raise ValueError(msg)
    stop = _utc(latest, what="The latest time").normalize() + DAY
    return Period(stop - days * DAY, stop)


def record_days(times: pd.Series) -> Period | None:
    """The whole days from the first time's to the last's (None when there is no time)."""
    times = times.dropna()
    if times.empty:
        return None
    return whole_days(times.min(), times.max())


def preset(times: pd.Series, days: int | None) -> Period | None:
    """The period of a preset (:data:`PRESETS`) over reports at ``times``; None when there are none.

    ``days`` None is the whole record; otherwise :func:`last_days` back from the latest time.
    """
    times = times.dropna()
    if times.empty:
        return None
    return record_days(times) if days is None else last_days(times.max(), days)


def presets(times: pd.Series) -> dict[str, Period]:
    """Every preset's period over reports at ``times``, by label (empty when there are no times)."""
    found = {label: preset(times, days) for label, days in PRESETS.items()}
    return {label: period for label, period in found.items() if period is not None}
