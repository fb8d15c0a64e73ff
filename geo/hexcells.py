"""Each report's H3 cell, computed once with the analysis and kept with it (the map counts by it)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.maps.latlon import cell_at

# The map's hexagon resolutions; the analysis keeps each report's cell at the finest.
MIN_RESOLUTION, MAX_RESOLUTION = 3, 9
# The column of each analysed report's H3 cell at MAX_RESOLUTION (geo.pipeline.measure).
H3_COLUMN = "h3_cell"


def h3_cells(geometry: gpd.GeoSeries, resolution: int) -> np.ndarray:
    """Each point's H3 cell (text) at ``resolution``, None for a missing or empty geometry.

    One H3 call per distinct position rounded to 1e-5 degrees (about a metre): repeated positions
    are common (posts, copies) and the calls are scalar.
    """
    valid = ~(geometry.isna() | geometry.is_empty).to_numpy()
    points = geometry.to_numpy()
    x, y = shapely.get_x(points[valid]), shapely.get_y(points[valid])
    keys = pd.MultiIndex.from_arrays([np.round(x, 5), np.round(y, 5)])
    key_codes, unique = keys.factorize()
    unique_cells = np.array([cell_at(lon, lat, resolution) for lon, lat in unique], dtype=object)
    out = np.full(len(points), None, dtype=object)
    out[valid] = unique_cells[key_codes] if len(unique_cells) else None
    return out
