"""The field pass: check and normalise every schema field, column by column."""

from __future__ import annotations

import difflib
from typing import Any

import numpy as np
import pandas as pd

from geo.ingest.columns import Findings, as_float, kinds, stripped
from geo.ingest.geojson import json_type
from geo.ingest.times import DEFAULT_TIMEZONE, check_times
from geo.schema import COMPASS_POINTS, FIELDS, FIELDS_BY_NAME, REQUIRED, Field, bound_text

RANGE = r"^\s*(\d{1,3}(?:\.\d+)?)\s*(?:-|–|to)\s*(\d{1,3}(?:\.\d+)?)\s*$"
COMPASS_DEG = {p: i * 22.5 for i, p in enumerate(COMPASS_POINTS)}
# The largest integer a float64 holds exactly (every integer column passes through float).
MAX_EXACT_INTEGER = 2**53


def _suggest(value: Any, choices: tuple[Any, ...]) -> str:
    close = difflib.get_close_matches(_canon_one(value), [str(c) for c in choices], n=1, cutoff=0.4)
    head = f"Did you mean {close[0]!r}? " if close else ""
    return f"{head}Allowed: {', '.join(map(str, choices))}."


def _canon_one(value: Any) -> str:
    return _canonical(pd.Series([str(value)], dtype="str")).iloc[0]


def _canonical(text: pd.Series) -> pd.Series:
    return text.str.strip().str.lower().str.replace(r"[\s\-/]+", "_", regex=True)


def _check_credibility(df: pd.DataFrame, f: Field, out: Findings) -> None:
    s = df[f.name]
    k = kinds(s)
    num = pd.Series(as_float(s, k.is_num), index=s.index)
    if k.is_str.any():
        num[k.is_str] = pd.to_numeric(stripped(s, k.is_str)[k.is_str], errors="coerce")
    ok = k.present & num.isin(f.choices).to_numpy()
    out.add(np.flatnonzero(ok & k.is_str), f.name, lambda r: f"The credibility {out.show(r, f.name)} was given as text and read as a number.",
            "Write credibility as a number 1-6, without quotes.", "warning")  # fmt: skip
    out.add(np.flatnonzero(k.present & ~ok), f.name, lambda r: f"The credibility {out.show(r, f.name)} is not one of 1 to 6.",
            "Use the Admiralty credibility 1-6 (1 confirmed ... 6 cannot be judged).")  # fmt: skip
    col = pd.array(np.where(ok, num.fillna(0), 0).astype(np.int64), dtype="Int64")
    col[~ok] = pd.NA
    col[~k.present] = f.default
    df[f.name] = col


def _check_enum(df: pd.DataFrame, f: Field, out: Findings) -> None:
    s = df[f.name]
    k = kinds(s)
    text = stripped(s, k.is_str)
    exact = (text.isin(f.choices).to_numpy() & k.is_str) if k.is_str.any() else k.is_str
    values = text.where(exact)
    loose = k.present & ~exact
    if loose.any():
        canon = text.str.upper() if f.name == "reliability" else _canonical(text)
        fixed = loose & k.is_str & canon.isin(f.choices).to_numpy()
        values[fixed] = canon[fixed]
        out.add(np.flatnonzero(fixed), f.name, lambda r: f"The {f.name} {out.show(r, f.name)} was read as {canon.iloc[r]!r}.",
                f"Write {f.name} values exactly as in docs/SCHEMA.md.", "warning")  # fmt: skip
        bad = loose & ~fixed
        out.add(np.flatnonzero(bad), f.name, lambda r: f"{out.show(r, f.name)} is not a known {f.name}.",
                lambda r: _suggest(out.raw(r, f.name), f.choices))  # fmt: skip
    if f.default is not None:
        values[~k.present] = f.default
    df[f.name] = values.astype("str")


