"""Bench: the Map page in headless Chromium over stores of 10k, 100k and 1M reports; print a table.

Run: ``python bench/app.py [--sizes 10000 100000 1000000]``. For each size it seeds a store with
copies of the demo month (copy k moved by 31k days modulo a year and by up to 2 km, with new ids, so that
the analysis sees a plausible record rather than a million duplicates), analyses it once (the
store then keeps the analysis), starts the app on it as ``make run`` does (``python -m ui.serve``:
the analysis read back before the server listens) and measures:

- server start: from starting the process to its port answering (the imports, the read back, the
  warm-up for the first batch and the rehearsal of the first pages happen in it);
- first map, in Chromium: from opening /map to the map drawn (legend shown, incidents or hexagons
  on the canvas), timed by the browser's own clock: from the navigation's start (the page's
  ``performance.timeOrigin``) to the first animation frame after the map is drawn, watched from
  the page itself (:data:`DRAWN_AT`). Playwright's own wait, polled from this process, answered up
  to 1.8 s later on two busy cores; its figure for the cold server is printed too
  ("seen by the bench"). Each on the server just started (cold: its first page), in a browser
  that had never been there (an empty cache: Streamlit's and the map's scripts all fetched); then on a server
  started afresh on the same address, in a tab of that same browser (returning: its cache holds
  what the first visit fetched, as an officer's browser does); and in five more browser contexts on the
  first server, one after another, each with an empty cache (warm: the server's caches hold what
  the first page made; their median and range);
- filter change: from clicking a period preset to the map redrawn with the new legend; the median
  of six changes, "Last 7 days" and "Whole record" in turn;
- payload: bytes the browser received over the app's WebSocket for the first map (the map's
  HTML, scripts and data all travel that way), counted in a tab of its own that is not timed.

Needs Debian's chromium (``make browser``) and the project's venv.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("CM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 600_000
WARM_TABS = 5
DRAWN = (
    "() => { if (typeof map_div === 'undefined') return false; let n = 0;"
    " map_div.eachLayer(l => { if (l.feature && (l.feature.properties.uid || l.feature.properties.cell)) n++; });"
    " return n > 0 && document.querySelector('.cm-legend') !== null; }"
)


# Installed in every page of a bench's browser context: the top page watches the map's frame on
# each animation frame and notes the time of the frame after the one where it found the map drawn.
DRAWN_AT = """if (window === window.top) {
  const drawn = DRAWN_SOURCE;
  (function watch() {
    for (const frame of document.querySelectorAll('iframe[title="streamlit_folium.st_folium"]')) {
      let ok = false;
      try { ok = frame.contentWindow.Function('return (' + drawn + ')()')(); } catch (e) {}
      if (ok) { requestAnimationFrame(() => { window.cmMapDrawnAt = Date.now(); }); return; }
    }
    requestAnimationFrame(watch);
  })();
}""".replace("DRAWN_SOURCE", json.dumps(DRAWN))


def seed(n: int, path: Path) -> float:
    """Fill a store at ``path`` with ``n`` reports (copies of the demo month); return seconds."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    from geo.demo import DEMO_DIR
    from geo.ingest import read_batch
    from geo.schema import report_uid
    from geo.store import open_store

    batches = [read_batch(p.read_bytes(), filename=p.name) for p in sorted(DEMO_DIR.glob("*.geojson"))]
    demo = pd.concat([b.accepted for b in batches], ignore_index=True)
    template = batches[0]
    store = open_store(path)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    copies = int(np.ceil(n / len(demo)))
    per_batch = max(1, 100_000 // len(demo))
    for first in range(0, copies, per_batch):
        parts = []
        for k in range(first, min(copies, first + per_batch)):
            frame = demo.copy()
            shift = pd.Timedelta(days=int(k) * 31 % 365)  # copies spread over a year
            for col in ("occurred_at", "occurred_from", "occurred_to"):
                frame[col] = frame[col] + shift
            # Up to about 2 km in each direction.
            dx, dy = rng.uniform(-0.02, 0.02, len(frame)), rng.uniform(-0.02, 0.02, len(frame))
            points = frame.geometry.to_numpy()
            moved = shapely.points(shapely.get_x(points) + dx, shapely.get_y(points) + dy)
            frame = frame.set_geometry(gpd.GeoSeries(moved, crs=4326, index=frame.index))
            frame["id"] = frame["id"] + f"-c{k}"
            frame["uid"] = report_uid(frame["source"], frame["id"])
            parts.append(frame)
        accepted = pd.concat(parts, ignore_index=True).iloc[: n - first * len(demo)]
        result = dataclasses.replace(
            template,
            accepted=accepted,
            sha256=f"{first:064d}",
            rejected=[],
            issues=[],
            n_features=len(accepted),
        )
        store.add_batch(result, original=b"bench")
    return time.perf_counter() - t0


def analyse(path: Path) -> float:
    """Analyse the store once (kept with it); return seconds."""
    from geo.pipeline import analyse_store
    from geo.settings import load_settings
    from geo.store import open_store

    s = load_settings(environ={})
    t0 = time.perf_counter()
    analyse_store(open_store(path), scenario_dir=s.scenario_dir, agreement_path=s.agreement_path)
    return time.perf_counter() - t0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(path: Path, url: str = "", port: int = 0) -> tuple[subprocess.Popen, str, float]:
    """Start the app on the store (the GeoPackage at ``path``, or the PostGIS store at ``url`` with
    ``path``'s folder as this server's work folder) with ``python -m ui.serve`` on ``port`` (default
    a free one); return the process, its base URL once healthy and the seconds from its start to then."""
    port = port or _free_port()
    env = {**os.environ, "CM_STORE_PATH": str(path), "CM_STORE_URL": url}
    cmd = [sys.executable, "-m", "ui.serve", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    while time.perf_counter() - t0 < TIMEOUT_MS / 1000 and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                return proc, base, time.perf_counter() - t0
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the app server did not start")


def _map_frame(page):
    page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', timeout=TIMEOUT_MS)
    for _ in range(600):
        frames = [f for f in page.frames if "streamlit_folium" in f.url]
        if frames:
            return frames[-1]
        page.wait_for_timeout(50)
    raise SystemExit("no map frame")


def first_map(browser, base: str, context=None, *, count_bytes: bool = False):
    """Open /map in a new tab (of a new browser context, or of ``context``); return seconds to the
    drawn map (by the browser's clock, and as this process saw it), WebSocket bytes (0 unless
    ``count_bytes``), legend, context, page.

    Counting the bytes has Playwright hand every WebSocket message to this process: about 2 MB
    of map a page, copied while the browser draws it on the same two cores (a cold first map took
    7.96 s with it, 4.4 to 5.2 s without). A tab that counts them is not timed.
    """
    if context is None:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(DRAWN_AT)
    page = context.new_page()
    received = [0]
    if count_bytes:
        page.on(
            "websocket",
            lambda ws: ws.on(
                "framereceived", lambda payload: received.__setitem__(0, received[0] + len(payload))
            ),
        )
    t0 = time.perf_counter()
    page.goto(f"{base}/map")
    frame = _map_frame(page)
    frame.wait_for_function(DRAWN, timeout=TIMEOUT_MS)
    seen = time.perf_counter() - t0
    page.wait_for_function("() => window.cmMapDrawnAt !== undefined", timeout=TIMEOUT_MS)
    seconds = page.evaluate("() => (window.cmMapDrawnAt - performance.timeOrigin) / 1000")
    legend = frame.locator(".cm-legend-section").first.inner_text()
    page.wait_for_timeout(1000)  # let the component report its view; count what came with the map
    return (seconds, seen), received[0], legend, context, page


def filter_change(page, legend: str, preset: str = "Last 7 days") -> float:
    """Click a period preset; return seconds until a map with another legend is drawn."""
    t0 = time.perf_counter()
    page.get_by_role("button", name=preset).click()
    deadline = time.perf_counter() + TIMEOUT_MS / 1000
    while time.perf_counter() < deadline:
        for frame in [f for f in page.frames if "streamlit_folium" in f.url]:
            try:
                if frame.evaluate(DRAWN) and frame.locator(".cm-legend-section").first.inner_text() != legend:
                    return time.perf_counter() - t0
            except Exception:  # a frame being replaced
                continue
        page.wait_for_timeout(20)
    raise SystemExit("the map did not change after the filter")


def _legend_text(page) -> str:
    frame = [f for f in page.frames if "streamlit_folium" in f.url][-1]
    return frame.locator(".cm-legend-section").first.inner_text()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--stores",
        type=Path,
        help="keep the seeded, analysed stores in this folder and reuse them on the next run "
        "(seeding and analysing a million reports takes about ten minutes)",
    )
    parser.add_argument(
        "--postgis",
        metavar="URL",
        nargs="+",
        default=[],
        help="instead of seeding: PostGIS stores already filled and analysed (e.g. by bench/analysis.py "
        "--store --postgis), each served by a new app server with an empty work folder",
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        runs = [(url, 0) for url in args.postgis] or [("", n) for n in args.sizes]
        for url, n in runs:
            path = (args.stores or Path(tmp)) / f"store-{n}.gpkg"
            if url:
                path = Path(tempfile.mkdtemp(dir=tmp)) / "store.gpkg"  # a new server: no copies yet
                seeding = analysing = float("nan")
            elif path.exists():
                seeding = analysing = float("nan")  # reused: not measured on this run
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                seeding = seed(n, path)
                analysing = analyse(path)
            port = _free_port()
            proc, base, started = serve(path, url, port)
            try:
                cold, _, legend, returning, seen = first_map(browser, base)  # its cache now holds the app
                seen.close()  # (left open, it would reconnect to the next server and run a page there)
                _, warm_bytes, _, counted, _ = first_map(browser, base, count_bytes=True)
                counted.close()
                # Warm: five new browser contexts one after another (this machine's runs of the same
                # thing differ by a second), the last kept for the filter changes.
                warms, ctx = [], None
                for _ in range(WARM_TABS):
                    if ctx is not None:
                        ctx.close()
                        time.sleep(2)  # the closed tab's last runs end on the server
                    warm, _, legend, ctx, page = first_map(browser, base)
                    warms.append(warm[0])
                warm = (statistics.median(warms), min(warms), max(warms))
                # Back and forth between a week and the whole record: the median of six changes.
                changes = []
                for preset in ("Last 7 days", "Whole record") * 3:
                    changes.append(filter_change(page, legend, preset))
                    legend = _legend_text(page)
                change = (statistics.median(changes), min(changes), max(changes))
                ctx.close()
            finally:
                proc.terminate()
                proc.wait()
            # A server started afresh on the same address, opened by a browser that has been there.
            if url:
                path = Path(tempfile.mkdtemp(dir=tmp)) / "store.gpkg"
            proc, base, _ = serve(path, url, port)
            try:
                back = first_map(browser, base, context=returning)[0]
                returning.close()
            finally:
                proc.terminate()
                proc.wait()
            if url:
                from geo.store import open_store

                n = open_store(url, work=path.parent).count()
            rows.append((n, seeding, analysing, started, *cold, back[0], warm, change, warm_bytes, legend))
            print(f"done {n:,}", file=sys.stderr)
        browser.close()
    print(
        "| reports | seed store (s) | analyse once (s) | server start (s) | first map, cold server (s) "
        "| the same, seen by the bench (s) | first map, cold server, returning browser (s) "
        "| first map, warm, median of 5 (range) (s) "
        "| filter change, median of 6 (range) (s) | payload (MB) | what the map drew |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for n, seeding, analysing, started, cold, seen, back, warm, change, size, legend in rows:
        print(
            f"| {n:,} | {seeding:.1f} | {analysing:.1f} | {started:.1f} | {cold:.2f} | {seen:.2f} | {back:.2f} "
            f"| {warm[0]:.2f} ({warm[1]:.2f}-{warm[2]:.2f}) "
            f"| {change[0]:.2f} ({change[1]:.2f}-{change[2]:.2f}) "
            f"| {size / 1e6:.2f} | {legend} |"
        )


if __name__ == "__main__":
    main()
