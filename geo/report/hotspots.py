"""The pack's hotspots and space-time clusters (geo.patterns), as a map and two tables."""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from geo import palette
from geo.crs import theatre_crs
from geo.gazetteer import describe_places
from geo.labels import label as words
from geo.maps import style
from geo.maps.context import countries_frame
from geo.patterns import Patterns, find_patterns
from geo.pipeline import scenario_sectors
from geo.report.labelling import extents, place_labels
from geo.report.mapimage import view_bounds
from geo.scenario import Scenario

# Hot and cold levels of Gi*: the palette the app's pattern map uses.
LEVEL_COLOURS: dict[str, str] = style.HOTSPOT_COLOURS
TABLE_ROWS = 12


def pack_patterns(reports: gpd.GeoDataFrame, scenario_dir: Any) -> Patterns:
    """Return the hotspots and clusters of the pack's reports, with the pattern settings' defaults."""
    return find_patterns(reports, sectors=scenario_sectors(scenario_dir), parts=("hotspots", "clusters"))


def pattern_figures(patterns: Patterns) -> dict[str, int]:
    """Return the manifest's pattern figures: hot cells and significant clusters."""
    levels = patterns.hotspots["level"].astype(str) if len(patterns.hotspots) else pd.Series(dtype=str)
    significant = patterns.clusters["significant"] if len(patterns.clusters) else pd.Series(dtype=bool)
    return {
        "hot_cells": int(levels.str.startswith("hot").sum()),
        "significant_clusters": int(significant.sum()),
    }


def hotspot_table(patterns: Patterns) -> pd.DataFrame:
    """Return the hot cells, strongest first: ``place``, ``count``, ``gi_z``, ``p_fdr``, ``level``."""
    hot = patterns.hotspots.loc[patterns.hotspots["level"].astype(str).str.startswith("hot")]
    hot = hot.sort_values("gi_z", ascending=False, kind="stable").head(TABLE_ROWS)
    centres = shapely.centroid(hot.geometry.to_numpy())
    place = describe_places(shapely.get_x(centres), shapely.get_y(centres)) if len(hot) else []
    return pd.DataFrame(
        {
            "place": place,
            "count": hot["count"].to_numpy(),
            "gi_z": hot["gi_z"].to_numpy(),
            "p_fdr": hot["p_fdr"].to_numpy(),
            "level": hot["level"].to_numpy(),
        }
    )


def cluster_table(patterns: Patterns) -> pd.DataFrame:
    """Return the space-time clusters, best first: id, place, period, reports against expected, p, radius."""
    c = patterns.clusters.head(TABLE_ROWS)
    geometry = c.geometry.to_numpy()
    place = describe_places(shapely.get_x(geometry), shapely.get_y(geometry)) if len(c) else []
    return pd.DataFrame(
        {
            "cluster": c["cluster_id"].to_numpy(),
            "place": place,
            "start": c["start"].to_numpy(),
            "end": c["end"].to_numpy(),
            "n": c["n"].to_numpy(),
            "expected": c["expected"].to_numpy(),
            "p_value": c["p_value"].to_numpy(),
            "radius_km": c["radius_m"].to_numpy() / 1000,
            "significant": c["significant"].to_numpy(),
        }
    )


def hotspot_chart(
    patterns: Patterns, reports: gpd.GeoDataFrame, scenario: Scenario, at: pd.Timestamp, *, size=(7.0, 5.0)
) -> Figure:
    """Return a map of the hot and cold cells and the clusters' circles over the line in force."""
    fig = Figure(figsize=size, facecolor="white")
    ax = fig.add_subplot()
    box = view_bounds(reports, scenario, at, None)
    ax.set_facecolor(style.BACKGROUND)
    countries = countries_frame()
    countries.plot(
        ax=ax, facecolor=style.COUNTRIES["fillColor"], edgecolor=style.COUNTRIES["color"], linewidth=0.5
    )
    handles: list[Any] = []
    cells = patterns.hotspots
    for level, colour in LEVEL_COLOURS.items():
        part = cells.loc[cells["level"] == level]
        if len(part):
            part.plot(ax=ax, facecolor=colour, edgecolor=palette.HOTSPOT_EDGE, linewidth=0.2, alpha=0.9)
            handles.append(
                Patch(
                    facecolor=colour,
                    edgecolor=palette.HOTSPOT_EDGE,
                    label=f"{words(level, 'level')}: {len(part)} cell{'s' if len(part) != 1 else ''}",
                )
            )
    gpd.GeoSeries([scenario.line_at(at)], crs=4326).plot(ax=ax, color=style.BLACK, linewidth=1.6)
    handles.insert(
        0, Line2D([], [], color=style.BLACK, linewidth=1.6, label=f"Contact line {scenario.version_at(at)}")
    )
    clusters = patterns.clusters
    if len(clusters):
        crs = theatre_crs((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        circles = clusters.to_crs(crs).buffer(clusters["radius_m"].to_numpy()).to_crs(4326)
        for significant, dash in ((True, "-"), (False, ":")):
            part = circles[clusters["significant"].to_numpy() == significant]
            if len(part):
                part.boundary.plot(ax=ax, color=palette.CLUSTER, linewidth=1.2, linestyle=dash)
                label = "Significant cluster" if significant else "Cluster, not significant"
                handles.append(Line2D([], [], color=palette.CLUSTER, linestyle=dash, label=label))
    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    ax.set_aspect(1 / math.cos(math.radians((box[1] + box[3]) / 2)))
    ax.tick_params(labelsize=7)
    ax.set_xlabel("")
    ax.set_ylabel("")
    legend = ax.legend(handles=handles, fontsize=7, loc="upper left", framealpha=0.9)
    fig.tight_layout()
    if len(clusters):
        # Each id where it overlaps no other id and not the legend (farther, with a leader, if need be).
        place_labels(
            ax,
            [(p.x, p.y) for p in clusters.geometry],
            [str(cid) for cid in clusters["cluster_id"]],
            fontsize=7,
            taken=extents([legend], fig),
            far=True,
            zorder=6,
        )
    return fig
