"""Build the demo scenario files: contact line versions, control areas, zones, posts and sectors."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely import ops

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
from geo.settings import PROJECT_ROOT, SCENARIO_DIR

COUNTRIES_PATH = PROJECT_ROOT.parent / "shared" / "data" / "natural_earth" / "ne_110m_admin_0_countries.json"


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
    # The 1:110m border is generalised by a few km: the line starts where it meets Ukraine's polygon.
    clipped = round_geometry(frame.to_lonlat(smooth).intersection(ukraine))
    if clipped.geom_type != "LineString":
        msg = f"The demo contact line leaves Ukraine's outline ({clipped.geom_type} after clipping)."
        raise InputError(msg, hint="Move the FRONT points in geo/demo/geography.py inside Ukraine.")
    v1 = frame.to_xy(clipped)
    coords = shapely.get_coordinates(v1)
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(coords, axis=0), axis=1))])
    names = [p[0] for p in FRONT]
    s0, s1 = (v1.project(frame.to_xy(shapely.Point(FRONT[names.index(n)][1:]))) for n in SHIFT_SECTOR)
    v2 = shapely.LineString(_shift_sector(coords, s, s0, s1, SHIFT_M))
    return {"v1": clipped, "v2": round_geometry(frame.to_lonlat(v2))}


def _control_areas(line: Any, ukraine: Any, land: Any) -> dict[str, Any]:
    coords = shapely.get_coordinates(line)
    divider = shapely.LineString([*NORTH_EXTENSION, *coords, *SOUTH_EXTENSION])
    pieces = ops.split(shapely.box(*THEATRE_BOX), divider).geoms
    west = next(p for p in pieces if p.contains(shapely.Point(KYIV)))
    ua = round_geometry(ukraine.intersection(west))
    ru = round_geometry(land.difference(ua))
    return {"UA": ua, "RU": ru}


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


def build_scenario(out_dir: Path = SCENARIO_DIR, *, countries: Path = COUNTRIES_PATH) -> list[Path]:
    """Build the demo scenario files from the town coordinates above and Natural Earth countries.

    Parameters
    ----------
    out_dir
        Folder to write ``contact_line``, ``control_areas``, ``zones``, ``posts`` and ``sectors``
        GeoJSON into.
    countries
        Natural Earth 1:110m admin-0 countries (for Ukraine's and Russia's land).

    Returns
    -------
    list of Path
        The files written.
    """
    if not Path(countries).is_file():
        msg = f"Natural Earth countries not found at {countries}."
        raise InputError(msg, hint="Clone the shared data beside the project or pass countries=PATH.")
    world = gpd.read_file(countries)
    theatre = shapely.box(*THEATRE_BOX)
    ukraine = round_geometry(world.loc[world["ADMIN"] == "Ukraine"].union_all().intersection(theatre))
    russia = round_geometry(world.loc[world["ADMIN"] == "Russia"].union_all().intersection(theatre))
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
        for side, geom in _control_areas(lines[version], ukraine, land).items():
            area_rows.append({"side": side, "version": version, "valid_from": valid_from, "geometry": geom})
    first = area_rows[0]["geometry"], area_rows[1]["geometry"]
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
