"""The area drawn on the Map page (the area filter) as a map layer: a dashed outline, no fill."""

from __future__ import annotations

import folium

from geo import palette
from geo.maps.latlon import latlon

AREA_OUTLINE = {"color": palette.INK, "weight": 2, "dash_array": "6 4", "fill": False}


def area_layer(corners: tuple[tuple[float, float], ...]) -> folium.FeatureGroup:
    """The drawn area's outline (corners in lon/lat), named as the filter it is."""
    group = folium.FeatureGroup(name="Area drawn (filter)", show=True)
    folium.Polygon(
        [latlon(lon, lat) for lon, lat in corners],
        tooltip="Only the reports within this area are shown (Clear the drawn area in the sidebar)",
        **AREA_OUTLINE,
    ).add_to(group)
    return group
