"""Build the demo scenario files: contact line versions, control areas, zones, posts and sectors."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely import ops

from geo.borders import RUSSIA, UKRAINE, world_countries
from geo.demo.geography import (
    DESIGNATED_RANGES,
    DISENGAGEMENT_AREAS,
    DISENGAGEMENT_SIZE_M,
    FRONT,
    GEOD,
    KYIV,
    LINE_STEP_M,
    NORTH_EXTENSION,
    POSTS,
    PROTECTED_SITES,
    SECTORS,
    SECURITY_ZONE_HALF_WIDTH_M,
    SHIFT_M,
    SHIFT_SECTOR,
    SOUTH_EXTENSION,
    THEATRE_BOX,
    VERSIONS,
    Frame,
    round_geometry,
)
from geo.demo.geojson import frame_features, write_feature_collection
from geo.errors import InputError
from geo.settings import SCENARIO_DIR

# Natural Earth 1:10m countries as world-atlas packages them (Crimea part of Ukraine, geo.borders).
COUNTRIES_SCALE = "10m"
# Water narrower than twice this between Ukraine's shores (the lower Dnipro at Kherson, its delta)
# is Ukraine's ground for the split: internal waters, and the line runs down the river.
INLAND_WATER_M = 5_000.0


def _catmull_rom(xy: np.ndarray, step: float) -> np.ndarray:
    """Return a centripetal Catmull-Rom spline through ``xy`` sampled about every ``step`` metres."""
    pts = np.vstack([2 * xy[0] - xy[1], xy, 2 * xy[-1] - xy[-2]])
    out = []
    # One iteration per pair of towns (about 60): each segment has its own sample count.
    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        t1 = np.linalg.norm(p1 - p0) ** 0.5
        t2 = t1 + np.linalg.norm(p2 - p1) ** 0.5
        t3 = t2 + np.linalg.norm(p3 - p2) ** 0.5
        n = max(2, math.ceil(np.linalg.norm(p2 - p1) / step))
        t = np.linspace(t1, t2, n, endpoint=False)[:, None]
        a1 = (t1 - t) / t1 * p0 + t / t1 * p1
        a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
        a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
        b1 = (t2 - t) / t2 * a1 + t / t2 * a2
        b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
        out.append((t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2)
    out.append(xy[-1:])
    return np.vstack(out)


def _right_normals(xy: np.ndarray) -> np.ndarray:
    """Unit normals pointing to the right of a polyline's direction (towards Ukrainian-held ground)."""
    d = np.gradient(xy, axis=0)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    return np.column_stack([d[:, 1], -d[:, 0]])


def _shift_sector(xy: np.ndarray, s: np.ndarray, s0: float, s1: float, shift: float) -> np.ndarray:
    """Move the vertices between arc lengths ``s0`` and ``s1`` to the right, tapered smoothly to zero."""
    inside = (s > s0) & (s < s1)
    amount = np.where(inside, shift * np.sin(np.pi * (s - s0) / (s1 - s0)) ** 2, 0.0)
    return xy + _right_normals(xy) * amount[:, None]


def _line_versions(frame: Frame, ukraine: Any) -> dict[str, shapely.LineString]:
    xy = np.column_stack(frame.fwd.transform([p[1] for p in FRONT], [p[2] for p in FRONT]))
    smooth = shapely.LineString(_catmull_rom(xy, LINE_STEP_M))
    # The line starts where it crosses Ukraine's border (its first town lies just beyond it) and runs
    # on to the Dnipro's mouth, which the 1:10m coast leaves in the estuary's water.
    line = frame.to_lonlat(smooth)
    inside = line.intersection(ukraine)
    if inside.is_empty:
        msg = "The demo contact line does not enter Ukraine's outline."
        raise InputError(msg, hint="Move the FRONT points in geo/demo/geography.py inside Ukraine.")
    entry = min(line.project(shapely.Point(part.coords[0])) for part in getattr(inside, "geoms", [inside]))
    clipped = round_geometry(ops.substring(line, entry, line.length))
    v1 = frame.to_xy(clipped)
    coords = shapely.get_coordinates(v1)
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(coords, axis=0), axis=1))])
    names = [p[0] for p in FRONT]
    s0, s1 = (v1.project(frame.to_xy(shapely.Point(FRONT[names.index(n)][1:]))) for n in SHIFT_SECTOR)
    v2 = shapely.LineString(_shift_sector(coords, s, s0, s1, SHIFT_M))
    return {"v1": clipped, "v2": round_geometry(frame.to_lonlat(v2))}


