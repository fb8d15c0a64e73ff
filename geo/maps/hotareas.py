"""Hot and cold spots readable at any zoom: touching significant cells merged into areas, outlined,
and marked by a ring of a fixed pixel size while an area is too small to see.

At the Map page's opening zoom (the theatre, zoom 6) a hexagon of about 36 km² is 4 px across and
lies under the report dots: the Gi* layer showed nothing. Merged areas draw a strong outline on a
white casing over the dots; while an area is under :data:`AREA_PX` across at the map's zoom, a ring
of :data:`MIN_PX` marks it (the browser hides each ring from the zoom its area reaches that size). Both
are drawn without catching clicks, so the dots under them can still be clicked.
"""

from __future__ import annotations

import math
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template

from geo import palette
from geo.labels import label
from geo.maps import style
from geo.maps.build import ABOVE_DOTS_PANE
from geo.maps.features import frame_features
from geo.maps.legend import Legend, LegendEntry, LegendSection
from geo.maps.vector import VectorLayer

# A ring this wide (px) marks an area while the area is narrower than AREA_PX at the map's zoom.
MIN_PX = 28
AREA_PX = 48
# Vertices snapped to this grid (degrees, about a centimetre) so that touching hexagons merge.
GRID_DEG = 1e-7
# Strongest first: an area takes the colour of the strongest level among its cells.
LEVELS = ("hot 99", "hot 95", "hot 90", "cold 99", "cold 95", "cold 90")
# A dark outline on a white casing reads over dots of every colour (the hot colours' purple is too
# close to the likely dots' wine to outline with); the fill says the level.
OUTLINE = {"color": palette.INK, "weight": 2.5, "opacity": 1.0, "fillOpacity": 0.55}
CASING = {"color": palette.PAPER, "weight": 7, "opacity": 0.9, "fill": False}
RING = {"radius": MIN_PX / 2, "color": palette.INK, "weight": 3, "fillOpacity": 0.55}
RING_CASING = {"radius": MIN_PX / 2, "color": palette.PAPER, "weight": 7, "fillOpacity": 0.0}


