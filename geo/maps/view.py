"""What the Map page draws for a view: every report, the reports around the view, or hexagons.

The map is rebuilt (and the browser reloads it) only when what it draws changes, so the choice is
made per *window*: the view widened by one screen on every side and snapped to a grid. Panning
inside the window changes nothing; leaving it, or zooming, draws the new window.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np

from geo.maps.aggregate import POINT_LIMIT, HexIndex, in_view, positions, resolution_for_zoom, zoom_for_bounds

Bounds = tuple[float, float, float, float]  # minx, miny, maxx, maxy (lon/lat)
MAP_WIDTH_PX, MAP_HEIGHT_PX = 1000, 650


@dataclass(frozen=True)
class View:
    """A map view: centre and Leaflet zoom, as a shared link holds it (``lat``, ``lon``, ``z``)."""

    lat: float
    lon: float
    zoom: int

    def bounds(self, *, width_px: int = MAP_WIDTH_PX, height_px: int = MAP_HEIGHT_PX) -> Bounds:
        """The lon/lat box a map of this size shows (Web Mercator, small-box approximation)."""
        deg_per_px = 360 / (256 * 2**self.zoom)
        half_x = width_px / 2 * deg_per_px
        half_y = height_px / 2 * deg_per_px * math.cos(math.radians(self.lat))
        return (self.lon - half_x, self.lat - half_y, self.lon + half_x, self.lat + half_y)

    def to_params(self) -> dict[str, str]:
        """The URL form."""
        return {"lat": f"{self.lat:.4f}", "lon": f"{self.lon:.4f}", "z": str(self.zoom)}

    @classmethod
    def from_params(cls, params: dict[str, str]) -> View | None:
        """Read the URL form; None when absent or unreadable (the map then fits the data)."""
        try:
            lat, lon, zoom = float(params["lat"]), float(params["lon"]), int(params["z"])
        except (KeyError, ValueError):
            return None
        if not (-85 <= lat <= 85 and -180 <= lon <= 180 and 1 <= zoom <= 18):
            return None
        return cls(lat, lon, zoom)

    @classmethod
    def fitting(cls, bounds: Bounds) -> View:
        """The view that fits a lon/lat box."""
        minx, miny, maxx, maxy = bounds
        return cls((miny + maxy) / 2, (minx + maxx) / 2, zoom_for_bounds(bounds))


def window_of(bounds: Bounds) -> Bounds:
    """The view widened by its own size on every side, snapped outward to a grid of that size."""
    minx, miny, maxx, maxy = bounds
    w, h = max(maxx - minx, 1e-6), max(maxy - miny, 1e-6)
    step_x, step_y = 2 ** math.ceil(math.log2(w)), 2 ** math.ceil(math.log2(h))
    return (
        math.floor((minx - w) / step_x) * step_x,
        math.floor((miny - h) / step_y) * step_y,
        math.ceil((maxx + w) / step_x) * step_x,
        math.ceil((maxy + h) / step_y) * step_y,
    )


@dataclass(frozen=True)
class Drawing:
    """What to hand to :func:`geo.maps.incident_map` for a view.

    Attributes
    ----------
    points
        The reports to draw one by one, or None when ``hexagons`` are drawn.
    hexagons
        Hexagons with counts (:meth:`HexIndex.counts`), or None.
    window
        The lon/lat box drawn (None: everything, independent of the view).
    resolution
        The H3 resolution of ``hexagons`` (None for points).
    kept
        Reports the filters keep (the whole map, not only the window).
    """

    points: gpd.GeoDataFrame | None
    hexagons: gpd.GeoDataFrame | None
    window: Bounds | None
    resolution: int | None
    kept: int

    @property
    def key(self) -> tuple:
        """Equal keys draw the same map: the page reuses the map instead of rebuilding it."""
        return ("hexagons" if self.hexagons is not None else "points", self.window, self.resolution)


def plan_drawing(
    reports: gpd.GeoDataFrame,
    mask: np.ndarray,
    *,
    view: View | None,
    index_for: Callable[[int], HexIndex],
    point_limit: int = POINT_LIMIT,
) -> Drawing:
    """Choose points or hexagons for the reports ``mask`` keeps, seen from ``view``.

    Parameters
    ----------
    reports
        The full analysed frame the hexagon indexes were built on.
    mask
        Boolean per row: the filtered reports.
    view
        The current view; None means the map fits the kept reports.
    index_for
        Returns the (cached) :class:`HexIndex` of ``reports`` at a resolution.
    point_limit
        Most reports drawn one by one.
    """
    mask = np.asarray(mask, bool)
    kept = int(mask.sum())
    if kept <= point_limit:
        return Drawing(reports[mask], None, None, None, kept)
    if view is None:
        x, y = positions(reports)
        view = View.fitting((np.nanmin(x[mask]), np.nanmin(y[mask]), np.nanmax(x[mask]), np.nanmax(y[mask])))
    window = window_of(view.bounds())
    near = mask & in_view(reports, window)
    if int(near.sum()) <= point_limit:
        return Drawing(reports[near], None, window, None, kept)
    resolution = resolution_for_zoom(view.zoom)
    levels = reports["flag_level"] if "flag_level" in reports.columns else None
    return Drawing(None, index_for(resolution).counts(near, levels), window, resolution, kept)
