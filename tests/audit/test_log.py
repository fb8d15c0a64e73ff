"""The audit log on both stores: numbering, the actor, filters, tree heads and proofs, a failed write."""

from __future__ import annotations

import json

import pytest

from geo.audit import acting_as, current_actor
from geo.audit.log import AuditLog, TreeHead, append, entry_bytes, record, verify
from geo.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from geo.errors import GeoError, StoreError

SHA = "ab" * 32


def test_entries_numbered_in_order_with_the_actor(store):
    assert AuditLog(store).all() == []
    first = record(store, action="zone", what={"zone_id": "z1"}, hashes={"document": SHA})
    with acting_as("analyst:olena"):
        second = record(store, action="agreement", what={"name": "Minsk II"}, hashes={})
    third = record(
        store, action="setting", what={"key": "threshold", "value": 0.9}, hashes={}, who="admin:ivan"
    )
    assert (first, second, third) == (0, 1, 2)
    entries = AuditLog(store).all()
    assert [e.seq for e in entries] == [0, 1, 2]
    assert [e.who for e in entries] == [current_actor(), "analyst:olena", "admin:ivan"]
    assert current_actor().startswith("local:") and current_actor().endswith("(single-user mode)")
    assert entries[2].what == {"key": "threshold", "value": 0.9}
    # The stored text is the canonical form: recomputed byte for byte, its leaf as stored.
    e = entries[1]
    doc = json.loads(e.text)
    assert e.text.encode() == entry_bytes(**doc)
    assert e.leaf == leaf_hash(e.text.encode()).hex()
    assert doc["at"].endswith("Z") and len(doc["at"]) == len("2026-12-07T07:00:00.000000Z")
    assert verify(store) == []


def test_filters(store):
    with acting_as("a"):
        record(store, action="zone", what={}, hashes={})
    with acting_as("b"):
        record(store, action="zone", what={}, hashes={})
        record(store, action="agreement", what={}, hashes={})
    log = AuditLog(store)
    assert [e.seq for e in log.entries(who="b")] == [1, 2]
    assert [e.seq for e in log.entries(action="zone")] == [0, 1]
    at = log.all()[1].at
    assert [e.seq for e in log.entries(since=at)] == [1, 2]
    assert [e.seq for e in log.entries(until=at)] == [0]
    table = log.frame(log.entries(who="b", action="agreement"))
    assert table["seq"].tolist() == [2] and table["who"].tolist() == ["b"]


def test_head_and_proofs(store):
    for i in range(7):
        record(store, action="annotation", what={"n": i}, hashes={})
    log = AuditLog(store)
    old = log.head()
    for i in range(7, 12):
        record(store, action="annotation", what={"n": i}, hashes={})
    new = log.head()
    assert (old.size, new.size) == (7, 12)
    assert TreeHead.from_dict(json.loads(json.dumps(new.to_dict()))) == new
    proof = log.inclusion(3)
    assert proof["tree_size"] == 12 and proof["root"] == new.root_hex
    assert verify_inclusion(
        bytes.fromhex(proof["leaf"]),
        3,
        12,
        [bytes.fromhex(p) for p in proof["path"]],
        bytes.fromhex(new.root_hex),
    )
    c = log.consistency(old.size)
    assert verify_consistency(
        7,
        12,
        bytes.fromhex(old.root_hex),
        bytes.fromhex(c["new_root"]),
        [bytes.fromhex(p) for p in c["proof"]],
    )
    assert verify(store, old, entry=3) == []
    assert verify(store, new, entry=11) == []
    with pytest.raises(GeoError, match="no entry 12"):
        log.inclusion(12)


def test_a_failed_write_appends_no_entry(store):
    """An entry is written in the write's own transaction: a write that fails takes it back."""
    record(store, action="zone", what={}, hashes={})
    dialect = "postgres" if hasattr(store, "url") else "sqlite"
    with pytest.raises(StoreError), store._write("A write that fails") as conn:
        assert append(conn, dialect, action="retract", what={"batch_id": "b000001"}, hashes={}) == 1
        raise RuntimeError("the disk is full")
    assert [e.seq for e in AuditLog(store).all()] == [0]
    # The next entry takes the number the failed one had: no gap.
    assert record(store, action="zone", what={}, hashes={}) == 1
    assert verify(store) == []


def test_the_database_refuses_to_rewrite_the_log(store):
    """A defence, not the proof: the triggers refuse UPDATE and DELETE (the tamper tests drop them)."""
    record(store, action="zone", what={}, hashes={})
    dialect = "postgres" if hasattr(store, "url") else "sqlite"
    for statement in ("UPDATE audit_log SET entry = '{}'", "DELETE FROM audit_log"):
        with pytest.raises(StoreError, match="append-only"), store._write("Tampering") as conn:
            conn.execute(statement)
    assert len(AuditLog(store).all()) == 1
    assert dialect


def test_entries_the_log_must_not_hold_are_refused(store):
    with pytest.raises(ValueError, match="not an audit action"):
        record(store, action="delete_everything", what={}, hashes={})
    with pytest.raises(ValueError, match="SHA-256"):
        record(store, action="zone", what={}, hashes={"document": "not a hash"})
    with pytest.raises(TypeError):
        record(store, action="zone", what={"when": {1, 2}}, hashes={})
    assert AuditLog(store).all() == []


def test_head_files_refused_with_words(tmp_path):
    bad = tmp_path / "head.json"
    bad.write_text('{"size": 3}')
    with pytest.raises(GeoError, match="no root hash"):
        TreeHead.from_file(bad)
    bad.write_text("not json")
    with pytest.raises(GeoError, match="not JSON"):
        TreeHead.from_file(bad)
    with pytest.raises(GeoError, match="Cannot read"):
        TreeHead.from_file(tmp_path / "absent.json")
