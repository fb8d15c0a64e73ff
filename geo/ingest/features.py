"""The structural pass over features: is each a Feature with a usable Point and a properties object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from geo.ingest.formats import is_finite_number
from geo.ingest.result import Issue


@dataclass
class Structure:
    """What the structural pass found, one entry per feature in file order."""

    props: list[dict[str, Any]]
    feature_ids: list[str | None]
    lon: np.ndarray
    lat: np.ndarray
    issues: list[list[Issue]]
    had_z: bool


def _feature_id(feature: Any, props: dict[str, Any]) -> str | None:
    """The report id for messages: ``properties.id``, else the Feature's own ``id`` if it is a string or number."""
    value = props.get("id")
    if value is None and isinstance(feature, dict):
        value = feature.get("id")
    usable = isinstance(value, str | int | float) and not isinstance(value, bool)
    return str(value) if usable else None


def _position(coords: Any) -> tuple[float, float, str | None, bool]:
    """Return lon, lat, a problem (or None) and whether a Z value was present."""
    if not isinstance(coords, list):
        return np.nan, np.nan, f"its coordinates are {type(coords).__name__}, not an array [lon, lat]", False
    if len(coords) < 2:
        return (
            np.nan,
            np.nan,
            f"its coordinates have {len(coords)} value(s); a position needs [lon, lat]",
            False,
        )
    if any(isinstance(c, list) for c in coords):
        return (
            np.nan,
            np.nan,
            "its coordinates are nested arrays; a Point's position is one [lon, lat]",
            False,
        )
    if not all(is_finite_number(c) for c in coords):
        bad = next(c for c in coords if not is_finite_number(c))
        what = "NaN or Infinity" if isinstance(bad, float) else repr(bad)
        return np.nan, np.nan, f"its coordinates hold {what}, not a finite number", False
    return float(coords[0]), float(coords[1]), None, len(coords) > 2


def check_features(features: list[Any]) -> Structure:
    """Check the GeoJSON structure of every feature.

    A loop over features, of necessity: each is a parsed JSON object whose shape is what is checked.
    The per-field checks that follow are vectorised (:mod:`geo.ingest.validate`).
    """
    n = len(features)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    props_out: list[dict[str, Any]] = []
    ids: list[str | None] = []
    issues: list[list[Issue]] = []
    had_z = False
    for i, feature in enumerate(features):
        found: list[Issue] = []
        props: dict[str, Any] = {}
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            kind = feature.get("type") if isinstance(feature, dict) else type(feature).__name__
            found.append(
                Issue(
                    i,
                    None,
                    None,
                    f"is not a Feature (its type is {kind!r}).",
                    'Give every feature "type": "Feature".',
                )
            )
        raw_props = feature.get("properties") if isinstance(feature, dict) else None
        if isinstance(raw_props, dict):
            props = raw_props
        elif isinstance(feature, dict):
            what = "missing" if "properties" not in feature else f"a JSON {type(raw_props).__name__}"
            if raw_props is not None or "properties" not in feature:
                found.append(
                    Issue(i, None, "properties", f"The 'properties' member is {what}, not an object.",
                          'Give the report\'s fields as an object: "properties": {"id": ..., "source": ...}.')
                )  # fmt: skip
        fid = _feature_id(feature, props)
        if props.get("id") in (None, "") and fid is not None:
            props = {**props, "id": fid}
            found.append(
                Issue(i, fid, "id", "properties.id is missing; the Feature's own id was used.",
                      "Give the report id inside properties.", "warning")
            )  # fmt: skip
        found = [Issue(x.index, fid, x.field, x.problem, x.fix, x.severity) for x in found]
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if geometry is None:
            found.append(
                Issue(i, fid, "geometry", "The geometry is null or missing; a report needs a location.",
                      'Give the location as {"type": "Point", "coordinates": [lon, lat]}.')
            )  # fmt: skip
        elif not isinstance(geometry, dict):
            found.append(
                Issue(i, fid, "geometry", "The geometry is not an object.", "Give a GeoJSON Point geometry.")
            )
        else:
            gtype = geometry.get("type")
            coords = geometry.get("coordinates")
            if gtype == "MultiPoint" and isinstance(coords, list) and len(coords) == 1:
                coords = coords[0]
                found.append(
                    Issue(i, fid, "geometry", "A MultiPoint of one point was read as a Point.",
                          "Use a Point geometry for a single location.", "warning")
                )  # fmt: skip
                gtype = "Point"
            if gtype != "Point":
                found.append(
                    Issue(i, fid, "geometry", f"The geometry is a {gtype}; an incident report is a Point.",
                          "Give the incident's location as one Point (its centre, if it was an area or a route).")
                )  # fmt: skip
            else:
                x, y, problem, z = _position(coords)
                had_z |= z
                if problem:
                    found.append(Issue(i, fid, "geometry", f"The Point is unusable: {problem}.",
                                       "Write coordinates as [lon, lat] numbers in decimal degrees."))  # fmt: skip
                else:
                    # Ranges are checked after any reprojection from a legacy 'crs' member.
                    lon[i], lat[i] = x, y
        props_out.append(props)
        ids.append(fid)
        issues.append(found)
    return Structure(props_out, ids, lon, lat, issues, had_z)
