"""Rows selected in the Incidents table are ringed on the Map, the map fitted to them, and back."""

from __future__ import annotations

MAP_PAGE = "app_pages/map.py"
INCIDENTS_PAGE = "app_pages/incidents.py"


def _select(at, rows):
    table = at.dataframe[0]
    at.session_state[table.key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    at.run()
    return [str(u) for u in table.value["uid"].iloc[rows]]


def test_rows_selected_in_incidents_are_ringed_on_the_map_and_selected_again_back(
    app_on, demo_store, demo_analysis, texts
):
    at = app_on(demo_store.path, INCIDENTS_PAGE, query={"type": "impact"})
    assert not at.exception and not at.error
    uids = _select(at, [0, 3, 7])
    assert not at.exception and list(at.session_state["incidents_selection"]) == uids
    assert at.session_state["selected_uid"] == uids[-1]  # the row just added is detailed
    assert "3 reports selected: ringed on the Map." in texts(at)
    assert sorted(at.session_state["incidents_map_rings"]) == sorted(uids[:2])  # the others, ringed small
    at.switch_page(MAP_PAGE).run()
    assert not at.exception and not at.error
    assert sorted(at.session_state["map_highlight"]) == sorted(uids)
    assert "3 reports selected in Incidents, ringed on the map." in texts(at)
    from geo.maps.view import View

    west, south, east, north = View(*at.session_state["map_anchor"][1]).bounds()  # fitted to the three
    ringed = demo_analysis.reports.loc[demo_analysis.reports["uid"].isin(uids)].geometry
    assert ((ringed.x > west) & (ringed.x < east) & (ringed.y > south) & (ringed.y < north)).all()
    assert at.session_state["map_anchor"][1][2] >= 7  # not the theatre's zoom
    # Back on Incidents the table holds the same rows selected.
    at.switch_page(INCIDENTS_PAGE).run()
    table = at.dataframe[0]
    rows = at.session_state[table.key]["selection"]["rows"]
    assert sorted(str(u) for u in table.value["uid"].iloc[rows]) == sorted(uids)


def test_a_selection_outside_the_filters_is_named_and_cleared_from_the_map(app_on, demo_store, texts):
    at = app_on(demo_store.path, INCIDENTS_PAGE, query={"type": "impact"})
    uids = _select(at, [1, 2])
    at.switch_page(MAP_PAGE).run()
    assert sorted(at.session_state["map_highlight"]) == sorted(uids)
    at.sidebar.multiselect(key="filter_types").set_value(["outgoing_fire"]).run()
    assert at.session_state["map_highlight"] == []
    assert "(2 of them outside the filters, not drawn)" in texts(at)
    at.button(key="map_selection_clear").click().run()
    assert not at.exception and at.session_state["map_highlight"] == []
    assert list(at.session_state["incidents_selection"]) == [] and "selected in Incidents" not in texts(at)