def _with_inland_water(world: gpd.GeoDataFrame, theatre: Any, frame: Frame) -> Any:
    """Ukraine's land in the theatre with the water narrower than 2 x INLAND_WATER_M between its shores.

    At 1:10m the lower Dnipro, its delta and the lagoons are water, outside every country: the line
    runs down the river, and the two sides' ground must meet along it. Closing Ukraine's outline
    (outward then inward by ``INLAND_WATER_M``) fills that water and no other country's land.
    """
    land = world.loc[world["NAME"] == UKRAINE].union_all().intersection(theatre)
    others = world.loc[world["NAME"] != UKRAINE].union_all().intersection(theatre.buffer(1.0))
    xy = frame.to_xy(land)
    closed = frame.to_lonlat(xy.buffer(INLAND_WATER_M, quad_segs=4).buffer(-INLAND_WATER_M, quad_segs=4))
    water = closed.intersection(theatre).difference(land).difference(others)
    return round_geometry(shapely.make_valid(land.union(water)))


def _control_areas(line: Any, ukraine: Any, russia: Any) -> list[tuple[str, str, Any]]:
    """Ukraine split by the line (held, occupied) and Russia's ground: (side, kind, polygon) each.

    The line's ends are carried to the theatre box (north into Russia, south-west through the
    estuary and the sea), so the divider crosses Ukraine's border whatever its scale.
    """
    coords = shapely.get_coordinates(line)
    divider = shapely.LineString([*NORTH_EXTENSION, *coords, *SOUTH_EXTENSION])
    pieces = ops.split(shapely.box(*THEATRE_BOX), divider).geoms
    west = next(p for p in pieces if p.contains(shapely.Point(KYIV)))
    held = round_geometry(ukraine.intersection(west))
    occupied = round_geometry(ukraine.difference(held))
    parts = [("UA", "state", held), ("RU", "occupied", occupied), ("RU", "state", russia)]
    _check_cover(ukraine, held, occupied)
    return parts


def _check_cover(ukraine: Any, held: Any, occupied: Any) -> None:
    """Refuse a split that is invalid or does not cover Ukraine exactly once."""
    frame = Frame()
    u, h, o = (frame.to_xy(g) for g in (ukraine, held, occupied))
    problems = [name for name, g in (("held", held), ("occupied", occupied)) if not g.is_valid or g.is_empty]
    overlap = h.intersection(o).area
    # Snapping to 1e-6 degrees moves an edge by up to 0.1 m: along some 2,000 km of edges that is
    # at most 0.2 km² of slivers, against Ukraine's 600,000 km².
    missing = u.symmetric_difference(h.union(o)).area
    if problems or overlap > 1_000.0 or missing > 200_000.0:
        msg = (
            f"The contact line does not split Ukraine cleanly (invalid or empty: {problems or 'none'};"
            f" overlap {overlap:,.0f} m², not covered or beyond {missing:,.0f} m²)."
        )
        raise InputError(msg, hint="Check NORTH_EXTENSION and SOUTH_EXTENSION in geo/demo/geography.py.")


def _square(frame: Frame, lon: float, lat: float, width: float, height: float, angle: float = 0.0) -> Any:
    x, y = frame.fwd.transform(lon, lat)
    rect = shapely.box(-width / 2, -height / 2, width / 2, height / 2)
    c, s = math.cos(angle), math.sin(angle)
    rect = shapely.affinity.affine_transform(rect, [c, -s, s, c, x, y])
    return round_geometry(frame.to_lonlat(shapely.segmentize(rect, 500.0)))


