"""The evaluation harness: an independent world with a real mission's phenomena, read through ingest and scored."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.evaluation.run import evaluate_world
from geo.evaluation.scores import pooled_wrong_side, score_against_truth
from geo.evaluation.world import generate
from geo.rules import load_agreement
from geo.scenario import load_scenario
from geo.settings import load_settings


@pytest.fixture(scope="module")
def world():
    settings = load_settings()
    effective = load_agreement(settings.agreement_path).effective_at
    return generate(load_scenario(settings.scenario_dir), seed=11, happenings=300, effective_at=effective)


def test_the_world_holds_the_phenomena_it_claims(world):
    props = pd.DataFrame([f["properties"] for f in world.features])
    truth = world.truth
    assert len(truth) == len(world.features) and truth["uid"].is_unique
    kinds = set(truth["happening_kind"])
    assert {"fire", "demining", "false_claim"} <= kinds
    # Exchanges: happenings of both sides within 15 minutes of each other.
    fire = truth[truth["happening_kind"] == "fire"]
    assert set(fire["firing_side"]) == {"UA", "RU"}
    # Media citing a party's report, and two channels of one party (one family).
    cited = props["cites"].dropna()
    assert len(cited) and set(cited) <= set(truth["uid"])
    assert {"UA-MOD", "UA-GS"} <= set(props["source"]) or {"RU-MOD", "RU-DNR"} <= set(props["source"])
    # Day-precision claims written as dates alone, sound-only reports, assessments, notifications.
    assert props["occurred_at"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").any()
    sound_only = props["observer_lon"].notna() & props["bearing_deg"].isna()
    assert sound_only.any()
    assert props["assessment"].dropna().str.contains("controlled detonation").any()
    assert (
        len(world.notifications)
        == (truth.drop_duplicates("happening_id")["happening_kind"] == "demining").sum()
    )
    # Fire before the ceasefire is no violation; false claims belong to no happening.
    assert not truth.loc[truth["happening_kind"] == "false_claim", "is_violation"].any()
    assert (truth.loc[truth["is_false_report"], "happening_id"] == "").all()


def test_the_same_seed_gives_the_same_world(world):
    settings = load_settings()
    effective = load_agreement(settings.agreement_path).effective_at
    again = generate(load_scenario(settings.scenario_dir), seed=11, happenings=300, effective_at=effective)
    assert again.features == world.features and again.truth.equals(world.truth)


@pytest.fixture(scope="module")
def evaluated():
    """The documented evaluation (docs/METHOD.md, "Evaluation"): seeds 1-5, 600 happenings each."""
    return [evaluate_world(seed, happenings=600) for seed in range(1, 6)]


def test_worlds_go_through_ingest_and_the_whole_analysis(evaluated):
    for scores, world in evaluated:
        assert scores.reports == len(world.features)
        # Regression bounds on each independent world (docs/METHOD.md, "Evaluation", has the figures).
        assert scores.likely_precision >= 0.95
        assert scores.likely_recall >= 0.75
        assert scores.flagged_recall >= 0.95
        assert scores.pair_precision >= 0.8
        # Pair recall is the trade taken for the wrong side (docs/METHOD.md): about 0.84 on these worlds.
        assert scores.pair_recall >= 0.65
        assert scores.happening_flagged_recall >= 0.95


def test_the_wrong_side_stays_within_the_targets_over_the_worlds(evaluated):
    # Issue 10's targets, over the five worlds' reports together: one world's rate rests on a few
    # events and moves between seeds by more than the targets' margin (docs/METHOD.md, "Evaluation").
    flagged, likely = pooled_wrong_side([scores for scores, _ in evaluated])
    assert flagged <= 0.01
    assert likely <= 0.005


def test_scores_count_each_happening_once():
    reports = pd.DataFrame(
        {
            "uid": ["a", "b", "c", "d"],
            "event_id": ["e1", "e1", "e2", "e3"],
            "flag_level": ["likely", "likely", "possible", "likely"],
            "attributed_side": ["RU", "RU", "UA", "UA"],
        }
    )
    truth = pd.DataFrame(
        {
            "uid": ["a", "b", "c", "d"],
            "happening_id": ["h1", "h1", "h2", ""],
            "is_violation": [True, True, True, False],
            "firing_side": ["RU", "RU", "RU", ""],
            "is_false_report": [False, False, False, True],
        }
    )
    s = score_against_truth(reports, truth)
    assert s.happening_likely_recall == 0.5  # h1 found likely, h2 only possible
    assert s.happening_flagged_recall == 1.0
    assert s.happening_likely_precision == 0.5  # e1 right, e3 a false claim
    # c is a flagged true violation attributed to the side that did not fire.
    assert s.wrong_side_flagged == pytest.approx(1 / 3)
    assert s.wrong_side_likely == 0.0


def test_a_world_can_hear_worse_than_the_engine_assumes(world):
    # The same seed with heard errors twice as wide: the same happenings and reports, but heard
    # bearings scatter more about the truth (other means of observation are untouched).
    settings = load_settings()
    effective = load_agreement(settings.agreement_path).effective_at
    worse = generate(
        load_scenario(settings.scenario_dir),
        seed=11,
        happenings=300,
        effective_at=effective,
        heard_errors=(24.0, 0.8),
    )
    assert len(worse.features) == len(world.features)

    def bearings(w, means):
        props = pd.DataFrame([f["properties"] for f in w.features])
        return props.loc[props["means"].eq(means) & props["bearing_deg"].notna(), "bearing_deg"]

    assert bearings(worse, "seen").equals(bearings(world, "seen"))
    assert not bearings(worse, "heard").equals(bearings(world, "heard"))
