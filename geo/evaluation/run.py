"""Evaluate the whole analytic path on independent seeded worlds (``python -m geo evaluate``)."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from geo.evaluation.scores import Scores, score_against_truth
from geo.evaluation.world import World, generate

# The issue's targets (issue 10), for the table: measure -> (bound, "min" or "max").
TARGETS: dict[str, tuple[float, str]] = {
    "likely_precision": (0.95, "min"),
    "likely_recall": (0.75, "min"),
    "flagged_recall": (0.95, "min"),
    "pair_precision": (0.8, "min"),
    "pair_recall": (0.8, "min"),
    "wrong_side_flagged": (0.01, "max"),
    "wrong_side_likely": (0.005, "max"),
}


def evaluate_world(
    seed: int, *, happenings: int = 600, heard_errors: tuple[float, float] | None = None
) -> tuple[Scores, World]:
    """Generate one world, run ingest and the whole analysis on it, and score it against its truth."""
    scores, world, _ = _run_world(seed, happenings=happenings, heard_errors=heard_errors)
    return scores, world


def _run_world(
    seed: int, *, happenings: int, heard_errors: tuple[float, float] | None = None
) -> tuple[Scores, World, pd.DataFrame]:
    from geo.ingest import read_batch
    from geo.pipeline import analyse
    from geo.rules import load_agreement
    from geo.scenario import load_scenario
    from geo.settings import load_settings

    settings = load_settings()
    scenario = load_scenario(settings.scenario_dir)
    effective_at = load_agreement(settings.agreement_path).effective_at
    world = generate(
        scenario, seed=seed, happenings=happenings, effective_at=effective_at, heard_errors=heard_errors
    )
    batch = read_batch(world.geojson(), filename=f"world-{seed}.geojson", settings=settings)
    if batch.rejected:
        first = batch.rejected[0].issues[0]
        msg = f"The generated world {seed} has {len(batch.rejected)} invalid reports; first: {first.problem}"
        raise AssertionError(msg)
    with tempfile.TemporaryDirectory() as tmp:
        agreement = Path(tmp) / "agreement.toml"
        agreement.write_text(world.agreement_text(settings.agreement_path), encoding="utf-8")
        result = analyse(batch.accepted, scenario_dir=settings.scenario_dir, agreement_path=agreement)
    return score_against_truth(result.reports, world.truth), world, result.reports


def table(seeds: list[int], *, happenings: int = 600, heard_errors: tuple[float, float] | None = None) -> str:
    """A Markdown table: one row per measure, one column per seed, the mean and the target."""
    scores = {
        seed: asdict(evaluate_world(seed, happenings=happenings, heard_errors=heard_errors)[0])
        for seed in seeds
    }
    frame = pd.DataFrame(scores)
    lines = [
        "| measure | " + " | ".join(f"seed {s}" for s in seeds) + " | mean | target |",
        "| --- | " + " | ".join("---:" for _ in seeds) + " | ---: | --- |",
    ]
    for measure, row in frame.iterrows():
        values = row.astype(float)
        whole = measure in ("reports", "true_violations")
        cells = [f"{v:,.0f}" if whole else f"{v:.3f}" for v in values]
        mean = f"{values.mean():,.0f}" if whole else f"{values.mean():.3f}"
        bound, kind = TARGETS.get(str(measure), (None, ""))
        target = "" if bound is None else (f">= {bound:g}" if kind == "min" else f"<= {bound:g}")
        lines.append(f"| {str(measure).replace('_', ' ')} | " + " | ".join(cells) + f" | {mean} | {target} |")
    return "\n".join(lines)


def curve(
    seeds: list[int],
    *,
    happenings: int = 600,
    thresholds: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6),
    heard_errors: tuple[float, float] | None = None,
) -> str:
    """Precision and recall of ``likely`` at other thresholds of the violation score, over all seeds' reports."""
    frames = []
    for seed in seeds:
        _, world, reports = _run_world(seed, happenings=happenings, heard_errors=heard_errors)
        frames.append(reports[["uid", "violation_score", "attributed_side"]].merge(world.truth, on="uid"))
    df = pd.concat(frames, ignore_index=True)
    truly = df["is_violation"].astype(bool)
    wrong = truly & df["attributed_side"].isin(["UA", "RU"]) & (df["attributed_side"] != df["firing_side"])
    lines = [
        "| likely at score >= | precision | recall | wrong side among likely |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for t in thresholds:
        likely = df["violation_score"] >= t
        hit = int((likely & truly).sum())
        lines.append(
            f"| {t:g} | {hit / max(int(likely.sum()), 1):.3f} | {hit / max(int(truly.sum()), 1):.3f} "
            f"| {int((likely & wrong).sum()) / max(hit, 1):.4f} |"
        )
    return "\n".join(lines)
