"""The Map page's working features on the demo store: aggregation, shared view, search, playback, filters."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.pipeline import explained
from ui import keys

MAP_PAGE = "app_pages/map.py"


@pytest.fixture(scope="module")
def reports(demo_analysis):
    return demo_analysis.reports


def test_above_the_point_limit_the_map_draws_hexagons_counting_every_report(
    app_on, demo_store, reports, monkeypatch, texts
):
    monkeypatch.setenv("CM_MAP_POINT_LIMIT", "500")
    at = app_on(demo_store.path, MAP_PAGE)
    assert not at.exception and not at.error
    assert at.session_state["map_incident_count"] == 0
    assert at.session_state["map_hexagon_count"] == demo_store.count()
    assert "shown per hexagon" in texts(at)
    # Few enough after a filter: each report again.
    counts = reports["type"].value_counts()
    rare = counts.loc[counts <= 500].index[0]
    at.sidebar.multiselect(key="filter_types").set_value([rare]).run()
    assert at.session_state["map_incident_count"] == counts[rare]
    assert at.session_state["map_hexagon_count"] == 0


def test_above_the_popup_limit_the_selected_report_alone_brings_its_popup(
    app_on, demo_store, reports, monkeypatch
):
    monkeypatch.setenv("CM_MAP_POPUP_LIMIT", "100")
    at = app_on(demo_store.path, MAP_PAGE)
    assert not at.exception and not at.error
    assert at.session_state["map_incident_count"] == len(reports) > 100
    assert at.session_state["map_popup_count"] == 0
    pick = reports.iloc[42]
    at.text_input(key="map_search").input(pick["uid"]).run()
    assert at.session_state["selected_uid"] == pick["uid"] and at.session_state["map_popup_count"] == 1


def test_a_shared_link_restores_the_view_and_the_selection(app_on, demo_store, demo_analysis, reports, shown):
    pick = reports.loc[reports["flag_level"] == "likely"].iloc[0]
    link = {"lat": "48.0100", "lon": "37.8000", "z": "10", "uid": pick["uid"]}
    at = app_on(demo_store.path, MAP_PAGE, query=link)
    assert not at.exception and not at.error
    assert at.session_state["map_anchor"][1] == (48.01, 37.8, 10)
    assert any(pick["id"] in shown(h.value) for h in at.subheader)
    # The selected report's reasons, said to be its event's (kept with the event, joined to show),
    # under a heading apart from the report's own figures; its flag is the event's, not the heading's.
    events = demo_analysis.events
    event = events.loc[events["event_id"] == pick["event_id"]].iloc[0]
    reasons = explained(events.loc[events["event_id"] == pick["event_id"]], demo_analysis)["reasons"].iloc[0]
    lines = [shown(m.value) for m in at.markdown]
    assert not any("likely" in shown(h.value) for h in at.subheader)
    own = next(line for line in lines if line.startswith("**This report:**"))
    assert f"{pick['occurred_at']:%Y-%m-%d %H:%M} UTC" in own and f"{pick['dist_to_line_m']:,.0f} m" in own
    its = next(line for line in lines if line.startswith("**Its event"))
    assert f"flagged {event['flag_level']}, violation score {event['violation_score']:.2f}" in its
    assert event["n_reports"] == 1 or f"{event['n_reports']} reports, from sources" in its
    assert any(line.startswith("**Reasons of its event**") for line in lines)
    assert len(reasons) and all(any(r["sentence"] in line for line in lines) for r in reasons)
    assert {k: at.query_params[k] for k in link} == link


def test_search_by_id_selects_the_report_and_opens_the_map_on_it(app_on, demo_store, reports, shown):
    pick = reports.iloc[100]
    at = app_on(demo_store.path, MAP_PAGE)
    at.text_input(key="map_search").input(pick["uid"]).run()
    assert not at.exception and not at.error
    assert at.session_state["selected_uid"] == pick["uid"] and at.query_params["uid"] == pick["uid"]
    lat, lon, zoom = at.session_state["map_anchor"][1]
    assert (lat, lon) == (round(pick.geometry.y, 4), round(pick.geometry.x, 4)) and zoom == 12
    at.text_input(key="map_search").input("no-such-report").run()
    assert "No report has the id or uid 'no-such-report'" in " ".join(shown(w.value) for w in at.warning)


def test_search_by_place_opens_the_map_on_the_settlement(app_on, demo_store):
    from geo.gazetteer import load_gazetteer

    at = app_on(demo_store.path, MAP_PAGE)
    at.text_input(key="map_search").input("bakhmut").run()
    # No warning but single-user mode's banner (a place found is no search failure).
    assert not at.exception and [w.icon for w in at.warning] == [":material/person:"]
    town = load_gazetteer().find("Bakhmut").iloc[0]
    assert at.session_state["map_anchor"][1] == (round(town["lat"], 4), round(town["lon"], 4), 11)
    assert "Bakhmut (UA" in " ".join(c.value for c in at.caption)


def test_playback_shows_one_day_at_a_time(app_on, demo_store, reports):
    at = app_on(demo_store.path, MAP_PAGE)
    at.sidebar.toggle(key="map_playback").set_value(True).run()
    assert not at.exception and not at.error
    days = reports["occurred_at"].dt.floor("D")
    first = days.min()
    assert at.session_state["map_incident_count"] == int((days == first).sum())
    second = sorted(days.unique())[1]
    at.select_slider(key="map_play_day").set_value(second).run()
    assert at.session_state["map_incident_count"] == int((days == second).sum())


def test_playback_names_the_day_its_counts_and_the_line_in_force_and_a_link_restores_it(
    app_on, demo_store, reports, shown
):
    # 2026-10-09: line v1 was in force (v2 from 15 October); the period filtered is the whole month.
    day = pd.Timestamp("2026-10-09", tz="UTC")
    on_day = int((reports["occurred_at"].dt.floor("D") == day).sum())
    at = app_on(demo_store.path, MAP_PAGE)
    at.sidebar.toggle(key="map_playback").set_value(True).run()
    at.select_slider(key="map_play_day").set_value(day).run()
    assert not at.exception and not at.error
    assert at.query_params["day"] == "2026-10-09"

    def check(at):
        assert at.session_state["map_incident_count"] == on_day
        caption = " ".join(shown(c.value) for c in at.caption)
        assert f"{on_day:,} of {len(reports):,} reports · 2026-10-09 UTC (playback" in caption
        assert "line v1 (in force on 2026-10-09)" in caption and "2026-10-31 UTC;" not in caption
        title, sections = at.session_state["map_legend"]
        assert title.startswith("2026-10-09 UTC (playback, day 9 of 31 in 2026-10-01 to 2026-10-31 UTC)")
        assert f"({on_day:,} reports)" in sections[0] and at.session_state["map_line_drawn"] == "v1"

    check(at)
    # The same URL opened again (a reload, a shared link) shows the same day.
    again = app_on(demo_store.path, MAP_PAGE, query={"day": "2026-10-09"})
    assert not again.exception and not again.error
    assert again.session_state["map_playback"] and again.query_params["day"] == "2026-10-09"
    check(again)
    # Playback off: the whole period again, its line, and no day in the URL.
    again.sidebar.toggle(key="map_playback").set_value(False).run()
    assert "day" not in again.query_params and again.session_state["map_line_drawn"] == "v2"
    assert again.session_state["map_incident_count"] == len(reports)


def test_playback_windows_slide_over_seven_days_or_accumulate_and_a_link_keeps_them(
    app_on, demo_store, reports, shown
):
    day = pd.Timestamp("2026-10-09", tz="UTC")
    days = reports["occurred_at"].dt.floor("D")
    week = int(((days >= day - pd.Timedelta(days=6)) & (days <= day)).sum())
    so_far = int((days <= day).sum())
    at = app_on(demo_store.path, MAP_PAGE, query={"day": "2026-10-09", "window": "week"})
    assert not at.exception and not at.error
    assert at.session_state["map_incident_count"] == week
    caption = " ".join(shown(c.value) for c in at.caption)
    assert (
        f"{week:,} of {len(reports):,} reports · 2026-10-03 to 2026-10-09 UTC (playback, the 7 days to day 9"
        in caption
    )
    at.sidebar.radio(key="map_play_window").set_value("cumulative").run()
    assert at.session_state["map_incident_count"] == so_far and at.query_params["window"] == "cumulative"
    at.sidebar.radio(key="map_play_window").set_value("day").run()
    assert at.session_state["map_incident_count"] == int((days == day).sum())
    assert "window" not in at.query_params
    bad = app_on(demo_store.path, MAP_PAGE, query={"day": "2026-10-09", "window": "fortnight"})
    assert not bad.exception and not bad.error
    assert any("fortnight" in w.value for w in bad.sidebar.warning)
    assert bad.session_state["map_incident_count"] == int((days == day).sum())


def test_an_unreadable_day_in_the_link_is_named_not_fatal(app_on, demo_store, reports):
    at = app_on(demo_store.path, MAP_PAGE, query={"day": "9 Oct"})
    assert not at.exception and not at.error
    assert any("day='9 Oct'" in w.value for w in at.sidebar.warning)
    assert at.session_state["map_incident_count"] == len(reports) and "day" not in at.query_params


def test_sector_and_distance_filters_narrow_the_map(app_on, demo_store, reports):
    sector = reports["sector"].value_counts().index[0]
    at = app_on(demo_store.path, MAP_PAGE, query={"sector": sector, "dmax": "3"})
    assert not at.exception and not at.error
    expected = (reports["sector"] == sector) & (reports["dist_to_line_m"] <= 3000)
    assert at.session_state["map_incident_count"] == int(expected.sum()) > 0
    at.sidebar.button(key="filter_preset_7").click().run()
    last = reports["occurred_at"].max().normalize()
    recent = reports["occurred_at"] >= last - pd.Timedelta(days=6)
    assert at.session_state["map_incident_count"] == int((expected & recent).sum())
    assert at.query_params["from"] == f"{last - pd.Timedelta(days=6):%Y-%m-%d}"


def test_an_unreadable_link_parameter_is_named_not_fatal(app_on, demo_store):
    at = app_on(demo_store.path, MAP_PAGE, query={"dmax": "far"})
    assert not at.exception and not at.error
    assert any("dmax='far'" in w.value for w in at.sidebar.warning)
    assert at.session_state["map_incident_count"] == demo_store.count()


def test_image_of_this_view_gives_a_png_of_the_filtered_reports(app_on, demo_store):
    import io

    from PIL import Image

    at = app_on(demo_store.path, MAP_PAGE, query={"type": "impact"})
    at.button(key="map_image_build").click().run()
    assert not at.exception and not at.error
    png, name, *_ = at.session_state["map_image"]
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width > image.height  # the slide size, 16:9
    assert name.endswith("-map.png") and name.startswith("briefing_")


def test_the_image_of_a_zoomed_view_counts_the_reports_within_it_as_the_map_does(
    app_on, demo_store, reports, shown
):
    from geo.filters import Filters
    from geo.report.mapimage import image_extent
    from geo.scenario import load_scenario

    # The view the browser reports after zooming in to about 10 km around the middle of the reports.
    lon, lat = float(reports.geometry.x.median()), float(reports.geometry.y.median())
    box = (lon - 0.07, lat - 0.04, lon + 0.07, lat + 0.04)
    at = app_on(demo_store.path, MAP_PAGE)
    at.session_state["map"] = {
        "center": {"lat": lat, "lng": lon},
        "zoom": 12,
        "bounds": {
            "_southWest": {"lat": box[1], "lng": box[0]},
            "_northEast": {"lat": box[3], "lng": box[2]},
        },
    }
    at.run()
    at.button(key="map_image_build").click().run()
    assert not at.exception and not at.error
    x, y = reports.geometry.x, reports.geometry.y

    def within(b):
        return int(((x >= b[0]) & (x <= b[2]) & (y >= b[1]) & (y <= b[3])).sum())

    month = Filters.from_params({"from": "2026-10-01", "to": "2026-10-31"})
    in_image = within(image_extent(reports, load_scenario(), filters=month, bounds=box))
    in_view = within(box)
    assert 0 < in_view <= in_image < len(reports) / 10
    captions = " ".join(shown(c.value) for c in at.caption)
    assert f"{len(reports):,} of {len(reports):,} reports ({in_view:,} in this view)" in captions
    assert (
        f"The image shows {in_image:,} reports, those within its extent (this view widened to the"
        f" image's shape), of the {len(reports):,} matching the filters" in captions
    )


def test_hotspot_and_cluster_layers_join_the_map_before_its_layer_control(app_on, demo_store, demo_analysis):
    pick = demo_analysis.reports.loc[demo_analysis.reports["origin_method"] == "triangulated"].iloc[0]
    at = app_on(demo_store.path, MAP_PAGE, query={"uid": pick["uid"]})
    at.sidebar.toggle(key="map_patterns").set_value(True).run()
    assert not at.exception and not at.error
    assert at.session_state["selected_uid"] == pick["uid"]
    from geo.patterns import PatternParams, find_patterns
    from geo.pipeline import scenario_sectors
    from geo.scenario import load_scenario
    from geo.settings import load_settings

    s = load_settings(environ={})
    found = find_patterns(
        demo_analysis.reports,
        sectors=scenario_sectors(s.scenario_dir),
        zones=load_scenario(s.scenario_dir).zones,
        params=PatternParams(resolution=6),
    )
    significant = int((found.hotspots["level"] != "").sum())
    assert at.session_state["map_pattern_counts"] == (significant, len(found.clusters))
    assert significant > 0


def test_the_events_layer_follows_the_filters(app_on, demo_store, demo_analysis):
    reports, events = demo_analysis.reports, demo_analysis.events
    at = app_on(demo_store.path, MAP_PAGE, query={"type": "outgoing_fire", "from": "2026-10-20"})
    assert not at.exception and not at.error
    kept = reports.loc[(reports["type"] == "outgoing_fire") & (reports["occurred_at"] >= "2026-10-20")]
    flagged = events.loc[
        events["event_id"].isin(kept["event_id"]) & events["flag_level"].isin(["likely", "possible"])
    ]
    assert at.session_state["map_event_count"] == len(flagged) > 0
    assert len(flagged) < int(events["flag_level"].isin(["likely", "possible"]).sum())


def _timeline_tables(at) -> list[list[dict]]:
    """The data of the Map page's timeline chart (the one with a brush), one table per layer."""
    import pyarrow as pa

    (chart,) = [c for c in at.get("vega_lite_chart") if "brush" in c.proto.spec]
    return [pa.ipc.open_stream(d.data.data).read_all().to_pylist() for d in chart.proto.datasets]


