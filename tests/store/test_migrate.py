"""The PostGIS store's schema comes from numbered migration files only (geo.store.migrate), on a real
PostgreSQL + PostGIS server that the project's own script starts (scripts/postgis.sh)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from geo.cli import main
from geo.errors import StoreError
from geo.store.columns import REPORT_COLUMNS
from geo.store.migrate import MIGRATIONS_DIR, migrate, migrations
from tests.store.test_postgis_cluster import SCRIPT, _free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server():
    """A throwaway server for this module: the postgres URL of its maintenance database."""
    env = {**os.environ, "CM_PG_PORT": str(_free_port())}
    run = ["bash", str(SCRIPT)]
    url = subprocess.run([*run, "start"], env=env, capture_output=True, text=True, check=True, timeout=600)
    yield url.stdout.strip().splitlines()[-1].rsplit("/", 1)[0] + "/postgres"
    subprocess.run([*run, "clean"], env=env, capture_output=True, text=True, check=False, timeout=120)


@pytest.fixture
def database(server):
    """A new, empty database on the server: its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"create database {name}")
    return server.rsplit("/", 1)[0] + f"/{name}"


def _query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_migrating_an_empty_database_makes_the_store_tables_once(database):
    applied, had = migrate(database)
    assert [m.label for m in applied] == [m.label for m in migrations()] and had == []

    columns = [
        r[0]
        for r in _query(
            database,
            "select column_name from information_schema.columns "
            "where table_name = 'reports' order by ordinal_position",
        )
    ]
    # The GeoPackage store's report columns, then the point, then the order they were stored in.
    assert columns == [*REPORT_COLUMNS, "geom", "fid"]
    (kind,) = _query(
        database, "select type || ':' || srid from geometry_columns where f_table_name = 'reports'"
    )
    assert kind == ("POINT:4326",)
    indexes = {
        r[0]: r[1]
        for r in _query(database, "select indexname, indexdef from pg_indexes where tablename = 'reports'")
    }
    assert "USING gist (geom)" in indexes["reports_geom"] and "(occurred_at)" in indexes["reports_time"]
    recorded = _query(database, "select version, name, sha256 from schema_migrations order by version")
    assert recorded == [(m.version, m.name, m.sha256) for m in migrations()]

    again, had = migrate(database)
    assert again == [] and [m.label for m in had] == [m.label for m in migrations()]


def test_the_database_keeps_one_live_batch_per_file_and_points_in_wgs84(database):
    migrate(database)
    content = b'{"type": "FeatureCollection", "features": []}'
    digest = hashlib.sha256(content).hexdigest()
    with psycopg.connect(database) as conn:
        conn.execute("insert into files (sha256, content) values (%s, %s)", (digest, content))
        conn.execute(
            "insert into batches (batch_id, filename, sha256, uploaded_at) values ('b1', 'a.geojson', %s, now())",
            (digest,),
        )
    # The same file again, while the first is live: refused by the database itself.
    with pytest.raises(psycopg.errors.UniqueViolation), psycopg.connect(database) as conn:
        conn.execute(
            "insert into batches (batch_id, filename, sha256, uploaded_at) values ('b2', 'a.geojson', %s, now())",
            (digest,),
        )
    # A file whose content is not its name.
    with pytest.raises(psycopg.errors.CheckViolation), psycopg.connect(database) as conn:
        conn.execute("insert into files (sha256, content) values (%s, %s)", ("0" * 64, content))
    # A report's place is a Point in EPSG:4326, nothing else.
    row = "insert into reports (id, source, type, uid, batch_id, geom) values ('1', 'OP', 'impact', %s, 'b1', {})"
    with psycopg.connect(database) as conn:
        conn.execute(row.format("'SRID=4326;POINT(37.6 48.1)'"), ("OP/1",))
    for bad in ("'SRID=4326;LINESTRING(37 48, 38 49)'", "'SRID=3857;POINT(4188000 6128000)'"):
        with pytest.raises(psycopg.errors.InvalidParameterValue), psycopg.connect(database) as conn:
            conn.execute(row.format(bad), ("OP/2",))
    # The change above was made outside the program: the revision moved and its batch counts an edit.
    assert _query(database, "select value from meta where key = 'revision'") == [("1",)]
    assert _query(database, "select edits from batches where batch_id = 'b1'") == [(1,)]
    # Retracted, the file may land again.
    with psycopg.connect(database) as conn:
        conn.execute("update batches set retracted_at = now() where batch_id = 'b1'")
        conn.execute(
            "insert into batches (batch_id, filename, sha256, uploaded_at) values ('b3', 'a.geojson', %s, now())",
            (digest,),
        )


