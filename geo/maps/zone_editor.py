"""The Zones page's map: one line version over its control areas and the zones, the change from another
version, and folium's Draw tool (served from static/) to draw a zone or edit one in place."""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import shapely
from folium.plugins import Draw

from geo.maps.assets import STATIC_URL, localise_assets, walk_elements
from geo.maps.build import incident_map, layer_control_last
from geo.maps.latlon import latlon
from geo.maps.legend import Legend, LegendEntry, LegendSection, legend_html
from geo.maps.vector import VectorLayer
from geo.palette import EDITING, LINE_MOVED, SIDE_COLOURS
from geo.scenario import Scenario
from geo.scenario.line_change import LineChange
from geo.settings import Settings

MOVED_COLOUR = LINE_MOVED
EDIT_STYLE = {"color": EDITING, "weight": 3, "fillOpacity": 0.15}
# Only shapes with an area can be zones: no lines, circles (a centre and radius) or markers.
DRAW_OPTIONS = {
    "polyline": False,
    "circle": False,
    "circlemarker": False,
    "marker": False,
    "polygon": {"allowIntersection": False, "showArea": True, "shapeOptions": EDIT_STYLE},
    "rectangle": {"shapeOptions": EDIT_STYLE},
}


# Room the draw toolbar takes on the right of the map, kept clear of the fitted line (px).
DRAW_CLEARANCE_PX = 70


def _no_reports() -> gpd.GeoDataFrame:
    columns = {"uid": "str", "type": "str", "occurred_at": "datetime64[ns, UTC]"}
    return gpd.GeoDataFrame(
        {c: pd.Series([], dtype=t) for c, t in columns.items()}, geometry=gpd.GeoSeries([], crs=4326)
    )


def _editable(geometry: shapely.Geometry) -> folium.FeatureGroup:
    """The zone being edited as plain Leaflet polygons (the Draw tool edits those, not GeoJSON groups)."""
    group = folium.FeatureGroup(name="Zone being edited", control=False)
    for polygon in shapely.get_parts(geometry):
        rings = [polygon.exterior, *polygon.interiors]
        folium.Polygon([[latlon(x, y) for x, y in ring.coords[:-1]] for ring in rings], **EDIT_STYLE).add_to(
            group
        )
    return group


def _change_layers(m: folium.Map, change: LineChange) -> LegendSection:
    gained = change.gained.loc[change.gained["area_km2"] > 0]
    features = [
        {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(row.geometry),
            "properties": {
                "tip": f"Gained by {row.side} from {change.old} to {change.new}: {row.area_km2:,.1f} km²",
                "style": {"color": SIDE_COLOURS[row.side], "fillColor": SIDE_COLOURS[row.side]},
            },
        }
        for row in gained.itertuples()
    ]
    VectorLayer(
        {"type": "FeatureCollection", "features": features},
        name=f"Ground that changed hands ({change.old} → {change.new})",
        style={"weight": 1, "fillOpacity": 0.6},
    ).add_to(m)
    moved = [
        {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(row.geometry),
            "properties": {
                "tip": f"Moved stretch: {row.length_km:,.1f} km, up to {row.max_shift_km:,.1f} km away"
            },
        }
        for row in change.moved.itertuples()
    ]
    VectorLayer(
        {"type": "FeatureCollection", "features": moved},
        name=f"Line moved ({change.old} → {change.new})",
        style={"color": MOVED_COLOUR, "weight": 6, "opacity": 0.8},
    ).add_to(m)
    entries = [
        LegendEntry(f"Gained by {row.side}: {row.area_km2:,.0f} km²", SIDE_COLOURS[row.side], "area")
        for row in gained.itertuples()
    ]
    entries.append(
        LegendEntry(f"Line moved: {change.moved['length_km'].sum():,.0f} km", MOVED_COLOUR, "line")
    )
    return LegendSection(f"Change {change.old} → {change.new}", tuple(entries))


def zone_map(
    scenario: Scenario,
    *,
    settings: Settings,
    version: str,
    change: LineChange | None = None,
    editing: shapely.Geometry | None = None,
    static_url: str = STATIC_URL,
) -> folium.Map:
    """Return the map of line ``version`` with its control areas and the zones, a Draw tool and the change.

    Parameters
    ----------
    scenario
        The scenario in force (:class:`geo.scenario.Scenario`).
    version
        The line version drawn (with its control areas).
    change
        The change from another version (:func:`geo.scenario.line_change.line_change`) to draw over it.
    editing
        A zone's geometry to put in the Draw tool's layer, so that its vertices can be moved.
    static_url
        Where static/ is served.

    Notes
    -----
    The data drawn is kept as ``m.cm_layers`` (the base map's :class:`geo.maps.MapLayers`) and
    ``m.cm_change`` (the change), for tests.
    """
    valid_from = scenario.lines.loc[scenario.lines["version"] == version, "valid_from"].iloc[0]
    m = incident_map(
        _no_reports(),
        scenario,
        settings=settings,
        at=valid_from,
        title=f"Line {version}",
        static_url=static_url,
    )
    # One legend: the scenario's (no incidents here) and the change's.
    legend = next(c for c in walk_elements(m) if isinstance(c, Legend))
    sections = [sec for sec in legend.sections if sec.title != m.cm_layers.incidents.legend.title]
    if change is not None:
        sections.append(_change_layers(m, change))
        layer_control_last(m)
    legend.sections = tuple(sections)
    legend.html = legend_html(legend.sections, title=f"Line {version}")
    # The draw and edit buttons stand under the layer switcher on the right, about 50 px wide: fit the
    # line clear of them, not 20 px from the edge (they covered it at Sloviansk and Bakhmut).
    for fit in (c for c in walk_elements(m) if isinstance(c, folium.map.FitBounds)):
        fit.options["paddingBottomRight"] = [DRAW_CLEARANCE_PX, 20]
    group = _editable(editing) if editing is not None else folium.FeatureGroup(name="Drawn", control=False)
    group.add_to(m)
    Draw(
        feature_group=group,
        draw_options=DRAW_OPTIONS,
        edit_options={"edit": True, "remove": True},
        # Top right, under the layer switcher: on the left the legend would cover the edit buttons.
        position="topright",
    ).add_to(m)
    m.cm_change = change
    return localise_assets(m, base_url=static_url)


def drawn_geometry(returned: dict[str, Any] | None) -> dict[str, Any] | None:
    """The shape to store from what st_folium returned: the last polygon drawn or edited, else None.

    ``all_drawings`` holds the Draw layer's shapes after any creation, edit or deletion (the edited
    zone among them); ``last_active_drawing`` the shape last created or clicked.
    """
    returned = returned or {}
    drawings = returned.get("all_drawings")
    if isinstance(drawings, list):
        # The Draw layer's shapes after any change: empty when the user deleted them all.
        shapes = [f for f in drawings if isinstance(f, dict)]
        return shapes[-1].get("geometry") if shapes else None
    last = returned.get("last_active_drawing")
    return last.get("geometry") if isinstance(last, dict) else None
