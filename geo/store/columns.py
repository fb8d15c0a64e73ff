"""How the normalised incident frame maps to SQL columns and to the columnar (Parquet) copy."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from geo.schema import FIELDS

# The report columns the store keeps, in order: the schema's fields, then what ingest and the store add.
REPORT_COLUMNS: tuple[str, ...] = (*(f.name for f in FIELDS), "extra", "uid", "batch_id")
INTEGER = frozenset(f.name for f in FIELDS if f.kind == "integer" or f.name == "credibility")
NUMBER = frozenset(f.name for f in FIELDS if f.kind == "number")
DATETIME = frozenset(f.name for f in FIELDS if f.kind == "datetime")


def sql_type(name: str) -> str:
    """The GeoPackage column type of a report column."""
    if name in INTEGER:
        return "INTEGER"
    if name in NUMBER:
        return "REAL"
    if name in DATETIME:
        return "DATETIME"
    return "TEXT"


def arrow_schema() -> pa.Schema:
    """The Parquet schema of the columnar copy: every report column, plus lon and lat."""

    def kind(name: str) -> pa.DataType:
        if name in INTEGER:
            return pa.int64()
        if name in NUMBER:
            return pa.float64()
        if name in DATETIME:
            return pa.timestamp("ns", tz="UTC")
        return pa.string()

    return pa.schema([(c, kind(c)) for c in REPORT_COLUMNS] + [("lon", pa.float64()), ("lat", pa.float64())])


def at_store_precision(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame with its times cut to milliseconds, as the GeoPackage keeps DATETIME values.

    The columnar copy is written from this frame, so that it equals a copy rebuilt from the GeoPackage.
    """
    out = frame.copy()
    for name in DATETIME:
        out[name] = out[name].dt.floor("ms")
    return out


def sql_values(frame: pd.DataFrame) -> list[list[Any]]:
    """Return each report column as a list of Python values for sqlite3 (None for missing)."""
    out = []
    for name in REPORT_COLUMNS:
        s = frame[name]
        if name in DATETIME:
            # GeoPackage DATETIME: ISO 8601 UTC with milliseconds (GDAL warns on other forms).
            text = s.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z"
            out.append(text.astype(object).where(s.notna(), None).tolist())
        elif name in INTEGER:
            out.append(s.astype("Int64").astype(object).where(s.notna(), None).tolist())
        elif name in NUMBER:
            out.append(s.astype(float).astype(object).where(s.notna(), None).tolist())
        else:
            out.append(s.astype(object).where(s.notna(), None).tolist())
    return out


def to_arrow(frame: gpd.GeoDataFrame) -> pa.Table:
    """The columnar copy of a stored frame (geometry as lon and lat)."""
    data = {name: frame[name] for name in REPORT_COLUMNS}
    data["lon"] = shapely.get_x(frame.geometry.values)
    data["lat"] = shapely.get_y(frame.geometry.values)
    return pa.Table.from_pandas(pd.DataFrame(data), schema=arrow_schema(), preserve_index=False)


def from_arrow(table: pa.Table) -> gpd.GeoDataFrame:
    """Back from the columnar copy to the normalised incident frame."""
    frame = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    lon = frame.pop("lon").to_numpy(dtype=float)
    lat = frame.pop("lat").to_numpy(dtype=float)
    for name in DATETIME:
        frame[name] = frame[name].dt.as_unit("ns")
    return gpd.GeoDataFrame(
        frame, geometry=shapely.points(lon, lat) if len(frame) else np.array([], dtype=object), crs=4326
    )


def from_sql(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """Back from SQL rows (with lon and lat) to the normalised incident frame."""
    out = pd.DataFrame(index=range(len(frame)))
    for name in REPORT_COLUMNS:
        s = frame[name]
        if name in DATETIME:
            out[name] = pd.to_datetime(s, utc=True, format="ISO8601").dt.as_unit("ns")
        elif name in INTEGER:
            out[name] = pd.array(s, dtype="Int64")
        elif name in NUMBER:
            out[name] = s.astype(float)
        else:
            out[name] = s.astype("str")
    points = shapely.points(frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float))
    return gpd.GeoDataFrame(out, geometry=points, crs=4326)
