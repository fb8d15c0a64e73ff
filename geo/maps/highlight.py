"""The reports selected in the Incidents table, ringed on the Map above every dot (no clicks caught)."""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd

from geo import palette
from geo.maps.build import ABOVE_DOTS_PANE
from geo.maps.features import frame_features
from geo.maps.vector import VectorLayer

HIGHLIGHT_NAME = "Selected in Incidents"
# Wider than the largest sized dot's outline would hide (geo.maps.sizing.MAX_RADIUS is 22): a ring
# of 16 px on a white casing shows around a uniform dot, and a sized dot shows through it.
RING = {"radius": 16, "color": palette.INK, "weight": 3, "fill": False}
CASING = {"radius": 16, "color": palette.PAPER, "weight": 8, "opacity": 0.9, "fill": False}


def highlight_features(reports: gpd.GeoDataFrame) -> dict:
    """The selected reports' points (lon/lat) with their ``uid``, as a FeatureCollection."""
    kept = reports.loc[~(reports.geometry.isna() | reports.geometry.is_empty)]
    return frame_features(kept, pd.DataFrame({"uid": kept["uid"].astype(str).to_numpy()}))


def highlight_layer(reports: gpd.GeoDataFrame) -> tuple[folium.FeatureGroup, dict]:
    """A layer ringing ``reports`` (EPSG:4326) on a white casing, in the pane above the dots (made by
    :func:`geo.maps.build.live_map`); also the FeatureCollection drawn."""
    data = highlight_features(reports)
    group = folium.FeatureGroup(name=HIGHLIGHT_NAME, show=True)
    for style in (CASING, RING):
        VectorLayer(
            data, name=HIGHLIGHT_NAME, style=style, interactive=False, control=False, pane=ABOVE_DOTS_PANE
        ).add_to(group)
    return group, data
