"""Bench: the whole analysis (enrich, rules, corroborate, patterns, score) at mission scale, per stage.

Run: ``python bench/analysis.py [--sizes 10000 100000] [--layout demo overlap] [--store]``. Reports are the demo
month (data/demo, 3,667 reports of a real mission's phenomena) copied until the size is reached, with
new ids. Two layouts (issue 12): ``demo`` puts each copy a month after the last, so the density is the
demo month's over a longer period; ``overlap`` puts every copy in the same month, shifted by up to
2 km and 30 minutes, the stress case in which corroboration chains reports of different copies into
very large components. Each run is a child process: ``geo.pipeline.analyse`` with its seconds per
stage (``geo.pipeline.Timings``) and the child's own peak memory (VmHWM). Prints a Markdown table.

With ``--store`` each run goes through a real store instead (``geo.refresh.refresh_store``, the path
the app and the CLI take): the reports but the newest 1,000 are stored in batches of 100,000 (by a
process of its own: the measuring one opens a store it did not fill, as an app server does) and
analysed from scratch (the analysis written with the store); the newest 1,000 then come as one
batch and the analysis is brought up to date (incremental); then the process forgets it and reads
it back in a fresh process, as a restarted app server does (timed from after the libraries load).
Seconds and peak memory for each (the peak of the process from the start of the step, memory
already held included, and printed apart: during the update the previous analysis is held, as an
app server holds it), and what the update recomputed. The store is removed at the end.

With ``--postgis URL`` (a PostGIS server, e.g. the one ``make postgis`` starts) the store is a PostGIS
store in a new database on that server, dropped at the end; the read back is then a new app server's
first analysis: a fresh process with an empty work folder reads the analysis from the database.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

STAGES = ("enrich", "origins", "rules", "corroborate", "patterns", "score")
# The PostGIS server of --postgis (children read it from CM_BENCH_POSTGIS); empty: GeoPackage stores.
POSTGIS = os.environ.get("CM_BENCH_POSTGIS", "")


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


def make_store(n: int, layout: str, folder: str) -> None:
    """Store ``n`` reports in a new store in ``folder``, in batches of 100,000, all but the newest
    1,000, which are kept in ``held.pkl`` beside it for the update (run in a process of its own)."""
    frame = reports(n, layout).sort_values("occurred_at", kind="stable").reset_index(drop=True)
    store = open_bench_store(Path(folder), "maker")
    held = frame.tail(1000).copy()
    for k, first in enumerate(range(0, len(frame) - len(held), 100_000)):
        put(store, frame.iloc[first : min(first + 100_000, len(frame) - len(held))], k)
    held.to_pickle(Path(folder) / "held.pkl")


def open_bench_store(folder: Path, server: str = "bench"):
    """The bench's store in ``folder``: the GeoPackage there, or the PostGIS store whose URL is in
    ``folder/url.txt`` as app server ``server`` (each with its own work folder)."""
    from geo.store import open_store

    url = folder / "url.txt"
    if url.is_file():
        return open_store(url.read_text().strip(), work=folder / f"work-{server}")
    return open_store(folder / "store.gpkg")


def put(store, rows, k: int) -> None:
    """Add ``rows`` to ``store`` as one batch (the ``k``-th)."""
    import dataclasses
    import hashlib

    from geo.ingest import read_batch

    template = read_batch(b'{"type": "FeatureCollection", "features": []}', filename="bench.geojson")
    original = f"bench {k}".encode()  # a file of its own, named by its content, as a store checks
    result = dataclasses.replace(
        template,
        accepted=rows.reset_index(drop=True),
        sha256=hashlib.sha256(original).hexdigest(),
        n_features=len(rows),
    )
    store.add_batch(result, original=original)


def child_store(n: int, layout: str) -> None:
    import gc
    import shutil
    import tempfile

    import pandas as pd

    folder = Path(tempfile.mkdtemp(prefix="bench-analysis-"))
    made = None
    try:
        if POSTGIS:
            from pgbench_db import create

            made = create(POSTGIS)
            (folder / "url.txt").write_text(made)
        # The store is made by a process of its own: this one, like an app server, opens a store
        # it did not fill. The generator's memory, freed and even given back to the system, left
        # this process holding a quarter of a gigabyte more at a million reports.
        subprocess.run([sys.executable, __file__, "--make-store", str(n), layout, str(folder)], check=True)
        store = open_bench_store(folder)
        held = pd.read_pickle(folder / "held.pkl")
        gc.collect()
        run_store(store, held, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if made is not None:
            from pgbench_db import drop

            drop(made)


def run_store(store, held, folder: Path) -> None:
    """From scratch, the ``held`` batch, then a read back in a fresh process; print a JSON line."""
    import gc

    from geo.memory import give_back_memory
    from geo.pipeline import Timings
    from geo.refresh import forget, refresh_store
    from geo.settings import load_settings

    settings = load_settings()
    kw = {"scenario_dir": settings.scenario_dir, "agreement_path": settings.agreement_path}
    out, events = {}, 0
    for step in ("scratch", "update"):
        if step == "update":
            put(store, held, 10_000)
        reset_peak()
        held_mb = peak_mb()
        timings = Timings()
        t0 = time.perf_counter()
        result, done = refresh_store(store, timings=timings, **kw)
        out[step] = {
            "total": time.perf_counter() - t0,
            "mode": done.mode,
            "summary": done.summary(),
            "peak_mb": peak_mb(),
            "held_mb": held_mb,
            **timings,
        }
        events = len(result.events)
        del result  # the process's memo (geo.refresh) holds the analysis, as an app server's does
    forget(store)
    gc.collect()
    # The server that made the analysis stops: what it held goes back to the system, as at its exit.
    # Held on, its 2.8 GB made the fresh process's first touch of every page it reads into cost
    # more on this virtual machine (a read back of the million took 5.8 to 6.2 s beside it, 2.7 to
    # 3.5 s alone).
    give_back_memory()
    # A restarted server: a fresh process whose libraries are loaded (as at a server's start) reads it back.
    done = subprocess.run(
        [sys.executable, __file__, "--read-back", str(folder)], capture_output=True, text=True, check=True
    )
    out["read back"] = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps({"events": events, **out}))


def child_read_back(folder: str) -> None:
    """Read the stored analysis of the bench's store in ``folder`` back in this fresh process (for
    PostGIS, a new app server: an empty work folder); print seconds and peak."""
    from geo.pipeline import Timings
    from geo.refresh import refresh_store
    from geo.settings import load_settings

    settings = load_settings()
    store = open_bench_store(Path(folder), "restarted")
    reset_peak()
    timings = Timings()
    t0 = time.perf_counter()
    _, done = refresh_store(
        store, scenario_dir=settings.scenario_dir, agreement_path=settings.agreement_path, timings=timings
    )
    print(json.dumps({"total": time.perf_counter() - t0, "mode": done.mode, "peak_mb": peak_mb(), **timings}))


def reset_peak() -> None:
    """Start this process's peak memory (VmHWM) again from what it holds now (Linux)."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_mb() -> int:
    """This process's peak resident memory (VmHWM) since the last :func:`reset_peak`, in MB."""
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--layout", nargs="+", choices=["demo", "overlap"], default=["demo", "overlap"])
    parser.add_argument(
        "--store", action="store_true", help="through a store: from scratch, a 1k batch, read back"
    )
    parser.add_argument(
        "--postgis",
        metavar="URL",
        help="with --store: a PostGIS store on this server (a new database, dropped after)",
    )
    parser.add_argument("--child", nargs=2, metavar=("N", "LAYOUT"), help=argparse.SUPPRESS)
    parser.add_argument("--read-back", metavar="STORE", help=argparse.SUPPRESS)
    parser.add_argument("--make-store", nargs=3, metavar=("N", "LAYOUT", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    global POSTGIS
    POSTGIS = args.postgis or os.environ.get("CM_BENCH_POSTGIS", "")
    if POSTGIS:
        os.environ["CM_BENCH_POSTGIS"] = POSTGIS  # for the child processes
    if args.make_store:
        make_store(int(args.make_store[0]), args.make_store[1], args.make_store[2])
        return
    if args.read_back:
        child_read_back(args.read_back)
        return
    if args.child:
        (child_store if args.store else child)(int(args.child[0]), args.child[1])
        return
    if args.store:
        store_table(args)
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


def store_table(args: argparse.Namespace) -> None:
    steps = ("scratch", "update", "read back")
    if POSTGIS:
        from geo.store.migrate import shown

        print(f"PostGIS store on {shown(POSTGIS)}; read back by a new app server (empty work folder)\n")
    else:
        print("GeoPackage store\n")
    print(
        "| reports | layout | events | from scratch s | peak MB | 1k batch: update s | peak MB "
        "| restart: read back s | peak MB |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    details = []
    for layout in args.layout:
        for n in args.sizes:
            done = subprocess.run(
                [sys.executable, __file__, "--store", "--child", str(n), layout],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(done.stdout.strip().splitlines()[-1])
            cells = " | ".join(f"{r[s]['total']:.1f} | {r[s]['peak_mb']:,}" for s in steps)
            print(f"| {n:,} | {layout} | {r['events']:,} | {cells} |", flush=True)
            details.append(f"- {n:,} {layout}, restart: {r['read back']['mode']}")
            for step in ("scratch", "update"):
                stages = {k: round(v, 2) for k, v in r[step].items() if isinstance(v, float) and k != "total"}
                details.append(
                    f"- {n:,} {layout}, {step}: {r[step]['summary']}; held before {r[step]['held_mb']:,} MB; "
                    f"stages (s) {stages}"
                )
    print()
    print("\n".join(details))


if __name__ == "__main__":
    main()
