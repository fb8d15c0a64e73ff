"""The demo: build the scenario files and generate a seeded month of reports with their ground truth."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod, Transformer
from shapely import ops

from geo.crs import theatre_crs
from geo.errors import GeoError, InputError
from geo.scenario import Scenario, load_scenario
from geo.schema import COMPASS_POINTS, FIELDS, report_uid
from geo.settings import DATA_DIR, PROJECT_ROOT, SCENARIO_DIR
from geo.versions import version_at

DEMO_DIR = DATA_DIR / "demo"
COUNTRIES_PATH = PROJECT_ROOT.parent / "shared" / "data" / "natural_earth" / "ne_110m_admin_0_countries.json"
GEOD = Geod(ellps="WGS84")

# The front, north to south then west along the Dnipro, through public gazetteer coordinates of towns
# and villages (rounded to 0.01 degree). Ukrainian-held territory lies to the right when walking it.
FRONT: tuple[tuple[str, float, float], ...] = (
    ("border north of Vovchansk", 36.93, 50.34),
    ("Vovchansk", 36.94, 50.29),
    ("Vovchanski Khutory", 37.05, 50.24),
    ("Starytsia", 37.25, 50.13),
    ("east of Velykyi Burluk", 37.52, 50.02),
    ("Dvorichna", 37.62, 49.90),
    ("Synkivka", 37.60, 49.79),
    ("Kupiansk", 37.615, 49.71),
    ("Kupiansk-Vuzlovyi", 37.70, 49.63),
    ("Pishchane", 37.78, 49.52),
    ("Kolisnykivka", 37.72, 49.43),
    ("Borova", 37.70, 49.37),
    ("Novoiehorivka", 37.85, 49.28),
    ("Makiivka", 38.02, 49.18),
    ("Kreminna", 38.12, 49.08),
    ("Torske", 38.02, 49.00),
    ("Serebrianka", 38.05, 48.93),
    ("Siversk", 38.10, 48.87),
    ("Vyimka", 38.14, 48.78),
    ("Soledar", 38.05, 48.68),
    ("Bakhmut", 37.93, 48.63),
    ("Chasiv Yar", 37.84, 48.59),
    ("Bila Hora", 37.85, 48.50),
    ("Toretsk", 37.85, 48.40),
    ("Shcherbynivka", 37.72, 48.35),
    ("Rusyn Yar", 37.50, 48.33),
    ("Rodynske", 37.35, 48.34),
    ("Myrnohrad", 37.27, 48.30),
    ("Pokrovsk", 37.18, 48.28),
    ("Selydove", 37.20, 48.13),
    ("Kurakhove", 37.22, 47.98),
    ("Kostiantynopil", 37.10, 47.88),
    ("Shevchenko", 36.95, 47.86),
    ("Velyka Novosilka", 36.83, 47.84),
    ("Staromaiorske", 36.65, 47.76),
    ("Zaliznychne", 36.45, 47.70),
    ("Huliaipole", 36.26, 47.66),
    ("Mala Tokmachka", 36.05, 47.58),
    ("Novopokrovka", 35.92, 47.52),
    ("Robotyne", 35.84, 47.45),
    ("Shcherbaky", 35.60, 47.50),
    ("Kamianske", 35.45, 47.53),
    ("Vasylivka", 35.30, 47.56),
    ("Kakhovka reservoir, north-east arm", 35.17, 47.60),
    ("Kakhovka reservoir off Dniprorudne", 35.05, 47.55),
    ("Kakhovka reservoir", 34.90, 47.50),
    ("Kakhovka reservoir off Enerhodar", 34.70, 47.55),
    ("Kakhovka reservoir off Nikopol", 34.45, 47.52),
    ("Kamianka-Dniprovska", 34.30, 47.45),
    ("Velyka Znamianka", 34.15, 47.35),
    ("Dnipro off Vodiane", 33.95, 47.22),
    ("Dnipro off Dudchany", 33.75, 47.08),
    ("Dnipro off Kozatske", 33.55, 46.92),
    ("Nova Kakhovka", 33.40, 46.80),
    ("Dnipro off Lvove", 33.25, 46.74),
    ("Dnipro off Tiahynka", 33.05, 46.72),
    ("Dnipro off Mykhailivka", 32.85, 46.68),
    ("Antonivskyi bridge", 32.72, 46.655),
    ("Kherson", 32.62, 46.615),
    ("Dnipro off Bilohrudyi island", 32.50, 46.58),
    ("Dnipro delta", 32.40, 46.55),
    ("Dnipro mouth", 32.28, 46.52),
)
# Beyond the line the control boundary runs to the theatre box: north into Russia, south-west through
# the Dnipro-Buh estuary and the Black Sea.
NORTH_EXTENSION: tuple[tuple[float, float], ...] = ((36.93, 52.5),)
SOUTH_EXTENSION: tuple[tuple[float, float], ...] = (
    (31.95, 46.55),
    (31.55, 46.56),
    (31.0, 45.6),
    (31.0, 43.5),
)
THEATRE_BOX = (30.0, 44.0, 42.0, 52.0)
KYIV = (30.52, 50.45)
LINE_STEP_M = 3_000.0
VERSIONS = (("v1", "2026-01-01T00:00:00Z"), ("v2", "2026-10-15T00:00:00Z"))
# Version 2 moves the line towards Ukrainian-held ground between these towns, by at most SHIFT_M.
SHIFT_SECTOR = ("Selydove", "Velyka Novosilka")
SHIFT_M = 6_000.0
SECURITY_ZONE_HALF_WIDTH_M = 15_000.0

DISENGAGEMENT_AREAS = (("DA-1", "Siversk"), ("DA-2", "Toretsk"), ("DA-3", "Huliaipole"))
DISENGAGEMENT_SIZE_M = 4_000.0
# post_id, anchor (lon, lat), side, metres from the line, range_m
POSTS: tuple[tuple[str, str, float, float, str, float, float], ...] = (
    ("OP-01", "Kupiansk", 37.615, 49.71, "UA", 6_000, 12_000),
    ("OP-02", "Borova", 37.70, 49.37, "RU", 5_000, 10_000),
    ("OP-03", "Lyman", 37.80, 48.99, "UA", 7_000, 12_000),
    ("OP-04", "Kreminna", 38.22, 49.05, "RU", 6_000, 10_000),
    ("OP-05", "Siversk", 38.10, 48.87, "UA", 5_000, 10_000),
    ("OP-06", "Bakhmut", 38.00, 48.595, "RU", 5_000, 12_000),
    ("OP-07", "Kostiantynivka", 37.75, 48.55, "UA", 6_000, 12_000),
    ("OP-08", "Toretsk", 37.85, 48.40, "RU", 4_000, 8_000),
    ("OP-09", "Pokrovsk", 37.18, 48.28, "UA", 8_000, 15_000),
    ("OP-10", "Huliaipole", 36.26, 47.66, "UA", 6_000, 12_000),
    ("OP-11", "Orikhiv", 35.79, 47.57, "UA", 7_000, 12_000),
    ("OP-12", "Vasylivka", 35.28, 47.44, "RU", 8_000, 12_000),
    ("OP-13", "Nikopol", 34.40, 47.57, "UA", 5_000, 10_000),
    ("OP-14", "Enerhodar", 34.65, 47.50, "RU", 4_000, 10_000),
    ("OP-15", "Kherson", 32.62, 46.64, "UA", 4_000, 10_000),
    ("OP-16", "Oleshky", 32.70, 46.62, "RU", 6_000, 12_000),
)
# zone_id, name, (lon, lat) of the centre, width_m, height_m: approximate sites, not surveyed outlines.
PROTECTED_SITES = (
    ("PS-1", "Zaporizhzhia nuclear power plant, Enerhodar", 34.586, 47.512, 1_600, 1_000),
    ("PS-2", "Donetsk filtration station (water), near Yasynuvata", 37.859, 48.143, 600, 400),
    ("PS-3", "Hospital, Kostiantynivka (approximate)", 37.707, 48.528, 250, 200),
    ("PS-4", "Hospital, Orikhiv (approximate)", 35.785, 47.568, 250, 200),
    ("PS-5", "Hospital, Kherson (approximate)", 32.607, 46.652, 250, 200),
)


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


def _round(geom: Any) -> Any:
    return shapely.set_precision(geom, 1e-6)


def _shift_sector(xy: np.ndarray, s: np.ndarray, s0: float, s1: float, shift: float) -> np.ndarray:
    """Move the vertices between arc lengths ``s0`` and ``s1`` to the right, tapered smoothly to zero."""
    inside = (s > s0) & (s < s1)
    amount = np.where(inside, shift * np.sin(np.pi * (s - s0) / (s1 - s0)) ** 2, 0.0)
    return xy + _right_normals(xy) * amount[:, None]


class _Frame:
    """Projection to and from the theatre CRS of the demo, centred on the front."""

    def __init__(self) -> None:
        lon = np.array([p[1] for p in FRONT])
        lat = np.array([p[2] for p in FRONT])
        self.crs = theatre_crs(float(lon.min() + lon.max()) / 2, float(lat.min() + lat.max()) / 2)
        self.fwd = Transformer.from_crs(4326, self.crs, always_xy=True)
        self.inv = Transformer.from_crs(self.crs, 4326, always_xy=True)

    def to_xy(self, geom: Any) -> Any:
        return shapely.transform(geom, lambda c: np.column_stack(self.fwd.transform(c[:, 0], c[:, 1])))

    def to_lonlat(self, geom: Any) -> Any:
        return shapely.transform(geom, lambda c: np.column_stack(self.inv.transform(c[:, 0], c[:, 1])))


def _line_versions(frame: _Frame, ukraine: Any) -> dict[str, shapely.LineString]:
    xy = np.column_stack(frame.fwd.transform([p[1] for p in FRONT], [p[2] for p in FRONT]))
    smooth = shapely.LineString(_catmull_rom(xy, LINE_STEP_M))
    # The 1:110m border is generalised by a few km: the line starts where it meets Ukraine's polygon.
    clipped = _round(frame.to_lonlat(smooth).intersection(ukraine))
    if clipped.geom_type != "LineString":
        msg = f"The demo contact line leaves Ukraine's outline ({clipped.geom_type} after clipping)."
        raise InputError(msg, hint="Move the FRONT points in geo/demo.py inside Ukraine.")
    v1 = frame.to_xy(clipped)
    coords = shapely.get_coordinates(v1)
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(coords, axis=0), axis=1))])
    names = [p[0] for p in FRONT]
    s0, s1 = (v1.project(frame.to_xy(shapely.Point(FRONT[names.index(n)][1:]))) for n in SHIFT_SECTOR)
    v2 = shapely.LineString(_shift_sector(coords, s, s0, s1, SHIFT_M))
    return {"v1": clipped, "v2": _round(frame.to_lonlat(v2))}


def _control_areas(line: Any, ukraine: Any, land: Any) -> dict[str, Any]:
    coords = shapely.get_coordinates(line)
    divider = shapely.LineString([*NORTH_EXTENSION, *coords, *SOUTH_EXTENSION])
    pieces = ops.split(shapely.box(*THEATRE_BOX), divider).geoms
    west = next(p for p in pieces if p.contains(shapely.Point(KYIV)))
    ua = _round(ukraine.intersection(west))
    ru = _round(land.difference(ua))
    return {"UA": ua, "RU": ru}


def _square(frame: _Frame, lon: float, lat: float, width: float, height: float, angle: float = 0.0) -> Any:
    x, y = frame.fwd.transform(lon, lat)
    rect = shapely.box(-width / 2, -height / 2, width / 2, height / 2)
    c, s = math.cos(angle), math.sin(angle)
    rect = shapely.affinity.affine_transform(rect, [c, -s, s, c, x, y])
    return _round(frame.to_lonlat(shapely.segmentize(rect, 500.0)))


def geodesic_circles(lon: np.ndarray, lat: np.ndarray, radius_m: np.ndarray, *, n: int = 72) -> np.ndarray:
    """Return polygons of the points at ``radius_m`` (geodesic) from each centre, counter-clockwise."""
    az = np.linspace(360.0, 0.0, n, endpoint=False)
    lons, lats, _ = GEOD.fwd(
        np.repeat(lon, n), np.repeat(lat, n), np.tile(az, len(lon)), np.repeat(radius_m, n)
    )
    rings = np.stack([lons, lats], axis=1).reshape(len(lon), n, 2)
    return shapely.polygons(np.concatenate([rings, rings[:, :1]], axis=1))


def _posts(frame: _Frame, line: Any, areas: dict[str, Any]) -> gpd.GeoDataFrame:
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
    points = _round(shapely.points(np.round(lon, 6), np.round(lat, 6)))
    sides = np.array([p[4] for p in POSTS])
    inside = {side: shapely.contains_xy(area, lon, lat) for side, area in areas.items()}
    wrong = ~np.where(sides == "UA", inside["UA"], inside["RU"])
    if wrong.any():
        msg = f"Observation post {POSTS[int(np.flatnonzero(wrong)[0])][0]} falls outside its side's area."
        raise InputError(msg, hint="Change its anchor or offset in geo/demo.py POSTS.")
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


def _zones(frame: _Frame, line: Any, land: Any, posts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    line_xy = frame.to_xy(line)
    band = frame.to_lonlat(shapely.segmentize(line_xy.buffer(SECURITY_ZONE_HALF_WIDTH_M), 3_000.0))
    # A handful of named zones, each built once: plain loops read better than vectorised tricks here.
    rows = [("SZ-1", "security_zone", "Security zone (15 km each side of the line of 1 January)")]
    geoms = [_round(band.intersection(land))]
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
        geoms.append(_round(circle))
    for zone_id, name, lon, lat, width, height in PROTECTED_SITES:
        rows.append((zone_id, "protected_site", name))
        geoms.append(_square(frame, lon, lat, width, height))
    return gpd.GeoDataFrame(rows, columns=["zone_id", "kind", "name"], geometry=geoms, crs=4326)


def _number(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        value = round(float(value), 6)
        return int(value) if value.is_integer() and abs(value) < 1e15 else value
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    return value


def _geometry_json(geom: Any) -> dict[str, Any]:
    """RFC 7946 geometry: polygons counter-clockwise, coordinates rounded to 6 decimals."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        geom = shapely.orient_polygons(geom, exterior_cw=False)
    geom = shapely.transform(geom, lambda c: np.round(c, 6))
    return json.loads(shapely.to_geojson(geom))


