"""The poll that follows the store (ui.follow): a batch or a scenario edit made by another server
reruns the pages that show the store, and offers to on a page with work under way.

AppTest does not fire a fragment's ``run_every`` timer: the poll's body runs here in scripts of its
own, in a session that shows the analysis a real run of app.py pinned, over a real store (both kinds).
"""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from geo.context import scenario_edits
from geo.ingest import read_batch
from geo.settings import load_settings
from tests.app.conftest import TIMEOUT_S, run_app
from ui import data, follow, keys

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[37.58, 48.08], [37.62, 48.08], [37.62, 48.12], [37.58, 48.12], [37.58, 48.08]]],
}


def test_decide_reruns_only_when_the_key_moved_and_offers_when_work_is_under_way():
    assert follow.decide("r7-abc-t0.6", "r7-abc-t0.6", under_way=False) == "stay"
    assert follow.decide("r7-abc-t0.6", "r8-abc-t0.6", under_way=False) == "rerun"
    assert follow.decide("r7-abc-t0.6", "r7-def-t0.6", under_way=False) == "rerun"  # a scenario edit
    assert follow.decide("r7-abc-t0.6", "r8-abc-t0.6", under_way=True) == "offer"
    assert follow.decide("r7-abc-t0.6", "r7-abc-t0.6", under_way=True) == "stay"
    assert follow.decide(None, "r8-abc-t0.6", under_way=False) == "stay"  # no run has pinned one yet


def test_work_under_way_is_looked_for_on_its_own_page_only():
    assert follow.under_way("upload", {keys.UPLOAD_UPLOADER: "Officer A"})
    assert not follow.under_way("upload", {keys.UPLOAD_UPLOADER: "", keys.RETRACT_CONFIRM: False})
    assert follow.under_way("zones", {keys.ZONES_DRAWING: SQUARE})
    # A drawing kept in the session while the user reads the map is not work on the map page.
    assert not follow.under_way("map", {keys.ZONES_DRAWING: SQUARE})
    assert not follow.under_way("", {})


def test_what_changed_names_the_revisions_and_the_scenario():
    assert follow.what_changed("r7-abc-t0.6", "r9-abc-t0.6") == "the store moved from revision 7 to 9"
    assert follow.what_changed("r7-abc-t0.6", "r7-def-t0.6") == "the scenario or agreement changed"


def _probe(page: str) -> None:
    """The poll's decision in a session, kept for the test (the poll's body without acting on it)."""
    import streamlit as st

    from ui import follow

    st.session_state["decided"], st.session_state["now"], _ = follow.action(page)


def _poll(page: str) -> None:
    """The poll's body as app.py's fragment runs it, runs counted; the run after one that asked for
    the app's rerun pins the analysis now, as app.py's first lines do (ui.data.pin_analysis)."""
    import streamlit as st
    from streamlit.runtime.scriptrunner_utils.exceptions import RerunException

    from ui import follow, keys

    st.session_state["runs"] = st.session_state.get("runs", 0) + 1
    if st.session_state.pop("rerun_asked", False):
        st.session_state[keys.RUN_ANALYSIS] = follow.now_key()
    try:
        follow.follow(page)
    except RerunException:
        st.session_state["rerun_asked"] = True
        raise


def _session(script, page: str, shown: str, **state) -> AppTest:
    at = AppTest.from_function(script, args=(page,), default_timeout=TIMEOUT_S)
    at.session_state[keys.RUN_ANALYSIS] = shown
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


@pytest.fixture
def server(request, store_kind, tmp_path, monkeypatch, small_batch):
    """App server A's settings over a store of each kind holding one batch; return (store, settings
    of another server B on the same store), B writing as another program would."""
    if store_kind == "gpkg":
        location = tmp_path / "store" / "store.gpkg"
        monkeypatch.setenv("CM_STORE_PATH", str(location))
        other = {"CM_STORE_PATH": str(location)}
    else:
        location = request.getfixturevalue("postgis_url")
        monkeypatch.setenv("CM_STORE_URL", location)
        monkeypatch.setenv("CM_STORE_PATH", str(tmp_path / "server-a" / "store.gpkg"))
        other = {"CM_STORE_URL": location, "CM_STORE_PATH": str(tmp_path / "server-b" / "store.gpkg")}
    settings_b = load_settings(environ=other)
    from geo.store import configured, open_store, work_dir

    store_b = open_store(configured(settings_b), work=work_dir(settings_b))
    batch = small_batch(3, source="server-b-first")
    store_b.add_batch(read_batch(batch, filename="first.geojson"), original=batch)
    return store_b, settings_b


