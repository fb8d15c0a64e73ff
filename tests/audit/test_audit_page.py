"""The Audit page (AppTest) on both stores: the log listed and filtered by who, action and period;
the tree head and its download, the file ``python -m geo audit verify --head`` reads; Verify naming
each problem (an entry edited behind the app's back with the database's own client); read by a viewer."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
import streamlit as st

from geo.audit import acting_as
from geo.audit.log import ACTIONS, AuditLog, TreeHead, record
from geo.auth import Role
from geo.auth.users import load_users, save_users
from geo.labels import AUDIT_ACTION_LABELS
from tests.app.conftest import as_shown, run_app
from tests.app.test_roles import keys_of, signed_in
from tests.audit.test_tamper import entry_text, quoted, sql

PAGE = "app_pages/audit.py"


@pytest.fixture
def serve(monkeypatch, tmp_path):
    """Point the app's settings at ``store`` as an app server of its own would be."""

    def point(store) -> None:
        if hasattr(store, "url"):
            monkeypatch.setenv("CM_STORE_URL", store.url)
            monkeypatch.setenv("CM_STORE_PATH", str(tmp_path / "server" / "store.gpkg"))
        else:
            monkeypatch.delenv("CM_STORE_URL", raising=False)
            monkeypatch.setenv("CM_STORE_PATH", str(store.path))

    return point


def messages(at) -> str:
    return " ".join(e.value for e in [*at.info, *at.error, *at.success, *at.markdown, *at.caption])


def test_every_action_the_log_records_has_words():
    assert set(AUDIT_ACTION_LABELS) == set(ACTIONS)


def test_the_log_listed_filtered_and_verified(store, audit_kit, serve):
    audit_kit.ingest(store, audit_kit.demo / "incidents_monitors_2026-10-08.geojson")
    with acting_as("analyst:olena"):
        record(
            store,
            action="zone",
            what={"zone_id": "SZ-1", "name": "Школа № 3"},
            hashes={"document": "cd" * 32},
        )
    head = AuditLog(store).head()
    serve(store)
    at = run_app(PAGE)
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert table["seq"].tolist() == [1, 0]  # newest first
    assert table["action"].tolist() == ["Zone", "Batch uploaded"]
    assert 'Name: "Школа № 3"' in table["what"].iloc[0]  # its fields in words
    assert head.root_hex in messages(at)

    at.selectbox(key="audit_who").set_value("analyst:olena").run()
    assert at.dataframe[0].value["seq"].tolist() == [1]
    at.selectbox(key="audit_who").set_value("").run()
    at.multiselect(key="audit_actions").set_value(["ingest"]).run()
    assert at.dataframe[0].value["seq"].tolist() == [0]
    at.multiselect(key="audit_actions").set_value([]).run()
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    at.date_input(key="audit_period").set_value((yesterday, yesterday)).run()
    assert at.dataframe[0].value.empty and "0 of 2 entries" in messages(at)
    at.date_input(key="audit_period").set_value((yesterday, yesterday + dt.timedelta(days=1))).run()
    assert at.dataframe[0].value["seq"].tolist() == [1, 0]

    at.button(key="audit_verify").click().run()
    assert not at.exception and not at.error
    assert "The log verifies: 2 entries" in at.success[0].value

    sql(store, "DELETE FROM audit_log WHERE seq = 0;")
    at.run()
    at.button(key="audit_verify").click().run()
    assert not at.exception
    assert "does NOT verify" in at.error[0].value and "Entry 0 is missing" in at.error[0].value


def test_an_empty_log(store, serve):
    serve(store)
    at = run_app(PAGE)
    assert not at.exception and not at.error
    assert "No entry yet" in messages(at)
    assert "0 entries" in messages(at)
    at.button(key="audit_verify").click().run()
    assert "The log verifies: 0 entries" in at.success[0].value


def test_a_tampered_entry_is_named_after_verify(store, audit_kit, serve, monkeypatch, tmp_path):
    audit_kit.ingest(store, audit_kit.demo / "incidents_monitors_2026-10-08.geojson")
    record(store, action="zone", what={"zone_id": "SZ-1"}, hashes={"document": "cd" * 32})
    offered = []
    download = st.download_button

    def kept(label, data, **options):
        offered.append((data, options))
        return download(label, data, **options)

    monkeypatch.setattr(st, "download_button", kept)
    serve(store)
    at = run_app(PAGE)
    # The head offered is the file `python -m geo audit verify --head FILE` reads (TreeHead.from_file).
    ((published, options),) = [o for o in offered if o[1]["key"] == "audit_head_download"]
    path = tmp_path / options["file_name"]
    path.write_text(published)
    head = TreeHead.from_file(path)
    assert (head.size, head.root_hex) == (2, AuditLog(store).head().root_hex)

    # Behind the app's back, with sqlite3 or psql: the zone entry now names another zone.
    sql(
        store,
        f"UPDATE audit_log SET entry = {quoted(entry_text(store, 1).replace('SZ-1', 'SZ-9'))} WHERE seq = 1;",
    )
    at.run()
    assert "SZ-9" in at.dataframe[0].value["what"].iloc[0], "the page lists the log as it is now"
    at.file_uploader(key="audit_head_file").set_value((path.name, path.read_bytes(), "application/json"))
    at.button(key="audit_verify").click().run()
    assert not at.exception and not at.success
    (error,) = [as_shown(e.value) for e in at.error]
    assert "The log does NOT verify" in error
    assert "- Entry 1 was altered" in error
    assert "not an extension of the published head" in error


@pytest.fixture
def viewer(tmp_path, monkeypatch) -> str:
    """A users file naming boss (the first user is an admin) and vic, a viewer (the least role)."""
    users = load_users(tmp_path / "users.json", missing_ok=True).added("boss", Role.admin, "", ("b@x.org",))
    users = users.added("vic", Role.viewer, "", ("vic@x.org",))
    save_users(users)
    monkeypatch.setenv("CM_USERS_PATH", str(users.path))
    return "vic"


def test_a_viewer_reads_and_verifies_the_log(store, audit_kit, viewer, serve):
    with acting_as("boss"):
        audit_kit.ingest(store, audit_kit.demo / "incidents_monitors_2026-10-08.geojson")
    at = signed_in(serve, store, viewer, PAGE)
    assert not at.exception and not at.error
    assert at.dataframe[0].value["who"].tolist() == ["boss"]
    assert {"audit_head_download", "audit_verify"} <= keys_of(at)
    at.button(key="audit_verify").click().run()
    assert "The log verifies: 1 entry," in at.success[0].value


def test_an_unreachable_database_is_named_with_its_fix(monkeypatch, tmp_path):
    with socket.socket() as s:  # a port nothing listens on: the server is down, or the URL is wrong
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("CM_STORE_URL", f"postgresql://cm:secret@127.0.0.1:{port}/ceasefire")
    monkeypatch.setenv("CM_STORE_PATH", str(tmp_path / "server" / "store.gpkg"))
    at = run_app(PAGE)
    assert not at.exception
    errors = [as_shown(e.value) for e in at.error]
    assert errors and all(
        e.startswith("Cannot reach the PostGIS store at postgresql://cm:***@") for e in errors
    )
    assert "secret" not in " ".join(errors) and not at.get("download_button")