def hot_areas(hotspots: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Touching significant cells of one kind (hot or cold) merged into areas.

    Parameters
    ----------
    hotspots
        :attr:`geo.patterns.Patterns.hotspots` (EPSG:4326): ``cell``, ``count``, ``level`` ("" when
        not significant) and the cell's hexagon.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per area, EPSG:4326: ``kind`` (``hot``, ``cold``), ``level`` (the strongest of its
        cells), ``cells``, ``count`` (reports in its cells) and ``until`` (the Leaflet zoom from
        which the area is :data:`AREA_PX` across), strongest areas last (drawn on top).
    """
    significant = hotspots.loc[hotspots["level"].astype(str) != ""]
    rows = []
    for kind in ("hot", "cold"):
        cells = significant.loc[significant["level"].astype(str).str.startswith(kind)]
        if cells.empty:
            continue
        geoms = shapely.set_precision(cells.geometry.to_numpy(), GRID_DEG)
        areas = shapely.get_parts(shapely.union_all(geoms))
        # Each cell's area: the one holding its centre (a cell is inside exactly one).
        cell_at, area_at = shapely.STRtree(areas).query(shapely.centroid(geoms), predicate="within")
        owner = np.full(len(cells), -1)
        owner[cell_at] = area_at
        rank = cells["level"].map({lv: i for i, lv in enumerate(LEVELS)}).to_numpy()
        for i, area in enumerate(areas):
            mine = owner == i
            if not mine.any():
                continue
            rows.append(
                {
                    "kind": kind,
                    "level": LEVELS[int(rank[mine].min())],
                    "cells": int(mine.sum()),
                    "count": int(cells["count"].to_numpy()[mine].sum()),
                    "until": _zoom_at_width(area),
                    "geometry": area,
                }
            )
    frame = gpd.GeoDataFrame(
        rows or None, columns=["kind", "level", "cells", "count", "until", "geometry"], crs=4326
    )
    strength = frame["level"].map({lv: -i for i, lv in enumerate(LEVELS)})
    return frame.iloc[np.argsort(strength.to_numpy(), kind="stable")].reset_index(drop=True)


def _zoom_at_width(area: shapely.Geometry) -> float:
    """The Leaflet zoom from which ``area`` (lon/lat) is :data:`AREA_PX` across (256 px tiles, Mercator)."""
    west, south, east, north = shapely.bounds(area)
    middle = math.radians((south + north) / 2)
    extent = max(east - west, (north - south) / math.cos(middle))  # degrees of longitude, as drawn
    return round(math.log2(AREA_PX * 360 / (256 * max(extent, 1e-9))), 2)


def _words(areas: gpd.GeoDataFrame) -> pd.Series:
    kind = areas["kind"].map({"hot": "Hot area", "cold": "Cold area"})
    return (
        kind
        + " (strongest cell "
        + areas["level"].map(lambda v: label(v, "level")).str.lower()
        + "): "
        + areas["cells"].astype(str)
        + " hexagons, "
        + areas["count"].map("{:,}".format)
        + " reports"
    )


def hot_area_features(areas: gpd.GeoDataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    """The areas' outlines and their rings (at each area's centre) as two styled FeatureCollections.

    A ring's ``until`` property is the zoom from which it is hidden (:class:`HideFromZoom`).
    """
    colour = areas["level"].map(style.HOTSPOT_COLOURS).to_numpy()
    words = _words(areas).to_numpy()
    outlines = frame_features(
        areas,
        pd.DataFrame({"style": [{**OUTLINE, "fillColor": c} for c in colour], "tip": words}),
    )
    centres = gpd.GeoDataFrame(geometry=shapely.point_on_surface(areas.geometry.to_numpy()), crs=areas.crs)
    rings = frame_features(
        centres,
        pd.DataFrame(
            {
                "style": [{**RING, "fillColor": c} for c in colour],
                "until": areas["until"].to_numpy(),
                "tip": words,
            }
        ),
    )
    return outlines, rings


class HideFromZoom(MacroElement):
    """Child of a :class:`geo.maps.vector.VectorLayer`: each feature is hidden (made transparent)
    while the map's zoom is at or above the feature's ``until`` property."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (layer) {
            function sync() {
                var zoom = layer._map.getZoom();
                layer.eachLayer(function (l) {
                    var shown = zoom < l.feature.properties.until;
                    l.setStyle({opacity: shown ? 1 : 0, fillOpacity: shown ? {{ this.fill }} : 0});
                });
            }
            function start() {
                var map = layer._map;
                map.on("zoomend", sync);
                layer.once("remove", function () { map.off("zoomend", sync); });
                sync();
            }
            layer.on("add", start);
            if (layer._map) { start(); }
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, fill: float = RING["fillOpacity"]) -> None:
        super().__init__()
        self._name = "HideFromZoom"
        self.fill = fill


def add_hot_areas(group: folium.FeatureGroup, hotspots: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add the merged areas of ``hotspots`` to ``group`` (casing, outline, rings) with their legend;
    return the areas. They are drawn in the base map's pane above the dots (made by
    :func:`geo.maps.build.live_map`), which lets clicks through."""
    areas = hot_areas(hotspots)
    if areas.empty:
        return areas
    outlines, rings = hot_area_features(areas)
    casing = frame_features(areas, pd.DataFrame({"style": [CASING] * len(areas)}))
    for data in (casing, outlines):
        VectorLayer(
            data, name="Hot and cold areas", interactive=False, control=False, pane=ABOVE_DOTS_PANE
        ).add_to(group)
    casings = {
        **rings,
        "features": [
            {**f, "properties": {**f["properties"], "style": RING_CASING}} for f in rings["features"]
        ],
    }
    for data, fill in ((casings, 0.0), (rings, RING["fillOpacity"])):
        marks = VectorLayer(
            data, name="Hot and cold areas (rings)", interactive=False, control=False, pane=ABOVE_DOTS_PANE
        )
        HideFromZoom(fill).add_to(marks)
        marks.add_to(group)
    present = set(areas["level"])
    entries = [
        LegendEntry(label(level, "level"), colour, "area")
        for level, colour in style.HOTSPOT_COLOURS.items()
        if level in present
    ]
    entries += [
        LegendEntry("Outline: touching hexagons of one kind, merged", palette.INK, "outline"),
        LegendEntry("Ring: an area too small to see at this zoom", palette.INK, "ring"),
        LegendEntry("Space-time cluster (dashed: not significant)", style.BLACK, "line"),
    ]
    section = LegendSection("Areas by their strongest hexagon", tuple(entries))
    Legend((section,), title="Hot and cold spots (Gi*)", position="topright").add_to(group)
    return areas
