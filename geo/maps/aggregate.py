"""Server-side aggregation for the map: H3 hexagons with counts when too many reports are in view.

A browser draws a few thousand circle markers smoothly; a million would take minutes and hundreds
of megabytes. Above :data:`POINT_LIMIT` reports in view the map draws hexagons instead, each with
its count and its count per flag level, at a resolution chosen from the zoom.

The cell of every report is computed once per frame and resolution (:class:`HexIndex`); a filter
change or a pan then only counts codes (``numpy.bincount``), which is what keeps the map fast at a
million reports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely

from geo.framememo import per_frame
from geo.hexcells import H3_COLUMN, MAX_RESOLUTION, MIN_RESOLUTION, h3_cells
from geo.maps.latlon import cell_polygons
from geo.settings import Settings

# Most reports drawn one by one (circle markers on one canvas); more in view are aggregated. With
# every popup's rows 4,000 reports measured 4.6 MB of layers, too near the 5 MB budget, so above
# the map_popup_limit setting only the selected report carries its rows. An operator changes the
# limit with the map_point_limit setting.
POINT_LIMIT = Settings.map_point_limit

# Flag levels from worst to least; a hexagon is labelled by the worst level among its reports.
FLAG_ORDER = ("likely", "possible", "unlikely")


def resolution_for_zoom(zoom: float) -> int:
    """Return the H3 resolution whose hexagons are about 20-30 pixels across at this Leaflet zoom.

    At 48° N a pixel is about 105 km / 2**zoom; H3 edges shrink by about 2.65 per resolution
    (resolution 5: 8.5 km, 7: 1.2 km), hence about 0.6 resolution per zoom step.
    """
    return int(np.clip(round(0.6 * zoom + 1), MIN_RESOLUTION, MAX_RESOLUTION))


def zoom_for_bounds(
    bounds: tuple[float, float, float, float], *, width_px: int = 1000, height_px: int = 650
) -> int:
    """Return the Leaflet zoom that fits a lon/lat box in a map of this size (as fitBounds would)."""
    minx, miny, maxx, maxy = bounds

    def mercator_y(lat: float) -> float:  # in units of the world's width
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / (2 * math.pi)

    span_x = max(maxx - minx, 1e-9) / 360
    span_y = max(mercator_y(maxy) - mercator_y(miny), 1e-9)
    zoom_x = math.log2(width_px / 256 / span_x)
    zoom_y = math.log2(height_px / 256 / span_y)
    return int(np.clip(math.floor(min(zoom_x, zoom_y)), 1, 18))


@dataclass
class HexIndex:
    """Each report's H3 cell at one resolution, as integer codes into ``cells``.

    Build it once per (frame, resolution) with :meth:`build`; count a subset with :meth:`counts`.

    Attributes
    ----------
    resolution
        H3 resolution.
    codes
        Per row of the frame, the index of its cell in ``cells`` (-1 for a missing geometry).
    cells
        The distinct H3 cells (text form).
    """

    resolution: int
    codes: np.ndarray
    cells: np.ndarray
    _polygons: dict[int, Any] = field(default_factory=dict, repr=False)
    _levels: tuple[Any, np.ndarray] | None = field(default=None, repr=False)

    @classmethod
    def build(cls, reports: gpd.GeoDataFrame, resolution: int) -> HexIndex:
        """Index the reports' points at ``resolution``: from the cells the analysis keeps (``h3_cell``,
        :data:`MAX_RESOLUTION`) when it has them, else one H3 call per distinct rounded position."""
        if resolution == MAX_RESOLUTION and H3_COLUMN in reports:
            found = reports[H3_COLUMN].to_numpy(dtype=object)
        else:
            found = h3_cells(reports.geometry, resolution)
        codes, cells = pd.factorize(found)  # a missing cell is -1
        return cls(resolution=resolution, codes=codes.astype(np.int64), cells=np.asarray(cells, dtype=object))

    def coarser(self, resolution: int) -> HexIndex:
        """The same reports' cells at a coarser ``resolution``, by H3's hierarchy: one parent call per
        distinct cell (30 ms instead of 1.9 s at a million reports). H3 children do not tile their
        parent exactly, so a report near a parent's edge may be counted in the neighbouring hexagon
        (a few per cent at most on the demo month); every report is still counted once."""
        if resolution > self.resolution:
            msg = f"coarser() needs a resolution at most {self.resolution}, not {resolution}."
            raise ValueError(msg)
        parents = np.array([h3.cell_to_parent(c, resolution) for c in self.cells], dtype=object)
        parent_codes, cells = pd.factorize(parents)
        codes = np.where(self.codes >= 0, parent_codes[np.maximum(self.codes, 0)], -1)
        return HexIndex(resolution=resolution, codes=codes, cells=np.asarray(cells, dtype=object))

    def polygon(self, code: int) -> shapely.Polygon:
        """Return the hexagon of cell ``code`` (lon/lat), cached."""
        if code not in self._polygons:
            self._polygons[code] = cell_polygons([self.cells[code]])[0]
        return self._polygons[code]

    def _level_codes(self, levels: pd.Series) -> np.ndarray:
        """Per row, the position of its flag level in FLAG_ORDER (-1 for none), once per column:
        turning a million text values into codes on every count took a tenth of a second. The
        column's array is the key (``frame[col]`` is a new Series each time, its array is not)."""
        if self._levels is None or self._levels[0] is not levels.array:
            codes = pd.Categorical(levels, categories=list(FLAG_ORDER)).codes.astype(np.int8)
            self._levels = (levels.array, codes)
        return self._levels[1]

    def counts(self, mask: np.ndarray, levels: pd.Series | None = None) -> gpd.GeoDataFrame:
        """Return one hexagon per cell holding a kept report, with its count (and per flag level).

        Parameters
        ----------
        mask
            Boolean per row of the indexed frame: the reports to count.
        levels
            The frame's ``flag_level`` column (same rows), to count per level and name the worst.
        """
        counted = np.asarray(mask, bool) & (self.codes >= 0)
        kept = self.codes[counted]
        total = np.bincount(kept, minlength=len(self.cells))
        present = np.flatnonzero(total)
        out = pd.DataFrame({"cell": self.cells[present], "count": total[present]})
        if levels is not None:
            level_of = self._level_codes(levels)[counted]
            worst = pd.Series(pd.NA, index=present, dtype="string")
            for i, level in reversed(list(enumerate(FLAG_ORDER))):
                n = np.bincount(kept[level_of == i], minlength=len(self.cells))[present]
                out[level] = n
                worst = worst.mask(n > 0, level)
            out["worst"] = worst.to_numpy()
        geometry = [self.polygon(int(c)) for c in present]
        return gpd.GeoDataFrame(out, geometry=geometry, crs=4326)


