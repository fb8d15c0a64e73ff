"""Build the incident map: folium objects from :class:`geo.maps.layers.MapLayers`, assets served locally."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
from branca.element import MacroElement
from folium.map import CustomPane
from folium.plugins import Draw, Fullscreen, HeatMap, MeasureControl, MousePosition
from folium.template import Template
from folium.vector_layers import path_options

from geo import palette
from geo.maps import style
from geo.maps.aggregate import POINT_LIMIT, HexIndex, resolution_for_zoom, zoom_for_bounds
from geo.maps.assets import STATIC_URL, localise_assets
from geo.maps.context import load_countries
from geo.maps.events import EVENT_STYLES
from geo.maps.latlon import lonlat
from geo.maps.layers import MapLayers, map_layers
from geo.maps.legend import LEGEND_CSS, Legend
from geo.maps.places import add_orientation, lines_bounds
from geo.maps.vector import NeutralAttribution, PostsLayer, StartHidden, VectorLayer, VectorMiniMap
from geo.maps.view import View
from geo.scenario import Scenario
from geo.settings import Settings

LEGEND_WIDTH_PX = 290
# The map width a first view is fitted to (geo.maps.aggregate.zoom_for_bounds' default).
FIT_WIDTH_PX = 1000
# A pane over the report dots (the overlay pane is at z-index 400, markers at 600) that lets clicks
# through to them: the hot and cold areas are drawn there (geo.maps.hotareas).
ABOVE_DOTS_PANE = "cm-above-dots"
MAX_ZOOM = 18
COUNTRIES_NAME = "Countries"
_POST_ICON = (
    f'<div style="width:14px;height:14px;box-sizing:border-box;background:{palette.PAPER};'
    'border:3px solid {colour};transform:rotate(45deg)"></div>'
)


def base_map(*, settings: Settings, countries: dict[str, Any] | None = None, **options: Any) -> folium.Map:
    """Return an empty map with the configured tiles, or the countries context when there are none.

    Parameters
    ----------
    settings
        ``tile_url`` (empty: no tile layer at all) and ``tile_attribution``.
    countries
        Context FeatureCollection; default the shipped one when ``tile_url`` is empty.
    **options
        Passed to :class:`folium.Map` (``location``, ``zoom_start``...).
    """
    m = folium.Map(tiles=None, prefer_canvas=True, control_scale=True, **options)
    # Leaflet only: folium also loads jQuery, Bootstrap and Font Awesome markers, which no layer
    # here uses; the browser fetches them one after another before it draws anything.
    m.default_js = [(name, url) for name, url in m.default_js if name == "leaflet"]
    m.default_css = [(name, url) for name, url in m.default_css if name == "leaflet_css"]
    NeutralAttribution().add_to(m)
    # folium hands max_zoom to the tile layer only; without tiles Leaflet has no maxZoom, and the
    # marker cluster refuses to start without one.
    m.options["max_zoom"] = MAX_ZOOM
    if settings.tile_url:
        folium.TileLayer(
            tiles=settings.tile_url, attr=settings.tile_attribution or "Tiles", name="Base map", control=False
        ).add_to(m)
    else:
        countries = countries if countries is not None else load_countries()
        VectorLayer(
            countries, name=COUNTRIES_NAME, style=style.COUNTRIES, interactive=False, control=False
        ).add_to(m)
        # The sea and the world outside the clipped countries.
        m.get_root().header.add_child(
            folium.Element(f"<style>div.leaflet-container {{ background: {style.BACKGROUND}; }}</style>")
        )
    return m


def _add_scenario(m: folium.Map, layers: MapLayers) -> None:
    VectorLayer(layers.control_areas, name="Control areas", style={"weight": 0.5}).add_to(m)
    for kind in style.ZONE_STYLES:
        if kind in layers.zones:
            VectorLayer(
                layers.zones[kind],
                name=style.ZONE_LABELS[kind],
                style=style.ZONE_STYLES[kind],
                show=kind not in style.HIDDEN_ZONE_KINDS,
            ).add_to(m)
    if layers.earlier_lines["features"]:
        VectorLayer(
            layers.earlier_lines, name="Other line versions", style=style.EARLIER_LINE, show=False
        ).add_to(m)
    if layers.line["features"]:
        VectorLayer(layers.line, name=f"Contact line {layers.line_version}", style=style.CONTACT_LINE).add_to(
            m
        )
    posts = layers.posts["features"]
    icons = [
        {**f, "properties": {**f["properties"], "icon": _POST_ICON.format(colour=f["properties"]["colour"])}}
        for f in posts
    ]
    PostsLayer(
        {"type": "FeatureCollection", "features": icons},
        name="Observation posts",
        # As folium draws a Circle with these options: an outline only (no fill given).
        ring=path_options(line=False, **style.POST_COVERAGE),
    ).add_to(m)


def _countries_layer(m: folium.Map) -> VectorLayer | None:
    """The countries layer :func:`base_map` drew on ``m`` (None with tiles)."""
    return next(
        (c for c in m._children.values() if isinstance(c, VectorLayer) and c.layer_name == COUNTRIES_NAME),
        None,
    )


def _add_controls(m: folium.Map, layers: MapLayers, settings: Settings, *, compact: bool = False) -> None:
    Fullscreen(position="topleft").add_to(m)
    MeasureControl(
        position="topleft",
        primary_length_unit="kilometers",
        secondary_length_unit="meters",
        primary_area_unit="hectares",
    ).add_to(m)
    MousePosition(
        position="bottomright", separator=", ", num_digits=4, prefix="lat, lon", empty_string=""
    ).add_to(m)
    # A small map has no room for the minimap (150 px square, over the data on a 350 px map).
    if not compact and (layers.countries is not None or settings.tile_url):
        VectorMiniMap(
            layers.countries or {"type": "FeatureCollection", "features": []},
            countries_layer=_countries_layer(m),
            style=style.COUNTRIES,
            tile_url=settings.tile_url,
            tile_attribution=settings.tile_attribution,
            position="bottomright",
            zoom_level_offset=-4,
            toggle_display=True,
        ).add_to(m)


class PopupClearance(MacroElement):
    """Popups open clear of the map's controls: Leaflet pans the map until a popup is 64 px inside
    every edge (the layer control, zoom and draw buttons are within that). In the map's own script,
    which st_folium keeps (it drops the page's other scripts)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.Popup.mergeOptions({autoPanPadding: L.point(64, 64)});
        {% endmacro %}
        """
    )


class HeatGuard(MacroElement):
    """The heatmap waits for a map with a size: Leaflet.heat draws on a canvas as large as the map,
    and a map not yet laid out (its frame still 0 px wide, seen under load) made it throw "The
    source width is 0" from getImageData. Its redraw is skipped then; the map's next move or
    resize (Leaflet's moveend, which the layer follows) draws it. In the map's own script, once."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        if (window.L && L.HeatLayer && !L.HeatLayer.prototype._cmSized) {
            L.HeatLayer.prototype._cmSized = L.HeatLayer.prototype._redraw;
            L.HeatLayer.prototype._redraw = function () {
                var size = this._map && this._map.getSize();
                if (!size || size.x <= 0 || size.y <= 0) { this._frame = null; return this; }
                return this._cmSized();
            };
        }
        {% endmacro %}
        """
    )


# The Map page's area selection: rectangles and polygons only, drawn as a dashed outline.
AREA_STYLE = {"color": palette.INK, "weight": 2, "dashArray": "6 4", "fill": False}
AREA_DRAW_OPTIONS = {
    "polyline": False,
    "circle": False,
    "circlemarker": False,
    "marker": False,
    "polygon": {"allowIntersection": False, "shapeOptions": AREA_STYLE},
    "rectangle": {"shapeOptions": AREA_STYLE},
}


def _base(layers: MapLayers, *, settings: Settings, compact: bool = False, **options: Any) -> folium.Map:
    """The part of the map that does not follow the filters: context, scenario, controls, stylesheet."""
    m = base_map(settings=settings, countries=layers.countries, **options)
    if not settings.tile_url:
        add_orientation(m, bounds=lines_bounds(layers.line, layers.earlier_lines))
    _add_scenario(m, layers)
    CustomPane(ABOVE_DOTS_PANE, z_index=450, pointer_events=False).add_to(m)
    _add_controls(m, layers, settings, compact=compact)
    m.get_root().header.add_child(folium.Element(f"<style>{LEGEND_CSS}</style>"))
    # A popup opens clear of the map's controls (the layer control, zoom and draw buttons): Leaflet
    # pans the map until the popup is this far inside every edge.
    m.add_child(PopupClearance())
    m.add_child(HeatGuard())
    return m


def overlay(name: str, *, show: bool = True, control: bool = True) -> folium.FeatureGroup:
    """A layer of the Map page's overlays: a feature group that can start hidden.

    A hidden overlay is added and then removes itself (:class:`StartHidden`): streamlit-folium adds
    every feature group it is given to the map, whatever its ``show``.
    """
    group = folium.FeatureGroup(name=name, show=True, control=control)
    if not show:
        group.add_child(StartHidden())
    return group


def overlays(
    layers: MapLayers, *, title: str = "", detail_url: str = "", folded: bool = False
) -> list[folium.FeatureGroup]:
    """The layers that follow the filters, as feature groups: incidents, events, heatmap, legend
    (``folded`` to its title)."""
    groups = []
    if layers.hexagons is not None:
        incidents = overlay("Incidents (per hexagon)")
        VectorLayer(layers.hexagons, name="Incidents (per hexagon)", control=False).add_to(incidents)
    else:
        incidents = overlay("Incidents")
        VectorLayer(
            layers.incidents.data,
            name="Incidents",
            styles=layers.incidents.styles,
            popup_labels=layers.incidents.popup_labels,
            popup_sections=layers.incidents.popup_sections,
            detail_url=detail_url,
            control=False,
        ).add_to(incidents)
    groups.append(incidents)
    if layers.events is not None and layers.events["features"]:
        events = overlay("Events (likely, possible)", show=False)
        VectorLayer(
            layers.events, name="Events (likely, possible)", styles=EVENT_STYLES, control=False
        ).add_to(events)
        groups.append(events)
    if layers.heat:
        heat = overlay("Heatmap", show=False)
        HeatMap(layers.heat, control=False, radius=18, blur=15, min_opacity=0.3).add_to(heat)
        groups.append(heat)
    legend = overlay("Legend", control=False)
    Legend(layers.legend, title=title, folded=folded).add_to(legend)
    groups.append(legend)
    return groups


def render_map(
    layers: MapLayers,
    *,
    settings: Settings,
    static_url: str = STATIC_URL,
    title: str = "",
    view: tuple[float, float, int] | None = None,
    detail_url: str = "",
    compact: bool = False,
) -> folium.Map:
    """Return the folium map drawing ``layers``, every script and stylesheet served from ``static_url``.

    ``view`` (lat, lon, zoom) opens the map there (a shared link's view); else the selected report,
    else the data's bounds. A ``compact`` map (a part of a page) has no minimap and its legend folded.
    """
    options: dict[str, Any] = {}
    if view is not None:
        options = {"location": [view[0], view[1]], "zoom_start": view[2]}
    elif layers.center:
        options = {"location": layers.center, "zoom_start": 11}
    m = _base(layers, settings=settings, compact=compact, **options)
    for group in overlays(layers, title=title, detail_url=detail_url, folded=compact):
        group.add_to(m)
    folium.LayerControl(position="topright", collapsed=True).add_to(m)
    if not options:
        # The open legend covers the lower left: keep the data clear of it. Folded, it is one line:
        # the 290 px margin left a 350 px wide map 40 px for the data (zoomed out to the continent).
        left = (20, 20) if compact else (LEGEND_WIDTH_PX, 20)
        m.fit_bounds(layers.bounds, padding_top_left=left, padding_bottom_right=(20, 40 if compact else 20))
    return localise_assets(m, base_url=static_url)


@dataclass
class LiveMap:
    """The Map page's map in two parts, so that a filter change does not reload the map.

    streamlit-folium rebuilds its iframe (Leaflet, plugins, context) whenever the map's script
    changes, but swaps the feature groups handed to it as ``feature_group_to_add`` in the map it
    already has. ``base`` holds what does not follow the filters (context, scenario, controls) and
    opens where the session's first map opened, the same way on every run; ``overlays`` hold what
    does; ``center`` and ``zoom`` move the map (st_folium's arguments of the same names).

    Attributes
    ----------
    base
        The map without overlays or layer control.
    overlays
        Feature groups: incidents or hexagons, events, heatmap, legend; the page appends its own
        (origin sectors, hotspots, clusters) before handing them over.
    layers
        The data drawn (:class:`MapLayers`), for clicks and tests.
    center, zoom
        Where to open: ``[lat, lon]`` and the Leaflet zoom.
    """

    base: folium.Map
    overlays: list[folium.FeatureGroup]
    layers: MapLayers
    center: list[float]
    zoom: int
    static_url: str = STATIC_URL

    def layer_control(self) -> folium.LayerControl:
        """A layer control over the base's layers and the overlays (st_folium's ``layer_control``)."""
        return folium.LayerControl(position="topright", collapsed=True)

    def ready_overlays(self) -> list[folium.FeatureGroup]:
        """The overlays with their assets pointed at static/ (call after the page added its own)."""
        for group in self.overlays:
            localise_assets(group, base_url=self.static_url)
        return self.overlays


def layer_control_last(m: folium.Map) -> folium.Map:
    """Move the layer control after layers added late (origin sectors, patterns); return ``m``.

    The control names its layers when its script runs: a layer defined after it is an undefined
    variable there, and the error blanks the whole map.
    """
    for key, child in list(m._children.items()):
        if isinstance(child, folium.LayerControl):
            m._children.move_to_end(key)
    return m


def incident_map(
    incidents: gpd.GeoDataFrame,
    scenario: Scenario,
    *,
    settings: Settings,
    colour_by: str = "type",
    size_by: str = "uniform",
    selected_uid: str | None = None,
    at: Any = None,
    hexagons: gpd.GeoDataFrame | None = None,
    events: gpd.GeoDataFrame | None = None,
    point_limit: int = POINT_LIMIT,
    view: tuple[float, float, int] | None = None,
    title: str = "",
    detail_url: str = "",
    static_url: str = STATIC_URL,
    compact: bool = False,
) -> folium.Map:
    """Return the Map page's folium map: incidents over the scenario, with legend and controls.

    The data handed to folium is kept on the map as ``m.cm_layers`` (a :class:`MapLayers`), so the
    page can resolve clicks (:func:`geo.maps.clicked_uid`) and tests can read data, not HTML.

    Parameters
    ----------
    incidents
        Normalised incident frame (EPSG:4326), optionally with enrichment columns.
    scenario
        A :class:`geo.scenario.Scenario`.
    settings
        Tile URL and attribution; empty ``tile_url`` draws the shipped countries instead of tiles.
    colour_by
        ``type``, ``weapon``, ``source_type``, ``side`` or ``flag_level``.
    size_by
        ``uniform``, ``reports`` (in the report's event) or ``casualties`` (:mod:`geo.maps.sizing`).
    selected_uid
        A report to highlight, centre on and open.
    at
        Time whose contact line and control areas are drawn; default the latest report.
    hexagons
        Reports aggregated by the caller (:meth:`geo.maps.aggregate.HexIndex.counts`), drawn
        instead of ``incidents`` one by one.
    events
        The analysis's events: those flagged likely or possible become a layer (off at first).
    point_limit
        Without ``hexagons``, more incidents than this are aggregated here, at the resolution that
        suits ``view``'s zoom or the zoom that fits them.
    view
        (lat, lon, zoom) to open at; default the selected report or the data's bounds.
    detail_url
        Popups link to this URL + the report's uid (the Incidents page's detail).
    title
        Heading of the legend (the period shown, for instance).
    static_url
        Where static/ is served (``/app/static`` under Streamlit).
    compact
        A small map within a page (the Overview's): no minimap, the legend folded to its title.
    """
    countries = None if settings.tile_url else load_countries()
    if hexagons is None and len(incidents) > point_limit:
        zoom = view[2] if view is not None else zoom_for_bounds(tuple(incidents.total_bounds))
        levels = incidents["flag_level"] if "flag_level" in incidents.columns else None
        index = HexIndex.build(incidents, resolution_for_zoom(zoom))
        hexagons = index.counts(np.ones(len(incidents), bool), levels)
    layers = map_layers(
        incidents,
        scenario,
        colour_by=colour_by,
        size_by=size_by,
        selected_uid=selected_uid,
        at=at,
        countries=countries,
        hexagons=hexagons,
        events=events,
    )
    m = render_map(
        layers,
        settings=settings,
        static_url=static_url,
        title=title,
        view=view,
        detail_url=detail_url,
        compact=compact,
    )
    m.cm_layers = layers
    return m


def live_map(
    incidents: gpd.GeoDataFrame,
    scenario: Scenario,
    *,
    settings: Settings,
    colour_by: str = "type",
    size_by: str = "uniform",
    selected_uid: str | None = None,
    at: Any = None,
    hexagons: gpd.GeoDataFrame | None = None,
    events: gpd.GeoDataFrame | None = None,
    view: tuple[float, float, int] | None = None,
    base_view: tuple[list[float], int] | None = None,
    popup_limit: int | None = None,
    title: str = "",
    detail_url: str = "",
    static_url: str = STATIC_URL,
) -> LiveMap:
    """Return the Map page's map as a :class:`LiveMap`: a base the browser keeps, overlays it swaps.

    Parameters are those of :func:`incident_map`, and:

    view
        Where to look: it becomes :attr:`LiveMap.center` and :attr:`LiveMap.zoom` (default the
        selected report, else the data's bounds).
    base_view
        ``([lat, lon], zoom)`` the base map opens at. The base's script must stay the same for the
        map to stay in the browser, so the page passes the view of its first map on every later
        run; None opens the base where ``view`` says (a first map).
    popup_limit
        Above this many reports only the selected one carries its popup rows (a click on another
        selects it and the next run opens its popup); see :func:`geo.maps.incidents.incident_layer`.
    """
    countries = None if settings.tile_url else load_countries()
    layers = map_layers(
        incidents,
        scenario,
        colour_by=colour_by,
        size_by=size_by,
        selected_uid=selected_uid,
        at=at,
        countries=countries,
        hexagons=hexagons,
        events=events,
        popup_limit=popup_limit,
    )
    # The base must not depend on the filters: any change to its script reloads the map.
    if view is not None:
        center, zoom = [view[0], view[1]], view[2]
    elif layers.center:
        center, zoom = list(layers.center), 12
    else:
        (south, west), (north, east) = layers.bounds
        # The open legend covers the lower left of the map (LEGEND_WIDTH_PX of the map width
        # zoom_for_bounds assumes): the first view leaves that much room west of the data.
        room = (east - west) * LEGEND_WIDTH_PX / (FIT_WIDTH_PX - LEGEND_WIDTH_PX)
        opened = View.fitting((west - room, south, east, north))
        center, zoom = [opened.lat, opened.lon], opened.zoom
    # Opening where the first view is keeps the map from reporting another view before it moves.
    base_center, base_zoom = base_view if base_view is not None else (center, zoom)
    base = _base(layers, settings=settings, location=list(base_center), zoom_start=base_zoom)
    # Select reports by drawing a rectangle or a polygon (the Map page reads it back as a filter).
    Draw(export=False, draw_options=AREA_DRAW_OPTIONS, edit_options={"edit": False, "remove": False}).add_to(
        base
    )
    localise_assets(base, base_url=static_url)
    return LiveMap(
        base,
        overlays(layers, title=title, detail_url=detail_url),
        layers,
        center,
        zoom,
        static_url,
    )


def clicked_uid(layers: MapLayers, clicked: dict[str, float] | None) -> str | None:
    """Return the uid of the incident at a clicked position (st_folium's ``last_object_clicked``)."""
    features = layers.incidents.data["features"]
    if not clicked or "lat" not in clicked or "lng" not in clicked or not features:
        return None
    lon, lat = lonlat(clicked["lat"], clicked["lng"])
    xy = np.array([f["geometry"]["coordinates"][:2] for f in features], dtype=float)
    hit = np.flatnonzero((np.abs(xy[:, 0] - lon) < 1e-9) & (np.abs(xy[:, 1] - lat) < 1e-9))
    return str(features[hit[-1]]["properties"]["uid"]) if hit.size else None
