"""Bench: pattern statistics (surges, hotspots, space-time clusters, profiles) on 100k and 1M reports.

Run: ``python bench/patterns.py [--sizes 100000 1000000] [--repeat 1]``. Reports are synthetic and
seeded (``geo.patterns.synthetic.along_line``): uniform along the demo scenario's latest contact
line, offset across it with a 10 km normal spread, uniform over the demo month (31 days; ``--days`` for
longer periods), in eight sectors. Each part runs in a child process: its time (best of ``--repeat``) and the child's peak RSS
(VmHWM, reset after the reports are generated) with the RSS before the part beside it, so the
part's own memory is the difference. ``page`` is everything the Patterns page computes (``find_patterns`` with every
part); ``score`` is what the analysis adds for the score (surges and clusters). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PARTS = {
    "surges": ("surges",),
    "hotspots": ("hotspots",),
    "clusters": ("clusters",),
    "profiles": ("profiles",),
    "score": ("surges", "clusters"),
    "page": ("surges", "hotspots", "clusters", "profiles"),
}


def reports(n: int, days: int):
    """N synthetic reports along the demo's latest contact line over ``days`` days."""
    from geo.patterns import synthetic
    from geo.scenario import load_scenario

    scenario = load_scenario()
    line = scenario.lines.sort_values("valid_from").geometry.iloc[-1]
    return synthetic.along_line(n, seed=0, line=line, days=days), scenario.zones


def status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS now, VmHWM the peak), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    """Start the peak RSS (VmHWM) afresh from the current RSS (Linux; ignored elsewhere)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def child(part: str, n: int, repeat: int, days: int) -> None:
    """Run one part once or more and print its best time and memory as JSON (in a fresh process)."""
    from geo.patterns import find_patterns

    frame, zones = reports(n, days)
    gc.collect()
    reset_peak()  # the part's peak, not the generator's
    before = status_mb("VmRSS")
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        found = find_patterns(frame, zones=zones, parts=PARTS[part])
        best = min(best, time.perf_counter() - t0)
        del found
    print(json.dumps({"seconds": best, "rss_mb": status_mb("VmHWM"), "data_mb": before}))


def run_child(part: str, n: int, repeat: int, days: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", part, str(n), "--repeat", str(repeat), "--days", str(days)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--parts", nargs="+", choices=list(PARTS), default=list(PARTS))
    parser.add_argument("--repeat", type=int, default=1, help="runs per part (best kept)")
    parser.add_argument("--days", type=int, default=31, help="period of the reports (default 31)")
    parser.add_argument("--child", nargs=2, metavar=("PART", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.repeat, args.days)
        return

    print(f"cores: {os.cpu_count()}; reports over {args.days} days\n")
    print("| reports | part | seconds | peak RSS MB | RSS before the part MB |")
    print("| ---: | --- | ---: | ---: | ---: |")
    for n in sorted(args.sizes):
        for part in args.parts:
            got = run_child(part, n, args.repeat, args.days)
            print(
                f"| {n:,} | {part} | {got['seconds']:.2f} | {got['rss_mb']:,.0f} | {got['data_mb']:,.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
