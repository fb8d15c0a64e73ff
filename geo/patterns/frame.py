"""The columns every pattern statistic reads, taken once from the analysed reports (never modified)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError
from geo.patterns.params import NO_SECTOR

REQUIRED = ("uid", "occurred_at")


@dataclass(frozen=True)
class Points:
    """The usable reports as plain arrays: a place and a time each.

    Attributes
    ----------
    uid, lon, lat, time
        Per report; ``time`` is UTC.
    day
        The UTC day of each report (midnight, timezone-aware).
    sector
        The report's sector, or :data:`~geo.patterns.params.NO_SECTOR`.
    """

    uid: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    time: pd.DatetimeIndex
    day: pd.DatetimeIndex
    sector: np.ndarray

    def __len__(self) -> int:
        return len(self.uid)

    def subset(self, keep: np.ndarray | slice) -> Points:
        """The reports selected by a mask, indices or a slice."""
        return Points(
            uid=self.uid[keep],
            lon=self.lon[keep],
            lat=self.lat[keep],
            time=self.time[keep],
            day=self.day[keep],
            sector=self.sector[keep],
        )


def points_of(reports: gpd.GeoDataFrame) -> Points:
    """Return the reports with a place and a time as arrays; the frame itself is only read.

    Reports without a point geometry or without ``occurred_at`` cannot be placed in space and time
    and are left out of every pattern.
    """
    missing = [c for c in REQUIRED if c not in reports.columns]
    if missing:
        msg = f"The reports lack the column(s) {', '.join(missing)} that pattern statistics need."
        raise InputError(msg, hint="Pass the analysed reports (geo.pipeline.analyse(...).reports).")
    if not isinstance(reports, gpd.GeoDataFrame) or reports.crs is None or reports.crs.to_epsg() != 4326:
        msg = "Pattern statistics need a GeoDataFrame in EPSG:4326 (lon, lat)."
        raise InputError(msg, hint="Reproject with .to_crs(4326) or pass the analysed reports.")
    geoms = reports.geometry.to_numpy()
    lon, lat = shapely.get_x(geoms), shapely.get_y(geoms)
    time = pd.DatetimeIndex(pd.to_datetime(reports["occurred_at"], utc=True))
    ok = np.isfinite(lon) & np.isfinite(lat) & ~time.isna()
    sector = (
        reports["sector"].to_numpy(dtype=object)
        if "sector" in reports.columns
        else np.full(len(reports), None)
    )
    sector = np.where(pd.isna(sector), NO_SECTOR, sector)
    if pd.api.types.infer_dtype(sector, skipna=False) not in ("string", "empty"):
        sector = sector.astype(str).astype(object)  # every sector a text (kept as Python texts:
        # numpy's fixed-width text costs a copy here and another wherever it is factorized)
    return Points(
        uid=reports["uid"].to_numpy(dtype=object)[ok],
        lon=lon[ok],
        lat=lat[ok],
        time=time[ok],
        day=time[ok].floor("D"),
        sector=sector[ok],
    )
