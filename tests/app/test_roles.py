"""Sign-in and roles on every page (issue 15): the users file's form; a viewer reads every page and
writes nothing; an analyst uploads and draws zones as drafts, but neither retracts nor publishes a
line version; an admin does all; with no users file, single-user mode is marked and served only on
the loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from geo.auth import Role
from geo.auth.users import hash_password, load_users, save_users
from tests.app.conftest import ROOT, TIMEOUT_S
from ui import keys

PAGES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "app_pages").glob("*.py"))
UPLOAD, ZONES = "app_pages/upload.py", "app_pages/zones.py"
PASSWORD = "ann's password 1"


@pytest.fixture
def users_file(tmp_path, monkeypatch) -> Path:
    """boss (admin), ann (analyst, a password) and vic (viewer), named by the users_path setting."""
    users = load_users(tmp_path / "users.json", missing_ok=True)
    users = users.added("boss", Role.admin, "", ("boss@example.org",))
    users = users.added("ann", Role.analyst, hash_password(PASSWORD)).added(
        "vic", Role.viewer, "", ("vic@x.org",)
    )
    save_users(users)
    monkeypatch.setenv("CM_USERS_PATH", str(users.path))
    return users.path


def signed_in(serve, where, name: str | None, page: str | None = None) -> AppTest:
    """app.py over ``where`` with ``name`` signed in (the session's name, as the sign-in form leaves it)."""
    serve(where)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)
    if name:
        at.session_state["auth_user"] = name
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def keys_of(at: AppTest) -> set[str]:
    """The keys of the page's inputs and buttons (a file uploader is found by its key in the tree)."""
    found = set()
    stack = [at._tree]
    while stack:
        node = stack.pop()
        key = getattr(node, "key", None) or getattr(getattr(node, "proto", None), "id", "")
        if isinstance(key, str) and key:
            found.add(key.rsplit("-", 1)[-1] if key.startswith("$$ID") else key)
        stack.extend(getattr(node, "children", {}).values())
    return found


# File uploaders that write nothing: the published tree head the Audit page checks its log against.
READ_UPLOADERS = frozenset({keys.AUDIT_HEAD_FILE})


def file_uploaders(at: AppTest) -> list[str]:
    """The labels of the page's file uploaders that write (those of :data:`READ_UPLOADERS` only read)."""
    return [
        n.proto.label
        for n in _walk(at._tree)
        if getattr(n, "type", "") == "file_uploader" and n.proto.id.rsplit("-", 1)[-1] not in READ_UPLOADERS
    ]


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def test_nothing_is_shown_until_someone_signs_in(users_file, serve, fresh_store, texts):
    at = signed_in(serve, fresh_store, None)
    assert not at.exception and [b.label for b in at.button] == ["Sign in"]
    assert "Sign in" in [t.value for t in at.title] and "Store revision" not in texts(at)
    at.text_input(key="auth_name").input("ann")
    at.text_input(key="auth_password").input("not the password")
    at.button[0].click().run()
    assert "Wrong name or password" in texts(at) and "auth_user" not in at.session_state
    at.text_input(key="auth_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception and at.session_state["auth_user"] == "ann"
    assert "ann · analyst" in texts(at) and "Store revision" in texts(at)
    at.button(key="auth_sign_out").click().run()
    assert [b.label for b in at.button] == ["Sign in"]


def test_a_viewer_reads_every_page_and_writes_nothing(users_file, serve, demo_store, demo_analysis, texts):
    at = signed_in(serve, demo_store, "vic")
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception and not at.error, page
        assert "vic · viewer" in texts(at), page
        assert not file_uploaders(at), page
        writes = {"upload_commit", "retract_button", "restore_button", "zones_zone_save", "zones_line_save"}
        assert not writes & keys_of(at), page
    at.switch_page(UPLOAD).run()
    assert "Upload needs the role analyst; you are vic, viewer." in texts(at)
    assert "Uploaded by" not in [t.label for t in at.text_input]
    at.switch_page(ZONES).run()
    assert "Draft zone needs the role analyst" in texts(at)


def test_an_analyst_uploads_as_themself_but_cannot_retract_or_publish(
    users_file, serve, fresh_store, small_batch, texts
):
    at = signed_in(serve, fresh_store, "ann", UPLOAD)
    assert file_uploaders(at) == ["Incident batch"]
    at.file_uploader(key="upload_file").set_value(
        ("one.geojson", small_batch(3), "application/geo+json")
    ).run()
    at.button(key="upload_commit").click().run()
    assert not at.exception and fresh_store.batches()["uploader"].tolist() == ["ann"]
    assert "retract_button" not in keys_of(at)
    at.switch_page(ZONES).run()
    assert not at.exception and "zones_zone_save" in keys_of(at)
    assert "Line version file" not in file_uploaders(at)
    assert "Publish line needs the role admin; you are ann, analyst." in texts(at)


def test_an_admin_may_do_everything(users_file, serve, fresh_store, small_batch, texts):
    at = signed_in(serve, fresh_store, "boss", UPLOAD)
    at.file_uploader(key="upload_file").set_value(
        ("one.geojson", small_batch(3), "application/geo+json")
    ).run()
    at.button(key="upload_commit").click().run()
    assert fresh_store.batches()["uploader"].tolist() == ["boss"] and "retract_button" in keys_of(at)
    at.switch_page(ZONES).run()
    assert "Line version file" in file_uploaders(at) and "needs the role" not in texts(at)


def test_a_user_removed_or_demoted_counts_at_the_next_run(users_file, serve, fresh_store, texts):
    at = signed_in(serve, fresh_store, "boss", UPLOAD)
    assert file_uploaders(at)
    users = load_users(users_file)
    save_users(users.with_role("ann", Role.admin).with_role("boss", Role.viewer))
    at.run()
    assert not file_uploaders(at) and "boss · viewer" in texts(at)
    save_users(load_users(users_file).without("boss"))
    at.run()
    assert [b.label for b in at.button] == ["Sign in"]


def test_single_user_mode_is_marked_and_kept_to_the_loopback(serve, fresh_store, monkeypatch, texts):
    monkeypatch.delenv("CM_USERS_PATH", raising=False)
    at = signed_in(serve, fresh_store, None, UPLOAD)
    assert "Single-user mode: no sign-in" in texts(at) and file_uploaders(at)
    was = config.get_option("server.address")
    try:
        for address in ("0.0.0.0", "", "192.168.1.20"):
            config.set_option("server.address", address)
            at = signed_in(serve, fresh_store, None, UPLOAD)
            assert "no sign-in is configured" in texts(at) and "--server.address 127.0.0.1" in texts(at)
            assert not file_uploaders(at) and "Store revision" not in texts(at)
        config.set_option("server.address", "::1")
        assert "Store revision" in texts(signed_in(serve, fresh_store, None))
    finally:
        config.set_option("server.address", was)
