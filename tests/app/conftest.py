"""AppTest harness: the app over a given store (demo, empty or fresh; GeoPackage or PostGIS), via the
CM_STORE_PATH and CM_STORE_URL settings."""

from __future__ import annotations

import json
import re
import shutil
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from streamlit.testing.v1 import AppTest

from geo.context import scenario_edits
from geo.scenario.edits import ScenarioEdits
from geo.settings import Settings
from geo.store import Store, open_store
from geo.store.postgis import PostGISStore
from ui import keys

ROOT = Path(__file__).resolve().parents[2]
# Generous: the first run on the demo store analyses every report before the cache is warm.
TIMEOUT_S = 120


def location_of(where: Path | Store) -> tuple[str, Path | None]:
    """The store_url and store_path settings of ``where``: a GeoPackage path (made if absent) or an
    open store; for a PostGIS store the path is None (the app server's own work folder goes there)."""
    if isinstance(where, PostGISStore):
        return where.url, None
    return "", Path(where if isinstance(where, (str, Path)) else where.path)


def _work(tmp_path: Path, server: str) -> Path:
    """The work folder of the app server ``server`` in a test: its own, fresh, beside the test's."""
    return tmp_path / f"server-{server}"


@pytest.fixture
def serve(monkeypatch, tmp_path):
    """Return a function pointing the settings at a store as an app server would be: ``server`` names
    the server, so that a PostGIS store is served from that server's own work folder (a fresh one
    per test and server: what another app server on the same database holds is nothing)."""

    def point(where: Path | Store, *, server: str = "app") -> None:
        url, path = location_of(where)
        if url:
            monkeypatch.setenv("CM_STORE_URL", url)
            path = _work(tmp_path, server) / "store.gpkg"
        else:
            monkeypatch.delenv("CM_STORE_URL", raising=False)
        monkeypatch.setenv("CM_STORE_PATH", str(path))

    return point


@pytest.fixture
def served(tmp_path):
    """Return a function opening the store ``where`` as the app server ``server`` opens it (for
    PostGIS, in that server's work folder): what the server holds in memory is keyed by it."""

    def open_as(where: Path | Store, *, server: str = "app") -> Store:
        url, path = location_of(where)
        return open_store(url, work=_work(tmp_path, server)) if url else open_store(path)

    return open_as


@pytest.fixture
def app_on(serve):
    """Return a function that builds an AppTest of app.py over the store ``where`` (a GeoPackage path
    or an open store of either kind), on ``page``; ``server`` as :func:`serve`'s.

    ``query`` sets the URL's query parameters before the first run, as a shared link would;
    ``map_shown`` as :func:`run_app`'s.
    """

    def build(
        where: Path | Store,
        page: str | None = None,
        *,
        query: dict[str, str] | None = None,
        server: str = "app",
        map_shown: bool = True,
    ) -> AppTest:
        serve(where, server=server)
        return run_app(page, query=query, map_shown=map_shown)

    return build


def run_app(
    page: str | None = None, *, query: dict[str, str] | None = None, map_shown: bool = True
) -> AppTest:
    """Run app.py (on the store CM_STORE_PATH names), its URL's query set first, then switch to ``page``.

    ``map_shown``: the session has drawn the Map page's map in a browser before (AppTest has no
    browser to draw it), so that page draws its timeline from its first run; False for a new
    session's first visit, whose timeline waits for the map (ui.mapstate.timeline_waits).
    """
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.session_state[keys.MAP_SHOWN] = map_shown
    at.run()
    if page:
        at.switch_page(page).run()
    return at


# A backslash before ASCII punctuation, as ui.text.md_escape writes it; the word joiner it adds.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def as_shown(markdown: str) -> str:
    """The text a reader sees of Markdown ``markdown``: its backslash escapes resolved (the rest kept)."""
    return _ESCAPED.sub(r"\1", markdown).replace("\u2060", "")


@pytest.fixture
def shown():
    """Return :func:`as_shown`: Markdown source as read on screen (user text in it is escaped)."""
    return as_shown


