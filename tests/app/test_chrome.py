"""The page chrome (classification marking, store revision) and shared links that reproduce a view."""

from __future__ import annotations

import pandas as pd

from geo.ingest import read_batch

MAP_PAGE = "app_pages/map.py"


def test_sidebar_shows_the_marking_and_the_store(app_on, demo, monkeypatch):
    monkeypatch.setenv("CM_CLASSIFICATION", "MISSION RESTRICTED")
    at = app_on(demo)
    assert not at.exception
    assert "**MISSION RESTRICTED**" in [m.value for m in at.sidebar.markdown]
    caption = " ".join(c.value for c in at.sidebar.caption)
    assert f"Store revision {demo.revision()}" in caption
    assert f"{demo.count():,} reports" in caption


def test_the_chrome_follows_the_store_setting(app_on, fresh_store, small_batch):
    data = small_batch(2)
    fresh_store.add_batch(read_batch(data, filename="two.geojson"), original=data)
    at = app_on(fresh_store)
    caption = " ".join(c.value for c in at.sidebar.caption)
    first = fresh_store.revision()
    assert f"Store revision {first} " in caption and "2 reports" in caption
    data = small_batch(3, source="field")
    fresh_store.add_batch(read_batch(data, filename="three.geojson"), original=data)
    at.run()  # another server's batch: this one's next run names the new revision and count
    caption = " ".join(c.value for c in at.sidebar.caption)
    assert fresh_store.revision() != first
    assert f"Store revision {fresh_store.revision()} " in caption and "5 reports" in caption


def test_a_shared_link_reproduces_the_map_view(app_on, demo_store):
    reports = demo_store.incidents()
    day = reports["occurred_at"].max().normalize()
    start = day - pd.Timedelta(days=6)
    link = {"from": f"{start:%Y-%m-%d}", "to": f"{day:%Y-%m-%d}", "type": "impact,outgoing_fire"}
    at = app_on(demo_store.path, MAP_PAGE, query=link)
    assert not at.exception and not at.error
    assert at.sidebar.multiselect(key="filter_types").value == ["impact", "outgoing_fire"]
    in_period = reports["occurred_at"].between(start, day + pd.Timedelta(days=1), inclusive="left")
    expected = int((in_period & reports["type"].isin(["impact", "outgoing_fire"])).sum())
    assert at.session_state["map_incident_count"] == expected > 0
    assert at.query_params["type"] == "impact,outgoing_fire" and at.query_params["from"] == link["from"]


def test_a_link_with_unknown_values_falls_back_to_everything(app_on, demo_store):
    at = app_on(demo_store.path, MAP_PAGE, query={"type": "shelling", "from": "yesterday"})
    assert not at.exception and not at.error
    assert at.sidebar.multiselect(key="filter_types").value == []
    assert at.session_state["map_incident_count"] == demo_store.count()
    assert "type" not in at.query_params
