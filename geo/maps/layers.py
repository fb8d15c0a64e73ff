"""The data the incident map hands to folium, built from frames: GeoJSON dicts tests can read."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError
from geo.eventtext import EVENT_HEADING, REPORT_HEADING, event_heading
from geo.gazetteer import describe_places
from geo.maps import style
from geo.maps.ground import control_ground, ground_legend
from geo.maps.latlon import bounds_latlon, latlon
from geo.maps.legend import LegendEntry, LegendSection
from geo.scenario import Scenario
from geo.text import escape_text

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
    """

    data: dict[str, Any]
    styles: tuple[dict[str, Any], ...]
    popup_labels: tuple[str, ...]
    legend: LegendSection
    popup_sections: tuple[int, ...] = ()


@dataclass(frozen=True)
class MapLayers:
    """Everything the incident map draws, as data.

    Attributes
    ----------
    incidents
        See :class:`IncidentLayer`.
    hexagons
        When too many reports are in view to draw one by one: a FeatureCollection of H3 hexagons
        with counts (see :mod:`geo.maps.aggregate`), drawn instead of ``incidents``; else None.
    heat
        ``[lat, lon, weight]`` per report drawn, or per hexagon centre weighted by its count.
    events
        Events flagged likely or possible, as circles coloured by flag level, or None.
    line, earlier_lines
        FeatureCollections of the contact line in force at ``at`` and of the other versions.
    line_version
        The version in force at ``at`` (None when no version is).
    control_areas
        FeatureCollection of the control areas in force, styled by side.
    zones
        kind -> FeatureCollection.
    posts
        FeatureCollection of observation posts (properties ``post_id``, ``name``, ``range_m``,
        ``side``, ``colour``, ``tip``).
    countries
        The context layer, or None when tiles are configured.
    legend
        All legend sections, incidents first.
    bounds
        ``[[south, west], [north, east]]`` to fit.
    center
        ``[lat, lon]`` of the selected report, or None.
    """

    incidents: IncidentLayer
    hexagons: dict[str, Any] | None
    line: dict[str, Any]
    earlier_lines: dict[str, Any]
    line_version: str | None
    control_areas: dict[str, Any]
    zones: dict[str, dict[str, Any]]
    posts: dict[str, Any]
    countries: dict[str, Any] | None
    legend: tuple[LegendSection, ...]
    bounds: list[list[float]]
    center: list[float] | None = None
    at: pd.Timestamp | None = field(default=None)
    heat: list[list[float]] = field(default_factory=list)
    events: dict[str, Any] | None = None


COORD_DECIMALS = 5  # 1e-5 degrees: 1.1 m of latitude, finer than any report's location


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def frame_features(frame: gpd.GeoDataFrame, properties: pd.DataFrame) -> dict[str, Any]:
    """Return a FeatureCollection of ``frame``'s geometries with the JSON-ready ``properties`` columns.

    Coordinates are written with :data:`COORD_DECIMALS` decimals (about a metre): in full they were
    a tenth of what the browser receives for a few thousand reports, more for hexagons.
    """
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        msg = f"A map layer has CRS {frame.crs}; the map takes EPSG:4326 (lon/lat)."
        raise InputError(msg, hint="Reproject the frame with .to_crs(4326) before mapping it.")
    shapes = frame.geometry.to_numpy()
    records = properties.to_dict(orient="records")
    present = ~(shapely.is_missing(shapes) | shapely.is_empty(shapes))
    if present.all() and (shapely.get_type_id(shapes) == shapely.GeometryType.POINT).all():
        xs = np.round(shapely.get_x(shapes), COORD_DECIMALS).tolist()
        ys = np.round(shapely.get_y(shapes), COORD_DECIMALS).tolist()
        geometries = [{"type": "Point", "coordinates": [x, y]} for x, y in zip(xs, ys, strict=True)]
    else:
        rounded = shapely.transform(shapes, lambda xy: np.round(xy, COORD_DECIMALS))
        geometries = [None if g is None else json.loads(g) for g in shapely.to_geojson(rounded)]
    # Building JSON objects is per feature by nature; the geometry above is vectorised.
    return _collection(
        [
            {"type": "Feature", "geometry": g, "properties": p}
            for g, p in zip(geometries, records, strict=True)
            if g is not None
        ]
    )


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
                " | ".join(f"{r['code']}: {r['sentence']}" for r in rs if r.get("kind") != "corroboration")
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
        out = out.str.replace("_", " ", regex=False)
    return out


