"""Which side's ground an origin area lies on: areas inside the control polygons in force."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.versions import version_at

SIDES: tuple[str, ...] = ("UA", "RU")
# About 1 km: control area edges are straight in lon/lat (RFC 7946), so long ones are densified
# before projecting, or the projected edge would cut the corner.
DENSIFY_DEG = 0.01


def side_areas(
    areas: np.ndarray, times: pd.Series, control_areas: gpd.GeoDataFrame, *, crs: CRS
) -> dict[str, np.ndarray]:
    """Return, per side, the area (square metres) of each origin area inside that side's control.

    Parameters
    ----------
    areas
        Origin areas (polygons) in ``crs``.
    times
        UTC timestamps aligned with ``areas``: each is measured against the control areas of the
        version in force then (zero on every side before the first version).
    control_areas
        EPSG:4326 polygons with ``side``, ``version`` and ``valid_from``.
    crs
        The theatre CRS the areas are in.
    """
    periods = control_areas.drop_duplicates("version")[["version", "valid_from"]]
    version = version_at(times, periods["valid_from"], periods["version"])
    dense = shapely.segmentize(control_areas.geometry.to_numpy(), DENSIFY_DEG)
    projected = gpd.GeoSeries(dense, crs=4326).to_crs(crs).to_numpy()
    ca_version = control_areas["version"].to_numpy()
    ca_side = control_areas["side"].to_numpy()
    out = {side: np.zeros(len(areas)) for side in SIDES}
    # A handful of versions and two sides; each step is vectorised over the reports of the version.
    for label in pd.unique(version[pd.notna(version)]):
        idx = np.flatnonzero(version == label)
        for side in SIDES:
            polys = projected[(ca_version == label) & (ca_side == side)]
            if not len(polys):
                continue
            poly = shapely.union_all(polys)
            shapely.prepare(poly)
            # Most sectors lie wholly on one side: only those crossing an edge need an intersection.
            inside = shapely.contains_properly(poly, areas[idx])
            crossing = ~inside & shapely.intersects(poly, areas[idx])
            got = np.zeros(len(idx))
            got[inside] = shapely.area(areas[idx[inside]])
            got[crossing] = shapely.area(shapely.intersection(areas[idx[crossing]], poly))
            out[side][idx] = got
    return out
