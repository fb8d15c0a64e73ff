"""Dots sized by the reports of their event or by casualties: area-true, capped, a missing figure said."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from geo.maps.incidents import incident_layer
from geo.maps.legend import legend_html
from geo.maps.sizing import BASE_RADIUS, MAX_RADIUS, casualty_figure, radii, size_key, size_values


def test_the_radius_grows_with_the_value_and_the_area_in_proportion():
    values = np.array([0.0, 1.0, 2.0, 5.0, 10.0])
    r = radii(values)
    assert np.all(np.diff(r) > 0)
    assert r[0] == BASE_RADIUS and r[-1] == pytest.approx(MAX_RADIUS)
    # The area above the smallest dot is proportional to the value.
    extra = r**2 - BASE_RADIUS**2
    assert extra[2] == pytest.approx(2 * extra[1]) and extra[4] == pytest.approx(10 * extra[1])


def test_the_radius_is_capped_above_the_top_value():
    r = radii(np.array([1.0, 50.0, 5_000.0]), top=50.0)
    assert r[1] == pytest.approx(MAX_RADIUS) and r[2] == pytest.approx(MAX_RADIUS)
    assert r.max() <= MAX_RADIUS


def test_a_missing_figure_is_drawn_at_the_smallest_size_and_nothing_drawn_is_smaller():
    r = radii(np.array([np.nan, 0.0, 3.0]))
    assert r[0] == r[1] == BASE_RADIUS and r.min() >= BASE_RADIUS
    assert np.all(radii(np.array([np.nan, np.nan])) == BASE_RADIUS)


def test_the_casualty_figure_is_the_best_estimate_else_the_middle_of_the_range_else_missing():
    frame = pd.DataFrame(
        {
            "casualties_low": pd.array([1, 2, None, 4, None], dtype="Int64"),
            "casualties_best": pd.array([3, None, None, None, 0], dtype="Int64"),
            "casualties_high": pd.array([9, 6, None, None, None], dtype="Int64"),
        }
    )
    got = casualty_figure(frame)
    assert got[[0, 1, 3, 4]].tolist() == [3.0, 4.0, 4.0, 0.0] and np.isnan(got[2])
    assert np.isnan(casualty_figure(pd.DataFrame(index=range(2)))).all()  # no casualty columns at all


def test_the_reports_of_an_event_come_from_the_events_else_from_the_frame():
    frame = pd.DataFrame({"event_id": ["e1", "e1", "e2", None]})
    assert size_values(frame, "reports").tolist() == [2.0, 2.0, 1.0, 1.0]
    events = pd.DataFrame({"event_id": ["e1", "e2"], "n_reports": [5, 3]})
    assert size_values(frame, "reports", events=events).tolist() == [5.0, 5.0, 3.0, 1.0]
    with pytest.raises(InputError, match="'bulk' is not a way of sizing"):
        size_values(frame, "bulk")


def test_the_size_legend_says_a_missing_casualty_figure_is_the_smallest():
    key = size_key(np.array([np.nan, np.nan, 0.0, 10.0]), "casualties")
    assert key.title == "Size: casualties (area); no figure given = smallest"
    assert key.rows[0] == ("No figure given (2 reports)", BASE_RADIUS)
    assert [w for w, _ in key.rows[1:]] == ["0 casualties", "5 casualties", "10 casualties"]
    none_given = size_key(np.array([np.nan, np.nan]), "casualties")
    assert "no report drawn gives a figure" in none_given.title
    assert size_key(np.array([np.nan]), "uniform") is None


def test_the_layer_sizes_its_dots_and_draws_the_size_legend(incidents):
    frame = incidents.assign(casualties_best=pd.array([4, None, 0], dtype="Int64"))
    layer = incident_layer(frame, colour_by="type", size_by="casualties")
    radius = {
        f["properties"]["uid"]: layer.styles[f["properties"]["s"]]["radius"] for f in layer.data["features"]
    }
    assert radius["CVM-OP-06:a-1"] == MAX_RADIUS
    assert radius["party & co <b>:a-2"] == radius["CVM-OP-05:b-1"] == BASE_RADIUS
    html = legend_html([layer.size_legend])
    assert "no figure given = smallest" in html and "No figure given (1 reports)" in html
    assert f"width:{2 * MAX_RADIUS:g}px" in html
    uniform = incident_layer(frame, colour_by="type")
    assert uniform.size_legend is None and {s["radius"] for s in uniform.styles} == {BASE_RADIUS}


def test_likely_reports_are_drawn_last_over_the_unlikely_ones(incidents):
    frame = incidents.assign(flag_level=["likely", "unlikely", "possible"])
    layer = incident_layer(frame, colour_by="type")
    order = [f["properties"]["uid"] for f in layer.data["features"]]
    assert order == ["party & co <b>:a-2", "CVM-OP-05:b-1", "CVM-OP-06:a-1"]
    selected = incident_layer(frame, colour_by="type", selected_uid="CVM-OP-05:b-1")
    assert selected.data["features"][-1]["properties"]["uid"] == "CVM-OP-05:b-1"
