"""Find every pattern in one call: surges per sector, hotspots, space-time clusters and distance profiles."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.patterns import hotspots as hot
from geo.patterns import profiles as prof
from geo.patterns import scan, temporal
from geo.patterns.frame import Points, points_of
from geo.patterns.params import PatternParams

PARTS = ("surges", "hotspots", "clusters", "profiles")


@dataclass(frozen=True)
class Patterns:
    """The pattern statistics of a set of reports; docs/METHOD.md ("Patterns") gives the method.

    Attributes
    ----------
    daily
        One row per sector and day: ``count``, ``baseline`` (trailing mean), ``upper`` (the
        ``1 - alpha`` quantile of the baseline model), ``p_value`` (upper tail), ``q_value``
        (Benjamini-Hochberg over all tested sector-days), ``model`` (``poisson`` or ``negbin``),
        ``surge``, and ACLED's rule: ``week_count``, ``week_baseline``, ``acled_surge``.
    hourly
        Reports per sector and hour over the last ``recent_days`` days.
    surges
        One row per significant sector-day (rule ``poisson``/``negbin``) and per run of days under
        ACLED's rule (``acled_week``): ``sector``, ``start``, ``end``, ``count``, ``baseline``,
        ``p_value``, ``rule``, ``report_uids``.
    hotspots
        H3 hexagons (EPSG:4326): ``cell``, ``count``, ``gi_z``, ``p_norm``, ``p_sim``, ``p_fdr``,
        ``level`` (``hot 99`` ... ``cold 99`` or ``""``); reports of cells via
        :func:`geo.patterns.uids_in_cells`.
    clusters
        Centre points (EPSG:4326) of the most likely space-time clusters, best first: ``cluster_id``,
        ``n``, ``expected``, ``p_value``, ``significant``, ``start``, ``end``, ``radius_m``,
        ``report_uids`` and more (:func:`geo.patterns.scan.clusters`).
    distance
        Distance-to-line histogram per side and type (``from_km``, ``to_km``, ``count``, ``share``).
    zones
        Per zone: reports inside, ``share_reports``, ``share_area``, ``ratio``.
    params
        The settings used.
    """

    daily: pd.DataFrame
    hourly: pd.DataFrame
    surges: pd.DataFrame
    hotspots: gpd.GeoDataFrame
    clusters: gpd.GeoDataFrame
    distance: pd.DataFrame
    zones: pd.DataFrame
    params: PatternParams

    @property
    def profiles(self) -> pd.DataFrame:
        """The distance profile (``zones`` holds the zone table)."""
        return self.distance


def find_patterns(
    reports: gpd.GeoDataFrame,
    *,
    sectors: gpd.GeoDataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
    params: PatternParams | None = None,
    parts: Collection[str] = PARTS,
) -> Patterns:
    """Compute the pattern statistics of the analysed reports (read only, never modified).

    Parameters
    ----------
    reports
        The analysed reports (``geo.pipeline.analyse(...).reports``): ``uid``, ``occurred_at``,
        Point geometry in EPSG:4326, and ``sector``, ``side``, ``type``, ``dist_to_line_m``,
        ``zones`` where present. Reports without a sector are grouped as ``(no sector)``; reports
        without a place or a time are left out.
    sectors
        The scenario's sector starts (``geo.pipeline.scenario_sectors``): every sector gets a
        daily series, even one without reports.
    zones
        The scenario's zones (``zone_id``, ``kind``, ``name``), for the zone table's areas.
    params
        The settings; the defaults when None.
    parts
        Which of ``surges``, ``hotspots``, ``clusters``, ``profiles`` to compute; the others are empty.
    """
    params = params or PatternParams()
    unknown = set(parts) - set(PARTS)
    if unknown:
        msg = f"Unknown pattern part(s) {', '.join(sorted(unknown))}."
        raise InputError(msg, hint=f"Choose among {', '.join(PARTS)}.")
    points = points_of(reports)

    def pick(part: str) -> Points:
        return points if part in parts else points.subset(slice(0, 0))

    daily, hourly, surges = _temporal(pick("surges"), sectors, params)
    profiles = reports if "profiles" in parts else reports.iloc[:0]
    return Patterns(
        daily=daily,
        hourly=hourly,
        surges=surges,
        hotspots=hot.hotspots(pick("hotspots"), params),
        clusters=scan.clusters(pick("clusters"), params),
        distance=prof.distance_profile(profiles, params),
        zones=prof.zone_table(profiles, zones if "profiles" in parts else None),
        params=params,
    )


def _temporal(
    points: Points, sectors: pd.DataFrame | None, params: PatternParams
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Daily tests, hourly counts and surges; sectors given but without reports get a zero series."""
    counts, names, days = temporal.count_matrix(points)
    if sectors is not None and len(days):
        extra = [s for s in sectors["sector"].astype(str) if s not in names]
        names = names + extra
        counts = np.vstack([counts, np.zeros((len(extra), len(days)))])
    daily = temporal.daily_frame(counts, names, days, params)
    return daily, temporal.hourly_counts(points, params), temporal.surge_table(daily, points)