def geodesic_circles(lon: np.ndarray, lat: np.ndarray, radius_m: np.ndarray, *, n: int = 72) -> np.ndarray:
    """Return polygons of the points at ``radius_m`` (geodesic) from each centre, counter-clockwise."""
    az = np.linspace(360.0, 0.0, n, endpoint=False)
    lons, lats, _ = GEOD.fwd(
        np.repeat(lon, n), np.repeat(lat, n), np.tile(az, len(lon)), np.repeat(radius_m, n)
    )
    rings = np.stack([lons, lats], axis=1).reshape(len(lon), n, 2)
    return shapely.polygons(np.concatenate([rings, rings[:, :1]], axis=1))


def _posts(frame: Frame, line: Any, areas: dict[str, Any]) -> gpd.GeoDataFrame:
    line_xy = frame.to_xy(line)
    anchors = shapely.points(*frame.fwd.transform([p[2] for p in POSTS], [p[3] for p in POSTS]))
    s = shapely.line_locate_point(line_xy, anchors)
    base = shapely.get_coordinates(shapely.line_interpolate_point(line_xy, s))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(line_xy, s + 500.0))
    behind = shapely.get_coordinates(shapely.line_interpolate_point(line_xy, s - 500.0))
    d = (ahead - behind) / np.linalg.norm(ahead - behind, axis=1, keepdims=True)
    normal = np.column_stack([d[:, 1], -d[:, 0]])
    sign = np.array([1.0 if p[4] == "UA" else -1.0 for p in POSTS])
    offset = np.array([p[5] for p in POSTS])
    xy = base + normal * (sign * offset)[:, None]
    lon, lat = frame.inv.transform(xy[:, 0], xy[:, 1])
    points = round_geometry(shapely.points(np.round(lon, 6), np.round(lat, 6)))
    sides = np.array([p[4] for p in POSTS])
    inside = {side: shapely.contains_xy(area, lon, lat) for side, area in areas.items()}
    wrong = ~np.where(sides == "UA", inside["UA"], inside["RU"])
    if wrong.any():
        msg = f"Observation post {POSTS[int(np.flatnonzero(wrong)[0])][0]} falls outside its side's area."
        raise InputError(msg, hint="Change its anchor or offset in geo/demo/geography.py POSTS.")
    return gpd.GeoDataFrame(
        {
            "post_id": [p[0] for p in POSTS],
            "name": [f"Observation post {p[1]}" for p in POSTS],
            "side": sides,
            "range_m": [float(p[6]) for p in POSTS],
        },
        geometry=points,
        crs=4326,
    )


