"""The Zones page by role (issue 15), signed in through the users file's form as a person would:
an analyst's zone is kept as a draft (no publish button, no line upload, the analysis unchanged);
an admin sees the draft with who drew it and publishes it (the analysis changes); a viewer may
draw nothing. On both stores."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import mapping

from geo.auth import Role
from geo.auth.users import Users, hash_password, save_users
from geo.ingest import read_batch
from geo.labels import label
from geo.pipeline import analyse_store
from geo.scenario import load_scenario
from geo.scenario.edits import ZONE, ZONE_DRAFT
from geo.settings import SCENARIO_DIR, load_settings
from tests.app.conftest import edits_of, update_landed

ZONES_PAGE = "app_pages/zones.py"
SQUARE = mapping(shapely.box(37.58, 48.08, 37.62, 48.12))
PASSWORD = "correct horse battery"


@pytest.fixture
def users(tmp_path, monkeypatch):
    """A users file of an admin, an analyst and a viewer, named by the users_path setting."""
    path = tmp_path / "users.json"
    people = Users(path)
    for name, role in (("adm", Role.admin), ("ana", Role.analyst), ("vic", Role.viewer)):
        people = people.added(name, role, hash_password(PASSWORD))
    save_users(people)
    monkeypatch.setenv("CM_USERS_PATH", str(path))
    return path


def _signed_in(app_on, store, name: str):
    """The app over ``store`` with ``name`` signed in through the form, on the Zones page."""
    at = app_on(store)
    at.text_input(key="auth_name").input(name)
    at.text_input(key="auth_password").input(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.switch_page(ZONES_PAGE).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def _keys(at) -> set[str]:
    return {w.key for w in [*at.button, *at.text_input, *at.selectbox] if w.key}


def test_an_analysts_zone_is_a_draft_until_an_admin_publishes_it(
    app_on, served, fresh_store, users, small_store_batch, texts
):
    fresh_store.add_batch(read_batch(small_store_batch, filename="b.geojson"), original=small_store_batch)
    n_zones = len(load_scenario(SCENARIO_DIR).zones)
    ana = _signed_in(app_on, fresh_store, "ana")
    shown = ana.session_state["run_analysis"]
    assert ana.button(key="zones_zone_save").label == "Save as draft"
    assert "zones_line_file" not in {u.key for u in ana.get("file_uploader")}, "analysts add no line version"
    assert "Publish line needs the role admin" in texts(ana)
    ana.session_state["zones_drawing"] = SQUARE
    ana.run()
    ana.text_input(key="zones_zone_id").input("PS-9")
    ana.text_input(key="zones_zone_name").input("School 4")
    ana.text_input(key="zones_zone_note").input("reopened on 2 Dec")
    ana.button(key="zones_zone_save").click().run()
    assert not ana.exception and not ana.error
    assert "Saved zone PS-9 as draft 1" in texts(ana)
    # Kept with its author, listed to its author, with no publish button; not in force.
    (draft,) = edits_of(fresh_store).drafts()
    assert (draft.seq, draft.zone_id, draft.author, draft.note) == (1, "PS-9", "ana", "reopened on 2 Dec")
    (listed,) = [d.value for d in ana.dataframe if "draft" in d.value.columns]
    assert listed[["draft", "zone", "proposes", "by"]].values.tolist() == [[1, "PS-9", "new zone", "ana"]]
    assert not {"zones_draft_publish", "zones_draft_discard"} & _keys(ana)
    assert ana.session_state["zones_map_layers"]["zones"] == n_zones
    assert ana.session_state["run_analysis"] == shown, "the analysis shown is the same"
    assert edits_of(fresh_store).scenario_dir() == SCENARIO_DIR

    adm = _signed_in(app_on, fresh_store, "adm")
    assert adm.session_state["run_analysis"] == shown
    assert adm.button(key="zones_zone_save").label == "Save zone"
    assert adm.selectbox(key="zones_draft_pick").value == 1
    kind = label(draft.feature["properties"]["kind"], "zone_kind")  # the kind the analyst left chosen
    assert f"Draft 1: zone PS-9, School 4 ({kind}), drawn by ana at" in texts(adm)
    adm.text_input(key="zones_draft_note").input("checked against the imagery")
    adm.button(key="zones_draft_publish").click().run()
    assert not adm.exception and not adm.error
    assert "Published draft 1: zone PS-9 (edit 2); the analysis uses it now." in texts(adm)
    assert adm.session_state["zones_map_layers"]["zones"] == n_zones + 1
    if adm.session_state["run_analysis"] == shown:
        # A busy machine: the update did not land within the run's wait; the next run shows it.
        update_landed(served(fresh_store))
        adm.run()
    assert adm.session_state["run_analysis"] != shown, "the page now shows another analysis"
    assert "No zone draft is open." in texts(adm)
    edits = edits_of(fresh_store)
    assert edits.history()[["kind", "author", "note"]].values.tolist() == [
        [ZONE_DRAFT, "ana", "reopened on 2 Dec"],
        [ZONE, "adm", "checked against the imagery"],
    ]
    settings = load_settings(environ={})
    analysis = analyse_store(
        fresh_store, scenario_dir=edits.scenario_dir(), agreement_path=settings.agreement_path
    )
    inside = analysis.reports.geometry.within(shapely.geometry.shape(SQUARE))
    assert inside.any() and [("PS-9" in z) for z in analysis.reports["zones"]] == inside.tolist()


@pytest.mark.parametrize("store_kind", ["gpkg"])
def test_an_admin_discards_a_draft_and_a_viewer_draws_nothing(app_on, fresh_store, users, texts):
    ana = _signed_in(app_on, fresh_store, "ana")
    ana.selectbox(key="zones_target").set_value("PS-1").run()
    ana.checkbox(key="zones_remove_confirm_PS-1").check().run()
    assert ana.button(key="zones_zone_remove").label == "Propose removal (draft)"
    ana.button(key="zones_zone_remove").click().run()
    assert not ana.exception and "Kept the removal of zone PS-1 as draft 1" in texts(ana)
    assert "PS-1" in edits_of(fresh_store).zone_ids()

    adm = _signed_in(app_on, fresh_store, "adm")
    adm.button(key="zones_draft_discard").click().run()
    assert not adm.exception and not adm.error and "Discarded draft 1" in texts(adm)
    edits = edits_of(fresh_store)
    assert edits.drafts() == [] and edits.drafts(state="discarded")[0].settled_by == "adm"
    assert "PS-1" in edits.zone_ids()

    vic = _signed_in(app_on, fresh_store, "vic")
    assert not {"zones_zone_save", "zones_zone_remove", "zones_draft_pick"} & _keys(vic)
    assert "Draft zone needs the role analyst" in texts(vic)
