"""The time fields: ISO 8601 with an offset, parsed vectorised to UTC; intervals give occurred_at their midpoint."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.ingest.columns import Findings, kinds

# An offset or Z at the end; a date-only value is told apart first, since '-05' ends it too.
TZ_SUFFIX = r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$"
DATE_ONLY = r"^\d{4}-\d{2}-\d{2}$"
# Clocks of observers' devices drift; a report a few minutes ahead of the server is not in the future.
CLOCK_SKEW = pd.Timedelta(minutes=5)
ISO_FIX = "Write ISO 8601 with an offset, such as 2026-10-05T04:10:00+03:00 or 2026-10-05T01:10:00Z."


def _check_time(
    df: pd.DataFrame, name: str, out: Findings, now: pd.Timestamp
) -> tuple[pd.Series, np.ndarray]:
    """Parse one time column to UTC; return it (NaT when absent or bad) and the date-only mask."""
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
    values = pd.to_datetime(text.where(readable), utc=True, format="ISO8601", errors="coerce")
    parsed = pd.Series(values.dt.as_unit("ns").array, index=text.index).reindex(s.index)
    unparsed = readable & values.isna().to_numpy()
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
    out.add(np.flatnonzero(date_only), name, lambda r: f"{out.show(r, name)} is a date without a time; it was read as 00:00 UTC that day.",
            "Give a time with an offset, or set time_precision to 'day' (done for you when it was empty).", "warning")  # fmt: skip
    future = good & (parsed > now + CLOCK_SKEW).to_numpy()
    out.add(np.flatnonzero(future), name, lambda r: f"{out.show(r, name)} is in the future (the server's clock says {now:%Y-%m-%dT%H:%MZ}).",
            "Check the date and the UTC offset.")  # fmt: skip
    return parsed.where(~future), date_only


def check_times(df: pd.DataFrame, out: Findings, *, now: pd.Timestamp) -> None:
    """Parse occurred_at, occurred_from and occurred_to, check their order, fill occurred_at.

    ``occurred_at`` becomes the interval's midpoint when only the interval is given; a report with
    neither is an error. Date-only values set an empty ``time_precision`` to ``day``.
    """
    given = {name: kinds(df[name]).present for name in ("occurred_at", "occurred_from", "occurred_to")}
    at, at_day = _check_time(df, "occurred_at", out, now)
    start, start_day = _check_time(df, "occurred_from", out, now)
    end, end_day = _check_time(df, "occurred_to", out, now)
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
