"""The theatre projection: one metric CRS centred on the data, for every measurement in metres."""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike
from pyproj import CRS, Geod, Transformer

from geo.errors import InputError

WGS84 = CRS.from_epsg(4326)

# The ellipsoid every geodesic distance in the engine is measured on (that of EPSG:4326).
GEOD = Geod(ellps="WGS84")


def theatre_crs(lon: float, lat: float) -> CRS:
    """Return an azimuthal equidistant CRS (WGS84 ellipsoid, metres) centred on ``(lon, lat)``.

    Distances from the centre are exact; other distances stretch with the distance from the
    centre (about 0.04 % across the front, about 0.9 % 1,500 km out), so measurements that must be
    geodesic find their points here and take the final distance with :func:`geodesic_m`.

    Parameters
    ----------
    lon, lat
        The centre in degrees; choose it from the data with :func:`centre_of`.
    """
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        msg = f"Theatre centre ({lon}, {lat}) is not a longitude/latitude pair."
        raise InputError(msg, hint="Pass the centre as (lon, lat) in degrees.")
    return CRS.from_proj4(
        f"+proj=aeqd +lat_0={lat:.6f} +lon_0={lon:.6f} +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
    )


def require_wgs84(gdf: gpd.GeoDataFrame, *, what: str) -> gpd.GeoDataFrame:
    """Return ``gdf`` if it is in EPSG:4326; raise naming ``what`` if it has no CRS or another one."""
    if gdf.crs is None:
        msg = f"{what} has no CRS."
        raise InputError(msg, hint="Set it with .set_crs(4326) if the coordinates are lon/lat.")
    if not gdf.crs.equals(WGS84):
        msg = f"{what} is in {gdf.crs.to_string()}, not EPSG:4326."
        raise InputError(msg, hint="Reproject it with .to_crs(4326) at the boundary.")
    return gdf


def centre_of(gdf: gpd.GeoDataFrame) -> tuple[float, float]:
    """Return the (lon, lat) centre of the bounds of a WGS84 frame, for :func:`theatre_crs`."""
    require_wgs84(gdf, what="The frame to centre on")
    minx, miny, maxx, maxy = gdf.total_bounds
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        msg = "Cannot choose a theatre centre from an empty frame."
        raise InputError(msg, hint="Load the contact line before measuring.")
    return float((minx + maxx) / 2), float((miny + maxy) / 2)


@lru_cache(maxsize=64)
def transformer(source: CRS | int, target: CRS | int) -> Transformer:
    """``Transformer.from_crs(source, target, always_xy=True)``, made once per pair of CRS (each costs
    tens of milliseconds: a small update made six)."""
    return Transformer.from_crs(source, target, always_xy=True)


@lru_cache(maxsize=16)
def _transformers(crs: CRS) -> tuple[Transformer, Transformer]:
    # Building a transformer costs milliseconds; analyses call these per version and per step.
    forward = Transformer.from_crs(WGS84, crs, always_xy=True)
    inverse = Transformer.from_crs(crs, WGS84, always_xy=True)
    return forward, inverse


def to_theatre(lon: ArrayLike, lat: ArrayLike, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Project lon/lat degrees to ``crs`` metres (vectorised; NaN stays NaN).

    Parameters
    ----------
    lon, lat
        Coordinates in degrees, EPSG:4326 order.
    crs
        The metric CRS, usually from :func:`theatre_crs`.
    """
    x, y = _transformers(crs)[0].transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


# The points last projected by points_in, by the digest of their coordinates and the CRS: the rules
# and corroboration project the same million reports to the same theatre one after the other.
_last_projected: dict[tuple[bytes, str], tuple[np.ndarray, np.ndarray]] = {}
_projected_lock = threading.Lock()


def points_in(geometry: gpd.GeoSeries | np.ndarray, crs: CRS | int | str) -> tuple[np.ndarray, np.ndarray]:
    """The points' ``x`` and ``y`` in ``crs`` metres (read-only arrays; a missing point is NaN).

    The same numbers as ``GeoSeries.to_crs(crs)`` gives, without making a shapely point per
    report; the last points projected are remembered by the digest of their coordinates.
    """
    crs = CRS.from_user_input(crs)
    points = np.asarray(geometry.to_numpy() if hasattr(geometry, "to_numpy") else geometry)
    lon, lat = shapely.get_x(points), shapely.get_y(points)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(lon)
    digest.update(lat)
    key = (digest.digest(), crs.to_wkt())
    with _projected_lock:
        found = _last_projected.get(key)
    if found is None:
        x, y = to_theatre(lon, lat, crs)
        x.flags.writeable = y.flags.writeable = False
        found = (x, y)
        with _projected_lock:
            _last_projected.clear()
            _last_projected[key] = found
    return found


def from_theatre(x: ArrayLike, y: ArrayLike, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Map ``crs`` metres back to lon/lat degrees (the inverse of :func:`to_theatre`)."""
    lon, lat = _transformers(crs)[1].transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def geodesic_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> np.ndarray:
    """Return the geodesic distance in metres on the WGS84 ellipsoid between pairs of points.

    Vectorised over equal-length arrays (or scalars); a pair with a NaN coordinate gives NaN.
    """
    a = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2)))
    shape = a[0].shape
    flat = [np.ascontiguousarray(v.ravel()) for v in a]
    ok = np.isfinite(flat[0]) & np.isfinite(flat[1]) & np.isfinite(flat[2]) & np.isfinite(flat[3])
    out = np.full(ok.shape, np.nan)
    if ok.any():
        _, _, dist = GEOD.inv(flat[0][ok], flat[1][ok], flat[2][ok], flat[3][ok])
        out[ok] = dist
    return out.reshape(shape)
