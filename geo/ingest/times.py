"""The time fields: ISO 8601 with an offset, parsed vectorised to UTC; intervals give occurred_at their midpoint.

A date alone ("2026-10-03") names a day of the theatre's calendar: it is read as that whole day in the
theatre's time zone (setting ``theatre_timezone``), so a party's "3 October" in Kyiv begins at 21:00Z on
2 October in summer. The day becomes the report's interval, and a warning says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.ingest.columns import Findings, kinds
from geo.schema import EARLIEST_YEAR, LATEST_YEAR

# An offset or Z at the end; a date-only value is told apart first, since '-05' ends it too.
TZ_SUFFIX = r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$"
DATE_ONLY = r"^\d{4}-\d{2}-\d{2}$"
# Clocks of observers' devices drift; a report a few minutes ahead of the server is not in the future.
CLOCK_SKEW = pd.Timedelta(minutes=5)
ISO_FIX = "Write ISO 8601 with an offset, such as 2026-10-05T04:10:00+03:00 or 2026-10-05T01:10:00Z."


DEFAULT_TIMEZONE = "Europe/Kyiv"
# The supported range (docs/SCHEMA.md): from the start of EARLIEST_YEAR to the end of LATEST_YEAR, UTC.
EARLIEST = pd.Timestamp(f"{EARLIEST_YEAR}-01-01T00:00:00Z")
END = pd.Timestamp(f"{LATEST_YEAR + 1}-01-01T00:00:00Z")
SPAN_TEXT = f"{EARLIEST_YEAR}-01-01 to {LATEST_YEAR}-12-31 (UTC)"


def _local_midnight(dates: pd.Series, timezone: str) -> pd.Series:
    """00:00 of each date (naive) in ``timezone``, as UTC."""
    local = dates.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward")
    return local.dt.tz_convert("UTC")


def _check_time(
    df: pd.DataFrame, name: str, out: Findings, now: pd.Timestamp, timezone: str
) -> tuple[pd.Series, np.ndarray]:
    """Parse one time column to UTC; return it (NaT when absent or bad) and the date-only mask.

    A date alone is returned as 00:00 of that day in ``timezone``.
    """
    s = df[name]
    k = kinds(s)
    n = len(s)
    date_only = np.zeros(n, dtype=bool)
    out.add(
        np.flatnonzero(k.present & ~k.is_str),
        name,
        lambda r: f"{out.show(r, name)} is not a date-time string.",
        ISO_FIX,
    )
    if not k.is_str.any():
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]"), date_only
    text = s[k.is_str].astype("str").str.strip()
    rows = np.flatnonzero(k.is_str)
    day = text.str.match(DATE_ONLY).to_numpy(dtype=bool)
    zoned = text.str.contains(TZ_SUFFIX).to_numpy(dtype=bool) & ~day
    readable = day | zoned
    values = pd.to_datetime(text.where(zoned), utc=True, format="ISO8601", errors="coerce")
    # Judged before anything else touches them: outside the range a time does not fit nanoseconds.
    early_late = (values.notna() & ((values < EARLIEST) | (values >= END))).to_numpy(dtype=bool, copy=True)
    if day.any():
        # A date alone is judged as written: 1900-01-01 is in the range even where its day began in 1899 UTC.
        dates = pd.to_datetime(text.where(day), format="%Y-%m-%d", errors="coerce")
        naive_ok = (dates >= EARLIEST.tz_localize(None)) & (dates < END.tz_localize(None))
        early_late |= (dates.notna() & ~naive_ok).to_numpy(dtype=bool)
        dates = dates.where(naive_ok)
        values = values.where(~day, _local_midnight(dates, timezone))
    values = values.where(~early_late)
    out.add(rows[early_late], name, lambda r: f"{name} {out.show(r, name)} lies outside the supported range of times, {SPAN_TEXT}.",
            f"Check the year (a typo such as 0206 for 2026 is the usual cause); times from {EARLIEST_YEAR} to {LATEST_YEAR} are accepted.")  # fmt: skip
    parsed = pd.Series(values.dt.as_unit("ns").array, index=text.index).reindex(s.index)
    unparsed = readable & values.isna().to_numpy() & ~early_late
    naive = ~readable
    if naive.any():
        # Told apart so that the message says what is wrong: a time without an offset, or no time at all.
        as_naive = pd.to_datetime(text[naive], format="ISO8601", errors="coerce").notna().to_numpy()
        no_zone = np.zeros(len(text), dtype=bool)
        no_zone[np.flatnonzero(naive)[as_naive]] = True
        unparsed |= naive & ~no_zone
        out.add(rows[no_zone], name, lambda r: f"{out.show(r, name)} has no time zone, so the moment is ambiguous.",
                "Add the UTC offset: 'Z' for UTC, '+03:00' for Kyiv summer time, '+02:00' in winter.")  # fmt: skip
    out.add(
        rows[unparsed], name, lambda r: f"{out.show(r, name)} is not a valid ISO 8601 date-time.", ISO_FIX
    )
    good = parsed.notna().to_numpy()
    date_only[rows[day]] = True
    date_only &= good
    future = good & (parsed > now + CLOCK_SKEW).to_numpy()
    out.add(np.flatnonzero(future), name, lambda r: f"{out.show(r, name)} is in the future (the server's clock says {now:%Y-%m-%dT%H:%MZ}).",
            "Check the date and the UTC offset.")  # fmt: skip
    return parsed.where(~future), date_only


def _read_days(
    out: Findings,
    times: dict[str, tuple[pd.Series, np.ndarray]],
    timezone: str,
    now: pd.Timestamp,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Turn dates alone into whole days of the theatre: a date in occurred_at becomes its day's
    interval (when no interval is given), one in occurred_to the end of its day; each with a warning."""
    (at, at_day), (start, start_day), (end, end_day) = (
        times["occurred_at"],
        times["occurred_from"],
        times["occurred_to"],
    )

    def next_midnight(t: pd.Series) -> pd.Series:
        local = t.dt.tz_convert(timezone).dt.tz_localize(None) + pd.Timedelta(days=1)
        return _local_midnight(local.dt.normalize(), timezone)

    fmt = "%Y-%m-%dT%H:%MZ"
    whole = at_day & start.isna().to_numpy() & end.isna().to_numpy()
    day_end = next_midnight(at)
    start = start.where(~whole, at)
    end = end.where(~whole, day_end)
    # The day's middle stands for the report, never a moment still to come.
    at = at.where(~whole, (at + (day_end - at) / 2).clip(upper=now))
    out.add(np.flatnonzero(whole), "occurred_at",
            lambda r: f"{out.show(r, 'occurred_at')} is a date without a time; it was read as that whole day in "
                      f"{timezone} ({start.iloc[r]:{fmt}} to {end.iloc[r]:{fmt}}).",
            "Give a time with an offset, or set theatre_timezone if the source's days are another zone's "
            "(time_precision was set to 'day' when it was empty).", "warning")  # fmt: skip
    out.add(np.flatnonzero(at_day & ~whole), "occurred_at",
            lambda r: f"{out.show(r, 'occurred_at')} is a date without a time; it was read as 00:00 of that day in "
                      f"{timezone} ({at.iloc[r]:{fmt}}), within the interval given.",
            "Give a time with an offset.", "warning")  # fmt: skip
    out.add(np.flatnonzero(start_day), "occurred_from",
            lambda r: f"{out.show(r, 'occurred_from')} is a date without a time; it was read as the start of that "
                      f"day in {timezone} ({start.iloc[r]:{fmt}}).",
            "Give a time with an offset.", "warning")  # fmt: skip
    end = end.where(~end_day, next_midnight(end))
    out.add(np.flatnonzero(end_day), "occurred_to",
            lambda r: f"{out.show(r, 'occurred_to')} is a date without a time; it was read as the end of that day "
                      f"in {timezone} ({end.iloc[r]:{fmt}}).",
            "Give a time with an offset.", "warning")  # fmt: skip
    return at, start, end


