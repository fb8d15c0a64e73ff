"""Bench: the whole analysis (enrich, rules, corroborate, patterns, score) at mission scale, per stage.

Run: ``python bench/analysis.py [--sizes 10000 100000] [--layout demo overlap]``. Reports are the demo
month (data/demo, 3,667 reports of a real mission's phenomena) copied until the size is reached, with
new ids. Two layouts (issue 12): ``demo`` puts each copy a month after the last, so the density is the
demo month's over a longer period; ``overlap`` puts every copy in the same month, shifted by up to
2 km and 30 minutes, the stress case in which corroboration chains reports of different copies into
very large components. Each run is a child process: ``geo.pipeline.analyse`` with its seconds per
stage (``geo.pipeline.Timings``) and the child's own peak memory (VmHWM). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STAGES = ("enrich", "rules", "corroborate", "patterns", "score")


def reports(n: int, layout: str):
    """``n`` reports: the demo month copied, a month apart (``demo``) or on top of each other (``overlap``)."""
    import numpy as np
    import pandas as pd
    import shapely

    from geo.demo import DEMO_DIR
    from geo.ingest import read_batch

    base = pd.concat(
        [read_batch(p.read_bytes(), filename=p.name).accepted for p in sorted(DEMO_DIR.glob("*.geojson"))],
        ignore_index=True,
    )
    rng = np.random.default_rng(0)
    parts, k = [], 0
    while sum(len(p) for p in parts) < n:
        c = base.copy()
        if layout == "demo":
            shift = pd.Timedelta(days=31 * k)
        else:
            shift = pd.to_timedelta(rng.uniform(0, 30, len(c)), unit="min")
            step = rng.uniform(0, 2000, len(c)) / 111_000  # up to about 2 km, in degrees
            angle = rng.uniform(0, 2 * np.pi, len(c))
            c.geometry = shapely.transform(
                c.geometry.to_numpy(),
                lambda xy, s=step, a=angle: xy + np.column_stack([s * np.cos(a), s * np.sin(a)]),
            )
        for col in ("occurred_at", "occurred_from", "occurred_to"):
            c[col] = c[col] + shift
        c["id"] = c["id"] + f"-{k}"
        c["uid"] = c["uid"] + f"-{k}"
        c["cites"] = c["cites"].where(c["cites"].isna(), c["cites"] + f"-{k}")
        parts.append(c)
        k += 1
    return pd.concat(parts, ignore_index=True).head(n)


def child(n: int, layout: str) -> None:
    from geo.pipeline import Timings, analyse
    from geo.settings import load_settings

    frame = reports(n, layout)
    settings = load_settings()
    timings = Timings()
    t0 = time.perf_counter()
    result = analyse(
        frame, scenario_dir=settings.scenario_dir, agreement_path=settings.agreement_path, timings=timings
    )
    total = time.perf_counter() - t0
    status = Path("/proc/self/status").read_text().splitlines()
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) // 1024
    print(json.dumps({"total": total, "events": len(result.events), "peak_mb": peak, **timings}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--layout", nargs="+", choices=["demo", "overlap"], default=["demo", "overlap"])
    parser.add_argument("--child", nargs=2, metavar=("N", "LAYOUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(int(args.child[0]), args.child[1])
        return
    print("| reports | layout | events | " + " | ".join(STAGES) + " | total s | peak MB |")
    print("| ---: | --- | ---: | " + " | ".join("---:" for _ in STAGES) + " | ---: | ---: |")
    for layout in args.layout:
        for n in args.sizes:
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(n), layout],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(done.stdout.strip().splitlines()[-1])
            stages = " | ".join(f"{r.get(s, 0.0):.1f}" for s in STAGES)
            print(
                f"| {n:,} | {layout} | {r['events']:,} | {stages} | {r['total']:.1f} | {r['peak_mb']:,} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
