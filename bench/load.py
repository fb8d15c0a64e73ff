"""Bench: 20 websocket sessions and 2 browsers on the Map page while batches go in and one is retracted.

Run: ``python bench/load.py [--sessions 20] [--browsers 2] [--store gpkg|URL] [--duration 180]``.
Issue 15's load test, on this machine's loopback (bench/loadkit.py has the machinery): a fresh store
(a GeoPackage, or a new database on the PostGIS server of ``--store URL``, dropped after) seeded
with the demo batches of 1-22 October 2026 and analysed; ``streamlit run app.py`` on it; the
sessions (Streamlit's own websocket protocol) and the Chromium pages explore the map while the
five demo batches of 29 October, two slices of real UCDP GED rows (the second repeating 50 reports
of the first) and the first of them once more go in through ``python -m geo ingest --as`` an
analyst of a users file, and the first GED slice is then retracted by an admin. Prints the response
times (p50, p95, max per kind) and what was checked after: errors, reports expected against
visible, uids stored twice, ``python -m geo audit verify`` and who the log names. Exits 1 when a
check fails (never on a time).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import loadkit  # noqa: E402


def plan(folder: Path, ged_rows: int = 150, overlap: int = 50) -> loadkit.Plan:
    """The seed (1-22 October) and the writes of the bench run (see the module's text)."""
    late = loadkit.demo_files("2026-10-29")
    ged_a, ged_b = loadkit.ged_slices(folder, ged_rows, overlap)
    uploads = (*(loadkit.Upload(p) for p in late), ged_a, ged_b, loadkit.Upload(late[0]))
    return loadkit.Plan(
        seed=loadkit.demo_files("2026-10-01", "2026-10-08", "2026-10-15", "2026-10-22"),
        uploads=uploads,
        retract=uploads.index(ged_a),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="websocket sessions (default 20)")
    parser.add_argument("--browsers", type=int, default=2, help="headless Chromium pages (default 2)")
    parser.add_argument(
        "--store",
        default="gpkg",
        help="gpkg (a new GeoPackage store), or a PostGIS server's URL (a new database on it, dropped after)",
    )
    parser.add_argument(
        "--duration", type=float, default=180, help="seconds over which the writes are spread (default 180)"
    )
    parser.add_argument(
        "--think", type=float, nargs=2, default=(2.0, 8.0), metavar=("MIN", "MAX"),
        help="seconds a session pauses between two changes, drawn between MIN and MAX (default 2 8)",
    )  # fmt: skip
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Streamlit option for the app server, e.g. runner.postScriptGC=false (repeatable)",
    )
    parser.add_argument("--keep", type=Path, help="keep the store, users file and server log in this folder")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cm-load-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        the_plan = plan(folder)
        if args.store == "gpkg":
            where, made = loadkit.Where(folder / "store"), None
        else:
            from bench.pgbench_db import create

            made = create(args.store)
            where = loadkit.Where(folder / "store", made)
        try:
            result = loadkit.run(
                where,
                the_plan,
                sessions=args.sessions,
                browsers=args.browsers,
                duration=args.duration,
                think=tuple(args.think),
                options=tuple(
                    x for o in args.option for x in (f"--{o.split('=', 1)[0]}", o.split("=", 1)[1])
                ),
            )
        finally:
            if made and not args.keep:
                from bench.pgbench_db import drop

                drop(made)
    print(loadkit.table(result))
    failed = (
        result.errors
        or result.missing
        or result.unexpected
        or result.duplicates
        or not result.audit_ok
        or result.audit_named
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
