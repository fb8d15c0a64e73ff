"""The Patterns page's map: Gi* hot and cold spots on H3 hexagons and space-time clusters as circles.

Hot and cold spots are drawn only where significant (the other cells would bury them); clusters
are drawn at their centre with their radius, outlined, with a tooltip giving count, expectation
and p-value. :func:`clicked_pattern` resolves a click to the hexagon or cluster under it.
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import geodesic_m
from geo.maps import style
from geo.maps.assets import localise_assets
from geo.maps.build import base_map
from geo.maps.features import frame_features
from geo.maps.hotareas import add_hot_areas
from geo.maps.latlon import cell_at, latlon, lonlat
from geo.maps.legend import Legend, LegendEntry, LegendSection
from geo.maps.scenario_layers import context_legend, scenario_layers
from geo.maps.vector import VectorLayer
from geo.scenario import Scenario
from geo.settings import Settings


def hotspot_features(hotspots: gpd.GeoDataFrame) -> dict[str, Any]:
    """The significant hot and cold cells as a styled FeatureCollection."""
    significant = hotspots.loc[hotspots["level"].astype(str) != ""]
    colour = significant["level"].map(style.HOTSPOT_COLOURS).to_numpy()
    tip = (
        significant["level"].astype(str).str.capitalize()
        + " % spot: "
        + significant["count"].astype(int).astype(str)
        + " reports, Gi* z "
        + significant["gi_z"].map("{:.1f}".format).astype("string")
        + ", FDR-adjusted p "
        + significant["p_fdr"].map("{:.3f}".format).astype("string")
    )
    properties = pd.DataFrame(
        {
            "cell": significant["cell"].astype(str).to_numpy(),
            "style": [{"color": c, "weight": 1, "fillColor": c, "fillOpacity": 0.65} for c in colour],
            "tip": tip.to_numpy(),
        }
    )
    return frame_features(significant, properties)


def cluster_features(clusters: gpd.GeoDataFrame) -> dict[str, Any]:
    """The clusters as centre points with radius (metres), significant ones first."""
    tip = (
        "Cluster "
        + clusters["cluster_id"].astype(str)
        + ": "
        + clusters["n"].astype(int).astype(str)
        + " reports, "
        + clusters["expected"].map("{:.1f}".format).astype("string")
        + " expected, p "
        + clusters["p_value"].map("{:.3f}".format).astype("string")
        + ", "
        + clusters["start"].dt.strftime("%Y-%m-%d").astype("string")
        + " to "
        + clusters["end"].dt.strftime("%Y-%m-%d").astype("string")
    )
    properties = pd.DataFrame(
        {
            "cluster_id": clusters["cluster_id"].astype(str).to_numpy(),
            "radius_m": clusters["radius_m"].astype(float).to_numpy(),
            "significant": clusters["significant"].astype(bool).to_numpy(),
            "tip": tip.to_numpy(),
        }
    )
    return frame_features(clusters, properties)


def pattern_map(
    hotspots: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    scenario: Scenario,
    *,
    settings: Settings,
    at: pd.Timestamp,
    bounds: list[list[float]],
    title: str = "",
) -> folium.Map:
    """Return the map of hot and cold spots and clusters over the contact line and zones.

    Parameters
    ----------
    hotspots, clusters
        :attr:`geo.patterns.Patterns.hotspots` and ``clusters``.
    scenario
        A :class:`geo.scenario.Scenario` (the line in force at ``at`` is drawn).
    settings
        Tiles or the shipped countries context.
    at
        End of the period analysed.
    bounds
        ``[[south, west], [north, east]]`` to fit.
    title
        Legend heading (the filters, for instance).
    """
    m = base_map(settings=settings)
    context = scenario_layers(scenario, at=at)
    if context["line"]["features"]:
        VectorLayer(context["line"], name="Contact line", style=style.CONTACT_LINE, interactive=False).add_to(
            m
        )
    hot = add_pattern_layers(m, hotspots, clusters)
    levels = {f["properties"]["style"]["color"] for f in hot["features"]}
    entries = [
        LegendEntry(f"{level.capitalize()} % spot", colour, "area")
        for level, colour in style.HOTSPOT_COLOURS.items()
        if colour in levels
    ]
    entries.append(LegendEntry("Space-time cluster (dashed: not significant)", style.BLACK, "line"))
    Legend((LegendSection("Patterns", tuple(entries)), context_legend(context)), title=title).add_to(m)
    folium.LayerControl(position="topright", collapsed=True).add_to(m)
    m.fit_bounds(bounds)
    return localise_assets(m)


def pattern_overlays(
    hotspots: gpd.GeoDataFrame, clusters: gpd.GeoDataFrame, *, show: bool = True, areas: bool = False
) -> tuple[list[folium.FeatureGroup], dict[str, Any]]:
    """The significant hot and cold cells and the clusters as two feature groups; also the cells drawn.

    ``areas`` adds the touching cells merged, outlined over the reports and ringed while too small
    to see, with their legend (:mod:`geo.maps.hotareas`): the Map page, whose dots cover the cells.
    """
    hot = hotspot_features(hotspots)
    cells = folium.FeatureGroup(name="Hot and cold spots (Gi*)", show=show)
    VectorLayer(hot, name="Hot and cold spots (Gi*)", control=False).add_to(cells)
    if areas:
        add_hot_areas(cells, hotspots)
    group = folium.FeatureGroup(name="Space-time clusters", show=show)
    for feature in cluster_features(clusters)["features"]:
        lon, lat = feature["geometry"]["coordinates"][:2]
        p = feature["properties"]
        folium.Circle(
            latlon(lon, lat),
            radius=max(p["radius_m"], 300.0),
            tooltip=p["tip"],
            dash_array=None if p["significant"] else "5 5",
            **style.CLUSTER_STYLE,
        ).add_to(group)
    return [cells, group], hot


def add_pattern_layers(
    m: folium.Map, hotspots: gpd.GeoDataFrame, clusters: gpd.GeoDataFrame, *, show: bool = True
) -> dict[str, Any]:
    """Add the significant hot and cold cells and the clusters as two layers; return the cells drawn."""
    groups, hot = pattern_overlays(hotspots, clusters, show=show)
    for group in groups:
        group.add_to(m)
    return hot


def clicked_pattern(
    clicked: dict[str, float] | None,
    hotspots: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    *,
    resolution: int,
) -> tuple[str, str] | None:
    """Return ``("cluster", id)`` or ``("hotspot", cell)`` under a click (st_folium's position).

    A cluster wins over the hexagon beneath it (it is drawn on top); None when nothing is there.
    """
    if not clicked or clicked.get("lat") is None:
        return None
    lon, lat = lonlat(clicked["lat"], clicked["lng"])
    if len(clusters):
        centres = clusters.geometry.get_coordinates()
        dist = geodesic_m(
            np.full(len(clusters), lon),
            np.full(len(clusters), lat),
            centres["x"].to_numpy(),
            centres["y"].to_numpy(),
        )
        inside = np.flatnonzero(dist <= np.maximum(clusters["radius_m"].to_numpy(float), 300.0))
        if len(inside):
            return "cluster", str(clusters["cluster_id"].iloc[inside[np.argmin(dist[inside])]])
    cell = cell_at(lon, lat, resolution)
    significant = hotspots.loc[hotspots["level"].astype(str) != "", "cell"].astype(str)
    return ("hotspot", cell) if cell in set(significant) else None