def test_the_timeline_counts_every_report_the_other_filters_keep_and_shades_the_period(
    app_on, demo_store, reports, texts
):
    at = app_on(demo_store.path, MAP_PAGE, query={"from": "2026-10-09", "to": "2026-10-15", "type": "impact"})
    assert not at.exception and not at.error
    tables = _timeline_tables(at)
    bars = next(rows for rows in tables if rows and "Flag level" in rows[0])
    impacts = reports.loc[reports["type"] == "impact"]
    assert sum(row["Reports"] for row in bars) == len(impacts)  # the whole record, not the week
    # The demo month is drawn by day, as it always was: one bar a day from its midnight to the next.
    days = impacts["occurred_at"].dt.strftime("%Y-%m-%d")
    assert sorted({row["From"][:10] for row in bars}) == sorted(days.unique())
    assert all(pd.Timestamp(row["To"]) - pd.Timestamp(row["From"]) == pd.Timedelta(days=1) for row in bars)
    likely_ninth = sum(
        row["Reports"]
        for row in bars
        if row["From"].startswith("2026-10-09") and row["Flag level"] == "Likely"
    )
    assert likely_ninth == int(((days == "2026-10-09") & (impacts["flag_level"] == "likely")).sum())
    (shade,) = [rows[0] for rows in tables if rows and "Period from" in rows[0]]
    assert (shade["Period from"], shade["Period to"]) == (
        "2026-10-09T00:00:00+00:00",
        "2026-10-16T00:00:00+00:00",
    )
    caption = texts(at)
    assert f"Reports per day (UTC) by flag level, {len(impacts):,} in all under the other filters" in caption
    assert "choose another period." in caption