@per_frame
def positions(reports: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each report's longitude and latitude (NaN without a point), read once per frame: the Map
    page asks on every run, and reading a million points' coordinates took about 40 ms."""
    geometry = reports.geometry.to_numpy()
    return shapely.get_x(geometry), shapely.get_y(geometry)


@per_frame
def _indexes(reports: pd.DataFrame) -> dict[int, HexIndex]:
    """The indexes of ``reports`` made so far, by resolution."""
    return {}


def index_of(reports: gpd.GeoDataFrame, resolution: int) -> HexIndex:
    """The :class:`HexIndex` of ``reports`` (an analysis's, never changed) at ``resolution``, made
    once per frame and resolution and shared (read only but for the index's own caches): the finest
    from the cells the analysis keeps, coarser ones from the finest's cells. A starting server makes
    the finest before it listens (geo.warm.prepare)."""
    held = _indexes(reports)
    found = held.get(resolution)
    if found is None:
        if resolution < MAX_RESOLUTION:
            found = index_of(reports, MAX_RESOLUTION).coarser(resolution)
        else:
            found = HexIndex.build(reports, resolution)
        held[resolution] = found
    return found


def in_view(reports: gpd.GeoDataFrame, bounds: tuple[float, float, float, float] | None) -> np.ndarray:
    """Boolean per report: inside the lon/lat box ``(minx, miny, maxx, maxy)`` (all when None)."""
    if bounds is None:
        return np.ones(len(reports), bool)
    minx, miny, maxx, maxy = bounds
    x, y = positions(reports)
    return (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