def test_a_migration_changed_after_it_was_applied_is_refused(database, tmp_path):
    migrate(database)
    folder = tmp_path / "migrations"
    folder.mkdir()
    for m in migrations():
        (folder / f"{m.label}.sql").write_text(m.sql + "\n-- edited\n", encoding="utf-8")

    with pytest.raises(StoreError, match=r"0001_reports\.sql differs from the one applied"):
        migrate(database, folder)


def test_a_database_migrated_by_a_newer_version_is_refused_and_left_alone(database):
    migrate(database)
    with psycopg.connect(database) as conn:
        conn.execute("insert into schema_migrations (version, name, sha256) values (9999, 'later', 'x')")

    with pytest.raises(StoreError, match=r"newer version .*9999_later"):
        migrate(database)


def test_a_failing_migration_changes_nothing(database, tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_reports.sql").write_text(
        (MIGRATIONS_DIR / "0001_reports.sql").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (folder / "0002_broken.sql").write_text(
        "create table later (x integer);\nselect no_such_function();\n", encoding="utf-8"
    )

    with pytest.raises(StoreError, match="failed, and changed nothing"):
        migrate(database, folder)

    # Neither the first migration nor the broken one's first statement was kept.
    assert _query(
        database, "select to_regclass('reports'), to_regclass('later'), to_regclass('schema_migrations')"
    ) == [(None, None, None)]


def test_misnumbered_migration_files_are_refused(tmp_path):
    (tmp_path / "0001_a.sql").write_text("select 1;")
    (tmp_path / "0003_c.sql").write_text("select 1;")
    with pytest.raises(StoreError, match=r"numbered \[1, 3\]"):
        migrations(tmp_path)
    (tmp_path / "2_b.sql").write_text("select 1;")
    with pytest.raises(StoreError, match=r"not named NNNN_name\.sql"):
        migrations(tmp_path)


def test_servers_migrating_at_once_apply_each_file_once(database):
    code = "import sys; from geo.store.migrate import migrate; a, _ = migrate(sys.argv[1]); print(len(a))"
    runs = [
        subprocess.Popen([sys.executable, "-c", code, database], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    counts = sorted(int(p.communicate(timeout=120)[0]) for p in runs)
    assert all(p.returncode == 0 for p in runs)
    assert counts == [0, 0, len(migrations())]
    assert _query(database, "select count(*) from schema_migrations") == [(len(migrations()),)]


def test_the_command_says_what_it_applied_and_refuses_a_file_path(database, capsys):
    assert main(["migrate", "--store", database]) == 0
    out = capsys.readouterr().out
    n = len(migrations())
    assert "applied 0001_reports" in out and f"{n} applied now, 0 before" in out
    assert main(["migrate", "--store", database]) == 0
    assert f"0 applied now, {n} before" in capsys.readouterr().out

    assert main(["migrate", "--store", "var/store.gpkg"]) == 2
    assert "takes a PostGIS store's URL" in capsys.readouterr().err


def test_an_unreachable_server_is_named_without_its_password(capsys):
    url = f"postgresql://cm:secret@127.0.0.1:{_free_port()}/nowhere"
    assert main(["migrate", "--store", url]) == 2
    err = capsys.readouterr().err
    assert "Cannot reach the PostGIS store at postgresql://cm:***@127.0.0.1" in err and "secret" not in err
