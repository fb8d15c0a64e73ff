"""The columnar copy follows the GeoPackage: rebuilt when lost, stale after outside edits, per store."""

from __future__ import annotations

import sqlite3

import pandas as pd

from geo.store import open_store


def copies(store):
    return sorted(p.name for p in (store.path.parent / "columnar").rglob("*.parquet"))


def test_one_file_per_batch_written_after_the_commit(store, kit):
    first = kit.put(store, [kit.report(i) for i in range(3)])
    second = kit.put(store, [kit.report(i) for i in range(3, 5)], filename="b.geojson")
    assert copies(store) == [f"{first.batch_id}.e0.parquet", f"{second.batch_id}.e0.parquet"]
    store.retract_batch(first.batch_id)
    assert copies(store) == [f"{second.batch_id}.e0.parquet"]


def test_a_lost_copy_is_rebuilt_from_the_geopackage(store, kit):
    kit.put(store, [kit.report(i) for i in range(3)], rejected=[kit.report(7, type="x")])
    kit.put(store, [kit.report(i) for i in range(3, 6)], filename="b.geojson")
    expected = store.incidents()
    for path in (store.path.parent / "columnar").rglob("*.parquet"):
        path.unlink()
    pd.testing.assert_frame_equal(store.incidents(), expected)
    assert len(copies(store)) == 2


def test_an_edit_in_another_program_is_seen(store, kit):
    receipt = kit.put(store, [kit.report(i) for i in range(4)])
    store.incidents()
    rev = store.revision()
    # What QGIS or sqlite3 would do: change a value, delete a row.
    with sqlite3.connect(store.path) as con:
        con.execute("UPDATE incidents SET description = 'виправлено' WHERE id = 'r1'")
        con.execute("DELETE FROM incidents WHERE id = 'r3'")
    assert store.revision() == rev + 2
    frame = store.incidents()
    assert sorted(frame["id"]) == ["r0", "r1", "r2"]
    assert frame.loc[frame["id"] == "r1", "description"].item() == "виправлено"
    assert copies(store) == [f"{receipt.batch_id}.e2.parquet"]
    # Our own writes move the revision once per batch, not once per row.
    kit.put(store, [kit.report(i) for i in range(10, 60)], filename="fifty.geojson")
    assert store.revision() == rev + 3


def test_a_new_store_in_the_same_folder_ignores_the_old_copies(tmp_path, kit):
    old = open_store(tmp_path / "store.gpkg")
    kit.put(old, [kit.report(i) for i in range(3)])
    old.save_derived("reports", "r1-ctx", pd.DataFrame({"a": [1]}))
    old.path.unlink()
    new = open_store(tmp_path / "store.gpkg")
    kit.put(new, [kit.report(9)], filename="other.geojson")
    assert new.revision() == 1 and new.incidents()["id"].tolist() == ["r9"]
    assert new.load_derived("reports", "r1-ctx") is None


def test_derived_tables_are_kept_per_key_and_pruned(store):
    frame = pd.DataFrame({"uid": ["a/1", "b/2"], "score": [0.5, 0.9]})
    assert store.load_derived("reports", "r1-abc") is None
    store.save_derived("reports", "r1-abc", frame)
    store.save_derived("events", "r1-abc", frame.iloc[:1])
    pd.testing.assert_frame_equal(store.load_derived("reports", "r1-abc"), frame)
    store.save_derived("reports", "r2-abc", frame.assign(score=[0.1, 0.2]))
    assert store.load_derived("reports", "r1-abc") is None  # stale keys of the same name are pruned
    assert store.load_derived("reports", "r2-abc")["score"].tolist() == [0.1, 0.2]
    assert len(store.load_derived("events", "r1-abc")) == 1  # other names are left alone
    assert store.load_derived("reports/../x", "*") is None


def test_an_unreadable_derived_table_is_a_miss(store):
    store.save_derived("reports", "k", pd.DataFrame({"a": [1]}))
    (path,) = (store.path.parent / "derived").glob("reports--k--*.parquet")
    path.write_bytes(b"truncated")
    assert store.load_derived("reports", "k") is None


def test_a_hundred_thousand_reports_store_and_read_back(store, kit):
    result, data = kit.big_result(100_000)
    receipt = store.add_batch(result, original=data)
    assert receipt.accepted == 100_000 and store.count() == 100_000
    frame = store.incidents()
    pd.testing.assert_frame_equal(frame.drop(columns="batch_id"), result.accepted)
    day = store.incidents(start="2026-10-05", end="2026-10-05T23:59:59Z")
    t = result.accepted["occurred_at"]
    assert len(day) == ((t >= "2026-10-05") & (t <= "2026-10-05T23:59:59Z")).sum()
