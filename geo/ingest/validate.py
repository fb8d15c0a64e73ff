"""The field pass: check and normalise every schema field, column by column."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geo.ingest.result import Issue
from geo.schema import COMPASS_POINTS, FIELDS, FIELDS_BY_NAME, REQUIRED, Field

TZ_SUFFIX = re.compile(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
RANGE = re.compile(r"^\s*(\d{1,3}(?:\.\d+)?)\s*(?:-|–|to)\s*(\d{1,3}(?:\.\d+)?)\s*$")
CLOCK_SKEW = pd.Timedelta(minutes=5)
COMPASS_DEG = {p: i * 22.5 for i, p in enumerate(COMPASS_POINTS)}


@dataclass
class Findings:
    """Issues per row (positional), added to as the checks run."""

    n: int
    ids: list[str | None]
    by_row: dict[int, list[Issue]] = field(default_factory=dict)

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


def _blank(s: pd.Series) -> np.ndarray:
    return (s.isna() | s.map(lambda v: isinstance(v, str) and not v.strip()).astype(bool)).to_numpy(
        dtype=bool
    )


def _is(s: pd.Series, kind: type) -> np.ndarray:
    """Boolean mask of the values that are instances of ``kind``."""
    return np.fromiter((isinstance(v, kind) for v in s), dtype=bool, count=len(s))


def _canonical(value: Any) -> str:
    return re.sub(r"[\s\-/]+", "_", str(value).strip()).lower()


def _check_enum(df: pd.DataFrame, f: Field, out: Findings) -> None:
    s = df[f.name]
    present = ~_blank(s)
    if f.name == "credibility":
        num = pd.to_numeric(s, errors="coerce")
        ok = present & num.isin(f.choices).to_numpy()
        col = num.where(ok).astype("Int64")
        col[~present] = f.default
        df[f.name] = col
        bad = np.flatnonzero(present & ~ok)
        out.add(
            bad,
            f.name,
            lambda r: f"Credibility {s.iloc[r]!r} is not 1 to 6.",
            "Use the Admiralty credibility 1-6 (6: cannot be judged).",
        )
        return
    text = s.astype(object).where(present, None)
    canon = text.map(lambda v: None if v is None else _canonical(v))
    if f.name == "reliability":
        canon = text.map(lambda v: None if v is None else str(v).strip().upper())
    exact = text.isin(f.choices).to_numpy()
    fixed = present & ~exact & canon.isin(f.choices).to_numpy()
    bad = present & ~exact & ~fixed
    out.add(
        np.flatnonzero(fixed),
        f.name,
        lambda r: f"{text.iloc[r]!r} was read as {canon.iloc[r]!r}.",
        f"Write {f.name} values exactly as in docs/SCHEMA.md.",
        "warning",
    )
    suggestions: dict[str, str] = {}

    def suggest(r: int) -> str:
        value = str(text.iloc[r])
        if value not in suggestions:
            close = difflib.get_close_matches(_canonical(value), [str(c) for c in f.choices], n=1, cutoff=0.4)
            suggestions[value] = f"Did you mean {close[0]!r}? " if close else ""
        return f"{suggestions[value]}Allowed: {', '.join(map(str, f.choices))}."

    out.add(np.flatnonzero(bad), f.name, lambda r: f"{text.iloc[r]!r} is not a known {f.name}.", suggest)
    df[f.name] = canon.where(present & ~bad, f.default if f.default is not None else None)


def _check_number(df: pd.DataFrame, f: Field, out: Findings) -> None:
    s = df[f.name]
    present = ~_blank(s)
    is_str = _is(s, str)
    is_bool = _is(s, bool)
    num = pd.to_numeric(s.where(~is_bool, None), errors="coerce").astype(float)
    finite = np.isfinite(num.to_numpy())
    bad = present & (~finite | is_bool)
    nonfinite = present & ~is_str & ~is_bool & ~finite & _is(s, float)
    out.add(
        np.flatnonzero(nonfinite),
        f.name,
        "The value is NaN or Infinity, which JSON does not allow.",
        "Use null for an unknown value.",
    )
    out.add(
        np.flatnonzero(bad & ~nonfinite),
        f.name,
        lambda r: f"{s.iloc[r]!r} is not a number.",
        f"Give {f.name} as a number ({f.description})",
    )
    as_text = present & is_str & finite
    out.add(
        np.flatnonzero(as_text),
        f.name,
        lambda r: f"The number was given as text ({s.iloc[r]!r}) and read as a number.",
        "Write numbers without quotes.",
        "warning",
    )
    values = num.to_numpy()
    ok = present & finite & ~is_bool
    if f.minimum is not None:
        low = ok & (values < f.minimum)
        out.add(
            np.flatnonzero(low),
            f.name,
            lambda r: f"{values[r]:g} is below the minimum {f.minimum:g}.",
            f"Give {f.name} >= {f.minimum:g}.",
        )
        ok &= ~low
    if f.maximum is not None:
        high = ok & (values > f.maximum)
        out.add(
            np.flatnonzero(high),
            f.name,
            lambda r: f"{values[r]:g} is above the maximum {f.maximum:g}.",
            f"Give {f.name} <= {f.maximum:g}.",
        )
        ok &= ~high
    if f.kind == "integer":
        frac = ok & (np.floor(np.nan_to_num(values)) != np.nan_to_num(values))
        out.add(
            np.flatnonzero(frac),
            f.name,
            lambda r: f"{values[r]:g} is not a whole number.",
            f"Give {f.name} as a whole number.",
        )
        ok &= ~frac
        col = pd.array(np.where(ok, np.nan_to_num(values), 0).astype(np.int64), dtype="Int64")
        col[~ok] = pd.NA
        if f.default is not None:
            col[~present] = f.default
        df[f.name] = col
    else:
        df[f.name] = np.where(ok, values, np.nan)


def _check_time(df: pd.DataFrame, name: str, out: Findings, now: pd.Timestamp) -> pd.Series:
    s = df[name]
    present = ~_blank(s)
    text = s.astype(object).where(present, None)
    is_str = _is(text, str)
    out.add(
        np.flatnonzero(present & ~is_str),
        name,
        lambda r: f"{text.iloc[r]!r} is not a date-time string.",
        "Write ISO 8601 text such as 2026-10-05T04:10:00+03:00.",
    )
    stripped = text.where(is_str, None).str.strip()
    date_only = stripped.str.match(DATE_ONLY).fillna(False).to_numpy(dtype=bool)
    has_tz = stripped.str.contains(TZ_SUFFIX).fillna(False).to_numpy(dtype=bool)
    parsed = pd.to_datetime(
        stripped.where(present & is_str & (has_tz | date_only)), utc=True, format="ISO8601", errors="coerce"
    )
    no_tz = present & is_str & ~has_tz & ~date_only
    out.add(
        np.flatnonzero(no_tz),
        name,
        lambda r: f"{text.iloc[r]!r} has no time zone.",
        "Add the UTC offset, e.g. 'Z' for UTC or '+03:00' for Kyiv summer time.",
    )
    unparsed = present & is_str & (has_tz | date_only) & parsed.isna().to_numpy()
    out.add(
        np.flatnonzero(unparsed),
        name,
        lambda r: f"{text.iloc[r]!r} is not a valid ISO 8601 date-time.",
        "Write it like 2026-10-05T04:10:00Z.",
    )
    out.add(
        np.flatnonzero(date_only & parsed.notna().to_numpy()),
        name,
        lambda r: f"{text.iloc[r]!r} is a date without a time; read as that day, 00:00 UTC.",
        "Give a time with an offset, or set time_precision to 'day'.",
        "warning",
    )
    future = parsed.notna().to_numpy() & (parsed > now + CLOCK_SKEW).to_numpy()
    out.add(
        np.flatnonzero(future),
        name,
        lambda r: f"{text.iloc[r]!r} is in the future (now is {now:%Y-%m-%dT%H:%MZ}).",
        "Check the date and the UTC offset.",
    )
    good = parsed.where(~future)
    df[name] = good
    df.loc[date_only & good.notna().to_numpy(), "_date_only"] = True
    return good


def _check_times(df: pd.DataFrame, out: Findings, now: pd.Timestamp) -> None:
    df["_date_only"] = False
    no_time = _blank(df["occurred_at"]) & (_blank(df["occurred_from"]) | _blank(df["occurred_to"]))
    at = _check_time(df, "occurred_at", out, now)
    start = _check_time(df, "occurred_from", out, now)
    end = _check_time(df, "occurred_to", out, now)
    order = (start > end).fillna(False).to_numpy()
    out.add(
        np.flatnonzero(order),
        "occurred_from",
        "occurred_from is after occurred_to.",
        "Swap them, or check the dates.",
    )
    interval = start.notna() & end.notna() & ~pd.Series(order, index=df.index)
    mid = start + (end - start) / 2
    filled = at.where(at.notna(), mid.where(interval))
    out.add(
        np.flatnonzero(no_time),
        "occurred_at",
        "No time: occurred_at is missing, and no complete occurred_from/occurred_to interval is given.",
        "Give occurred_at, or occurred_from and occurred_to, in ISO 8601 with an offset.",
    )
    df["occurred_at"] = filled
    day = df["_date_only"].to_numpy(dtype=bool) & _blank(df["time_precision"])
    df.loc[day, "time_precision"] = "day"


def _check_bearing(df: pd.DataFrame, out: Findings) -> None:
    s = df["bearing_deg"]
    present = ~_blank(s)
    text = s.map(lambda v: v.strip().upper() if isinstance(v, str) else None)
    compass = text.isin(COMPASS_POINTS).to_numpy()
    centre = text.map(COMPASS_DEG)
    lo = df["bearing_min_deg"].astype(float).to_numpy().copy()
    hi = df["bearing_max_deg"].astype(float).to_numpy().copy()
    lo[compass] = (centre[compass] - 11.25) % 360
    hi[compass] = (centre[compass] + 11.25) % 360
    ranges = text.str.extract(RANGE).astype(float)
    is_range = present & ~compass & ranges[0].notna().to_numpy()
    lo[is_range] = ranges[0].to_numpy()[is_range]
    hi[is_range] = ranges[1].to_numpy()[is_range]
    out_of = is_range & ((lo > 360) | (hi > 360))
    out.add(
        np.flatnonzero(out_of),
        "bearing_deg",
        lambda r: f"The bearing range {s.iloc[r]!r} goes past 360 degrees.",
        "Give both ends in 0-360, e.g. '350-20' across north.",
    )
    df["bearing_min_deg"], df["bearing_max_deg"] = lo, hi
    numeric = present & ~compass & ~is_range
    df["bearing_deg"] = s.where(numeric, None)
    _check_number(df, FIELDS_BY_NAME["bearing_deg"], out)
    bearing = df["bearing_deg"].to_numpy(dtype=float).copy()
    bearing[compass] = centre[compass].to_numpy(dtype=float)
    spread = np.mod(hi - lo, 360)
    bearing[is_range] = np.mod(lo[is_range] + spread[is_range] / 2, 360)
    df["bearing_deg"] = bearing


def _check_pairs(df: pd.DataFrame, out: Findings) -> None:
    obs = df[["observer_lon", "observer_lat"]].notna().to_numpy()
    half = obs[:, 0] != obs[:, 1]
    out.add(
        np.flatnonzero(half),
        "observer_lon",
        "Only one of observer_lon and observer_lat is given.",
        "Give both, or neither.",
    )
    dist = (df["distance_min_m"] > df["distance_max_m"]).fillna(False).to_numpy(dtype=bool)
    out.add(
        np.flatnonzero(dist),
        "distance_min_m",
        lambda r: (
            f"distance_min_m {df['distance_min_m'].iloc[r]:g} exceeds distance_max_m {df['distance_max_m'].iloc[r]:g}."
        ),
        "Swap them: min is the nearer estimate.",
    )
    low, best, high = (
        df[c].astype("Float64") for c in ("casualties_low", "casualties_best", "casualties_high")
    )
    bad = ((low > best) | (best > high) | (low > high)).fillna(False).to_numpy(dtype=bool)
    out.add(
        np.flatnonzero(bad),
        "casualties_best",
        "Casualties must satisfy low <= best <= high.",
        "Check the three estimates.",
    )


def check_fields(
    props: list[dict[str, Any]], ids: list[str | None], *, now: pd.Timestamp
) -> tuple[pd.DataFrame, Findings]:
    """Check and normalise every schema field; return the columns and the issues found per row."""
    n = len(props)
    df = pd.DataFrame.from_records(props, index=range(n)) if n else pd.DataFrame(index=range(0))
    out = Findings(n, ids)
    for f in FIELDS:
        if f.name not in df:
            df[f.name] = None
    df = df.astype({f.name: object for f in FIELDS})
    for name in REQUIRED:
        missing = _blank(df[name])
        out.add(
            np.flatnonzero(missing),
            name,
            f"The required field '{name}' is missing or empty.",
            f"Give every report {name!r}: {FIELDS_BY_NAME[name].description}",
        )
    for col in ("id", "source"):
        df[col] = df[col].map(
            lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v).strip()
        )
    for f in FIELDS:
        if f.kind == "enum":
            _check_enum(df, f, out)
        elif f.kind in ("number", "integer") and f.name != "bearing_deg":
            _check_number(df, f, out)
        elif f.kind == "string" and f.name not in ("id", "source"):
            df[f.name] = df[f.name].map(
                lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v)
            )
    _check_bearing(df, out)
    _check_times(df, out, now)
    _check_pairs(df, out)
    key = df["source"].astype(str) + "\x1f" + df["id"].astype(str)
    usable = df["id"].notna().to_numpy() & df["source"].notna().to_numpy()
    dup = usable & key.duplicated(keep="first").to_numpy()
    first = pd.Series(np.arange(n), index=key).groupby(level=0).min()
    out.add(
        np.flatnonzero(dup),
        "id",
        lambda r: (
            f"(source, id) = ({df['source'].iloc[r]!r}, {df['id'].iloc[r]!r}) repeats feature {first[key.iloc[r]]}."
        ),
        "Give each report of a source its own id; remove the repeated feature.",
    )
    return df, out