@pytest.fixture
def texts():
    """Return a function joining every message, caption and markdown text of an AppTest, as shown."""

    def join(at: AppTest) -> str:
        elements = [*at.info, *at.error, *at.warning, *at.success, *at.caption, *at.markdown]
        return " ".join(as_shown(e.value) for e in elements)

    return join


@pytest.fixture
def empty_store_path(tmp_path) -> Path:
    return tmp_path / "empty" / "store.gpkg"


@pytest.fixture
def fresh_store_path(tmp_path) -> Path:
    return tmp_path / "fresh" / "store.gpkg"


@pytest.fixture
def empty_store(store_kind, empty_store_path, new_store) -> Path | Store:
    """An empty store of each kind: a GeoPackage path the app makes, or a new PostGIS database."""
    return empty_store_path if store_kind == "gpkg" else new_store(name="empty")


@pytest.fixture
def fresh_store(store_kind, new_store) -> Store:
    """A new, empty store of each kind, open in the test (its own handle and work folder, not the app's)."""
    return new_store(name="fresh")


@pytest.fixture(scope="session")
def demo_postgis(postgis_database, tmp_path_factory) -> Store:
    """A PostGIS store holding the demo batches with their analysis stored, as ``demo_store`` (read-only)."""
    from geo.demo import DEMO_DIR
    from geo.ingest import read_batch
    from geo.pipeline import analyse_store
    from geo.settings import load_settings

    store = open_store(postgis_database(), work=tmp_path_factory.mktemp("demo-postgis"))
    for path in sorted(DEMO_DIR.glob("*.geojson")):
        data = path.read_bytes()
        store.add_batch(read_batch(data, filename=path.name), original=data)
    settings = load_settings(environ={})
    analyse_store(store, scenario_dir=settings.scenario_dir, agreement_path=settings.agreement_path)
    return store


@pytest.fixture
def demo(request, store_kind) -> Store:
    """The demo store of each kind (session-wide, read-only): ``demo_store`` or :func:`demo_postgis`."""
    return request.getfixturevalue("demo_store" if store_kind == "gpkg" else "demo_postgis")


@pytest.fixture
def demo_copy(request, store_kind, tmp_path) -> Store:
    """A copy of the demo store of each kind with its stored analysis, for a test to change: the
    GeoPackage store's folder copied, or a database made from the demo's (the same store id, as a
    copied folder keeps it)."""
    if store_kind == "gpkg":
        request.getfixturevalue("demo_analysis")  # stored beside it
        demo = request.getfixturevalue("demo_store")
        shutil.copytree(demo.path.parent, tmp_path / "copy")
        return open_store(tmp_path / "copy" / demo.path.name)
    demo = request.getfixturevalue("demo_postgis")
    server, name = demo.url.rsplit("/", 1)
    copy = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"create database {copy} template {name}")
    return open_store(f"{server}/{copy}", work=tmp_path / "copy")


def edits_of(store: Store) -> ScenarioEdits:
    """The scenario edits of ``store`` as this handle reads them (for PostGIS: pulled from the database
    into the handle's own work folder, not the app server's)."""
    url, path = location_of(store)
    settings = Settings(store_path=store.path.parent / "store.gpkg") if url else Settings()
    return scenario_edits(settings, store_path=url or path)


@pytest.fixture
def small_batch():
    """Return a function building a valid GeoJSON batch of ``n`` impacts (bytes), properties overridable."""

    def build(n: int = 3, *, source: str = "desk", **props) -> bytes:
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [37.6 + i / 100, 48.1]},
                "properties": {
                    "id": f"u{i}",
                    "source": source,
                    "occurred_at": "2026-10-20T06:00:00Z",
                    "type": "impact",
                }
                | props,
            }
            for i in range(n)
        ]
        return json.dumps({"type": "FeatureCollection", "features": features}).encode()

    return build


def update_landed(store, timeout_s: float = 180) -> None:
    """Wait for the background update (ui.updating) of the app server's ``store`` to finish; it must have succeeded."""
    from ui import updating

    deadline = time.monotonic() + timeout_s
    job = updating.job(store)
    while job is not None and not job.done and time.monotonic() < deadline:
        time.sleep(0.1)
        job = updating.job(store)
    assert job is not None and job.done and job.error is None
