"""Every write of the command line acts as a named user whose role allows it (issue 15): a viewer
cannot ingest, an analyst cannot retract, restore, publish or manage users; the audit log names who."""

from __future__ import annotations

import io
import sys

import pytest

from geo.audit.log import AuditLog
from geo.auth.users import load_users
from geo.cli import EXIT_ERROR, EXIT_OK, main
from geo.demo import DEMO_DIR
from geo.store import open_store

PASSWORDS = {"boss": "boss password 1", "ann": "analyst password 1", "vic": "viewer password 1"}
BATCH = sorted(DEMO_DIR.glob("*.geojson"))[0]


def run(
    monkeypatch, capsys, *argv: str, user: str | None = None, password: str | None = None, stdin: str = ""
):
    """``python -m geo ARGV`` as ``user`` (CM_USER, CM_PASSWORD: their own unless ``password``); the
    exit code and standard error."""
    for name in ("CM_USER", "CM_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    if user:
        monkeypatch.setenv("CM_USER", user)
        monkeypatch.setenv("CM_PASSWORD", password or PASSWORDS[user])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()
    code = main(list(argv))
    return code, capsys.readouterr().err


@pytest.fixture
def team(tmp_path, monkeypatch, capsys):
    """A users file with boss (admin), ann (analyst) and vic (viewer), made through the CLI; a store."""
    monkeypatch.setenv("CM_USERS_PATH", str(tmp_path / "users.json"))
    monkeypatch.setenv("CM_STORE_PATH", str(tmp_path / "store.gpkg"))
    monkeypatch.delenv("CM_STORE_URL", raising=False)
    add = ("users", "add", "--password-stdin", "--role")
    assert run(monkeypatch, capsys, *add, "admin", "boss", stdin=PASSWORDS["boss"] + "\n") == (EXIT_OK, "")
    assert (
        run(monkeypatch, capsys, *add, "analyst", "ann", user="boss", stdin=PASSWORDS["ann"] + "\n")[0] == 0
    )
    assert run(monkeypatch, capsys, *add, "viewer", "vic", user="boss", stdin=PASSWORDS["vic"] + "\n")[0] == 0
    return tmp_path


def test_a_viewer_cannot_ingest_an_analyst_can_and_is_the_uploader(team, monkeypatch, capsys):
    code, err = run(monkeypatch, capsys, "ingest", str(BATCH), user="vic")
    assert code == EXIT_ERROR and "vic is a viewer; upload needs an analyst" in err
    store = open_store(team / "store.gpkg")
    assert store.batches().empty
    assert run(monkeypatch, capsys, "ingest", str(BATCH), user="ann")[0] == EXIT_OK
    assert store.batches()["uploader"].tolist() == ["ann"]
    assert [(e.action, e.who) for e in AuditLog(store).all() if e.action == "ingest"] == [("ingest", "ann")]
    code, err = run(monkeypatch, capsys, "demo", "--load", user="vic")
    assert code == EXIT_ERROR and "upload needs an analyst" in err


def test_an_analyst_cannot_retract_or_restore_an_admin_can(team, monkeypatch, capsys):
    assert run(monkeypatch, capsys, "ingest", str(BATCH), user="ann")[0] == EXIT_OK
    store = open_store(team / "store.gpkg")
    batch = store.batches()["batch_id"].iloc[0]
    code, err = run(monkeypatch, capsys, "retract", batch, "--reason", "wrong", user="ann")
    assert code == EXIT_ERROR and "ann is an analyst; retract needs an admin" in err
    assert store.batches()["retracted_at"].isna().all()
    assert (
        run(monkeypatch, capsys, "retract", batch, "--reason", "a duplicate feed", user="boss")[0] == EXIT_OK
    )
    code, err = run(monkeypatch, capsys, "restore", batch, "--reason", "not a duplicate", user="ann")
    assert code == EXIT_ERROR and "restore needs an admin" in err
    assert (
        run(monkeypatch, capsys, "restore", batch, "--reason", "not a duplicate", user="boss")[0] == EXIT_OK
    )
    whos = [(e.action, e.who) for e in AuditLog(store).all() if e.action in ("retract", "restore")]
    assert whos == [("retract", "boss"), ("restore", "boss")]


def test_only_an_admin_manages_users_and_each_change_is_recorded(team, monkeypatch, capsys):
    for user in ("ann", "vic"):
        for argv in (
            ("users", "list"),
            ("users", "set-role", "vic", "--role", "admin"),
            ("users", "remove", "vic"),
        ):
            code, err = run(monkeypatch, capsys, *argv, user=user)
            assert code == EXIT_ERROR and "manage users needs an admin" in err, (user, argv)
    assert (
        run(monkeypatch, capsys, "users", "set-role", "vic", "--role", "analyst", user="boss")[0] == EXIT_OK
    )
    assert run(monkeypatch, capsys, "users", "remove", "ann", user="boss")[0] == EXIT_OK
    users = load_users(team / "users.json")
    assert [(e.name, e.role.name) for e in users.entries] == [("boss", "admin"), ("vic", "analyst")]
    entries = [e for e in AuditLog(open_store(team / "store.gpkg")).all() if e.action.startswith("user_")]
    assert [(e.action, e.who, e.what["name"]) for e in entries] == [
        ("user_add", entries[0].who, "boss"),  # the first admin, added by whoever runs the machine
        ("user_add", "boss", "ann"),
        ("user_add", "boss", "vic"),
        ("user_role", "boss", "vic"),
        ("user_remove", "boss", "ann"),
    ]
    assert entries[0].who.startswith("local:")
    assert entries[-1].hashes["users_file"] == users.digest()
    assert "password" not in str([e.what for e in entries]).replace("'password': True", "")


def test_schema_changes_need_an_admin(team, monkeypatch, capsys):
    code, err = run(monkeypatch, capsys, "migrate", "--store", "postgresql://x@127.0.0.1:1/none", user="ann")
    assert code == EXIT_ERROR and "settings needs an admin" in err
    code, err = run(
        monkeypatch,
        capsys,
        "migrate-store",
        "--from",
        "a.gpkg",
        "--to",
        "postgresql://x@127.0.0.1:1/n",
        user="ann",
    )
    assert code == EXIT_ERROR and "settings needs an admin" in err


def test_a_write_needs_a_name_and_the_right_password(team, monkeypatch, capsys):
    code, err = run(monkeypatch, capsys, "ingest", str(BATCH))
    assert code == EXIT_ERROR and "--as NAME" in err
    code, err = run(monkeypatch, capsys, "ingest", str(BATCH), user="ann", password="not it at all")
    assert code == EXIT_ERROR and "Wrong name or password" in err
    monkeypatch.setenv("CM_PASSWORD", PASSWORDS["ann"])
    assert main(["--as", "ann", "ingest", str(BATCH)]) == EXIT_OK  # --as before the command, or after
    assert main(["ingest", str(sorted(DEMO_DIR.glob("*.geojson"))[1]), "--as", "ann"]) == EXIT_OK
    assert open_store(team / "store.gpkg").batches()["uploader"].tolist() == ["ann", "ann"]
    assert main(["batches"]) == EXIT_OK  # reading needs no name


def test_single_user_mode_acts_as_the_local_user(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("CM_USERS_PATH", raising=False)
    monkeypatch.setenv("CM_STORE_PATH", str(tmp_path / "store.gpkg"))
    code, err = run(monkeypatch, capsys, "ingest", str(BATCH), user="boss")
    assert code == EXIT_ERROR and "no users file is configured" in err
    assert run(monkeypatch, capsys, "ingest", str(BATCH))[0] == EXIT_OK
    uploader = open_store(tmp_path / "store.gpkg").batches()["uploader"].iloc[0]
    assert uploader.startswith("local:") and uploader.endswith("(single-user mode)")
    code, err = run(
        monkeypatch, capsys, "users", "add", "boss", "--role", "admin", "--password-stdin", stdin="x" * 12
    )
    assert code == EXIT_ERROR and "No users file is configured" in err
