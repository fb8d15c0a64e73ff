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
    x, y = np.round(x, 5), np.round(y, 5)
    # One integer per rounded position (each coordinate in 1e-5 degrees, 26 bits of it): factorizing
    # it is a hash of int64s, where a MultiIndex of the two floats took a second at a million points.
    key = (np.rint(x * 1e5).astype(np.int64) + (1 << 25)) << 26 | (
        np.rint(y * 1e5).astype(np.int64) + (1 << 25)
    )
    key_codes = pd.factorize(key)[0]
    # Each position's first report, in order of appearance: the order the codes are numbered in.
    first = np.flatnonzero(~pd.Series(key).duplicated().to_numpy())
    unique_cells = np.array(
        [
            cell_at(lon, lat, resolution)
            for lon, lat in zip(x[first].tolist(), y[first].tolist(), strict=True)
        ],
        dtype=object,
    )
    out = np.full(len(points), None, dtype=object)
    out[valid] = unique_cells[key_codes] if len(unique_cells) else None
    return out