def check_number(df: pd.DataFrame, f: Field, out: Findings) -> None:
    """Check a number or integer column: text numbers read with a warning, bounds, whole numbers.

    Every value is range-checked against the schema before it is stored, so that a huge number
    (1e308, 10**29, "1e20" as text) is refused naming the field, the value and the allowed range,
    never wrapped into a 64-bit integer or kept as an absurd float.
    """
    s = df[f.name]
    k = kinds(s)
    values = s.to_numpy(dtype=float, na_value=np.nan) if s.dtype.kind in "iuf" else as_float(s, k.is_num)
    number = k.is_num & ~k.is_str
    text_inf = np.zeros(len(s), dtype=bool)
    if k.is_str.any():
        parsed = pd.to_numeric(stripped(s, k.is_str)[k.is_str], errors="coerce").to_numpy(dtype=float)
        values[k.is_str] = parsed
        read = np.zeros(len(s), dtype=bool)
        read[k.is_str] = np.isfinite(parsed)
        text_inf[k.is_str] = np.isinf(parsed)
        out.add(np.flatnonzero(read), f.name, lambda r: f"The number was given as text ({out.show(r, f.name)}) and read as a number.",
                "Write numbers without quotes.", "warning")  # fmt: skip
    # A NaN or Infinity written in the file is named by the parser's audit; here it only fails.
    # An integer too large for a float (Python's reader keeps 10**400) reads as inf: it is named
    # below as out of range.
    huge = number & np.isinf(values) & _integers(out, f.name, number & np.isinf(values))
    bad = k.present & ~np.isfinite(values) & ~number & ~text_inf
    out.add(np.flatnonzero(bad), f.name, lambda r: f"The {json_type(out.raw(r, f.name))} {out.show(r, f.name)} is not a number.",
            f"Give {f.name} as a number: {f.description}")  # fmt: skip
    allowed = f.bounds()
    within = f" (allowed: {allowed})" if allowed else ""
    out.add(np.flatnonzero(text_inf), f.name, lambda r: f"{f.name} {out.show(r, f.name)} is not a finite number{within}.",
            f"Give {f.name} as a number{within}.")  # fmt: skip
    ok = k.present & (np.isfinite(values) | huge)
    limits = [f">= {bound_text(f.minimum)}"] if f.minimum is not None else []
    limits += [f"<= {bound_text(f.maximum)}"] if f.maximum is not None else []
    fix = f"Give {f.name} {' and '.join(limits)}: {f.description}"
    if f.minimum is not None:
        low = ok & (values < f.minimum)
        out.add(np.flatnonzero(low), f.name, lambda r: f"{f.name} {out.show(r, f.name)} is below the minimum {bound_text(f.minimum)}{within}.",
                fix)  # fmt: skip
        ok &= ~low
    if f.maximum is not None:
        high = ok & (values > f.maximum)
        out.add(np.flatnonzero(high), f.name, lambda r: f"{f.name} {out.show(r, f.name)} is above the maximum {bound_text(f.maximum)}{within}.",
                fix)  # fmt: skip
        ok &= ~high
    # A field without bounds still never stores what a float cannot hold.
    unheld = ok & ~np.isfinite(values)
    out.add(np.flatnonzero(unheld), f.name, lambda r: f"{f.name} {out.show(r, f.name)} is too large to store.",
            f"Give {f.name} as an ordinary number.")  # fmt: skip
    ok &= ~unheld
    if f.kind != "integer":
        df[f.name] = np.where(ok, values, np.nan)
        return
    whole = np.where(ok, values, 0)
    frac = ok & (np.floor(whole) != whole)
    out.add(np.flatnonzero(frac), f.name, lambda r: f"{values[r]:g} is not a whole number.",
            f"Give {f.name} as a whole number.")  # fmt: skip
    ok &= ~frac
    # Above 2**53 a float no longer holds every integer, and above 2**63 int64 wraps: never store those.
    inexact = ok & (np.abs(whole) > MAX_EXACT_INTEGER)
    out.add(np.flatnonzero(inexact), f.name, lambda r: f"{f.name} {out.show(r, f.name)} is too large to store exactly.",
            f"Give {f.name} as a whole number up to {MAX_EXACT_INTEGER:,}.")  # fmt: skip
    ok &= ~inexact
    col = pd.array(np.where(ok, values, 0).astype(np.int64), dtype="Int64")
    col[~ok] = pd.NA
    if f.default is not None:
        col[~k.present] = f.default
    df[f.name] = col