def check_times(
    df: pd.DataFrame, out: Findings, *, now: pd.Timestamp, timezone: str = DEFAULT_TIMEZONE
) -> None:
    """Parse occurred_at, occurred_from and occurred_to, check their order, fill occurred_at.

    ``occurred_at`` becomes the interval's midpoint when only the interval is given; a report with
    neither is an error. A date alone is a whole day in ``timezone`` (the module's docstring) and sets
    an empty ``time_precision`` to ``day``.
    """
    given = {name: kinds(df[name]).present for name in ("occurred_at", "occurred_from", "occurred_to")}
    parsed = {name: _check_time(df, name, out, now, timezone) for name in given}
    at_day, start_day, end_day = (parsed[name][1] for name in given)
    at, start, end = _read_days(out, parsed, timezone, now)
    order = (start > end).to_numpy(dtype=bool)
    out.add(np.flatnonzero(order), "occurred_from",
            lambda r: f"occurred_from {start.iloc[r]:%Y-%m-%dT%H:%MZ} is after occurred_to {end.iloc[r]:%Y-%m-%dT%H:%MZ}.",
            "Swap them, or check the dates and offsets.")  # fmt: skip
    interval = start.notna() & end.notna() & ~order
    outside = (interval & at.notna() & ((at < start) | (at > end))).to_numpy(dtype=bool)
    out.add(np.flatnonzero(outside), "occurred_at",
            lambda r: f"occurred_at {at.iloc[r]:%Y-%m-%dT%H:%MZ} lies outside its own interval "
                      f"{start.iloc[r]:%Y-%m-%dT%H:%MZ} to {end.iloc[r]:%Y-%m-%dT%H:%MZ}.",
            "Give a time inside the interval, or drop occurred_at and keep the interval.")  # fmt: skip
    mid = start + (end - start) / 2
    filled = at.where(at.notna(), mid.where(interval))
    no_time = ~given["occurred_at"] & ~(given["occurred_from"] & given["occurred_to"])
    out.add(np.flatnonzero(no_time), "occurred_at",
            "No time: occurred_at is missing, and no complete occurred_from/occurred_to interval is given.",
            "Give occurred_at, or both occurred_from and occurred_to, in ISO 8601 with an offset.")  # fmt: skip
    df["occurred_at"], df["occurred_from"], df["occurred_to"] = filled, start, end
    day = (at_day | (at.isna().to_numpy() & start_day & end_day)) & ~kinds(df["time_precision"]).present
    if day.any():
        df.loc[day, "time_precision"] = "day"
