"""The whole analytic path on the demo month, measured against its ground truth; the store cache."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from geo.evaluation import evaluate_demo
from geo.incremental import differences
from geo.ingest import read_batch
from geo.pipeline import (
    STAND_IN_COLUMNS,
    analyse_store,
    context_key,
    evaluate_rules,
    explained,
    stand_ins,
    with_reasons,
)
from geo.refresh import forget, refresh_store
from geo.settings import load_settings


@pytest.fixture(scope="module")
def demo_scores():
    return evaluate_demo()


def test_flags_match_the_ground_truth(demo_scores):
    # Figures are recorded in docs/METHOD.md; these bounds sit a little below them.
    # The month generated on the real-boundary scenario (happenings drawn on each side's ground).
    assert demo_scores.reports == 3668
    assert demo_scores.likely_precision >= 0.97
    assert demo_scores.likely_recall >= 0.4
    assert demo_scores.flagged_precision >= 0.92
    assert demo_scores.flagged_recall >= 0.75


def test_sides_and_events_match_the_ground_truth(demo_scores):
    assert demo_scores.attribution_accuracy >= 0.97
    # Where fire landed counts once per event however many report it (geo/score.py), and a heard
    # origin is a density with 30-50 % distance errors (geo/attribution/density.py), so fewer sides
    # are named than with hard wedges, and fewer wrongly: at most 1 % of flagged true violations.
    assert demo_scores.attributed_share >= 0.15
    assert demo_scores.attributed_share * (1 - demo_scores.attribution_accuracy) <= 0.01
    assert demo_scores.pair_precision >= 0.7
    assert demo_scores.pair_recall >= 0.5


@pytest.mark.slow
def test_store_analysis_is_cached_and_follows_the_data(tmp_path, demo_store, new_store, store_kind):
    from geo.demo import DEMO_DIR
    from geo.store.postgis import PostGISStore

    settings = load_settings()
    store = demo_store
    if store_kind == "postgis":
        store = new_store(store_kind)
        for path in sorted(DEMO_DIR.glob("*.geojson")):
            data = path.read_bytes()
            store.add_batch(read_batch(data, filename=path.name), original=data)
    first = analyse_store(store, scenario_dir=settings.scenario_dir, agreement_path=settings.agreement_path)
    assert len(first.reports) == store.count()
    assert store.analysis_keys()[0].startswith(f"r{store.revision()}-")
    # Read back by a fresh process (its memory forgotten; for PostGIS, another server with an empty
    # work folder): the same analysis, to the last bit, list columns as Arrow lists whose elements
    # read as Python lists.
    forget(store)
    if isinstance(store, PostGISStore):
        store = PostGISStore(store.url, work_dir=tmp_path / "another")
    again, done = refresh_store(
        store, scenario_dir=settings.scenario_dir, agreement_path=settings.agreement_path
    )
    assert done.mode == "read back"
    assert differences(again, first) == []
    # The reasons, worded from the tables read back, are those of the analysis made here.
    some = again.events.iloc[:: max(1, len(again.events) // 50)]
    mine = first.events.set_index("event_id").loc[some["event_id"]].reset_index()
    assert explained(some, again)["reasons"].tolist() == explained(mine, first)["reasons"].tolist()
    assert "reasons" not in again.reports and "reasons" not in again.events  # worded where shown
    assert isinstance(again.events["report_uids"].iloc[0], list)

    # Another agreement is another context: a new key and new reasons for the same reports.
    other = settings.agreement_path.parent / "agreements" / "paris_framework.toml"
    assert context_key(settings.scenario_dir, other) != context_key(
        settings.scenario_dir, settings.agreement_path
    )
    paris = analyse_store(store, scenario_dir=settings.scenario_dir, agreement_path=other)
    codes = {r["code"] for rs in explained(paris.events, paris)["reasons"] for r in rs}
    assert "DISENGAGEMENT_ACTIVITY" not in codes  # the second agreement has no such rule
    assert paris.reports["violation_score"].tolist() != first.reports["violation_score"].tolist()


def test_a_new_batch_is_analysed_with_the_rest(new_store, store_kind):
    from geo.demo import DEMO_DIR

    settings = load_settings()
    store = new_store(store_kind)
    path = sorted(DEMO_DIR.glob("incidents_monitors_*.geojson"))[0]
    data = path.read_bytes()
    store.add_batch(read_batch(data, filename=path.name), original=data)
    before = analyse_store(store, scenario_dir=settings.scenario_dir, agreement_path=settings.agreement_path)
    extra = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [37.60, 48.10]},
                "properties": {
                    "id": "n1",
                    "source": "desk",
                    "occurred_at": "2026-10-20T06:00:00Z",
                    "type": "impact",
                },
            }
        ],
    }
    raw = json.dumps(extra).encode()
    store.add_batch(read_batch(raw, filename="new.geojson"), original=raw)
    after = analyse_store(store, scenario_dir=settings.scenario_dir, agreement_path=settings.agreement_path)
    assert len(after.reports) == len(before.reports) + 1
    assert "desk/n1" in set(after.reports["uid"])


def test_an_update_reads_only_the_batches_added_unless_one_was_edited_or_retracted(new_store, store_kind):
    # The store says what changed by its batches and their counts of outside edits: a batch added
    # is read alone; a report edited in sqlite3 or psql or a batch retracted makes the update read
    # every report (and compare them). Each time the result is a from-scratch analysis's.
    import sqlite3

    from geo.demo import DEMO_DIR
    from geo.pipeline import analyse

    settings = load_settings()
    kw = {"scenario_dir": settings.scenario_dir, "agreement_path": settings.agreement_path}
    store = new_store(store_kind)
    files = sorted(DEMO_DIR.glob("incidents_*_2026-10-0*.geojson"))[:5]

    def add(path):
        data = path.read_bytes()
        receipt = store.add_batch(read_batch(data, filename=path.name), original=data)
        return receipt, receipt.accepted - receipt.duplicates

    def refreshed():
        result, done = refresh_store(store, **kw)
        assert differences(result, analyse(store.incidents(), **kw)) == []
        return done

    for path in files[:2]:
        add(path)
    assert refreshed().mode == "from scratch"
    receipt, added = add(files[2])
    done = refreshed()
    assert done.mode == "incremental" and done.reports_read == added == done.added > 0
    assert f"read {added:,} reports from the store" in done.summary()
    # A restarted server: the analysis the store keeps says which batches it was made of.
    forget(store)
    _, last = add(files[3])
    done = refreshed()
    assert done.mode == "incremental" and done.reports_read == last > 0

    if store_kind == "gpkg":
        with sqlite3.connect(store.path) as con:
            uid = con.execute("SELECT uid FROM incidents WHERE type = 'impact' LIMIT 1").fetchone()[0]
            con.execute("UPDATE incidents SET type = 'weapon_sighting' WHERE uid = ?", (uid,))
    else:
        import psycopg

        with psycopg.connect(store.url) as con:  # as psql would: outside this program's writes
            uid = con.execute("select uid from reports where type = 'impact' limit 1").fetchone()[0]
            con.execute("update reports set type = 'weapon_sighting' where uid = %s", (uid,))
    done = refreshed()
    total = store.count()
    assert done.mode == "incremental" and done.edited == 1 and done.reports_read == total

    store.retract_batch(receipt.batch_id, reason="test: withdrawn")
    done = refreshed()
    assert done.removed == added and done.reports_read == store.count()
    # Its file again: a new batch, which carries the retracted batch's reports (stored once, under
    # the first batch) and so shows them again.
    again, _ = add(files[2])
    assert again.batch_id != receipt.batch_id and (again.accepted, again.duplicates) == (0, added)
    done = refreshed()
    # They come back in their stored place, not at the end: every report is read and compared.
    assert store.count() == total and done.mode == "incremental" and done.reports_read == total
    # And a batch added after that is read alone again.
    _, new = add(files[4])
    done = refreshed()
    assert done.mode == "incremental" and done.reports_read == new > 0


def test_an_analysis_replaced_is_freed_though_frozen_out_of_the_collector(new_store, store_kind):
    # geo.refresh keeps the cyclic collector off while it makes an analysis and freezes it after:
    # that is only safe while an analysis holds no reference cycle, so that one replaced is freed
    # by reference counting alone. A cycle would keep every replaced analysis for good.
    import gc
    import weakref

    from geo.demo import DEMO_DIR

    settings = load_settings()
    kw = {"scenario_dir": settings.scenario_dir, "agreement_path": settings.agreement_path}
    store = new_store(store_kind)
    first, second = sorted(DEMO_DIR.glob("incidents_*_2026-10-0*.geojson"))[:2]
    store.add_batch(read_batch(first.read_bytes(), filename=first.name), original=first.read_bytes())
    result, _ = refresh_store(store, **kw)
    assert gc.isenabled() and gc.get_freeze_count() > 0
    old = [weakref.ref(result), *(weakref.ref(getattr(result, t)) for t in ("reports", "events", "reasons"))]
    del result
    store.add_batch(read_batch(second.read_bytes(), filename=second.name), original=second.read_bytes())
    _, done = refresh_store(store, **kw)
    assert done.mode == "incremental" and gc.isenabled()
    assert [ref() is None for ref in old] == [True] * len(old)
    forget(store)
    gc.unfreeze()


def test_every_event_says_why_this_side_with_the_reports_behind_it(demo_analysis):
    events = demo_analysis.events
    flagged = events[events["flag_level"].isin(["likely", "possible"])]
    assert flagged["side_reason"].str.len().gt(0).all()
    named = flagged[flagged["attributed_side"].isin(["UA", "RU"])]
    assert len(named) > 0
    for row in named.itertuples():
        # The probability as the column holds it, rounded down to the two decimals shown (never higher).
        shown = math.floor(round(row.attributed_side_p * 100, 6)) / 100
        assert row.side_reason.startswith(f"Attributed to {row.attributed_side} (p {shown:.2f})")
        # The sentence cites at least one of the event's own reports.
        assert any(uid in row.side_reason for uid in row.report_uids), row.side_reason
    unnamed = flagged[~flagged["attributed_side"].isin(["UA", "RU"])]
    assert unnamed["side_reason"].str.startswith("No side named").all()
    # Each report carries its event's figures and exchange; its words (why this side, the reasons)
    # are joined where it is shown (the map popup, the detail, an export).
    reports = demo_analysis.reports
    assert "exchange_id" in reports and "n_families" in reports and "side_reason" not in reports
    some = reports.iloc[::50]
    shown = with_reasons(some, demo_analysis)
    by_event = events.set_index("event_id")["side_reason"]
    assert (shown["side_reason"] == some["event_id"].map(by_event)).all()
    assert shown.index.equals(some.index) and all(len(r) >= 1 for r in shown["reasons"])


def test_stand_ins_are_each_events_earliest_report_in_time_order(demo_analysis):
    # The definition, by sorting every column: earliest time (missing last), then smallest uid,
    # first per event; missing times and a report without an event included.
    reports = demo_analysis.reports.copy()
    reports.loc[reports.index[::40], "occurred_at"] = pd.NaT
    reports.loc[reports.index[::97], "event_id"] = None
    expected = reports.sort_values(["occurred_at", "uid"], kind="stable").drop_duplicates("event_id")
    got = stand_ins(reports)
    assert got.index.tolist() == expected.index.tolist()
    assert list(got.columns) == list(STAND_IN_COLUMNS)


def test_reasons_are_worded_when_shown_the_same_whichever_events_are_asked(demo_analysis):
    """The reasons live in their long tables and are joined for the events shown (geo.score.explain):
    an event's reasons never depend on which other events are worded with it, and each is one of
    the analysis's own (a rule one of its reports broke, side evidence of one of its reports)."""
    a = demo_analysis
    assert "reasons" not in a.events and "reasons" not in a.reports
    everything = explained(a.events, a).set_index("event_id")["reasons"]
    rng = np.random.default_rng(7)
    for size in (1, 17, 300):
        pick = a.events.iloc[np.sort(rng.choice(len(a.events), size, replace=False))]
        got = explained(pick, a).set_index("event_id")["reasons"]
        assert got.tolist() == everything.loc[got.index].tolist()

    members = a.reports.groupby("event_id")["uid"].agg(set)
    worded = evaluate_rules(a.reports, a.terms.scenario, a.terms.agreement, words=True)
    broken = worded.groupby("uid").apply(lambda r: set(zip(r["code"], r["sentence"], strict=True)))
    events = a.events.set_index("event_id")
    sides = rules = 0
    for event_id, reasons in everything.items():
        assert reasons[0]["kind"] == "corroboration"
        mine = members[event_id]
        said = [r for r in reasons if r["kind"] == "side"]
        assert [r["sentence"].split(": ", 1)[0] for r in said] == list(events.loc[event_id, "side_uids"])
        assert {r["sentence"].split(": ", 1)[0] for r in said} <= mine
        for r in reasons:
            if r["kind"] in ("rule", "mitigation", "cap"):
                assert any((r["code"], r["sentence"]) in broken.get(uid, set()) for uid in mine), r
                rules += 1
        sides += len(said)
        if events.loc[event_id, "flag_level"] == "likely":
            assert any(r["kind"] == "rule" for r in reasons), event_id  # no likely violation without a rule
    assert rules > 100 and sides > 100