def _integers(out: Findings, name: str, rows: np.ndarray) -> np.ndarray:
    """True at the rows under ``rows`` whose value in the file is an integer (not a float)."""
    found = np.zeros(len(rows), dtype=bool)
    for r in np.flatnonzero(rows).tolist():
        value = out.raw(r, name)
        found[r] = isinstance(value, int) and not isinstance(value, bool)
    return found


def _check_string(df: pd.DataFrame, f: Field, out: Findings) -> None:
    s = df[f.name]
    k = kinds(s)
    out.add(np.flatnonzero(k.other | k.is_bool), f.name, lambda r: f"The value is a JSON {json_type(out.raw(r, f.name))}, not text.",
            f"Give {f.name} as a string.")  # fmt: skip
    ok = k.is_str | k.is_num
    text = pd.Series(np.nan, index=s.index, dtype="str")
    if ok.any():
        text[ok] = s[ok].astype("str")
    # A NUL is no text a reader can see, and PostgreSQL cannot keep one: refused in either store.
    nul = text.str.contains("\x00", regex=False).fillna(False).to_numpy(dtype=bool)
    out.add(np.flatnonzero(nul), f.name, "The text holds a NUL character (U+0000), which no reader can see and the PostGIS store cannot keep.",
            f"Remove the control character from {f.name} (an export or encoding fault usually puts it there).")  # fmt: skip
    df[f.name] = text.str.strip() if f.name in ("id", "source") else text


def _check_bearing(df: pd.DataFrame, out: Findings) -> None:
    s = df["bearing_deg"]
    k = kinds(s)
    lo = df["bearing_min_deg"].to_numpy(dtype=float, na_value=np.nan).copy()
    hi = df["bearing_max_deg"].to_numpy(dtype=float, na_value=np.nan).copy()
    compass = np.zeros(len(s), dtype=bool)
    is_range = np.zeros(len(s), dtype=bool)
    past = np.zeros(len(s), dtype=bool)
    centre = np.full(len(s), np.nan)
    if k.is_str.any():
        text = stripped(s, k.is_str).str.upper()
        compass = text.isin(COMPASS_POINTS).to_numpy() & k.is_str
        centre[compass] = text[compass].map(COMPASS_DEG).to_numpy(dtype=float)
        lo[compass] = (centre[compass] - 11.25) % 360
        hi[compass] = (centre[compass] + 11.25) % 360
        ends = text.str.extract(RANGE).astype(float)
        is_range = k.is_str & ~compass & ends[0].notna().to_numpy()
        lo[is_range], hi[is_range] = ends[0].to_numpy()[is_range], ends[1].to_numpy()[is_range]
        past = is_range & ((lo > 360) | (hi > 360))
        out.add(np.flatnonzero(past), "bearing_deg", lambda r: f"The bearing range {out.show(r, 'bearing_deg')} goes past 360 degrees.",
                "Give both ends in 0-360, clockwise from the first: '350-20' crosses north.")  # fmt: skip
        is_range &= ~past
        lo[past] = hi[past] = np.nan
    # Compass points and ranges are read; what is left must be a number.
    read = compass | is_range | past
    df["bearing_deg"] = s.where(~read, None) if read.any() else s
    check_number(df, FIELDS_BY_NAME["bearing_deg"], out)
    bearing = df["bearing_deg"].to_numpy(dtype=float).copy()
    bearing[compass] = centre[compass]
    spread = np.mod(hi - lo, 360)
    bearing[is_range] = np.mod(lo[is_range] + spread[is_range] / 2, 360)
    df["bearing_deg"], df["bearing_min_deg"], df["bearing_max_deg"] = bearing, lo, hi