def test_a_new_sessions_timeline_waits_until_the_browser_has_drawn_the_map(app_on, demo_store, texts):
    waiting = "The timeline of these reports is drawn below once the map is shown."
    at = app_on(demo_store.path, MAP_PAGE, map_shown=False)
    assert not at.exception and not at.error
    assert not [c for c in at.get("vega_lite_chart") if "brush" in c.proto.spec]
    assert waiting in texts(at)
    # The browser reports the map it drew (st_folium's value: its view): from then on the page draws
    # the timeline, on this run and on every later one.
    at.session_state[keys.MAP] = {
        "center": {"lat": 48.43, "lng": 34.01},
        "zoom": 7,
        "bounds": {"_southWest": {"lat": 46.0, "lng": 30.0}, "_northEast": {"lat": 50.8, "lng": 38.0}},
    }
    at.run()
    assert not at.exception and not at.error
    bars = next(rows for rows in _timeline_tables(at) if rows and "Flag level" in rows[0])
    assert sum(row["Reports"] for row in bars) == demo_store.count()
    assert waiting not in texts(at)
    at.button(key=f"{keys.FILTER_PRESET}_7").click().run()  # "Last 7 days": a later run
    assert not at.exception and _timeline_tables(at) and waiting not in texts(at)


def test_over_seven_years_of_real_events_the_timeline_draws_weeks(app_on, tmp_path, shared_data, texts):
    # UCDP GED's 1,447 events of the Minsk II ceasefire (2015-02-15 to 2022-02-23), imported through its preset.
    from geo.ingest.mapping import read_upload
    from geo.settings import Settings
    from geo.store import open_store
    from geo.timeline import MAX_BARS

    path = shared_data / "ucdp_ged" / "ucdp_ged_ukraine_minsk2_2015-02-15_2022-02-23.geojson"
    data = path.read_bytes()
    batch = read_upload(data, filename=path.name, mapping="ucdp", settings=Settings())
    store = open_store(tmp_path / "ged" / "store.gpkg")
    store.add_batch(batch, original=data)
    at = app_on(store.path, MAP_PAGE, query={"from": "2018-03-07", "to": "2018-03-20"})
    assert not at.exception and not at.error
    tables = _timeline_tables(at)
    bars = next(rows for rows in tables if rows and "Flag level" in rows[0])
    assert sum(row["Reports"] for row in bars) == len(batch.accepted) == store.count()
    # Weeks from Monday (UTC), each named by its days; far fewer rows than the 2,566 days of the record.
    starts = {pd.Timestamp(row["From"]) for row in bars}
    assert len(starts) <= MAX_BARS and len(bars) <= 4 * MAX_BARS
    assert all(t.weekday() == 0 for t in starts)
    assert all(pd.Timestamp(row["To"]) - pd.Timestamp(row["From"]) == pd.Timedelta(days=7) for row in bars)
    assert min(starts) == pd.Timestamp("2015-02-09", tz="UTC")  # the week of Sunday 15 February 2015
    first = next(row for row in bars if row["From"].startswith("2015-02-09"))
    assert first["Week"] == "9 Feb 2015 to 15 Feb 2015"
    # The period shaded is its days, not the weeks they fall in.
    (shade,) = [rows[0] for rows in tables if rows and "Period from" in rows[0]]
    assert shade["Period from"].startswith("2018-03-07") and shade["Period to"].startswith("2018-03-21")
    caption = texts(at)
    assert "Reports per week (UTC, weeks from Monday) by flag level, 1,447 in all" in caption
    assert "choose another period (the whole weeks it reaches)." in caption


