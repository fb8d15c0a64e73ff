"""A store of the previous layout (2) opens: the new report columns are added, nothing stored changes."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from geo.store import open_store
from geo.store import sql as store_sql


@pytest.fixture
def store_kind() -> str:
    """The GeoPackage store only: this module tests its own files (tests/store/test_postgis_store.py
    tests the PostGIS store's database)."""
    return "gpkg"


NEW_COLUMNS = store_sql.UPGRADES["2"]


def _downgrade(path) -> None:
    """Make the store look as layout 2 wrote it: without the new columns, schema '2'."""
    with closing(sqlite3.connect(path)) as con:
        for trigger in ("INSERT", "UPDATE", "DELETE"):
            con.execute(f"DROP TRIGGER incidents_edited_{trigger}")
        for column in NEW_COLUMNS:
            con.execute(f'ALTER TABLE incidents DROP COLUMN "{column}"')
        for statement in store_sql.SCHEMA:
            if statement.lstrip().startswith("CREATE TRIGGER"):
                con.execute(statement)
        con.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
        con.commit()


def _rows(path) -> list[tuple]:
    with closing(sqlite3.connect(path)) as con:
        return con.execute(
            "SELECT uid, source, id, lon, lat, occurred_at FROM incidents ORDER BY uid"
        ).fetchall()


def test_a_layout_2_store_is_upgraded_in_place_with_its_reports_intact(tmp_path, kit):
    path = tmp_path / "s" / "store.gpkg"
    store = open_store(path)
    kit.put(store, [kit.report(i) for i in range(5)])
    before = store.incidents().drop(columns=list(NEW_COLUMNS))
    _downgrade(path)
    kept = _rows(path)
    again = open_store(path)
    assert _rows(path) == kept
    with closing(sqlite3.connect(path)) as con:
        columns = {r[1] for r in con.execute("PRAGMA table_info(incidents)")}
        assert dict(con.execute("SELECT key, value FROM meta"))["schema"] == store_sql.SCHEMA_VERSION
    assert set(NEW_COLUMNS) <= columns
    after = again.incidents()
    assert after[list(NEW_COLUMNS)].isna().all().all()
    assert after.drop(columns=list(NEW_COLUMNS)).equals(before)


def _as_layout_3(path) -> None:
    """Make the store look as layout 3 wrote it: no record of who retracted or restored, no carried reports."""
    with closing(sqlite3.connect(path)) as con:
        for column, _ in store_sql.RETRACTION_COLUMNS:
            con.execute(f'ALTER TABLE batches DROP COLUMN "{column}"')
        con.execute("DROP TABLE batch_carried")
        con.execute("UPDATE meta SET value = '3' WHERE key = 'schema'")
        con.commit()


def test_a_layout_3_store_gains_the_record_of_retraction_and_keeps_its_reports(tmp_path, kit):
    path = tmp_path / "s" / "store.gpkg"
    store = open_store(path)
    first = kit.put(store, [kit.report(i) for i in range(5)])
    kit.put(store, [kit.report(i) for i in range(3, 8)])  # two of the first batch's again
    before = store.incidents()
    _as_layout_3(path)
    kept = _rows(path)
    again = open_store(path)
    assert _rows(path) == kept
    with closing(sqlite3.connect(path)) as con:
        assert dict(con.execute("SELECT key, value FROM meta"))["schema"] == store_sql.SCHEMA_VERSION
        columns = {r[1] for r in con.execute("PRAGMA table_info(batches)")}
        assert {c for c, _ in store_sql.RETRACTION_COLUMNS} <= columns
        assert con.execute("SELECT count(*) FROM batch_carried").fetchone()[0] == 0
    assert again.incidents().equals(before)
    # Layout 3 recorded no carried reports: the first batch's retraction hides all five of its own
    # (the later batch carried two of them, which layout 3 did not record, so they go too: a limit of
    # stores upgraded, docs/SECURITY.md), and a restore brings them back: nothing was deleted.
    assert again.retract_batch(first.batch_id, reason="checking the upgrade") == 5
    assert again.count() == 3
    assert again.batches()["retracted_by"].iloc[0] is not None
    assert again.restore_batch(first.batch_id, reason="checked") == 5
    assert again.incidents().equals(before)
