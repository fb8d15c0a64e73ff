"""Bench: read a million stored reports back from the store, whole and filtered; print a table.

Run: ``python bench/store.py [--batches 10]``. Builds a store of N batches of 100k reports (one
validated batch with new ids per copy, so validation is not what is timed), then times
``Store.incidents()`` over everything, over one day, and over a box, and the same full read from
the GeoPackage with pyogrio (``use_arrow=True``) for comparison.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=10)
    args = parser.parse_args()

    import pyogrio
    from ingest import make_batch

    from geo.ingest import read_batch
    from geo.schema import report_uid
    from geo.store import open_store

    data = make_batch(100_000)
    base = read_batch(data, filename="bench.geojson")
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "store.gpkg")
        t0 = time.perf_counter()
        for b in range(args.batches):
            frame = base.accepted.copy()
            frame["id"] = frame["id"] + f"-{b}"
            frame["uid"] = report_uid(frame["source"], frame["id"])
            result = dataclasses.replace(base, accepted=frame, sha256=f"{b:064d}")
            store.add_batch(result, original=data)
        build = time.perf_counter() - t0
        n = store.count()
        rows = []
        for label, kwargs in (
            ("all reports", {}),
            ("one day", {"start": "2026-10-05", "end": "2026-10-05T23:59:59Z"}),
            ("a 0.5 x 0.5 degree box", {"bbox": (37.0, 48.0, 37.5, 48.5)}),
            ("one type", {"where": {"type": ["impact"]}}),
        ):
            t = time.perf_counter()
            got = len(store.incidents(**kwargs))
            rows.append((label, got, time.perf_counter() - t))
        t = time.perf_counter()
        got = len(pyogrio.read_dataframe(store.path, layer="incidents", use_arrow=True))
        rows.append(("all, pyogrio read of the GeoPackage (comparison)", got, time.perf_counter() - t))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"store of {n:,} reports built in {build:.1f} s ({args.batches} batches)\n")
    print("| query | reports | seconds |")
    print("| --- | ---: | ---: |")
    for label, got, seconds in rows:
        print(f"| {label} | {got:,} | {seconds:.2f} |")
    print(f"\npeak RSS of the process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
