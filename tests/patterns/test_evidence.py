"""Pattern evidence in the score: a significant cluster or surge raises an event's likelihood, with its p-value."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.patterns import PatternParams, find_patterns, pattern_evidence, synthetic
from geo.pipeline import explained
from geo.score import ScoreParams, explain, score_events

BOX = (35.0, 47.0, 35.5, 47.3)


@pytest.fixture(scope="module")
def evidence():
    frame = synthetic.background(400, seed=5, days=20, box=BOX, sectors=3)
    frame, planted = synthetic.plant_cluster(
        frame, 30, seed=6, centre=(35.25, 47.15), radius_m=2_000, first_day=9, days=2
    )
    frame, surge = synthetic.plant_surge(frame, 60, seed=7, sector="S3", day=15, box=BOX)
    found = find_patterns(frame, params=PatternParams(scan_permutations=49), parts=("surges", "clusters"))
    return pattern_evidence(found), planted, surge, found


def test_members_of_significant_clusters_and_surges_carry_their_p_value(evidence):
    ev, planted, surge, found = evidence
    clusters = ev[ev["code"] == "PATTERN_CLUSTER"]
    surges = ev[ev["code"] == "PATTERN_SURGE"]
    assert len(set(planted) & set(clusters["uid"])) >= 0.8 * len(planted)
    assert set(surge) <= set(surges["uid"])
    assert not ev.duplicated(["uid", "code"]).any()
    best = found.clusters.iloc[0]
    assert f"p = {best['p_value']:.3f}" in clusters["sentence"].iloc[0]
    assert clusters["p_value"].le(found.params.alpha).all()


def test_the_evidence_raises_the_score_with_a_named_reason(evidence):
    ev, planted, _, _ = evidence
    reports = pd.DataFrame(
        {
            "uid": [planted[0], "lonely"],
            "event_id": ["e1", "e2"],
            "source": ["OP-1", "OP-2"],
            "type": "impact",
        }
    )
    events = pd.DataFrame({"event_id": ["e1", "e2"], "confidence": [0.5, 0.5]})
    reasons = pd.DataFrame(
        {"uid": [planted[0], "lonely"], "code": "FIRE", "severity": "high", "weight": 0.8, "sentence": "fire"}
    )
    params = ScoreParams(pattern_weight=0.3)
    scored = score_events(events, reports, reasons, params=params, patterns=ev).set_index("event_id")
    plain = score_events(events, reports, reasons, params=params).set_index("event_id")
    assert scored.loc["e1", "violation_score"] == pytest.approx((1 - 0.5 * 0.7) * 0.8, abs=1e-4)
    assert scored.loc["e2", "violation_score"] == plain.loc["e2", "violation_score"] == pytest.approx(0.4)
    worded = explain(scored.reset_index(), reports, reasons, ev, params=params).set_axis(scored.index)
    pattern = [r for r in worded.loc["e1"] if r["kind"] == "pattern"]
    assert [r["code"] for r in pattern] == ["PATTERN_CLUSTER"] and "p = " in pattern[0]["sentence"]
    zero = score_events(events, reports, reasons, params=ScoreParams(pattern_weight=0.0), patterns=ev)
    assert zero["violation_score"].tolist() == plain["violation_score"].tolist()


def test_demo_events_on_the_surge_carry_the_reason(demo_analysis):
    worded = explained(demo_analysis.events, demo_analysis)["reasons"]
    codes = {r["code"] for reasons in worded for r in reasons}
    assert {"PATTERN_SURGE", "PATTERN_CLUSTER"} <= codes
