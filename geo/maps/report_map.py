"""The Incidents page's small map of one report: its point and its fire origin, nothing to cover them.

The page beside it lists the report's event, sources and reasons; the map only places the report
(and, for fire heard or seen, where it came from) on the line in force, so it has no legend,
minimap or popup, which at about 270 px wide covered the point itself.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import shapely

from geo import palette
from geo.maps import style
from geo.maps.assets import STATIC_URL, localise_assets
from geo.maps.build import MAX_ZOOM, base_map
from geo.maps.latlon import latlon
from geo.maps.origin import origin_layer
from geo.maps.places import add_orientation
from geo.scenario import Scenario
from geo.settings import Settings
from geo.text import escape_text

# Opens on the report at this zoom, or on the report and its origin together.
REPORT_ZOOM = 9
# The other reports selected in the table: hollow rings, smaller than the report's own dot.
OTHER_RADIUS = 8


def report_map(
    report: gpd.GeoDataFrame,
    scenario: Scenario,
    *,
    settings: Settings,
    origins: gpd.GeoDataFrame | None = None,
    others: gpd.GeoDataFrame | None = None,
    static_url: str = STATIC_URL,
) -> folium.Map:
    """A small map of one report (a one-row frame, EPSG:4326): the contact line in force at its time,
    the report's point (its flag level's colour) and, when given, its origin's wedge and fix
    (:func:`geo.attribution.origin_sectors`), the map fitted to both. ``others`` (the other reports
    selected in the table) are ringed where they fall in view; the fit stays on the report."""
    row = report.iloc[0]
    point = row.geometry
    m = base_map(settings=settings, location=latlon(point.x, point.y), zoom_start=REPORT_ZOOM)
    line = scenario.line_at(row["occurred_at"])
    if not settings.tile_url:  # place names and oblast lines for orientation, as on the Map page
        add_orientation(m, bounds=tuple(shapely.bounds(line)))
    folium.GeoJson(
        shapely.geometry.mapping(line), style_function=lambda _: dict(style.CONTACT_LINE), interactive=False
    ).add_to(m)
    if origins is not None and len(origins):
        origin_layer(origins).add_to(m)
        west, south, east, north = shapely.total_bounds([*origins.geometry.to_numpy(), point])
        m.fit_bounds([latlon(west, south), latlon(east, north)], max_zoom=MAX_ZOOM)
    if others is not None:
        for other in others.itertuples():  # a few rows: the selection, not the table
            folium.CircleMarker(
                latlon(other.geometry.x, other.geometry.y),
                radius=OTHER_RADIUS,
                color=palette.INK,
                weight=2.5,
                fill=False,
                tooltip=escape_text(f"Also selected: {other.source} · {other.id}"),
            ).add_to(m)
    colour = palette.FLAG_COLOURS.get(str(row.get("flag_level")), palette.NOT_ASSESSED)
    folium.CircleMarker(
        latlon(point.x, point.y),
        radius=style.SELECTED_RADIUS,
        color=palette.INK,
        weight=2.5,
        fill=True,
        fill_color=colour,
        fill_opacity=0.9,
        tooltip=escape_text(f"{row['source']} · {row['id']}"),  # users' text, shown as text
    ).add_to(m)
    localise_assets(m, base_url=static_url)
    return m
