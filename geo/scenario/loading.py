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
from geo.scenario.versions import version_at
from geo.settings import SCENARIO_DIR
from geo.utc import to_utc

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
        One row per side and version: ``side`` (``UA``, ``RU``), ``version``, ``valid_from`` (UTC);
        the parts of a side in the file (occupied ground and the state's own) joined into one.
    zones
        ``zone_id``, ``kind`` (see :data:`ZONE_KINDS`), ``name``.
    posts
        Observation posts: ``post_id``, ``name``, ``range_m`` (and ``side`` when the file gives it).
    ground
        The control areas as the file draws them, one row per feature, with ``kind`` (``state``:
        a state's own ground; ``occupied``: ground held by another; empty when the file does not
        say); None when made without a file (then :attr:`control_areas` is drawn).
    """

    lines: gpd.GeoDataFrame
    control_areas: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    posts: gpd.GeoDataFrame
    ground: gpd.GeoDataFrame | None = None

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
    """Read one scenario file of ``kind`` (a key of :data:`FILES`) from ``path``.

    Messages name ``path`` as given (a file the user passed, or the scenario folder's).
    """
    geom_types, required = FILES[kind]
    if not path.is_file():
        msg = f"The scenario file {path} is missing."
        raise InputError(msg, hint="Regenerate the demo scenario with `python -m geo.demo scenario`.")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        msg = f"The scenario file {path} is not valid JSON ({str(exc)[:120]})."
        raise InputError(msg, hint="Fix the file or regenerate it.") from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list) or not features or doc.get("type") != "FeatureCollection":
        msg = f"The scenario file {path} is not a GeoJSON FeatureCollection with features."
        raise InputError(msg, hint="Write it as a FeatureCollection (RFC 7946).")
    for i, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        missing = [name for name in required if props.get(name) in (None, "")]
        if missing:
            msg = f"Feature {i} of {path} has no {', '.join(repr(m) for m in missing)}."
            raise InputError(msg, hint=f"Every feature of {kind} needs {', '.join(required)}.")
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        gtype = geometry.get("type") if isinstance(geometry, dict) else None
        if not isinstance(gtype, str) or gtype not in geom_types:
            msg = f"Feature {i} of {path} has geometry {gtype!r:.60}."
            raise InputError(msg, hint=f"Use {' or '.join(geom_types)} geometry.")
    try:
        frame = gpd.GeoDataFrame.from_features(features, crs=4326)
    except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException) as exc:
        msg = f"The geometries of {path} cannot be read ({str(exc)[:120]})."
        raise InputError(msg, hint="Give coordinates as [longitude, latitude] numbers (RFC 7946).") from None
    invalid = ~frame.geometry.is_valid.to_numpy()
    if invalid.any():
        i = int(np.flatnonzero(invalid)[0])
        reason = shapely.is_valid_reason(frame.geometry.iloc[i])
        msg = f"Feature {i} of {path} has an invalid geometry ({reason})."
        raise InputError(msg, hint="Repair it (for example with shapely.make_valid) or regenerate the file.")
    if kind == "contact_line.geojson":
        crossing = ~frame.geometry.is_simple.to_numpy()
        if crossing.any():
            i = int(np.flatnonzero(crossing)[0])
            version = frame["version"].iloc[i]
            msg = f"Line version {version!r} (feature {i}) of {path} crosses itself."
            raise InputError(
                msg, hint="A contact line divides two sides: redraw it so that it never crosses itself."
            )
    return frame


def _check_values(
    frame: gpd.GeoDataFrame, column: str, allowed: tuple[str, ...], *, file: Path | str
) -> None:
    bad = ~frame[column].isin(allowed)
    if bad.any():
        value = frame.loc[bad, column].iloc[0]
        msg = f"{file} has {column} {value!r}."
        raise InputError(msg, hint=f"Use one of {', '.join(allowed)}.")


def _valid_from(frame: gpd.GeoDataFrame, *, file: Path | str) -> gpd.GeoDataFrame:
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
    line_file, area_file = paths["contact_line.geojson"], paths["control_areas.geojson"]
    zone_file, post_file = paths["zones.geojson"], paths["posts.geojson"]
    lines = _valid_from(_read(line_file, "contact_line.geojson"), file=line_file)
    areas = _valid_from(_read(area_file, "control_areas.geojson"), file=area_file)
    zones = _read(zone_file, "zones.geojson")
    posts = _read(post_file, "posts.geojson")
    if lines["version"].duplicated().any():
        version = lines.loc[lines["version"].duplicated(), "version"].iloc[0]
        msg = f"{line_file} has version {version!r} twice."
        raise InputError(msg, hint="Give each line version one feature (use a MultiLineString for gaps).")
    _check_values(areas, "side", SIDES, file=area_file)
    _check_values(zones, "kind", ZONE_KINDS, file=zone_file)
    unknown = sorted(set(areas["version"]) - set(lines["version"]))
    if unknown:
        msg = f"{area_file} names line version(s) {', '.join(unknown)} that {line_file} lacks."
        raise InputError(msg, hint=f"Give every control area the version of a line in {line_file}.")
    bare = sorted(set(lines["version"]) - set(areas["version"]))
    if bare:
        msg = f"{line_file} has line version(s) {', '.join(bare)} with no control areas in {area_file}."
        raise InputError(msg, hint="Give each line version the two sides' control areas of that version.")
    range_m = pd.to_numeric(posts["range_m"], errors="coerce")
    if range_m.isna().any() or (range_m <= 0).any():
        value = posts.loc[range_m.isna() | (range_m <= 0), "range_m"].iloc[0]
        msg = f"{post_file} has range_m {value!r}."
        raise InputError(msg, hint="Give each post's observation range as a positive number of metres.")
    posts["range_m"] = range_m.astype(float)
    lines = lines.sort_values("valid_from", kind="stable").reset_index(drop=True)
    areas = areas.sort_values(["valid_from", "side"], kind="stable").reset_index(drop=True)
    ground = areas.assign(kind=areas["kind"].fillna("").astype(str) if "kind" in areas else "")
    scenario = Scenario(
        lines=lines, control_areas=_one_per_side(areas), zones=zones, posts=posts, ground=ground
    )
    if overrides:
        check_fit(scenario, paths, overridden=set(overrides))
    return scenario


def _one_per_side(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Join the features of each version and side (occupied ground and the state's own) into one row."""
    if not areas.duplicated(["version", "side"]).any():
        return areas
    keys = areas[["version", "side"]].drop_duplicates()
    rows = [
        (areas["version"] == version).to_numpy() & (areas["side"] == side).to_numpy()
        for version, side in keys.itertuples(index=False)
    ]
    # One union per version and side (a handful): parts built from one topology share their edges.
    geoms = [
        shapely.orient_polygons(shapely.union_all(areas.geometry.to_numpy()[mask]), exterior_cw=False)
        for mask in rows
    ]
    first = areas.loc[~areas.duplicated(["version", "side"])].drop(columns="kind", errors="ignore")
    return gpd.GeoDataFrame(first.drop(columns="geometry"), geometry=geoms, crs=areas.crs).reset_index(
        drop=True
    )


# How far apart the parts of one theatre may lie (metres), for the fit of a partial override.
FIT_BOUNDARY_M = 5_000.0  # a line from its sides' shared boundary (median over the line)
FIT_FEATURE_M = 100_000.0  # a zone or post from the line (designated ranges lie tens of km behind it)


def check_fit(scenario: Scenario, paths: dict[str, Path], *, overridden: set[str]) -> None:
    """Refuse a scenario mixed from files that do not describe one theatre.

    When a user passes some scenario files of their own and the rest come from a scenario folder,
    the two must fit, or the analysis would measure one theatre against another's zones (the
    demo's Kherson zones around a Donbas line): each line version runs along its control areas'
    shared boundary (median distance at most :data:`FIT_BOUNDARY_M`), and every zone and post lies
    within :data:`FIT_FEATURE_M` of a line version. The message names the files as passed.

    Raises
    ------
    InputError
        Naming the file that does not fit, the one it was measured against, and the distance.
    """
    from geo.crs import centre_of, theatre_crs

    crs = theatre_crs(*centre_of(scenario.lines))
    line_file, area_file = paths["contact_line.geojson"], paths["control_areas.geojson"]
    lines = scenario.lines.to_crs(crs)
    areas = scenario.control_areas.to_crs(crs)
    if {"contact_line.geojson", "control_areas.geojson"} & overridden:
        for version, line in zip(lines["version"], lines.geometry, strict=True):
            sides = areas[areas["version"] == version]
            edges = [
                shapely.boundary(shapely.union_all(sides.loc[sides["side"] == s].geometry.to_numpy()))
                for s in SIDES
            ]
            along = shapely.line_interpolate_point(line, np.linspace(0, 1, 101), normalized=True)
            # The line runs along both sides' edges (with a grey zone between them, within its width).
            off = np.fmax(shapely.distance(along, edges[0]), shapely.distance(along, edges[1]))
            apart = float(np.nanmedian(off)) if np.isfinite(off).any() else np.inf
            if apart > FIT_BOUNDARY_M:
                msg = (
                    f"Line version {version!r} of {line_file} does not run along the boundary of the control areas "
                    f"of {area_file} (median {apart / 1000:,.0f} km away): they describe different lines."
                )
                raise InputError(msg, hint=_FIT_HINT)
    near = shapely.buffer(shapely.union_all(lines.geometry.to_numpy()), FIT_FEATURE_M)
    for name, frame, key in (
        ("zones.geojson", scenario.zones, "zone_id"),
        ("posts.geojson", scenario.posts, "post_id"),
    ):
        if not ({name, "contact_line.geojson"} & overridden) or frame.empty:
            continue
        far = ~shapely.intersects(near, frame.to_crs(crs).geometry.to_numpy())
        if far.any():
            which = frame[key].astype(str).iloc[int(np.flatnonzero(far)[0])]
            msg = (
                f"{int(far.sum())} of the {len(frame)} features of {paths[name]} (first: {which!r}) lie more than "
                f"{FIT_FEATURE_M / 1000:,.0f} km from every line version of {line_file}: they belong to another theatre."
            )
            raise InputError(msg, hint=_FIT_HINT)


_FIT_HINT = (
    "Pass the whole scenario of that theatre with --scenario DIR (contact_line, control_areas, zones, posts and "
    "optionally sectors .geojson), or each file that belongs with your line (--control, --zones, --posts)."
)
