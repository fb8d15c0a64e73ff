"""What changed between two contact line versions: ground that changed hands and stretches of line that moved."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from geo.crs import centre_of, theatre_crs
from geo.errors import InputError
from geo.scenario.loading import SIDES, Scenario

# A stretch of the newer line farther than this from the older one counts as moved (digitising noise).
MOVED_TOLERANCE_M = 100.0


@dataclass(frozen=True)
class LineChange:
    """The change from line version ``old`` to ``new``.

    Attributes
    ----------
    old, new
        The version labels compared.
    gained
        Ground each side holds under ``new`` but not under ``old``: one row per side with ``side``,
        ``area_km2`` (EPSG:4326 geometry; empty when the side gained nothing).
    moved
        The stretches of the ``new`` line more than ``tolerance_m`` from the ``old`` one:
        one row per stretch with ``length_km`` and ``max_shift_km`` (how far it lies from the old line).
    line_km
        Length of the ``new`` line.
    tolerance_m
        The distance below which the line is taken as unmoved.
    """

    old: str
    new: str
    gained: gpd.GeoDataFrame
    moved: gpd.GeoDataFrame
    line_km: float
    tolerance_m: float

    def summary(self) -> pd.DataFrame:
        """Headline figures: area gained per side, length of line moved, the largest shift."""
        rows = [
            (f"Ground gained by {s} (km²)", a)
            for s, a in zip(self.gained["side"], self.gained["area_km2"], strict=True)
        ]
        rows += [
            ("Line moved (km)", float(self.moved["length_km"].sum())),
            (f"Line length {self.new} (km)", self.line_km),
            ("Largest shift (km)", float(self.moved["max_shift_km"].max()) if len(self.moved) else 0.0),
        ]
        return pd.DataFrame(rows, columns=["figure", "value"]).round({"value": 1})


def line_change(
    scenario: Scenario, old: str, new: str, *, tolerance_m: float = MOVED_TOLERANCE_M
) -> LineChange:
    """Compare two line versions of ``scenario`` and their control areas, in the theatre projection.

    Raises
    ------
    InputError
        When a version is not in the scenario.
    """
    known = scenario.lines["version"].tolist()
    for version in (old, new):
        if version not in known:
            msg = f"There is no line version {version!r}."
            raise InputError(msg, hint=f"Choose one of {', '.join(known)}.")
    crs = theatre_crs(*centre_of(scenario.lines))
    lines = scenario.lines.set_index("version").to_crs(crs).geometry
    areas = scenario.control_areas.to_crs(crs)

    def area(version: str, side: str) -> shapely.Geometry:
        got = areas.loc[(areas["version"] == version) & (areas["side"] == side)].geometry
        return shapely.union_all(got.to_numpy()) if len(got) else shapely.Polygon()

    gains = [shapely.difference(area(new, s), area(old, s)) for s in SIDES]
    gained = gpd.GeoDataFrame(
        {"side": list(SIDES), "area_km2": [g.area / 1e6 for g in gains]}, geometry=gains, crs=crs
    ).to_crs(4326)
    old_line, new_line = lines[old], lines[new]
    away = shapely.difference(new_line, old_line.buffer(tolerance_m))
    parts = [p for p in shapely.get_parts(away) if not p.is_empty]
    # The farthest vertex of each moved stretch from the old line: how far the line shifted there.
    shift = [
        float(shapely.distance(old_line, shapely.points(shapely.get_coordinates(p))).max()) for p in parts
    ]
    moved = gpd.GeoDataFrame(
        {"length_km": [p.length / 1000 for p in parts], "max_shift_km": [s / 1000 for s in shift]},
        geometry=parts,
        crs=crs,
    ).to_crs(4326)
    return LineChange(old, new, gained, moved, new_line.length / 1000, tolerance_m)
