"""Where a fire came from, as a probability density: bearing and distance errors by means of observation.

A report of fire heard or seen from an observer says "to the S at about 2,000 m". Neither number
is exact: people misjudge heard bearings by 10-15 degrees and heard distances by 30-50 %
(docs/METHOD.md, "Fire origin", gives the sources of every figure below). So the origin is a
density, not a wedge: the bearing is normal about the reported one, the distance log-normal about
the reported one (an error of a given share is as likely short as long), each with the spread of
the means of observation. A bearing range or a distance bracket widens the density by its own
spread (the variance of a uniform over it, added).

The probability that the weapon stood on a side's ground is the density's mass there. It is
integrated with the same quasi-random draws for every report (a scrambled Sobol sequence), all
reports at once; a report whose density cannot reach the other side's ground (its distance beyond
the 99.95th percentile) gets its probability from the log-normal tail without drawing.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy.spatial import cKDTree
from scipy.stats import norm, qmc

from geo.attribution.sides import DENSIFY_DEG, SIDES
from geo.framememo import content_digest
from geo.scenario.versions import version_at

# One standard deviation of a reported bearing, in degrees, by means of observation.
BEARING_SIGMA_DEG: dict[str, float] = {
    "heard": 15.0,
    "seen": 5.0,
    "camera": 3.0,
    "uav": 2.0,
    "crater_analysis": 10.0,
}
FALLBACK_BEARING_SIGMA_DEG = 12.0
# One standard deviation of the natural log of a reported distance, by means of observation:
# 0.4 is a factor of 1.5 either way at one sigma.
DISTANCE_SIGMA_LOG: dict[str, float] = {
    "heard": 0.5,
    "seen": 0.25,
    "camera": 0.2,
    "uav": 0.1,
    "crater_analysis": 0.3,
}
FALLBACK_DISTANCE_SIGMA_LOG = 0.4
# Draws per report for the integral; the resolution of p(side) is about 1/DRAWS.
DRAWS = 64
SEED = 20261004
# A density reaches at most this many sigmas beyond its median distance (99.95th percentile).
REACH_SIGMAS = 3.3
# Boundary vertices for the far-from-ground test, metres apart: the distance to the nearest vertex
# overstates the distance to the boundary by at most half of this.
BOUNDARY_STEP_M = 250.0
# Cells of the coarse side grid (_Cells), metres: several boundary steps, so few cells are left to test.
GRID_CELL_M = 1000.0


@dataclass(frozen=True)
class Densities:
    """The origin density of each report with one, positional (arrays of the same length).

    ``x``, ``y`` are the observer in the theatre CRS; ``bearing`` and ``sigma_bearing`` in degrees
    clockwise from true north; ``north`` the grid angle of true north at the observer (degrees,
    clockwise from the grid's north); ``log_d`` and ``sigma_log_d`` the log-normal distance in
    metres.
    """

    x: np.ndarray
    y: np.ndarray
    bearing: np.ndarray
    sigma_bearing: np.ndarray
    north: np.ndarray
    log_d: np.ndarray
    sigma_log_d: np.ndarray
    # True where the report gave no distance: the distance is then uniform in log over the default
    # bracket (log_d its middle, sigma_log_d the uniform's standard deviation), not a measurement.
    flat: np.ndarray

    def median_point(self) -> tuple[np.ndarray, np.ndarray]:
        """The point at the median distance along the reported bearing (theatre CRS)."""
        x, y = self.at(np.zeros(1), np.zeros(1))
        return x[:, 0], y[:, 0]

    def at(self, z_bearing: np.ndarray, z_distance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Points ``z`` standard deviations off in bearing and log-distance: (m, k) x and y for k draws.

        Angles and offsets are computed in float32 (millimetres at tens of kilometres; half the time
        of float64 at a million reports), then added to the float64 observer.
        """
        f4 = np.float32
        theta = np.radians(
            (self.bearing + self.north).astype(f4)[:, None]
            + self.sigma_bearing.astype(f4)[:, None] * z_bearing.astype(f4)[None, :]
        )
        # A flat density maps the same draw to the same quantile of its uniform (width sd * sqrt 12).
        z_flat = (np.sqrt(12.0) * (norm.cdf(z_distance) - 0.5)).astype(f4)
        z = np.where(self.flat[:, None], z_flat[None, :], z_distance.astype(f4)[None, :])
        d = np.exp(self.log_d.astype(f4)[:, None] + self.sigma_log_d.astype(f4)[:, None] * z)
        return self.x[:, None] + d * np.sin(theta), self.y[:, None] + d * np.cos(theta)


def normal_draws(n: int = DRAWS, *, dims: int = 2, seed: int = SEED) -> np.ndarray:
    """``n`` quasi-random standard normal draws in ``dims`` dimensions, the same on every call."""
    u = qmc.Sobol(d=dims, scramble=True, seed=seed).random(n)
    return norm.ppf(np.clip(u, 1e-9, 1 - 1e-9))


def grid_north(
    lon: np.ndarray, lat: np.ndarray, to_xy: Transformer, xy: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """The angle of true north from grid north at each point, degrees clockwise (``xy``: the points
    already projected, if at hand)."""
    x0, y0 = to_xy.transform(lon, lat) if xy is None else xy
    x1, y1 = to_xy.transform(lon, np.minimum(lat + 0.01, 89.99))
    return np.degrees(np.arctan2(np.asarray(x1) - x0, np.asarray(y1) - y0))


def build(
    lon: np.ndarray,
    lat: np.ndarray,
    means: np.ndarray,
    bearing: np.ndarray,
    bearing_spread: np.ndarray,
    dmin: np.ndarray,
    dmax: np.ndarray,
    to_xy: Transformer,
    flat: np.ndarray | None = None,
) -> Densities:
    """Densities of reports with an observer, a bearing (centre and clockwise spread) and a distance bracket.

    ``bearing_spread`` is the width in degrees of a reported bearing range (0 for a single bearing);
    ``dmin``..``dmax`` the distance bracket in metres (equal for a single distance). Where ``flat``,
    the report gave no distance and the bracket is a default: the distance is uniform in log over
    it, with no error of the means added (the bracket already spans every distance allowed).
    """
    flat = np.zeros(len(lon), dtype=bool) if flat is None else np.asarray(flat, dtype=bool)
    sb = np.array([BEARING_SIGMA_DEG.get(m, FALLBACK_BEARING_SIGMA_DEG) for m in means], dtype=float)
    sd = np.array([DISTANCE_SIGMA_LOG.get(m, FALLBACK_DISTANCE_SIGMA_LOG) for m in means], dtype=float)
    lo = np.maximum(dmin, 1.0)
    hi = np.maximum(dmax, lo)
    log_spread = np.log(hi / lo)
    x, y = (np.asarray(v, dtype=float) for v in to_xy.transform(lon, lat))
    return Densities(
        x=np.asarray(x, dtype=float),
        y=np.asarray(y, dtype=float),
        bearing=np.asarray(bearing, dtype=float) % 360.0,
        sigma_bearing=np.sqrt(sb**2 + bearing_spread**2 / 12.0),
        north=grid_north(lon, lat, to_xy, xy=(x, y)),
        log_d=(np.log(lo) + np.log(hi)) / 2.0,
        sigma_log_d=np.where(flat, log_spread / np.sqrt(12.0), np.sqrt(sd**2 + log_spread**2 / 12.0)),
        flat=flat,
    )


@dataclass(frozen=True)
class _Ground:
    """One control-area version's two sides in the theatre CRS, ready for point tests and distances."""

    polygons: dict[str, shapely.Geometry]
    boundary: dict[str, cKDTree | None]
    cells: _Cells


@dataclass(frozen=True)
class _Cells:
    """A coarse grid over the ground: each cell wholly on one side's ground, wholly off both, or to test.

    Most draws of a density fall in cells no boundary crosses; only the rest need a point-in-polygon
    test (at a million reports that test was a fifth of the enrichment's time).
    """

    x0: float
    y0: float
    size: float
    code: np.ndarray  # (ny, nx) int8: OFF, one index per side (SIDES order), or TEST

    def lookup(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The cell code of each point; TEST outside the grid (``code`` has a border of TEST cells)."""
        ny, nx = self.code.shape
        ix = np.clip((x - self.x0) * (1.0 / self.size) + 1.0, 0, nx - 1).astype(np.int32)
        iy = np.clip((y - self.y0) * (1.0 / self.size) + 1.0, 0, ny - 1).astype(np.int32)
        return self.code.ravel().take(iy.astype(np.int64) * nx + ix)


OFF, TEST = -1, 127


# The grids made, by the polygons' content: a scenario's control areas are classified once per
# process, not at every analysis (a quarter of a second each, most of a small update's origins).
_CELLS: dict[bytes, _Cells] = {}
_CELLS_MAX = 16
_CELLS_LOCK = threading.Lock()  # analyses may run in several threads (app updates, CLI)


def _cells(polygons: dict[str, shapely.Geometry]) -> _Cells:
    """The grid of :func:`_classify` for these polygons, made once per process (read only: numpy)."""
    key = hashlib.sha256(b"".join(shapely.to_wkb(polygons[side]) for side in SIDES)).digest()
    found = _CELLS.get(key)
    if found is None:
        found = _classify(polygons)
        with _CELLS_LOCK:
            if len(_CELLS) >= _CELLS_MAX:
                _CELLS.pop(next(iter(_CELLS)))
            _CELLS[key] = found
    return found


def _classify(polygons: dict[str, shapely.Geometry]) -> _Cells:
    """Classify GRID_CELL_M cells by their centres, except those a boundary vertex (BOUNDARY_STEP_M
    apart, so no edge skips a cell) falls in or next to, which are left to test."""
    shapes = [g for g in polygons.values() if not g.is_empty]
    if not shapes:
        return _Cells(0.0, 0.0, GRID_CELL_M, np.full((1, 1), TEST, dtype=np.int8))
    x0, y0, x1, y1 = shapely.total_bounds(np.array(shapes))
    nx = max(1, int(np.ceil((x1 - x0) / GRID_CELL_M)))
    ny = max(1, int(np.ceil((y1 - y0) / GRID_CELL_M)))
    cx = x0 + (np.arange(nx) + 0.5) * GRID_CELL_M
    cy = y0 + (np.arange(ny) + 0.5) * GRID_CELL_M
    gx, gy = np.meshgrid(cx, cy)
    code = np.full(gx.shape, OFF, dtype=np.int8)
    for k, side in enumerate(SIDES):
        code[shapely.contains_xy(polygons[side], gx, gy)] = k
    edges = shapely.get_coordinates(shapely.segmentize(shapely.boundary(np.array(shapes)), BOUNDARY_STEP_M))
    ix = np.floor((edges[:, 0] - x0) / GRID_CELL_M).astype(np.int64)
    iy = np.floor((edges[:, 1] - y0) / GRID_CELL_M).astype(np.int64)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            code[np.clip(iy + dy, 0, ny - 1), np.clip(ix + dx, 0, nx - 1)] = TEST
    # A border of TEST cells: points beyond the grid clip onto it and are tested.
    code = np.pad(code, 1, constant_values=TEST)
    code.setflags(write=False)  # shared by every analysis of these polygons
    return _Cells(float(x0), float(y0), GRID_CELL_M, code)


# The ground of each scenario's control areas in a CRS, made once per process: projecting and
# joining real-boundary polygons (Natural Earth 1:10m) took 0.1 s of every small update.
_GROUND: dict[tuple[bytes, CRS], dict[str, _Ground]] = {}
_GROUND_MAX = 4


def _ground(control_areas: gpd.GeoDataFrame, crs: CRS) -> dict[str, _Ground]:
    """Each line version's ground (its sides' polygons, their edges and the grid of cells) in ``crs``.

    Remembered by the control areas' content (:func:`geo.framememo.content_digest`) and the CRS:
    the result is read only (shared by every analysis of these areas).
    """
    key = (content_digest(control_areas), crs)
    found = _GROUND.get(key)
    if found is None:
        found = _made_ground(control_areas, crs)
        with _CELLS_LOCK:
            if len(_GROUND) >= _GROUND_MAX:
                _GROUND.pop(next(iter(_GROUND)))
            _GROUND[key] = found
    return found


def _made_ground(control_areas: gpd.GeoDataFrame, crs: CRS) -> dict[str, _Ground]:
    dense = shapely.segmentize(control_areas.geometry.to_numpy(), DENSIFY_DEG)
    projected = gpd.GeoSeries(dense, crs=4326).to_crs(crs).to_numpy()
    out = {}
    for label in pd.unique(control_areas["version"]):
        polygons, boundary = {}, {}
        for side in SIDES:
            rows = (control_areas["version"] == label).to_numpy() & (control_areas["side"] == side).to_numpy()
            poly = shapely.union_all(projected[rows]) if rows.any() else shapely.Polygon()
            shapely.prepare(poly)
            polygons[side] = poly
            edge = shapely.segmentize(shapely.boundary(poly), BOUNDARY_STEP_M)
            coords = shapely.get_coordinates(edge)
            boundary[side] = cKDTree(coords) if len(coords) else None
        out[label] = _Ground(polygons, boundary, _cells(polygons))
    return out


def side_probability(
    points: tuple[np.ndarray, np.ndarray] | None,
    densities: Densities,
    times: pd.Series,
    control_areas: gpd.GeoDataFrame,
    *,
    crs: CRS,
    draws: np.ndarray | None = None,
) -> np.ndarray:
    """p(UA) of each density: its mass on UA ground over its mass on either side's ground (NaN if none).

    ``points`` are draws already made (``(m, k)`` x and y in the theatre CRS, e.g. from a fix's
    ellipse); when None they are drawn from ``densities`` with ``draws`` (default
    :func:`normal_draws`), and a density that cannot reach the other side's ground is settled by
    its tail without drawing.
    """
    m = len(densities.x)
    p_ua = np.full(m, np.nan)
    if not m:
        return p_ua
    periods = control_areas.drop_duplicates("version")[["version", "valid_from"]]
    # A DatetimeIndex keeps the times as int64 (np.asarray of aware times makes Timestamp objects).
    version = version_at(pd.DatetimeIndex(times), periods["valid_from"], periods["version"])
    ground = _ground(control_areas, crs)
    z = normal_draws() if draws is None else draws
    for label in pd.unique(version[pd.notna(version)]):
        idx = np.flatnonzero(version == label)
        g = ground[label]
        todo = idx
        if points is None:
            todo = _settle_far(idx, densities, g, p_ua)
        if not len(todo):
            continue
        if points is None:
            sub = Densities(*(getattr(densities, f)[todo] for f in Densities.__dataclass_fields__))
            px, py = sub.at(z[:, 0], z[:, 1])
        else:
            px, py = points[0][todo], points[1][todo]
        flat_x, flat_y = px.ravel(), py.ravel()
        code = g.cells.lookup(flat_x, flat_y)
        in_ua, in_ru = code == SIDES.index("UA"), code == SIDES.index("RU")
        test = np.flatnonzero(code == TEST)
        in_ua[test] = shapely.contains_xy(g.polygons["UA"], flat_x[test], flat_y[test])
        rest = test[~in_ua[test]]
        in_ru[rest] = shapely.contains_xy(g.polygons["RU"], flat_x[rest], flat_y[rest])
        n_ua = in_ua.reshape(px.shape).sum(axis=1)
        n_ru = in_ru.reshape(px.shape).sum(axis=1)
        total = n_ua + n_ru
        p_ua[todo] = np.where(total > 0, n_ua / np.maximum(total, 1), np.nan)
    return p_ua


def _settle_far(idx: np.ndarray, d: Densities, g: _Ground, p_ua: np.ndarray) -> np.ndarray:
    """Fill p(UA) of the densities that stand on one side's ground and cannot reach the other's.

    Returns the positions still to integrate.
    """
    x, y = d.x[idx], d.y[idx]
    reach = np.exp(d.log_d[idx] + REACH_SIGMAS * d.sigma_log_d[idx])
    settled = np.zeros(len(idx), dtype=bool)
    for own, other in (("UA", "RU"), ("RU", "UA")):
        tree = g.boundary[other]
        inside = shapely.contains_xy(g.polygons[own], x, y) & ~settled
        if not inside.any():
            continue
        if tree is None:
            far = np.full(int(inside.sum()), np.inf)
        else:
            far, _ = tree.query(np.column_stack([x[inside], y[inside]]))
            far = far - BOUNDARY_STEP_M / 2
        rows = np.flatnonzero(inside)[far > reach[inside]]
        if not len(rows):
            continue
        # The other side's ground is at least `far` away: at most the density's tail reaches it.
        tail = norm.sf(
            (np.log(np.maximum(far[far > reach[inside]], 1.0)) - d.log_d[idx][rows])
            / d.sigma_log_d[idx][rows]
        )
        p_ua[idx[rows]] = 1.0 - tail if own == "UA" else tail
        settled[rows] = True
    return idx[~settled]
