"""The vector context layer: Natural Earth countries around the theatre, shipped in data/context/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.errors import InputError
from geo.settings import DATA_DIR

COUNTRIES_PATH = DATA_DIR / "context" / "countries.geojson"
# lon_min, lat_min, lon_max, lat_max: the theatre box of the settings with room for the minimap.
CONTEXT_BBOX: tuple[float, float, float, float] = (12.0, 38.0, 52.0, 60.0)
_KEEP = ("NAME", "ADM0_A3")


def derive_countries(
    source: Path, *, bbox: tuple[float, float, float, float] = CONTEXT_BBOX
) -> dict[str, Any]:
    """Clip Natural Earth 1:110m countries to ``bbox`` and return the context FeatureCollection.

    Parameters
    ----------
    source
        ``ne_110m_admin_0_countries`` (GeoJSON or shapefile, EPSG:4326).
    bbox
        ``(lon_min, lat_min, lon_max, lat_max)`` to keep.

    Returns
    -------
    dict
        GeoJSON FeatureCollection with ``NAME`` and ``ADM0_A3``, coordinates rounded to 1e-4 degrees.
    """
    frame = gpd.read_file(source)
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        msg = f"The Natural Earth file {source} has CRS {frame.crs}, not EPSG:4326."
        raise InputError(msg, hint="Use the original ne_110m_admin_0_countries download.")
    clipped = shapely.clip_by_rect(frame.geometry.to_numpy(), *bbox)
    # 1e-4 degrees is about 10 m: far below what 1:110m data resolves, and it halves the file.
    clipped = shapely.make_valid(shapely.transform(clipped, lambda xy: np.round(xy, 4)))
    keep = ~shapely.is_empty(clipped) & (shapely.area(clipped) > 0)
    out = gpd.GeoDataFrame(
        frame.loc[keep, list(_KEEP)].reset_index(drop=True), geometry=clipped[keep], crs=4326
    )
    out = out.sort_values("ADM0_A3", kind="stable").reset_index(drop=True)
    return json.loads(out.to_json(drop_id=True))


def load_countries(path: Path = COUNTRIES_PATH) -> dict[str, Any]:
    """Return the shipped countries context layer as a GeoJSON dict (lon/lat)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"The map's context layer {path} is missing."
        raise InputError(msg, hint="Restore data/context/countries.geojson from the repository.") from None
