"""python -m geo: exit codes, receipts, one-line errors on stderr and never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from geo.cli import main
from geo.demo import DEMO_DIR
from geo.settings import load_settings
from geo.store import is_url, open_store, work_dir

ROOT = Path(__file__).resolve().parents[1]
DEMO_FILE = sorted(DEMO_DIR.glob("incidents_media_*.geojson"))[0]


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def new_cli_store(store_kind: str, request, tmp_path: Path, monkeypatch) -> str:
    """The ``--store`` of a new, empty store of ``store_kind``: a GeoPackage file in
    tmp_path, or the URL of a new PostGIS database, whose local work folder is the test's own
    (CM_STORE_PATH's folder, as on an app server)."""
    monkeypatch.delenv("CM_STORE_URL", raising=False)
    monkeypatch.setenv("CM_STORE_PATH", str(tmp_path / "work" / "store.gpkg"))
    if store_kind == "gpkg":
        return str(tmp_path / "store.gpkg")
    return request.getfixturevalue("postgis_database")()


@pytest.fixture
def cli_store(store_kind, request, tmp_path, monkeypatch) -> str:
    """A new store of each kind, as ``--store`` names it (:func:`new_cli_store`)."""
    return new_cli_store(store_kind, request, tmp_path, monkeypatch)


def opened(store: str):
    """The store the CLI works on at ``--store store``, opened as it opens it (its work folder too)."""
    return open_store(store, work=work_dir(load_settings()))


def restarted(store: str, monkeypatch, tmp_path: Path, name: str = "restarted") -> None:
    """What comes next runs as a new process would: nothing of the store in this process's memory,
    and for PostGIS another server's, a fresh work folder (what it reads comes from the database)."""
    from geo.refresh import forget

    forget(opened(store))
    if is_url(store):
        monkeypatch.setenv("CM_STORE_PATH", str(tmp_path / name / "store.gpkg"))


def test_validate_exit_codes(capsys, shared_data, tmp_path):
    code, out, _ = run(capsys, "validate", str(DEMO_FILE))
    assert code == 0 and "0 rejected" in out
    code, out, _ = run(capsys, "validate", str(shared_data / "geojson_bad" / "nofeaturetype.geojson"))
    assert code == 1 and "is not a Feature" in out
    code, _, err = run(capsys, "validate", str(shared_data / "geojson_bad" / "bad-json.geojson"))
    assert (
        code == 2 and err.startswith("error: bad-json.geojson is not valid JSON") and "Traceback" not in err
    )
    code, _, err = run(capsys, "validate", str(tmp_path / "absent.geojson"))
    assert code == 2 and "No file at" in err


def test_validate_json_report(capsys, shared_data):
    code, out, _ = run(
        capsys, "validate", "--json", str(shared_data / "geojson_good" / "good-feature.geojson")
    )
    doc = json.loads(out)
    assert code == 1 and doc["rejected"] == 1
    assert {i["field"] for i in doc["issues"]} >= {"id", "source", "type"}


def test_ingest_receipt_idempotence_export_and_retract(capsys, tmp_path, cli_store):
    store = cli_store
    code, out, _ = run(capsys, "ingest", str(DEMO_FILE), "--store", store, "--json")
    receipt = json.loads(out)
    assert code == 0 and receipt["accepted"] > 0 and len(receipt["sha256"]) == 64
    code, out, _ = run(capsys, "ingest", str(DEMO_FILE), "--store", store)
    assert code == 0 and "already ingested" in out
    out_file = tmp_path / "out.csv"
    code, out, _ = run(capsys, "export", "--store", store, "--format", "csv", "-o", str(out_file))
    assert code == 0 and f"wrote {receipt['accepted']} reports" in out
    assert len(out_file.read_text(encoding="utf-8").splitlines()) == receipt["accepted"] + 1
    batch = receipt["batch_id"]
    with pytest.raises(SystemExit):  # no reason: argparse refuses it, naming --reason
        run(capsys, "retract", batch, "--store", store)
    assert "--reason" in capsys.readouterr().err
    code, out, _ = run(capsys, "retract", batch, "--store", store, "--reason", "wrong desk")
    assert code == 0 and f"{receipt['accepted']} reports left view" in out
    assert opened(store).count() == 0
    code, _, err = run(capsys, "retract", "b999999", "--store", store, "--reason", "x")
    assert code == 2 and f"There is no batch 'b999999' in the store {store}. The latest are " in err
    code, _, err = run(capsys, "retract", batch, "--store", store, "--reason", "again")
    assert code == 2 and f"Batch {batch} was already retracted on " in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "retract", batch, "--store", store, "--reason", "  ")
    assert code == 2 and f"Retract batch {batch} needs a reason" in err
    code, out, _ = run(capsys, "batches", "--store", store)
    assert code == 0 and "retracted 20" in out and ": wrong desk" in out and "(single-user mode)" in out
    code, out, _ = run(capsys, "restore", batch, "--store", store, "--reason", "right desk after all")
    assert code == 0 and f"restored batch {batch}: {receipt['accepted']} reports back in view" in out
    assert opened(store).count() == receipt["accepted"]
    code, out, _ = run(capsys, "batches", "--store", store)
    assert "active (restored 20" in out and "right desk after all" in out