def test_the_rules_reasons_are_kept_unworded_and_worded_alike_for_any_reports(demo_analysis):
    """The analysis keeps the rules' reasons without sentences; every rule tests a report alone, so
    the reasons of a few reports evaluated again, worded, are exactly theirs among all (the
    sentences the map, the detail and the pack show)."""
    a = demo_analysis
    assert "sentence" not in a.reasons
    scenario, agreement = a.terms.scenario, a.terms.agreement
    whole = evaluate_rules(a.reports, scenario, agreement, words=True)
    by_report = {"by": "uid", "kind": "stable", "ignore_index": True}  # each report's in the rules' order
    pd.testing.assert_frame_equal(
        whole.drop(columns="sentence").sort_values(**by_report), a.reasons.sort_values(**by_report)
    )
    assert whole["sentence"].notna().all() and whole["code"].nunique() >= 5
    rng = np.random.default_rng(11)
    for size in (1, 40, 700):
        pick = np.sort(rng.choice(len(a.reports), size, replace=False))
        few = evaluate_rules(a.reports.iloc[pick], scenario, agreement, words=True)
        expected = whole[whole["uid"].isin(set(a.reports["uid"].iloc[pick]))].reset_index(drop=True)
        pd.testing.assert_frame_equal(few, expected)


def test_an_analysis_whose_reasons_cannot_be_worded_says_so(demo_analysis):
    """Without the terms it was made under an analysis cannot word its rules' reasons: an error that
    says so, never an empty or guessed sentence."""
    a = dataclasses.replace(demo_analysis, terms=None)
    flagged = a.events[a.events["flag_level"] == "likely"].head(3)
    with pytest.raises(InputError, match="not worded"):
        explained(flagged, a)


def test_a_stored_reason_the_rules_do_not_give_again_is_an_error(demo_analysis):
    """A stored reason is worded only by the rule that made it, on its own report: one the rules no
    longer give for that report (an analysis not made under these terms) is an error naming it,
    never another reason's sentence."""
    a = demo_analysis
    flagged = a.events[a.events["flag_level"] == "likely"].head(1)
    uid = a.reports.loc[a.reports["event_id"] == flagged["event_id"].iloc[0], "uid"]
    row = a.reasons.index[a.reasons["uid"].isin(set(uid))][0]
    fired = set(a.reasons.loc[a.reasons["uid"] == a.reasons.at[row, "uid"], "code"])
    other = next(c for c in a.reasons["code"].unique() if c not in fired)  # a code not fired on it
    forged = a.reasons.copy()
    forged.loc[row, "code"] = other
    assert len(explained(flagged, a)["reasons"].iloc[0]) > 1  # the analysis as made words it
    with pytest.raises(InputError, match=f"reason {other} of report"):
        explained(flagged, dataclasses.replace(a, reasons=forged))
