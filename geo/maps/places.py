"""Orientation without tiles: settlement and oblast names by zoom, oblast boundaries, a searched place.

Which settlement is named at which zoom is decided once, on the server (:func:`label_zooms`):
larger places first, each name kept off the names already placed, so a name that appears at one
zoom stays at every closer one. The browser then draws only the names whose zoom has come, inside
the view (:class:`PlaceLabels`), so panning and zooming need no round trip.
"""

from __future__ import annotations

import html
import math
from functools import lru_cache
from typing import Any

import folium
import numpy as np
import pandas as pd
from folium.template import Template

from geo import palette
from geo.gazetteer import load_gazetteer
from geo.maps import style
from geo.maps.context import load_oblasts
from geo.maps.latlon import latlon
from geo.maps.vector import RenderedOnce, VectorLayer, script_safe_json

# The zooms names are placed for: 6 shows the oblast capitals, 11 nearly every village.
FIRST_ZOOM, LAST_ZOOM = 6, 11
NEVER = 99
# The fewest people a settlement needs to be tried at a zoom (below LAST_ZOOM's, never named).
MIN_POPULATION: dict[int, int] = {6: 200_000, 7: 70_000, 8: 20_000, 9: 7_000, 10: 2_500, 11: 1_000}
# Names first placed beyond this zoom are sent only around the contact line (DETAIL_MARGIN_DEG):
# the whole gazetteer would add 390 KB to the map, the front's towns and villages add about 80 KB.
DETAIL_ZOOM, DETAIL_MARGIN_DEG = 8, 1.5
# A name's box in pixels: about 6.5 px per character of 12 px text, beside a 6 px dot.
CHAR_PX, LABEL_HEIGHT_PX, DOT_PX, GAP_PX = 6.5, 15.0, 6.0, 4.0
# Oblast names are shown while the oblasts fill the view, not once towns take over.
REGION_ZOOMS = (6, 8)
# Cities of this many people are written larger.
CITY_POPULATION = 100_000
LABEL_CSS = f"""
.cm-labels {{ pointer-events: none; }}
.cm-place {{ white-space: nowrap; font: 12px/1.2 sans-serif; color: {palette.INK};
  text-shadow: 0 0 2px {palette.PAPER}, 0 0 2px {palette.PAPER}, 0 0 3px {palette.PAPER}; }}
.cm-place i {{ display: inline-block; width: 6px; height: 6px; margin: 0 4px 0 -3px; border-radius: 50%;
  background: {palette.INK_SOFT}; border: 1px solid {palette.PAPER}; vertical-align: middle; }}
.cm-place.cm-city {{ font-size: 13px; font-weight: 600; }}
.cm-region {{ white-space: nowrap; font: italic 12px/1.2 sans-serif; letter-spacing: 0.08em;
  text-transform: uppercase; color: {palette.DARK_GREY}; text-shadow: 0 0 2px {palette.PAPER}, 0 0 3px {palette.PAPER}; }}
.cm-searched {{ white-space: nowrap; font: 600 14px/1.2 sans-serif; color: {palette.BLACK};
  background: {palette.PAPER}; border: 2px solid {palette.BLACK}; border-radius: 3px; padding: 1px 5px; }}
"""
OBLAST_STYLE = {"color": palette.BORDER, "weight": 1.2, "opacity": 0.9, "dashArray": "5 4"}
_PIN = (
    '<div style="width:18px;height:18px;box-sizing:border-box;border-radius:50%;'
    f'background:{{fill}};border:3px solid {palette.PAPER};box-shadow:0 0 0 2px {{ring}}"></div>'
)