def _check_pairs(df: pd.DataFrame, out: Findings) -> None:
    obs = df[["observer_lon", "observer_lat"]].notna().to_numpy()
    for given, other in ((0, 1), (1, 0)):
        name, missing = ("observer_lon", "observer_lat")[given], ("observer_lon", "observer_lat")[other]
        out.add(np.flatnonzero(obs[:, given] & ~obs[:, other]), name, f"{name} is given without {missing}.",
                "Give both observer_lon and observer_lat (WGS84 degrees), or neither.")  # fmt: skip
    dmin, dmax = df["distance_min_m"], df["distance_max_m"]
    dist = (dmin > dmax).to_numpy(dtype=bool)
    out.add(np.flatnonzero(dist), "distance_min_m", lambda r: f"distance_min_m {out.show(r, 'distance_min_m')} exceeds distance_max_m {out.show(r, 'distance_max_m')}.",
            "Swap them: distance_min_m is the nearer estimate.")  # fmt: skip
    low, best, high = (
        df[c].astype("Float64") for c in ("casualties_low", "casualties_best", "casualties_high")
    )
    bad = ((low > best) | (best > high) | (low > high)).fillna(False).to_numpy(dtype=bool)

    def said(r: int) -> str:
        given = ", ".join(f"{n} {out.show(r, f'casualties_{n}')}" for n in ("low", "best", "high"))
        return f"The casualty estimates are out of order ({given}): kept as the source gives them."

    # Real datasets carry such rows (13 of UCDP GED's 3,077 Ukraine events): the report is kept and
    # the figures are not reordered, only named, so that nobody reads them as checked.
    out.add(
        np.flatnonzero(bad),
        "casualties_best",
        said,
        "Check the three estimates with the source: low should be the smallest, high the largest.",
        severity="warning",
    )


def check_fields(
    props: list[dict[str, Any]], ids: list[str | None], *, now: pd.Timestamp, timezone: str = DEFAULT_TIMEZONE
) -> tuple[pd.DataFrame, Findings]:
    """Check and normalise every schema field; return the columns and the issues found per row.

    ``timezone`` is the theatre's: a date alone is read as that whole day there.

    The frame keeps the file's other properties as further columns (for ``extra``).
    """
    n = len(props)
    df = pd.DataFrame.from_records(props, index=range(n)) if n else pd.DataFrame(index=range(0))
    out = Findings(n, ids, props)
    for f in FIELDS:
        if f.name not in df:
            df[f.name] = pd.Series(None, index=df.index, dtype=object)
    for name in REQUIRED:
        missing = ~kinds(df[name]).present
        out.add(np.flatnonzero(missing), name, f"The required field '{name}' is missing or empty.",
                f"Give every report {name!r}: {FIELDS_BY_NAME[name].description}")  # fmt: skip
    # Times first: a date-only time sets an empty time_precision to 'day' before its default applies.
    check_times(df, out, now=now, timezone=timezone)
    for f in FIELDS:
        if f.kind == "datetime":
            continue
        if f.name == "credibility":
            _check_credibility(df, f, out)
        elif f.kind == "enum":
            _check_enum(df, f, out)
        elif f.kind in ("number", "integer") and f.name != "bearing_deg":
            check_number(df, f, out)
        elif f.kind == "string":
            _check_string(df, f, out)
    _check_bearing(df, out)
    _check_pairs(df, out)
    _check_unique(df, out)
    return df, out


def _check_unique(df: pd.DataFrame, out: Findings) -> None:
    key = df["source"].fillna("") + "\x1f" + df["id"].fillna("")
    usable = (df["id"].notna() & df["source"].notna()).to_numpy()
    dup = usable & key.duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    first = pd.Series(np.arange(len(df)), index=key.to_numpy()).groupby(level=0).min()
    out.add(np.flatnonzero(dup), "id",
            lambda r: f"(source, id) = ({out.show(r, 'source')}, {out.show(r, 'id')}) repeats feature {first[key.iloc[r]]}; this copy was rejected.",
            "Give each report of a source its own id, or remove the repeated feature.")  # fmt: skip
