"""Bench: distance to the line in force, side and zones for N reports, against the naive GeoPandas path;
and the fire-origin densities (``--origins``).

Run: ``python bench/enrich.py [--sizes 10000 100000 1000000] [--naive-max 1000000]``, or
``python bench/enrich.py --origins [--sizes ...]`` for ``geo.attribution.estimate_origins`` on N
reports over a year, 40 % of them fire heard, seen or filmed from posts within 15 km of the line
(random bearings and distances, posts reporting in pairs now and then so that some triangulate). The demo
scenario's two line versions are densified to about 10,000 vertices each; its control areas and
zones are used as they are. Reports are random points in the theatre box (settings.theatre_bbox)
during October 2026, so both versions are in use. Each size runs in a child process (its peak RSS
is that child's ``ru_maxrss``): ``geo.proximity.measure`` best of ``--repeat`` runs, and the naive
path (``to_crs(...).distance(line)`` per version plus two ``sjoin``) once. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VERTICES = 10_000
# Above this the naive run is not attempted; its time is extrapolated linearly from a smaller size.
NAIVE_BUDGET_S = 180.0


def scenario_inputs():
    """The demo scenario with each line version densified to about VERTICES vertices."""
    import shapely

    from geo.scenario import load_scenario

    scenario = load_scenario()
    lines = scenario.lines.copy()
    geoms = lines.geometry.to_numpy()
    # Cut each version into VERTICES pieces of equal length in degrees (the line is stored in lon/lat).
    lines["geometry"] = [shapely.segmentize(g, shapely.length(g) / (VERTICES - 1) * 1.0001) for g in geoms]
    return lines, scenario.control_areas, scenario.zones


def reports(n: int, *, seed: int = 0):
    """N random reports in the theatre box during October 2026."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from geo.settings import Settings

    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = Settings().theatre_bbox
    start = pd.Timestamp("2026-10-01", tz="UTC").value
    times = pd.to_datetime(rng.integers(start, start + 31 * 86_400 * 10**9, n), utc=True)
    frame = pd.DataFrame({"occurred_at": times, "location_precision_m": rng.uniform(0, 3_000, n)})
    geometry = gpd.points_from_xy(rng.uniform(x0, x1, n), rng.uniform(y0, y1, n))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=4326)


def origin_reports(n: int, *, seed: int = 0):
    """N reports over a year: 40 % locate an origin (observer, bearing, distance), near the demo line."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    from geo.scenario import load_scenario

    rng = np.random.default_rng(seed)
    line = load_scenario().lines.geometry.iloc[-1]
    along = shapely.line_interpolate_point(line, rng.uniform(0, 1, n), normalized=True)
    # Observers up to about 15 km either side of the line (0.2 degrees).
    lon = shapely.get_x(along) + rng.uniform(-0.2, 0.2, n)
    lat = shapely.get_y(along) + rng.uniform(-0.1, 0.1, n)
    start = pd.Timestamp("2026-01-01", tz="UTC").value
    times = pd.to_datetime(rng.integers(start, start + 365 * 86_400 * 10**9, n), utc=True)
    origin = rng.uniform(0, 1, n) < 0.4
    kinds = np.array(["outgoing_fire", "burst_or_shots", "muzzle_flash"])
    frame = pd.DataFrame(
        {
            "uid": [f"B/{i}" for i in range(n)],
            "source": rng.choice([f"OP-{k}" for k in range(40)], n),
            "occurred_at": times,
            "type": np.where(origin, rng.choice(kinds, n), "impact"),
            "means": rng.choice(["heard", "seen", "camera"], n, p=[0.6, 0.3, 0.1]),
            "observer_lon": np.where(origin, lon, np.nan),
            "observer_lat": np.where(origin, lat, np.nan),
            "bearing_deg": np.where(origin, rng.uniform(0, 360, n).round(), np.nan),
            "distance_min_m": np.where(
                origin & (rng.uniform(0, 1, n) < 0.7), rng.uniform(500, 3000, n), np.nan
            ),
            "distance_max_m": np.nan,
        }
    )
    frame["distance_max_m"] = frame["distance_min_m"] * rng.uniform(1.0, 3.0, n)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=4326)


def naive(incidents, lines, control_areas, zones):
    """The straightforward GeoPandas path: project, distance per version, two spatial joins."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from geo.crs import centre_of, theatre_crs
    from geo.scenario.versions import version_at

    crs = theatre_crs(*centre_of(lines))
    version = version_at(incidents["occurred_at"], lines["valid_from"], lines["version"])
    metric = incidents.to_crs(crs)
    dist = pd.Series(np.nan, index=incidents.index)
    for label, line in zip(lines["version"], lines.to_crs(crs).geometry, strict=True):
        rows = version == label
        dist[rows] = metric.geometry[rows].distance(line)
    tagged = incidents[["geometry"]].assign(version=version)
    joined = gpd.sjoin(tagged, control_areas[["side", "version", "geometry"]], predicate="within")
    joined = joined[joined["version_left"] == joined["version_right"]]
    side = joined.groupby(level=0)["side"].first().reindex(incidents.index).fillna("none")
    in_zones = gpd.sjoin(incidents[["geometry"]], zones[["zone_id", "geometry"]], predicate="within")
    zone_lists = in_zones.groupby(level=0)["zone_id"].agg(list).reindex(incidents.index)
    return pd.DataFrame({"dist_to_line_m": dist, "side": side, "zones": zone_lists})


