"""Weapon-withdrawal zones: each side's band of its reference line, inside the area that side controls."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.crs import centre_of, require_wgs84, theatre_crs
from geo.errors import InputError
from geo.rules.agreement import Agreement, AgreementError, _suggest
from geo.rules.spec import IN_FORCE
from geo.scenario.versions import version_at

ZONE_COLUMNS = [
    "withdrawal",
    "weapons",
    "label",
    "side",
    "side_label",
    "width_km",
    "total_width_km",
    "width_applies",
    "reference",
    "line_version",
    "line_name",
    "control_version",
    "clause",
]

# About a kilometre of latitude.
DENSIFY_DEG = 0.01


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True)


@dataclass(frozen=True)
class Theatre:
    """The scenario projected once into the theatre CRS: line versions and control areas in metres."""

    crs: CRS
    lines: dict[str, shapely.Geometry]
    line_names: dict[str, str]
    line_starts: pd.Series
    areas: pd.DataFrame
    # zones_in_force's answers: (agreement's zone terms, line version, control version) -> zones.
    zones: dict[tuple, pd.DataFrame] = field(default_factory=dict, compare=False, repr=False)

    def line_at(self, at: pd.Timestamp | None) -> str | None:
        """The line version in force at ``at`` (the latest version when ``at`` is None)."""
        if at is None:
            return str(self.line_starts.idxmax())
        return version_at(pd.Series([at]), self.line_starts, pd.Series(self.line_starts.index))[0]

    def areas_at(self, at: pd.Timestamp | None) -> tuple[str | None, dict[str, shapely.Geometry]]:
        """The control-area version in force at ``at`` and its polygon per side."""
        starts = self.areas.groupby("version")["valid_from"].min()
        if at is None:
            version = starts.idxmax()
        else:
            version = version_at(pd.Series([at]), starts, pd.Series(starts.index))[0]
        if version is None:
            return None, {}
        rows = self.areas[self.areas["version"] == version]
        return str(version), dict(zip(rows["side"], rows["geometry"], strict=True))


def densify(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add vertices every :data:`DENSIFY_DEG` so that edges keep their shape through a projection.

    GeoJSON edges are straight in longitude and latitude (RFC 7946); a long edge projected by its two
    ends alone would cut the corner in the theatre CRS. This adds points, it measures nothing.
    """
    return frame.set_geometry(shapely.segmentize(frame.geometry.to_numpy(), DENSIFY_DEG), crs=frame.crs)


def prepare_theatre(lines: gpd.GeoDataFrame, control_areas: gpd.GeoDataFrame) -> Theatre:
    """Project the contact line versions and control areas into a theatre CRS centred on the lines.

    Parameters
    ----------
    lines
        ``version``, ``valid_from`` and optionally ``name``; EPSG:4326.
    control_areas
        ``side``, ``version``, ``valid_from``; EPSG:4326.
    """
    require_wgs84(lines, what="The contact line frame")
    require_wgs84(control_areas, what="The control areas frame")
    for frame, what, cols in (
        (lines, "The contact line frame", ("version", "valid_from")),
        (control_areas, "The control areas frame", ("side", "version", "valid_from")),
    ):
        missing = [c for c in cols if c not in frame]
        if missing:
            msg = f"{what} lacks the column(s) {', '.join(missing)}."
            raise InputError(msg, hint="Load the scenario with geo.scenario.load_scenario.")
    crs = theatre_crs(*centre_of(lines))
    projected = densify(lines).to_crs(crs)
    versions = projected["version"].astype(str)
    merged = {v: shapely.union_all(projected.geometry[versions == v].to_numpy()) for v in versions.unique()}
    names = lines.get("name", versions)
    line_names = {v: str(n) for v, n in zip(versions, names, strict=True)}
    starts = pd.Series(_utc(lines["valid_from"]).to_numpy(), index=versions).groupby(level=0).min()
    areas = densify(control_areas).to_crs(crs)
    areas = pd.DataFrame(
        {
            "side": areas["side"].astype(str).to_numpy(),
            "version": areas["version"].astype(str).to_numpy(),
            "valid_from": _utc(areas["valid_from"]).to_numpy(),
            "geometry": areas.geometry.to_numpy(),
        }
    )
    areas = (
        areas.groupby(["version", "side"], as_index=False)
        .agg(
            valid_from=("valid_from", "min"), geometry=("geometry", lambda g: shapely.union_all(g.to_numpy()))
        )
        .reset_index(drop=True)
    )
    return Theatre(crs=crs, lines=merged, line_names=line_names, line_starts=starts, areas=areas)


