"""The theatre projection: centre, refusals, round trips and geodesic distances."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from geo.crs import centre_of, from_theatre, geodesic_m, require_wgs84, theatre_crs, to_theatre
from geo.errors import InputError


def _frame(crs):
    return gpd.GeoDataFrame(geometry=[shapely.Point(30.0, 46.0), shapely.Point(40.0, 50.0)], crs=crs)


def test_centre_is_the_middle_of_the_bounds():
    assert centre_of(_frame(4326)) == (35.0, 48.0)


def test_centre_of_an_empty_frame_is_refused():
    with pytest.raises(InputError, match="empty frame"):
        centre_of(gpd.GeoDataFrame(geometry=[], crs=4326))


@pytest.mark.parametrize(("crs", "match"), [(None, "has no CRS"), (3857, "EPSG:3857, not EPSG:4326")])
def test_frames_without_wgs84_are_refused(crs, match):
    with pytest.raises(InputError, match=match):
        require_wgs84(_frame(crs), what="The test frame")


def test_a_swapped_centre_is_refused():
    with pytest.raises(InputError, match="not a longitude/latitude pair"):
        theatre_crs(48.0, 135.0)


def test_projection_round_trip_and_exact_distance_from_the_centre():
    crs = theatre_crs(35.0, 48.0)
    lon = np.array([35.0, 22.5, 41.0, 30.25])
    lat = np.array([48.0, 44.0, 53.0, 51.5])
    x, y = to_theatre(lon, lat, crs)
    back_lon, back_lat = from_theatre(x, y, crs)
    np.testing.assert_allclose(back_lon, lon, atol=1e-9)
    np.testing.assert_allclose(back_lat, lat, atol=1e-9)
    # Azimuthal equidistant: the distance from the centre is the geodesic distance.
    _, _, geodesic = Geod(ellps="WGS84").inv(np.full(4, 35.0), np.full(4, 48.0), lon, lat)
    np.testing.assert_allclose(np.hypot(x, y), geodesic, rtol=1e-9, atol=1e-6)


def test_nan_coordinates_stay_nan():
    crs = theatre_crs(35.0, 48.0)
    x, y = to_theatre([np.nan, 35.0], [48.0, 48.0], crs)
    assert np.isnan(y[0])
    assert np.isnan(x[0]) and x[1] == pytest.approx(0.0, abs=1e-6)


def test_geodesic_distance_matches_pyproj_and_passes_nan():
    got = geodesic_m([30.0, np.nan, 36.0], [50.0, 48.0, 47.0], [31.0, 35.0, 36.0], [50.0, 48.0, 48.0])
    want = Geod(ellps="WGS84").inv([30.0, 36.0], [50.0, 47.0], [31.0, 36.0], [50.0, 48.0])[2]
    np.testing.assert_allclose(got[[0, 2]], want, rtol=1e-12)
    assert np.isnan(got[1])
    # One degree of latitude near 47.5 N is about 111.2 km on the ellipsoid.
    assert 111_000 < got[2] < 111_400
    assert geodesic_m(30.0, 50.0, 31.0, 50.0).shape == ()


def test_points_in_the_theatre_are_to_crs_to_the_bit_and_projected_once(shared_data):
    import pandas as pd

    from geo.crs import points_in

    # Real event places (UCDP GED, Ukraine) and one report without a point.
    ucdp = pd.read_csv(shared_data / "ucdp_ged" / "ucdp_ged_ukraine_2014-2022.csv").iloc[::10]
    places = gpd.points_from_xy(ucdp["longitude"], ucdp["latitude"])
    points = gpd.GeoSeries([*places, None], crs=4326)
    crs = theatre_crs(37.0, 48.0)
    x, y = points_in(points, crs)
    expected = points.to_crs(crs)
    assert np.array_equal(x[:-1], expected.x.to_numpy()[:-1])
    assert np.array_equal(y[:-1], expected.y.to_numpy()[:-1])
    assert np.isnan(x[-1]) and np.isnan(y[-1])  # a missing point stays missing
    again = points_in(gpd.GeoSeries(points.to_numpy().copy(), crs=4326), crs)
    assert again[0] is x and not x.flags.writeable  # the same coordinates: projected once, shared read-only
    moved = points_in(points.translate(0.001, 0), crs)
    assert moved[0] is not x and not np.array_equal(moved[0][:-1], x[:-1])
    other = points_in(points, theatre_crs(30.0, 48.0))
    assert not np.array_equal(other[0][:-1], x[:-1])  # another CRS is another projection
