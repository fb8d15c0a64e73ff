"""Tampering behind the app's back, as someone with the sqlite3 or psql client would: verify names it.

Each test fills a store with real batches and entries, publishes its tree head, tampers with the
database through the command-line client (first disabling the triggers that refuse it, as the
table's owner can), and checks ``verify`` and ``python -m geo audit verify`` say what was done.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from geo.audit.log import AuditLog, TreeHead, verify

ROOT = Path(__file__).resolve().parents[2]
FILES = ("incidents_monitors_2026-10-08.geojson", "incidents_party_ru_2026-10-15.geojson")


def sql(store, statements: str) -> None:
    """Run SQL on the store's database with its own command-line client, triggers off."""
    if hasattr(store, "url"):
        script = "ALTER TABLE audit_log DISABLE TRIGGER USER;\n" + statements
        run = ["psql", store.url, "-v", "ON_ERROR_STOP=1", "-q", "-c", script]
    else:
        script = (
            "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;\n"
            + statements
        )
        run = ["sqlite3", "-bail", str(store.path), script]
    done = subprocess.run(run, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def filled(store, audit_kit, tmp_path):
    """A store with two demo batches, a zone and an agreement entry; its head published to a file."""
    for name in FILES:
        audit_kit.ingest(store, audit_kit.demo / name)
    from geo.audit.log import record

    record(store, action="zone", what={"zone_id": "SZ-1"}, hashes={"document": "cd" * 32})
    record(store, action="agreement", what={"name": "terms"}, hashes={"document": "ef" * 32})
    head = AuditLog(store).head()
    path = tmp_path / "head.json"
    path.write_text(json.dumps(head.to_dict()))
    assert head.size == 4
    assert verify(store, head) == []
    return store, head, path


def entry_text(store, seq: int) -> str:
    return next(e.text for e in AuditLog(store).all() if e.seq == seq)


def quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def test_an_edited_entry_is_named(filled):
    store, head, _ = filled
    text = entry_text(store, 2).replace('"SZ-1"', '"SZ-9"')
    sql(store, f"UPDATE audit_log SET entry = {quoted(text)} WHERE seq = 2;")
    problems = verify(store, head)
    assert any(p.startswith("Entry 2 was altered") for p in problems), problems
    assert any("not an extension of the published head" in p for p in problems), problems


def test_an_entry_rewritten_with_its_leaf_is_caught_by_the_published_head(filled):
    """A careful attacker recomputes the leaf: the log is consistent with itself, not with the head."""
    store, head, _ = filled
    text = entry_text(store, 1).replace('"who":"', '"who":"someone else, not ')
    from geo.audit.merkle import leaf_hash

    sql(
        store,
        f"UPDATE audit_log SET entry = {quoted(text)}, leaf = '{leaf_hash(text.encode()).hex()}' WHERE seq = 1;",
    )
    assert verify(store) == []  # without a published head nothing shows: why heads are published
    problems = verify(store, head, entry=1)
    assert any("not an extension of the published head" in p and "0 to 3" in p for p in problems), problems
    assert any(
        p.startswith("Entry 1 as it is now is not the entry the published head includes") for p in problems
    )


def test_a_deleted_entry_is_named(filled):
    store, head, _ = filled
    sql(store, "DELETE FROM audit_log WHERE seq = 1;")
    problems = verify(store, head)
    assert any(p.startswith("Entry 1 is missing") for p in problems), problems


def test_the_last_entry_deleted_is_caught_by_the_published_head(filled):
    store, head, _ = filled
    sql(store, "DELETE FROM audit_log WHERE seq = 3;")
    problems = verify(store, head)
    assert problems == [
        f"The log has 3 entries but the published head of {head.at} covers 4: 1 entry was removed since."
    ]


def test_two_entries_reordered_are_named(filled):
    store, head, _ = filled
    sql(
        store,
        "UPDATE audit_log SET seq = seq + 1000 WHERE seq IN (1, 2);"
        "UPDATE audit_log SET seq = 2 WHERE seq = 1001;"
        "UPDATE audit_log SET seq = 1 WHERE seq = 1002;",
    )
    problems = verify(store, head)
    assert any(p.startswith("Entries 1 and 2 were swapped") for p in problems), problems


@pytest.mark.parametrize("change", ["edit", "delete"])
def test_a_stored_report_changed_is_named_by_its_batch(filled, change):
    store, head, _ = filled
    table = "reports" if hasattr(store, "url") else "incidents"
    batch = store.batches()["batch_id"].iloc[1]
    pick = f"(SELECT uid FROM {table} WHERE batch_id = '{batch}' ORDER BY uid LIMIT 1)"
    if change == "edit":
        sql(
            store,
            f"UPDATE {table} SET casualties_best = coalesce(casualties_best, 0) + 1 WHERE uid = {pick};",
        )
    else:
        sql(store, f"DELETE FROM {table} WHERE uid = {pick};")
    problems = verify(store, head)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"Batch {batch}'s stored reports are not those ingested in entry ")


def test_the_command_line_names_each_problem(filled):
    store, head, path = filled
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    location = store.url if hasattr(store, "url") else str(store.path)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "geo", "audit", *args, "--store", location],
            capture_output=True, text=True, timeout=120, env=env, cwd=ROOT,
        )  # fmt: skip

    ok = run("verify", "--head", str(path), "--entry", "2")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "verifies" in ok.stdout and "entry 2 is included in the published head" in ok.stdout
    proof = json.loads(run("prove", "2").stdout)
    assert proof["tree_size"] == 4 and proof["root"] == head.root_hex
    assert TreeHead.from_dict(json.loads(run("head").stdout)).root_hex == head.root_hex

    sql(store, "DELETE FROM audit_log WHERE seq = 1;")
    bad = run("verify", "--head", str(path))
    assert bad.returncode == 1
    assert "does NOT verify" in bad.stdout and "Entry 1 is missing" in bad.stdout