def zones_projected(agreement: Agreement, theatre: Theatre, at: pd.Timestamp | None) -> pd.DataFrame:
    """Return the withdrawal zones in force at ``at`` in the theatre CRS (columns :data:`ZONE_COLUMNS`)."""
    in_force = theatre.line_at(at)
    control_version, areas = theatre.areas_at(at)
    rows = []
    for w in agreement.withdrawal:
        for side, label in agreement.sides.items():
            ref = w.reference[side]
            version = in_force if ref == IN_FORCE else ref
            if version is not None and version not in theatre.lines:
                known = sorted(theatre.lines)
                msg = (
                    f"Agreement file {agreement.path}: withdrawal.{w.key}.reference.{side} is {ref!r}, "
                    "which is not a version of the contact line."
                )
                hint = f"{_suggest(ref, known)}Use {IN_FORCE!r} or one of: {', '.join(known)}."
                raise AgreementError(msg, hint=hint)
            if version is None or in_force is None or side not in areas:
                continue
            band = shapely.buffer(theatre.lines[version], w.side_width_km * 1000.0, quad_segs=16)
            geometry = shapely.intersection(band, areas[side])
            if shapely.is_empty(geometry):
                continue
            rows.append(
                {
                    "withdrawal": w.key,
                    "weapons": ", ".join(w.weapons),
                    "label": w.label,
                    "side": side,
                    "side_label": label,
                    "width_km": w.side_width_km,
                    "total_width_km": w.total_width_km,
                    "width_applies": w.width_applies,
                    "reference": ref,
                    "line_version": version,
                    "line_name": theatre.line_names[version],
                    "control_version": control_version,
                    "clause": w.clause,
                    "geometry": geometry,
                }
            )
    return pd.DataFrame(rows, columns=[*ZONE_COLUMNS, "geometry"])


def zones_in_force(agreement: Agreement, theatre: Theatre, at: pd.Timestamp | None) -> pd.DataFrame:
    """:func:`zones_projected`, made once per theatre for each pair of line and control versions.

    The zones depend on ``at`` only through the versions in force then, so every period with the
    same versions shares one answer (read only: the rules prepare its geometries, nothing else).
    """
    terms = repr((agreement.path, agreement.sides, agreement.withdrawal))
    key = (terms, theatre.line_at(at), theatre.areas_at(at)[0])
    found = theatre.zones.get(key)
    if found is None:
        found = theatre.zones[key] = zones_projected(agreement, theatre, at)
    return found


def withdrawal_zones(
    agreement: Agreement,
    *,
    lines: gpd.GeoDataFrame,
    control_areas: gpd.GeoDataFrame,
    at: pd.Timestamp | None = None,
) -> gpd.GeoDataFrame:
    """Return each withdrawal rule's zone per side, for the map and the rules.

    The zone of a side is the part of that side's control area within its depth of the side's
    reference line (half the width when the width applies in total, the whole width per side).
    Buffers are drawn in metres in the theatre CRS (azimuthal equidistant centred on the lines).

    Parameters
    ----------
    agreement
        From :func:`geo.rules.load_agreement`.
    lines, control_areas
        The scenario frames (EPSG:4326) with ``version`` and ``valid_from``.
    at
        The moment whose line and control areas apply (UTC); None for the latest versions.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, one row per withdrawal rule and side: :data:`ZONE_COLUMNS` and ``geometry``.
    """
    if at is not None:
        at = pd.Timestamp(at)
        if at.tzinfo is None:
            msg = f"The time of the withdrawal zones, {at.isoformat()}, has no time zone."
            raise InputError(msg, hint="Pass a UTC time, e.g. pd.Timestamp('2026-10-05T00:00Z').")
        at = at.tz_convert("UTC")
    theatre = prepare_theatre(lines, control_areas)
    frame = zones_projected(agreement, theatre, at)
    geometry = gpd.GeoSeries(np.asarray(frame.pop("geometry"), dtype=object), crs=theatre.crs)
    return gpd.GeoDataFrame(frame, geometry=geometry.to_crs(4326).to_numpy(), crs=4326)
