"""Export reports exactly as given: GeoJSON (RFC 7946), CSV, GeoPackage or KML, with the schema's column names."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import IO, Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely

from geo.crs import require_wgs84
from geo.errors import InputError
from geo.schema import FIELDS

FORMATS = ("geojson", "csv", "gpkg", "kml")
MEDIA_TYPES = {
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "gpkg": "application/geopackage+sqlite3",
    "kml": "application/vnd.google-earth.kml+xml",
}
SUFFIXES = {"geojson": ".geojson", "csv": ".csv", "gpkg": ".gpkg", "kml": ".kml"}
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, CWE-1236).
FORMULA_START = r"^[=+\-@\t\r]"
_LEADING = [f.name for f in FIELDS] + ["extra", "uid", "batch_id"]


def _iso(times: pd.Series) -> list[str | None]:
    """ISO 8601 UTC text with 'Z'; fractions of a second only when there are any."""
    utc = times.dt.tz_localize("UTC") if times.dt.tz is None else times.dt.tz_convert("UTC")
    fraction = utc.dt.strftime(".%f").str.rstrip("0").str.rstrip(".")
    text = utc.dt.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"
    return text.astype(object).where(utc.notna(), None).tolist()


def _plain(series: pd.Series) -> list[Any]:
    """A column as JSON-ready Python values: None for missing, ISO text for times, lists for arrays."""
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(series):
        return _iso(series)
    values = series.astype(object)
    if pd.api.types.is_object_dtype(series):
        # Only nested values (lists of zones, arrays from Parquet) need a look at each cell.
        values = values.map(lambda v: v.tolist() if isinstance(v, np.ndarray) else v)
        missing = values.map(lambda v: not isinstance(v, list | dict) and bool(pd.isna(v)))
    else:
        missing = series.isna()
    return values.where(~missing.to_numpy(), None).tolist()


def _ordered(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """The attribute columns: the schema's fields, extra, uid, batch_id, then any enrichment columns."""
    attrs = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    first = [c for c in _LEADING if c in attrs.columns]
    return attrs[first + [c for c in attrs.columns if c not in first]]


def to_geojson(frame: gpd.GeoDataFrame) -> bytes:
    """Return the frame as an RFC 7946 FeatureCollection (lon/lat, no 'crs' member).

    The ``extra`` JSON object is unpacked back into properties, as the report was uploaded.
    """
    attrs = _ordered(frame)
    extra = attrs.pop("extra").tolist() if "extra" in attrs else [None] * len(attrs)
    names = list(attrs.columns)
    columns = [_plain(attrs[c]) for c in names]
    coords = shapely.get_coordinates(frame.geometry.values).tolist() if len(frame) else []
    features = []
    # One dict per feature is what a FeatureCollection is; the values were prepared column by column.
    for xy, values, more in zip(
        coords, zip(*columns, strict=True) if names else [()] * len(frame), extra, strict=True
    ):
        props = dict(zip(names, values, strict=True))
        if isinstance(more, str) and more not in ("", "{}"):
            props.update({k: v for k, v in json.loads(more).items() if k not in props})
        features.append(
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": xy}, "properties": props}
        )
    return orjson.dumps({"type": "FeatureCollection", "features": features})


def _neutralise(values: pd.Series) -> pd.Series:
    """Prefix with an apostrophe the text a spreadsheet would run as a formula; numbers stay numbers."""
    text = values.map(lambda v: v if isinstance(v, str) else None).astype("str")
    risky = (
        text.str.contains(FORMULA_START, regex=True, na=False) & pd.to_numeric(text, errors="coerce").isna()
    )
    return values.where(~risky.to_numpy(), "'" + text)


