"""Byte-stable GeoJSON for the demo files: rounded numbers, RFC 7946 geometry, one feature per line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely


def json_number(value: Any) -> Any:
    """A JSON-ready number: rounded to 6 decimals, integral floats as ints, numpy scalars as Python."""
    if isinstance(value, float | np.floating):
        value = round(float(value), 6)
        return int(value) if value.is_integer() and abs(value) < 1e15 else value
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    return value


def geometry_json(geom: Any) -> dict[str, Any]:
    """RFC 7946 geometry: polygons counter-clockwise, coordinates rounded to 6 decimals."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        geom = shapely.orient_polygons(geom, exterior_cw=False)
    geom = shapely.transform(geom, lambda c: np.round(c, 6))
    return json.loads(shapely.to_geojson(geom))


def write_feature_collection(path: Path, features: list[dict[str, Any]]) -> None:
    """Write a FeatureCollection, one feature per line, byte-stable for the same input."""
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    path.write_text('{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n", "utf-8")


def frame_features(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """GeoJSON Features of a frame's rows: every column a property, the geometry per RFC 7946."""
    props = frame.drop(columns="geometry").to_dict("records")
    # Serialisation is per feature by nature: a few hundred scenario features.
    return [
        {
            "type": "Feature",
            "properties": {k: json_number(v) for k, v in p.items()},
            "geometry": geometry_json(g),
        }
        for p, g in zip(props, frame.geometry, strict=True)
    ]