def child(kind: str, n: int, repeat: int) -> None:
    """Run one measurement and print it as JSON (called in a fresh process)."""
    from geo.proximity import measure

    if kind == "origins":
        from geo.attribution import estimate_origins
        from geo.scenario import load_scenario

        frame = origin_reports(n)
        areas = load_scenario().control_areas
        best = cpu = float("inf")
        for _ in range(repeat):
            c0, t0 = time.process_time(), time.perf_counter()
            out = estimate_origins(frame, control_areas=areas)
            seconds, used = time.perf_counter() - t0, time.process_time() - c0
            if seconds < best:
                best, cpu = seconds, used
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        located = int((out["origin_method"] != "none").sum())
        fixes = int((out["origin_method"] == "triangulated").sum())
        print(json.dumps({"seconds": best, "cpu": cpu, "rss_mb": rss_mb, "located": located, "fixes": fixes}))
        return
    lines, areas, zones = scenario_inputs()
    frame = reports(n)
    best = float("inf")
    cpu = float("inf")
    for _ in range(repeat if kind == "fast" else 1):
        c0, t0 = time.process_time(), time.perf_counter()
        if kind == "fast":
            out = measure(frame, lines=lines, control_areas=areas, zones=zones)
        else:
            out = naive(frame, lines, areas, zones)
        seconds, used = time.perf_counter() - t0, time.process_time() - c0
        if seconds < best:
            best, cpu = seconds, used
        del out
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": best, "cpu": cpu, "rss_mb": rss_mb}))


def run_child(kind: str, n: int, repeat: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(n), "--repeat", str(repeat)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--naive-max", type=int, default=1_000_000, help="largest size the naive path runs")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the fast path per size (best kept)")
    parser.add_argument("--origins", action="store_true", help="bench the fire-origin densities instead")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.repeat)
        return
    if args.origins:
        print(f"estimate_origins, reports over a year, 40 % with an origin; cores: {os.cpu_count()}\n")
        print("| reports | with an origin | triangulated | seconds | CPU seconds | peak RSS MB |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: |")
        for n in sorted(args.sizes):
            r = run_child("origins", n, args.repeat)
            print(
                f"| {n:,} | {r['located']:,} | {r['fixes']:,} | {r['seconds']:.2f} | {r['cpu']:.2f} "
                f"| {r['rss_mb']:,.0f} |",
                flush=True,
            )
        return

    lines, _, _ = scenario_inputs()
    import shapely

    vertices = ", ".join(str(v) for v in shapely.get_num_coordinates(lines.geometry.to_numpy()))
    print(f"line vertices per version: {vertices}; cores: {os.cpu_count()}\n")
    print("| reports | seconds | reports/s | CPU seconds | peak RSS MB | naive seconds | speed-up |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    rate = None  # naive seconds per report from the largest naive run so far
    for n in sorted(args.sizes):
        fast = run_child("fast", n, args.repeat)
        note = ""
        if n <= args.naive_max and (rate is None or rate * n <= NAIVE_BUDGET_S):
            slow = run_child("naive", n, 1)["seconds"]
            rate = slow / n
        elif rate is not None:
            slow = rate * n
            note = " (extrapolated)"
        else:
            slow = float("nan")
        print(
            f"| {n:,} | {fast['seconds']:.2f} | {n / fast['seconds']:,.0f} | {fast['cpu']:.2f} "
            f"| {fast['rss_mb']:,.0f} | {slow:.1f}{note} | {slow / fast['seconds']:.0f}x |",
            flush=True,
        )


if __name__ == "__main__":
    main()
