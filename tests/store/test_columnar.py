"""The columnar copy follows the GeoPackage: rebuilt when lost, stale after outside edits, per store."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pyarrow as pa
import pytest

from geo.store import open_store


@pytest.fixture
def store_kind() -> str:
    """The GeoPackage store only: this module tests its own files (tests/store/test_postgis_store.py
    tests the PostGIS store's database)."""
    return "gpkg"


def copies(store):
    return sorted(p.name for p in (store.path.parent / "columnar").rglob("*.parquet"))


def test_one_file_per_batch_written_after_the_commit(store, kit):
    first = kit.put(store, [kit.report(i) for i in range(3)])
    second = kit.put(store, [kit.report(i) for i in range(3, 5)], filename="b.geojson")
    assert copies(store) == [f"{first.batch_id}.e0.parquet", f"{second.batch_id}.e0.parquet"]
    store.retract_batch(first.batch_id, reason="test: withdrawn")
    # A retracted batch's reports are hidden, not deleted: its copy stays (the hidden reports are read from it).
    assert copies(store) == [f"{first.batch_id}.e0.parquet", f"{second.batch_id}.e0.parquet"]
    assert store.incidents()["batch_id"].unique().tolist() == [second.batch_id]


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


def _plain(name: str, frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)


def _keep(store, key: str, tables: dict[str, pd.DataFrame], **kw) -> None:
    months = {name: frame["month"].to_numpy() for name, frame in tables.items()}
    store.save_analysis(key, tables, months, _plain, **kw)


def _files(store) -> set[str]:
    return {p.name for p in (store.path.parent / "derived").rglob("*.arrow")}


def test_a_new_store_in_the_same_folder_ignores_the_old_copies(tmp_path, kit):
    old = open_store(tmp_path / "store.gpkg")
    kit.put(old, [kit.report(i) for i in range(3)])
    _keep(old, "r1-ctx", {"reports": pd.DataFrame({"a": [1], "month": ["2026-10"]})})
    old.path.unlink()
    new = open_store(tmp_path / "store.gpkg")
    kit.put(new, [kit.report(9)], filename="other.geojson")
    assert new.revision() == 1 and new.incidents()["id"].tolist() == ["r9"]
    assert new.load_analysis("r1-ctx") is None and new.analysis_keys() == []


def test_an_analysis_is_kept_by_month_and_only_changed_months_are_written_again(store):
    frame = pd.DataFrame(
        {"uid": ["a/1", "b/2", "c/3"], "score": [0.5, 0.9, 0.1], "month": ["2026-09", "2026-10", "2026-10"]}
    )
    assert store.load_analysis("r1-abc") is None
    _keep(store, "r1-abc", {"reports": frame, "events": frame.iloc[:0]})
    first = _files(store)
    assert len(first) == 3  # two months of reports, and the empty events table keeps its columns
    back = store.load_analysis("r1-abc")
    assert sorted(back["reports"].column("uid").to_pylist()) == ["a/1", "b/2", "c/3"]
    assert back["events"].num_rows == 0 and "score" in back["events"].column_names
    # A new analysis that changed October only: September's file is reused, October's rewritten.
    later = frame.assign(score=[0.5, 0.2, 0.3])
    _keep(
        store,
        "r2-abc",
        {"reports": later, "events": later.iloc[:0]},
        since="r1-abc",
        changed={"reports": {"2026-10"}},
    )
    second = _files(store)
    september = {f for f in first if "2026-09" in f}
    assert september <= second and not ({f for f in first if "2026-10" in f} & second)
    assert store.analysis_keys() == ["r2-abc"]  # the older manifest and its files are removed
    assert store.load_analysis("r1-abc") is None
    back = store.load_analysis("r2-abc")["reports"].to_pandas().sort_values("uid")
    assert back["score"].tolist() == [0.5, 0.2, 0.3]
    assert store.load_analysis("../x") is None


def test_a_month_whose_column_holds_only_missing_values_reads_back(store):
    # A month without any citation stores that column as Arrow's null type; the months read together.
    frame = pd.DataFrame({"uid": ["a/1", "b/2"], "cites": [None, "a/1"], "month": ["2026-09", "2026-10"]})
    _keep(store, "r1-abc", {"reports": frame})
    back = store.load_analysis("r1-abc")["reports"].to_pandas().sort_values("uid")
    assert back["cites"].isna().tolist() == [True, False] and back["cites"].iloc[1] == "a/1"


def test_many_months_are_written_from_one_conversion_with_the_same_rows(store):
    # Past WHOLE_FROM months a table is converted once and each month takes its rows: each month's
    # file holds exactly its rows, in their order, and a column of mixed types still stores per month.
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    frame = pd.DataFrame(
        {
            "uid": [f"u/{i}" for i in range(60)],
            "score": [i / 7 for i in range(60)],
            "cites": [None if i % 3 else f"u/{i - 1}" for i in range(60)],
            "month": [months[(i * 5) % 12] for i in range(60)],
        }
    )
    # Whole numbers in the first half-year, texts after: no one Arrow type for the whole column.
    mixed = frame.assign(extra=[i if (i * 5) % 12 < 6 else f"t{i}" for i in range(60)])
    for key, table in (("r1-abc", frame), ("r2-abc", mixed)):
        _keep(store, key, {"reports": table})
        for month in months:
            (path,) = (store.path.parent / "derived").rglob(f"reports--{month}--*.arrow")
            got = pd.read_feather(path)
            want = table[table["month"] == month].reset_index(drop=True)
            assert (
                got["uid"].tolist() == want["uid"].tolist()
                and got["score"].tolist() == want["score"].tolist()
            )
            assert got["cites"].isna().tolist() == want["cites"].isna().tolist()
            if "extra" in table:
                assert [str(v) for v in got["extra"]] == [str(v) for v in want["extra"]]


def test_an_unreadable_analysis_file_is_a_miss(store):
    _keep(store, "k", {"reports": pd.DataFrame({"a": [1], "month": ["2026-10"]})})
    (path,) = (store.path.parent / "derived").rglob("reports--2026-10--*.arrow")
    path.write_bytes(b"truncated")
    assert store.load_analysis("k") is None
    path.unlink()
    assert store.load_analysis("k") is None


def test_a_hundred_thousand_reports_store_and_read_back(store, kit):
    result, data = kit.big_result(100_000)
    receipt = store.add_batch(result, original=data)
    assert receipt.accepted == 100_000 and store.count() == 100_000
    frame = store.incidents()
    pd.testing.assert_frame_equal(frame.drop(columns="batch_id"), result.accepted)
    day = store.incidents(start="2026-10-05", end="2026-10-05T23:59:59Z")
    t = result.accepted["occurred_at"]
    assert len(day) == ((t >= "2026-10-05") & (t <= "2026-10-05T23:59:59Z")).sum()


def test_the_manifest_keeps_each_table_s_schema_and_a_manifest_without_reads_the_same(store):
    import json

    # October's cites are all missing (Arrow's null type alone); November's are texts.
    october = pd.DataFrame({"uid": ["a", "b"], "cites": [None, None], "month": ["2026-10"] * 2})
    both = pd.concat(
        [october, pd.DataFrame({"uid": ["c"], "cites": ["a"], "month": ["2026-11"]})], ignore_index=True
    )
    _keep(store, "r1-ctx", {"reports": october})
    # An update writes November only and reuses October's file: the kept schema is widened with it.
    _keep(store, "r2-ctx", {"reports": both}, since="r1-ctx", changed={"reports": {"2026-11"}})
    manifest = next((store.path.parent / "derived").rglob("manifest--r2-ctx.json"))
    assert "schemas" in json.loads(manifest.read_text())
    kept = store.load_analysis("r2-ctx")["reports"]
    assert kept.schema.field("cites").type == pa.string() and kept.column("cites").to_pylist() == [
        None,
        None,
        "a",
    ]
    # A manifest written before schemas were kept reads the same, finding the schema from the files.
    written = json.loads(manifest.read_text())
    del written["schemas"]
    manifest.write_text(json.dumps(written))
    assert store.load_analysis("r2-ctx")["reports"].equals(kept)


def test_partitions_stored_as_parquet_before_still_read_in_their_order(store):
    """Analyses were stored as Parquet before Arrow IPC: such files, alone or beside new ones in
    one manifest (an update reusing old months), read back the same rows in the same order."""
    import json

    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    months = ["2026-09", "2026-10", "2026-11"]
    frame = pd.DataFrame(
        {"uid": [f"u{i}" for i in range(9)], "score": [i / 3 for i in range(9)], "month": months * 3}
    )
    _keep(store, "r1-ctx", {"reports": frame})
    want = store.load_analysis("r1-ctx")["reports"]
    manifest = next((store.path.parent / "derived").rglob("manifest--r1-ctx.json"))
    written = json.loads(manifest.read_text())
    for month in ("2026-09", "2026-11"):  # the first and last months as Parquet, October as IPC
        name = written["tables"]["reports"][month]
        path = manifest.parent / name
        pq.write_table(feather.read_table(path), path.with_suffix(".parquet"))
        path.unlink()
        written["tables"]["reports"][month] = path.with_suffix(".parquet").name
    manifest.write_text(json.dumps(written))
    assert store.load_analysis("r1-ctx")["reports"].equals(want)
    del written["schemas"]  # and without the kept schema, found from both kinds of file
    manifest.write_text(json.dumps(written))
    assert store.load_analysis("r1-ctx")["reports"].equals(want)
