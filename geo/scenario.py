"""Load the scenario: contact line versions, control areas, zones and observation posts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError
from geo.settings import SCENARIO_DIR
from geo.utc import to_utc
from geo.versions import version_at

SIDES: tuple[str, ...] = ("UA", "RU")
# designated_range: a range or site where the agreement permits live fire (training, demolition).
ZONE_KINDS: tuple[str, ...] = (
    "security_zone",
    "disengagement_area",
    "op_coverage",
    "protected_site",
    "designated_range",
)

# file name -> (geometry types allowed, properties every feature must carry)
FILES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "contact_line.geojson": (("LineString", "MultiLineString"), ("version", "valid_from", "name")),
    "control_areas.geojson": (("Polygon", "MultiPolygon"), ("side", "version", "valid_from")),
    "zones.geojson": (("Polygon", "MultiPolygon"), ("zone_id", "kind", "name")),
    "posts.geojson": (("Point",), ("post_id", "name", "range_m")),
}


@dataclass(frozen=True)
class Scenario:
    """The geography reports are measured against; every frame is EPSG:4326.

    Attributes
    ----------
    lines
        One row per contact line version: ``version``, ``valid_from`` (UTC), ``name``.
    control_areas
        One row per side and version: ``side`` (``UA``, ``RU``), ``version``, ``valid_from`` (UTC).
    zones
        ``zone_id``, ``kind`` (see :data:`ZONE_KINDS`), ``name``.
    posts
        Observation posts: ``post_id``, ``name``, ``range_m`` (and ``side`` when the file gives it).
    """

    lines: gpd.GeoDataFrame
    control_areas: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    posts: gpd.GeoDataFrame

    def version_at(self, t: Any) -> str:
        """Return the label of the line version in force at ``t`` (ISO text or timestamp, UTC if naive)."""
        ts = to_utc(t, what="The time")
        label = version_at(pd.Series([ts]), self.lines["valid_from"], self.lines["version"])[0]
        if label is None:
            first = self.lines["valid_from"].min().isoformat()
            msg = f"No contact line version is in force at {ts.isoformat()}; the first starts at {first}."
            raise InputError(msg, hint="Add an earlier line version or choose a later time.")
        return str(label)

    def line_at(self, t: Any) -> shapely.Geometry:
        """Return the contact line (a shapely geometry, lon/lat) in force at ``t``."""
        version = self.version_at(t)
        return self.lines.loc[self.lines["version"] == version].geometry.iloc[0]

    def control_at(self, t: Any) -> gpd.GeoDataFrame:
        """Return the control areas in force at ``t``: one row per side, indexed by ``side``."""
        version = self.version_at(t)
        areas = self.control_areas.loc[self.control_areas["version"] == version]
        return areas.set_index("side", drop=False).rename_axis(None)


def _read(path: Path, kind: str) -> gpd.GeoDataFrame:
    """Read one scenario file of ``kind`` (a key of :data:`FILES`) from ``path``."""
    geom_types, required = FILES[kind]
    if not path.is_file():
        msg = f"The scenario file {path} is missing."
        raise InputError(msg, hint="Regenerate the demo scenario with `python -m geo.demo scenario`.")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        msg = f"The scenario file {path.name} is not valid JSON ({exc})."
        raise InputError(msg, hint="Fix the file or regenerate it.") from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list) or not features or doc.get("type") != "FeatureCollection":
        msg = f"The scenario file {path.name} is not a GeoJSON FeatureCollection with features."
        raise InputError(msg, hint="Write it as a FeatureCollection (RFC 7946).")
    for i, feature in enumerate(features):
        props = feature.get("properties") or {}
        missing = [name for name in required if props.get(name) in (None, "")]
        if missing:
            msg = f"Feature {i} of {path.name} has no {', '.join(repr(m) for m in missing)}."
            raise InputError(msg, hint=f"Every feature of {path.name} needs {', '.join(required)}.")
        gtype = (feature.get("geometry") or {}).get("type")
        if gtype not in geom_types:
            msg = f"Feature {i} of {path.name} has geometry {gtype!r}."
            raise InputError(msg, hint=f"Use {' or '.join(geom_types)} geometry.")
    frame = gpd.GeoDataFrame.from_features(features, crs=4326)
    invalid = ~frame.geometry.is_valid.to_numpy()
    if invalid.any():
        i = int(np.flatnonzero(invalid)[0])
        reason = shapely.is_valid_reason(frame.geometry.iloc[i])
        msg = f"Feature {i} of {path.name} has an invalid geometry ({reason})."
        raise InputError(msg, hint="Repair it (for example with shapely.make_valid) or regenerate the file.")
    return frame


def _check_values(frame: gpd.GeoDataFrame, column: str, allowed: tuple[str, ...], *, file: str) -> None:
    bad = ~frame[column].isin(allowed)
    if bad.any():
        value = frame.loc[bad, column].iloc[0]
        msg = f"{file} has {column} {value!r}."
        raise InputError(msg, hint=f"Use one of {', '.join(allowed)}.")


def _valid_from(frame: gpd.GeoDataFrame, *, file: str) -> gpd.GeoDataFrame:
    frame = frame.copy()
    frame["valid_from"] = pd.to_datetime(
        pd.Series([to_utc(v, what=f"valid_from in {file}") for v in frame["valid_from"]], dtype=object),
        utc=True,
    ).dt.as_unit("ns")
    frame["version"] = frame["version"].astype(str)
    return frame


def load_scenario(directory: Path = SCENARIO_DIR, *, overrides: dict[str, Path] | None = None) -> Scenario:
    """Read and check the four scenario files in ``directory``.

    Parameters
    ----------
    directory
        Folder holding ``contact_line.geojson``, ``control_areas.geojson``, ``zones.geojson`` and
        ``posts.geojson`` (see docs/ARCHITECTURE.md, "Scenario files").
    overrides
        Files to read instead of those in ``directory``, by their standard name (for example
        ``{"zones.geojson": Path("my_zones.geojson")}``); the checks are the same.

    Returns
    -------
    Scenario
        Frames in EPSG:4326 with ``valid_from`` as UTC timestamps.

    Raises
    ------
    InputError
        When a file is missing or unreadable, a feature lacks a property, has the wrong geometry
        type or an invalid geometry, or the control areas name a version the line does not have.
    """
    unknown_files = sorted(set(overrides or {}) - set(FILES))
    if unknown_files:
        msg = f"Unknown scenario file name(s) {', '.join(unknown_files)}."
        raise InputError(msg, hint=f"Override one of {', '.join(FILES)}.")
    paths = {name: Path(directory) / name for name in FILES} | {
        k: Path(v) for k, v in (overrides or {}).items()
    }
    lines = _valid_from(
        _read(paths["contact_line.geojson"], "contact_line.geojson"), file="contact_line.geojson"
    )
    areas = _valid_from(
        _read(paths["control_areas.geojson"], "control_areas.geojson"), file="control_areas.geojson"
    )
    zones = _read(paths["zones.geojson"], "zones.geojson")
    posts = _read(paths["posts.geojson"], "posts.geojson")
    if lines["version"].duplicated().any():
        version = lines.loc[lines["version"].duplicated(), "version"].iloc[0]
        msg = f"contact_line.geojson has version {version!r} twice."
        raise InputError(msg, hint="Give each line version one feature (use a MultiLineString for gaps).")
    _check_values(areas, "side", SIDES, file="control_areas.geojson")
    _check_values(zones, "kind", ZONE_KINDS, file="zones.geojson")
    unknown = sorted(set(areas["version"]) - set(lines["version"]))
    if unknown:
        msg = f"control_areas.geojson names line version(s) {', '.join(unknown)} that contact_line.geojson lacks."
        raise InputError(msg, hint="Give every control area the version of a line in contact_line.geojson.")
    range_m = pd.to_numeric(posts["range_m"], errors="coerce")
    if range_m.isna().any() or (range_m <= 0).any():
        value = posts.loc[range_m.isna() | (range_m <= 0), "range_m"].iloc[0]
        msg = f"posts.geojson has range_m {value!r}."
        raise InputError(msg, hint="Give each post's observation range as a positive number of metres.")
    posts["range_m"] = range_m.astype(float)
    lines = lines.sort_values("valid_from", kind="stable").reset_index(drop=True)
    areas = areas.sort_values(["valid_from", "side"], kind="stable").reset_index(drop=True)
    return Scenario(lines=lines, control_areas=areas, zones=zones, posts=posts)