def test_an_area_drawn_on_the_map_selects_its_reports_on_every_page_until_cleared(
    app_on, demo_store, reports, texts
):
    area = "37.60000,48.00000;37.90000,48.00000;37.90000,48.25000;37.60000,48.25000"
    x, y = reports.geometry.x, reports.geometry.y
    inside = reports.loc[(x >= 37.6) & (x <= 37.9) & (y >= 48.0) & (y <= 48.25)]
    at = app_on(demo_store.path, MAP_PAGE, query={"area": area})
    assert not at.exception and not at.error
    assert at.session_state["map_incident_count"] == len(inside) > 0
    assert "within the area drawn on the map (4 corners)" in texts(at)
    # The Incidents table holds exactly those reports, though the link's parameters are gone.
    at.query_params.clear()
    at.switch_page("app_pages/incidents.py").run()
    assert not at.exception and not at.error
    assert sorted(at.dataframe[0].value["uid"]) == sorted(inside["uid"])
    assert at.query_params["area"] == area
    at.sidebar.button(key="filter_area_clear").click().run()
    assert "area" not in at.query_params and len(at.dataframe[0].value) == len(reports)


def test_reports_under_the_same_dot_are_listed_to_choose_from(app_on, demo_store, reports):
    uid = "OSINT-CHANNEL-B/20261016-0005"  # two others within 50 m in the demo month (tests/test_detail.py)
    at = app_on(demo_store.path, MAP_PAGE, query={"uid": uid})
    assert not at.exception and not at.error
    import numpy as np

    from geo.detail import reports_at_place

    others = reports_at_place(reports, np.ones(len(reports), dtype=bool), uid)
    (listed,) = [s for s in at.selectbox if s.key and s.key.startswith("map_same_place")]
    assert len(listed.options) == len(others) == 2 and "2 other reports at this place" in listed.label
    chosen = others["uid"].iloc[1]
    listed.set_value(chosen).run()  # the value is the uid; the option shown is its time, type, source
    assert not at.exception and at.session_state["selected_uid"] == chosen
    assert at.query_params["uid"] == chosen


