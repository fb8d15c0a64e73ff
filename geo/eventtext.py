"""A report and its event in words, kept apart: the report's own figures, and its event's heading.

A report's flag, score, side and reasons are its event's, the same for every report merged into it;
the reasons may quote another of those reports (its count, weapon, distance or time). Wherever a
report is shown beside them, these texts say whose figures are whose.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from geo.labels import label

REPORT_HEADING = "This report"
EVENT_HEADING = "Its event"


def report_figures(row: pd.Series | dict[str, Any]) -> str:
    """The report's own figures in one line of plain text.

    Examples
    --------
    >>> report_figures({"occurred_at": pd.Timestamp("2026-10-09 08:37", tz="UTC"), "type": "impact",
    ...                 "count": 1, "weapon": "mortar", "dist_to_line_m": 3720.4})
    '2026-10-09 08:37 UTC · Impact · count 1 · mortar · 3,720 m from the line'
    """
    parts = []
    when = row.get("occurred_at")
    if when is not None and pd.notna(when):
        parts.append(f"{pd.Timestamp(when).tz_convert('UTC'):%Y-%m-%d %H:%M} UTC")
    if isinstance(row.get("type"), str):
        parts.append(label(row["type"], "type"))
    count = row.get("count")
    if count is not None and pd.notna(count):
        parts.append(f"count {int(count):,}")
    if isinstance(row.get("weapon"), str):
        parts.append(label(row["weapon"], "weapon").lower())
    distance = row.get("dist_to_line_m")
    if distance is not None and pd.notna(distance):
        parts.append(f"{float(distance):,.0f} m from the line")
    return " · ".join(parts)


def event_heading(n_reports: Any, sources: Iterable[Any] | None = None) -> str:
    """The heading of a report's event: how many reports it merges, and their sources.

    Examples
    --------
    >>> event_heading(3, ["CVM-OP-07", "OSINT-CHANNEL-A", "RU-LOCAL-ADMIN"])
    'Its event (3 reports, from sources CVM-OP-07, OSINT-CHANNEL-A, RU-LOCAL-ADMIN)'
    >>> event_heading(1, ["CVM-OP-07"])
    'Its event (this report alone)'
    """
    if n_reports is None or pd.isna(n_reports):
        return EVENT_HEADING
    n = int(n_reports)
    if n == 1:
        return f"{EVENT_HEADING} (this report alone)"
    if sources is None or isinstance(sources, str) or not hasattr(sources, "__iter__"):
        return f"{EVENT_HEADING} ({n:,} reports)"
    return f"{EVENT_HEADING} ({n:,} reports, from sources {', '.join(map(str, sources))})"
