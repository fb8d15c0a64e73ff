"""Folium maps built from frames (no Streamlit inside); every asset is served from static/.

The names below load on first use (PEP 562), so that importing a leaf such as
:mod:`geo.maps.latlon`, :mod:`geo.maps.aggregate` or :mod:`geo.maps.style` (the engine, the map
image and the charts do) does not import folium.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geo.maps.assets import STATIC_URL, localise_assets, remote_urls
    from geo.maps.build import base_map, clicked_uid, incident_map, render_map
    from geo.maps.layers import MapLayers, map_layers

_HOMES = {
    "STATIC_URL": "geo.maps.assets",
    "localise_assets": "geo.maps.assets",
    "remote_urls": "geo.maps.assets",
    "base_map": "geo.maps.build",
    "clicked_uid": "geo.maps.build",
    "incident_map": "geo.maps.build",
    "render_map": "geo.maps.build",
    "MapLayers": "geo.maps.layers",
    "map_layers": "geo.maps.layers",
}

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


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    msg = f"module 'geo.maps' has no attribute {name!r}"
    raise AttributeError(msg)
