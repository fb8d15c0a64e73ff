"""The numbers of a briefing pack, computed from the analysed reports it covers: headline, table, trends."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo.gazetteer import describe_places
from geo.pipeline import with_reasons

# The columns of the table of likely violations, in order.
TABLE_COLUMNS = ("event", "time", "place", "type", "weapon", "side", "side_reason", "reasons", "sources")
# Distance bands of the distance profile, in km from the line in force.
PROFILE_STEP_KM = 2.0
PROFILE_MAX_KM = 40.0


def _events(reports: pd.DataFrame, level: str) -> pd.DataFrame:
    if "flag_level" not in reports.columns or reports.empty:
        return reports.iloc[:0]
    return reports.loc[reports["flag_level"] == level]


def headline(reports: pd.DataFrame) -> dict[str, Any]:
    """Return the headline figures of the reports a pack covers, JSON-ready (the manifest compares them).

    Reports, events, likely and possible violations (events), the likely ones per attributed side,
    the three sectors with the most likely violations and the days with reports.
    """
    n_events = int(reports["event_id"].nunique()) if "event_id" in reports.columns else 0
    likely = _events(reports, "likely").drop_duplicates("event_id")
    possible = _events(reports, "possible").drop_duplicates("event_id")
    side = likely["attributed_side"].fillna("undetermined") if len(likely) else pd.Series(dtype=str)
    sectors = likely["sector"].fillna("(none)").value_counts() if "sector" in likely.columns else pd.Series()
    days = reports["occurred_at"].dt.floor("D").nunique() if len(reports) else 0
    return {
        "reports": len(reports),
        "events": n_events,
        "likely_violations": len(likely),
        "possible_violations": len(possible),
        "likely_by_side": {k: int(v) for k, v in sorted(side.value_counts().items())},
        "top_sectors": {str(k): int(v) for k, v in sectors.head(3).items()},
        "days_with_reports": int(days),
    }


def _reasons(value: Any) -> list[dict[str, Any]]:
    """The rule and side reasons of an event (corroboration is in the sources column)."""
    if not isinstance(value, list | tuple | np.ndarray):
        return []
    return [r for r in value if isinstance(r, dict) and r.get("kind") != "corroboration"]


def _reason_codes(value: Any) -> str:
    return ", ".join(f"{r['code']} ({r['weight']:g})" for r in _reasons(value))


def reason_codes(reports: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Return each reason code the likely violations carry: ``code``, ``kind``, ``events`` and an ``example`` sentence.

    ``events`` are the analysis's: the reasons are kept with each event, not with its reports.
    """
    likely = with_reasons(_events(reports, "likely").drop_duplicates("event_id"), events)
    rows = [
        (r["code"], r.get("kind", ""), r["sentence"])
        for value in likely.get("reasons", [])
        for r in _reasons(value)
    ]
    if not rows:
        return pd.DataFrame(columns=["code", "kind", "events", "example"])
    frame = pd.DataFrame(rows, columns=["code", "kind", "example"])
    out = frame.groupby("code", sort=True).agg(
        kind=("kind", "first"), events=("example", "size"), example=("example", "first")
    )
    return out.reset_index()


def violations_table(reports: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Return one row per likely violation (event) among the reports, in time order.

    Columns :data:`TABLE_COLUMNS`: the event id; the first report's time (UTC); the place of the
    reports' mean position ("3 km SE of Avdiyivka"); the most reported type and weapon; the
    attributed side with its probability and the sentence saying why (``side_reason``, the reports
    that drove it); the reason codes with their weights (:func:`reason_codes`
    gives a sentence for each, from the analysis's ``events``); the sources, sorted.
    """
    likely = _events(reports, "likely")
    if likely.empty:
        return pd.DataFrame(columns=list(TABLE_COLUMNS))
    geometry = likely.geometry.to_numpy()
    frame = pd.DataFrame(
        {
            "event": likely["event_id"].to_numpy(),
            "occurred_at": likely["occurred_at"].to_numpy(),
            "lon": shapely.get_x(geometry),
            "lat": shapely.get_y(geometry),
            "type": likely["type"].to_numpy(),
            "weapon": likely["weapon"].to_numpy(),
            "source": likely["source"].to_numpy(),
        }
    )
    grouped = frame.groupby("event", sort=False)
    first = with_reasons(likely.drop_duplicates("event_id"), events).set_index("event_id")
    table = grouped.agg(
        time=("occurred_at", "min"),
        lon=("lon", "mean"),
        lat=("lat", "mean"),
        type=("type", lambda s: s.mode().iloc[0]),
        weapon=("weapon", lambda s: s.mode().iloc[0]),
        sources=("source", lambda s: ", ".join(sorted(set(s)))),
    )
    side = first.loc[table.index, "attributed_side"].fillna("undetermined")
    p = first.loc[table.index, "attributed_side_p"]
    table["side"] = np.where(
        p.notna(), side + " (" + (p * 100).round().astype("Int64").astype(str) + "%)", side
    )
    why = first["side_reason"] if "side_reason" in first else pd.Series("", index=first.index)
    table["side_reason"] = why.loc[table.index].fillna("").astype(str)
    table["reasons"] = [_reason_codes(r) for r in first.loc[table.index, "reasons"]]
    table["place"] = describe_places(table["lon"].to_numpy(), table["lat"].to_numpy())
    table = table.reset_index().sort_values(["time", "event"], kind="stable").reset_index(drop=True)
    return table[list(TABLE_COLUMNS)]


def sector_trends(reports: pd.DataFrame) -> pd.DataFrame:
    """Return likely violations (events) per day and sector: index day (UTC), one column per sector."""
    likely = _events(reports, "likely").drop_duplicates("event_id")
    if likely.empty or "sector" not in likely.columns:
        return pd.DataFrame()
    day = likely["occurred_at"].dt.tz_convert("UTC").dt.floor("D")
    days = pd.date_range(
        reports["occurred_at"].min().floor("D"), reports["occurred_at"].max().floor("D"), freq="D"
    )
    table = pd.crosstab(day, likely["sector"].fillna("(none)"))
    return table.reindex(days, fill_value=0).rename_axis("day")


def distance_profile(reports: pd.DataFrame) -> pd.DataFrame:
    """Return reports per distance band from the line, by side of the line and flag level.

    Index: the lower edge of each :data:`PROFILE_STEP_KM` band up to :data:`PROFILE_MAX_KM` (farther
    reports fall in the last band); columns ``(side, flag_level)`` for the sides ``UA`` and ``RU``.
    """
    if "dist_to_line_m" not in reports.columns or reports.empty:
        return pd.DataFrame()
    near = reports.loc[reports["side"].isin(["UA", "RU"]) & reports["dist_to_line_m"].notna()]
    edges = np.arange(0, PROFILE_MAX_KM + PROFILE_STEP_KM, PROFILE_STEP_KM)
    km = np.clip(near["dist_to_line_m"].to_numpy() / 1000, 0, PROFILE_MAX_KM - 1e-9)
    band = pd.Series(edges[np.digitize(km, edges) - 1], index=near.index, name="km")
    table = pd.crosstab(band, [near["side"], near["flag_level"].fillna("none")])
    return table.reindex(edges[:-1], fill_value=0)
