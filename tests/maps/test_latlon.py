"""The one flip between GeoJSON (lon, lat) and folium (lat, lon)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import h3
import numpy as np
import shapely

from geo.maps.latlon import (
    bounds_latlon,
    cell_at,
    cell_boundaries,
    cell_centres,
    cell_polygons,
    cells_at,
    heat_rows,
    latlon,
    leaflet_bounds,
    lonlat,
    points_latlon,
)


def test_points_latlon_puts_latitude_first():
    pts = shapely.points([37.5, 30.25], [48.9, 50.75])
    np.testing.assert_array_equal(points_latlon(pts), [[48.9, 37.5], [50.75, 30.25]])


def test_missing_points_give_nan_rows():
    out = points_latlon([shapely.Point(37.5, 48.9), None])
    assert out[0].tolist() == [48.9, 37.5]
    assert np.isnan(out[1]).all()


def test_single_point_and_back():
    assert latlon(37.5, 48.9) == [48.9, 37.5]
    assert lonlat(*latlon(37.5, 48.9)) == (37.5, 48.9)


def test_bounds_are_south_west_then_north_east():
    assert bounds_latlon((36.0, 47.0, 39.5, 49.8)) == [[47.0, 36.0], [49.8, 39.5]]


# Kramatorsk: its longitude and latitude differ, so a flip cannot pass unnoticed.
LON, LAT = 37.5847, 48.7389


def test_leaflet_answers_become_lon_lat():
    assert lonlat(LAT, LON) == (LON, LAT)
    bounds = {"_southWest": {"lat": 47.0, "lng": 36.0}, "_northEast": {"lat": 49.8, "lng": 39.5}}
    assert leaflet_bounds(bounds) == (36.0, 47.0, 39.5, 49.8)
    assert leaflet_bounds({"_southWest": {"lat": None}}) is None
    assert leaflet_bounds(None) is None


def test_heat_rows_put_latitude_first():
    rows = heat_rows(np.array([LON, 30.123456]), np.array([LAT, 50.654321]), np.array([1.0, 0.5]))
    assert rows == [[LAT, LON, 1.0], [50.65432, 30.12346, 0.5]]


def test_h3_cells_of_a_point_in_both_forms_agree():
    cell = cell_at(LON, LAT, 7)
    assert cell == h3.latlng_to_cell(LAT, LON, 7)
    assert cell != h3.latlng_to_cell(LON, LAT, 7)  # the flip would land elsewhere
    ints = cells_at(np.array([LON, LON + 1]), np.array([LAT, LAT]), 7)
    assert ints.dtype == np.uint64 and h3.int_to_str(int(ints[0])) == cell


def test_h3_centres_and_boundaries_round_trip_in_lon_lat():
    cells = [cell_at(LON, LAT, r) for r in (5, 7, 9)]
    lon, lat = cell_centres(cells)
    assert np.allclose(lon, LON, atol=0.2) and np.allclose(lat, LAT, atol=0.2)
    # Integers and text give the same centres, and each centre lies in its own cell.
    np.testing.assert_array_equal(np.vstack(cell_centres([h3.str_to_int(c) for c in cells])), [lon, lat])
    assert [cell_at(x, y, r) for x, y, r in zip(lon, lat, (5, 7, 9), strict=True)] == cells
    xy, sizes = cell_boundaries(cells)
    assert sizes.tolist() == [6, 6, 6] and xy.shape == (18, 2)
    expected = np.array(h3.cell_to_boundary(cells[0]))[:, ::-1]
    np.testing.assert_allclose(xy[:6], expected)
    polygons = cell_polygons(cells)
    point = shapely.Point(LON, LAT)
    assert all(p.is_valid and p.contains(point) for p in polygons)
    # Every vertex maps back into a cell next to (or equal to) its own: the ring is in lon/lat.
    for (x, y), cell in zip(xy[:6], [cells[0]] * 6, strict=True):
        assert h3.grid_distance(cell_at(x, y, 5), cell) <= 1
    assert len(cell_polygons([])) == 0


def test_no_module_flips_on_its_own():
    """H3's (lat, lng) calls and Leaflet's {"lat", "lng"} are read in geo/maps/latlon.py only."""
    root = Path(__file__).resolve().parents[2]
    # H3 calls, and a Leaflet answer read other than through lonlat() (array reversals elsewhere
    # flip bearings and days, not coordinates).
    pattern = re.compile(
        r"latlng_to_cell|cell_to_latlng|cell_to_boundary|\"_southWest\"|\"_northEast\"|\[\"lng\"\]"
    )
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for folder in ("geo", "ui", "app_pages")
        for path in sorted((root / folder).rglob("*.py"))
        if path.name != "latlon.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line) and not line.lstrip().startswith("#") and "lonlat(" not in line
    ]
    assert offenders == []


def test_the_engine_and_the_briefing_import_no_folium():
    code = (
        "import sys, geo.hexcells, geo.patterns, geo.maps.latlon, geo.maps.aggregate, geo.palette, "
        "geo.report.mapimage, geo.report.charts; print('folium' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
