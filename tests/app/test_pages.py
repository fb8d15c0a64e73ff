"""Every page renders on the demo store, on an empty store and with filters that match nothing.

The smoke tests over the demo and an empty store run on both stores; those of the filters and the
selection (the same whatever store they read) on the GeoPackage one."""

from __future__ import annotations

import socket
import uuid

import pandas as pd
import psycopg
import pytest

from geo.ingest import read_batch
from geo.labels import label
from tests.app.conftest import run_app
from tests.app.test_readable import PAGES

MAP_PAGE = "app_pages/map.py"
UPLOAD_PAGE = "app_pages/upload.py"


def _metrics(at) -> dict[str, int]:
    return {m.label: int(m.value.replace(",", "")) for m in at.metric}


def test_overview_on_the_demo(app_on, demo, demo_analysis):
    at = app_on(demo)
    assert not at.exception and not at.error
    labels = _metrics(at)
    assert labels["Reports stored"] == demo.count()
    assert labels["Batches"] == len(demo.batches())
    assert labels["Reports, last 7 days"] > 0
    assert (
        labels["Likely, attributed RU, last 30 days"] + labels["Likely, attributed UA, last 30 days"]
        <= labels["Likely violations, last 30 days"]
    )
    headline, trends, by_type = (d.value for d in at.dataframe[:3])
    assert headline.loc["Reports", "Last 30 days"] <= demo.count()
    assert set(trends.columns) >= {"sector", "reports", "likely", "daily"} and trends["reports"].sum() > 0
    # The mini map draws the reports of likely violations of the week, by their own time.
    analysed = demo_analysis.reports
    week = analysed["occurred_at"] >= analysed["occurred_at"].max().normalize() - pd.Timedelta(days=6)
    likely_reports = int((week & (analysed["flag_level"] == "likely")).sum())
    assert at.session_state["overview_map_count"] == likely_reports
    assert f"{likely_reports:,} reports of likely violations, 2026-10-25 to 2026-10-31 (UTC)." in [
        c.value for c in at.caption
    ]
    assert by_type["Whole record"].sum() == demo.count()
    assert (by_type["Latest day"] <= by_type["Last 7 days"]).all()
    assert (by_type["Last 7 days"] <= by_type["Last 30 days"]).all()
    latest = at.dataframe[-1].value
    stored = demo.incidents()["occurred_at"]
    assert len(latest) == 15 and pd.Timestamp(latest["occurred_at"].max()) == stored.max()


def test_overview_on_an_empty_store(app_on, empty_store, texts):
    at = app_on(empty_store)
    assert not at.exception and not at.error
    assert "No reports yet: upload a batch on the Upload page" in texts(at)
    assert not at.metric and not at.dataframe


def test_overview_when_every_batch_was_retracted(app_on, fresh_store, small_batch, texts):
    data = small_batch(2)
    receipt = fresh_store.add_batch(read_batch(data, filename="two.geojson"), original=data)
    fresh_store.retract_batch(receipt.batch_id, reason="test: withdrawn")
    at = app_on(fresh_store)
    assert not at.exception and not at.error
    assert "No reports yet" in texts(at)


def test_map_on_the_demo(app_on, demo, texts):
    at = app_on(demo, MAP_PAGE)
    assert not at.exception and not at.error
    assert at.session_state["map_incident_count"] == demo.count()
    assert f"{demo.count():,} of {demo.count():,} reports" in texts(at)
    assert at.sidebar.selectbox(key="map_colour").value == "flag_level"


def test_map_filters_that_match_nothing_keep_the_context(app_on, demo_store, texts):
    at = app_on(demo_store.path, MAP_PAGE)
    # Weapon sightings in the demo are heavy weapons, never UAVs: together the two filters match nothing.
    at.sidebar.multiselect(key="filter_types").set_value(["weapon_sighting"])
    at.sidebar.multiselect(key="filter_weapons").set_value(["uav"]).run()
    assert not at.exception and not at.error
    assert "No report matches the filters" in texts(at)
    assert at.session_state["map_incident_count"] == 0
    context = at.session_state["map_context_counts"]
    assert context["line"] >= 1 and context["control_areas"] >= 2 and context["posts"] > 0
    assert at.query_params["type"] == "weapon_sighting" and at.query_params["weapon"] == "uav"


def test_map_filter_narrows_and_lives_in_the_url(app_on, demo_store):
    at = app_on(demo_store.path, MAP_PAGE)
    at.sidebar.multiselect(key="filter_types").set_value(["weapon_sighting"]).run()
    shown = at.session_state["map_incident_count"]
    expected = int((demo_store.incidents()["type"] == "weapon_sighting").sum())
    assert shown == expected > 0
    assert at.query_params["type"] == "weapon_sighting"