def _zones(frame: Frame, line: Any, land: Any, posts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    line_xy = frame.to_xy(line)
    band = frame.to_lonlat(shapely.segmentize(line_xy.buffer(SECURITY_ZONE_HALF_WIDTH_M), 3_000.0))
    # A handful of named zones, each built once: plain loops read better than vectorised tricks here.
    rows = [("SZ-1", "security_zone", "Security zone (15 km each side of the line of 1 January)")]
    geoms = [round_geometry(band.intersection(land))]
    for zone_id, town in DISENGAGEMENT_AREAS:
        anchor = next(p for p in FRONT if p[0] == town)
        s = line_xy.project(frame.to_xy(shapely.Point(anchor[1:])))
        a, b = line_xy.interpolate(s - 500.0), line_xy.interpolate(s + 500.0)
        centre = frame.inv.transform(*line_xy.interpolate(s).coords[0])
        angle = math.atan2(b.y - a.y, b.x - a.x)
        rows.append((zone_id, "disengagement_area", f"Disengagement area {town}"))
        geoms.append(_square(frame, *centre, DISENGAGEMENT_SIZE_M, DISENGAGEMENT_SIZE_M, angle))
    circles = geodesic_circles(posts.geometry.x.to_numpy(), posts.geometry.y.to_numpy(), posts["range_m"])
    for post_id, name, circle in zip(posts["post_id"], posts["name"], circles, strict=True):
        rows.append((f"OPC-{post_id[3:]}", "op_coverage", f"Coverage of {name}"))
        geoms.append(round_geometry(circle))
    for kind, sites in (("protected_site", PROTECTED_SITES), ("designated_range", DESIGNATED_RANGES)):
        for zone_id, name, lon, lat, width, height in sites:
            rows.append((zone_id, kind, name))
            geoms.append(_square(frame, lon, lat, width, height))
    return gpd.GeoDataFrame(rows, columns=["zone_id", "kind", "name"], geometry=geoms, crs=4326)


def build_scenario(out_dir: Path = SCENARIO_DIR, *, countries: Path | None = None) -> list[Path]:
    """Build the demo scenario files from the town coordinates above and Natural Earth countries.

    Parameters
    ----------
    out_dir
        Folder to write ``contact_line``, ``control_areas``, ``zones``, ``posts`` and ``sectors``
        GeoJSON into.
    countries
        The world-atlas 2.0.2 npm tarball (Natural Earth 1:10m countries, for Ukraine's and
        Russia's ground); default ``world-atlas-2.0.2.tgz`` in ``CM_NPM_DIR`` or ../shared/data/npm.

    Returns
    -------
    list of Path
        The files written. ``control_areas.geojson`` holds, per line version, Ukraine west of the
        line (``side`` UA, ``kind`` state), Ukraine east and south of it with Crimea (RU,
        ``occupied``) and Russia within the theatre box (RU, ``state``).
    """
    world = world_countries(COUNTRIES_SCALE, path=countries)
    theatre = shapely.box(*THEATRE_BOX)
    ukraine = _with_inland_water(world, theatre, Frame())
    russia = world.loc[world["NAME"] == RUSSIA].union_all().intersection(theatre)
    # Russia's ground ends where Ukraine's begins, whatever the rounding.
    russia = round_geometry(shapely.make_valid(round_geometry(russia).difference(ukraine)))
    land = round_geometry(shapely.union(ukraine, russia))
    frame = Frame()
    lines = _line_versions(frame, ukraine)
    line_rows, area_rows = [], []
    for version, valid_from in VERSIONS:
        line_rows.append(
            {
                "version": version,
                "valid_from": valid_from,
                "name": f"Contact line {version}",
                "geometry": lines[version],
            }
        )
        for side, kind, geom in _control_areas(lines[version], ukraine, russia):
            area_rows.append(
                {"side": side, "version": version, "valid_from": valid_from, "kind": kind, "geometry": geom}
            )
    first = area_rows[0]["geometry"], shapely.union(area_rows[1]["geometry"], area_rows[2]["geometry"])
    posts = _posts(frame, lines["v1"], {"UA": first[0], "RU": first[1]})
    zones = _zones(frame, lines["v1"], land, posts)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frames = {
        "contact_line.geojson": gpd.GeoDataFrame(line_rows, crs=4326),
        "control_areas.geojson": gpd.GeoDataFrame(area_rows, crs=4326),
        "zones.geojson": zones,
        "posts.geojson": posts,
        "sectors.geojson": _sector_starts(),
    }
    written = []
    for name, gdf in frames.items():
        write_feature_collection(out_dir / name, frame_features(gdf))
        written.append(out_dir / name)
    return written


def _sector_starts() -> gpd.GeoDataFrame:
    """Where each demo sector begins along the line: the first town of each entry of SECTORS."""
    towns = {name: (lon, lat) for name, lon, lat in FRONT}
    rows = [{"sector": name, "starts_at": first} for name, first, _, _ in SECTORS]
    points = [shapely.Point(towns[first]) for _, first, _, _ in SECTORS]
    return gpd.GeoDataFrame(rows, geometry=points, crs=4326)