def _pixels(lon: np.ndarray, lat: np.ndarray, zoom: int) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator pixel coordinates at a Leaflet zoom (256 px tiles)."""
    scale = 256 * 2**zoom
    x = (lon + 180.0) / 360.0 * scale
    s = np.sin(np.radians(np.clip(lat, -85.0, 85.0)))
    y = (0.5 - np.log((1 + s) / (1 - s)) / (4 * math.pi)) * scale
    return x, y


def label_zooms(names: pd.Series, lon: np.ndarray, lat: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Return, per settlement, the first zoom at which its name is drawn (:data:`NEVER`: not drawn).

    At each zoom from :data:`FIRST_ZOOM` to :data:`LAST_ZOOM` the names already placed stay, and
    the settlements with at least :data:`MIN_POPULATION` people are tried, most populous first; a
    name is placed when its box (dot and text to its right) overlaps no placed box. Boxes keep
    their size while distances double with each zoom, so a name placed once stays clear after.

    Parameters
    ----------
    names
        Settlement names (their length sizes the box).
    lon, lat, population
        Per settlement.

    Examples
    --------
    >>> label_zooms(pd.Series(["Big", "Small"]), np.array([37.0, 37.001]), np.array([48.0, 48.0]),
    ...             np.array([500_000, 1_500]))
    array([ 6, 99])
    """
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    population = np.asarray(population, float)
    widths = DOT_PX + GAP_PX + CHAR_PX * names.astype(str).str.len().to_numpy()
    order = np.argsort(-population, kind="stable")
    first = np.full(len(lon), NEVER, dtype=int)
    cell = 128.0
    for zoom in range(FIRST_ZOOM, LAST_ZOOM + 1):
        x, y = _pixels(lon, lat, zoom)
        x0, y0 = x - DOT_PX / 2, y - LABEL_HEIGHT_PX / 2
        x1, y1 = x0 + widths, y0 + LABEL_HEIGHT_PX
        grid: dict[tuple[int, int], list[int]] = {}
        placed_before = first <= zoom
        # The greedy placement is sequential by nature: each name depends on those placed before it.
        for i in (*np.flatnonzero(placed_before), *order[population[order] >= MIN_POPULATION[zoom]]):
            cells = [
                (cx, cy)
                for cx in range(int(x0[i] // cell), int(x1[i] // cell) + 1)
                for cy in range(int(y0[i] // cell), int(y1[i] // cell) + 1)
            ]
            if first[i] > zoom:
                clash = any(
                    x0[i] < x1[j] and x0[j] < x1[i] and y0[i] < y1[j] and y0[j] < y1[i]
                    for c in cells
                    for j in grid.get(c, ())
                )
                if clash:
                    continue
                first[i] = zoom
            for c in cells:
                grid.setdefault(c, []).append(i)
    return first


@lru_cache(maxsize=1)
def settlement_labels() -> tuple[tuple[float, float, int, str, int], ...]:
    """The shipped gazetteer's names that are drawn at some zoom: ``(lat, lon, zoom, name, city)``.

    Computed once per process (about a second for the 10,000 settlements); read-only.
    """
    s = load_gazetteer().settlements
    zooms = label_zooms(s["name"], s["lon"].to_numpy(), s["lat"].to_numpy(), s["population"].to_numpy())
    keep = np.flatnonzero(zooms <= LAST_ZOOM)
    keep = keep[np.argsort(zooms[keep], kind="stable")]
    return tuple(
        (
            *latlon(round(float(s["lon"].iat[i]), 4), round(float(s["lat"].iat[i]), 4)),
            int(zooms[i]),
            str(s["name"].iat[i]),
            int(s["population"].iat[i] >= CITY_POPULATION),
        )
        for i in keep
    )


def near(
    places: tuple[tuple[float, float, int, str, int], ...], bounds: tuple[float, float, float, float] | None
) -> tuple[tuple[float, float, int, str, int], ...]:
    """The names placed by :data:`DETAIL_ZOOM`, and the later ones inside ``bounds`` (lon/lat, widened
    by :data:`DETAIL_MARGIN_DEG`); every name when ``bounds`` is None."""
    if bounds is None:
        return places
    minx, miny, maxx, maxy = bounds
    m = DETAIL_MARGIN_DEG
    return tuple(
        p
        for p in places
        if p[2] <= DETAIL_ZOOM or (minx - m <= p[1] <= maxx + m and miny - m <= p[0] <= maxy + m)
    )


def region_labels(oblasts: dict[str, Any]) -> tuple[tuple[float, float, str], ...]:
    """The oblast names of the shipped context layer: ``(lat, lon, name)``."""
    return tuple(
        (*latlon(*f["geometry"]["coordinates"][:2]), f["properties"]["name"])
        for f in oblasts["features"]
        if f["properties"].get("kind") == "label"
    )


class PlaceLabels(folium.map.Layer, RenderedOnce):
    """Settlement names by zoom and oblast names, drawn by the browser for the view it shows.

    Each settlement row is ``[lat, lon, first zoom, name, city]``; each region row ``[lat, lon,
    name]``, drawn between :data:`REGION_ZOOMS`. Names sit in their own pane above the data,
    letting clicks through; text is escaped here and set as text in the browser.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (map) {
            var pane = map.getPane('cm-labels') || map.createPane('cm-labels');
            pane.style.zIndex = 450;
            pane.classList.add('cm-labels');
            var places = {{ this.places_json }};
            var regions = {{ this.regions_json }};
            var layer = L.layerGroup();
            function label(latlng, cls, text, dot) {
                var el = document.createElement('div');
                el.className = cls;
                if (dot) { el.appendChild(document.createElement('i')); }
                el.appendChild(document.createTextNode(text));
                return L.marker(latlng, {
                    pane: 'cm-labels', interactive: false, keyboard: false,
                    icon: L.divIcon({className: '', html: el, iconSize: null, iconAnchor: dot ? [0, 8] : [0, 0]})
                });
            }
            function redraw() {
                if (!map.hasLayer(layer)) { return; }
                layer.clearLayers();
                var z = map.getZoom(), view = map.getBounds().pad(0.1);
                for (var i = 0; i < places.length; i++) {
                    var p = places[i];
                    if (p[2] > z) { break; }
                    if (view.contains([p[0], p[1]])) {
                        layer.addLayer(label([p[0], p[1]], p[4] ? 'cm-place cm-city' : 'cm-place', p[3], true));
                    }
                }
                if (z >= {{ this.region_zooms[0] }} && z <= {{ this.region_zooms[1] }}) {
                    for (var j = 0; j < regions.length; j++) {
                        var r = regions[j];
                        if (view.contains([r[0], r[1]])) {
                            layer.addLayer(label([r[0], r[1]], 'cm-region', r[2], false));
                        }
                    }
                }
            }
            layer.on('add', function () { setTimeout(redraw, 0); });
            map.on('zoomend moveend', redraw);
            return layer;
        })({{ this._parent.get_name() }});
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        places: tuple[tuple[float, float, int, str, int], ...],
        regions: tuple[tuple[float, float, str], ...] = (),
        *,
        name: str = "Place names",
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "PlaceLabels"
        # Sorted by first zoom: the browser stops at the first row beyond the map's zoom.
        self.places_json = script_safe_json([list(p) for p in sorted(places, key=lambda p: p[2])])
        self.regions_json = script_safe_json([list(r) for r in regions])
        self.region_zooms = REGION_ZOOMS


def add_orientation(m: folium.Map, *, bounds: tuple[float, float, float, float] | None = None) -> folium.Map:
    """Add the oblast boundaries and the settlement and oblast names to a map without tiles.

    ``bounds`` (lon/lat, the contact lines') limits the names of villages and small towns to the
    front (:func:`near`).
    """
    oblasts = load_oblasts()
    boundaries = {
        "type": "FeatureCollection",
        "features": [f for f in oblasts["features"] if f["properties"].get("kind") == "boundary"],
    }
    VectorLayer(boundaries, name="Oblast boundaries", style=OBLAST_STYLE, interactive=False).add_to(m)
    PlaceLabels(near(settlement_labels(), bounds), region_labels(oblasts)).add_to(m)
    m.get_root().header.add_child(folium.Element(f"<style>{LABEL_CSS}</style>"))
    return m


def place_marker(name: str, lon: float, lat: float) -> folium.FeatureGroup:
    """An overlay marking a searched place: a ringed dot and its name, always shown."""
    group = folium.FeatureGroup(name="Searched place", show=True, control=True)
    folium.Marker(
        latlon(lon, lat),
        icon=folium.DivIcon(
            html=_PIN.format(fill=style.YELLOW, ring=style.BLACK),
            icon_size=(18, 18),
            icon_anchor=(9, 9),
            class_name="cm-searched-pin",
        ),
        tooltip=folium.Tooltip(
            html.escape(name), permanent=True, direction="right", offset=(12, 0), class_name="cm-searched"
        ),
    ).add_to(group)
    return group


def lines_bounds(*collections: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """The lon/lat bounds of the features of FeatureCollections (the contact lines), None when empty."""
    coords = [
        np.asarray(f["geometry"]["coordinates"], dtype=float).reshape(-1, 2)
        for c in collections
        for f in c["features"]
        if f["geometry"] and f["geometry"]["type"] == "LineString"
    ] + [
        np.asarray(part, dtype=float).reshape(-1, 2)
        for c in collections
        for f in c["features"]
        if f["geometry"] and f["geometry"]["type"] == "MultiLineString"
        for part in f["geometry"]["coordinates"]
    ]
    if not coords:
        return None
    xy = np.vstack(coords)
    return (float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max()))
