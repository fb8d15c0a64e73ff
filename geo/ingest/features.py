"""The structural pass over features: is each a Feature with a usable Point and a properties object."""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from geo.ingest.columns import show_value
from geo.ingest.geojson import GEOMETRY_TYPES, json_type
from geo.ingest.result import Issue

POINT_FIX = 'Give the location as {"type": "Point", "coordinates": [lon, lat]} in decimal degrees.'
_NUMBER = (int, float)
_EMPTY: dict[str, Any] = {}


@dataclass
class Structure:
    """What the structural pass found, one entry per feature in file order.

    ``lon`` and ``lat`` are NaN where no usable Point was found; ``issues`` maps a row to its
    issues (rows without any are absent).
    """

    props: list[dict[str, Any]]
    feature_ids: list[str | None]
    lon: np.ndarray
    lat: np.ndarray
    issues: dict[int, list[Issue]]
    had_z: bool


def _label(value: Any) -> str | None:
    usable = isinstance(value, str | int | float) and not isinstance(value, bool) and value != ""
    return str(value) if usable else None


def _position(coords: Any) -> tuple[float, float, str | None]:
    """Return lon, lat and a problem (or None) for a Point's coordinates (a third value is dropped)."""
    if not isinstance(coords, list):
        return math.nan, math.nan, f"its coordinates are a JSON {json_type(coords)}, not an array [lon, lat]"
    if any(isinstance(c, list) for c in coords):
        return math.nan, math.nan, "its coordinates are nested arrays; a Point's position is one [lon, lat]"
    if len(coords) < 2:
        return math.nan, math.nan, f"its coordinates have {len(coords)} value(s); a position needs [lon, lat]"
    for c in coords:
        if not isinstance(c, _NUMBER) or isinstance(c, bool):
            shown = "" if c is None else f" {_short(repr(c))}"
            return math.nan, math.nan, f"its coordinates hold the JSON {json_type(c)}{shown}, not a number"
        if not math.isfinite(_to_float(c)):
            what = "a number too large for a coordinate" if isinstance(c, int) else "NaN or Infinity"
            return math.nan, math.nan, f"its coordinates hold {what} ({show_value(c)}), not a finite number"
    return float(coords[0]), float(coords[1]), None


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _to_float(value: int | float) -> float:
    """A coordinate as a float; an integer beyond a float's range (Python's reader keeps them) is inf."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _positions(coords: list[Any], rows: list[int]) -> np.ndarray:
    """The [lon, lat] of the given rows as an (n, 2) float array; a too-large integer becomes inf."""
    try:
        return np.array([coords[r][:2] for r in rows], dtype=float).reshape(-1, 2)
    except OverflowError:
        return np.array([[_to_float(v) for v in coords[r][:2]] for r in rows], dtype=float).reshape(-1, 2)


def _not_a_feature(i: int, feature: Any) -> Issue:
    kind = feature.get("type") if isinstance(feature, dict) else None
    if not isinstance(feature, dict):
        problem = f"The item is a JSON {json_type(feature)}: it is not a Feature object."
    elif kind is not None and not isinstance(kind, str):
        problem = f"The item's 'type' member is the JSON {json_type(kind)} {show_value(kind)}, not the string 'Feature'."
    elif kind in GEOMETRY_TYPES:
        problem = f"The item is a bare {kind} geometry: it is not a Feature with properties."
    else:
        close = difflib.get_close_matches(str(kind), ["Feature"], n=1, cutoff=0.6)
        hint = " (did you mean 'Feature'?)" if close else ""
        problem = f"The item is not a Feature: its type is {kind!r}{hint}."
    fix = (
        'Give every item of "features" the form {"type": "Feature", "geometry": {...}, "properties": {...}}.'
    )
    return Issue(i, None, None, problem, fix)


def _unknown_geometry(geometry: dict[str, Any]) -> str:
    """Say what a geometry's 'type' member holds when it names no GeoJSON geometry type."""
    if "type" not in geometry:
        return "The geometry has no 'type' member; a report's location is a Point."
    gtype = geometry["type"]
    if not isinstance(gtype, str):
        return f"The geometry's 'type' member is the JSON {json_type(gtype)} {show_value(gtype)}, not the string 'Point'."
    close = difflib.get_close_matches(gtype, sorted(GEOMETRY_TYPES), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"The geometry's type {show_value(gtype)} is not a GeoJSON geometry type{hint}."


def _inspect(i: int, feature: Any) -> tuple[dict[str, Any], str | None, float, float, bool, list[Issue]]:
    """Examine one feature that the fast path could not take, and say what is wrong with it."""
    found: list[Issue] = []
    obj = feature if isinstance(feature, dict) else _EMPTY
    if obj.get("type") != "Feature":
        found.append(_not_a_feature(i, feature))
    raw = obj.get("properties")
    props: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if (
        isinstance(feature, dict)
        and not isinstance(raw, dict)
        and (raw is not None or "properties" not in obj)
    ):
        what = "missing" if "properties" not in obj else f"a JSON {json_type(raw)}"
        found.append(
            Issue(i, None, "properties", f"The 'properties' member is {what}, not an object.",
                  'Give the report\'s fields as an object: "properties": {"id": ..., "source": ...}.')
        )  # fmt: skip
    own_id = obj.get("id")
    if own_id is not None and _label(own_id) is None:
        found.append(
            Issue(i, None, "id", f"The Feature's own 'id' member is a JSON {json_type(own_id)}; it was ignored.",
                  "RFC 7946 allows a string or a number there; give the report id in properties.id.", "warning")
        )  # fmt: skip
        own_id = None
    fid = _label(props.get("id"))
    if props.get("id") in (None, "") and _label(own_id) is not None:
        fid = _label(own_id)
        props = {**props, "id": own_id}
        found.append(
            Issue(i, fid, "id", "properties.id is missing; the Feature's own 'id' member was used.",
                  "Give the report id inside properties.", "warning")
        )  # fmt: skip
    found = [Issue(x.index, fid, x.field, x.problem, x.fix, x.severity) for x in found]
    lon = lat = math.nan
    had_z = False
    geometry = obj.get("geometry")
    if geometry is None:
        missing = "null" if "geometry" in obj else "missing"
        found.append(
            Issue(i, fid, "geometry", f"The geometry is {missing}; a report needs a location.", POINT_FIX)
        )
    elif not isinstance(geometry, dict):
        found.append(Issue(i, fid, "geometry", f"The geometry is a JSON {json_type(geometry)}, not an object.", POINT_FIX))  # fmt: skip
    else:
        gtype, coords = geometry.get("type"), geometry.get("coordinates")
        if gtype == "MultiPoint" and isinstance(coords, list) and len(coords) == 1:
            coords, gtype = coords[0], "Point"
            found.append(
                Issue(i, fid, "geometry", "A MultiPoint of one point was read as a Point.",
                      "Use a Point geometry for a single location.", "warning")
            )  # fmt: skip
        if gtype != "Point" and not (isinstance(gtype, str) and gtype in GEOMETRY_TYPES):
            found.append(Issue(i, fid, "geometry", _unknown_geometry(geometry), POINT_FIX))
        elif gtype != "Point":
            more = f" of {len(coords)} points" if gtype == "MultiPoint" and isinstance(coords, list) else ""
            found.append(
                Issue(i, fid, "geometry", f"The geometry is a {gtype}{more}; an incident report is one Point.",
                      "Give each incident its own Feature with one Point (the centre of an area or a route).")
            )  # fmt: skip
        elif "coordinates" not in geometry:
            found.append(Issue(i, fid, "geometry", "The Point has no 'coordinates' member.", POINT_FIX))
        else:
            lon, lat, problem = _position(coords)
            had_z = problem is None and len(coords) > 2
            if problem:
                found.append(Issue(i, fid, "geometry", f"The Point is unusable: {problem}.", POINT_FIX))
    return props, fid, lon, lat, had_z, found


def check_features(
    features: list[Any],
    *,
    duplicates: dict[int, list[str]] | None = None,
    nonfinite: dict[int, list[str]] | None = None,
) -> Structure:
    """Check the GeoJSON structure of every feature.

    Most features are well formed, so a fast pass of list comprehensions takes every Feature whose
    Point holds two or three plain numbers and whose properties carry an id; only the others are
    examined one by one, to say what is wrong with them. The field checks that follow are
    vectorised (:mod:`geo.ingest.validate`).

    Parameters
    ----------
    features
        Parsed features in file order.
    duplicates, nonfinite
        Per feature, member names given twice and paths of NaN or Infinity values (from the parser).
    """
    n = len(features)
    objs = [f if isinstance(f, dict) else _EMPTY for f in features]
    raw_props = [f.get("properties") for f in objs]
    props = [p if isinstance(p, dict) else _EMPTY for p in raw_props]
    geoms = [f.get("geometry") for f in objs]
    coords = [g.get("coordinates") if isinstance(g, dict) else None for g in geoms]
    fast = np.fromiter(
        (
            f.get("type") == "Feature"
            and isinstance(p, dict)
            and isinstance(g, dict)
            and g.get("type") == "Point"
            and isinstance(c, list)
            and 2 <= len(c) <= 3
            and all(type(v) in _NUMBER for v in c)
            and _label(p.get("id")) is not None
            and (f.get("id") is None or _label(f.get("id")) is not None)
            for f, p, g, c in zip(objs, raw_props, geoms, coords, strict=True)
        ),
        dtype=bool,
        count=n,
    )
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    rows = np.flatnonzero(fast)
    if len(rows):
        xy = _positions(coords, rows.tolist())
        finite = np.isfinite(xy).all(axis=1)
        lon[rows[finite]], lat[rows[finite]] = xy[finite, 0], xy[finite, 1]
        fast[rows[~finite]] = False
    had_z = any(len(coords[r]) > 2 for r in np.flatnonzero(fast).tolist())
    ids = [_label(p.get("id")) for p in props]
    issues: dict[int, list[Issue]] = {}
    for i in np.flatnonzero(~fast).tolist():
        props[i], ids[i], lon[i], lat[i], z, found = _inspect(i, features[i])
        had_z |= z
        if found:
            issues[i] = found
    for i, names in (duplicates or {}).items():
        for name in names:
            field = name.removeprefix("properties.") if name.startswith("properties.") else None
            issues.setdefault(i, []).append(
                Issue(i, ids[i], field, f"The member '{name}' is given twice, so its value is ambiguous.",
                      "Give each member once per object; remove the copy that is wrong.")
            )  # fmt: skip
    for i, paths in (nonfinite or {}).items():
        for path in paths:
            if path.startswith("geometry.coordinates"):
                continue  # the Point's own check names it
            field = path.split(".")[1] if path.startswith("properties.") else path
            issues.setdefault(i, []).append(
                Issue(i, ids[i], field, f"The value at '{path}' is NaN or Infinity (or a number too large to hold, such as 1e400), which JSON does not allow.",
                      "Write null for an unknown value, or give the number.")
            )  # fmt: skip
    return Structure(props, ids, lon, lat, issues, bool(had_z))
