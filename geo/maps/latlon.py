"""The one place that turns GeoJSON's (lon, lat) order into folium's and H3's (lat, lon) and back.

Leaflet and folium take ``[lat, lon]`` (markers, bounds, HeatMap rows) and answer ``{"lat", "lng"}``;
H3 takes and gives ``(lat, lng)``; GeoJSON, shapely and every frame here are ``(lon, lat)``. Every
module goes through these helpers, so no flip is written twice. Nothing here imports folium.
"""

from __future__ import annotations

import h3
import h3.api.numpy_int as h3i
import numpy as np
import shapely


def points_latlon(geometries: np.ndarray | list) -> np.ndarray:
    """Return an ``(n, 2)`` array of ``[lat, lon]`` for point geometries in lon/lat.

    Parameters
    ----------
    geometries
        Shapely points (EPSG:4326, x = longitude, y = latitude).

    Returns
    -------
    numpy.ndarray
        Float array, one ``[lat, lon]`` row per point; NaN for empty or missing geometries.
    """
    geoms = np.asarray(geometries, dtype=object)
    return np.column_stack([shapely.get_y(geoms), shapely.get_x(geoms)]).astype(float)


def latlon(lon: float, lat: float) -> list[float]:
    """Return ``[lat, lon]`` for folium from a longitude and a latitude."""
    return [float(lat), float(lon)]


def lonlat(lat: float, lng: float) -> tuple[float, float]:
    """Return ``(lon, lat)`` from a Leaflet position (st_folium answers ``{"lat": .., "lng": ..}``)."""
    return float(lng), float(lat)


def bounds_latlon(total_bounds: tuple[float, float, float, float] | np.ndarray) -> list[list[float]]:
    """Return folium's ``[[south, west], [north, east]]`` from ``(minx, miny, maxx, maxy)`` in lon/lat."""
    minx, miny, maxx, maxy = (float(v) for v in total_bounds)
    return [[miny, minx], [maxy, maxx]]


def leaflet_bounds(bounds: dict | None) -> tuple[float, float, float, float] | None:
    """Return ``(minx, miny, maxx, maxy)`` in lon/lat from Leaflet's bounds, None when incomplete.

    st_folium answers ``{"_southWest": {"lat": .., "lng": ..}, "_northEast": {...}}``.
    """
    bounds = bounds or {}
    sw, ne = bounds.get("_southWest") or {}, bounds.get("_northEast") or {}
    if sw.get("lat") is None or ne.get("lat") is None:
        return None
    west, south = lonlat(sw["lat"], sw["lng"])
    east, north = lonlat(ne["lat"], ne["lng"])
    return (west, south, east, north)


def heat_rows(
    lon: np.ndarray, lat: np.ndarray, weight: np.ndarray, *, decimals: int = 5
) -> list[list[float]]:
    """Return folium's HeatMap data, ``[lat, lon, weight]`` per point, coordinates rounded."""
    rows = np.column_stack(
        [np.round(np.asarray(lat, float), decimals), np.round(np.asarray(lon, float), decimals)]
    )
    return np.column_stack([rows, np.asarray(weight, float)]).tolist()


# H3 takes and gives (lat, lng): latlng_to_cell(lat, lng, res), cell_to_latlng and cell_to_boundary.


def cell_at(lon: float, lat: float, resolution: int) -> str:
    """Return the H3 cell (text form) holding the point ``(lon, lat)``."""
    return h3.latlng_to_cell(lat, lon, resolution)


def cells_at(lon: np.ndarray, lat: np.ndarray, resolution: int) -> np.ndarray:
    """Return the H3 cell (integer form, ``uint64``) of each point ``(lon[i], lat[i])``.

    H3's calls are scalar: one per point.
    """
    lons, lats = np.asarray(lon, float).tolist(), np.asarray(lat, float).tolist()
    return np.fromiter(
        (h3i.latlng_to_cell(y, x, resolution) for x, y in zip(lons, lats, strict=True)),
        dtype=np.uint64,
        count=len(lons),
    )


def cell_centres(cells: np.ndarray | list) -> tuple[np.ndarray, np.ndarray]:
    """Return the longitude and latitude of each H3 cell's centre (cells as text or integers)."""
    latlng = np.array(
        [h3.cell_to_latlng(c) if isinstance(c, str) else h3i.cell_to_latlng(int(c)) for c in cells],
        dtype=float,
    ).reshape(-1, 2)
    return latlng[:, 1], latlng[:, 0]


def cell_boundaries(cells: np.ndarray | list) -> tuple[np.ndarray, np.ndarray]:
    """Return every H3 cell's boundary vertices as one ``(n, 2)`` array of ``(lon, lat)`` and the
    number of vertices of each cell (6, or 5 for a pentagon; the ring is not closed)."""
    bounds = [h3.cell_to_boundary(c) if isinstance(c, str) else h3i.cell_to_boundary(int(c)) for c in cells]
    sizes = np.fromiter((len(b) for b in bounds), dtype=int, count=len(bounds))
    latlng = np.concatenate(bounds).reshape(-1, 2) if bounds else np.empty((0, 2))
    return latlng[:, ::-1].astype(float), sizes


def cell_polygons(cells: np.ndarray | list) -> np.ndarray:
    """Return each H3 cell (text or integer) as a shapely Polygon in lon/lat."""
    if len(cells) == 0:
        return np.array([], dtype=object)
    xy, sizes = cell_boundaries(cells)
    rings = shapely.linearrings(xy, indices=np.repeat(np.arange(len(sizes)), sizes))
    return shapely.polygons(rings)
