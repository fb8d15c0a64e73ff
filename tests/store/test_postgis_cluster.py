"""The project's own script runs a throwaway PostgreSQL + PostGIS server (scripts/postgis.sh, make postgis):
Debian's packages, loopback only, an unprivileged user, started and stopped again."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "postgis.sh"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster():
    port = _free_port()
    env = {**os.environ, "CM_PG_PORT": str(port)}

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, check=check, timeout=600
        )

    yield port, run
    run("clean", check=False)


def _psql(url: str, sql: str) -> subprocess.CompletedProcess:
    psql = shutil.which("psql") or "psql"
    return subprocess.run(
        [psql, "-X", "-tA", "-d", url, "-c", sql], capture_output=True, text=True, timeout=60
    )


def test_the_script_starts_a_postgis_server_on_loopback_as_an_unprivileged_user_and_stops_it(cluster):
    port, run = cluster
    url = run("start").stdout.strip().splitlines()[-1]
    assert url == f"postgresql://cm@127.0.0.1:{port}/ceasefire"

    found = _psql(
        url,
        "select postgis_lib_version(), current_setting('listen_addresses'), current_setting('data_directory')",
    )
    assert found.returncode == 0, found.stderr
    version, listening, data = found.stdout.strip().split("|")
    assert int(version.split(".")[0]) >= 3
    assert listening == "127.0.0.1"
    assert Path(data).stat().st_uid != 0  # the server's files, and so the server, are not root's

    # Started again: the same server and database, nothing created twice.
    assert run("start").stdout.strip().splitlines()[-1] == url
    assert _psql(url, "select count(*) from pg_extension where extname = 'postgis'").stdout.strip() == "1"

    run("stop")
    assert _psql(url, "select 1").returncode != 0
    run("clean")
    assert not Path(data).parent.exists()
