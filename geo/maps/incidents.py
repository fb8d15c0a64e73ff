"""The reports drawn one by one: styled points with their tooltips and popup rows, and their legend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import palette
from geo.errors import InputError
from geo.eventtext import EVENT_HEADING, REPORT_HEADING, event_heading
from geo.gazetteer import describe_places
from geo.maps import style
from geo.maps.features import escape_series, frame_features
from geo.maps.legend import LegendEntry, LegendSection
from geo.maps.sizing import UNIFORM, radii, size_key, size_values

# (column, popup heading); rows appear only for columns the frame has. The popup has two parts, each
# under a heading row: the report's own fields, then its event's (the score, side and reasons are
# the event's, the same for every report of it, and may quote another report's figures).
REPORT_FIELDS: tuple[tuple[str, str], ...] = (
    ("uid", "Report"),
    ("occurred_at", "Time (UTC)"),
    ("place", "Place"),
    ("type", "Type"),
    ("count", "Count"),
    ("weapon", "Weapon"),
    ("means", "Means"),
    ("source", "Source"),
    ("source_type", "Source type"),
    ("admiralty", "Admiralty grade"),
    ("location_precision_m", "Location within"),
    ("description", "Description"),
    ("line_version", "Line version"),
    ("dist_to_line_m", "Distance to line"),
    ("side", "Side of the line"),
    ("zones", "Zones"),
    ("origin_side", "Fire origin side"),
    ("batch_id", "Batch"),
)
EVENT_FIELDS: tuple[tuple[str, str], ...] = (
    ("flag_level", "Flag level"),
    ("violation_score", "Violation score"),
    ("attributed_side", "Attributed to"),
    ("side_reason", "Why this side"),
    ("exchange_id", "Exchange of fire"),
    ("reasons", "Reasons"),
)
POPUP_FIELDS: tuple[tuple[str, str], ...] = (
    ("_report_heading", REPORT_HEADING),
    *REPORT_FIELDS,
    ("_event_heading", EVENT_HEADING),
    *EVENT_FIELDS,
)
_METRES = ("location_precision_m", "dist_to_line_m")
_WORDS = ("type", "weapon", "means", "source_type", "flag_level")
# Drawn first to last, so that a likely report is never under an unlikely one (as in the map image).
FLAG_DRAW_ORDER: dict[str, int] = {"unlikely": 1, "possible": 2, "likely": 3}


@dataclass(frozen=True)
class IncidentLayer:
    """Incidents as handed to folium.

    Attributes
    ----------
    data
        GeoJSON FeatureCollection (lon/lat); properties ``uid``, ``value`` (the coloured category),
        ``s`` (index into ``styles``), ``tip`` and ``rows`` (escaped HTML) and ``sel``.
    styles
        Leaflet circle-marker options, shared by index.
    popup_labels
        Headings of ``rows``.
    popup_sections
        Positions in ``rows`` of the section headings ("This report", "Its event ..."), drawn
        across the popup: the report's own fields come first, its event's after.
    legend
        The legend section of the colour scheme, with counts.
    size_legend
        The legend section of the dots' sizes (:mod:`geo.maps.sizing`), or None when all are alike.
    """

    data: dict[str, Any]
    styles: tuple[dict[str, Any], ...]
    popup_labels: tuple[str, ...]
    legend: LegendSection
    popup_sections: tuple[int, ...] = ()
    size_legend: LegendSection | None = None


def _text(series: pd.Series, column: str) -> pd.Series:
    """Format one column for people; missing values become an empty string."""
    if pd.api.types.is_datetime64_any_dtype(series):
        out = series.dt.tz_convert("UTC").dt.strftime("%Y-%m-%d %H:%M")
    elif column in _METRES:
        # str.format has no vectorised form; the map holds a few thousand rows at most.
        out = pd.to_numeric(series, errors="coerce").map(lambda v: f"{v:,.0f} m", na_action="ignore")
    elif column == "violation_score":
        out = pd.to_numeric(series, errors="coerce").map(lambda v: f"{v:.2f}", na_action="ignore")
    elif column == "reasons":
        # The score's reasons, rules and side evidence, one line each (escaped later like every text).
        out = series.map(
            lambda rs: (
                " | ".join(
                    f"{style.label(r['code'], 'code')}: {r['sentence']}"
                    for r in rs
                    if r.get("kind") != "corroboration"
                )
                if isinstance(rs, list)
                else rs
            ),
            na_action="ignore",
        )
    elif column == "zones":
        out = series.map(
            lambda v: ", ".join(map(str, v)) if isinstance(v, list | tuple | np.ndarray) else v,
            na_action="ignore",
        )
    else:
        out = series.astype("string")
    out = out.astype("string").fillna("")
    if column in _WORDS or column == "side":
        out = out.map(lambda v: style.label(v, column) if v else v)
    return out


def _native(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


_HEADINGS = ("_report_heading", "_event_heading")


def _with_headings(texts: pd.DataFrame, events: pd.DataFrame | None) -> pd.DataFrame:
    """``texts`` with the popup's section headings: "This report", and, when the frame carries its
    event's fields, "Its event (3 reports, from sources A, B, C)" (escaped later like every text)."""
    out = texts.assign(_report_heading=REPORT_HEADING)
    if not any(c in texts.columns for c, _ in EVENT_FIELDS):
        return out
    if "event_id" not in texts.columns or events is None or not {"n_reports", "sources"} <= set(events):
        return out.assign(_event_heading=EVENT_HEADING)
    per_event = events.drop_duplicates("event_id").set_index("event_id")[["n_reports", "sources"]]
    joined = texts[["event_id"]].join(per_event, on="event_id")
    # Per report shown with its popup: every one up to the popup limit, the selected one above it.
    heading = [event_heading(n, s) for n, s in zip(joined["n_reports"], joined["sources"], strict=True)]
    return out.assign(_event_heading=heading)


