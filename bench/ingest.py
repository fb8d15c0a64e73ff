"""Bench: validate and store batches of 10k and 100k reports; print a table of seconds and peak memory.

Run: ``python bench/ingest.py [--sizes 10000 100000]``. Each size runs in a fresh child process so
that its peak resident memory (ru_maxrss) is its own. Target (issue 2): 100k reports validated and
stored in under 10 s on 2 cores, peak memory under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TYPES = ["undetermined_explosion", "impact", "outgoing_fire", "burst_or_shots", "weapon_sighting"]
WEAPONS = ["unknown", "mortar", "artillery_ge100mm", "mlrs", "small_arms"]


def make_batch(n: int, *, seed: int = 7) -> bytes:
    """Return a valid FeatureCollection of ``n`` reports along the front, with bearings on a fifth."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(35.0, 38.5, n).round(6)
    lat = rng.uniform(46.8, 49.5, n).round(6)
    minutes = rng.integers(0, 30 * 24 * 60, n)
    features = []
    for i in range(n):
        props = {
            "id": f"r{i:07d}",
            "source": f"SMM-OP-{i % 40:02d}",
            "occurred_at": f"2026-10-{1 + minutes[i] // 1440:02d}T{minutes[i] % 1440 // 60:02d}:{minutes[i] % 60:02d}:00Z",
            "type": TYPES[i % len(TYPES)],
            "weapon": WEAPONS[i % len(WEAPONS)],
            "count": int(1 + i % 18),
            "reliability": "ABCDEF"[i % 6],
            "credibility": 1 + i % 6,
            "location_precision_m": 500,
            "description": "explosions heard",
        }
        if i % 5 == 0:
            props |= {
                "observer_lon": float(lon[i]) - 0.05,
                "observer_lat": float(lat[i]),
                "bearing_deg": float(i % 360),
                "distance_min_m": 2000,
                "distance_max_m": 5000,
            }
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon[i], lat[i]]},
                "properties": props,
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def run_one(n: int) -> dict[str, float]:
    """Validate and store one batch of ``n`` reports in a new store; return the timings."""
    from geo.ingest import read_batch
    from geo.store import open_store

    data = make_batch(n)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = read_batch(data, filename="bench.geojson")
        t1 = time.perf_counter()
        receipt = open_store(Path(tmp) / "store.gpkg").add_batch(result, original=data)
        t2 = time.perf_counter()
    assert receipt.accepted == n, receipt.message
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "n": n,
        "mb": len(data) / 1e6,
        "validate_s": t1 - t0,
        "store_s": t2 - t1,
        "total_s": t2 - t0,
        "peak_mb": peak / 1024,
        "input_rss_mb": base / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    print("| reports | file MB | validate s | store s | total s | reports/s | peak RSS MB |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], check=True, capture_output=True, text=True
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"| {n:,} | {r['mb']:.1f} | {r['validate_s']:.2f} | {r['store_s']:.2f} | {r['total_s']:.2f} "
            f"| {n / r['total_s']:,.0f} | {r['peak_mb']:.0f} |"
        )
    print("\npeak RSS is the whole child process (Python, libraries, the input bytes and the frames).")


if __name__ == "__main__":
    main()
