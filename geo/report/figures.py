"""The numbers of a briefing pack, from the analysis and the filters: headline, table, trends (:mod:`geo.counts`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo.counts import figures, likely, view_events
from geo.filters import Filters, filter_mask
from geo.gazetteer import describe_places
from geo.labels import probability_percent

# The columns of the table of likely violations, in order.
TABLE_COLUMNS = ("event", "time", "place", "type", "weapon", "side", "side_reason", "reasons", "sources")
# Distance bands of the distance profile, in km from the line in force.
PROFILE_STEP_KM = 2.0
PROFILE_MAX_KM = 40.0


def headline(reports: pd.DataFrame, events: pd.DataFrame, filters: Filters) -> dict[str, Any]:
    """Return the headline figures of the view a pack covers, JSON-ready (the manifest compares them).

    The figures of :func:`geo.counts.figures` (reports by their time; events, likely and possible
    violations by the event's time and sector), the likely ones per attributed side, the three
    sectors with the most likely violations (each event in its one sector) and the days with
    reports. ``reports`` and ``events`` are the whole analysis; ``filters`` choose the view.
    """
    got = figures(reports, events, filters)
    chosen = likely(view_events(reports, events, filters))
    sectors = chosen["sector"].value_counts()
    shown = reports.loc[filter_mask(reports, filters), "occurred_at"]
    return {
        "reports": got.reports,
        "events": got.events,
        "likely_violations": got.likely,
        "possible_violations": got.possible,
        "likely_by_side": dict(sorted(got.likely_by_side.items())),
        "top_sectors": {str(k): int(v) for k, v in sectors.head(3).items()},
        "days_with_reports": int(shown.dt.floor("D").nunique()),
    }


def likely_events(reports: pd.DataFrame, events: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The likely violations (events) of the view, in time order (then by id), with ``sector`` and ``side``."""
    chosen = likely(view_events(reports, events, filters))
    return chosen.sort_values(["occurred_at", "event_id"], kind="stable")


def _reasons(value: Any) -> list[dict[str, Any]]:
    """The rule and side reasons of an event (corroboration is in the sources column)."""
    if not isinstance(value, list | tuple | np.ndarray):
        return []
    return [r for r in value if isinstance(r, dict) and r.get("kind") != "corroboration"]


def _reason_codes(value: Any) -> tuple[tuple[str, float], ...]:
    return tuple((str(r["code"]), float(r["weight"])) for r in _reasons(value))


def reason_codes(violations: pd.DataFrame) -> pd.DataFrame:
    """Return each reason code the likely violations carry: ``code``, ``kind``, ``events`` and an ``example`` sentence.

    ``violations`` are events (:func:`likely_events`): the reasons are kept with each event.
    """
    rows = [
        (r["code"], r.get("kind", ""), r["sentence"])
        for value in violations.get("reasons", [])
        for r in _reasons(value)
    ]
    if not rows:
        return pd.DataFrame(columns=["code", "kind", "events", "example"])
    frame = pd.DataFrame(rows, columns=["code", "kind", "example"])
    out = frame.groupby("code", sort=True).agg(
        kind=("kind", "first"), events=("example", "size"), example=("example", "first")
    )
    return out.reset_index()


def violations_table(violations: pd.DataFrame) -> pd.DataFrame:
    """Return one row per likely violation (event of :func:`likely_events`), in time order.

    Columns :data:`TABLE_COLUMNS`, each the event's own, as the analysis estimated it: the event id;
    its time (UTC; the median of its reports' times, the time the period counts it by); the place
    of its best location ("3 km SE of Avdiyivka"); its type and weapon; the attributed side with its
    probability and the sentence saying why (``side_reason``, the reports that drove it); the
    reasons, ``(code, weight)`` pairs (:func:`reason_codes` gives a sentence for each); its sources,
    sorted. Codes stay codes here: the pack prints them in words (:mod:`geo.labels`).
    """
    if violations.empty:
        return pd.DataFrame(columns=list(TABLE_COLUMNS))
    geometry = violations["geometry"].to_numpy()
    p = violations["attributed_side_p"]
    side = violations["side"].astype(str)
    why = violations["side_reason"] if "side_reason" in violations else pd.Series("", index=violations.index)
    table = pd.DataFrame(
        {
            "event": violations["event_id"].to_numpy(),
            "time": violations["occurred_at"].to_numpy(),
            "place": describe_places(shapely.get_x(geometry), shapely.get_y(geometry)),
            "type": violations["type"].to_numpy(),
            "weapon": violations["weapon"].to_numpy(),
            # Rounded down, as the side's sentence says it: 0.7695 is 76 %, never a 77 % it is not.
            "side": [
                s if pd.isna(v) else f"{s} ({probability_percent(v)})" for s, v in zip(side, p, strict=True)
            ],
            "side_reason": why.fillna("").astype(str).to_numpy(),
            "reasons": [_reason_codes(r) for r in violations["reasons"]],
            "sources": [", ".join(sorted(set(s))) for s in violations["sources"]],
        }
    )
    return table[list(TABLE_COLUMNS)].reset_index(drop=True)


def sector_trends(reports: pd.DataFrame, violations: pd.DataFrame) -> pd.DataFrame:
    """Return likely violations (events) per day and sector: index day (UTC), one column per sector.

    ``violations`` are :func:`likely_events` (each on its event's day, in its one sector); the days
    run from the first to the last of ``reports`` (the pack's filtered reports).
    """
    if violations.empty or reports.empty:
        return pd.DataFrame()
    day = violations["occurred_at"].dt.tz_convert("UTC").dt.floor("D")
    days = pd.date_range(
        min(reports["occurred_at"].min(), day.min()).floor("D"),
        max(reports["occurred_at"].max(), day.max()).floor("D"),
        freq="D",
    )
    table = pd.crosstab(day, violations["sector"])
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
