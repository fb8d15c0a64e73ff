"""Distance profiles: distance to the line per side and type, and each zone's share of reports against its area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import centre_of, theatre_crs
from geo.patterns.params import PatternParams

DISTANCE_COLUMNS = ("side", "type", "from_km", "to_km", "count", "share")
ZONE_COLUMNS = ("zone", "kind", "name", "reports", "share_reports", "share_area", "ratio")


def distance_profile(reports: pd.DataFrame, params: PatternParams) -> pd.DataFrame:
    """Histogram of ``dist_to_line_m`` per side and type (``share`` within each side and type).

    Bins are ``profile_bins_km`` and a last one beyond; reports without a distance are left out.
    """
    needed = {"dist_to_line_m", "side", "type"}
    if not needed <= set(reports.columns):
        return pd.DataFrame({c: [] for c in DISTANCE_COLUMNS})
    km = reports["dist_to_line_m"].to_numpy(dtype=float) / 1000
    ok = np.isfinite(km)
    edges = np.array([*params.profile_bins_km, np.inf])
    frame = pd.DataFrame(
        {
            "side": reports["side"].to_numpy(dtype=object)[ok],
            "type": reports["type"].to_numpy(dtype=object)[ok],
            "bin": np.clip(np.searchsorted(edges, km[ok], side="right") - 1, 0, len(edges) - 2),
        }
    ).fillna({"side": "none", "type": "unknown"})
    counts = frame.groupby(["side", "type", "bin"]).size().rename("count").reset_index()
    counts["from_km"] = edges[counts["bin"]]
    counts["to_km"] = edges[counts["bin"] + 1]
    counts["share"] = counts["count"] / counts.groupby(["side", "type"])["count"].transform("sum")
    return counts[list(DISTANCE_COLUMNS)]


def zone_table(reports: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Each zone's share of the reports inside it against its share of the area the reports span.

    The area is the convex hull of the reports; zone areas are clipped to it and measured in the
    theatre projection. ``ratio`` above 1 means more reports inside than the zone's area alone
    would give. Without ``zones``, the zones named in the reports' ``zones`` column get no area.
    """
    n = len(reports)
    named = reports["zones"].explode().dropna() if "zones" in reports.columns else pd.Series([], dtype=object)
    inside = named.astype(str).value_counts()
    if zones is None or zones.empty:
        table = pd.DataFrame({"zone": inside.index.astype(str), "kind": None, "name": None})
        table["share_area"] = np.nan
    else:
        table = pd.DataFrame(
            {
                "zone": zones["zone_id"].astype(str).to_numpy(),
                "kind": zones.get("kind"),
                "name": zones.get("name"),
            }
        )
        table["share_area"] = _area_shares(reports, zones)
    table["reports"] = table["zone"].map(inside).fillna(0).astype("int64")
    table["share_reports"] = table["reports"] / n if n else np.nan
    table["ratio"] = table["share_reports"] / table["share_area"]
    return table[list(ZONE_COLUMNS)].reset_index(drop=True)


def _area_shares(reports: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> np.ndarray:
    hull = shapely.convex_hull(shapely.multipoints(reports.geometry.dropna().to_numpy()))
    if hull.is_empty or len(reports) < 3:
        return np.full(len(zones), np.nan)
    crs = theatre_crs(*centre_of(zones))
    # Edges are straight in lon/lat; densified so that projecting them keeps their shape.
    hull_m = gpd.GeoSeries([shapely.segmentize(hull, 0.05)], crs=4326).to_crs(crs).iloc[0]
    zones_m = zones.to_crs(crs).geometry.to_numpy()
    area = hull_m.area
    return (
        shapely.area(shapely.intersection(zones_m, hull_m)) / area
        if area > 0
        else np.full(len(zones), np.nan)
    )
