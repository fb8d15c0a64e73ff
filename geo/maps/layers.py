"""Everything the incident map draws, as data (GeoJSON dicts tests can read), gathered from each layer family.

The families: :mod:`geo.maps.incidents` (reports one by one), :mod:`geo.maps.hexagons` (reports per
hexagon), :mod:`geo.maps.events`, :mod:`geo.maps.scenario_layers` (line, control areas, zones,
posts); :mod:`geo.maps.features` turns frames into GeoJSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.maps.events import EVENT_STYLES, event_layer
from geo.maps.features import COORD_DECIMALS, frame_features
from geo.maps.hexagons import hexagon_layer
from geo.maps.incidents import EVENT_FIELDS, POPUP_FIELDS, REPORT_FIELDS, IncidentLayer, incident_layer
from geo.maps.latlon import bounds_latlon, cell_centres, heat_rows, latlon
from geo.maps.legend import LegendSection
from geo.maps.scenario_layers import context_legend, scenario_layers
from geo.scenario import Scenario

__all__ = [
    "COORD_DECIMALS",
    "EVENT_FIELDS",
    "EVENT_STYLES",
    "POPUP_FIELDS",
    "REPORT_FIELDS",
    "IncidentLayer",
    "MapLayers",
    "context_legend",
    "event_layer",
    "frame_features",
    "hexagon_layer",
    "incident_layer",
    "map_layers",
    "scenario_layers",
]


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


def _at(incidents: gpd.GeoDataFrame, scenario: Scenario, at: Any) -> pd.Timestamp:
    if at is not None:
        ts = pd.Timestamp(at)
        return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    if "occurred_at" in incidents.columns and incidents["occurred_at"].notna().any():
        return pd.Timestamp(incidents["occurred_at"].max()).tz_convert("UTC")
    return pd.Timestamp(scenario.lines["valid_from"].max())


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
    size_by: str = "uniform",
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
    popup_limit, size_by
        See :func:`incident_layer` (reports per hexagon are not sized).
    """
    at_ts = _at(incidents, scenario, at)
    drawn = incidents if hexagons is None else incidents.iloc[:0]
    points = incident_layer(
        drawn,
        colour_by=colour_by,
        selected_uid=selected_uid,
        popup_limit=popup_limit,
        events=events,
        size_by=size_by if hexagons is None else "uniform",
    )
    hex_data, legend = None, points.legend
    if hexagons is not None:
        hex_data, legend = hexagon_layer(hexagons, colour_by=colour_by)
        top = max(int(hexagons["count"].max()), 1) if len(hexagons) else 1
        lon, lat = cell_centres(hexagons["cell"].to_numpy())
        heat = heat_rows(lon, lat, np.round(hexagons["count"].to_numpy() / top, 4))
    else:
        xy = drawn.geometry.get_coordinates()
        heat = heat_rows(xy["x"].to_numpy(), xy["y"].to_numpy(), np.ones(len(xy)))
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
        legend=(legend, *([points.size_legend] if points.size_legend else []), context_legend(context)),
        bounds=bounds,
        center=center,
        at=at_ts,
        heat=heat,
        events=None if events is None else event_layer(events),
        **context,
    )
