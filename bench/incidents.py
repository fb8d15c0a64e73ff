"""Bench: the Incidents page's engine work on 10,000 to 1,000,000 analysed reports, and CSV import.

Run: ``python bench/incidents.py [--sizes 10000 100000 1000000] [--repeat 3]``. The analysed reports
are the demo month's analysis (data/demo through geo.pipeline) copied with new uids and event ids
until there are enough. Timed per size: a filter (one type), the table of the newest 10,000 rows,
one report's detail, and each export of the filtered rows (seconds and bytes); then the real UCDP
GED CSV (3,077 rows) read through the ``ucdp`` mapping, when ../shared/data is present. The best of
``--repeat`` runs is kept (exports run once, and only up to ``--export-max`` reports: they are
deferred to the click in the app). Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TABLE_LIMIT = 10_000


def demo_analysis():
    """The demo month's analysis (geo.pipeline.analyse on data/demo)."""
    import pandas as pd

    from geo.demo import DEMO_DIR
    from geo.ingest import read_batch
    from geo.pipeline import analyse
    from geo.settings import load_settings

    settings = load_settings(environ={})
    frames = [
        read_batch(p.read_bytes(), filename=p.name).accepted for p in sorted(DEMO_DIR.glob("*.geojson"))
    ]
    reports = pd.concat(frames, ignore_index=True).drop_duplicates("uid", ignore_index=True)
    reports["batch_id"] = "b000001"
    return analyse(reports, scenario_dir=settings.scenario_dir, agreement_path=settings.agreement_path)


def copies(analysis, n: int):
    """An analysis of ``n`` reports made of copies of ``analysis``'s, each copy with its own uids and
    event ids (in its reports, events, reasons and pattern evidence)."""
    import dataclasses

    import geopandas as gpd
    import pandas as pd

    reports, events = analysis.reports, analysis.events
    reps = -(-n // len(reports))

    def renamed(frame, k, *columns):
        return frame.assign(**{c: frame[c] + f"#{k}" for c in columns})

    parts = [renamed(reports, k, "uid", "event_id") for k in range(reps)]
    event_parts = [
        renamed(events, k, "event_id").assign(
            side_uids=[[u + f"#{k}" for u in us] for us in events["side_uids"]]
        )
        for k in range(reps)
    ]
    return dataclasses.replace(
        analysis,
        reports=gpd.GeoDataFrame(pd.concat(parts, ignore_index=True).iloc[:n], crs=4326),
        events=gpd.GeoDataFrame(pd.concat(event_parts, ignore_index=True), crs=4326),
        reasons=pd.concat([renamed(analysis.reasons, k, "uid") for k in range(reps)], ignore_index=True),
        evidence=pd.concat([renamed(analysis.evidence, k, "uid") for k in range(reps)], ignore_index=True),
    )


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main(argv: list[str] | None = None) -> int:
    import pandas as pd

    from geo.detail import export_bytes, incident_table, report_detail
    from geo.filters import Filters, apply_filters

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--export-max", type=int, default=100_000, help="largest size whose exports are timed"
    )
    args = parser.parse_args(argv)
    analysed = demo_analysis()
    batches = pd.DataFrame({"batch_id": ["b000001"], "filename": ["demo"], "sha256": ["-"]})
    print(
        "| reports | filtered | filter s | table (newest 10,000) s | detail s | CSV s / MB | GeoJSON s / MB | GeoPackage s / MB |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in args.sizes:
        copied = copies(analysed, n)
        frame = copied.reports
        filters = Filters(choices={"type": ("impact",)})
        t_filter, shown = best(lambda f=frame, c=filters: apply_filters(f, c), args.repeat)
        t_table, _ = best(lambda s=shown: incident_table(s, limit=TABLE_LIMIT), args.repeat)
        uid = shown["uid"].iloc[len(shown) // 2]
        t_detail, _ = best(lambda a=copied, u=uid: report_detail(u, a, batches), args.repeat)
        cells = []
        for fmt in ("csv", "geojson", "gpkg"):
            if n > args.export_max:
                cells.append("not run")
                continue
            t, data = best(lambda s=shown, f=fmt: export_bytes(s, f), 1)
            cells.append(f"{t:.2f} / {len(data) / 1e6:.1f}")
        print(
            f"| {n:,} | {len(shown):,} | {t_filter:.3f} | {t_table:.3f} | {t_detail:.3f} | "
            + " | ".join(cells)
            + " |"
        )
    ucdp = ROOT.parent / "shared" / "data" / "ucdp_ged" / "ucdp_ged_ukraine_2014-2022.csv"
    if ucdp.is_file():
        from geo.ingest.mapping import UCDP, read_mapped_csv

        data = ucdp.read_bytes()
        t, result = best(lambda: read_mapped_csv(data, filename=ucdp.name, mapping=UCDP), args.repeat)
        print("\n| CSV import | rows | accepted | rejected | s |\n| --- | ---: | ---: | ---: | ---: |")
        print(
            f"| UCDP GED, ucdp mapping | {result.n_features:,} | {len(result.accepted):,} | {len(result.rejected):,} | {t:.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
