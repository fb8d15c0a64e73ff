"""The backup of docs/DEPLOY.md, tried: deploy/backup/cm-backup.sh dumps a PostGIS store with Debian's
pg_dump (custom format), pg_restore puts it into a new database, and the store opened there holds the
same batches, reports, files, quarantine, scenario edits and stored analysis."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pandas as pd
import psycopg
import pytest
import shapely

from geo.cli import main
from geo.context import scenario_edits
from geo.demo import DEMO_DIR
from geo.ingest import read_batch
from geo.settings import Settings
from geo.store.postgis import PostGISStore
from tests.browser.conftest import SECOND_LANE
from tests.test_scenario_edits import _square

pytestmark = SECOND_LANE

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "deploy" / "backup" / "cm-backup.sh"


def _pg_bin() -> Path:
    """Debian's newest PostgreSQL client programs (scripts/postgis.sh installs them)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_restore"), key=lambda p: int(p.parent.parent.name)
    )
    assert found, "no pg_restore under /usr/lib/postgresql: run bash scripts/postgis.sh install"
    return found[-1].parent


@pytest.fixture
def stored(postgis_url, tmp_path, monkeypatch) -> PostGISStore:
    """A PostGIS store with demo batches (one retracted), a batch with quarantine, a zone and an
    analysis stored by python -m geo analyse."""
    monkeypatch.setenv("CM_STORE_PATH", str(tmp_path / "work" / "store.gpkg"))
    store = PostGISStore(postgis_url, work_dir=tmp_path / "work")
    for path in sorted(DEMO_DIR.glob("incidents_monitors_*.geojson")):
        data = path.read_bytes()
        store.add_batch(read_batch(data, filename=path.name), original=data, uploader="ops")
    store.retract_batch("b000002", reason="test: withdrawn")
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [37.6 + i / 100, 48.1]},
         "properties": {"id": f"q{i}", "source": "desk", "occurred_at": "2026-10-20T06:00:00Z", "type": kind}}
        for i, kind in enumerate(["impact", "bogus"])
    ]  # fmt: skip
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    store.add_batch(read_batch(data, filename="mixed.geojson"), original=data)
    settings = Settings(store_url=postgis_url, store_path=tmp_path / "work" / "store.gpkg")
    scenario_edits(settings).save_zone(
        _square(37.6, 48.1), zone_id="PS-9", kind="protected_site", name="School"
    )
    assert main(["analyse", "--store", postgis_url]) == 0
    assert store.analysis_keys(), "the store keeps its analysis"
    return store


def test_a_dump_restored_into_a_new_database_is_the_same_store(stored, postgis_server, tmp_path):
    bin_dir = _pg_bin()
    env = {
        **os.environ,
        "CM_BACKUP_URL": stored.url,
        "CM_BACKUP_DIR": str(tmp_path / "dumps"),
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
    }
    done = subprocess.run(["bash", str(BACKUP)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    dump = Path(done.stdout.strip())
    assert dump.parent == tmp_path / "dumps" and dump.name.endswith(".dump") and dump.stat().st_size > 0
    assert [p.name for p in dump.parent.iterdir()] == [dump.name], "no partial dump is left"

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgis_server, autocommit=True) as conn:
        conn.execute(f"create database {name}")
    restored_url = postgis_server.rsplit("/", 1)[0] + f"/{name}"
    restore = [
        str(bin_dir / "pg_restore"),
        "--exit-on-error",
        "--no-owner",
        "--dbname",
        restored_url,
        str(dump),
    ]
    done = subprocess.run(restore, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr

    back = PostGISStore(restored_url, work_dir=tmp_path / "restored")
    assert back.store_id == stored.store_id and back.revision() == stored.revision()
    pd.testing.assert_frame_equal(back.batches(), stored.batches())
    assert back.listing() == stored.listing()
    for batch_id in stored.batches()["batch_id"]:
        mine, theirs = stored.incidents(batches=[batch_id]), back.incidents(batches=[batch_id])
        assert shapely.equals_exact(theirs.geometry.values, mine.geometry.values, tolerance=0).all()
        pd.testing.assert_frame_equal(
            pd.DataFrame(theirs.drop(columns="geometry")), pd.DataFrame(mine.drop(columns="geometry"))
        )
        assert back.original_file(batch_id).read_bytes() == stored.original_file(batch_id).read_bytes()
    pd.testing.assert_frame_equal(back.quarantine(), stored.quarantine())
    assert len(back.quarantine()) == 1

    assert back.analysis_keys() == stored.analysis_keys()
    for key in stored.analysis_keys():
        mine, theirs = stored.load_analysis(key), back.load_analysis(key)
        assert mine is not None and theirs is not None and mine.keys() == theirs.keys()
        for table in mine:
            assert theirs[table].equals(mine[table]), f"the stored analysis {key} differs in {table}"
        assert back.analysis_batches(key) == stored.analysis_batches(key)

    work = tmp_path / "restored-edits" / "store.gpkg"
    here = scenario_edits(Settings(store_url=stored.url, store_path=tmp_path / "work" / "store.gpkg"))
    there = scenario_edits(Settings(store_url=restored_url, store_path=work))
    pd.testing.assert_frame_equal(there.history(), here.history())

    # The restored store goes on numbering batches after the last one.
    data = (DEMO_DIR / "incidents_media_2026-10-01.geojson").read_bytes()
    receipt = back.add_batch(read_batch(data, filename="media.geojson"), original=data)
    assert receipt.batch_id == f"b{len(stored.batches()) + 1:06d}"
