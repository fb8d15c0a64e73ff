"""The filters every page shares, applied to analysed reports, and their URL form for shared links.

A :class:`Filters` is what a user chose in the sidebar. Its URL form (:meth:`Filters.to_params`,
:meth:`Filters.from_params`) is the one contract between the pages' query parameters, the CLI's
filter options and a briefing pack's manifest: the same text gives the same rows everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError
from geo.labels import column_label, label
from geo.periods import TICK, Period, between
from geo.utc import to_utc

# Columns a user filters by choosing values; the order is the sidebar's. The URL parameter of
# each is the column name, its values comma-separated.
CHOICE_COLUMNS: tuple[str, ...] = (
    "type",
    "weapon",
    "source",
    "reliability",
    "sector",
    "side",
    "flag_level",
)
# Reports with no value in a choice column (no sector, no side) are chosen by this label.
MISSING = "(none)"
# URL parameters other than the choice columns.
PERIOD_PARAMS = ("from", "to")
DISTANCE_PARAMS = ("dmin", "dmax")
# An area drawn on the map: its corners as "lon,lat;lon,lat;...".
AREA_PARAM = "area"
PARAMS: tuple[str, ...] = (*PERIOD_PARAMS, *CHOICE_COLUMNS, *DISTANCE_PARAMS, AREA_PARAM)
# Corners of a drawn area are kept to 5 decimals of a degree (about a metre), so its URL stays short.
AREA_DECIMALS = 5


@dataclass(frozen=True)
class Filters:
    """A period (UTC), the values to keep per column (empty keeps all) and a distance band.

    Attributes
    ----------
    start, end
        First and last instant kept (both inclusive); None leaves that end open. A whole day ends
        at its last nanosecond (the engine's time resolution), so ``start <= t <= end`` keeps
        exactly the half-open days ``[start, stop)`` of :mod:`geo.periods` (:attr:`stop`).
    choices
        Per column of :data:`CHOICE_COLUMNS`, the values to keep; :data:`MISSING` keeps rows with none.
    min_km, max_km
        Band of distance to the contact line in force, in km; None leaves that end open.
    area
        The corners (lon, lat) of an area drawn on the map: only reports inside it or on its edge
        are kept; None keeps every place.
    """

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    min_km: float | None = None
    max_km: float | None = None
    area: tuple[tuple[float, float], ...] | None = None

    def __post_init__(self) -> None:
        if self.area is not None:
            object.__setattr__(self, "area", _corners(self.area))

    @property
    def area_polygon(self) -> shapely.Polygon | None:
        """The drawn area as a polygon in lon/lat (as Leaflet draws it), or None."""
        return None if self.area is None else shapely.Polygon(self.area)

    @classmethod
    def for_period(
        cls,
        period: Period | None,
        *,
        choices: Mapping[str, tuple[str, ...]] | None = None,
        min_km: float | None = None,
        max_km: float | None = None,
        area: tuple[tuple[float, float], ...] | None = None,
    ) -> Filters:
        """The filters of a :class:`~geo.periods.Period` (None: every time), with the other fields as given."""
        start, end = (None, None) if period is None else (period.start, period.end)
        return cls(start=start, end=end, choices=dict(choices or {}), min_km=min_km, max_km=max_km, area=area)

    @property
    def stop(self) -> pd.Timestamp | None:
        """The first instant after the period (``end`` + 1 ns): the half-open bound; None when open."""
        return None if self.end is None else self.end + TICK

    def describe(self) -> str:
        """The filters in words, for captions and briefing stamps."""
        parts = []
        if self.start is not None or self.end is not None:
            a = "…" if self.start is None else f"{self.start:%Y-%m-%d}"
            b = "…" if self.end is None else f"{self.end:%Y-%m-%d}"
            parts.append(f"{a} to {b} UTC")
        # In words, as every caption and stamp shows them (the URL form keeps the codes).
        parts += [
            f"{column_label(col).lower()}: {', '.join(label(v, col) for v in vals)}"
            for col, vals in self.choices.items()
            if vals
        ]
        if self.min_km is not None or self.max_km is not None:
            lo = f"{self.min_km:g}" if self.min_km is not None else "0"
            hi = f"{self.max_km:g} km" if self.max_km is not None else "km and beyond"
            parts.append(f"distance to line {lo} to {hi}")
        if self.area is not None:
            parts.append(f"within the area drawn on the map ({len(self.area)} corners)")
        return "; ".join(parts) or "no filters"

    def to_params(self) -> dict[str, str]:
        """Return the URL query form: only what narrows the view, in :data:`PARAMS` order.

        A period end that is the last instant of a day is written as that day (``to=2026-10-15``),
        as the sidebar and the CLI's ``--to`` read a bare date as the whole day.
        """
        out: dict[str, str] = {}
        if self.start is not None:
            midnight = self.start == self.start.normalize()
            out["from"] = f"{self.start:%Y-%m-%d}" if midnight else _instant_text(self.start)
        if self.end is not None:
            whole_day = self.stop == self.stop.normalize()  # the period stops at a midnight
            out["to"] = f"{self.end:%Y-%m-%d}" if whole_day else _instant_text(self.end)
        for column in CHOICE_COLUMNS:
            if self.choices.get(column):
                out[column] = ",".join(self.choices[column])
        for name, value in zip(DISTANCE_PARAMS, (self.min_km, self.max_km), strict=True):
            if value is not None:
                out[name] = f"{value:g}"
        if self.area is not None:
            out[AREA_PARAM] = ";".join(
                f"{lon:.{AREA_DECIMALS}f},{lat:.{AREA_DECIMALS}f}" for lon, lat in self.area
            )
        return out

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> Filters:
        """Read the URL query form back; unknown parameters are ignored (a page has its own).

        Raises
        ------
        InputError
            A time or distance that cannot be read, named with the parameter.
        """
        start = to_utc(params["from"], what="from") if params.get("from") else None
        end = None
        if params.get("to"):
            text = params["to"].strip()
            end = to_utc(text, what="to")
            if len(text) == 10:  # a bare date: the whole day, to its last instant
                end = end + pd.Timedelta(days=1) - TICK
        choices = {c: tuple(v for v in params[c].split(",") if v) for c in CHOICE_COLUMNS if params.get(c)}
        bounds = [_km(params, name) for name in DISTANCE_PARAMS]
        area = read_area(params[AREA_PARAM]) if params.get(AREA_PARAM) else None
        return cls(start=start, end=end, choices=choices, min_km=bounds[0], max_km=bounds[1], area=area)


def read_area(text: str) -> tuple[tuple[float, float], ...]:
    """Read an area's URL form, ``lon,lat;lon,lat;...`` (three corners or more, WGS 84 degrees).

    Raises
    ------
    InputError
        Naming the corner that cannot be read, or an area that encloses nothing.
    """
    corners = []
    for k, pair in enumerate(text.strip().strip(";").split(";"), start=1):
        try:
            lon, lat = (float(v) for v in pair.split(","))
        except ValueError:
            msg = f"The area's corner {k} ({pair!r}) is not a longitude and a latitude."
            raise InputError(
                msg, hint=f"Write {AREA_PARAM}=lon,lat;lon,lat;lon,lat (degrees), or draw it again."
            ) from None
        corners.append((lon, lat))
    return _corners(corners)


def area_from_geojson(geometry: Mapping | None) -> tuple[tuple[float, float], ...]:
    """The corners of a rectangle or polygon drawn on the map (a GeoJSON Polygon, its outer ring).

    Raises
    ------
    InputError
        When the drawing is not a polygon, or encloses no ground.
    """
    if (
        not isinstance(geometry, Mapping)
        or geometry.get("type") != "Polygon"
        or not geometry.get("coordinates")
    ):
        kind = geometry.get("type") if isinstance(geometry, Mapping) else type(geometry).__name__
        msg = f"Only a rectangle or a polygon selects reports, not a {kind}."
        raise InputError(msg, hint="Draw a rectangle or a polygon around the reports to select.")
    return _corners(geometry["coordinates"][0])


def _corners(corners) -> tuple[tuple[float, float], ...]:
    """Corners as (lon, lat) rounded to :data:`AREA_DECIMALS`, checked to be places enclosing an area."""
    out = tuple((round(float(lon), AREA_DECIMALS), round(float(lat), AREA_DECIMALS)) for lon, lat in corners)
    if out and out[0] == out[-1]:
        out = out[:-1]  # a closed ring's repeated first corner
    bad = [
        c
        for c in out
        if not (math.isfinite(c[0]) and math.isfinite(c[1]) and -180 <= c[0] <= 180 and -90 <= c[1] <= 90)
    ]
    if bad:
        msg = f"The area's corner {bad[0]} is not a place (longitude -180 to 180, latitude -90 to 90)."
        raise InputError(msg, hint="Draw the area again on the map.")
    if len(out) < 3 or not shapely.Polygon(out).is_valid or shapely.Polygon(out).area == 0:
        msg = f"The area drawn ({len(out)} corners) encloses no ground or crosses itself."
        raise InputError(msg, hint="Draw a rectangle or a polygon whose edges do not cross.")
    return out


def _instant_text(t: pd.Timestamp) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _km(params: Mapping[str, str], name: str) -> float | None:
    text = params.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        msg = f"The distance filter {name}={text!r} is not a distance in km."
        raise InputError(msg, hint=f"Give {name} as a number of km of 0 or more, e.g. {name}=5.")
    return value


def filter_mask(reports: gpd.GeoDataFrame, filters: Filters) -> np.ndarray:
    """Return a boolean array, one per report: kept by the filters.

    A choice on a column the frame lacks (an unanalysed frame has no ``flag_level``) keeps nothing
    rather than silently everything; so does a distance band without ``dist_to_line_m``.
    """
    keep = np.ones(len(reports), dtype=bool)
    if filters.start is not None or filters.end is not None:
        # By the report's own time; events are placed by theirs (geo.counts), through the same test.
        keep &= between(reports["occurred_at"], filters.start, filters.stop)
    for column, values in filters.choices.items():
        if not values:
            continue
        if column not in reports.columns:
            return np.zeros(len(reports), dtype=bool)
        col = reports[column]
        chosen = col.isin([v for v in values if v != MISSING]).to_numpy()
        if MISSING in values:
            chosen = chosen | col.isna().to_numpy()
        keep &= chosen
    if filters.min_km is not None or filters.max_km is not None:
        if "dist_to_line_m" not in reports.columns:
            return np.zeros(len(reports), dtype=bool)
        km = reports["dist_to_line_m"].to_numpy(dtype=float) / 1000.0
        if filters.min_km is not None:
            keep &= km >= filters.min_km
        if filters.max_km is not None:
            keep &= km <= filters.max_km
    if filters.area is not None:
        # In lon/lat, as Leaflet draws the area on screen; a report on its edge is inside.
        points = reports.geometry.to_numpy()
        keep &= shapely.intersects_xy(filters.area_polygon, shapely.get_x(points), shapely.get_y(points))
    return keep


def apply_filters(reports: gpd.GeoDataFrame, filters: Filters) -> gpd.GeoDataFrame:
    """Return the reports the filters keep (see :func:`filter_mask`), all of them when nothing narrows."""
    keep = filter_mask(reports, filters)
    return reports if keep.all() else reports[keep]
