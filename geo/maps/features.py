"""GeoJSON for the map from frames: the FeatureCollections every layer hands to folium, text escaped."""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError
from geo.text import escape_text

COORD_DECIMALS = 5  # 1e-5 degrees: 1.1 m of latitude, finer than any report's location


def collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of ``features``."""
    return {"type": "FeatureCollection", "features": features}


def frame_features(frame: gpd.GeoDataFrame, properties: pd.DataFrame) -> dict[str, Any]:
    """Return a FeatureCollection of ``frame``'s geometries with the JSON-ready ``properties`` columns.

    Coordinates are written with :data:`COORD_DECIMALS` decimals (about a metre): in full they were
    a tenth of what the browser receives for a few thousand reports, more for hexagons.
    """
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        msg = f"A map layer has CRS {frame.crs}; the map takes EPSG:4326 (lon/lat)."
        raise InputError(msg, hint="Reproject the frame with .to_crs(4326) before mapping it.")
    shapes = frame.geometry.to_numpy()
    records = properties.to_dict(orient="records")
    present = ~(shapely.is_missing(shapes) | shapely.is_empty(shapes))
    if present.all() and (shapely.get_type_id(shapes) == shapely.GeometryType.POINT).all():
        xs = np.round(shapely.get_x(shapes), COORD_DECIMALS).tolist()
        ys = np.round(shapely.get_y(shapes), COORD_DECIMALS).tolist()
        geometries = [{"type": "Point", "coordinates": [x, y]} for x, y in zip(xs, ys, strict=True)]
    else:
        rounded = shapely.transform(shapes, lambda xy: np.round(xy, COORD_DECIMALS))
        geometries = [None if g is None else json.loads(g) for g in shapely.to_geojson(rounded)]
    # Building JSON objects is per feature by nature; the geometry above is vectorised.
    return collection(
        [
            {"type": "Feature", "geometry": g, "properties": p}
            for g, p in zip(geometries, records, strict=True)
            if g is not None
        ]
    )


def escape_series(series: pd.Series) -> pd.Series:
    """Each value as text escaped for the map's HTML."""
    # Escaped per value, bidirectional controls shown as U+FFFD: every string a user supplied reaches
    # the map's HTML only through here.
    return series.astype(str).map(escape_text)


def escaped_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """One column's values escaped for the map's HTML (missing: an empty string)."""
    return escape_series(frame[column].astype("string").fillna("")).to_numpy()
