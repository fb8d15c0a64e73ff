"""The Incidents page's data: the table of analysed reports, one report's detail with its event, sources and batch."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError
from geo.export import MEDIA_TYPES, export_incidents
from geo.gazetteer import describe_places
from geo.pipeline import EVENT_WORDS, REPORT_EVENT_COLUMNS, Analysis, with_reasons

# Columns of the table, in order; only those the frame has are shown.
TABLE_COLUMNS: tuple[str, ...] = (
    "occurred_at",
    "place",
    "uid",
    "type",
    "weapon",
    "count",
    "source",
    "source_type",
    "reliability",
    "credibility",
    "sector",
    "side",
    "dist_to_line_km",
    "flag_level",
    "violation_score",
    "attributed_side",
    "event_id",
    "batch_id",
    "description",
)
# Columns of the event's other reports (its sources).
SOURCE_COLUMNS: tuple[str, ...] = (
    "uid",
    "occurred_at",
    "source",
    "source_type",
    "reliability",
    "credibility",
    "type",
    "weapon",
    "means",
    "dist_to_line_km",
    "batch_id",
)
EXPORT_FORMATS: dict[str, str] = {"csv": "CSV", "geojson": "GeoJSON", "gpkg": "GeoPackage"}


def _with_km(frame: pd.DataFrame) -> pd.DataFrame:
    if "dist_to_line_m" not in frame.columns:
        return frame
    return frame.assign(dist_to_line_km=(frame["dist_to_line_m"] / 1000).round(2))


def incident_table(reports: gpd.GeoDataFrame, *, limit: int | None = None) -> pd.DataFrame:
    """The reports as the table shows them: newest first, one row per report, a plain DataFrame.

    Only the table's columns of the ``limit`` newest rows are copied (a million analysed reports
    are not). The index is the reports' own, so a selected row maps back to its report.
    """
    wanted = [c for c in (*TABLE_COLUMNS, "dist_to_line_m") if c in reports.columns]
    newest = reports["occurred_at"].sort_values(ascending=False, kind="stable").index[:limit]
    table = _with_km(pd.DataFrame(reports.loc[newest, wanted]))
    points = reports.geometry.loc[newest].to_numpy()
    table["place"] = describe_places(shapely.get_x(points), shapely.get_y(points))
    return table[[c for c in TABLE_COLUMNS if c in table.columns]]


@dataclass(frozen=True)
class ReportDetail:
    """Everything the detail view shows about one report.

    Attributes
    ----------
    report
        The report's row: every field, enrichment and its event's score.
    fields
        ``field``, ``value`` as text, for reading (geometry as lon/lat, lists as text), and ``of``:
        ``this report`` for its own fields (first), ``its event`` for those it takes from its event.
    event
        Its event's row (None when the report has no event, e.g. an unanalysed frame).
    sources
        Every report of the event, this one first (:data:`SOURCE_COLUMNS`).
    members
        The same reports as a GeoDataFrame, for the small map.
    batch
        The batch it came with (``store.batches()`` row: filename, SHA-256, uploader, time), or None.
    reasons
        ``code``, ``kind``, ``weight``, ``sentence``: why its event is flagged as it is (the
        event's reasons: every report of it shows the same).
    """

    report: pd.Series
    fields: pd.DataFrame
    event: pd.Series | None
    sources: pd.DataFrame
    members: gpd.GeoDataFrame
    batch: pd.Series | None
    reasons: pd.DataFrame


def _text(value: Any) -> str:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


# A report's fields that are its event's: the same for every report merged into it.
EVENT_FIELDS = frozenset({"event_id", *REPORT_EVENT_COLUMNS, *EVENT_WORDS})
OWN, ITS_EVENT = "this report", "its event"


def _fields(row: pd.Series, geometry: str) -> pd.DataFrame:
    point = row[geometry]
    empty = point is None or point.is_empty
    values = [("lon, lat", "" if empty else f"{point.x:.5f}, {point.y:.5f}")]
    values += [("place", "" if empty else describe_places(point.x, point.y)[0])]
    values += [(str(k), _text(v)) for k, v in row.drop(labels=[geometry, "reasons"], errors="ignore").items()]
    fields = pd.DataFrame(values, columns=["field", "value"])
    fields["of"] = np.where(fields["field"].isin(EVENT_FIELDS), ITS_EVENT, OWN)
    # The report's own fields first, its event's after: never one list mixing the two.
    return fields.sort_values("of", key=lambda of: of != OWN, kind="stable").reset_index(drop=True)


def report_detail(uid: str, analysis: Analysis, batches: pd.DataFrame) -> ReportDetail:
    """Return the detail of the report ``uid`` among the ``analysis``'s reports, with its event and batch.

    Raises
    ------
    InputError
        When no stored report has that uid (a mistyped link, or a retracted batch).
    """
    reports, events = analysis.reports, analysis.events
    hit = reports.index[reports["uid"] == uid]
    if not len(hit):
        msg = f"No stored report has the id {uid!r}."
        raise InputError(msg, hint="Its batch may have been retracted; pick a report from the table.")
    # With its event's words (why this side, the reasons), joined to show it.
    row = with_reasons(reports.loc[hit[:1]], analysis).iloc[0]
    geometry = reports.geometry.name
    event = None
    members = reports.loc[hit[:1]]
    if "event_id" in reports.columns and pd.notna(row["event_id"]):
        found = events.loc[events["event_id"] == row["event_id"]]
        event = found.iloc[0] if len(found) else None
        others = reports.loc[(reports["event_id"] == row["event_id"]) & (reports["uid"] != uid)]
        members = pd.concat([members, others.sort_values("occurred_at", kind="stable")])
    sources = _with_km(pd.DataFrame(members.drop(columns=geometry)))
    sources = sources[[c for c in SOURCE_COLUMNS if c in sources.columns]].reset_index(drop=True)
    batch = None
    if "batch_id" in reports.columns and len(batches):
        found = batches.loc[batches["batch_id"] == row["batch_id"]]
        batch = found.iloc[0] if len(found) else None
    # The event's reasons (worded from the analysis's tables: the rules its reports broke, its side evidence).
    reasons = row["reasons"] if event is not None else None
    reasons = pd.DataFrame(
        list(reasons) if isinstance(reasons, list | tuple | np.ndarray) else [],
        columns=["code", "kind", "weight", "sentence"],
    )
    return ReportDetail(row, _fields(row, geometry), event, sources, members, batch, reasons)


def export_bytes(frame: gpd.GeoDataFrame, format: str, *, analysis: Analysis | None = None) -> bytes:
    """Exactly the rows of ``frame`` as a CSV, GeoJSON or GeoPackage file (see :mod:`geo.export`).

    With the ``analysis`` the rows come from, each report carries its event's reasons.
    """
    buffer = io.BytesIO()
    export_incidents(frame if analysis is None else with_reasons(frame, analysis), buffer, format=format)
    return buffer.getvalue()


def export_file_name(description: str, format: str) -> str:
    """A download's file name from the filters in words: ``incidents_2026-10-01-to-2026-10-31-UTC.csv``."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", description).strip("-")[:80]
    return f"incidents_{slug or 'all'}.{format}"


def media_type(format: str) -> str:
    """The media type of an export format, for a download."""
    return MEDIA_TYPES[format]


# Reports closer than this to the one selected overlap it on the map at any zoom a person reads.
SAME_PLACE_M = 50.0


def reports_at_place(
    reports: gpd.GeoDataFrame, keep: np.ndarray, uid: str, *, within_m: float = SAME_PLACE_M
) -> pd.DataFrame:
    """The other reports ``keep`` holds within ``within_m`` metres of report ``uid``, newest first.

    On the map they sit under the selected report's dot, so a click cannot reach them; the Map page
    lists them. Distances are local (an equirectangular approximation, exact to well under a metre
    at these distances). Empty when ``uid`` is not among the reports.
    """
    at = np.flatnonzero((reports["uid"] == uid).to_numpy())
    if not len(at):
        return reports.iloc[:0]
    points = reports.geometry.to_numpy()
    x, y = shapely.get_x(points), shapely.get_y(points)
    x0, y0 = x[at[0]], y[at[0]]
    metres_per_degree = 111_320.0
    dx = (x - x0) * metres_per_degree * np.cos(np.radians(y0))
    dy = (y - y0) * metres_per_degree
    near = np.asarray(keep, dtype=bool) & (np.hypot(dx, dy) <= within_m)
    near[at[0]] = False
    return reports.loc[near].sort_values("occurred_at", ascending=False, kind="stable")