def test_the_size_choice_reaches_the_map_its_legend_and_the_link(app_on, demo_store, demo_analysis):
    from geo.maps.sizing import BASE_RADIUS, MAX_RADIUS

    at = app_on(demo_store.path, MAP_PAGE, query={"size": "reports"})
    assert not at.exception and not at.error
    assert at.sidebar.selectbox(key="map_size").value == "reports"
    radii = at.session_state["map_dot_radii"]
    assert radii[0] > BASE_RADIUS and radii[-1] == MAX_RADIUS  # one report in its event is the smallest
    assert "Size: reports in its event (area)" in at.session_state["map_legend"][1]
    # The demo gives no casualty figure: every dot at the smallest size, and the legend says why.
    at.sidebar.selectbox(key="map_size").set_value("casualties").run()
    assert at.query_params["size"] == "casualties" and at.session_state["map_dot_radii"] == [BASE_RADIUS]
    assert "Size: casualties; no report drawn gives a figure" in at.session_state["map_legend"][1]
    at.sidebar.selectbox(key="map_size").set_value("uniform").run()
    assert "size" not in at.query_params and at.session_state["map_dot_radii"] == [BASE_RADIUS]
    assert not any(t.startswith("Size:") for t in at.session_state["map_legend"][1])


def test_an_unknown_size_in_the_link_is_named_and_the_dots_stay_alike(app_on, demo_store, shown):
    at = app_on(demo_store.path, MAP_PAGE, query={"size": "bulk", "colour": "weapon"})
    assert not at.exception and not at.error
    assert any("the size 'bulk' is not one of the choices" in shown(w.value) for w in at.sidebar.warning)
    assert at.sidebar.selectbox(key="map_size").value == "uniform"
    assert at.sidebar.selectbox(key="map_colour").value == "weapon" and at.query_params["colour"] == "weapon"


