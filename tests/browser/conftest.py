"""Browser harness: the Streamlit app on a free local port over a seeded demo store, and headless Chromium.

Every request to a host other than the loopback is blocked and recorded: the app must work offline.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("CM_CHROMIUM", "/usr/bin/chromium")
# CM_BROWSER_APP runs another entry script (a developer's experiment) instead of app.py.
APP = Path(os.environ.get("CM_BROWSER_APP", ROOT / "app.py"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
# The reports a map frame draws one by one (st_folium keeps the Leaflet map in the frame's `map_div`).
COUNT_UIDS = "() => { let n = 0; map_div.eachLayer(l => { if (l.feature && l.feature.properties.uid) n++; }); return n; }"
START_TIMEOUT_S = 60.0
# The tests that start servers and browsers run in two lanes under pytest-xdist (``make test``: two
# workers, ``--dist loadgroup``; tests/conftest.py): the tests on the session's demo server in the
# first, and those marked with this (most of those with servers of their own, and half of the screen
# matrix) in the second: about as long.
# A lane runs its tests one after another in their usual order (some count what one before stored).
SECOND_LANE = pytest.mark.xdist_group("servers-2")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def demo_store_path(tmp_path_factory) -> Path:
    """A store file seeded with the committed demo batches (data/demo), for the app to open."""
    try:
        from geo.demo import DEMO_DIR
        from geo.ingest import read_batch
        from geo.store import open_store
    except ImportError as exc:
        if "CM_BROWSER_APP" in os.environ:
            return tmp_path_factory.mktemp("browser-store") / "store.gpkg"  # an experiment brings its data
        pytest.skip(f"the browser tests need geo.ingest and geo.store to seed the demo store ({exc})")
    path = tmp_path_factory.mktemp("browser-store") / "store.gpkg"
    store = open_store(path)
    for batch in sorted(DEMO_DIR.glob("*.geojson")):
        data = batch.read_bytes()
        store.add_batch(read_batch(data, filename=batch.name), original=data)
    return path


@contextmanager
def running_app(
    store_path: Path,
    log: Path,
    *,
    options: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    port: int = 0,
    launcher: bool = False,
    timeout_s: float = START_TIMEOUT_S,
) -> Iterator[str]:
    """``streamlit run`` on a free port (or ``port``) over ``store_path``: its base URL while the block
    runs, stopped after. ``options``: more of streamlit's (``--secrets.files``); ``env``: more variables;
    ``launcher``: start it as ``make run`` does, ``python -m ui.serve`` (prepared before it listens),
    given ``timeout_s`` to answer."""
    if not APP.is_file():
        pytest.skip(f"no Streamlit entry script at {APP} yet")
    port = port or _free_port()
    env = {**os.environ, "CM_STORE_PATH": str(store_path), **(env or {})}
    start = (
        [sys.executable, "-m", "ui.serve"]
        if launcher
        else [sys.executable, "-m", "streamlit", "run", str(APP)]
    )
    command = [
        *start,
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        *options,
    ]  # fmt: skip
    with log.open("wb") as out:
        cwd = ROOT if launcher else APP.parent
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit not healthy after {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def app_url(demo_store_path: Path, tmp_path_factory) -> Iterator[str]:
    """Start ``streamlit run`` on a free port over the demo store; yield its base URL, stop it after."""
    with running_app(demo_store_path, tmp_path_factory.mktemp("streamlit") / "streamlit.log") as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (its own browser download is not used)."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM}: run scripts/install-browser.sh")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class OfflinePage:
    """A page whose requests to non-loopback hosts are blocked and listed in ``blocked``."""

    def __init__(self, page) -> None:
        self.page = page
        self.blocked: list[str] = []
        self.responses: list[tuple[str, int]] = []
        self.errors: list[str] = []


def keep_offline(context, blocked: list[str]) -> None:
    """Abort every request of ``context`` to a host other than the loopback, listing it in ``blocked``."""

    def route(r) -> None:
        host = urlsplit(r.request.url).hostname or ""
        if urlsplit(r.request.url).scheme in ("http", "https", "ws", "wss") and host not in LOOPBACK:
            blocked.append(r.request.url)
            r.abort()
        else:
            r.continue_()

    context.route("**/*", route)


@pytest.fixture
def offline_page(browser, app_url):
    """A fresh browser context on the app; fails the test if anything asked for another host."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=app_url)
    page = context.new_page()
    offline = OfflinePage(page)
    keep_offline(context, offline.blocked)
    page.on("response", lambda resp: offline.responses.append((resp.url, resp.status)))
    page.on("pageerror", lambda exc: offline.errors.append(str(exc)))
    yield offline
    context.close()
    assert offline.blocked == [], f"requests left the machine: {offline.blocked}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/browser (git-ignored) for screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


MAP_TIMEOUT_MS = 60_000


@pytest.fixture
def map_frame():
    """Return a function giving the Map page's st_folium frame once Leaflet and its legend are drawn."""

    def wait(page):
        page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', timeout=MAP_TIMEOUT_MS)
        frame = next(f for f in page.frames if "streamlit_folium" in f.url)
        frame.wait_for_selector(".leaflet-container .cm-legend", timeout=MAP_TIMEOUT_MS)
        return frame

    return wait
