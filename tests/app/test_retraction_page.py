"""Retraction and restoration on the Upload page by role (issue 15), on both stores: an admin retracts
with a reason (the Map page's count drops, the history names the admin and the reason) and restores
(the count is back); a restoration the store refuses is named; reports a later batch carried stay on
view; an analyst and a viewer see the history but no retract or restore widget."""

from __future__ import annotations

import pytest

from geo.audit import acting_as
from geo.auth import Role
from geo.auth.users import load_users, save_users
from geo.ingest import read_batch
from tests.app.test_roles import keys_of, signed_in
from ui import data, follow, keys

UPLOAD, MAP = "app_pages/upload.py", "app_pages/map.py"
WIDGETS = {"retract_batch", "retract_reason", "retract_confirm", "retract_button"} | {
    "restore_batch",
    "restore_reason",
    "restore_button",
}


@pytest.fixture
def users(tmp_path, monkeypatch):
    """boss (admin), ann (analyst) and vic (viewer), named by the users_path setting; the app waits
    for the analysis of each new store revision (so that a page's count is of the store as it is)."""
    people = load_users(tmp_path / "users.json", missing_ok=True)
    for name, role in (("boss", Role.admin), ("ann", Role.analyst), ("vic", Role.viewer)):
        people = people.added(name, role, "", (f"{name}@example.org",))
    save_users(people)
    monkeypatch.setenv("CM_USERS_PATH", str(people.path))
    monkeypatch.setattr(data, "WAIT_S", 120.0)


def _add(store, content: bytes, name: str) -> str:
    return store.add_batch(read_batch(content, filename=name), original=content).batch_id


def _on_map(at) -> int:
    at.switch_page(MAP).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at.session_state["map_incident_count"]


def _retract(at, batch_id: str, reason: str) -> None:
    at.switch_page(UPLOAD).run()
    at.selectbox(key="retract_batch").set_value(batch_id)
    at.text_input(key="retract_reason").input(reason)
    at.checkbox(key="retract_confirm").check().run()
    at.button(key="retract_button").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]


def _restore(at, batch_id: str, reason: str) -> None:
    at.switch_page(UPLOAD).run()
    at.selectbox(key="restore_batch").set_value(batch_id)
    at.text_input(key="restore_reason").input(reason).run()
    at.button(key="restore_button").click().run()


def _history(at):
    return at.dataframe[-1].value.set_index("batch_id")


def test_an_admin_retracts_with_a_reason_and_restores(users, serve, fresh_store, small_batch, texts):
    first = _add(fresh_store, small_batch(4), "first.geojson")
    _add(fresh_store, small_batch(3, source="other desk"), "second.geojson")
    at = signed_in(serve, fresh_store, "boss")
    assert _on_map(at) == 7

    _retract(at, first, "sent twice by the desk")
    assert f"Retracted batch {first}: 4 reports left every view." in texts(at)
    assert "stay on view" not in texts(at)
    row = _history(at).loc[first]
    assert (row["batch_status"], row["retracted_by"], row["retract_reason"]) == (
        "Retracted",
        "boss",
        "sent twice by the desk",
    )
    assert fresh_store.count() == 3 and len(fresh_store.incidents(hidden=True)) == 7
    assert fresh_store.original_file(first).is_file()
    assert at.selectbox(key="retract_batch").value is None, "the form is emptied"
    assert _on_map(at) == 3

    _restore(at, first, "the desk confirmed it was sent once")
    assert not at.exception and not at.error
    assert f"Restored batch {first}: 4 reports are back in every view." in texts(at)
    row = _history(at).loc[first]
    assert (row["batch_status"], row["restored_by"], row["restore_reason"]) == (
        "Active (restored)",
        "boss",
        "the desk confirmed it was sent once",
    )
    assert "restore_batch" not in keys_of(at), "nothing is left to restore"
    assert _on_map(at) == 7


def test_a_restoration_the_store_refuses_is_named(users, serve, fresh_store, small_batch, texts):
    content = small_batch(2)
    first = _add(fresh_store, content, "first.geojson")
    with acting_as("boss"):
        fresh_store.retract_batch(first, reason="wrong day")
    again = _add(fresh_store, content, "again.geojson")  # the same file, active again as another batch
    at = signed_in(serve, fresh_store, "boss", UPLOAD)
    _restore(at, first, "the day was right")
    assert not at.exception
    message = texts(at)
    assert f"Batch {first} cannot be restored: its file was uploaded again as batch {again}" in message
    assert "How to fix:" in message and fresh_store.count() == 2
    # An empty reason restores nothing either.
    _restore(at, first, "  ")
    assert "Nothing was restored: say why" in texts(at)


def test_reports_a_later_batch_carried_stay_on_view(users, serve, fresh_store, small_batch, texts):
    first = _add(fresh_store, small_batch(4), "first.geojson")
    later = _add(fresh_store, small_batch(6), "resent.geojson")  # the first four again, and two more
    assert fresh_store.count() == 6
    at = signed_in(serve, fresh_store, "boss")
    _retract(at, first, "sent again in the later file")
    shown = texts(at)
    assert f"Retracted batch {first}: 0 reports left every view." in shown
    assert "4 of its reports stay on view: a later batch also carried them." in shown
    assert _on_map(at) == 6
    _retract(at, later, "the desk withdrew both")
    assert f"Retracted batch {later}: 6 reports left every view." in texts(at)
    assert _on_map(at) == 0 and len(fresh_store.incidents(hidden=True)) == 6


@pytest.mark.parametrize(("name", "role"), [("ann", "analyst"), ("vic", "viewer")])
def test_an_analyst_and_a_viewer_see_the_history_but_retract_and_restore_nothing(
    users, serve, fresh_store, small_batch, texts, name, role
):
    kept = _add(fresh_store, small_batch(2), "kept.geojson")
    gone = _add(fresh_store, small_batch(3, source="other desk"), "gone.geojson")
    with acting_as("boss"):
        fresh_store.retract_batch(gone, reason="a test batch")
    at = signed_in(serve, fresh_store, name, UPLOAD)
    assert not at.exception and not at.error
    assert not WIDGETS & keys_of(at)
    shown = texts(at)
    assert f"Retract needs the role admin; you are {name}, {role}." in shown
    assert f"Restore needs the role admin; you are {name}, {role}." in shown
    history = _history(at)
    assert history.loc[kept, "batch_status"] == "Active"
    assert history.loc[gone, ["retracted_by", "retract_reason"]].tolist() == ["boss", "a test batch"]


def test_a_retraction_or_restoration_being_written_is_work_under_way():
    """The page follows the store by rerunning, unless its user is writing one (ui.follow offers then)."""
    assert not follow.under_way("upload", {keys.RETRACT_REASON: "", keys.RESTORE_BATCH: None})
    for key, value in (
        (keys.RETRACT_REASON, "sent twice"),
        (keys.RESTORE_BATCH, "b000001"),
        (keys.RESTORE_REASON, "ok"),
    ):
        assert follow.under_way("upload", {key: value}), key
