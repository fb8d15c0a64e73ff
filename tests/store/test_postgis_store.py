"""What is the PostGIS store's own (issue 14), on a real server: one transaction per write, edits made
outside the program, a second app server on the same database, what the database itself refuses,
and the errors of a database that is not a store or a server that cannot be reached.

The behaviour both stores share is tested by the tests using the ``store`` fixture, on both.
"""

from __future__ import annotations

import hashlib
import json
import uuid

import pandas as pd
import psycopg
import pytest

from geo.cli import main
from geo.demo import DEMO_DIR
from geo.errors import StoreError
from geo.incremental import differences
from geo.ingest import read_batch
from geo.refresh import forget, refresh_store
from geo.scenario import load_scenario
from geo.scenario.edits import EDITS_DIR, ScenarioEdits
from geo.settings import SCENARIO_DIR, Settings, load_settings
from geo.store import open_store
from geo.store.postgis import PostGISStore
from tests.store.test_postgis_cluster import _free_port

SETTINGS = load_settings(environ={})
KW = {"scenario_dir": SETTINGS.scenario_dir, "agreement_path": SETTINGS.agreement_path}


def _query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _database(store: PostGISStore) -> dict[str, tuple[int, str]]:
    """Every table of the store's database (not PostGIS's own): its row count and a digest of its rows,
    and the next batch number aside (a sequence is not rolled back, by design)."""
    tables = [
        r[0]
        for r in _query(
            store.url,
            "select tablename from pg_tables where schemaname = 'public' and tablename <> 'spatial_ref_sys'",
        )
    ]
    assert {"reports", "batches", "files", "meta", "scenario_edits", "analysis_parts"} <= set(tables)
    return {
        t: _query(
            store.url,
            f"select count(*), md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) from {t} t",
        )[0]
        for t in tables
    }


def _local(store: PostGISStore) -> list[str]:
    return sorted(str(p.relative_to(store.path)) for p in store.path.rglob("*") if p.is_file())


@pytest.fixture
def pg(new_store) -> PostGISStore:
    """A new, empty PostGIS store."""
    return new_store("postgis")


def test_a_failure_after_the_reports_were_copied_in_changes_nothing(pg, kit, monkeypatch):
    kit.put(pg, [kit.report(i) for i in range(3)], rejected=[kit.report(9, type="x")])
    before, files, revision = _database(pg), _local(pg), pg.revision()
    seen = {}
    real = PostGISStore._insert_reports

    def copy_then_fail(conn, frame):
        real(conn, frame)
        seen["rows inside the transaction"] = conn.execute("select count(*) from reports").fetchone()[0]
        seen["batches inside the transaction"] = conn.execute("select count(*) from batches").fetchone()[0]
        raise RuntimeError("power cut")

    monkeypatch.setattr(PostGISStore, "_insert_reports", staticmethod(copy_then_fail))
    with pytest.raises(StoreError) as err:
        kit.put(pg, [kit.report(i) for i in range(10, 14)], rejected=[kit.report(20, type="x")], filename="new.geojson")  # fmt: skip
    assert err.value.message == "Storing new.geojson failed (RuntimeError: power cut); nothing was changed."
    assert "disk space" in err.value.hint
    # The failure came after the reports, the batch row and both files were written in the transaction.
    assert seen == {"rows inside the transaction": 7, "batches inside the transaction": 2}
    assert _database(pg) == before and pg.revision() == revision
    assert _local(pg) == files, "no columnar copy of a batch that did not land"
    assert sorted(pg.incidents()["id"]) == ["r0", "r1", "r2"] and len(pg.batches()) == 1


def test_a_database_error_midway_changes_nothing_and_a_stored_uid_is_refused(pg, kit, monkeypatch):
    kit.put(pg, [kit.report(i) for i in range(2)])
    before, files = _database(pg), _local(pg)
    real = PostGISStore._insert_reports

    def twice(conn, frame):  # the program's duplicate check bypassed: the database is the last guard
        real(conn, frame)
        real(conn, frame)

    monkeypatch.setattr(PostGISStore, "_insert_reports", staticmethod(twice))
    with pytest.raises(StoreError, match=r"^Storing clash\.geojson failed \(duplicate key value violates unique constraint \"reports_pkey\"\); nothing was changed\.") as err:  # fmt: skip
        kit.put(pg, [kit.report(5)], filename="clash.geojson")
    assert "disk space" in err.value.hint
    assert _database(pg) == before and _local(pg) == files