def incident_layer(
    incidents: gpd.GeoDataFrame,
    *,
    colour_by: str = "type",
    selected_uid: str | None = None,
    popup_limit: int | None = None,
    events: pd.DataFrame | None = None,
    size_by: str = UNIFORM,
) -> IncidentLayer:
    """Return the incidents as a styled FeatureCollection with escaped tooltips and popup rows.

    Parameters
    ----------
    incidents
        Normalised incident frame (EPSG:4326), optionally with enrichment columns.
    colour_by
        A key of :data:`geo.maps.style.COLOUR_SCHEMES`.
    selected_uid
        A report drawn larger, outlined, last (on top) and with its popup open.
    popup_limit
        With more reports than this, only the selected report carries its popup rows (the others
        ``rows`` None and a tooltip that says a click shows every field): the rows are most of what
        the browser receives. None: every report carries them.
    events
        The analysis's events (``event_id``, ``n_reports``, ``sources``): the heading of a popup's
        event part names how many reports it merges and their sources.
    size_by
        A key of :data:`geo.maps.sizing.SIZE_SCHEMES`: every dot alike, or sized by the reports of
        its event or its casualties (a report without a figure at the smallest size, said in the legend).

    Reports are drawn in flag order (unlikely first, likely last, on top), larger dots before
    smaller ones of the same level, the selected report last.

    Raises
    ------
    InputError
        When ``colour_by`` is unknown or the frame lacks its column.
    """
    if colour_by not in style.COLOUR_SCHEMES:
        msg = f"colour_by {colour_by!r} is not a colour scheme of the map."
        raise InputError(msg, hint=f"Use one of {', '.join(style.COLOUR_SCHEMES)}.")
    column, colours, title = style.COLOUR_SCHEMES[colour_by]
    if column not in incidents.columns:
        msg = f"The incidents have no column {column!r} to colour by."
        raise InputError(msg, hint="Run the step that adds it (enrich, flag) or colour by type.")
    frame = incidents.loc[~(incidents.geometry.isna() | incidents.geometry.is_empty)]
    uid = frame["uid"].astype(str) if "uid" in frame.columns else frame.index.astype(str).to_series()
    uid = pd.Series(uid.to_numpy(), index=frame.index)
    selected = (uid == selected_uid).to_numpy() if selected_uid is not None else np.zeros(len(frame), bool)
    sizes = size_values(frame, size_by, events=events)
    # Half pixels: the styles stay few (they are shared by index).
    sized = np.round(radii(sizes) * 2) / 2
    rank = (
        frame["flag_level"].map(FLAG_DRAW_ORDER).fillna(0).to_numpy()
        if "flag_level" in frame.columns
        else np.zeros(len(frame))
    )
    # The last key sorts first: the selected report last, then the flag level, then larger before smaller.
    order = np.lexsort((-sized, rank, selected))
    frame, uid, selected, sizes, sized = (
        frame.iloc[order],
        uid.iloc[order],
        selected[order],
        sizes[order],
        sized[order],
    )

    value = frame[column].astype("string").fillna("none")
    colour = value.map(colours).fillna(style.MISSING_COLOUR).astype(str)
    hollow = value.isin([v for v in {*colours, *value.unique()} if style.is_hollow(column, v)]).to_numpy()
    radius = np.where(selected, np.maximum(style.SELECTED_RADIUS, sized + 3), sized)
    style_frame = pd.DataFrame(
        {
            "radius": radius,
            # The outline reads on every ground: a light hue's is the same hue darkened.
            "color": np.where(
                selected, style.BLACK, colour.map({c: palette.ring(c) for c in colour.unique()}).to_numpy()
            ),
            "weight": np.where(selected, 3.5, np.where(hollow, 3.0, style.MARKER_WEIGHT)),
            "fillColor": np.where(hollow, palette.PAPER, colour.to_numpy()),
            "fillOpacity": np.where(hollow, 0.9, 0.85),
        }
    )
    # A few distinct styles shared by index keep the payload to the browser small.
    codes, uniques = pd.MultiIndex.from_frame(style_frame).factorize()
    styles = tuple(dict(zip(style_frame.columns, (_native(v) for v in u), strict=True)) for u in uniques)

    texts = frame.assign(uid=uid.to_numpy())
    if len(frame) and frame.crs is not None and frame.crs.to_epsg() == 4326:  # else refused below
        points = frame.geometry.to_numpy()
        texts = texts.assign(place=describe_places(shapely.get_x(points), shapely.get_y(points)))
    if {"reliability", "credibility"} <= set(texts.columns):
        texts = texts.assign(
            admiralty=texts["reliability"].astype("string").fillna("")
            + texts["credibility"].astype("string").fillna("")
        )
    with_rows = np.ones(len(frame), bool) if popup_limit is None or len(frame) <= popup_limit else selected
    shown = _with_headings(texts.loc[with_rows], events)
    fields = [(c, h) for c, h in POPUP_FIELDS if c in shown.columns]
    rows = pd.DataFrame({c: escape_series(_text(shown[c], c)) for c, _ in fields}, index=shown.index)
    all_rows = np.full(len(frame), None, dtype=object)
    all_rows[np.flatnonzero(with_rows)] = rows.to_numpy().tolist()
    tip_parts = [_text(texts[c], c) for c in ("type", "occurred_at", "source") if c in texts.columns]
    tip = tip_parts[0].str.capitalize() if tip_parts else uid
    for part in tip_parts[1:]:
        tip = tip + " · " + part
    tip = escape_series(tip).to_numpy()
    if not with_rows.all():
        tip = np.where(with_rows, tip, tip + " · click for every field")
    properties = pd.DataFrame(
        {
            "uid": uid.to_numpy(),
            "value": value.to_numpy(),
            "s": codes,
            "tip": tip,
            "rows": all_rows,
            "sel": selected,
        },
        index=frame.index,
    )
    counts = value.value_counts()
    present = [v for v in colours if v in counts.index]
    extra = sorted(set(counts.index) - set(colours))
    entries = tuple(
        LegendEntry(
            f"{style.SIDE_LABELS.get(v, style.label(v)) if column == 'side' else style.label(v)} ({counts[v]:,})",
            colours.get(v, style.MISSING_COLOUR),
            "ring" if style.is_hollow(column, v) else "dot",
        )
        for v in [*present, *extra]
    )
    key = size_key(sizes, size_by)
    return IncidentLayer(
        data=frame_features(frame, properties),
        styles=styles,
        popup_labels=tuple(h for _, h in fields),
        popup_sections=tuple(i for i, (c, _) in enumerate(fields) if c in _HEADINGS),
        legend=LegendSection(f"{title} ({len(frame):,} reports)", entries),
        size_legend=None
        if key is None
        else LegendSection(
            key.title, tuple(LegendEntry(words, palette.INK_SOFT, "size", r) for words, r in key.rows)
        ),
    )
