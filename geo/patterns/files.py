"""Write the pattern statistics to a folder: surges.csv, hotspots.geojson, clusters.geojson and the profiles."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.errors import InputError
from geo.patterns.core import Patterns


def _lists_as_json(frame: pd.DataFrame) -> pd.DataFrame:
    """List cells (``report_uids``) as JSON text, which CSV and GeoJSON writers keep intact."""
    out = frame.copy()
    if "report_uids" in out:
        out["report_uids"] = [json.dumps(list(v)) for v in out["report_uids"]]
    return out


def _times_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """UTC timestamps as ISO 8601 text with a Z, the same in CSV and GeoJSON."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return out


def write_patterns(patterns: Patterns, folder: Path) -> list[Path]:
    """Write every table of ``patterns`` into ``folder`` (created if needed); return the files written.

    ``surges.csv``, ``hotspots.geojson`` (every cell of the study area), ``clusters.geojson``
    (centre points), ``daily.csv``, ``distance_profile.csv`` and ``zones.csv``; times are UTC ISO
    8601 and ``report_uids`` JSON lists (GDAL writes them as arrays in the GeoJSON).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        msg = f"{folder} is a file, not a folder for the pattern tables."
        raise InputError(msg, hint="Give a folder path with -o (it is created when missing).")
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "surges.csv": patterns.surges,
        "daily.csv": patterns.daily,
        "distance_profile.csv": patterns.distance,
        "zones.csv": patterns.zones,
    }
    written = []
    for name, table in tables.items():
        path = folder / name
        _times_as_text(_lists_as_json(table)).to_csv(path, index=False)
        written.append(path)
    for name, frame in (("hotspots.geojson", patterns.hotspots), ("clusters.geojson", patterns.clusters)):
        path = folder / name
        path.unlink(missing_ok=True)
        gpd.GeoDataFrame(_times_as_text(_lists_as_json(frame)), geometry="geometry", crs=4326).to_file(
            path, driver="GeoJSON"
        )
        written.append(path)
    return written
