"""The shared filters: what they keep on the analysed demo month, and their URL form."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from geo.filters import MISSING, Filters, apply_filters, area_from_geojson, filter_mask
from geo.periods import whole_days


@pytest.fixture(scope="module")
def reports(demo_analysis):
    return demo_analysis.reports


def test_every_choice_column_narrows_to_exactly_the_chosen_values(reports):
    for column in ("type", "weapon", "source", "reliability", "sector", "side", "flag_level"):
        values = reports[column].dropna().value_counts()
        chosen = tuple(values.index[:2])
        kept = apply_filters(reports, Filters(choices={column: chosen}))
        assert len(kept) == int(values.iloc[:2].sum()), column
        assert set(kept[column]) == set(chosen)


def test_missing_label_keeps_rows_without_a_value(reports):
    # Every demo report lies along a sector; a report far from the line has none.
    some = reports.head(40).assign(sector=[None] * 10 + list(reports["sector"].head(40))[10:])
    kept = apply_filters(some, Filters(choices={"sector": (MISSING,)}))
    assert kept.index.equals(some.index[:10])
    both = apply_filters(some, Filters(choices={"sector": (MISSING, some["sector"].iloc[20])}))
    assert len(both) == 10 + int((some["sector"] == some["sector"].iloc[20]).sum())


def test_period_and_distance_band_are_inclusive(reports):
    start = pd.Timestamp("2026-10-10", tz="UTC")
    f = Filters.from_params({"from": "2026-10-10", "to": "2026-10-12", "dmin": "2", "dmax": "10"})
    kept = apply_filters(reports, f)
    km = reports["dist_to_line_m"] / 1000
    day = reports["occurred_at"].dt.floor("D")
    expected = (day >= start) & (day <= pd.Timestamp("2026-10-12", tz="UTC")) & (km >= 2) & (km <= 10)
    assert 0 < len(kept) == int(expected.sum())
    assert kept.index.equals(reports.index[expected])


def test_a_choice_on_a_column_the_frame_lacks_keeps_nothing(reports):
    raw = reports.drop(columns=["flag_level"])
    assert apply_filters(raw, Filters(choices={"flag_level": ("likely",)})).empty


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"from": "2026-10-03", "to": "2026-10-20"},
        {"from": "2026-10-03T06:30:00Z", "to": "2026-10-03T18:00:00Z"},
        {"type": "impact,explosion", "side": "UA", "flag_level": "likely", "dmax": "5"},
        {"sector": f"{MISSING},S1", "dmin": "0.5"},
    ],
)
def test_url_form_round_trips(params):
    f = Filters.from_params(params)
    assert f.to_params() == params
    assert Filters.from_params(f.to_params()) == f


def test_bare_date_end_is_the_whole_day_to_its_last_nanosecond():
    f = Filters.from_params({"to": "2026-10-15"})
    assert f.end == pd.Timestamp("2026-10-16", tz="UTC") - pd.Timedelta(1, unit="ns")
    assert f.stop == pd.Timestamp("2026-10-16", tz="UTC")
    times = pd.Series(pd.to_datetime(["2026-10-15T23:59:59.999999999Z", "2026-10-16T00:00:00.000000000Z"]))
    kept = apply_filters(pd.DataFrame({"occurred_at": times}), f)
    assert kept["occurred_at"].tolist() == [times[0]]  # a microsecond end dropped the first


def test_a_period_gives_filters_that_keep_exactly_its_times():
    period = whole_days(dt.date(2026, 10, 5), dt.date(2026, 10, 11))
    f = Filters.for_period(period, choices={"sector": ("Bakhmut",)})
    assert f.to_params() == {"from": "2026-10-05", "to": "2026-10-11", "sector": "Bakhmut"}
    assert Filters.from_params(f.to_params()) == f and (f.start, f.stop) == (period.start, period.stop)


@pytest.mark.parametrize("params", [{"dmin": "five"}, {"dmax": "-1"}, {"from": "yesterday"}])
def test_unreadable_parameters_are_named(params):
    with pytest.raises(InputError) as info:
        Filters.from_params(params)
    assert next(iter(params)) in str(info.value)


def test_describe_names_every_filter():
    text = Filters.from_params({"from": "2026-10-03", "type": "impact", "dmax": "5"}).describe()
    assert "2026-10-03" in text and "type: Impact" in text and "5 km" in text
    # Codes in words: the URL form keeps them.
    shown = Filters.from_params({"type": "outgoing_fire", "flag_level": "likely"})
    assert shown.describe() == "type: Outgoing fire; flag level: Likely"
    assert shown.to_params() == {"type": "outgoing_fire", "flag_level": "likely"}


# An area drawn on the map: a box around Avdiivka (lon 37.6-37.9, lat 48.0-48.25).
BOX = ((37.6, 48.0), (37.9, 48.0), (37.9, 48.25), (37.6, 48.25))


def test_an_area_keeps_the_reports_within_it_and_on_its_edge(demo_analysis):
    import shapely

    reports = demo_analysis.reports
    inside = Filters(area=BOX)
    x, y = reports.geometry.x.to_numpy(), reports.geometry.y.to_numpy()
    expected = (x >= 37.6) & (x <= 37.9) & (y >= 48.0) & (y <= 48.25)
    assert 0 < expected.sum() < len(reports)
    np.testing.assert_array_equal(filter_mask(reports, inside), expected)
    edge = reports.head(1).set_geometry([shapely.Point(37.6, 48.1)], crs=4326)
    assert filter_mask(edge, inside).tolist() == [True]


def test_an_area_goes_through_the_url_and_into_words():
    shown = Filters(area=BOX)
    params = shown.to_params()
    assert params["area"] == "37.60000,48.00000;37.90000,48.00000;37.90000,48.25000;37.60000,48.25000"
    assert Filters.from_params(params) == shown
    assert "within the area drawn on the map (4 corners)" in shown.describe()
    # A closed ring (the first corner repeated, as GeoJSON writes it) is the same area.
    assert area_from_geojson({"type": "Polygon", "coordinates": [[*BOX, BOX[0]]]}) == BOX


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("37.6,48.0;37.9,48.0", "2 corners"),  # a line, not an area
        ("37.6,48.0;37.9;37.9,48.25", "corner 2"),
        ("37.6,48.0;abc,48.0;37.9,48.25", "corner 2"),
        ("37.6,48.0;37.9,48.25;37.9,48.0;37.6,48.25", "crosses itself"),
        ("37.6,48.0;237.9,48.0;37.9,48.25", "not a place"),
    ],
)
def test_an_unreadable_area_is_named(text, named):
    with pytest.raises(InputError, match=named):
        Filters.from_params({"area": text})


def test_only_a_rectangle_or_polygon_is_an_area():
    with pytest.raises(InputError, match="not a LineString"):
        area_from_geojson({"type": "LineString", "coordinates": [[37.6, 48.0], [37.9, 48.0]]})
