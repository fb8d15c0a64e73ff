"""TopoJSON to GeoJSON: quantized, delta-encoded arcs stitched into the geometries that name them."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from geo.errors import InputError

Topology = dict[str, Any]


def decode_arcs(topology: Topology) -> list[np.ndarray]:
    """Return every arc of ``topology`` as an ``(n, 2)`` array of absolute coordinates.

    A quantized topology (one with a ``transform``) stores each arc's first position as integers
    and the others as differences from the previous one; a cumulative sum and the transform's
    ``scale`` and ``translate`` give the coordinates. Without a transform the arcs are absolute.

    Parameters
    ----------
    topology
        A TopoJSON ``Topology`` object (RFC-like specification of topojson/topojson-specification).

    Returns
    -------
    list of numpy.ndarray
        One array per arc, in the topology's order (arc ``i`` is item ``i``).
    """
    if topology.get("type") != "Topology" or not isinstance(topology.get("arcs"), list):
        msg = f"Not a TopoJSON topology (type {topology.get('type')!r}, arcs {type(topology.get('arcs')).__name__})."
        raise InputError(
            msg, hint="Pass the parsed JSON of a TopoJSON file (world-atlas countries-50m.json)."
        )
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        xy = np.asarray(arc, dtype=float).reshape(-1, 2) if arc else np.empty((0, 2))
        if transform is not None:
            xy = np.cumsum(xy, axis=0) * np.asarray(transform["scale"], float) + np.asarray(
                transform["translate"], float
            )
        arcs.append(xy)
    return arcs


def _point(topology: Topology, position: list[float]) -> list[float]:
    transform = topology.get("transform")
    if transform is None:
        return [float(v) for v in position[:2]]
    (kx, ky), (dx, dy) = transform["scale"], transform["translate"]
    return [position[0] * kx + dx, position[1] * ky + dy]


def _line(arcs: list[np.ndarray], indices: list[int]) -> np.ndarray:
    """Stitch arcs into one line: a negative index ``~i`` is arc ``i`` reversed; shared ends kept once."""
    parts = []
    for k, index in enumerate(indices):
        xy = arcs[index] if index >= 0 else arcs[~index][::-1]
        parts.append(xy if k == 0 else xy[1:])
    return np.vstack(parts) if parts else np.empty((0, 2))


def _coordinates(line: np.ndarray) -> list[list[float]]:
    return line.tolist()


def _rings(arcs: list[np.ndarray], indices: list[list[int]]) -> list[list[list[float]]]:
    """A polygon's rings; a ring that quantization collapsed (under 4 positions) is left out, and a
    polygon whose exterior collapsed is empty (topojson-client keeps them; GeoJSON forbids them)."""
    rings = [_line(arcs, ring) for ring in indices]
    if not rings or len(rings[0]) < 4:
        return []
    return [_coordinates(ring) for ring in rings if len(ring) >= 4]


def geometry(topology: Topology, obj: dict[str, Any], arcs: list[np.ndarray] | None = None) -> dict | None:
    """Return one TopoJSON geometry object as a GeoJSON geometry (None for a null geometry)."""
    arcs = decode_arcs(topology) if arcs is None else arcs
    kind = obj.get("type")
    if kind is None:
        return None
    if kind == "Point":
        return {"type": "Point", "coordinates": _point(topology, obj["coordinates"])}
    if kind == "MultiPoint":
        return {"type": "MultiPoint", "coordinates": [_point(topology, p) for p in obj["coordinates"]]}
    if kind == "LineString":
        return {"type": "LineString", "coordinates": _coordinates(_line(arcs, obj["arcs"]))}
    if kind == "MultiLineString":
        return {"type": kind, "coordinates": [_coordinates(_line(arcs, part)) for part in obj["arcs"]]}
    if kind == "Polygon":
        rings = _rings(arcs, obj["arcs"])
        return {"type": kind, "coordinates": rings} if rings else None
    if kind == "MultiPolygon":
        polygons = [rings for rings in (_rings(arcs, polygon) for polygon in obj["arcs"]) if rings]
        return {"type": kind, "coordinates": polygons} if polygons else None
    if kind == "GeometryCollection":
        return {
            "type": kind,
            "geometries": [
                g for g in (geometry(topology, o, arcs) for o in obj["geometries"]) if g is not None
            ],
        }
    msg = f"Unknown TopoJSON geometry type {kind!r}."
    raise InputError(msg, hint="Use a topology of Point, LineString, Polygon (Multi-) or GeometryCollection.")


def _object(topology: Topology, name: str) -> dict[str, Any]:
    objects = topology.get("objects") or {}
    if name not in objects:
        msg = f"The topology has no object {name!r} (it has {sorted(objects)})."
        raise InputError(msg, hint="Name one of the topology's objects (world-atlas: 'countries' or 'land').")
    return objects[name]


def feature_collection(topology: Topology, name: str) -> dict[str, Any]:
    """Return the object ``name`` of ``topology`` as a GeoJSON FeatureCollection.

    Each member of a GeometryCollection becomes a Feature with its ``properties`` (empty when
    absent) and its ``id`` when it has one.

    Examples
    --------
    >>> topo = {"type": "Topology", "objects": {"a": {"type": "LineString", "arcs": [0]}},
    ...         "arcs": [[[0, 0], [1, 1]]]}
    >>> feature_collection(topo, "a")["features"][0]["geometry"]
    {'type': 'LineString', 'coordinates': [[0.0, 0.0], [1.0, 1.0]]}
    """
    obj = _object(topology, name)
    arcs = decode_arcs(topology)
    members = obj["geometries"] if obj.get("type") == "GeometryCollection" else [obj]
    features = []
    for member in members:
        feature: dict[str, Any] = {"type": "Feature"}
        if "id" in member:
            feature["id"] = member["id"]
        feature["properties"] = dict(member.get("properties") or {})
        feature["geometry"] = geometry(topology, member, arcs)
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def _arc_indices(obj: dict[str, Any]) -> list[int]:
    """Every arc index a (multi)polygon or (multi)line geometry uses, with repeats."""

    def flatten(value: Any) -> list[int]:
        if isinstance(value, int):
            return [value]
        return [i for item in value for i in flatten(item)]

    return flatten(obj.get("arcs", []))


def interior_mesh(topology: Topology, name: str) -> dict[str, Any]:
    """Return the arcs that two geometries of object ``name`` share, as one MultiLineString.

    These are the boundaries between neighbours (oblast against oblast), drawn once, without the
    outer border: topojson-client's ``mesh(topology, object, (a, b) => a !== b)``.
    """
    obj = _object(topology, name)
    arcs = decode_arcs(topology)
    members = obj["geometries"] if obj.get("type") == "GeometryCollection" else [obj]
    users: Counter[int] = Counter()
    for member in members:
        for index in set(i if i >= 0 else ~i for i in _arc_indices(member)):
            users[index] += 1
    shared = sorted(i for i, n in users.items() if n >= 2)
    return {"type": "MultiLineString", "coordinates": [_coordinates(arcs[i]) for i in shared]}
