"""The one flip between GeoJSON (lon, lat) and folium (lat, lon)."""

from __future__ import annotations

import numpy as np
import shapely

from geo.maps.latlon import bounds_latlon, latlon, lonlat, points_latlon


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
