"""Sectors: named stretches of the contact line; a report belongs to the stretch nearest to it."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import centre_of, theatre_crs
from geo.errors import InputError
from geo.settings import SCENARIO_DIR

SECTORS_FILE = "sectors.geojson"


def load_sectors(directory: Path = SCENARIO_DIR) -> gpd.GeoDataFrame:
    """Read the sector starts: Points with a ``sector`` name, in order along the line from its first end.

    Each sector runs from its start to the next sector's start (the last to the line's end).
    """
    path = Path(directory) / SECTORS_FILE
    if not path.is_file():
        msg = f"The sectors file {path} is missing."
        raise InputError(
            msg, hint="Add Points with a 'sector' property where each stretch of the line begins."
        )
    frame = gpd.read_file(path)
    if "sector" not in frame.columns or frame["sector"].isna().any():
        msg = f"Every feature of {path.name} needs a 'sector' name."
        raise InputError(msg, hint="Give each sector start a 'sector' property.")
    if not (frame.geom_type == "Point").all():
        msg = f"{path.name} must hold Points (where each sector starts)."
        raise InputError(msg, hint="Replace other geometries by the sector's first point on the line.")
    return frame.to_crs(4326)


def assign_sectors(
    nearest: gpd.GeoSeries, line_version: pd.Series, *, lines: gpd.GeoDataFrame, sectors: gpd.GeoDataFrame
) -> np.ndarray:
    """Return each report's sector from its nearest point on the line version in force.

    Parameters
    ----------
    nearest
        The nearest point on the line of each report (from :func:`geo.proximity.measure`), EPSG:4326.
    line_version
        The line version each nearest point lies on.
    lines, sectors
        The scenario's line versions and the sector starts.
    """
    crs = theatre_crs(*centre_of(lines))
    out = np.full(len(nearest), None, dtype=object)
    metric_lines = lines.to_crs(crs)
    starts = sectors.to_crs(crs).geometry.to_numpy()
    points = nearest.to_crs(crs).to_numpy()
    version = line_version.to_numpy()
    names = sectors["sector"].to_numpy()
    for v, line in zip(metric_lines["version"], metric_lines.geometry, strict=True):  # a handful of versions
        rows = np.flatnonzero(version == v)
        if not len(rows):
            continue
        cuts = shapely.line_locate_point(line, starts)
        order = np.argsort(cuts)
        at = shapely.line_locate_point(line, points[rows])
        k = np.clip(np.searchsorted(cuts[order], at, side="right") - 1, 0, len(order) - 1)
        found = names[order][k]
        found[~np.isfinite(at)] = None
        out[rows] = found
    return out


# A sector start farther than this (metres) from every line version marks the sectors of another line.
SECTOR_FIT_M = 5_000.0


def check_sectors_fit(
    sectors: gpd.GeoDataFrame, lines: gpd.GeoDataFrame, *, sectors_file: Path, line_file: Path
) -> None:
    """Refuse sector starts that do not lie on the line versions passed (another theatre's sectors).

    Raises
    ------
    InputError
        Naming the sector, both files and the distance.
    """
    crs = theatre_crs(*centre_of(lines))
    line = shapely.union_all(lines.to_crs(crs).geometry.to_numpy())
    apart = shapely.distance(sectors.to_crs(crs).geometry.to_numpy(), line)
    if (apart > SECTOR_FIT_M).any():
        i = int(np.argmax(apart))
        msg = (
            f"The sectors of {sectors_file} lie along another line than {line_file}: sector "
            f"{sectors['sector'].iloc[i]!r} starts {apart[i] / 1000:,.0f} km from it."
        )
        raise InputError(
            msg,
            hint="Pass --scenario DIR with your line and its own sectors.geojson (or none: reports then get no sector).",
        )
