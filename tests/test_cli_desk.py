"""python -m geo for the data desk: a file too large is refused before it is read, a file of which
nothing is accepted is a failure for the analysis commands, the same file again is no failure, and
--debug may follow the command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from geo.cli import main
from geo.demo import DEMO_DIR
from geo.store import is_url
from tests.test_cli import new_cli_store, opened, restarted

ROOT = Path(__file__).resolve().parents[1]
DEMO_FILE = sorted(DEMO_DIR.glob("*.geojson"))[0]


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli_store(store_kind, request, tmp_path, monkeypatch) -> str:
    """A new store of each kind, as ``--store`` names it (:func:`tests.test_cli.new_cli_store`)."""
    return new_cli_store(store_kind, request, tmp_path, monkeypatch)


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path):
    # A sparse file of 3 GB: reading it would need 3 GB; the child may use at most 1 GB.
    big = tmp_path / "huge.geojson"
    with big.open("wb") as f:
        f.truncate(3 * 1024**3)
    script = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1024**3, 1024**3)); "
        "from geo.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    env = {"CM_MAX_UPLOAD_MB": "50", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", script, "validate", str(big)], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "huge.geojson is 3,221.2 MB, above the 50 MB upload limit" in done.stderr
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr


def test_standard_input_over_the_limit_is_refused(tmp_path):
    env = {"CM_MAX_UPLOAD_MB": "0.001", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "geo", "validate", "-"], cwd=ROOT, env=env, input=DEMO_FILE.read_bytes(),
        capture_output=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2 and b"Standard input is above the 0.001 MB upload limit" in done.stderr


def test_enrich_of_a_file_of_which_nothing_is_accepted_fails(capsys, tmp_path):
    bad = tmp_path / "all_bad.geojson"
    bad.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [37.5, 48.0]},
                        "properties": {},
                    }
                ]
                * 3,
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.geojson"
    code, _, err = run(capsys, "enrich", str(bad), "-o", str(out))
    assert code == 2 and "All 3 features of all_bad.geojson were rejected" in err
    assert "python -m geo validate" in err and not out.exists()


def test_the_same_file_again_is_no_failure_and_repeats_nothing(capsys, tmp_path, cli_store):
    store = cli_store
    # A file with one invalid feature: the first ingest reports it and exits 1 ...
    doc = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    doc["features"] = doc["features"][:5]
    doc["features"][0]["properties"]["type"] = "not_a_type"
    path = tmp_path / "batch.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, first, _ = run(capsys, "ingest", str(path), "--store", store)
    assert code == 1 and "not_a_type" in first and "accepted 4" in first
    # ... and the same report as validate gives, line for line, before the receipt.
    _, validated, _ = run(capsys, "validate", str(path))
    assert first.startswith(validated)
    # Again: nothing added, nothing repeated, exit 0.
    code, again, err = run(capsys, "ingest", str(path), "--store", store)
    assert code == 0 and "not_a_type" not in again + err and "already" in again


def test_debug_may_follow_the_command(capsys):
    code, _, _ = run(capsys, "validate", str(DEMO_FILE), "--debug")
    assert code == 0
    assert main(["--debug", "validate", str(DEMO_FILE)]) == 0


def test_a_file_of_which_nothing_is_valid_is_stored_only_when_asked(capsys, tmp_path, cli_store):
    store = cli_store
    doc = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    doc["features"] = doc["features"][:3]
    for f in doc["features"]:
        f["properties"]["type"] = "not_a_type"
    path = tmp_path / "all-bad.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = run(capsys, "ingest", str(path), "--store", store)
    assert code == 1 and "nothing stored" in err and "--keep-rejected" in err and "not_a_type" in out
    assert run(capsys, "batches", "--store", store)[1] == "no batches stored\n"
    code, out, _ = run(capsys, "ingest", str(path), "--store", store, "--keep-rejected")
    assert code == 1 and "accepted 0" in out and "rejected 3" in out
    kept = opened(store)
    assert kept.count() == 0 and len(kept.quarantine()) == 3
    assert kept.original_file(kept.batches()["batch_id"].iloc[0]).read_bytes() == path.read_bytes()


def test_analyse_brings_the_stored_analysis_up_to_date_and_says_what_it_did(
    capsys, tmp_path, cli_store, monkeypatch
):
    store = cli_store
    assert run(capsys, "ingest", str(DEMO_FILE), "--store", store)[0] == 0
    code, out, _ = run(capsys, "analyse", "--store", store)
    n = len(json.loads(DEMO_FILE.read_text(encoding="utf-8"))["features"])
    assert code == 0 and out.startswith(f"from scratch: {n:,} reports added, 0 removed\n{n:,} reports in ")
    for stage in ("read", "enrich", "origins", "rules", "corroborate", "patterns", "score", "write"):
        assert f"\n{stage} " in out
    restarted(store, monkeypatch, tmp_path, "second")  # as a new process: read back from the store
    code, again, _ = run(capsys, "analyse", "--store", store)
    assert code == 0 and again.startswith("read back: ") and "corroborate" not in again
    # The figures are the same either way.
    assert again.split("\n")[1] == out.split("\n")[1]
    # Another batch: only what it reaches is recomputed, and the result is checked against a
    # from-scratch analysis of every report.
    other = sorted(DEMO_FILE.parent.glob("incidents_media_*.geojson"))[0]
    added = len(json.loads(other.read_text(encoding="utf-8"))["features"])
    assert run(capsys, "ingest", str(other), "--store", store)[0] == 0
    restarted(
        store, monkeypatch, tmp_path, "third"
    )  # from the analysis the store keeps, not this process's memory
    code, later, _ = run(capsys, "analyse", "--store", store, "--check")
    assert code == 0 and later.startswith(f"incremental: {added:,} reports added, 0 removed; recomputed ")
    assert "check: the stored analysis equals a from-scratch analysis of the same reports" in later


def test_a_long_command_says_each_stage_on_a_terminal(cli_store):
    import os
    import pty

    store = cli_store  # the processes' work folder: CM_STORE_PATH's, which they inherit
    cli = [sys.executable, "-m", "geo"]
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [*cli, "ingest", str(DEMO_FILE), "--store", store], cwd=root, check=True, capture_output=True
    )
    main_fd, terminal = pty.openpty()
    done = subprocess.run(
        [*cli, "analyse", "--store", store], cwd=root, stderr=terminal, stdout=subprocess.PIPE, text=True
    )
    os.close(terminal)
    said = b""
    while True:
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        said += chunk
    os.close(main_fd)
    assert done.returncode == 0 and done.stdout.startswith("from scratch: ")
    lines = said.decode().splitlines()
    stages = [line.split("] ")[1] for line in lines if "] " in line]
    assert stages.index("read ...") < stages.index("enrich ...") < stages.index("corroborate ...")
    # Piped (not a terminal), stderr stays quiet.
    again = subprocess.run([*cli, "analyse", "--store", store], cwd=root, capture_output=True, text=True)
    assert again.returncode == 0 and again.stderr == ""


def _alter_stored(store: str, table: str, change) -> None:
    """Rewrite the one stored partition of the analysis's ``table`` as ``change`` makes its Arrow
    table, behind the app's back: the file in the GeoPackage store's folder, or the row in the
    PostGIS store's database (read by a server that has no copy of it yet)."""
    import pyarrow as pa
    import pyarrow.feather as feather

    def written(altered: pa.Table, sink) -> None:
        with pa.ipc.new_file(sink, altered.schema) as writer:
            writer.write_table(altered)

    if is_url(store):
        import psycopg

        with psycopg.connect(store) as conn:
            ((name, content),) = conn.execute(
                "select name, content from analysis_parts where name like %s", (f"{table}--%",)
            ).fetchall()
            sink = pa.BufferOutputStream()
            written(change(pa.ipc.open_file(pa.py_buffer(bytes(content))).read_all()), sink)
            conn.execute(
                "update analysis_parts set content = %s where name = %s", (sink.getvalue().to_pybytes(), name)
            )
        return
    (path,) = (Path(store).parent / "derived").rglob(f"{table}--*.arrow")
    written(change(feather.read_table(path)), str(path))


