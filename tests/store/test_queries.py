"""Store.incidents(): the normalised frame exactly, and filters by time, box and values."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.errors import InputError, StoreError


def test_the_frame_is_exactly_what_was_stored(store, kit):
    rows = [
        kit.report(1, bearing_deg=146.25, bearing_min_deg=146.25, bearing_max_deg=168.75, observer_lon=37.4,
                   observer_lat=48.05, distance_min_m=2000.0, distance_max_m=3000.0, means="heard"),
        kit.report(2, occurred_at=None, occurred_from="2026-10-02T00:00:00Z", occurred_to="2026-10-02T06:00:00Z",
                   time_precision="hour", casualties_low=0, casualties_best=1, casualties_high=3),
        kit.report(3, patrol="P-3", nested={"a": [1, 2]}, location_precision_m=250.0),
        kit.report(4, occurred_at="2026-10-04T04:10:00.123Z", description=None, reliability="B"),
    ]  # fmt: skip
    result, _ = kit.make_result(rows)
    receipt = kit.put(store, rows)
    stored = store.incidents()
    assert isinstance(stored, gpd.GeoDataFrame) and stored.crs.to_epsg() == 4326
    assert list(stored.columns) == [*result.accepted.columns.drop("geometry"), "batch_id", "geometry"]
    expected = result.accepted.assign(batch_id=receipt.batch_id)[stored.columns]
    pd.testing.assert_frame_equal(stored, expected, check_dtype=True)
    assert str(stored["occurred_at"].dtype) == "datetime64[ns, UTC]"
    assert str(stored["count"].dtype) == "Int64" and str(stored["credibility"].dtype) == "Int64"
    assert str(stored["bearing_deg"].dtype) == "float64" and str(stored["batch_id"].dtype) == "str"
    assert stored.loc[1, "occurred_at"] == pd.Timestamp("2026-10-02T03:00:00Z")
    assert pd.isna(stored.loc[3, "description"]) and stored.loc[3, "occurred_at"].microsecond == 123000
    assert stored.loc[2, "extra"] == '{"nested": {"a": [1, 2]}, "patrol": "P-3"}'


def test_an_empty_store_returns_an_empty_frame_of_the_same_shape(store, kit):
    empty = store.incidents()
    kit.put(store, [kit.report(1)])
    assert empty.empty and empty.crs.to_epsg() == 4326
    pd.testing.assert_series_equal(empty.dtypes, store.incidents().dtypes)


@pytest.fixture
def twenty(store, kit):
    rows = [
        kit.report(i, type="impact" if i % 2 else "outgoing_fire", lat=48.1 + 0.005 * i) for i in range(20)
    ]
    kit.put(store, rows)
    return kit.make_result(rows)[0].accepted


def test_time_window_is_inclusive_and_utc(store, twenty):
    start, end = "2026-10-05", "2026-10-08T04:10:00+00:00"
    got = store.incidents(start=start, end=end)
    t = twenty["occurred_at"]
    expected = twenty.loc[(t >= pd.Timestamp(start, tz="UTC")) & (t <= pd.Timestamp(end)), "id"]
    assert sorted(got["id"]) == sorted(expected) and len(got) == 4
    # A naive time is UTC; an offset is honoured.
    assert len(store.incidents(start="2026-10-08T07:10:00+03:00", end="2026-10-08T04:10")) == 1


def test_box_is_lon_lat_and_inclusive(store, twenty):
    box = (37.5, 48.1, 37.55, 48.2)
    got = store.incidents(bbox=box)
    inside = shapely.intersects(shapely.box(*box), twenty.geometry.values)
    assert sorted(got["id"]) == sorted(twenty.loc[inside, "id"]) and len(got) == 6
    assert store.incidents(bbox=(48.0, 37.0, 48.2, 38.0)).empty  # swapped lon/lat finds nothing


def test_where_matches_any_of_the_values(store, twenty):
    fire = store.incidents(where={"type": ["outgoing_fire"], "count": [1, 2]})
    expected = twenty[(twenty["type"] == "outgoing_fire") & twenty["count"].isin([1, 2])]
    assert sorted(fire["id"]) == sorted(expected["id"]) and len(fire) > 0
    combined = store.incidents(start="2026-10-10", bbox=(37.0, 48.0, 38.0, 49.0), where={"type": ["impact"]})
    assert (
        set(combined["type"]) == {"impact"}
        and (combined["occurred_at"] >= pd.Timestamp("2026-10-10", tz="UTC")).all()
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"where": {"colour": ["red"]}}, StoreError, "unknown column.*colour"),
        ({"where": {"count": ["many"]}}, StoreError, "Cannot filter the reports with"),
        ({"bbox": (38.0, 48.0, 37.0, 49.0)}, StoreError, r"box \(38.0, 48.0, 37.0, 49.0\) is not \(lon_min"),
        ({"bbox": (1, 2, 3)}, StoreError, "is not .lon_min"),
        ({"start": "soon"}, InputError, "The start 'soon' is not an ISO 8601 date"),
    ],
)
def test_bad_filters_name_the_value(store, twenty, kwargs, error, match):
    with pytest.raises(error, match=match):
        store.incidents(**kwargs)


def test_real_ucdp_events_with_intervals_round_trip(store, kit, ucdp_rows):
    result, data = kit.make_result(ucdp_rows, filename="ucdp.geojson")
    receipt = store.add_batch(result, original=data)
    assert receipt.accepted == len(ucdp_rows) > 1000
    stored = store.incidents()
    pd.testing.assert_frame_equal(stored.drop(columns="batch_id"), result.accepted)
    year = store.incidents(start="2016-01-01", end="2016-12-31T23:59:59Z")
    t = result.accepted["occurred_at"]
    assert len(year) == ((t >= "2016-01-01T00:00Z") & (t <= "2016-12-31T23:59:59Z")).sum() > 0
    box = (37.5, 47.9, 38.0, 48.2)  # around Donetsk
    inside = shapely.intersects(shapely.box(*box), result.accepted.geometry.values)
    assert sorted(store.incidents(bbox=box)["id"]) == sorted(result.accepted.loc[inside, "id"])
