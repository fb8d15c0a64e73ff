"""python -m geo migrate-store: a GeoPackage store with the demo data copied into PostGIS with nothing
lost, compared row by row through both stores' own reads; refusals that leave the target as it was."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from contextlib import closing
from pathlib import Path

import pandas as pd
import psycopg
import pytest
import shapely

from geo.audit.log import AuditLog, verify
from geo.cli import main
from geo.context import scenario_edits
from geo.demo import DEMO_DIR
from geo.errors import StoreError
from geo.ingest import read_batch
from geo.scenario import load_scenario
from geo.scenario.edits import edits_root
from geo.settings import SCENARIO_DIR, Settings
from geo.store import GeoPackageStore
from geo.store import transfer as transfer_module
from geo.store.postgis import PostGISStore
from geo.store.transfer import migrate_store
from tests.test_scenario_edits import _line_file, _square


def _batch(name: str, rows: list[tuple[str, float, float, str]]) -> tuple[bytes, str]:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "id": fid,
                "source": "desk",
                "occurred_at": "2026-10-20T06:00:00.123Z",
                "type": kind,
                "description": "Обстріл «біля школи»\tз півночі",
            },
        }
        for fid, lon, lat, kind in rows
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode(), name


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """A GeoPackage store: a batch retracted first, the demo batches, a batch with quarantine, a zone
    drawn and a line version uploaded."""
    path = tmp_path_factory.mktemp("gpkg") / "store.gpkg"
    store = GeoPackageStore(path)
    settings = Settings()
    data, name = _batch("early.geojson", [("e1", 37.61, 48.11, "impact"), ("e2", 37.62, 48.12, "launch")])
    early = store.add_batch(
        read_batch(data, filename=name, settings=settings), original=data, uploader="desk"
    )
    store.retract_batch(early.batch_id, reason="test: withdrawn")
    for file in sorted(DEMO_DIR.glob("*.geojson")):
        data = file.read_bytes()
        store.add_batch(
            read_batch(data, filename=file.name, settings=settings), original=data, uploader="ops"
        )
    data, name = _batch(
        "mixed.geojson",
        [("m1", 37.63, 48.13, "impact"), ("m2", 37.123456789012345, 48.98765432109876, "impact"),
         ("m3", 37.64, 48.14, "bogus")],
    )  # fmt: skip
    mixed = store.add_batch(
        read_batch(data, filename=name, settings=settings), original=data, uploader="desk"
    )
    assert mixed.rejected == 1, "the source needs a batch with quarantine"
    edits = scenario_edits(settings, store_path=path)  # as the app opens them: each edit is audited
    edits.save_zone(_square(37.6, 48.1), zone_id="PS-9", kind="protected_site", name="School")
    line = _line_file(
        load_scenario(SCENARIO_DIR), source="v1", version="v3", valid_from="2026-11-01T00:00:00+02:00"
    )
    edits.add_line_version(line, filename="v3.geojson", note="back to v1")
    return path


@pytest.fixture(scope="module")
def migrated(source, postgis_database) -> tuple[str, transfer_module.Transfer]:
    url = postgis_database()
    return url, migrate_store(source, url)


def _settings(url: str, work: Path) -> Settings:
    return Settings(store_url=url, store_path=work / "store.gpkg")


def _held(url: str) -> tuple[int, ...]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select (select count(*) from batches), (select count(*) from reports), (select count(*) from files), "
            "(select count(*) from scenario_edits), (select value::int from meta where key = 'revision')"
        ).fetchone()


def test_every_batch_report_file_and_edit_arrives_unchanged(source, migrated, tmp_path):
    url, result = migrated
    src, dst = GeoPackageStore(source), PostGISStore(url, work_dir=tmp_path)
    batches = src.batches()
    assert len(batches) == 27 and batches["batch_id"].iloc[0] == "b000001"
    pd.testing.assert_frame_equal(dst.batches(), batches, check_dtype=False)
    with closing(sqlite3.connect(source)) as con:
        notes = [r[0] for r in con.execute("SELECT notes FROM batches ORDER BY fid")]
    with psycopg.connect(url) as conn:
        assert [r[0] for r in conn.execute("select notes from batches order by seq")] == notes
    assert dst.listing()[1] == src.listing()[1]
    hidden = len(src.incidents(batches=["b000001"], hidden=True))
    assert hidden > 0 and dst.count() == src.count() == result.reports - hidden, (
        "the retracted batch's are hidden"
    )
    assert len(dst.incidents(hidden=True)) == len(src.incidents(hidden=True)) == result.reports

    for batch_id in batches["batch_id"]:
        mine, theirs = src.incidents(batches=[batch_id]), dst.incidents(batches=[batch_id])
        assert shapely.equals_exact(theirs.geometry.values, mine.geometry.values, tolerance=0).all()
        pd.testing.assert_frame_equal(
            pd.DataFrame(theirs.drop(columns="geometry")), pd.DataFrame(mine.drop(columns="geometry"))
        )
        assert dst.original_file(batch_id).read_bytes() == src.original_file(batch_id).read_bytes()
    assert result.batches[0].retracted and result.batches[0].reports == hidden
    assert dst.batches()["retracted_at"].notna().tolist() == [True] + [False] * 26
    assert dst.batches()["retract_reason"].iloc[0] == "test: withdrawn"
    # The audit log arrives entry for entry: the head published before the move verifies after it.
    head = AuditLog(src).head()
    assert head.size == 28 + 2, "27 uploads, a retraction, a zone and a line version"
    assert AuditLog(dst).head().root_hex == head.root_hex
    assert verify(dst, head) == []
    assert all(b.same for b in result.batches)
    pd.testing.assert_frame_equal(dst.quarantine(), src.quarantine(), check_dtype=False)
    assert len(dst.quarantine(batches["batch_id"].iloc[-1])) == 1

    mine = scenario_edits(Settings(), store_path=source)
    theirs = scenario_edits(_settings(url, tmp_path / "server"))
    pd.testing.assert_frame_equal(theirs.history(), mine.history())
    for a, b in zip(theirs.edits(), mine.edits(), strict=True):
        assert a.path.read_bytes() == b.path.read_bytes()
    assert sorted(theirs.scenario().zones["zone_id"]) == sorted(mine.scenario().zones["zone_id"])
    assert "v3" in set(theirs.scenario().lines["version"])
    line_sha = json.loads(mine.edits()[-1].path.read_text())["edit"]["sha256"]
    with psycopg.connect(url) as conn:
        kept = conn.execute("select content from files where sha256 = %s", (line_sha,)).fetchone()
    assert bytes(kept[0]) == (edits_root(source) / "files" / line_sha).read_bytes()

    # New batches go on from the last id, as in the source.
    data, name = _batch("after.geojson", [("a1", 37.65, 48.15, "impact")])
    assert dst.add_batch(read_batch(data, filename=name), original=data).batch_id == "b000028"


def test_the_command_prints_the_comparison_and_refuses_a_second_copy(source, postgis_url, capsys):
    started = time.monotonic()
    assert main(["migrate-store", "--from", str(source), "--to", postgis_url]) == 0
    seconds = time.monotonic() - started
    out = capsys.readouterr().out
    assert "27 batches" in out and "the same in both stores" in out, out
    assert "b000001 early.geojson: retracted" in out and "stored analysis was not copied" in out
    print(f"migrate-store of the demo store: {seconds:.1f} s")
    held = _held(postgis_url)

    assert main(["migrate-store", "--from", str(source), "--to", postgis_url]) == 2
    err = capsys.readouterr().err
    assert "is not empty (27 batches" in err and "python -m geo migrate --store URL" in err, err
    assert _held(postgis_url) == held


def test_an_unmigrated_target_or_a_missing_source_is_refused(
    source, postgis_server, postgis_url, tmp_path, capsys
):
    bare = postgis_server.rsplit("/", 1)[0] + f"/t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgis_server, autocommit=True) as conn:
        conn.execute(f"create database {bare.rsplit('/', 1)[1]}")
    assert main(["migrate-store", "--from", str(source), "--to", bare]) == 2
    assert f"Run: python -m geo migrate --store {bare}" in capsys.readouterr().err

    missing = tmp_path / "nothing" / "store.gpkg"
    assert main(["migrate-store", "--from", str(missing), "--to", postgis_url]) == 2
    err = capsys.readouterr().err
    assert f"No GeoPackage store at {missing}" in err and "store_path setting" in err
    assert not missing.parent.exists(), "a refused source is not created"
    assert _held(postgis_url)[:4] == (0, 0, 0, 0)

    assert main(["migrate-store", "--from", postgis_url, "--to", str(source)]) == 2
    assert "copies a GeoPackage file into a PostGIS store" in capsys.readouterr().err


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda f: f.iloc[:-1], id="a report dropped"),
        pytest.param(
            lambda f: f.set_geometry(shapely.set_precision(f.geometry.values, 1e-6)), id="points rounded"
        ),
    ],
)
def test_a_copy_that_differs_from_the_source_leaves_the_target_as_it_was(
    source, postgis_url, monkeypatch, damage
):
    insert = PostGISStore._insert_reports

    def lossy(conn, frame):
        insert(conn, damage(frame) if (frame["id"] == "m2").any() else frame)

    monkeypatch.setattr(PostGISStore, "_insert_reports", staticmethod(lossy))
    with pytest.raises(StoreError, match=r"differs from the source, so nothing was kept: b000027: 2 reports"):
        migrate_store(source, postgis_url)
    assert _held(postgis_url) == (0, 0, 0, 0, 0)
    monkeypatch.undo()
    store = PostGISStore(postgis_url, work_dir=Path(source).parent / "after-failure")
    data, name = _batch("first.geojson", [("f1", 37.65, 48.15, "impact")])
    assert store.add_batch(read_batch(data, filename=name), original=data).batch_id == "b000001"


def test_a_quarantine_kept_as_rows_by_an_older_store_arrives_as_its_file(tmp_path, postgis_url):
    path = tmp_path / "old" / "store.gpkg"
    store = GeoPackageStore(path)
    data, name = _batch("mixed.geojson", [("m1", 37.63, 48.13, "impact"), ("m3", 37.64, 48.14, "bogus")])
    receipt = store.add_batch(read_batch(data, filename=name), original=data)
    before = store.quarantine()
    # As stores written before the quarantine file kept it: a row per rejected feature.
    kept = path.parent / "files" / f"{receipt.sha256}.rejected.json.gz"
    with closing(sqlite3.connect(path)) as con, con:
        con.executemany(
            "INSERT INTO quarantine (batch_id, feature_index, feature_id, feature, issues) VALUES (?, ?, ?, ?, ?)",
            before[["batch_id", "feature_index", "feature_id", "feature", "issues"]].itertuples(index=False),
        )
    kept.unlink()
    pd.testing.assert_frame_equal(store.quarantine(), before, check_dtype=False)

    result = migrate_store(path, postgis_url)
    assert result.batches[0].quarantined == 1
    moved = PostGISStore(postgis_url, work_dir=tmp_path / "work").quarantine()
    pd.testing.assert_frame_equal(moved, before, check_dtype=False)