def test_map_on_an_empty_store(app_on, empty_store, texts):
    at = app_on(empty_store, MAP_PAGE)
    assert not at.exception and not at.error
    assert "No reports yet" in texts(at)
    assert at.session_state["map_incident_count"] == 0
    assert at.session_state["map_context_counts"]["line"] >= 1


def test_upload_on_the_demo_lists_every_batch(app_on, demo):
    at = app_on(demo, UPLOAD_PAGE)
    assert not at.exception and not at.error
    history = at.dataframe[-1].value
    assert sorted(history["batch_id"]) == sorted(demo.batches()["batch_id"])
    assert at.button(key="retract_button").disabled


def test_upload_on_an_empty_store(app_on, empty_store, texts):
    at = app_on(empty_store, UPLOAD_PAGE)
    assert not at.exception and not at.error
    assert "No batches yet" in texts(at)
    assert not at.button


def test_map_selected_report_shows_its_reasons_and_origin(app_on, demo_store, shown):
    from geo.pipeline import analyse_store
    from geo.settings import load_settings

    s = load_settings()
    reports = analyse_store(demo_store, scenario_dir=s.scenario_dir, agreement_path=s.agreement_path).reports
    pick = reports.loc[
        (reports["origin_method"] == "triangulated") & (reports["flag_level"] == "likely")
    ].iloc[0]
    at = app_on(demo_store.path, MAP_PAGE)
    at.session_state["selected_uid"] = pick["uid"]
    at.run()
    assert not at.exception and not at.error
    assert any(pick["id"] in shown(h.value) for h in at.subheader)
    reasons = " ".join(shown(m.value) for m in at.markdown)
    # The reasons by their words (geo.labels), never their codes.
    assert label("FIRE_AFTER_EFFECTIVE", "code") in reasons and label("SIDE_ORIGIN", "code") in reasons
    assert "FIRE_AFTER_EFFECTIVE" not in reasons


def test_pages_leave_the_shared_analysis_untouched(app_on, serve, demo_store):
    from pandas.testing import assert_frame_equal

    import ui.data
    from geo.pipeline import context_key
    from geo.settings import load_settings

    serve(demo_store.path)  # the shared analysis is of the store the settings name
    s = load_settings()
    key = (demo_store.revision(), context_key(s.scenario_dir, s.agreement_path))
    shared = ui.data._analysis(*key, str(s.scenario_dir), str(s.agreement_path))
    tables = (shared.reports, shared.events, shared.reasons, shared.evidence)
    before = [frame.copy(deep=True) for frame in tables]
    at = app_on(demo_store.path, MAP_PAGE)
    at.sidebar.multiselect(key="filter_types").set_value(["impact"]).run()
    at.sidebar.selectbox(key="map_colour").set_value("type").run()
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    again = ui.data._analysis(*key, str(s.scenario_dir), str(s.agreement_path))
    assert again.reports is shared.reports, "the pages used the shared frames, not copies"
    for frame, copy in zip(tables, before, strict=True):
        assert_frame_equal(frame, copy)


def test_every_page_renders_on_the_demo_in_one_session(app_on, demo):
    at = app_on(demo)
    assert not at.exception and not at.error
    for page in PAGES[1:]:
        at.switch_page(page).run()
        assert not at.exception, page
        assert not at.error, (page, [e.value for e in at.error])
        assert at.sidebar.caption and f"{demo.count():,} reports" in at.sidebar.caption[0].value


@pytest.mark.parametrize("page", PAGES)
def test_an_unreachable_database_is_named_with_its_fix_on_every_page(monkeypatch, tmp_path, page, shown):
    # A port nothing listens on: the server is down, or the URL is wrong.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("CM_STORE_URL", f"postgresql://cm:secret@127.0.0.1:{port}/ceasefire")
    monkeypatch.setenv("CM_STORE_PATH", str(tmp_path / "server" / "store.gpkg"))
    at = run_app(page)
    assert not at.exception
    errors = [shown(e.value) for e in at.error]
    assert errors and all(
        e.startswith("Cannot reach the PostGIS store at postgresql://cm:***@") for e in errors
    )
    assert all("**How to fix:** Check the URL and that the server runs" in e for e in errors), errors
    assert not any("secret" in e for e in errors)


def test_a_database_not_migrated_names_the_command_that_migrates_it(
    monkeypatch, tmp_path, postgis_server, shown
):
    bare = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgis_server, autocommit=True) as conn:
        conn.execute(f"create database {bare}")
    url = f"{postgis_server.rsplit('/', 1)[0]}/{bare}"
    monkeypatch.setenv("CM_STORE_URL", url)
    monkeypatch.setenv("CM_STORE_PATH", str(tmp_path / "server" / "store.gpkg"))
    at = run_app(UPLOAD_PAGE)
    assert not at.exception
    errors = [shown(e.value) for e in at.error]
    assert errors and all("is not a Ceasefire Monitor store of this version" in e for e in errors), errors
    assert f"python -m geo migrate --store {url}" in errors[0]