def test_strict_ingest_stores_nothing(capsys, tmp_path, shared_data, cli_store):
    store = cli_store
    code, _, err = run(
        capsys,
        "ingest",
        "--strict",
        "--store",
        store,
        str(shared_data / "geojson_good" / "good-feature.geojson"),
    )
    assert code == 2 and "strict mode stores nothing" in err
    code, out, _ = run(capsys, "batches", "--store", store)
    assert "no batches stored" in out


def test_export_bad_time_is_one_line(capsys, tmp_path):
    code, _, err = run(
        capsys,
        "export",
        "--store",
        str(tmp_path / "s.gpkg"),
        "--from",
        "soon",
        "-o",
        str(tmp_path / "x.geojson"),
    )
    assert code == 2 and "not an ISO 8601 date" in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_enrich_and_flag_write_the_contract_columns(tmp_path):
    for command, columns in (
        (
            "enrich",
            {"dist_to_line_m", "side", "zones", "origin_lon", "origin_lat", "origin_side", "origin_side_p"},
        ),
        ("flag", {"event_id", "violation_score", "flag_level", "attributed_side", "reasons"}),
    ):
        out = tmp_path / f"{command}.geojson"
        proc = subprocess.run(
            [sys.executable, "-m", "geo", command, str(DEMO_FILE), "-o", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
        props = json.loads(out.read_text())["features"][0]["properties"]
        assert columns <= set(props), columns - set(props)
    assert isinstance(props["reasons"], list) and props["reasons"][0]["sentence"]


def test_export_to_a_bare_date_takes_the_whole_day_and_bad_paths_are_one_line(capsys, tmp_path, cli_store):
    store = cli_store
    run(capsys, "ingest", str(DEMO_FILE), "--store", store)
    day = "2026-10-03"  # inside the week DEMO_FILE covers
    out = tmp_path / "day.geojson"
    code, _, _ = run(capsys, "export", "--store", store, "--from", day, "--to", day, "-o", str(out))
    times = [f["properties"]["occurred_at"] for f in json.loads(out.read_text())["features"]]
    assert code == 0 and times and all(t.startswith(day) for t in times)
    assert any(t[11:19] != "00:00:00" for t in times)  # not only the first instant of the day
    code, _, err = run(capsys, "export", "--store", store, "-o", str(tmp_path / "missing" / "x.csv"))
    assert code == 2 and err.startswith("error: cannot read or write") and "Traceback" not in err


def test_enrich_uses_the_zones_users_drew_for_the_store(capsys, tmp_path, cli_store):
    """A zone drawn in the app (kept beside the GeoPackage store; in the PostGIS store's database,
    drawn on another app server) is in force for the CLI on that store too."""
    import geopandas as gpd

    from geo.context import scenario_edits
    from geo.demo import DEMO_DIR

    store = cli_store
    batch = sorted(DEMO_DIR.glob("*.geojson"))[0]
    assert run(capsys, "ingest", str(batch), "--store", store)[0] == 0
    reports = gpd.read_file(batch)
    x, y = reports.geometry.x.iloc[0], reports.geometry.y.iloc[0]
    square = {
        "type": "Polygon",
        "coordinates": [
            [
                [x - 0.01, y - 0.01],
                [x + 0.01, y - 0.01],
                [x + 0.01, y + 0.01],
                [x - 0.01, y + 0.01],
                [x - 0.01, y - 0.01],
            ]
        ],
    }
    app_server = load_settings(environ={"CM_STORE_PATH": str(tmp_path / "app" / "store.gpkg")})
    edits = scenario_edits(app_server, store_path=store)
    edits.save_zone(square, zone_id="PS-CLI", kind="protected_site", name="Drawn in the app")
    out = tmp_path / "enriched.geojson"
    assert run(capsys, "enrich", "store", "--store", store, "-o", str(out))[0] == 0
    zones = gpd.read_file(out)["zones"].astype(str)
    assert zones.str.contains("PS-CLI").sum() >= 1


def test_demo_load_fills_the_store_once(capsys, cli_store):
    import re

    files = sorted(DEMO_DIR.glob("*.geojson"))
    code, out, _ = run(capsys, "demo", "--load", "--store", cli_store)
    stored = [int(n) for n in re.findall(r": Stored batch b\d+: (\d+) new reports", out)]
    assert code == 0 and len(stored) == len(files) and opened(cli_store).count() == sum(stored) > 0
    code, again, _ = run(capsys, "demo", "--load", "--store", cli_store)
    assert code == 0 and again.count("was already ingested as batch") == len(files)
    code, listed, _ = run(capsys, "batches", "--store", cli_store)
    assert code == 0 and all(f.name in listed for f in files)


def test_a_postgis_store_that_cannot_serve_is_one_line_naming_why_without_the_password(
    capsys, tmp_path, monkeypatch, postgis_server, postgis_url
):
    """An unreachable server, a port that is no number, an unknown role, a role the store's tables
    refuse: each command says so in one line, the password hidden. (The test server trusts local
    users, so a wrong password is taken; one refused by a server is said as 'password authentication
    failed for user ...' the same way, tried by hand.)"""
    import uuid

    import psycopg

    from tests.conftest import free_port

    monkeypatch.setenv("CM_STORE_PATH", str(tmp_path / "work" / "store.gpkg"))
    server = postgis_server.rsplit("/", 1)[0]  # postgresql://cm@127.0.0.1:PORT
    role = f"r_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgis_server, autocommit=True) as conn:
        conn.execute(f"create role {role} login")  # may connect, but not read the store's tables
    host, database = server.split("@", 1)[1], postgis_url.rsplit("/", 1)[1]

    def url(user: str, at: str, db: str) -> str:
        return f"postgresql://{user}:hunter2@{at}/{db}"

    cases = {
        "Cannot reach the PostGIS store at postgresql://cm:***@127.0.0.1:": url(
            "cm", f"127.0.0.1:{free_port()}", "x"
        ),
        'invalid integer value "abc" for connection option "port"': url("cm", "127.0.0.1:abc", "x"),
        'role "nobody_here" does not exist': url("nobody_here", host, database),
        f"refuses the role '{role}': permission denied": url(role, host, database),
    }
    for said, store in cases.items():
        for command in (
            ["batches"],
            ["ingest", str(DEMO_FILE)],
            ["retract", "b000001", "--reason", "x"],
            ["analyse"],
        ):
            code, out, err = run(capsys, *command, "--store", store)
            assert code == 2 and err.startswith("error: ") and said in err, (command, err)
            assert (
                len(err.strip().splitlines()) == 1 and "Traceback" not in err and "hunter2" not in out + err
            )
