"""Bench: the briefing pack of a month of 10,000 reports, and the map image of 100,000 reports.

Run: ``python bench/brief.py [--pack-sizes 10000] [--image-sizes 100000] [--repeat 2]``. The reports
are the demo month (data/demo) copied with new ids, moved by about a kilometre and up to six hours,
until there are enough; the pack's reports are analysed once (enrich, corroborate, score) before
timing, and an image's reports are analysed copies of those. Each measurement runs in a child
process (its peak RSS is that child's ``ru_maxrss``, the data loaded from a pickle); the best of
``--repeat`` runs is kept. Targets: a pack under 10 s, an image under 5 s. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGETS_S = {"pack": 10.0, "image": 5.0, "image300": 5.0}
LABELS = {
    "pack": "PDF pack, month",
    "image": "map image, slide 150 dpi PNG",
    "image300": "map image, A4 300 dpi PNG",
}


def copies(frame, n: int, *, seed: int = 0):
    """``n`` reports made of ``frame``'s, each copy with new ids, moved ~1 km and up to 6 h (within October)."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from geo.schema import report_uid

    rng = np.random.default_rng(seed)
    reps = -(-n // len(frame))
    parts = []
    for k in range(reps):
        part = frame.copy()
        if k:
            part["id"] = part["id"] + f"-c{k}"
            part["uid"] = [report_uid(s, i) for s, i in zip(part["source"], part["id"], strict=True)]
            if "event_id" in part:
                part["event_id"] = part["event_id"] + f"-c{k}"
            shift = pd.to_timedelta(rng.uniform(-6, 6, len(part)), unit="h")
            for col in ("occurred_at", "occurred_from", "occurred_to"):
                moved = part[col] + shift
                part[col] = moved.clip(
                    pd.Timestamp("2026-10-01", tz="UTC"), pd.Timestamp("2026-10-31T23:59Z")
                )
            x = part.geometry.x + rng.normal(0, 0.01, len(part))
            y = part.geometry.y + rng.normal(0, 0.01, len(part))
            part = part.set_geometry(gpd.points_from_xy(x, y, crs=4326))
        parts.append(part)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=4326).iloc[:n]


def demo_reports():
    """The demo month's reports, as ingest reads them."""
    import geopandas as gpd
    import pandas as pd

    from geo.demo import DEMO_DIR
    from geo.ingest import read_batch

    frames = [
        read_batch(p.read_bytes(), filename=p.name).accepted for p in sorted(DEMO_DIR.glob("*.geojson"))
    ]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)


def prepare(n: int, folder: Path) -> tuple[Path, float]:
    """Analyse ``n`` copied demo reports; pickle the analysis; return the path and seconds."""
    from geo.pipeline import analyse
    from geo.settings import load_settings

    settings = load_settings(environ={})
    t0 = time.perf_counter()
    analysed = analyse(
        copies(demo_reports(), n), scenario_dir=settings.scenario_dir, agreement_path=settings.agreement_path
    )
    seconds = time.perf_counter() - t0
    path = folder / f"analysed-{n}.pickle"
    path.write_bytes(pickle.dumps(analysed))
    return path, seconds


def child(kind: str, source: Path, n: int, repeat: int) -> None:
    """Time one workload on the pickled analysis and print seconds, peak RSS and output size as JSON."""
    from geo.filters import Filters
    from geo.report import build_pack, map_image
    from geo.scenario import load_scenario
    from geo.settings import load_settings

    settings = load_settings(environ={})
    scenario = load_scenario(settings.scenario_dir)
    analysis = pickle.loads(source.read_bytes())
    reports = analysis.reports
    if len(reports) < n and kind != "pack":
        reports = copies(reports, n, seed=1)  # an image draws reports only: copies of the analysed ones
    month = Filters.from_params({"from": "2026-10-01", "to": "2026-10-31"})
    best, size, pages = float("inf"), 0, 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        if kind == "pack":
            out = build_pack(analysis, scenario, filters=month, settings=settings).pdf
            pages = out.count(b"/Type /Page\n")
        else:
            size, dpi = ("slide", 150) if kind == "image" else ("a4", 300)
            out = map_image(reports, scenario, filters=month, settings=settings, size=size, dpi=dpi)
        best = min(best, time.perf_counter() - t0)
        size = len(out)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": best, "rss_mb": rss_mb, "bytes": size, "pages": pages}))


def run_child(kind: str, source: Path, n: int, repeat: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(source), str(n), "--repeat", str(repeat)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack-sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--image-sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--repeat", type=int, default=2, help="runs per measurement (best kept)")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "PICKLE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), int(args.child[2]), args.repeat)
        return
    print(f"cores: {os.cpu_count()}\n")
    print("| workload | reports | seconds | target | peak RSS MB | output |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        base, seconds = prepare(max(args.pack_sizes), Path(tmp))
        print(f"| (analysis before timing) | {max(args.pack_sizes):,} | {seconds:.1f} | | | |", flush=True)
        for kind, sizes in (
            ("pack", args.pack_sizes),
            ("image", args.image_sizes),
            ("image300", args.image_sizes),
        ):
            for n in sorted(sizes):
                r = run_child(kind, base, n, args.repeat)
                out = f"{r['bytes'] / 1e6:.1f} MB" + (f", {r['pages']} pages" if kind == "pack" else "")
                print(
                    f"| {LABELS[kind]} | {n:,} | {r['seconds']:.2f} | < {TARGETS_S[kind]:g} | {r['rss_mb']:,.0f} | {out} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
