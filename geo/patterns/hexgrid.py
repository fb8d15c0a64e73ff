"""H3 hexagons: each report's cell, cell outlines, and neighbourhoods as sparse matrices."""

from __future__ import annotations

import geopandas as gpd
import h3
import h3.api.numpy_int as h3i
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from geo.lookup import distinct
from geo.maps.latlon import cell_centres, cell_polygons, cells_at


def cells_of(lon: np.ndarray, lat: np.ndarray, resolution: int) -> np.ndarray:
    """Return the H3 cell (as a uint64) of each point.

    h3's calls are scalar; one list comprehension over a million points takes under a second.
    """
    return cells_at(lon, lat, resolution)


def cell_names(cells: np.ndarray) -> np.ndarray:
    """H3 cells as their usual hexadecimal strings."""
    return np.array([h3.int_to_str(int(c)) for c in cells], dtype=object)


def cell_ids(names) -> np.ndarray:
    """H3 cells given as strings (or integers) as uint64."""
    return np.array([h3.str_to_int(c) if isinstance(c, str) else int(c) for c in names], dtype=np.uint64)


def disk(cells: np.ndarray, rings: int) -> np.ndarray:
    """Every cell within ``rings`` steps of the cells given, sorted and unique."""
    if rings == 0 or len(cells) == 0:
        return distinct(np.asarray(cells, dtype=np.uint64))
    return distinct(np.concatenate([h3i.grid_disk(int(c), rings) for c in cells]).astype(np.uint64))


def ring_matrix(cells: np.ndarray, rings: int) -> tuple[sparse.csr_matrix, ...]:
    """Sparse 0/1 matrices over sorted unique ``cells``: entry (i, j) of the k-th is 1 when j is within k steps of i.

    Returns one matrix for each k from 0 to ``rings`` (the 0-th is the identity); cells outside
    ``cells`` are left out.
    """
    n = len(cells)
    rows, cols, dist = [np.arange(n)], [np.arange(n)], [np.zeros(n, dtype=int)]
    for k in range(1, rings + 1):
        ring = [h3i.grid_ring(int(c), k) for c in cells]
        sizes = np.fromiter((len(r) for r in ring), dtype=int, count=n)
        flat = np.concatenate(ring).astype(np.uint64) if n else np.zeros(0, dtype=np.uint64)
        pos = np.searchsorted(cells, flat)
        pos_ok = pos < n
        hit = np.zeros(len(flat), dtype=bool)
        hit[pos_ok] = cells[pos[pos_ok]] == flat[pos_ok]
        rows.append(np.repeat(np.arange(n), sizes)[hit])
        cols.append(pos[hit])
        dist.append(np.full(int(hit.sum()), k))
    r, c, d = (np.concatenate(a) for a in (rows, cols, dist))
    return tuple(
        sparse.csr_matrix((np.ones(int((d <= k).sum())), (r[d <= k], c[d <= k])), shape=(n, n))
        for k in range(rings + 1)
    )


def outlines(cells: np.ndarray) -> np.ndarray:
    """The hexagon (or pentagon) of each cell as a shapely Polygon in lon/lat."""
    return cell_polygons(cells)


def centres(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lon and lat of each cell's centre."""
    return cell_centres(cells)


def uids_in_cells(reports: gpd.GeoDataFrame, cells, resolution: int) -> list[str]:
    """The uids of the reports that fall in the given H3 cells (strings or integers) at ``resolution``.

    For the page: clicking a hotspot selects its reports without the hotspot table carrying them.
    """
    geoms = reports.geometry.to_numpy()
    lon, lat = shapely.get_x(geoms), shapely.get_y(geoms)
    ok = np.isfinite(lon) & np.isfinite(lat)
    inside = np.zeros(len(reports), dtype=bool)
    inside[ok] = np.isin(cells_of(lon[ok], lat[ok], resolution), cell_ids(cells))
    return pd.Series(reports["uid"].to_numpy()[inside]).astype(str).tolist()
