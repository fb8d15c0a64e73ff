"""A server prepared before it listens (``python -m ui.serve``, geo.warm.prepare): its first page
shows the analysis read back at the start, analyses nothing, and a store that cannot be read does
not stop the start."""

from __future__ import annotations

import socket

import pytest

from geo import refresh
from geo.audit.log import AuditLog
from geo.hexcells import MAX_RESOLUTION
from geo.maps.aggregate import _indexes
from geo.settings import load_settings
from geo.warm import prepare
from tests.app.conftest import run_app
from ui.serve import REHEARSED, preloaded, rehearse


def _never(*args, **kwargs):
    raise AssertionError("the first page analysed the store: the prepared analysis was not used")


def test_the_first_map_shows_the_analysis_read_back_at_the_start(
    store_kind, demo_copy, serve, served, monkeypatch, texts
):
    serve(demo_copy)  # the demo batches with their analysis kept
    store = served(demo_copy)
    refresh.forget(store)  # this process is a new server: it holds nothing of the store yet
    said = []
    ready = prepare(load_settings(), say=said.append)
    assert ready.how == "read back", ready
    assert ready.reports == store.count() and ready.revision == store.revision()
    assert "Ready: the analysis of store revision" in ready.describe()
    assert said and said[0].startswith("Preparing: reading the analysis of ")
    held = refresh.latest(store)
    assert held is not None and len(held[1].reports) == store.count()
    # The finest hexagon index is made; the coarser ones the map asks for come from it.
    assert MAX_RESOLUTION in _indexes(held[1].reports)

    # The page finds it: refresh_store (read back or analyse) is never called, no progress bar.
    monkeypatch.setattr(refresh, "refresh_store", _never)
    at = run_app("app_pages/map.py")
    assert not at.exception, at.exception
    assert f"{store.count():,} reports" in texts(at)
    assert not [e for e in at.error]
    assert "Analysing the stored reports" not in texts(at)


def test_a_store_whose_analysis_is_not_kept_is_left_to_the_first_page(
    store_kind, fresh_store, serve, served, small_batch
):
    from geo.ingest import read_batch

    data = small_batch(3)
    fresh_store.add_batch(read_batch(data, filename="three.geojson"), original=data)
    serve(fresh_store)
    store = served(fresh_store)
    ready = prepare(load_settings(), say=lambda line: None)
    assert ready.how == "nothing stored"
    assert ready.revision == store.revision()
    assert refresh.latest(store) is None  # nothing analysed: the first page does it, with its bar
    assert "the first page analyses the stored reports" in ready.describe()


def test_an_empty_store_is_said_to_be_empty(store_kind, empty_store, serve):
    serve(empty_store)
    ready = prepare(load_settings(), say=lambda line: None)
    assert ready.how == "empty"
    assert ready.describe().startswith("Ready: the store holds no reports yet")


def test_an_unreachable_store_is_said_and_does_not_stop_the_start(monkeypatch, tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("CM_STORE_URL", f"postgresql://cm:secret@127.0.0.1:{port}/ceasefire")
    monkeypatch.setenv("CM_STORE_PATH", str(tmp_path / "server" / "store.gpkg"))
    ready = prepare(load_settings(), say=lambda line: None)
    assert ready.how == "failed"
    line = ready.describe()
    assert "Cannot reach the PostGIS store" in line and "the first page tries again" in line
    assert "secret" not in line


@pytest.mark.parametrize("module", ["geo.pipeline", "geo.maps.build", "geo.report", "geopandas", "altair"])
def test_the_launcher_imports_the_engine_and_libraries_the_pages_use(module):
    # Read from the code of app.py, the pages and ui/, so that a new import is prepared too.
    named = {f"{module}.{name}" for module, names in preloaded().items() for name in names}
    assert module in named | set(preloaded())


def test_the_launcher_leaves_components_and_pages_to_the_rehearsal():
    # They are imported by the rehearsal's script runs (rehearse); app.py registers the map's
    # component with the server (tests/browser/test_launcher.py draws the map of a launched server).
    assert not [
        m for m in preloaded() if m.split(".")[0] in ("streamlit", "streamlit_folium", "ui", "app_pages")
    ]


def test_the_rehearsal_runs_the_first_pages_as_a_viewer_and_changes_nothing(
    store_kind, demo_copy, serve, served
):
    serve(demo_copy)
    store = served(demo_copy)
    refresh.forget(store)
    assert prepare(load_settings(), say=lambda line: None).how == "read back"
    revision, entries = store.revision(), len(AuditLog(store).all())
    said = []
    assert rehearse(say=said.append) == []
    assert [line.split(" rehearsed in ")[0] for line in said] == [f"Preparing: {page}" for page in REHEARSED]
    assert store.revision() == revision and len(AuditLog(store).all()) == entries


def test_a_page_that_fails_its_rehearsal_is_said_and_does_not_stop_the_start(store_kind, demo_copy, serve):
    serve(demo_copy)
    said = []
    assert rehearse(("app_pages/no_such_page.py", "app_pages/map.py"), say=said.append) == [
        "app_pages/no_such_page.py"
    ]
    assert said[0].startswith("Preparing: rehearsing app_pages/no_such_page.py failed (")
    assert said[0].endswith("its first run will say so.")
    assert said[1].startswith("Preparing: app_pages/map.py rehearsed in ")
