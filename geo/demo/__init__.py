"""The demo: build the scenario files and generate a seeded month of reports with their ground truth."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from geo.demo.files import DEMO_DIR, report_features, write_demo
from geo.demo.geography import SHIFT_M
from geo.demo.geojson import write_feature_collection
from geo.demo.happenings import (
    CEASEFIRE_EFFECTIVE,
    FIRE_NEAR_POST_M,
    HEAVY_WEAPONS,
    VIOLATION_KINDS,
    WITHDRAWAL_HALF_WIDTH_M,
    WITHDRAWAL_REFERENCE,
)
from geo.demo.month import DEFAULT_SEED, TRUTH_COLUMNS, generate
from geo.demo.scenario_build import build_scenario, geodesic_circles
from geo.errors import GeoError
from geo.settings import SCENARIO_DIR

__all__ = [
    "CEASEFIRE_EFFECTIVE",
    "DEFAULT_SEED",
    "DEMO_DIR",
    "FIRE_NEAR_POST_M",
    "HEAVY_WEAPONS",
    "SHIFT_M",
    "TRUTH_COLUMNS",
    "VIOLATION_KINDS",
    "WITHDRAWAL_HALF_WIDTH_M",
    "WITHDRAWAL_REFERENCE",
    "build_scenario",
    "generate",
    "geodesic_circles",
    "main",
    "report_features",
    "write_demo",
    "write_feature_collection",
]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m geo.demo scenario|reports``: rebuild the scenario files or the demo reports."""
    parser = argparse.ArgumentParser(prog="python -m geo.demo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "scenario", help="rebuild data/scenario from the town coordinates and Natural Earth (world-atlas)"
    )
    p.add_argument("--out", type=Path, default=SCENARIO_DIR)
    p.add_argument(
        "--countries", type=Path, default=None, help="world-atlas-2.0.2.tgz (npm pack world-atlas@2.0.2)"
    )
    p = sub.add_parser("reports", help="regenerate data/demo (reports and ground truth)")
    p.add_argument("--out", type=Path, default=DEMO_DIR)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--start", default="2026-10-01")
    p.add_argument("--days", type=int, default=31)
    p.add_argument("--scenario", type=Path, default=SCENARIO_DIR)
    args = parser.parse_args(argv)
    try:
        if args.command == "scenario":
            paths = build_scenario(args.out, countries=args.countries)
        else:
            paths = write_demo(
                args.out, seed=args.seed, start=args.start, days=args.days, scenario_dir=args.scenario
            )
    except GeoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(f"wrote {path}")
    return 0