def test_the_database_refuses_reports_and_batches_the_program_must_never_write(pg, kit):
    receipt = kit.put(pg, [kit.report(0)])
    uid = pg.incidents()["uid"].item()
    row = (
        "insert into reports (id, source, type, uid, batch_id, geom) "
        "values (%s, %s, 'impact', %s, %s, 'SRID=4326;POINT(37.6 48.1)')"
    )
    refused = [
        # A report whose uid is stored, under another (source, id).
        (psycopg.errors.UniqueViolation, row, ("other", "OP", uid, receipt.batch_id)),
        # A second report of the same source and id, under another uid.
        (psycopg.errors.UniqueViolation, row, ("r0", "CVM-OP-07", "another-uid", receipt.batch_id)),
        # A report of a batch that does not exist.
        (psycopg.errors.ForeignKeyViolation, row, ("r1", "OP", "u1", "b999999")),
        # A batch whose file is not stored.
        (
            psycopg.errors.ForeignKeyViolation,
            "insert into batches (batch_id, filename, sha256, uploaded_at) values ('bx', 'x', %s, now())",
            ("a" * 64,),
        ),
    ]
    before = _database(pg)
    for error, sql, params in refused:
        with pytest.raises(error), psycopg.connect(pg.url) as conn:
            conn.execute(sql, params)
    assert _database(pg) == before


def _copies(store: PostGISStore) -> list[tuple[str, int]]:
    """This server's columnar copies: (batch id, outside edits) of each (``<batch>-<landed>.e<edits>.parquet``)."""
    names = sorted(p.name for p in (store.path / "columnar").rglob("*.parquet"))
    return [(n.split("-")[0], int(n.rsplit(".e", 1)[1].removesuffix(".parquet"))) for n in names]


def test_an_edit_made_outside_the_program_is_seen(pg, kit):
    first = kit.put(pg, [kit.report(i) for i in range(4)])
    second = kit.put(pg, [kit.report(i) for i in range(10, 12)], filename="second.geojson")
    assert pg.incidents()["description"].eq("Обстріл «Авдіївки»").all()  # both copies written
    rev = pg.revision()
    assert _copies(pg) == [(first.batch_id, 0), (second.batch_id, 0)]
    # What psql or QGIS would do.
    with psycopg.connect(pg.url) as conn:
        conn.execute("update reports set description = 'виправлено' where id = 'r1'")
    assert pg.revision() == rev + 1
    assert pg.listing() == (rev + 1, ((first.batch_id, 1), (second.batch_id, 0)))
    frame = pg.incidents()
    assert frame.loc[frame["id"] == "r1", "description"].item() == "виправлено"
    assert (frame.loc[frame["id"] != "r1", "description"] == "Обстріл «Авдіївки»").all()
    assert _copies(pg) == [(first.batch_id, 1), (second.batch_id, 0)], "the stale copy replaced"
    # One statement over two batches: one more revision, an edit of each.
    with psycopg.connect(pg.url) as conn:
        conn.execute("delete from reports where id in ('r3', 'r11')")
    assert pg.listing() == (rev + 2, ((first.batch_id, 2), (second.batch_id, 1)))
    assert sorted(pg.incidents()["id"]) == ["r0", "r1", "r10", "r2"] and pg.count() == 4


def _square(lon: float, lat: float, half: float = 0.02) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
                         [lon - half, lat + half], [lon - half, lat - half]]],
    }  # fmt: skip


def _line_file(version: str, valid_from: str, source: str = "v1") -> bytes:
    """A line version made of a committed version's line and control areas, under a new label."""
    base = load_scenario(SCENARIO_DIR)
    line = base.lines.loc[base.lines["version"] == source].geometry.iloc[0]
    areas = base.control_areas.loc[base.control_areas["version"] == source].set_index("side").geometry
    features = [
        {"type": "Feature", "geometry": line.__geo_interface__, "properties": {"version": version, "valid_from": valid_from}}
    ] + [
        {"type": "Feature", "geometry": areas[s].__geo_interface__, "properties": {"side": s}} for s in ("UA", "RU")
    ]  # fmt: skip
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def _edits(store: PostGISStore) -> ScenarioEdits:
    return ScenarioEdits(store.path / EDITS_DIR, SCENARIO_DIR, settings=Settings(), shared=store.edits)


