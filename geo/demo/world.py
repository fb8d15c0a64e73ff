"""The demo scenario in its metric frame: what the simulation places things in and measures against."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo.demo.geography import FRONT, SECTORS, Frame
from geo.scenario import Scenario
from geo.scenario.versions import version_at

TOWN_SHARE = 0.45


class World:
    """The scenario in the demo's metric frame: what the simulation places things in and measures against."""

    def __init__(self, scenario: Scenario) -> None:
        self.frame = Frame()
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

    def beside(
        self,
        vidx: np.ndarray,
        s: np.ndarray,
        side: np.ndarray,
        d: np.ndarray,
        rng: np.random.Generator,
        *,
        spread_m: float,
    ) -> np.ndarray:
        """Points ``d`` metres from each time's line on ``side``'s side, scattered ``spread_m`` (sd) along it."""
        base, tangent, normal = self.along(vidx, s)
        sign = np.where(side == "UA", 1.0, -1.0)[:, None]
        return base + normal * sign * np.reshape(d, (-1, 1)) + tangent * rng.normal(0, spread_m, (len(s), 1))

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