def test_filters_follow_the_officer_to_another_page(app_on, demo_store, reports):
    """Chosen on the Map, kept on Incidents: the sidebar's page links carry no query, so the filters
    come from the session (the link's parameters are gone, as after a click on a page link)."""
    at = app_on(demo_store.path, MAP_PAGE)
    at.sidebar.multiselect(key="filter_types").set_value(["impact"]).run()
    assert at.query_params["type"] in ("impact", ["impact"])
    at.query_params.clear()
    at.switch_page("app_pages/incidents.py").run()
    assert not at.exception and not at.error
    assert at.sidebar.multiselect(key="filter_types").value == ["impact"]
    assert len(at.dataframe[0].value) == int((reports["type"] == "impact").sum())
    assert at.query_params["type"] in ("impact", ["impact"])
    # A link that names filters wins over the session's.
    at.query_params["type"] = "weapon_sighting"
    at.switch_page(MAP_PAGE).run()
    assert at.sidebar.multiselect(key="filter_types").value == ["weapon_sighting"]


def test_the_drawn_reports_are_worded_once_per_analysis_and_view(app_on, demo_store, monkeypatch):
    # A rerun of the same view (a click, a pan back) draws the reports worded before: wording their
    # events again took 0.3 s a run at a million reports. Another view words its own reports.
    from geo import pipeline
    from ui import data

    monkeypatch.setattr(data, "_WORDED", type(data._WORDED)())
    worded = []
    real = pipeline.with_reasons

    def counted(reports, analysis):
        worded.append(len(reports))
        return real(reports, analysis)

    monkeypatch.setattr(pipeline, "with_reasons", counted)
    at = app_on(demo_store.path, MAP_PAGE)
    assert not at.exception and len(worded) == 1
    (held,) = data._WORDED.values()
    before = held.copy()
    at.run()
    assert not at.exception and len(worded) == 1
    pd.testing.assert_frame_equal(held, before)  # drawing it changed nothing of what the sessions share
    at.sidebar.multiselect(key="filter_types").set_value(["impact"]).run()
    assert not at.exception and len(worded) == 2 and worded[-1] < worded[0]