def test_a_batch_from_another_server_reruns_the_page_once_the_shared_probe_is_due(
    server, small_batch, monkeypatch
):
    store_b, _ = server
    at = run_app()
    assert not at.exception and not at.error, [e.value for e in at.error]
    shown = at.session_state[keys.RUN_ANALYSIS]
    assert not [i.value for i in at.info if "Changed since" in i.value]  # app.py's own poll stayed
    assert _session(_probe, "map", shown).session_state["decided"] == "stay"

    batch = small_batch(2, source="server-b-second")
    assert store_b.add_batch(read_batch(batch, filename="second.geojson"), original=batch).accepted == 2
    # Within PROBE_MAX_AGE_S the sessions of a process share the last answer: no query of their own.
    monkeypatch.setattr(follow, "PROBE_MAX_AGE_S", 3600.0)
    assert _session(_probe, "map", shown).session_state["decided"] == "stay"
    # ... but not an answer older than their run's choice of analysis (else a run that showed the
    # new revision would be sent round again on the old answer until it expired).
    since = {keys.FOLLOW_SINCE: time.monotonic()}
    assert _session(_probe, "map", shown, **since).session_state["decided"] == "rerun"

    # app.py's run pins the new revision (its update waited for here) and shares what it found.
    monkeypatch.setattr(data, "WAIT_S", 120.0)
    at.run(timeout=60)
    now = at.session_state[keys.RUN_ANALYSIS]
    assert now != shown and not at.exception
    assert any("· 5 reports" in c.value for c in at.sidebar.caption), [c.value for c in at.sidebar.caption]
    assert [k for t, k in follow._probed.values() if t == at.session_state[keys.FOLLOW_SINCE]] == [now]

    monkeypatch.setattr(follow, "PROBE_MAX_AGE_S", 0.0)
    assert _session(_probe, "map", shown).session_state["decided"] == "rerun"
    assert _session(_probe, "map", now).session_state["decided"] == "stay"
    polled = _session(_poll, "map", shown)
    assert not polled.exception
    assert polled.session_state["runs"] == 2  # the app reran once, then showed the store as it is
    assert polled.session_state[keys.RUN_ANALYSIS] == now
    assert _session(_poll, "map", now).session_state["runs"] == 1


def test_a_page_with_work_under_way_offers_the_changes_instead_of_rerunning(server, small_batch, monkeypatch):
    store_b, _ = server
    at = run_app()
    shown = at.session_state[keys.RUN_ANALYSIS]
    batch = small_batch(2, source="server-b-second")
    store_b.add_batch(read_batch(batch, filename="second.geojson"), original=batch)
    monkeypatch.setattr(follow, "PROBE_MAX_AGE_S", 0.0)

    typed = {keys.UPLOAD_UPLOADER: "Officer A"}
    assert _session(_probe, "upload", shown, **typed).session_state["decided"] == "offer"
    polled = _session(_poll, "upload", shown, **typed)
    assert not polled.exception
    assert polled.session_state["runs"] == 1  # not rerun under the user
    offers = [i.value for i in polled.info if "Changed since this page was drawn" in i.value]
    now = _session(_probe, "upload", shown).session_state["now"]
    before, after = int(shown.split("-")[0][1:]), int(now.split("-")[0][1:])
    assert offers and f"the store moved from revision {before} to {after}" in offers[0]
    assert polled.session_state[keys.UPLOAD_UPLOADER] == "Officer A"

    polled.button(key=keys.FOLLOW_SHOW).click().run()
    assert polled.session_state["runs"] == 3  # the click's run, then the app's rerun it asked for
    assert not [i.value for i in polled.info if "Changed since" in i.value]


def test_a_zone_saved_by_another_server_reruns_the_page(server, monkeypatch):
    _, settings_b = server
    at = run_app()
    shown = at.session_state[keys.RUN_ANALYSIS]
    monkeypatch.setattr(follow, "PROBE_MAX_AGE_S", 0.0)
    assert _session(_probe, "map", shown).session_state["decided"] == "stay"
    scenario_edits(settings_b).save_zone(SQUARE, zone_id="PS-9", kind="protected_site", name="School")
    probed = _session(_probe, "map", shown)
    assert probed.session_state["decided"] == "rerun"
    assert follow.what_changed(shown, probed.session_state["now"]) == "the scenario or agreement changed"