def to_csv(frame: gpd.GeoDataFrame) -> bytes:
    """Return the frame as UTF-8 CSV: lon, lat, then the columns; lists and objects as JSON text."""
    attrs = _ordered(frame).reset_index(drop=True)
    table = pd.DataFrame(index=attrs.index)
    table["lon"] = shapely.get_x(frame.geometry.values)
    table["lat"] = shapely.get_y(frame.geometry.values)
    for name in attrs.columns:
        s = attrs[name]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            table[name] = s
            continue
        values = pd.Series(_plain(s), dtype=object)
        nested = values.map(lambda v: isinstance(v, list | dict))
        values = values.where(~nested, values[nested].map(lambda v: json.dumps(v, ensure_ascii=False)))
        table[name] = _neutralise(values)
    table.columns = _neutralise(pd.Series(table.columns, dtype=object)).tolist()
    # CRLF as RFC 4180 has it; it also makes the writer quote a cell holding a bare CR.
    return table.to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def _flat(frame: gpd.GeoDataFrame, *, times_as_text: bool) -> gpd.GeoDataFrame:
    """The frame for GDAL formats: nested values as JSON text, times as ISO text where the format wants it."""
    attrs = _ordered(frame).reset_index(drop=True)
    out = gpd.GeoDataFrame(attrs, geometry=frame.geometry.values, crs=frame.crs)
    for name in attrs.columns:
        s = attrs[name]
        is_time = isinstance(s.dtype, pd.DatetimeTZDtype)
        if pd.api.types.is_object_dtype(s) or (is_time and times_as_text):
            values = pd.Series(_plain(s), dtype=object)
            nested = values.map(lambda v: isinstance(v, list | dict))
            out[name] = values.where(~nested, values[nested].map(lambda v: json.dumps(v, ensure_ascii=False)))
    return out


def export_incidents(
    frame: gpd.GeoDataFrame, path_or_buffer: Path | str | IO[bytes], *, format: str
) -> Path | IO[bytes]:
    """Write exactly the rows of ``frame``.

    Parameters
    ----------
    frame
        Reports in EPSG:4326 (the normalised incident frame, with any enrichment columns).
    path_or_buffer
        Output file, or a binary buffer (``io.BytesIO``) for a download.
    format
        ``geojson``, ``csv``, ``gpkg`` or ``kml``.

    Returns
    -------
    Path or buffer
        What was written to.

    Raises
    ------
    InputError
        For an unknown format, or a frame without CRS or not in EPSG:4326.
    """
    if format not in FORMATS:
        msg = f"Unknown export format {format!r}."
        raise InputError(msg, hint=f"Use one of {', '.join(FORMATS)}.")
    require_wgs84(frame, what="The reports to export")
    target = path_or_buffer if hasattr(path_or_buffer, "write") else Path(path_or_buffer)
    if format in ("geojson", "csv"):
        data = to_geojson(frame) if format == "geojson" else to_csv(frame)
        if isinstance(target, Path):
            target.write_bytes(data)
        else:
            target.write(data)
        return target
    import pyogrio

    flat = _flat(frame, times_as_text=format == "kml")
    # LIBKML writes the report's ``id`` as the Placemark's id, where the LIBKML reader (ingest's) looks
    # for it; the plain KML driver writes its own ("incidents.1") and the id came back renamed.
    driver = {"gpkg": "GPKG", "kml": "LIBKML"}[format]
    if isinstance(target, Path):
        pyogrio.write_dataframe(flat, target, driver=driver, layer="incidents")
    else:
        buffer = io.BytesIO()
        pyogrio.write_dataframe(flat, buffer, driver=driver, layer="incidents")
        target.write(buffer.getvalue())
    return target


def stored_columns(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the frame with only the stored columns (the schema's fields, ``extra``, ``uid``, ``batch_id``).

    An analysed frame exported this way has exactly the columns of docs/SCHEMA.md, as ingested.
    """
    keep = [c for c in _LEADING if c in frame.columns]
    return frame[[*keep, frame.geometry.name]]


def export_bytes(frame: gpd.GeoDataFrame, *, format: str) -> bytes:
    """Return :func:`export_incidents` of the frame as bytes (for a download button)."""
    buffer = io.BytesIO()
    export_incidents(frame, buffer, format=format)
    return buffer.getvalue()