def test_a_second_server_sees_everything_the_first_stored(postgis_url, tmp_path, kit):
    first = PostGISStore(postgis_url, work_dir=tmp_path / "first")
    for name in ("media_2026-10-01", "monitors_2026-10-01"):
        data = (DEMO_DIR / f"incidents_{name}.geojson").read_bytes()
        first.add_batch(read_batch(data, filename=f"{name}.geojson"), original=data)
    kit.put(
        first, [kit.report(i) for i in range(5)], rejected=[kit.report(7, type="x")], filename="hand.geojson"
    )
    gone = kit.put(first, [kit.report(i) for i in range(30, 33)], filename="gone.geojson")
    first.retract_batch(gone.batch_id, reason="test: withdrawn")
    line = _line_file("v3", "2026-11-01T00:00:00+02:00")
    _edits(first).add_line_version(line, filename="v3.geojson")
    _edits(first).save_zone(_square(37.6, 48.1), zone_id="PS-9", kind="protected_site", name="School")
    try:
        made, done = refresh_store(first, **KW)
        assert done.mode == "from scratch"
        (key,) = first.analysis_keys()

        second = PostGISStore(postgis_url, work_dir=tmp_path / "second")
        assert second.path != first.path and not (second.path / "columnar").exists()
        assert second.store_id == first.store_id and second.listing() == first.listing()
        pd.testing.assert_frame_equal(second.batches(), first.batches())
        pd.testing.assert_frame_equal(second.incidents(), first.incidents())
        assert second.count() == first.count() == len(first.incidents())
        pd.testing.assert_frame_equal(second.quarantine(), first.quarantine())
        assert len(second.quarantine()) == 1
        for batch_id in first.batches()["batch_id"]:
            mine, theirs = first.original_file(batch_id), second.original_file(batch_id)
            assert theirs.is_relative_to(second.path) and theirs.read_bytes() == mine.read_bytes()
            assert hashlib.sha256(theirs.read_bytes()).hexdigest() == theirs.name
        assert second.analysis_keys() == [key] and second.analysis_batches(key) == first.analysis_batches(key)
        ours, theirs = first.load_analysis(key), second.load_analysis(key)
        assert set(theirs) == set(ours) and all(theirs[t].equals(ours[t]) for t in ours)
        back, done = refresh_store(second, **KW)
        assert done.mode == "read back" and differences(back, made) == []
        # The users' edits, in the second server's own copy of them.
        mine, theirs = _edits(first), _edits(second)
        assert theirs.root != mine.root
        pd.testing.assert_frame_equal(theirs.history(), mine.history())
        assert theirs.history()["label"].tolist() == ["v3", "PS-9"]
        assert theirs.scenario().version_at("2026-11-02T00:00:00Z") == "v3"
        assert "PS-9" in set(theirs.zone_ids())
        sha = hashlib.sha256(line).hexdigest()
        assert _query(postgis_url, "select content from files where sha256 = %s", (sha,)) == [(line,)]
    finally:
        forget(first)


def test_an_unmigrated_database_names_the_command_that_makes_it_a_store(postgis_server, tmp_path, capsys):
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgis_server, autocommit=True) as conn:
        conn.execute(f"create database {name}")
    # The test server trusts local users: the password is taken, and must never be shown.
    url = postgis_server.rsplit("/", 1)[0].replace("://cm@", "://cm:hunter2@") + f"/{name}"
    assert "hunter2" in url
    with pytest.raises(StoreError) as err:
        open_store(url, work=tmp_path)
    shown = url.replace("hunter2", "***")
    assert err.value.message == (
        f"The database at {shown} is not a Ceasefire Monitor store of this version (its schema is not migrated)."
    )
    assert err.value.hint == f"Run: python -m geo migrate --store {shown}"
    assert not list(tmp_path.iterdir()), "nothing made for a database that is not a store"
    # From the command line: the message, no traceback, no password.
    assert main(["batches", "--store", url]) == 2
    out = capsys.readouterr()
    assert "python -m geo migrate --store" in out.err and "Traceback" not in out.err
    assert "hunter2" not in out.err + out.out
    # Migrated, it opens.
    assert main(["migrate", "--store", url]) == 0
    assert open_store(url, work=tmp_path).count() == 0
    assert "hunter2" not in "".join(capsys.readouterr())


def test_an_unreachable_server_is_named_without_its_password(tmp_path, capsys):
    url = f"postgresql://cm:hunter2@127.0.0.1:{_free_port()}/nowhere"
    with pytest.raises(StoreError) as err:
        PostGISStore(url, work_dir=tmp_path)
    message = str(err.value)
    assert "Cannot reach the PostGIS store at postgresql://cm:***@127.0.0.1" in message
    assert "Check the URL and that the server runs" in err.value.hint and "hunter2" not in message
    assert main(["batches", "--store", url]) == 2
    out = capsys.readouterr()
    assert "Cannot reach the PostGIS store" in out.err and "Traceback" not in out.err
    assert "hunter2" not in out.err + out.out
