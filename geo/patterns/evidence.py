"""Each report's pattern evidence for the score: membership in a significant cluster or surge, with its p-value."""

from __future__ import annotations

import pandas as pd

from geo.patterns.core import Patterns

EVIDENCE_COLUMNS = ("uid", "code", "p_value", "sentence")
CLUSTER_CODE = "PATTERN_CLUSTER"
SURGE_CODE = "PATTERN_SURGE"


def _cluster_sentences(clusters: pd.DataFrame, unit: str) -> pd.Series:
    days = (clusters["window_end"] - clusters["window_start"]).dt.days
    return pd.Series(
        [
            f"Part of a space-time cluster of {n} {unit} within {r / 1000:.1f} km and {d} day(s) from "
            f"{s:%d %b %Y} ({e:.1f} expected if place and time were independent; p = {p:.3f})."
            for n, r, d, s, e, p in zip(
                clusters["n"],
                clusters["radius_m"],
                days,
                clusters["window_start"],
                clusters["expected"],
                clusters["p_value"],
                strict=True,
            )
        ],
        index=clusters.index,
        dtype=object,
    )


def surge_sentences(surges: pd.DataFrame, unit: str) -> pd.Series:
    return pd.Series(
        [
            f"Reported on a surge day in sector {sector} ({start:%d %b %Y}): {count} {unit} against a "
            f"baseline of {base:.1f} a day ({rule} upper tail p = {p:.2g}, significant after the "
            "false-discovery-rate correction)."
            for sector, start, count, base, rule, p in zip(
                surges["sector"],
                surges["start"],
                surges["count"],
                surges["baseline"],
                surges["rule"],
                surges["p_value"],
                strict=True,
            )
        ],
        index=surges.index,
        dtype=object,
    )


def empty_evidence() -> pd.DataFrame:
    """An evidence table without rows (:data:`EVIDENCE_COLUMNS`)."""
    return pd.DataFrame({c: [] for c in EVIDENCE_COLUMNS}).astype({"p_value": float})


def pattern_evidence(patterns: Patterns, *, unit: str = "reports") -> pd.DataFrame:
    """Return one row per report and pattern code: the reports in a significant cluster or surge.

    ``unit`` names what the patterns counted in the sentences ("events" when each corroborated
    happening was counted once, as the score does).

    Codes ``PATTERN_CLUSTER`` (a cluster with ``significant``) and ``PATTERN_SURGE`` (a sector-day
    flagged by the Poisson or negative-binomial test; ACLED's rule has no p-value and gives no
    evidence). A report in several keeps the one with the smallest p-value per code.
    """
    clusters = patterns.clusters[patterns.clusters["significant"].astype(bool)]
    surges = patterns.surges[patterns.surges["rule"].isin(["poisson", "negbin"])]
    parts = [
        pd.DataFrame(
            {
                "uid": frame["report_uids"],
                "code": code,
                "p_value": frame["p_value"],
                "sentence": sentences(frame, unit),
            }
        )
        for frame, code, sentences in (
            (clusters, CLUSTER_CODE, _cluster_sentences),
            (surges, SURGE_CODE, surge_sentences),
        )
        if len(frame)
    ]
    if not parts:
        return empty_evidence()
    long = pd.concat(parts, ignore_index=True).explode("uid").dropna(subset=["uid"])
    best = long.sort_values("p_value", kind="stable").drop_duplicates(["uid", "code"])
    return best[list(EVIDENCE_COLUMNS)].reset_index(drop=True)
