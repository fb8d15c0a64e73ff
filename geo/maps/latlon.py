"""The one place that turns GeoJSON's (lon, lat) order into folium's (lat, lon) and back."""

from __future__ import annotations

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
