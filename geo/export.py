"""Export reports exactly as given: GeoJSON (RFC 7946), CSV, GeoPackage or KML, with the schema's column names."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely

from geo.crs import require_wgs84
from geo.errors import InputError

FORMATS = ("geojson", "csv", "gpkg", "kml")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, CWE-1236).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _plain(value: Any) -> Any:
    """A JSON-ready value: timestamps as ISO 8601 UTC, missing numbers as null."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ") if value.tzinfo else value.isoformat()
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Each row's properties; the ``extra`` JSON is unpacked back into properties (as uploaded)."""
    # uid is source/id again; leaving it out keeps a round trip through ingest exact.
    data = pd.DataFrame(frame.drop(columns=[frame.geometry.name, "uid"], errors="ignore"))
    extra = data.pop("extra") if "extra" in data else None
    rows = [{k: _plain(v) for k, v in row.items()} for row in data.to_dict("records")]
    if extra is not None:
        for row, text in zip(rows, extra, strict=True):
            if text and text != "{}":
                row.update({k: v for k, v in json.loads(text).items() if k not in row})
    return rows


def to_geojson(frame: gpd.GeoDataFrame) -> bytes:
    """Return the frame as an RFC 7946 FeatureCollection (lon/lat, no 'crs' member)."""
    coords = shapely.get_coordinates(frame.geometry.values) if len(frame) else np.empty((0, 2))
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]}, "properties": props}
        for (x, y), props in zip(coords.tolist(), _records(frame), strict=True)
    ]
    return orjson.dumps(
        {"type": "FeatureCollection", "features": features}, option=orjson.OPT_SERIALIZE_NUMPY
    )


def _neutralise(value: Any) -> Any:
    """Prefix text a spreadsheet would run as a formula with an apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def to_csv(frame: gpd.GeoDataFrame) -> bytes:
    """Return the frame as UTF-8 CSV with lon and lat columns; lists and objects as JSON text."""
    rows = _records(frame)
    table = pd.DataFrame(rows, columns=list(dict.fromkeys(k for r in rows for k in r)) or None)
    table.insert(0, "lat", shapely.get_y(frame.geometry.values) if len(frame) else [])
    table.insert(0, "lon", shapely.get_x(frame.geometry.values) if len(frame) else [])
    for col in table.columns:
        if not pd.api.types.is_numeric_dtype(table[col]) and not pd.api.types.is_datetime64_any_dtype(
            table[col]
        ):
            table[col] = table[col].map(
                lambda v: _neutralise(json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v)
            )
    # Unknown properties become columns, so a header can carry a formula too.
    table.columns = [_neutralise(str(c)) for c in table.columns]
    buf = io.StringIO()
    table.to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")


def _flat(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy whose list and object columns are JSON text, for formats without nested values."""
    out = frame.copy()
    for col in out.columns.drop(out.geometry.name):
        if out[col].map(lambda v: isinstance(v, list | dict | np.ndarray)).any():
            out[col] = out[col].map(
                lambda v: json.dumps(_plain(v), ensure_ascii=False) if v is not None else None
            )
    return out


def export_incidents(frame: gpd.GeoDataFrame, path: Path | str, *, format: str) -> Path:
    """Write exactly the rows of ``frame`` to ``path``.

    Parameters
    ----------
    frame
        Reports in EPSG:4326 (the normalised incident frame, with any enrichment columns).
    path
        Output file.
    format
        ``geojson``, ``csv``, ``gpkg`` or ``kml``.
    """
    if format not in FORMATS:
        msg = f"Unknown export format {format!r}."
        raise InputError(msg, hint=f"Use one of {', '.join(FORMATS)}.")
    require_wgs84(frame, what="The reports to export")
    path = Path(path)
    if format == "geojson":
        path.write_bytes(to_geojson(frame))
    elif format == "csv":
        path.write_bytes(to_csv(frame))
    else:
        import pyogrio

        driver = {"gpkg": "GPKG", "kml": "KML"}[format]
        pyogrio.write_dataframe(_flat(frame), path, driver=driver, layer="incidents")
    return path
