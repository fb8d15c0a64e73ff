"""The origin of a selected report (its density's two-sigma wedge, and its group's fix ellipse) as a map layer."""

from __future__ import annotations

import folium
import geopandas as gpd

from geo import palette
from geo.maps.style import label

SECTOR_STYLE = {
    "color": palette.ORIGIN_FIX,
    "weight": 1.5,
    "fillColor": palette.ORIGIN_WEDGE,
    "fillOpacity": 0.15,
    "dashArray": "4 4",
}
INTERSECTION_STYLE = {
    "color": palette.ORIGIN_FIX,
    "weight": 2.5,
    "fillColor": palette.ORIGIN_FIX,
    "fillOpacity": 0.35,
}


def origin_layer(sectors: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Return a layer with each report's origin wedge (dashed: two standard deviations each way, about
    95 % of its density) and the triangulated fix's 95 % error ellipse (dark).

    Parameters
    ----------
    sectors
        From :func:`geo.attribution.origin_sectors` (EPSG:4326), ``kind`` ``sector`` or ``intersection``.
    """
    group = folium.FeatureGroup(name="Fire origin of the selected report", show=True)
    tooltips = {
        "sector": "origin, 2 sigma of bearing and distance",
        "intersection": "fix, 95 % error ellipse",
    }
    for kind, style in (("sector", SECTOR_STYLE), ("intersection", INTERSECTION_STYLE)):
        part = sectors.loc[sectors["kind"] == kind]
        if part.empty:
            continue
        folium.GeoJson(
            part[["kind", "geometry"]].to_json(),
            style_function=lambda _, style=style: style,
            tooltip=label(tooltips[kind]),
        ).add_to(group)
    return group