def write_feature_collection(path: Path, features: list[dict[str, Any]]) -> None:
    """Write a FeatureCollection, one feature per line, byte-stable for the same input."""
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    path.write_text('{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n", "utf-8")


def _frame_features(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    props = frame.drop(columns="geometry").to_dict("records")
    # Serialisation is per feature by nature: a few hundred scenario features.
    return [
        {
            "type": "Feature",
            "properties": {k: _number(v) for k, v in p.items()},
            "geometry": _geometry_json(g),
        }
        for p, g in zip(props, frame.geometry, strict=True)
    ]


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
    ukraine = _round(world.loc[world["ADMIN"] == "Ukraine"].union_all().intersection(theatre))
    russia = _round(world.loc[world["ADMIN"] == "Russia"].union_all().intersection(theatre))
    land = _round(shapely.union(ukraine, russia))
    frame = _Frame()
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
        write_feature_collection(out_dir / name, _frame_features(gdf))
        written.append(out_dir / name)
    return written


def _sector_starts() -> gpd.GeoDataFrame:
    """Where each demo sector begins along the line: the first town of each entry of SECTORS."""
    towns = {name: (lon, lat) for name, lon, lat in FRONT}
    rows = [{"sector": name, "starts_at": first} for name, first, _, _ in SECTORS]
    points = [shapely.Point(towns[first]) for _, first, _, _ in SECTORS]
    return gpd.GeoDataFrame(rows, geometry=points, crs=4326)


# Minsk II pulled heavy weapons back to make zones 50 km (artillery of 100 mm and more), 70 km (MLRS)
# and 140 km (Tornado-S, Uragan, Smerch, Tochka) wide; the 2015 addendum took tanks, artillery under
# 100 mm and mortars 15 km back. Metres from the reference line on each side. data/agreement.toml is the
# authority for the rules engine; these constants only decide the demo's ground truth, and a test keeps
# them equal to the agreement file's terms.
WITHDRAWAL_HALF_WIDTH_M: dict[str, float] = {
    "artillery_ge100mm": 25_000.0,
    "mlrs": 35_000.0,
    "heavy_mlrs_tactical_missile": 70_000.0,
    "tank": 15_000.0,
    "artillery_lt100mm": 15_000.0,
    "mortar": 15_000.0,
}
# Each side measures from its own reference line: Ukraine from the line in force, the other side from
# the line of the first version (the Memorandum line), as in data/agreement.toml.
WITHDRAWAL_REFERENCE = {"UA": "in_force", "RU": "v1"}
HEAVY_WEAPONS = ("artillery_ge100mm", "mlrs", "heavy_mlrs_tactical_missile", "tank")
CEASEFIRE_EFFECTIVE = pd.Timestamp("2026-10-03T00:00:00Z")
FIRE_NEAR_POST_M = 1_000.0
DEFAULT_SEED = 20261001
VIOLATION_KINDS = (
    "fire_across_line",
    "heavy_weapon_in_zone",
    "flight_over_security_zone",
    "disengagement_activity",
    "fire_near_monitors",
)
# name, first town, last town, relative activity per km
SECTORS = (
    ("Kupiansk", "Vovchansk", "Borova", 1.0),
    ("Lyman", "Borova", "Siversk", 1.0),
    ("Bakhmut", "Siversk", "Toretsk", 1.4),
    ("Pokrovsk", "Toretsk", "Kurakhove", 1.6),
    ("Velyka Novosilka", "Kurakhove", "Huliaipole", 0.8),
    ("Zaporizhzhia", "Huliaipole", "Vasylivka", 1.2),
    ("Dnipro", "Vasylivka", "Nova Kakhovka", 0.4),
    ("Kherson", "Nova Kakhovka", "Dnipro mouth", 0.9),
)
SURGE = ("Pokrovsk", 9, 4, 70)  # sector, first day (0-based), days, extra happenings per day
CLUSTER = ("Robotyne", 1_500.0, 140)  # town, spread along the line (m), happenings in the month
FIRE_PER_DAY = 56
TOWN_SHARE = 0.45
WEAPON_MIX = {
    "small_arms": 0.27,
    "mortar": 0.25,
    "artillery_lt100mm": 0.07,
    "artillery_ge100mm": 0.15,
    "mlrs": 0.06,
    "heavy_mlrs_tactical_missile": 0.01,
    "tank": 0.05,
    "uav": 0.14,
}
# km from the line: where the weapon fires from, and how far across the line it lands
ORIGIN_KM = {
    "small_arms": (0.2, 1.0),
    "mortar": (0.5, 5.0),
    "artillery_lt100mm": (2.0, 8.0),
    "artillery_ge100mm": (4.0, 20.0),
    "mlrs": (5.0, 25.0),
    "heavy_mlrs_tactical_missile": (20.0, 60.0),
    "tank": (1.0, 5.0),
    "uav": (2.0, 15.0),
}
IMPACT_KM = {
    "small_arms": (0.1, 0.8),
    "mortar": (0.3, 4.0),
    "artillery_lt100mm": (1.0, 8.0),
    "artillery_ge100mm": (1.0, 15.0),
    "mlrs": (1.0, 15.0),
    "heavy_mlrs_tactical_missile": (5.0, 40.0),
    "tank": (0.5, 4.0),
    "uav": (1.0, 20.0),
}
MEAN_COUNT = {
    "small_arms": 8,
    "mortar": 5,
    "artillery_lt100mm": 4,
    "artillery_ge100mm": 5,
    "mlrs": 16,
    "heavy_mlrs_tactical_missile": 2,
    "tank": 3,
    "uav": 1,
}
# Parties inflate: a mortar becomes artillery, artillery becomes rockets.
ESCALATE = {"small_arms": "mortar", "mortar": "artillery_ge100mm", "artillery_lt100mm": "artillery_ge100mm"}
PARTY_SOURCES = {
    "UA": (("UA-MOD", "D"), ("UA-LOCAL-ADMIN", "E")),
    "RU": (("RU-MOD", "D"), ("RU-LOCAL-ADMIN", "E")),
}
MEDIA_SOURCES = (
    ("MEDIA-REGIONAL", "media"),
    ("WIRE-AGENCY", "media"),
    ("OSINT-CHANNEL-A", "open_source"),
    ("OSINT-CHANNEL-B", "open_source"),
)
SATELLITE_PASS = pd.Timedelta(hours=8, minutes=40)


class _World:
    """The scenario in the demo's metric frame: what the simulation places things in and measures against."""

    def __init__(self, scenario: Scenario) -> None:
        self.frame = _Frame()
        self.scenario = scenario
        self.lines = [self.frame.to_xy(g) for g in scenario.lines.geometry]
        self.areas: list[dict[str, Any]] = []
        for version in scenario.lines["version"]:
            rows = scenario.control_areas.loc[scenario.control_areas["version"] == version]
            areas = {side: self.frame.to_xy(g) for side, g in zip(rows["side"], rows.geometry, strict=True)}
            shapely.prepare(list(areas.values()))
            self.areas.append(areas)
        zones = scenario.zones
        self.security = self.frame.to_xy(zones.loc[zones["kind"] == "security_zone"].union_all())
        self.disengagement = self.frame.to_xy(zones.loc[zones["kind"] == "disengagement_area"].union_all())
        shapely.prepare([self.security, self.disengagement])
        posts = scenario.posts
        self.post_lon, self.post_lat = posts.geometry.x.to_numpy(), posts.geometry.y.to_numpy()
        self.post_xy = np.column_stack(self.frame.fwd.transform(self.post_lon, self.post_lat))
        self.post_range = posts["range_m"].to_numpy(float)
        self.post_side = posts["side"].to_numpy(str)
        self.post_source = ("CVM-" + posts["post_id"]).to_numpy(str)
        self.s_posts = shapely.line_locate_point(self.lines[0], shapely.points(self.post_xy))
        towns = {name: shapely.Point(lon, lat) for name, lon, lat in FRONT}
        self.s_town = {name: self.lines[0].project(self.frame.to_xy(p)) for name, p in towns.items()}
        bounds = np.array([[self.s_town[a], self.s_town[b]] for _, a, b, _ in SECTORS])
        self.sector_names = np.array([s[0] for s in SECTORS])
        self.sector_bounds = bounds
        weight = (bounds[:, 1] - bounds[:, 0]) * np.array([s[3] for s in SECTORS])
        self.sector_p = weight / weight.sum()

    def version_index(self, t: np.ndarray) -> np.ndarray:
        """Index of the line version in force at each time (int64 nanoseconds since the epoch)."""
        lines = self.scenario.lines
        labels = version_at(pd.Series(pd.to_datetime(t, utc=True)), lines["valid_from"], lines["version"])
        return pd.Index(lines["version"]).get_indexer(labels)

    def along(self, vidx: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Points, unit tangents and right normals on each time's line at arc length ``s`` (metres on v1)."""
        base, tangent = np.zeros((len(s), 2)), np.zeros((len(s), 2))
        for k, line in enumerate(self.lines):
            m = vidx == k
            sk = np.clip(s[m] * line.length / self.lines[0].length, 300.0, line.length - 300.0)
            base[m] = shapely.get_coordinates(shapely.line_interpolate_point(line, sk))
            ahead = shapely.get_coordinates(shapely.line_interpolate_point(line, sk + 300.0))
            behind = shapely.get_coordinates(shapely.line_interpolate_point(line, sk - 300.0))
            d = ahead - behind
            tangent[m] = d / np.linalg.norm(d, axis=1, keepdims=True)
        normal = np.column_stack([tangent[:, 1], -tangent[:, 0]])
        return base, tangent, normal

    def locate(self, vidx: np.ndarray, xy: np.ndarray) -> np.ndarray:
        """Arc length (metres on v1) of the nearest line point to each ``xy``."""
        s = np.zeros(len(xy))
        for k, line in enumerate(self.lines):
            m = vidx == k
            s[m] = shapely.line_locate_point(line, shapely.points(xy[m])) * self.lines[0].length / line.length
        return s

    def side_of(self, vidx: np.ndarray, xy: np.ndarray) -> np.ndarray:
        """'UA', 'RU' or '' (outside both areas, or NaN) for each point, against its version's areas."""
        out = np.full(len(xy), "", dtype=object)
        ok = np.isfinite(xy).all(axis=1)
        for k, areas in enumerate(self.areas):
            for side, poly in areas.items():
                m = ok & (vidx == k)
                inside = np.zeros(len(xy), bool)
                inside[m] = shapely.contains_xy(poly, xy[m, 0], xy[m, 1])
                out[inside] = side
        return out

    def distance_to_line(self, vidx: np.ndarray, xy: np.ndarray) -> np.ndarray:
        out = np.full(len(xy), np.inf)
        for k, line in enumerate(self.lines):
            m = (vidx == k) & np.isfinite(xy).all(axis=1)
            out[m] = shapely.distance(line, shapely.points(xy[m]))
        return out

    def sample_s(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Arc lengths weighted by sector activity, part of them around the towns, and their sectors."""
        k = rng.choice(len(self.sector_p), n, p=self.sector_p)
        s = rng.uniform(self.sector_bounds[k, 0], self.sector_bounds[k, 1])
        # Fighting gathers around towns; the posts watch those towns.
        towns = self.s_posts
        near_town = rng.random(n) < TOWN_SHARE
        s = np.where(near_town, towns[rng.integers(0, len(towns), n)] + rng.normal(0, 6_000, n), s)
        s = np.clip(s, 0.0, self.lines[0].length)
        return s, self.sector_at(s)

    def sector_at(self, s: np.ndarray) -> np.ndarray:
        k = np.clip(np.searchsorted(self.sector_bounds[:, 1], s), 0, len(SECTORS) - 1)
        return self.sector_names[k]


OTHER = {"UA": "RU", "RU": "UA"}
# UTC hours: most fire falls at dusk and at night in local time (UTC+2/+3).
HOUR_WEIGHTS = np.array([2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3, 2], float)


def _times(rng: np.random.Generator, n: int, start: pd.Timestamp, day_lo: int, day_hi: int) -> np.ndarray:
    day = rng.integers(day_lo, day_hi, n)
    hour = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    minute = rng.integers(0, 60, n)
    return start.value + ((day * 24 + hour) * 60 + minute) * 60_000_000_000


def _collect(make: Any, n: int) -> pd.DataFrame:
    """Draw candidates with ``make(m)`` until ``n`` are valid; the placement rejects points off their side."""
    parts, have = [], 0
    while have < n:
        cand = make(int(n * 1.5) + 20)
        cand = cand.loc[cand.pop("valid").to_numpy()]
        parts.append(cand)
        have += len(cand)
    return pd.concat(parts, ignore_index=True).iloc[:n]


def _weapon_table(weapon: np.ndarray, table: dict[str, tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    lo = pd.Series(weapon).map({k: v[0] for k, v in table.items()}).to_numpy(float) * 1000
    hi = pd.Series(weapon).map({k: v[1] for k, v in table.items()}).to_numpy(float) * 1000
    return lo, hi


def _happening_frame(klass: str, t, side, weapon, count, origin, impact, sector, vidx) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "klass": klass,
            "t": t,
            "side": side,
            "weapon": weapon,
            "count": count,
            "ox": origin[:, 0],
            "oy": origin[:, 1],
            "ix": impact[:, 0],
            "iy": impact[:, 1],
            "sector": sector,
            "vidx": vidx,
        }
    )


def _fire(world: _World, rng: np.random.Generator, t, s, sector, *, weapons=None, along_m=600.0, impact=None):
    """Fire across the line: origin on the firing side, impact on the other (``impact`` may be given)."""
    n = len(t)
    side = rng.choice(["UA", "RU"], n, p=[0.45, 0.55])
    if weapons is None:
        weapons = rng.choice(list(WEAPON_MIX), n, p=list(WEAPON_MIX.values()))
    lo, hi = _weapon_table(weapons, ORIGIN_KM)
    d_o = rng.uniform(lo, hi)
    lo, hi = _weapon_table(weapons, IMPACT_KM)
    d_i = rng.uniform(lo, hi)
    vidx = world.version_index(t)
    base, tangent, normal = world.along(vidx, s)
    sign = np.where(side == "UA", 1.0, -1.0)[:, None]
    origin = base + normal * sign * d_o[:, None] + tangent * rng.normal(0, along_m, (n, 1))
    if impact is None:
        jitter = rng.normal(0, 1, (n, 1)) * (along_m + 0.3 * d_i[:, None])
        impact = base - normal * sign * d_i[:, None] + tangent * jitter
    mean = pd.Series(weapons).map(MEAN_COUNT).to_numpy(float)
    count = 1 + rng.poisson(mean - 1)
    frame = _happening_frame("fire", t, side, weapons, count, origin, impact, sector, vidx)
    other = np.where(side == "UA", "RU", "UA")
    frame["valid"] = (world.side_of(vidx, origin) == side) & (world.side_of(vidx, impact) == other)
    return frame


def _happenings(world: _World, rng: np.random.Generator, start: pd.Timestamp, days: int) -> pd.DataFrame:
    """Simulate what truly happened in the month, before anyone reports it."""

    def baseline(m):
        s, sector = world.sample_s(rng, m)
        return _fire(world, rng, _times(rng, m, start, 0, days), s, sector)

    surge_sector, first, length, per_day = SURGE
    k = list(world.sector_names).index(surge_sector)

    def surge(m):
        s = rng.uniform(*world.sector_bounds[k], m)
        return _fire(world, rng, _times(rng, m, start, first, first + length), s, np.full(m, surge_sector))

    town, spread, n_cluster = CLUSTER

    def cluster(m):
        s = world.s_town[town] + rng.normal(0, spread, m)
        weapons = rng.choice(["mortar", "artillery_ge100mm", "tank", "uav"], m, p=[0.4, 0.3, 0.15, 0.15])
        return _fire(
            world, rng, _times(rng, m, start, 0, days), s, world.sector_at(s), weapons=weapons, along_m=300
        )

    da_s = np.array([world.s_town[t] for _, t in DISENGAGEMENT_AREAS])

    def disengagement(m):
        s = da_s[rng.integers(0, len(da_s), m)] + rng.normal(0, 500, m)
        weapons = rng.choice(["small_arms", "mortar"], m, p=[0.7, 0.3])
        frame = _fire(
            world, rng, _times(rng, m, start, 0, days), s, world.sector_at(s), weapons=weapons, along_m=300
        )
        o = shapely.contains_xy(world.disengagement, frame["ox"], frame["oy"])
        frame["valid"] &= o | shapely.contains_xy(world.disengagement, frame["ix"], frame["iy"])
        return frame

    def near_posts(m):
        post = rng.integers(0, len(world.post_xy), m)
        r, a = rng.uniform(150, 2_500, m), rng.uniform(0, 2 * np.pi, m)
        impact = world.post_xy[post] + np.column_stack([np.cos(a), np.sin(a)]) * r[:, None]
        t = _times(rng, m, start, 0, days)
        s = world.locate(world.version_index(t), impact)
        weapons = rng.choice(["mortar", "artillery_ge100mm", "mlrs", "uav"], m, p=[0.4, 0.35, 0.1, 0.15])
        frame = _fire(world, rng, t, s, world.sector_at(s), weapons=weapons, impact=impact)
        frame["valid"] &= frame["side"].to_numpy() != world.post_side[post]
        return frame

    def heavy(m):
        side = rng.choice(["UA", "RU"], m)
        weapon = rng.choice(HEAVY_WEAPONS, m, p=[0.45, 0.25, 0.1, 0.2])
        half = pd.Series(weapon).map(WITHDRAWAL_HALF_WIDTH_M).to_numpy(float)
        inside = rng.random(m) < 0.6
        d = np.where(inside, rng.uniform(1_000, 0.9 * half), rng.uniform(1.15 * half, 1.15 * half + 25_000))
        t = _times(rng, m, start, 0, days)
        s, sector = world.sample_s(rng, m)
        vidx = world.version_index(t)
        base, tangent, normal = world.along(vidx, s)
        sign = np.where(side == "UA", 1.0, -1.0)[:, None]
        loc = base + normal * sign * d[:, None] + tangent * rng.normal(0, 1_000, (m, 1))
        count = 1 + rng.poisson(2, m)
        frame = _happening_frame(
            "heavy_weapon", t, side, weapon, count, loc, np.full((m, 2), np.nan), sector, vidx
        )
        frame["valid"] = world.side_of(vidx, loc) == side
        return frame

    def flight(m):
        side = rng.choice(["UA", "RU"], m)
        in_zone = rng.random(m) < 0.65
        d = np.where(in_zone, rng.uniform(-14_000, 14_000, m), rng.uniform(20_000, 60_000, m))
        t = _times(rng, m, start, 0, days)
        s, sector = world.sample_s(rng, m)
        vidx = world.version_index(t)
        base, tangent, normal = world.along(vidx, s)
        sign = np.where(side == "UA", 1.0, -1.0)[:, None]
        loc = base + normal * sign * d[:, None] + tangent * rng.normal(0, 2_000, (m, 1))
        frame = _happening_frame("uav_flight", t, side, "uav", 1, loc, np.full((m, 2), np.nan), sector, vidx)
        frame["valid"] = world.side_of(vidx, loc) != ""
        return frame

    def placed(klass, d_lo, d_hi, days_lo=0):
        def make(m):
            side = rng.choice(["UA", "RU"], m)
            t = _times(rng, m, start, days_lo, days)
            s = rng.uniform(0, world.lines[0].length, m)
            vidx = world.version_index(t)
            base, tangent, normal = world.along(vidx, s)
            sign = np.where(side == "UA", 1.0, -1.0)[:, None]
            loc = (
                base
                + normal * sign * rng.uniform(d_lo, d_hi, (m, 1))
                + tangent * rng.normal(0, 3_000, (m, 1))
            )
            count = 1 + rng.poisson(0.5, m)
            nan = np.full((m, 2), np.nan)
            frame = _happening_frame(klass, t, side, "unknown", count, nan, loc, world.sector_at(s), vidx)
            frame["valid"] = world.side_of(vidx, loc) == side
            return frame

        return make

    parts = [
        _collect(baseline, FIRE_PER_DAY * days).assign(tag=""),
        _collect(surge, per_day * length).assign(tag="surge"),
        _collect(cluster, n_cluster).assign(tag="cluster"),
        _collect(disengagement, 36).assign(tag=""),
        _collect(near_posts, 40).assign(tag=""),
        _collect(heavy, 170).assign(tag=""),
        _collect(flight, 130).assign(tag=""),
        _collect(placed("thermal", 40_000, 150_000), 160).assign(tag=""),
        _collect(placed("demining", 3_000, 25_000), 50).assign(tag=""),
    ]
    happenings = pd.concat(parts, ignore_index=True)
    return _judge(world, happenings)


def _judge(world: _World, h: pd.DataFrame) -> pd.DataFrame:
    """Add the truth: which violation kinds each happening is, from its true geometry and time."""
    origin, impact = h[["ox", "oy"]].to_numpy(), h[["ix", "iy"]].to_numpy()
    vidx = h["vidx"].to_numpy()
    o_side, i_side = world.side_of(vidx, origin), world.side_of(vidx, impact)
    klass = h["klass"].to_numpy()
    fire = klass == "fire"
    after = h["t"].to_numpy() >= CEASEFIRE_EFFECTIVE.value
    half = h["weapon"].map(WITHDRAWAL_HALF_WIDTH_M).to_numpy(float)
    labels = list(world.scenario.lines["version"])
    reference = h["side"].map(WITHDRAWAL_REFERENCE).to_numpy(object)
    ref_idx = np.where(reference == "in_force", vidx, pd.Index(labels).get_indexer(reference))
    dist = world.distance_to_line(ref_idx, origin)

    def near_post(xy):
        ok = np.isfinite(xy).all(axis=1)
        d = np.full(len(xy), np.inf)
        d[ok] = np.linalg.norm(xy[ok, None, :] - world.post_xy[None, :, :], axis=2).min(axis=1)
        return d <= FIRE_NEAR_POST_M

    def within(poly, xy):
        ok = np.isfinite(xy).all(axis=1)
        out = np.zeros(len(xy), bool)
        out[ok] = shapely.contains_xy(poly, xy[ok, 0], xy[ok, 1])
        return out

    kinds = {
        "fire_across_line": fire & after & (o_side != "") & (i_side != "") & (o_side != i_side),
        "heavy_weapon_in_zone": (klass == "heavy_weapon") & (dist < half),
        "flight_over_security_zone": (klass == "uav_flight") & within(world.security, origin),
        "disengagement_activity": np.isin(klass, ["fire", "heavy_weapon", "uav_flight"])
        & (within(world.disengagement, origin) | within(world.disengagement, impact)),
        "fire_near_monitors": fire & (near_post(origin) | near_post(impact)),
    }
    table = pd.DataFrame(kinds)
    h = h.copy()
    joined = np.full(len(h), "", dtype=object)
    for kind in VIOLATION_KINDS:
        joined = joined + np.where(table[kind], kind + ";", "")
    h["violation_kinds"] = pd.Series(joined).str.rstrip(";").to_numpy()
    h["is_violation"] = table.any(axis=1).to_numpy()
    h["olon"], h["olat"] = world.frame.inv.transform(h["ox"].to_numpy(), h["oy"].to_numpy())
    h["ilon"], h["ilat"] = world.frame.inv.transform(h["ix"].to_numpy(), h["iy"].to_numpy())
    order = np.lexsort((np.arange(len(h)), h["t"].to_numpy()))
    hid = np.empty(len(h), dtype=object)
    hid[order] = [f"H{i + 1:05d}" for i in range(len(h))]
    h["happening_id"] = hid
    return h


REPORT_DEFAULTS: dict[str, Any] = {
    "h": -1,
    "means": None,
    "t_from": -1,
    "t_to": -1,
    "time_precision": "minute",
    "location_precision_m": np.nan,
    "observer_lon": np.nan,
    "observer_lat": np.nan,
    "bearing_deg": np.nan,
    "bearing_min_deg": np.nan,
    "bearing_max_deg": np.nan,
    "distance_min_m": np.nan,
    "distance_max_m": np.nan,
    "description": None,
    "attributed_to": None,
    "observed": "",
    "copy_of": -1,
    "repeat_of": -1,
}
MINUTE, HOUR, DAY = 60_000_000_000, 3_600_000_000_000, 86_400_000_000_000


def _rows(**columns: Any) -> pd.DataFrame:
    n = len(columns["h"])
    return pd.DataFrame({**{k: [v] * n for k, v in REPORT_DEFAULTS.items()}, **columns})


def _scatter(rng: np.random.Generator, lon, lat, sigma_m) -> tuple[np.ndarray, np.ndarray]:
    """Move each point by a 2-D Gaussian error of ``sigma_m`` metres per axis (Rayleigh distance)."""
    n = len(lon)
    lon2, lat2, _ = GEOD.fwd(lon, lat, rng.uniform(0, 360, n), rng.rayleigh(1.0, n) * sigma_m)
    return lon2, lat2


def _target(h_frame: pd.DataFrame, h: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    impact = observed == "impact"
    lon = np.where(impact, h_frame["ilon"].to_numpy()[h], h_frame["olon"].to_numpy()[h])
    lat = np.where(impact, h_frame["ilat"].to_numpy()[h], h_frame["olat"].to_numpy()[h])
    return lon, lat


def _observer_reports(rng, hf, h, obs_lon, obs_lat, observed, means, source, source_type, reliability):
    """Fire, explosions or drones heard or seen from a post or patrol: bearing, distance bracket, count."""
    n = len(h)
    klass, true_weapon = hf["klass"].to_numpy()[h], hf["weapon"].to_numpy()[h]
    t_lon, t_lat = _target(hf, h, observed)
    az, _, dist = GEOD.inv(obs_lon, obs_lat, t_lon, t_lat)
    heard = means == "heard"
    sd = np.where(heard, 12.0, 4.0)
    b = (az + rng.normal(0, 1, n) * sd) % 360
    est = np.maximum(dist, 100.0) * np.exp(rng.normal(0, 1, n) * np.where(heard, 0.3, 0.15))
    dmin = np.floor(est * 0.75 / 500) * 500
    dmax = np.maximum(np.ceil(est * 1.3 / 500) * 500, dmin + 500)
    # The OSCE wrote a bearing as a number, a compass point or a range; ranges never wrap past north here.
    form = rng.choice(3, n, p=[0.55, 0.25, 0.2])
    rmin, rmax = np.floor((b - 15) / 5) * 5, np.ceil((b + 15) / 5) * 5
    form = np.where((form == 2) & ((rmin < 0) | (rmax >= 360)), 0, form)
    k = np.round(b / 22.5).astype(int) % 16
    number = np.round(b) % 360
    centre = np.select([form == 0, form == 1], [number, k * 22.5], (rmin + rmax) / 2)
    half = np.select([form == 0, form == 1], [sd, 11.25], (rmax - rmin) / 2)
    mid = (dmin + dmax) / 2
    lon, lat, _ = GEOD.fwd(obs_lon, obs_lat, centre, mid)
    precision = np.round(np.maximum((dmax - dmin) / 2, mid * np.sin(np.radians(half))) / 100) * 100
    hour = (hf["t"].to_numpy()[h] // HOUR + 3) % 24
    night = (hour < 6) | (hour >= 19)
    small = true_weapon == "small_arms"
    u = rng.random(n)
    typ = np.where(
        observed == "origin",
        np.where(
            small, "burst_or_shots", np.where(~heard & night & (u < 0.5), "muzzle_flash", "outgoing_fire")
        ),
        np.where(
            small,
            "burst_or_shots",
            np.where(
                heard,
                np.where(u < 0.6, "undetermined_explosion", "impact"),
                np.where(true_weapon == "uav", "air_or_drone_strike", "impact"),
            ),
        ),
    ).astype(object)
    typ[klass == "uav_flight"] = "other"
    typ[klass == "demining"] = "undetermined_explosion"
    p_right = np.select([small & heard, heard, means == "camera"], [0.9, 0.45, 0.85], 0.8)
    weapon = np.where(rng.random(n) < p_right, true_weapon, "unknown")
    count = np.maximum(1, rng.binomial(hf["count"].to_numpy()[h], 0.85))
    t = (hf["t"].to_numpy()[h] + np.round(rng.normal(0, 1.5, n)) * MINUTE) // MINUTE * MINUTE
    compass = np.array(COMPASS_POINTS)[k]
    bearing_text = np.select(
        [form == 0, form == 1],
        [number.astype(int).astype(str), compass],
        np.char.add(np.char.add(rmin.astype(int).astype(str), "-"), rmax.astype(int).astype(str)),
    )
    noun = pd.Series(typ).map(TYPE_NOUN).to_numpy(str)
    description = (
        pd.Series(count.astype(str)) + " " + noun + " " + pd.Series(means) + " "
        + pd.Series((dmin / 1000).astype(str)).str.removesuffix(".0") + "-"
        + pd.Series((dmax / 1000).astype(str)).str.removesuffix(".0") + " km " + bearing_text
    )  # fmt: skip
    return _rows(
        h=h,
        source=source,
        source_type=source_type,
        means=means,
        type=typ,
        weapon=np.where(klass == "uav_flight", "uav", weapon),
        count=count,
        t=t,
        reliability=reliability,
        credibility=np.where(heard, 3, 2),
        lon=lon,
        lat=lat,
        location_precision_m=precision,
        observer_lon=obs_lon,
        observer_lat=obs_lat,
        bearing_deg=np.where(form == 0, number, np.nan),
        bearing_min_deg=np.select([form == 1, form == 2], [(k * 22.5 - 11.25) % 360, rmin], np.nan),
        bearing_max_deg=np.select([form == 1, form == 2], [(k * 22.5 + 11.25) % 360, rmax], np.nan),
        distance_min_m=dmin,
        distance_max_m=dmax,
        description=description.to_numpy(),
        observed=observed,
    )


TYPE_NOUN = {
    "undetermined_explosion": "undetermined explosion(s)",
    "impact": "impact(s)",
    "outgoing_fire": "outgoing round(s)",
    "muzzle_flash": "muzzle flash(es)",
    "burst_or_shots": "burst(s) and shot(s)",
    "air_or_drone_strike": "drone strike(s)",
    "other": "UAV(s) flying",
}


def _posts_channel(world: _World, rng: np.random.Generator, hf: pd.DataFrame) -> pd.DataFrame:
    klass = hf["klass"].to_numpy()
    idx = np.flatnonzero(np.isin(klass, ["fire", "demining", "uav_flight"]))
    origin, impact = hf[["ox", "oy"]].to_numpy()[idx], hf[["ix", "iy"]].to_numpy()[idx]
    d_o = np.nan_to_num(np.linalg.norm(origin[:, None] - world.post_xy[None], axis=2), nan=np.inf)
    d_i = np.nan_to_num(np.linalg.norm(impact[:, None] - world.post_xy[None], axis=2), nan=np.inf)
    flight = (klass[idx] == "uav_flight")[:, None]
    use_origin = flight | (d_o < d_i)
    d = np.where(use_origin, d_o, d_i)
    # Rifle and machine-gun fire carries a few kilometres, not a post's full range.
    reach = np.where(
        (hf["weapon"].to_numpy()[idx] == "small_arms")[:, None],
        np.minimum(world.post_range, 5_000.0),
        world.post_range,
    )
    p = np.where(flight, np.where(d <= 6_000, 0.6, 0.0), 0.9 * np.clip(1 - (d / reach) ** 3, 0, 1))
    hh, pp = np.nonzero(rng.random(d.shape) < p)
    u = rng.random(len(hh))
    near = d[hh, pp] <= 4_000
    means = np.where(near, np.where(u < 0.45, "seen", np.where(u < 0.6, "camera", "heard")), "heard")
    means = np.where(flight[hh, 0], np.where(u < 0.6, "seen", "camera"), means)
    observed = np.where(use_origin[hh, pp], "origin", "impact")
    return _observer_reports(
        rng, hf, idx[hh], world.post_lon[pp], world.post_lat[pp], observed, means,
        world.post_source[pp], "observation_post", "A",
    )  # fmt: skip


def _patrol_channel(rng: np.random.Generator, hf: pd.DataFrame) -> pd.DataFrame:
    klass = hf["klass"].to_numpy()
    hour = (hf["t"].to_numpy() // HOUR) % 24
    idx = np.flatnonzero(np.isin(klass, ["fire", "uav_flight"]) & (hour >= 4) & (hour <= 14))
    idx = idx[rng.random(len(idx)) < 0.12]
    n = len(idx)
    flight = klass[idx] == "uav_flight"
    observed = np.where(flight | (rng.random(n) < 0.5), "origin", "impact")
    t_lon, t_lat = _target(hf, idx, observed)
    obs_lon, obs_lat, _ = GEOD.fwd(t_lon, t_lat, rng.uniform(0, 360, n), rng.uniform(1_500, 7_000, n))
    means = np.where(flight | (rng.random(n) < 0.45), "seen", "heard")
    source = np.char.add("CVM-PATROL-", rng.integers(1, 7, n).astype(str))
    return _observer_reports(rng, hf, idx, obs_lon, obs_lat, observed, means, source, "monitor", "B")


def _satellite_pass(t: np.ndarray, *, after: bool) -> np.ndarray:
    day = t // DAY * DAY + SATELLITE_PASS.value
    if after:
        return np.where(day >= t, day, day + DAY)
    return np.where(day <= t, day, day - DAY)


def _imagery_channel(rng: np.random.Generator, hf: pd.DataFrame) -> pd.DataFrame:
    klass, weapon = hf["klass"].to_numpy(), hf["weapon"].to_numpy()
    t, count = hf["t"].to_numpy(), hf["count"].to_numpy()
    heavy = klass == "heavy_weapon"
    parts = []

    def add(mask, observed, sigma, **cols):
        h = np.flatnonzero(mask)
        lon, lat = _target(hf, h, np.full(len(h), observed))
        lon, lat = _scatter(rng, lon, lat, sigma)
        cols = {k: (v[h] if isinstance(v, np.ndarray) and len(v) == len(hf) else v) for k, v in cols.items()}
        parts.append(_rows(h=h, lon=lon, lat=lat, observed=observed, weapon=weapon[h], **cols))

    def minute(dt):
        return (t + dt) // MINUTE * MINUTE

    uav = dict(source="CVM-UAV", source_type="uav", means="uav", reliability="A", credibility=2)
    sat = dict(
        source="SAT-IMAGERY", source_type="satellite", means="satellite", reliability="B", credibility=2
    )
    add(heavy & (rng.random(len(hf)) < 0.7), "origin", 10.0, type="weapon_sighting", count=count,
        t=minute(np.round(rng.normal(0, 20, len(hf))) * MINUTE), location_precision_m=25.0,
        description="heavy weapons sighted", **uav)  # fmt: skip
    add(heavy & (rng.random(len(hf)) < 0.35), "origin", 8.0, type="weapon_sighting",
        count=np.maximum(1, rng.binomial(count, 0.9)), t=_satellite_pass(t, after=False),
        location_precision_m=15.0, description="heavy weapons on imagery", **sat)  # fmt: skip
    guns = (klass == "fire") & np.isin(weapon, ["artillery_lt100mm", *HEAVY_WEAPONS])
    add(guns & (rng.random(len(hf)) < 0.06), "origin", 10.0, type="outgoing_fire", count=count,
        t=minute(np.round(rng.normal(0, 1, len(hf))) * MINUTE), location_precision_m=30.0,
        description="firing position observed", **uav)  # fmt: skip
    craters = (klass == "fire") & np.isin(
        weapon, ["artillery_ge100mm", "mlrs", "heavy_mlrs_tactical_missile"]
    )
    add(craters & (rng.random(len(hf)) < 0.12), "impact", 15.0, type="impact",
        count=np.maximum(1, rng.binomial(count, 0.7)), t=t, t_from=_satellite_pass(t, after=False),
        t_to=_satellite_pass(t, after=True), time_precision="day", location_precision_m=50.0,
        description="fresh craters between two passes", **{**sat, "means": "crater_analysis"})  # fmt: skip
    thermal = (klass == "thermal") | (craters & (rng.random(len(hf)) < 0.03))
    add(thermal, "impact", 150.0, type="other", count=1, t=minute(0), location_precision_m=375.0,
        description="thermal anomaly", source="SAT-THERMAL", source_type="satellite", means="satellite",
        reliability="B", credibility=3)  # fmt: skip
    frame = pd.concat(parts, ignore_index=True)
    frame.loc[frame["type"] == "other", "weapon"] = "unknown"
    return frame


def _party_rows(rng, h, reporter, lon, lat, attributed, klass, weapon, count, t) -> pd.DataFrame:
    """A party's claim: located near a village, rounded to the hour, inflated, blaming the other side."""
    n = len(h)
    main = rng.random(n) < 0.7
    source = np.where(
        reporter == "UA",
        np.where(main, PARTY_SOURCES["UA"][0][0], PARTY_SOURCES["UA"][1][0]),
        np.where(main, PARTY_SOURCES["RU"][0][0], PARTY_SOURCES["RU"][1][0]),
    )
    lon, lat = _scatter(rng, lon, lat, np.where(klass == "heavy_weapon", 2_500.0, 1_200.0))
    escalate = pd.Series(weapon).map(ESCALATE).fillna(pd.Series(weapon)).to_numpy(str)
    weapon = np.where((klass == "fire") & (rng.random(n) < 0.3), escalate, weapon)
    typ = np.select(
        [klass == "uav_flight", klass == "heavy_weapon", weapon == "uav"],
        ["other", "weapon_sighting", "air_or_drone_strike"],
        "impact",
    )
    count = np.ceil(count * rng.uniform(1.0, 3.0, n)).astype(int)
    t = (t + np.where(rng.random(n) < 0.2, HOUR, 0)) // HOUR * HOUR
    forces = np.where(attributed == "UA", "Ukrainian", "Russian")
    what = np.select(
        [klass == "uav_flight", klass == "heavy_weapon"],
        [" UAV over our positions", " heavy weapons moved up to the line"],
        " shelling of our positions",
    )
    return _rows(
        h=h,
        source=source,
        source_type="party",
        means="party_report",
        type=typ,
        weapon=weapon,
        count=count,
        t=t,
        time_precision="hour",
        reliability=np.where(main, "D", "E"),
        credibility=rng.choice([3, 4, 5], n, p=[0.4, 0.4, 0.2]),
        lon=lon,
        lat=lat,
        location_precision_m=rng.choice([1_000.0, 2_000.0, 3_000.0], n),
        description=np.char.add(forces.astype(str), what.astype(str)),
        attributed_to=attributed,
    )


def _party_channel(rng: np.random.Generator, hf: pd.DataFrame) -> pd.DataFrame:
    klass, side = hf["klass"].to_numpy(), hf["side"].to_numpy()
    other = np.where(side == "UA", "RU", "UA")
    loud = np.isin(hf["weapon"], HEAVY_WEAPONS) | (hf["count"].to_numpy() >= 10)
    u = rng.random(len(hf))
    # (mask, reporter, observed point, blamed side): victims report fire and drones over them; the
    # firing side sometimes reports its own fire, or its own demining, as enemy shelling.
    cases = [
        ((klass == "fire") & (u < 0.45 + 0.3 * loud), other, "impact", side),
        ((klass == "fire") & (u > 0.93), side, "origin", other),
        ((klass == "demining") & (u < 0.12), side, "impact", other),
        ((klass == "uav_flight") & (u < 0.35), other, "origin", side),
        ((klass == "heavy_weapon") & (u < 0.2), other, "origin", side),
    ]
    parts = []
    for mask, reporter, observed, blamed in cases:
        h = np.flatnonzero(mask)
        lon, lat = _target(hf, h, np.full(len(h), observed))
        rows = _party_rows(
            rng, h, reporter[h], lon, lat, blamed[h], klass[h], hf["weapon"].to_numpy()[h],
            hf["count"].to_numpy()[h], hf["t"].to_numpy()[h],
        )  # fmt: skip
        parts.append(rows.assign(observed=observed))
    return pd.concat(parts, ignore_index=True)


def _media_rows(rng, h, lon, lat, klass, weapon, count, t) -> pd.DataFrame:
    """Media and open sources: a place named loosely, a day or an hour, a rough count."""
    n = len(h)
    pick = rng.integers(0, len(MEDIA_SOURCES), n)
    precision = rng.choice([1_000.0, 2_000.0, 5_000.0], n)
    lon, lat = _scatter(rng, lon, lat, precision / 2)
    day = rng.random(n) < 0.5
    typ = np.select(
        [klass == "uav_flight", klass == "heavy_weapon", klass == "demining"],
        ["other", "weapon_sighting", "undetermined_explosion"],
        np.where(rng.random(n) < 0.5, "impact", "undetermined_explosion"),
    )
    return _rows(
        h=h,
        source=np.array([m[0] for m in MEDIA_SOURCES])[pick],
        source_type=np.array([m[1] for m in MEDIA_SOURCES])[pick],
        means=np.where(rng.random(n) < 0.25, "camera", None),
        type=typ,
        weapon=np.where(rng.random(n) < 0.5, weapon, "unknown"),
        count=np.maximum(1, np.round(count * rng.uniform(0.7, 1.5, n))).astype(int),
        t=t // HOUR * HOUR,
        t_from=np.where(day, t // DAY * DAY, -1),
        t_to=np.where(day, t // DAY * DAY + DAY - MINUTE, -1),
        time_precision=np.where(day, "day", "hour"),
        reliability="C",
        credibility=rng.choice([2, 3, 4], n, p=[0.3, 0.45, 0.25]),
        lon=lon,
        lat=lat,
        location_precision_m=precision,
        description=np.where(
            klass == "fire", "shelling reported near the front line", "reported near the front"
        ),
    )


def _media_channel(rng, hf, wants, party) -> pd.DataFrame:
    """Media reports; half of those about a happening a party claimed repeat the party's claim."""
    h = np.flatnonzero(wants)
    klass = hf["klass"].to_numpy()
    observed = np.where(np.isin(klass[h], ["uav_flight", "heavy_weapon"]), "origin", "impact")
    lon, lat = _target(hf, h, observed)
    rows = _media_rows(
        rng,
        h,
        lon,
        lat,
        klass[h],
        hf["weapon"].to_numpy()[h],
        hf["count"].to_numpy()[h],
        hf["t"].to_numpy()[h],
    ).assign(observed=observed)
    first = party.drop_duplicates("h").set_index("h")
    copy = np.isin(h, first.index) & (rng.random(len(h)) < 0.5)
    src = first.loc[h[copy]]
    for col in ("lon", "lat", "count", "weapon", "type", "observed"):
        rows.loc[copy, col] = src[col].to_numpy()
    rows.loc[copy, "copy_of"] = src["row"].to_numpy()
    return rows


def _false_reports(world: _World, rng: np.random.Generator, start: pd.Timestamp, days: int, n: int):
    """Claims of fire where nothing happened, placed on the claimant's own side near the line."""

    def make(m):
        side = rng.choice(["UA", "RU"], m)
        t = _times(rng, m, start, 0, days)
        s, _ = world.sample_s(rng, m)
        vidx = world.version_index(t)
        base, tangent, normal = world.along(vidx, s)
        sign = np.where(side == "UA", 1.0, -1.0)[:, None]
        xy = base + normal * sign * rng.uniform(500, 8_000, (m, 1)) + tangent * rng.normal(0, 1_000, (m, 1))
        return pd.DataFrame(
            {"side": side, "t": t, "x": xy[:, 0], "y": xy[:, 1], "valid": world.side_of(vidx, xy) == side}
        )

    f = _collect(make, n)
    lon, lat = world.frame.inv.transform(f["x"].to_numpy(), f["y"].to_numpy())
    side, t = f["side"].to_numpy(), f["t"].to_numpy()
    weapon = rng.choice(["mortar", "artillery_ge100mm", "mlrs", "uav"], n, p=[0.4, 0.35, 0.15, 0.1])
    count = 1 + rng.poisson(5, n)
    media = rng.random(n) < 0.15
    klass = np.full(n, "fire")
    h = np.full(n, -1)
    party = _party_rows(
        rng, h[~media], side[~media], lon[~media], lat[~media], np.where(side == "UA", "RU", "UA")[~media],
        klass[~media], weapon[~media], count[~media], t[~media],
    )  # fmt: skip
    press = _media_rows(
        rng, h[media], lon[media], lat[media], klass[media], weapon[media], count[media], t[media]
    )
    return pd.concat([party, press], ignore_index=True)


MAX_SOURCES = 4
N_FALSE = 260
REPEAT_P = 0.045


def _simulate(
    scenario: Scenario, *, seed: int, start: pd.Timestamp, days: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    world = _World(scenario)
    hf = _happenings(world, rng, start, days)
    klass, weapon = hf["klass"].to_numpy(), hf["weapon"].to_numpy()
    loud = np.isin(weapon, HEAVY_WEAPONS) | (hf["count"].to_numpy() >= 10)
    p_media = np.select(
        [klass == "fire", klass == "demining", klass == "heavy_weapon", klass == "uav_flight"],
        [0.06 + 0.2 * loud + 0.15 * (hf["tag"].to_numpy() != ""), 0.05, 0.05, 0.03],
        0.0,
    )
    wants = rng.random(len(hf)) < p_media
    primary = pd.concat(
        [
            _posts_channel(world, rng, hf),
            _patrol_channel(rng, hf),
            _imagery_channel(rng, hf),
            _party_channel(rng, hf),
        ],
        ignore_index=True,
    )
    # At most MAX_SOURCES sources per happening, one place kept for the media when they report it.
    order = np.lexsort((rng.random(len(primary)), primary["h"].to_numpy()))
    rank = np.empty(len(primary), int)
    rank[order] = primary.iloc[order].groupby("h").cumcount().to_numpy()
    primary = primary.loc[rank < MAX_SOURCES - wants[primary["h"].to_numpy()]].reset_index(drop=True)
    primary["row"] = np.arange(len(primary))
    media = _media_channel(rng, hf, wants, primary.loc[primary["source_type"] == "party"])
    reports = pd.concat([primary, media, _false_reports(world, rng, start, days, N_FALSE)], ignore_index=True)
    reports["row"] = np.arange(len(reports))
    again = reports.loc[
        reports["source_type"]
        .isin(["party", "media", "open_source", "observation_post", "monitor"])
        .to_numpy()
        & (rng.random(len(reports)) < REPEAT_P)
    ].copy()
    again["repeat_of"] = again["row"].to_numpy()
    again["copy_of"] = -1
    again["lon"], again["lat"] = _scatter(rng, again["lon"].to_numpy(), again["lat"].to_numpy(), 200.0)
    shift = np.where(
        again["time_precision"] == "minute", np.round(rng.uniform(1, 30, len(again))) * MINUTE, 0
    )
    again["t"] = again["t"].to_numpy() + shift
    reports = pd.concat([reports, again], ignore_index=True)
    reports["row"] = np.arange(len(reports))
    return _finish(reports, start, days, rng), hf


def _finish(r: pd.DataFrame, start: pd.Timestamp, days: int, rng: np.random.Generator) -> pd.DataFrame:
    """Keep every time inside the month, order the reports and give each its source's daily number."""
    lo, hi = start.value, start.value + days * DAY - MINUTE
    r["t"] = np.clip(r["t"].to_numpy(np.int64), lo, hi)
    interval = r["t_from"].to_numpy() >= 0
    r["t_from"] = np.where(interval, np.clip(r["t_from"], lo, hi), -1)
    r["t_to"] = np.where(interval, np.clip(r["t_to"], lo, hi), -1)
    r["t"] = np.where(interval, (r["t_from"] + r["t_to"]) // 2, r["t"])
    r = r.iloc[np.lexsort((rng.random(len(r)), r["source"].to_numpy(), r["t"].to_numpy()))].reset_index(
        drop=True
    )
    day = pd.to_datetime(r["t"], utc=True).dt.strftime("%Y%m%d")
    number = r.groupby([r["source"], day]).cumcount() + 1
    r["id"] = day + "-" + number.map("{:04d}".format)
    r["uid"] = report_uid(r["source"], r["id"])
    by_row = pd.Series(r["uid"].to_numpy(), index=r["row"].to_numpy())
    r["rereport_of"] = r["copy_of"].map(by_row).fillna("").to_numpy()
    r["repeat_uid"] = r["repeat_of"].map(by_row).fillna("").to_numpy()
    return r


TRUTH_COLUMNS = (
    "uid",
    "happening_id",
    "happening_kind",
    "is_violation",
    "violation_kinds",
    "firing_side",
    "true_weapon",
    "true_time",
    "true_origin_lon",
    "true_origin_lat",
    "true_impact_lon",
    "true_impact_lat",
    "sector",
    "observed",
    "is_false_report",
    "is_repeat_of_same_source",
    "repeat_of",
    "rereport_of",
)


def _utc(ns: np.ndarray) -> pd.Series:
    values = np.where(ns >= 0, ns, np.iinfo(np.int64).min)
    return pd.Series(pd.to_datetime(values, utc=True)).dt.as_unit("ns")


def generate(
    *,
    seed: int = DEFAULT_SEED,
    start: str = "2026-10-01",
    days: int = 31,
    scenario: Scenario | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Simulate a month of happenings on the demo front and the reports sources make of them.

    Parameters
    ----------
    seed
        Seed of the random generator; the same seed gives the same frames.
    start
        First day (UTC) of the period.
    days
        Length of the period in days.
    scenario
        The scenario to play on; default the files in ``data/scenario``.

    Returns
    -------
    reports : GeoDataFrame
        The normalised incident frame (every field of ``geo.schema.FIELDS``, ``extra``, ``uid``),
        EPSG:4326, ordered by time.
    truth : DataFrame
        One row per report, aligned with ``reports``: see :data:`TRUTH_COLUMNS` and docs/DEMO.md.
    """
    begin = pd.Timestamp(start)
    begin = begin.tz_localize("UTC") if begin.tzinfo is None else begin.tz_convert("UTC")
    if days < 1:
        msg = f"The demo period must last at least one day, not {days}."
        raise InputError(msg, hint="Pass days=31 for a month.")
    r, hf = _simulate(scenario or load_scenario(), seed=seed, start=begin, days=days)
    columns: dict[str, Any] = {}
    for f in FIELDS:
        if f.kind == "datetime":
            name = {"occurred_at": "t", "occurred_from": "t_from", "occurred_to": "t_to"}[f.name]
            columns[f.name] = _utc(r[name].to_numpy(np.int64))
        elif f.kind == "integer" or f.name == "credibility":
            columns[f.name] = (
                pd.array(r[f.name], dtype="Int64")
                if f.name in r
                else pd.array([pd.NA] * len(r), dtype="Int64")
            )
        elif f.kind == "number":
            columns[f.name] = r[f.name].astype(float) if f.name in r else np.full(len(r), np.nan)
        else:
            values = r[f.name].to_numpy(object) if f.name in r else np.full(len(r), None, dtype=object)
            columns[f.name] = pd.Series(values).where(pd.notna(values), None).astype(object)
    attributed = r["attributed_to"].to_numpy(object)
    columns["extra"] = np.where(
        pd.notna(attributed), '{"attributed_to": "' + attributed.astype(str) + '"}', "{}"
    )
    columns["uid"] = r["uid"].to_numpy(object)
    lon, lat = np.round(r["lon"].to_numpy(float), 6), np.round(r["lat"].to_numpy(float), 6)
    frame = pd.DataFrame({k: (v.to_numpy() if isinstance(v, pd.Series) else v) for k, v in columns.items()})
    for f in FIELDS:
        if f.kind == "datetime":
            frame[f.name] = columns[f.name].to_numpy()
    reports = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=4326)
    for name in ("observer_lon", "observer_lat"):
        reports[name] = reports[name].round(6)
    return reports, _truth(r, hf)


def _truth(r: pd.DataFrame, hf: pd.DataFrame) -> pd.DataFrame:
    h = r["h"].to_numpy()
    real = h >= 0
    hi = np.where(real, h, 0)

    def pick(column: str, empty: Any) -> np.ndarray:
        return np.where(real, hf[column].to_numpy(object)[hi], empty)

    klass = pick("klass", "")
    side = np.where(klass == "thermal", "", pick("side", ""))
    t = np.where(real, hf["t"].to_numpy()[hi], -1)
    truth = pd.DataFrame(
        {
            "uid": r["uid"].to_numpy(object),
            "happening_id": pick("happening_id", ""),
            "happening_kind": klass,
            "is_violation": pick("is_violation", False).astype(bool),
            "violation_kinds": pick("violation_kinds", ""),
            "firing_side": side,
            "true_weapon": pick("weapon", ""),
            "true_time": _utc(t).dt.strftime("%Y-%m-%dT%H:%M:%SZ").fillna("").to_numpy(),
        }
    )
    for col, src in (
        ("true_origin_lon", "olon"),
        ("true_origin_lat", "olat"),
        ("true_impact_lon", "ilon"),
        ("true_impact_lat", "ilat"),
    ):
        truth[col] = np.round(np.where(real, hf[src].to_numpy(float)[hi], np.nan), 6)
    truth["sector"] = pick("sector", "")
    truth["observed"] = np.where(real, r["observed"].to_numpy(object), "")
    truth["is_false_report"] = ~real
    truth["is_repeat_of_same_source"] = r["repeat_uid"].to_numpy() != ""
    truth["repeat_of"] = r["repeat_uid"].to_numpy(object)
    truth["rereport_of"] = r["rereport_of"].to_numpy(object)
    return truth


def _family(source: pd.Series, source_type: pd.Series) -> np.ndarray:
    return np.select(
        [
            source_type.isin(["observation_post", "monitor"]),
            source_type.isin(["uav", "satellite"]),
            source.str.startswith("UA-"),
            source.str.startswith("RU-"),
        ],
        ["monitors", "imagery", "party_ua", "party_ru"],
        "media",
    )


def _offsets(source: pd.Series, t: pd.Series) -> np.ndarray:
    """Hours east of UTC in which each source writes times: parties their own clocks, the rest UTC."""
    # Kyiv leaves summer time (+3) for +2 at 01:00 UTC on the last Sunday of October, 25 October 2026.
    kyiv = np.where(t < pd.Timestamp("2026-10-25T01:00:00Z"), 3, 2)
    return np.select([source.str.startswith("UA-"), source.str.startswith("RU-")], [kyiv, 3], 0)


def _iso(t: pd.Series, offset_h: np.ndarray) -> np.ndarray:
    local = (t + pd.to_timedelta(offset_h, unit="h")).dt.strftime("%Y-%m-%dT%H:%M:%S")
    suffix = np.where(
        offset_h == 0, "Z", np.char.add(np.char.add("+", np.char.zfill(offset_h.astype(str), 2)), ":00")
    )
    return np.where(t.isna(), None, local.fillna("").to_numpy(str) + suffix)


def _bearing_text(frame: gpd.GeoDataFrame) -> np.ndarray:
    """The bearing as the source wrote it: a number, a compass point or a range (see the generator)."""
    deg, lo, hi = frame["bearing_deg"], frame["bearing_min_deg"], frame["bearing_max_deg"]
    width = (hi - lo) % 360
    k = np.round(((lo + 11.25) % 360) / 22.5).astype("Int64").fillna(0).to_numpy(int) % 16
    compass = np.isclose(width, 22.5) & np.isclose((lo + 11.25) % 22.5, 0)
    text = lo.round().astype("Int64").astype(str) + "-" + hi.round().astype("Int64").astype(str)
    return np.where(
        deg.notna(),
        deg.to_numpy(object),
        np.where(compass, np.array(COMPASS_POINTS)[k], np.where(lo.notna(), text, None)),
    )


def report_features(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """GeoJSON Features for normalised reports, as a source would upload them.

    Intervals are written as ``occurred_from``/``occurred_to`` only; bearings as written
    (number, compass point or range); ``extra`` becomes top-level properties; parties write
    times in their local offset.
    """
    columns: dict[str, list[Any]] = {}
    offsets = _offsets(frame["source"], frame["occurred_at"])
    interval = frame["occurred_from"].notna().to_numpy()
    for f in FIELDS:
        if f.name in ("bearing_min_deg", "bearing_max_deg"):
            continue
        col = frame[f.name]
        if f.kind == "datetime":
            values = _iso(col, offsets)
            if f.name == "occurred_at":
                values = np.where(interval, None, values)
        elif f.name == "bearing_deg":
            values = _bearing_text(frame)
        else:
            values = np.where(col.isna().to_numpy(), None, col.astype(object).to_numpy())
        columns[f.name] = values.tolist()
    extras = frame["extra"].map(json.loads)
    coords = np.round(shapely.get_coordinates(frame.geometry.to_numpy()), 6)
    names = list(columns)
    records = [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    # Serialisation is per feature by nature; the numbers were rounded above.
    return [
        {
            "type": "Feature",
            "properties": {**{k: _number(v) for k, v in p.items() if v is not None}, **extra},
            "geometry": {"type": "Point", "coordinates": [_number(x), _number(y)]},
        }
        for p, extra, (x, y) in zip(records, extras, coords, strict=True)
    ]


def write_demo(
    out_dir: Path = DEMO_DIR,
    *,
    seed: int = DEFAULT_SEED,
    start: str = "2026-10-01",
    days: int = 31,
    scenario_dir: Path = SCENARIO_DIR,
) -> list[Path]:
    """Write the demo reports as weekly GeoJSON batches per source family, and the ground truth.

    Files are ``incidents_<family>_<week start>.geojson`` (families ``monitors``, ``imagery``,
    ``party_ua``, ``party_ru``, ``media``) and ``ground_truth.csv``; earlier ``incidents_*.geojson``
    in ``out_dir`` are removed first. The same arguments give byte-identical files.

    Returns
    -------
    list of Path
        The files written, batches first.
    """
    reports, truth = generate(seed=seed, start=start, days=days, scenario=load_scenario(scenario_dir))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("incidents_*.geojson"):
        old.unlink()
    first = pd.Timestamp(start)
    begin = first.tz_localize("UTC") if first.tzinfo is None else first.tz_convert("UTC")
    week = ((reports["occurred_at"] - begin) // pd.Timedelta(days=7)).to_numpy()
    family = _family(reports["source"], reports["source_type"])
    written = []
    for fam, wk in sorted(set(zip(family, week, strict=True))):
        rows = reports.loc[(family == fam) & (week == wk)]
        day = (begin + pd.Timedelta(days=7 * int(wk))).strftime("%Y-%m-%d")
        path = out_dir / f"incidents_{fam}_{day}.geojson"
        write_feature_collection(path, report_features(rows))
        written.append(path)
    truth_path = out_dir / "ground_truth.csv"
    truth.to_csv(truth_path, index=False, lineterminator="\n", float_format="%.6f")
    written.append(truth_path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m geo.demo scenario|reports``: rebuild the scenario files or the demo reports."""
    parser = argparse.ArgumentParser(prog="python -m geo.demo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("scenario", help="rebuild data/scenario from the town coordinates and Natural Earth")
    p.add_argument("--out", type=Path, default=SCENARIO_DIR)
    p.add_argument("--countries", type=Path, default=COUNTRIES_PATH)
    p = sub.add_parser("reports", help="regenerate data/demo (reports and ground truth)")
    p.add_argument("--out", type=Path, default=DEMO_DIR)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--start", default="2026-10-01")
    p.add_argument("--days", type=int, default=31)
    p.add_argument("--scenario", type=Path, default=SCENARIO_DIR)
    args = parser.parse_args(argv)
    try:
        if args.command == "scenario":
            paths = build_scenario(args.out, countries=args.countries)
        else:
            paths = write_demo(
                args.out, seed=args.seed, start=args.start, days=args.days, scenario_dir=args.scenario
            )
    except GeoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
