"""Bench: the store at a million reports: ingest, a full read, a day, a box, a type; GeoPackage and PostGIS.

Run: ``python bench/store.py [--batches 10] [--postgis URL]``. Builds a store of N batches of 100k
reports (one validated batch with new ids per copy, so validation is not what is timed) and times
``Store.incidents()`` over everything, over one day, over a box and over one type. With ``--postgis``
(a PostGIS server, e.g. the one ``make postgis`` starts) the same is done on a PostGIS store in a new
database, dropped at the end, twice: by the server that stored the batches (its local copies made
at ingest) and by a new app server with an empty work folder, which answers a filtered query from
the database's indexes and makes its copies on the first full read. The GeoPackage figures include
the same full read with pyogrio (``use_arrow=True``) for comparison. Prints one table.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

QUERIES = (
    ("one day", {"start": "2026-10-05", "end": "2026-10-05T23:59:59Z"}),
    ("a 0.5 x 0.5 degree box", {"bbox": (37.0, 48.0, 37.5, 48.5)}),
    (
        "a box and a day",
        {"bbox": (37.0, 48.0, 37.5, 48.5), "start": "2026-10-05", "end": "2026-10-05T23:59:59Z"},
    ),
    ("one type", {"where": {"type": ["impact"]}}),
    ("all reports", {}),
)


def fill(store, base, batches: int) -> list[float]:
    """Store ``batches`` copies of ``base`` (new ids each); return each batch's seconds."""
    from geo.schema import report_uid

    seconds = []
    for b in range(batches):
        frame = base.accepted.copy()
        frame["id"] = frame["id"] + f"-{b}"
        frame["uid"] = report_uid(frame["source"], frame["id"])
        original = f"bench batch {b}".encode()  # a file of its own, named by its content
        result = dataclasses.replace(base, accepted=frame, sha256=hashlib.sha256(original).hexdigest())
        t0 = time.perf_counter()
        store.add_batch(result, original=original)
        seconds.append(time.perf_counter() - t0)
    return seconds


def queries(store, label: str) -> list[tuple[str, str, int, float]]:
    rows = []
    for name, kwargs in QUERIES:
        t = time.perf_counter()
        got = len(store.incidents(**kwargs))
        rows.append((label, name, got, time.perf_counter() - t))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument(
        "--postgis", metavar="URL", help="also a PostGIS store on this server (a new database)"
    )
    args = parser.parse_args()

    import pyogrio
    from ingest import make_batch

    from geo.ingest import read_batch
    from geo.store import open_store

    data = make_batch(100_000)
    base = read_batch(data, filename="bench.geojson")
    rows, builds = [], []
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "gpkg" / "store.gpkg")
        builds.append(("GeoPackage", fill(store, base, args.batches), store.count()))
        rows += queries(store, "GeoPackage")
        t = time.perf_counter()
        got = len(pyogrio.read_dataframe(store.path, layer="incidents", use_arrow=True))
        rows.append(
            ("GeoPackage", "all, pyogrio read of the GeoPackage (comparison)", got, time.perf_counter() - t)
        )
        if args.postgis:
            from pgbench_db import database

            with database(args.postgis) as url:
                store = open_store(url, work=Path(tmp) / "server-a")
                builds.append(("PostGIS", fill(store, base, args.batches), store.count()))
                rows += queries(store, "PostGIS, the server that stored them")
                fresh = open_store(url, work=Path(tmp) / "server-b")
                rows += queries(fresh, "PostGIS, a new app server")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print("| store | 100k batches stored | first batch s | last batch s | mean s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, seconds, n in builds:
        mean = sum(seconds) / len(seconds)
        print(
            f"| {label} ({n:,} reports) | {len(seconds)} | {seconds[0]:.2f} | {seconds[-1]:.2f} | {mean:.2f} |"
        )
    print("\n| store | query | reports | seconds |")
    print("| --- | --- | ---: | ---: |")
    for label, name, got, seconds in rows:
        print(f"| {label} | {name} | {got:,} | {seconds:.3f} |")
    print(f"\npeak RSS of the process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
