"""The theatre projection: one metric CRS centred on the data, for every measurement in metres."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from pyproj import CRS

from geo.errors import InputError

WGS84 = CRS.from_epsg(4326)


def theatre_crs(lon: float, lat: float) -> CRS:
    """Return an azimuthal equidistant CRS (WGS84 ellipsoid, metres) centred on ``(lon, lat)``.

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