def _native(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _escape(series: pd.Series) -> pd.Series:
    # Escaped per value, bidirectional controls shown as U+FFFD: every string a user supplied reaches
    # the map's HTML only through here.
    return series.astype(str).map(escape_text)


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
    order = np.argsort(selected, kind="stable")  # the selected report last, drawn on top
    frame, uid, selected = frame.iloc[order], uid.iloc[order], selected[order]

    value = frame[column].astype("string").fillna("none")
    colour = value.map(colours).fillna(style.MISSING_COLOUR).astype(str)
    hollow = value.isin([v for v in colours if style.is_hollow(column, v)]).to_numpy()
    radius = np.where(selected, style.SELECTED_RADIUS, style.MARKER_RADIUS)
    style_frame = pd.DataFrame(
        {
            "radius": radius,
            "color": np.where(selected, style.BLACK, colour.to_numpy()),
            "weight": np.where(selected, 3.5, np.where(hollow, 3.0, style.MARKER_WEIGHT)),
            "fillColor": np.where(hollow, "#FFFFFF", colour.to_numpy()),
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
    rows = pd.DataFrame({c: _escape(_text(shown[c], c)) for c, _ in fields}, index=shown.index)
    all_rows = np.full(len(frame), None, dtype=object)
    all_rows[np.flatnonzero(with_rows)] = rows.to_numpy().tolist()
    tip_parts = [_text(texts[c], c) for c in ("type", "occurred_at", "source") if c in texts.columns]
    tip = tip_parts[0].str.capitalize() if tip_parts else uid
    for part in tip_parts[1:]:
        tip = tip + " · " + part
    tip = _escape(tip).to_numpy()
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
    return IncidentLayer(
        data=frame_features(frame, properties),
        styles=styles,
        popup_labels=tuple(h for _, h in fields),
        popup_sections=tuple(i for i, (c, _) in enumerate(fields) if c in _HEADINGS),
        legend=LegendSection(f"{title} ({len(frame):,} reports)", entries),
    )


def _at(incidents: gpd.GeoDataFrame, scenario: Scenario, at: Any) -> pd.Timestamp:
    if at is not None:
        ts = pd.Timestamp(at)
        return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    if "occurred_at" in incidents.columns and incidents["occurred_at"].notna().any():
        return pd.Timestamp(incidents["occurred_at"].max()).tz_convert("UTC")
    return pd.Timestamp(scenario.lines["valid_from"].max())


def _tip(frame: pd.DataFrame, column: str) -> np.ndarray:
    return _escape(frame[column].astype("string").fillna("")).to_numpy()


def scenario_layers(scenario: Scenario, *, at: pd.Timestamp) -> dict[str, Any]:
    """Return the contact lines, control areas, zones and posts in force at ``at`` as FeatureCollections.

    Parameters
    ----------
    scenario
        A :class:`geo.scenario.Scenario`.
    at
        The time whose line version and control areas are drawn (the end of the period shown).
    """
    lines = scenario.lines
    in_force = lines["valid_from"] <= at
    version = str(lines.loc[in_force, "version"].iloc[-1]) if in_force.any() else None
    current = (lines["version"] == version).to_numpy()
    line_tip = _escape(
        "Contact line "
        + lines["version"].astype(str)
        + " ("
        + lines["name"].astype(str)
        + "), from "
        + lines["valid_from"].dt.strftime("%Y-%m-%d")
    ).to_numpy()
    line_props = pd.DataFrame({"version": lines["version"].to_numpy(), "tip": line_tip})
    areas, area_props = control_ground(scenario, version)
    zones = scenario.zones
    zone_layers = {
        kind: frame_features(
            group,
            pd.DataFrame(
                {
                    "zone_id": group["zone_id"].astype(str).to_numpy(),
                    "kind": kind,
                    "tip": _escape(
                        group["name"].astype(str) + " (" + style.ZONE_LABELS[kind] + ")"
                    ).to_numpy(),
                }
            ),
        )
        for kind, group in zones.groupby("kind", sort=False)
        if kind in style.ZONE_STYLES
    }
    posts = scenario.posts
    side = (
        posts["side"].astype("string").fillna("none")
        if "side" in posts.columns
        else pd.Series("none", index=posts.index)
    )
    post_props = pd.DataFrame(
        {
            "post_id": posts["post_id"].astype(str).to_numpy(),
            "name": _tip(posts, "name"),
            "range_m": posts["range_m"].astype(float).to_numpy(),
            "side": side.to_numpy(),
            "colour": side.map(style.SIDE_COLOURS).fillna(style.POST_COLOUR).to_numpy(),
            "tip": _escape(
                posts["name"].astype(str)
                + " ("
                + posts["post_id"].astype(str)
                + "), range "
                + (posts["range_m"].astype(float) / 1000).map("{:g}".format)
                + " km"
            ).to_numpy(),
        }
    )
    return {
        "line": frame_features(lines.loc[current], line_props.loc[current]),
        "earlier_lines": frame_features(lines.loc[~current], line_props.loc[~current]),
        "line_version": version,
        "control_areas": frame_features(areas, area_props),
        "zones": zone_layers,
        "posts": frame_features(posts, post_props),
    }


def context_legend(layers: dict[str, Any]) -> LegendSection:
    """Return the legend section of the line, control areas, zones and posts drawn when the map opens."""
    entries = []
    if layers["line_version"] is not None:
        entries.append(LegendEntry(f"Contact line {layers['line_version']}", style.BLACK, "line"))
    entries += ground_legend(layers["control_areas"]["features"])
    entries += [
        LegendEntry(style.ZONE_LABELS[kind], str(style.ZONE_STYLES[kind]["color"]), "area")
        for kind in style.ZONE_STYLES
        # Layers that start switched off (earlier lines, post coverage zones) stay out of the legend.
        if kind in layers["zones"] and kind not in style.HIDDEN_ZONE_KINDS
    ]
    if layers["posts"]["features"]:
        entries.append(LegendEntry("Observation post and range", style.POST_COLOUR, "post"))
    return LegendSection("Scenario", tuple(entries))


def hexagon_layer(hexagons: gpd.GeoDataFrame, *, colour_by: str) -> tuple[dict[str, Any], LegendSection]:
    """Return aggregated reports as styled hexagons and their legend section.

    Parameters
    ----------
    hexagons
        Output of :meth:`geo.maps.aggregate.HexIndex.counts`: ``cell``, ``count`` and, when the
        reports were analysed, a count per flag level and ``worst``.
    colour_by
        With ``flag_level`` each hexagon is outlined in the colour of the worst level inside.
    """
    counts = hexagons["count"].to_numpy()
    top = max(int(counts.max()) if len(counts) else 1, 1)
    # Classes on a log scale: a hexagon of 1 and one of 1,000 must both read.
    n_classes = len(style.HEX_COUNT_COLOURS)
    edges = np.unique(np.round(np.geomspace(1, top + 1, n_classes + 1)).astype(int))
    klass = np.clip(np.searchsorted(edges, counts, side="right") - 1, 0, n_classes - 1)
    fill = np.asarray(style.HEX_COUNT_COLOURS)[klass]
    by_flag = colour_by == "flag_level" and "worst" in hexagons.columns
    outline = (
        hexagons["worst"].map(style.FLAG_COLOURS).fillna(style.HEX_OUTLINE).to_numpy()
        if by_flag
        else np.full(len(hexagons), style.HEX_OUTLINE)
    )
    tip = "<b>" + pd.Series(counts).map("{:,}".format) + " reports</b>"
    for level in ("likely", "possible", "unlikely"):
        if level in hexagons.columns:
            tip = tip + f"<br>{level}: " + pd.Series(hexagons[level].to_numpy()).map("{:,}".format)
    properties = pd.DataFrame(
        {
            "cell": hexagons["cell"].astype(str).to_numpy(),
            "count": counts,
            "style": [
                {
                    "color": o,
                    "weight": 2.5 if by_flag else 1,
                    "fillColor": f,
                    "fillOpacity": style.HEX_FILL_OPACITY,
                }
                for o, f in zip(outline, fill, strict=True)
            ],
            "tip": tip.to_numpy(),
        }
    )
    entries = [
        LegendEntry(f"{lo:,}" + (f" to {hi - 1:,}" if hi - 1 > lo else "") + " reports", colour, "area")
        for lo, hi, colour in zip(edges[:-1], edges[1:], style.HEX_COUNT_COLOURS, strict=False)
    ]
    if by_flag:
        entries += [
            LegendEntry(f"Outline: worst flag {style.label(level).lower()}", colour, "line")
            for level, colour in style.FLAG_COLOURS.items()
        ]
    title = f"Reports per hexagon ({int(counts.sum()):,} reports; zoom in for each report)"
    return frame_features(hexagons, properties), LegendSection(title, tuple(entries))


def map_layers(
    incidents: gpd.GeoDataFrame,
    scenario: Scenario,
    *,
    colour_by: str = "type",
    selected_uid: str | None = None,
    at: Any = None,
    countries: dict[str, Any] | None = None,
    hexagons: gpd.GeoDataFrame | None = None,
    events: gpd.GeoDataFrame | None = None,
    popup_limit: int | None = None,
) -> MapLayers:
    """Return everything the incident map draws, as data (see :func:`geo.maps.incident_map`).

    Parameters
    ----------
    incidents
        Normalised incident frame (EPSG:4326): the reports drawn one by one, or, with
        ``hexagons``, the reports they aggregate (used for the period and the bounds only).
    scenario
        A :class:`geo.scenario.Scenario`.
    colour_by
        Colour scheme of the incidents.
    selected_uid
        The report to highlight and centre on.
    at
        Time of the line version and control areas drawn; default the latest report's time.
    countries
        Context layer, or None (tiles configured).
    hexagons
        Aggregated reports (:meth:`geo.maps.aggregate.HexIndex.counts`) to draw instead of points.
    events
        The analysis's events (``flag_level``, ``violation_score``, ``attributed_side``); those
        flagged likely or possible become a layer.
    popup_limit
        See :func:`incident_layer`.
    """
    at_ts = _at(incidents, scenario, at)
    drawn = incidents if hexagons is None else incidents.iloc[:0]
    points = incident_layer(
        drawn, colour_by=colour_by, selected_uid=selected_uid, popup_limit=popup_limit, events=events
    )
    hex_data, legend = None, points.legend
    if hexagons is not None:
        hex_data, legend = hexagon_layer(hexagons, colour_by=colour_by)
        top = max(int(hexagons["count"].max()), 1) if len(hexagons) else 1
        heat = [
            [round(lat, 5), round(lon, 5), round(n / top, 4)]
            for (lat, lon), n in zip(map(h3.cell_to_latlng, hexagons["cell"]), hexagons["count"], strict=True)
        ]
    else:
        xy = drawn.geometry.get_coordinates()
        heat = np.column_stack([xy["y"], xy["x"], np.ones(len(xy))]).round(5).tolist()
    context = scenario_layers(scenario, at=at_ts)
    n = len(incidents)
    bounds = bounds_latlon(incidents.total_bounds) if n else bounds_latlon(scenario.lines.total_bounds)
    selected = [f for f in points.data["features"] if f["properties"]["sel"]]
    center = None
    if selected:
        lon, lat = selected[0]["geometry"]["coordinates"][:2]
        center = latlon(lon, lat)
    return MapLayers(
        incidents=points,
        hexagons=hex_data,
        countries=countries,
        legend=(legend, context_legend(context)),
        bounds=bounds,
        center=center,
        at=at_ts,
        heat=heat,
        events=None if events is None else event_layer(events),
        **context,
    )


EVENT_STYLES = tuple(
    {"radius": 11, "color": style.FLAG_COLOURS[level], "weight": 3, "fill": False, "dashArray": "4 3"}
    for level in ("likely", "possible")
)


def event_layer(events: gpd.GeoDataFrame) -> dict[str, Any]:
    """Return the events flagged likely or possible as circles coloured by level (``s`` indexes
    :data:`EVENT_STYLES`), with a tooltip."""
    flagged = events.loc[events["flag_level"].isin(["likely", "possible"]) & events.geometry.notna()]
    side = flagged["attributed_side"].astype("string").fillna("undetermined")
    tip = (
        "Event "
        + flagged["event_id"].astype(str)
        + ": "
        + flagged["flag_level"].astype(str)
        + " violation (score "
        + flagged["violation_score"].map("{:.2f}".format).astype("string")
        + "), attributed to "
        + side.map(lambda v: style.SIDE_LABELS.get(v, v))
    )
    properties = pd.DataFrame(
        {
            "event_id": flagged["event_id"].astype(str).to_numpy(),
            "s": (flagged["flag_level"] == "possible").astype(int).to_numpy(),  # into EVENT_STYLES
            "tip": _escape(tip).to_numpy(),
        }
    )
    return frame_features(flagged, properties)
