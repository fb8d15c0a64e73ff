"""The data handed to folium: positions, colours, escaped text, the line in force, the legend."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo import palette
from geo.errors import InputError
from geo.maps import style
from geo.maps.layers import incident_layer, map_layers


def _by_uid(layer):
    return {f["properties"]["uid"]: f for f in layer.data["features"]}


def test_positions_stay_lon_lat_in_geojson(incidents):
    features = _by_uid(incident_layer(incidents))
    assert features["CVM-OP-06:a-1"]["geometry"]["coordinates"] == [37.8, 48.6]


def test_user_text_is_escaped_in_popups_and_tooltips(incidents):
    layer = incident_layer(incidents)
    feature = _by_uid(layer)["party & co <b>:a-2"]
    rows = dict(zip(layer.popup_labels, feature["properties"]["rows"], strict=True))
    assert rows["Description"] == "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Tom &amp; Jerry"
    assert rows["Source"] == "party &amp; co &lt;b&gt;"
    assert "<b>" not in feature["properties"]["tip"] and "&amp;" in feature["properties"]["tip"]
    shown = json.dumps([[f["properties"]["tip"], f["properties"]["rows"]] for f in layer.data["features"]])
    assert "<script>" not in shown and "<b>" not in shown


def test_bidi_controls_in_user_text_show_as_a_mark_in_popups_tooltips_and_legend(incidents):
    from geo.maps.legend import legend_html
    from geo.text import BIDI_CONTROLS

    reversed_name = "evil\u202egpj.exe \u2066x\u2069"
    hostile = incidents.assign(source=reversed_name, description=reversed_name)
    layer = incident_layer(hostile, colour_by="type")
    feature = layer.data["features"][0]["properties"]
    rows = dict(zip(layer.popup_labels, feature["rows"], strict=True))
    assert rows["Source"] == rows["Description"] == "evil\ufffdgpj.exe \ufffdx\ufffd"
    assert "evil\ufffdgpj.exe" in feature["tip"]
    drawn = legend_html([layer.legend], title=f"Event of {reversed_name}")
    assert "Event of evil\ufffdgpj.exe" in drawn
    every = json.dumps(layer.data, ensure_ascii=False) + drawn
    assert not set(BIDI_CONTROLS) & set(every)


def test_popup_rows_hold_the_report_fields(incidents):
    layer = incident_layer(incidents)
    rows = dict(zip(layer.popup_labels, _by_uid(layer)["CVM-OP-06:a-1"]["properties"]["rows"], strict=True))
    assert rows["Time (UTC)"] == "2026-10-02 10:00"
    assert rows["Admiralty grade"] == "A2"
    assert rows["Location within"] == "2,500 m"
    assert rows["Weapon"] == "Mortar"  # codes as words (geo.labels), as in every table
    assert rows["Description"] == "3 rounds heard"
    assert (
        _by_uid(layer)["CVM-OP-05:b-1"]["properties"]["rows"][layer.popup_labels.index("Description")] == ""
    )


def test_above_the_popup_limit_only_the_selected_report_carries_its_rows(incidents):
    every = incident_layer(incidents, selected_uid="CVM-OP-05:b-1")
    few = incident_layer(incidents, selected_uid="CVM-OP-05:b-1", popup_limit=2)
    by_uid = _by_uid(few)
    assert (
        by_uid["CVM-OP-05:b-1"]["properties"]["rows"] == _by_uid(every)["CVM-OP-05:b-1"]["properties"]["rows"]
    )
    assert by_uid["CVM-OP-06:a-1"]["properties"]["rows"] is None
    assert by_uid["CVM-OP-06:a-1"]["properties"]["tip"].endswith("click for every field")
    assert not by_uid["CVM-OP-05:b-1"]["properties"]["tip"].endswith("click for every field")
    # At or under the limit, and with no selection above it: as before, or none at all.
    assert _by_uid(incident_layer(incidents, popup_limit=3)) == _by_uid(incident_layer(incidents))
    assert all(
        f["properties"]["rows"] is None for f in incident_layer(incidents, popup_limit=1).data["features"]
    )


def test_colours_come_from_the_palette_and_non_fire_types_are_hollow(incidents):
    layer = incident_layer(incidents, colour_by="type")
    for feature in layer.data["features"]:
        p = feature["properties"]
        colour = style.TYPE_COLOURS[p["value"]]
        # The outline is the hue itself, or the hue darkened where it would not read on the ground.
        assert layer.styles[p["s"]]["color"] == palette.ring(colour)
        expected_fill = "#FFFFFF" if p["value"] == "weapon_sighting" else colour
        assert layer.styles[p["s"]]["fillColor"] == expected_fill


def test_colour_by_weapon_and_the_legend_counts(incidents):
    layer = incident_layer(incidents, colour_by="weapon")
    assert {f["properties"]["value"] for f in layer.data["features"]} == {"mortar", "tank", "unknown"}
    labels = [e.label for e in layer.legend.entries]
    assert labels == ["Mortar (1)", "Tank (1)", "Unknown weapon (1)"]
    assert [e.colour for e in layer.legend.entries] == [
        style.WEAPON_COLOURS[w] for w in ("mortar", "tank", "unknown")
    ]


def test_colour_by_a_missing_column_names_the_fix(incidents):
    with pytest.raises(InputError, match="flag_level"):
        incident_layer(incidents, colour_by="flag_level")
    with pytest.raises(InputError, match="colour scheme"):
        incident_layer(incidents, colour_by="mood")


def test_selected_report_is_last_larger_and_open(incidents):
    layer = incident_layer(incidents, selected_uid="CVM-OP-06:a-1")
    last = layer.data["features"][-1]["properties"]
    assert last["uid"] == "CVM-OP-06:a-1" and last["sel"] is True
    assert layer.styles[last["s"]]["radius"] == style.SELECTED_RADIUS
    assert sum(f["properties"]["sel"] for f in layer.data["features"]) == 1


def test_empty_and_missing_geometries_are_left_out(incidents):
    incidents.loc[1, "geometry"] = None
    assert len(incident_layer(incidents).data["features"]) == 2
    assert len(incident_layer(incidents.iloc[:0]).data["features"]) == 0


def test_a_frame_in_another_crs_is_refused(incidents):
    with pytest.raises(InputError, match="EPSG:4326"):
        incident_layer(incidents.to_crs(3857))


@pytest.mark.parametrize(("at", "version"), [("2026-10-14T23:59:00Z", "v1"), ("2026-10-15T00:00:00Z", "v2")])
def test_the_line_and_control_areas_in_force_at_the_end_of_the_period(incidents, scenario, at, version):
    layers = map_layers(incidents, scenario, at=at)
    assert layers.line_version == version
    assert [f["properties"]["version"] for f in layers.line["features"]] == [version]
    assert version not in {f["properties"]["version"] for f in layers.earlier_lines["features"]}
    # Ukrainian-held, occupied and Russia's own ground, as the scenario file draws them.
    drawn = {(f["properties"]["side"], f["properties"]["kind"]): f for f in layers.control_areas["features"]}
    assert sorted(drawn) == [("RU", "occupied"), ("RU", "state"), ("UA", "state")]
    # A neutral tint, never a side's (or a flag level's) dot colour: dots stay readable on it.
    assert drawn["UA", "state"]["properties"]["style"] == style.CONTROL_AREA_STYLES["UA"]
    # Occupied ground outlined (dashed, darker); Russia's own fainter and unoutlined.
    occupied, russia = drawn["RU", "occupied"]["properties"], drawn["RU", "state"]["properties"]
    assert occupied["style"]["color"] == palette.OCCUPIED_OUTLINE and "dashArray" in occupied["style"]
    assert russia["style"]["weight"] == 0
    assert russia["style"]["fillOpacity"] < occupied["style"]["fillOpacity"]
    assert "Occupied" in occupied["tip"] and "Russia" in russia["tip"]
    dots = {*style.SIDE_COLOURS.values(), *style.FLAG_COLOURS.values()}
    assert not {f["properties"]["style"]["fillColor"] for f in layers.control_areas["features"]} & dots


def test_default_time_is_the_latest_report(incidents, scenario):
    layers = map_layers(incidents, scenario)
    assert layers.at == pd.Timestamp("2026-10-21T05:15:00Z")
    assert layers.line_version == "v2"


def test_zones_posts_and_legend_follow_the_scenario(incidents, scenario):
    layers = map_layers(incidents, scenario)
    assert set(layers.zones) == set(scenario.zones["kind"])
    n_zones = sum(len(fc["features"]) for fc in layers.zones.values())
    assert n_zones == len(scenario.zones)
    assert len(layers.posts["features"]) == len(scenario.posts)
    assert {f["properties"]["colour"] for f in layers.posts["features"]} <= set(style.SIDE_COLOURS.values())
    titles = [section.title for section in layers.legend]
    assert titles == ["Incident type (3 reports)", "Scenario"]
    scenario_labels = [e.label for e in layers.legend[1].entries]
    assert "Contact line v2" in scenario_labels
    # One row per kind of ground drawn, Ukrainian-held first and Russia's own last.
    areas = [e for e in layers.legend[1].entries if e.label.endswith(" area") and e.symbol != "outline"]
    assert [(e.label, e.symbol) for e in areas] == [
        ("Ukrainian-held area", "tint"),
        ("Occupied (Russian-held) area", "occupied"),
        ("Russia (Russian-held) area", "faint"),
    ]


def test_bounds_cover_the_incidents_and_selection_centres(incidents, scenario):
    layers = map_layers(incidents, scenario, selected_uid="CVM-OP-05:b-1")
    assert layers.bounds == [[47.6, 36.2], [48.9, 38.1]]
    assert layers.center == [47.6, 36.2]
    assert map_layers(incidents, scenario).center is None


def test_hexagons_replace_points_and_their_legend(incidents, scenario):
    from geo.maps.aggregate import HexIndex

    assert map_layers(incidents, scenario).hexagons is None
    hexagons = HexIndex.build(incidents, 5).counts(np.ones(len(incidents), bool))
    layers = map_layers(incidents, scenario, hexagons=hexagons)
    assert layers.incidents.data["features"] == []
    assert sum(f["properties"]["count"] for f in layers.hexagons["features"]) == len(incidents)
    assert layers.legend[0].title.startswith(f"Reports per hexagon ({len(incidents):,} reports")


def test_real_demo_batch(scenario):
    """A committed demo batch, read as GeoJSON, maps every feature with a palette colour."""
    from geo.demo import DEMO_DIR

    path = sorted(DEMO_DIR.glob("incidents_monitors_*.geojson"))[0]
    frame = gpd.read_file(path, columns=["id", "source", "occurred_at", "type", "weapon", "description"])
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True, format="ISO8601")
    frame["uid"] = frame["source"] + ":" + frame["id"]
    layers = map_layers(frame, scenario)
    assert len(layers.incidents.data["features"]) == len(frame)
    total = sum(
        int(e.label.rsplit("(", 1)[1].rstrip(")").replace(",", "")) for e in layers.incidents.legend.entries
    )
    assert total == len(frame)


def test_the_popup_says_why_this_side(demo_analysis):
    from html import escape

    from geo.pipeline import with_reasons

    reports = demo_analysis.reports
    # The event's sentence is joined to the reports drawn (as the Map page does), not held per report.
    named = with_reasons(reports[reports["attributed_side"].isin(["UA", "RU"])].head(50), demo_analysis)
    assert named["side_reason"].str.startswith("Attributed to").all()
    layer = incident_layer(named)
    at = layer.popup_labels.index("Why this side")
    features = _by_uid(layer)
    for row in named.itertuples():
        assert features[row.uid]["properties"]["rows"][at] == escape(row.side_reason)


def test_the_popup_separates_this_report_from_its_event(demo_analysis):
    """The event's figures (flag, score, side, reasons) sit under a heading naming the event, its
    reports and sources, never among the report's own fields (count, distance, time)."""
    from geo.pipeline import with_reasons

    reports, events = demo_analysis.reports, demo_analysis.events
    event = events.loc[events["n_reports"] >= 3].iloc[0]
    members = with_reasons(reports.loc[reports["event_id"] == event["event_id"]], demo_analysis)
    layer = incident_layer(members, events=events)
    labels = list(layer.popup_labels)
    report_at, event_at = labels.index("This report"), labels.index("Its event")
    assert layer.popup_sections == (report_at, event_at) and report_at == 0
    for own in ("Report", "Time (UTC)", "Count", "Weapon", "Distance to line", "Source", "Batch"):
        assert report_at < labels.index(own) < event_at, own
    for its in ("Flag level", "Violation score", "Attributed to", "Why this side", "Reasons"):
        assert labels.index(its) > event_at, its
    sources = ", ".join(event["sources"])
    for feature in layer.data["features"]:
        rows = feature["properties"]["rows"]
        assert rows[report_at] == "This report"
        assert rows[event_at] == f"Its event ({event['n_reports']} reports, from sources {sources})"


def test_the_scenarios_layers_are_made_once_per_line_version_and_never_changed(incidents, settings):
    import copy
    import gc

    from geo.maps import incident_map
    from geo.maps.scenario_layers import _layers_of_version, scenario_layers
    from geo.scenario import load_scenario

    scenario = load_scenario()  # a scenario of this test's own: its memo is forgotten with it
    october = scenario_layers(scenario, at=pd.Timestamp("2026-10-21T05:15:00Z"))
    assert scenario_layers(scenario, at=pd.Timestamp("2026-10-31T23:00:00Z")) is october  # v2 both
    september = scenario_layers(scenario, at=pd.Timestamp("2026-09-30T00:00:00Z"))
    assert (september["line_version"], october["line_version"]) == ("v1", "v2")
    assert september["line"] != october["line"] and september["control_areas"] != october["control_areas"]
    # Drawing maps from them changes nothing that the next map would draw.
    before = copy.deepcopy(october)
    incident_map(incidents, scenario, settings=settings).get_root().render()
    assert scenario_layers(scenario, at=pd.Timestamp("2026-10-21T05:15:00Z")) == before
    held = len(_layers_of_version.held)
    del scenario, october, september
    gc.collect()
    assert len(_layers_of_version.held) == held - 2
