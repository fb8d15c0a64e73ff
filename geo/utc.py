"""One way to read a time a user gave: ISO 8601 text or a timestamp, as a UTC timestamp (naive means UTC)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from geo.errors import InputError


def to_utc(value: Any, *, what: str) -> pd.Timestamp:
    """Return ``value`` as a timezone-aware UTC timestamp in nanoseconds.

    Parameters
    ----------
    value
        ISO 8601 text, a ``datetime`` or a ``pandas.Timestamp``; without an offset it is taken as UTC.
    what
        What the value is, for the message ("The start", "valid_from in zones.geojson").

    Raises
    ------
    InputError
        Naming ``what`` and the value when it is not a date or time, or lies outside 1678-2261.
    """
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        ts = pd.NaT
    if pd.isna(ts):
        msg = f"{what} {value!r} is not an ISO 8601 date or time."
        raise InputError(msg, hint="Write it like 2026-10-15 or 2026-10-15T06:00:00Z.")
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    try:
        return ts.as_unit("ns")
    except pd.errors.OutOfBoundsDatetime:  # nanoseconds cover 1677-09-21 to 2262-04-11
        msg = f"{what} {value!r} is outside the dates this tool can hold (1678 to 2261)."
        raise InputError(msg, hint="Check the year; write the date like 2026-10-15.") from None
