"""Batches: provenance, idempotent re-upload, duplicates, strict mode, quarantine and retraction."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from geo.audit import acting_as
from geo.errors import StoreError


def test_batch_lands_with_provenance(store, kit):
    rows = [kit.report(i) for i in range(5)]
    receipt = kit.put(store, rows, rejected=[kit.report(9, type="bogus")], uploader="desk-1")
    result, data = kit.make_result(rows, rejected=[kit.report(9, type="bogus")])
    assert (receipt.accepted, receipt.rejected, receipt.duplicates, receipt.already_ingested) == (
        5,
        1,
        0,
        False,
    )
    assert receipt.sha256 == hashlib.sha256(data).hexdigest() == result.sha256
    assert receipt.batch_id in receipt.message and "1 rejected" in receipt.message
    batch = store.batches().iloc[0]
    assert (batch["batch_id"], batch["uploader"], batch["n_features"], batch["filename"]) == (
        receipt.batch_id, "desk-1", 6, "hand.geojson",
    )  # fmt: skip
    assert str(batch["uploaded_at"].tz) == "UTC" and pd.isna(batch["retracted_at"])
    kept = store.original_file(receipt.batch_id)
    assert kept.name == receipt.sha256 and hashlib.sha256(kept.read_bytes()).hexdigest() == receipt.sha256
    frame = store.incidents()
    assert sorted(frame["id"]) == sorted(r["id"] for r in rows)
    assert set(frame["batch_id"]) == {receipt.batch_id}
    assert set(frame["description"]) == {"Обстріл «Авдіївки»"}


def test_quarantine_keeps_the_feature_and_its_issues(store, kit):
    bad = kit.report(9, type="bogus", note="Ще одна «позначка»")
    receipt = kit.put(store, [kit.report(1)], rejected=[bad])
    q = store.quarantine(receipt.batch_id)
    assert len(q) == 1 and (q["batch_id"].iloc[0], q["feature_index"].iloc[0], q["feature_id"].iloc[0]) == (
        receipt.batch_id, 1, "r9",
    )  # fmt: skip
    feature = json.loads(q["feature"].iloc[0])
    assert feature["properties"]["type"] == "bogus" and feature["properties"]["note"] == "Ще одна «позначка»"
    assert feature["geometry"]["coordinates"] == [bad["lon"], bad["lat"]]
    issues = json.loads(q["issues"].iloc[0])
    assert issues[0]["field"] == "type" and "bogus" in issues[0]["problem"] and issues[0]["fix"]
    assert len(store.quarantine()) == 1
    with pytest.raises(StoreError, match=r"no batch 'b404'.*latest are b000001"):
        store.quarantine("b404")


def test_same_file_twice_adds_nothing_and_says_when(store, kit):
    rows = [kit.report(i) for i in range(3)]
    first = kit.put(store, rows)
    rev = store.revision()
    again = kit.put(store, rows)
    assert again.already_ingested and again.batch_id == first.batch_id
    assert (again.accepted, again.rejected, again.duplicates) == (0, 0, 0)
    uploaded = store.batches()["uploaded_at"].iloc[0].strftime("%Y-%m-%d %H:%M UTC")
    assert f"already ingested as batch {first.batch_id} on {uploaded}" in again.message
    assert store.revision() == rev and store.count() == 3 and len(store.batches()) == 1


def test_same_reports_in_another_file_are_duplicates(store, kit):
    kit.put(store, [kit.report(i) for i in range(3)])
    receipt = kit.put(
        store, [kit.report(i, description="re-sent") for i in range(2, 6)], filename="later.geojson"
    )
    assert (receipt.accepted, receipt.duplicates, receipt.already_ingested) == (3, 1, False)
    assert receipt.duplicate_uids == ("CVM-OP-07/r2",)
    assert "1 already stored (same source and id) and skipped (CVM-OP-07/r2)" in receipt.message
    frame = store.incidents()
    assert store.count() == 6 == len(frame)
    # The first version of a duplicate stays; the later one is not written.
    assert frame.loc[frame["id"] == "r2", "description"].tolist() == ["Обстріл «Авдіївки»"]
    assert store.batches()["duplicates"].tolist() == [0, 1]


def test_a_report_repeated_within_a_file_is_stored_once(store, kit):
    receipt = kit.put(store, [kit.report(1), kit.report(2), kit.report(1, description="again")])
    assert (receipt.accepted, receipt.duplicates, receipt.duplicate_uids) == (2, 1, ("CVM-OP-07/r1",))
    assert store.incidents().sort_values("id")["description"].tolist() == ["Обстріл «Авдіївки»"] * 2


def test_strict_refuses_a_batch_with_any_rejection(store, kit):
    rev = store.revision()
    with pytest.raises(StoreError, match="1 of 3 features are invalid; strict mode stores nothing"):
        kit.put(store, [kit.report(1), kit.report(2)], rejected=[kit.report(3, type="bogus")], strict=True)
    assert store.count() == 0 and store.batches().empty and store.quarantine().empty
    assert store.revision() == rev and not (store.path.parent / "files").exists()
    assert kit.put(store, [kit.report(1)], strict=True).accepted == 1


def test_batch_ids_are_short_readable_and_sortable(store, kit):
    ids = [kit.put(store, [kit.report(i)], filename=f"f{i}.geojson").batch_id for i in range(11)]
    assert ids == sorted(ids) and len(set(ids)) == 11
    assert ids[0] == "b000001" and ids[-1] == "b000011"


def test_retract_hides_reports_and_keeps_them_with_the_record(store, kit):
    rows = [kit.report(i) for i in range(4)]
    keep = kit.put(store, [kit.report(10)], filename="other.geojson")
    receipt = kit.put(store, rows, rejected=[kit.report(8, type="bogus")])
    stored = store.incidents(batches=[receipt.batch_id], hidden=True)
    rev = store.revision()
    with acting_as("ana (admin)"):
        assert store.retract_batch(receipt.batch_id, reason="sent by mistake") == 4
    assert store.count() == 1 and store.incidents()["id"].tolist() == ["r10"]
    assert store.revision() > rev
    assert [b for b, _ in store.listing()[1]] == [keep.batch_id]
    assert store.incidents(batches=[receipt.batch_id]).empty
    # Hidden, not deleted: the reports are all there, as stored.
    pd.testing.assert_frame_equal(store.incidents(batches=[receipt.batch_id], hidden=True), stored)
    assert sorted(store.incidents(hidden=True)["id"]) == sorted(["r10", *(r["id"] for r in rows)])
    batches = store.batches().set_index("batch_id")
    assert batches.loc[receipt.batch_id, "retracted_at"] >= batches.loc[receipt.batch_id, "uploaded_at"]
    assert batches.loc[receipt.batch_id, ["retracted_by", "retract_reason"]].tolist() == [
        "ana (admin)", "sent by mistake",
    ]  # fmt: skip
    assert batches["retracted_at"].isna().tolist() == [True, False]
    assert batches.loc[receipt.batch_id, "accepted"] == 4  # the record stays as it was received
    _, data = kit.make_result(rows, rejected=[kit.report(8, type="bogus")])
    assert store.original_file(receipt.batch_id).read_bytes() == data
    assert len(store.quarantine(receipt.batch_id)) == 1
    with pytest.raises(
        StoreError, match=f"Batch {receipt.batch_id} was already retracted on 20.* by ana"
    ) as err:
        store.retract_batch(receipt.batch_id, reason="again")
    assert f"python -m geo restore {receipt.batch_id}" in err.value.hint
    with pytest.raises(
        StoreError, match=f"no batch 'b999'.*latest are {keep.batch_id}, {receipt.batch_id}"
    ) as err:
        store.retract_batch("b999", reason="gone")
    assert "python -m geo batches" in str(err.value)
    # Its file again: a new batch that carries the hidden reports (stored once) and shows them again.
    again = kit.put(store, rows, rejected=[kit.report(8, type="bogus")])
    assert (again.accepted, again.duplicates, again.already_ingested, again.batch_id) == (
        0,
        4,
        False,
        "b000003",
    )
    assert store.count() == 5 and store.incidents(batches=["b000003"]).empty
    # The version shown is the one stored first, under the batch that brought it.
    assert sorted(store.incidents(batches=[receipt.batch_id])["id"]) == [r["id"] for r in rows]
    assert [b for b, _ in store.listing()[1]] == [keep.batch_id, receipt.batch_id, "b000003"]


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_retraction_or_restoration_needs_a_reason(store, kit, reason):
    receipt = kit.put(store, [kit.report(1)])
    rev = store.revision()
    with pytest.raises(
        StoreError, match=f"Retract batch {receipt.batch_id} needs a reason; nothing was changed"
    ):
        store.retract_batch(receipt.batch_id, reason=reason)
    assert store.revision() == rev and store.count() == 1
    store.retract_batch(receipt.batch_id, reason="duplicate upload")
    rev = store.revision()
    with pytest.raises(StoreError, match=f"Restore batch {receipt.batch_id} needs a reason"):
        store.restore_batch(receipt.batch_id, reason=reason)
    assert store.revision() == rev and store.count() == 0


def test_restore_shows_the_reports_again_and_says_who_and_why(store, kit):
    first = kit.put(store, [kit.report(i) for i in range(3)])
    second = kit.put(store, [kit.report(i) for i in range(3, 5)], filename="b.geojson")
    before = store.incidents()
    with acting_as("ana (admin)"):
        store.retract_batch(first.batch_id, reason="checking the source")
    with acting_as("bo (admin)"):
        assert store.restore_batch(first.batch_id, reason="source confirmed") == 3
    pd.testing.assert_frame_equal(store.incidents(), before)
    assert store.count() == 5 and [b for b, _ in store.listing()[1]] == [first.batch_id, second.batch_id]
    row = store.batches().set_index("batch_id").loc[first.batch_id]
    assert pd.isna(row["retracted_at"]) and row["restored_at"] >= row["uploaded_at"]
    # The latest retraction's who and why stay beside the restoration's.
    assert (row["retracted_by"], row["retract_reason"], row["restored_by"], row["restore_reason"]) == (
        "ana (admin)", "checking the source", "bo (admin)", "source confirmed",
    )  # fmt: skip
    with pytest.raises(StoreError, match=f"Batch {first.batch_id} is not retracted; nothing was changed"):
        store.restore_batch(first.batch_id, reason="again")
    with pytest.raises(StoreError, match="no batch 'b404'"):
        store.restore_batch("b404", reason="gone")


def test_a_batch_whose_file_is_live_again_is_not_restored(store, kit):
    rows = [kit.report(i) for i in range(3)]
    first = kit.put(store, rows)
    store.retract_batch(first.batch_id, reason="wrong file")
    again = kit.put(store, rows)
    rev = store.revision()
    with pytest.raises(StoreError, match=f"its file was uploaded again as batch {again.batch_id}") as err:
        store.restore_batch(first.batch_id, reason="it was right")
    assert f"retract {again.batch_id}" in err.value.hint and store.revision() == rev
    store.retract_batch(again.batch_id, reason="keep the first")
    assert store.restore_batch(first.batch_id, reason="it was right") == 3
    assert store.count() == 3


def test_reports_a_later_batch_also_carried_stay_until_both_are_retracted(store, kit):
    first = kit.put(store, [kit.report(i) for i in range(5)])
    # r3 and r4 come again in a later file (a desk resending its last reports), with r5 and r6.
    later = kit.put(
        store, [kit.report(i, description="re-sent") for i in range(3, 7)], filename="later.geojson"
    )
    assert (later.accepted, later.duplicates) == (2, 2)
    assert store.retract_batch(first.batch_id, reason="wrong month") == 3
    shown = store.incidents()
    assert sorted(shown["id"]) == ["r3", "r4", "r5", "r6"] and store.count() == 4
    # Stored once, as first received and under the batch that brought them: the later batch shows them.
    assert shown.set_index("id").loc[["r3", "r4"], "batch_id"].tolist() == [first.batch_id] * 2
    assert set(shown.set_index("id").loc[["r3", "r4"], "description"]) == {"Обстріл «Авдіївки»"}
    # Each batch's own reports: the first batch's shown ones are those the later one carried.
    assert sorted(store.incidents(batches=[later.batch_id])["id"]) == ["r5", "r6"]
    assert sorted(store.incidents(batches=[first.batch_id])["id"]) == ["r3", "r4"]
    # Still listed, as shown in part: an analysis of it as it was is not taken for current.
    listed = dict(store.listing()[1])
    assert list(listed) == [first.batch_id, later.batch_id] and listed[first.batch_id] < 0
    assert sorted(store.incidents(bbox=(37.5, 48.0, 37.535, 48.2))["id"]) == ["r3"]
    assert len(store.incidents(batches=[first.batch_id], hidden=True)) == 5
    assert store.retract_batch(later.batch_id, reason="wrong month too") == 4
    assert store.count() == 0 and store.incidents().empty
    assert store.restore_batch(first.batch_id, reason="right after all") == 5
    assert sorted(store.incidents()["id"]) == ["r0", "r1", "r2", "r3", "r4"]
    assert store.restore_batch(later.batch_id, reason="right after all") == 2
    assert store.count() == 7 == len(store.incidents())
    # A third batch carrying r3 while its first batch is active shows nothing new.
    third = kit.put(store, [kit.report(3)], filename="third.geojson")
    assert store.incidents(batches=[third.batch_id]).empty and store.count() == 7


def test_unknown_batch_in_an_empty_store(store):
    with pytest.raises(StoreError, match=r"no batch 'b000001'.*holds no batch yet"):
        store.original_file("b000001")


# The PostGIS store keeps the files in its database, where a batch cannot lose its file (a foreign key).
@pytest.mark.parametrize("store_kind", ["gpkg"])
def test_a_lost_original_file_is_reported(store, kit):
    receipt = kit.put(store, [kit.report(1)])
    store.original_file(receipt.batch_id).unlink()
    with pytest.raises(StoreError, match=f"original file of batch {receipt.batch_id} .*is missing"):
        store.original_file(receipt.batch_id)
