"""reports_digest: the same for the frame ingest accepted and for what either store gives back."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import shapely

from geo.audit.digest import DIGEST_FIELDS, canonical_reports, reports_digest
from geo.ingest import read_batch

MEDIA = Path(__file__).resolve().parents[2] / "data" / "demo" / "incidents_media_2026-10-08.geojson"


def test_demo_and_real_batches_digest_the_same_read_back(store, audit_kit, shared_data):
    files = [
        (audit_kit.demo / "incidents_monitors_2026-10-08.geojson", None),
        (audit_kit.demo / "incidents_party_ru_2026-10-15.geojson", None),
        (shared_data / "ucdp_ged" / "ucdp_ged_ukraine_2014-2022.csv", "ucdp"),
    ]
    for path, mapping in files:
        result, receipt = audit_kit.ingest(store, path, mapping)
        back = store.incidents(batches=[receipt.batch_id])
        assert len(back) == len(result.accepted) > 0
        assert reports_digest(back) == reports_digest(result.accepted), path.name
    # The store's columnar copies gone: read back from the database itself, the same digests.
    reread = (
        type(store)(store.url, work_dir=store.path.parent / "other")
        if hasattr(store, "url")
        else type(store)(store.path)
    )
    for receipt_id in store.batches()["batch_id"]:
        assert reports_digest(reread.incidents(batches=[receipt_id])) == reports_digest(
            store.incidents(batches=[receipt_id])
        )


def test_order_does_not_matter_every_field_does():
    data = MEDIA.read_bytes()
    frame = read_batch(data, filename="m.geojson").accepted
    digest = reports_digest(frame)
    assert reports_digest(frame.iloc[::-1]) == digest
    for name in ("description", "occurred_at", "bearing_deg", "casualties_best", "source", "extra"):
        changed = frame.copy()
        s = changed[name]
        if name == "occurred_at":
            changed.loc[changed.index[0], name] = s.iloc[0] + pd.Timedelta(milliseconds=1)
        elif name in ("bearing_deg",):
            changed[name] = s.fillna(0.0)
            changed.loc[changed.index[0], name] = changed[name].iloc[0] + 1e-9
        elif name == "casualties_best":
            changed.loc[changed.index[0], name] = (0 if pd.isna(s.iloc[0]) else s.iloc[0]) + 1
        else:
            changed.loc[changed.index[0], name] = f"{s.iloc[0]}."
        assert reports_digest(changed) != digest, name
    moved = frame.copy()
    moved.geometry.values[0] = shapely.points(37.0, 48.000001)
    assert reports_digest(moved) != digest
    assert reports_digest(frame.iloc[1:]) != digest


def test_canonical_form_is_readable_json():
    data = MEDIA.read_bytes()
    frame = read_batch(data, filename="m.geojson").accepted
    doc = json.loads(canonical_reports(frame))
    assert doc["fields"] == list(DIGEST_FIELDS) and "batch_id" not in doc["fields"]
    uids = [r[doc["fields"].index("uid")] for r in doc["reports"]]
    assert uids == sorted(uids) and len(uids) == len(frame)
    first = dict(zip(doc["fields"], doc["reports"][0], strict=True))
    assert first["occurred_at"].endswith("Z") and len(first["occurred_at"]) == 27
    assert first["geometry"].startswith("0101000000")  # little-endian 2-D point WKB
