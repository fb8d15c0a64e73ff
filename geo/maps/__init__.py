"""Folium maps built from frames (no Streamlit inside); every asset is served from static/."""

from geo.maps.assets import STATIC_URL, localise_assets, remote_urls
from geo.maps.build import base_map, clicked_uid, incident_map, render_map
from geo.maps.layers import MapLayers, map_layers

__all__ = [
    "STATIC_URL",
    "MapLayers",
    "base_map",
    "clicked_uid",
    "incident_map",
    "localise_assets",
    "map_layers",
    "remote_urls",
    "render_map",
]
