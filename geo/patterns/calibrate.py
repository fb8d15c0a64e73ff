"""Recall and precision of surge and cluster detection against planted strength: ``python -m geo.patterns.calibrate``.

Each run draws a seeded homogeneous background (``geo.patterns.synthetic``), plants one surge or
one space-time cluster of the given size, runs the detection with the default settings and scores
it. Strength 0 plants nothing: the share of runs with any detection is then the false-alarm rate.
Prints Markdown tables for docs/METHOD.md.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

import numpy as np

from geo.patterns import PatternParams, find_patterns, synthetic

# The surge background: 3 sectors of about 20 reports a day over 30 days.
SURGE_BACKGROUND = 1_800
SURGE_SIZES = (0, 10, 15, 20, 30, 40)
# The cluster background: 400 reports over 20 days on a 38 x 33 km box (about 250 H3 cells of 5 km²);
# the cluster: reports within 2 km over 2 days.
CLUSTER_BOX = (35.0, 47.0, 35.5, 47.3)
CLUSTER_BACKGROUND = 400
CLUSTER_SIZES = (0, 5, 8, 10, 15, 20)


@dataclass(frozen=True)
class Row:
    """Detection figures over the runs of one strength."""

    strength: int
    runs: int
    detected: float  # share of runs where the planted pattern was found (any detection when nothing planted)
    precision: float  # share of detections that are the planted pattern (NaN without detections)
    member_recall: float  # share of the planted reports inside the detection that found them
    member_precision: float  # share of that detection's reports that were planted


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


@dataclass
class Tally:
    """Counts over the runs of one strength."""

    strength: int
    runs: int = 0
    found: int = 0
    true: int = 0
    detections: int = 0
    recall: list[float] = field(default_factory=list)
    precision: list[float] = field(default_factory=list)

    def add(self, planted: list[str], detections: list[list[str]], *, share: float) -> None:
        """Score one run: a detection is the planted pattern when more than ``share`` of its reports were planted."""
        wanted = set(planted)
        hits = [set(d) & wanted for d in detections]
        true = [h for h, d in zip(hits, detections, strict=True) if wanted and len(h) > share * len(d)]
        self.runs += 1
        self.detections += len(detections)
        self.true += len(true)
        self.found += bool(true) if wanted else bool(detections)
        for h, d in zip(hits, detections, strict=True):
            if wanted and len(h) > share * len(d):
                self.recall.append(len(h) / len(wanted))
                self.precision.append(len(h) / len(d))

    def row(self) -> Row:
        """The figures of the runs so far."""
        precision = self.true / self.detections if self.detections else float("nan")
        return Row(
            self.strength,
            self.runs,
            self.found / self.runs,
            precision,
            _mean(self.recall),
            _mean(self.precision),
        )


def surge_row(size: int, runs: int, params: PatternParams) -> Row:
    """Plant ``size`` extra reports on day 20 of sector S2 and test each run."""
    tally = Tally(size)
    for seed in range(runs):
        frame = synthetic.background(SURGE_BACKGROUND, seed=seed, days=30, sectors=3)
        planted: list[str] = []
        if size:
            frame, planted = synthetic.plant_surge(frame, size, seed=10_000 + seed, sector="S2", day=20)
        surges = find_patterns(frame, params=params, parts=("surges",)).surges
        # The planted sector-day is the one holding any planted report.
        tally.add(planted, list(surges.loc[surges["rule"] != "acled_week", "report_uids"]), share=0)
    return tally.row()


def cluster_row(size: int, runs: int, params: PatternParams) -> Row:
    """Plant ``size`` reports within 2 km over 2 days and scan each run."""
    tally = Tally(size)
    for seed in range(runs):
        frame = synthetic.background(CLUSTER_BACKGROUND, seed=seed, days=20, box=CLUSTER_BOX)
        planted: list[str] = []
        if size:
            frame, planted = synthetic.plant_cluster(
                frame, size, seed=10_000 + seed, centre=(35.25, 47.15), radius_m=2_000, first_day=9, days=2
            )
        clusters = find_patterns(frame, params=params, parts=("clusters",)).clusters
        # A cluster is the planted one when at least half of its reports were planted.
        tally.add(planted, list(clusters.loc[clusters["significant"], "report_uids"]), share=0.4999)
    return tally.row()


def table(rows: list[Row], what: str) -> str:
    """Rows as a Markdown table."""
    head = [
        f"| {what} | runs | found (false alarms at 0) | precision of detections | planted reports inside | detection's reports planted |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    body = [
        f"| {r.strength} | {r.runs} | {r.detected:.2f} | {r.precision:.2f} | {r.member_recall:.2f} | {r.member_precision:.2f} |"
        for r in rows
    ]
    return "\n".join(head + body).replace("nan", "-")


def main(argv: list[str] | None = None) -> None:
    """Print both tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="seeded runs per strength (default 40)")
    args = parser.parse_args(argv)
    params = PatternParams()
    print(table([surge_row(s, args.runs, params) for s in SURGE_SIZES], "extra reports on the surge day"))
    print()
    print(table([cluster_row(s, args.runs, params) for s in CLUSTER_SIZES], "reports in the planted cluster"))


if __name__ == "__main__":
    main()