def test_check_names_a_stored_figure_altered_behind_the_apps_back(capsys, tmp_path, cli_store, monkeypatch):
    import pyarrow.compute as pc

    store = cli_store
    assert run(capsys, "ingest", str(DEMO_FILE), "--store", store)[0] == 0
    assert run(capsys, "analyse", "--store", store)[0] == 0

    def raised(table):  # someone raises one event's score in the stored analysis
        scores = table.column("violation_score").to_pylist()
        scores[0] = 0.99 if scores[0] != 0.99 else 0.5
        column = table.schema.get_field_index("violation_score")
        return table.set_column(column, "violation_score", pc.cast(scores, table.schema.field(column).type))

    _alter_stored(store, "events", raised)
    restarted(store, monkeypatch, tmp_path)  # a new process, reading the stored analysis
    code, out, err = run(capsys, "analyse", "--store", store, "--check")
    assert code == 1 and out.startswith("read back: ")
    assert "the stored analysis differs from a from-scratch analysis" in err
    assert "events.violation_score: 1 row(s) differ" in err


def test_check_names_a_stored_surge_test_altered_behind_the_apps_back(
    capsys, tmp_path, cli_store, monkeypatch
):
    # What the next update starts from is checked too: the stored daily tests are read back when
    # their counts fit the stand-ins, so a test value altered alone goes unseen until compared.
    import pyarrow as pa
    import pyarrow.compute as pc

    store = cli_store
    assert run(capsys, "ingest", str(DEMO_FILE), "--store", store)[0] == 0
    assert run(capsys, "analyse", "--store", store)[0] == 0
    restarted(store, monkeypatch, tmp_path, "second")
    code, out, _ = run(capsys, "analyse", "--store", store, "--check")
    assert code == 0 and out.startswith("read back: ")
    names = []

    def altered(table):
        name = next(
            c
            for c in table.column_names
            if c.startswith("tests.") and pa.types.is_floating(table.schema.field(c).type)
        )
        names.append(name)
        values = table.column(name).to_pylist()
        values[0] = 0.123456 if values[0] != 0.123456 else 0.5
        column = table.schema.get_field_index(name)
        return table.set_column(column, name, pc.cast(values, table.schema.field(column).type))

    _alter_stored(store, "surges", altered)
    restarted(store, monkeypatch, tmp_path, "third")
    code, out, err = run(capsys, "analyse", "--store", store, "--check")
    assert code == 1 and out.startswith("read back: ")
    assert f"surge tests: {names[0].removeprefix('tests.')} differ" in err
