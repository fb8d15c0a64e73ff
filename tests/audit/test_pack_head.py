"""A briefing pack carries the audit log's tree head at its making; audit verify takes its manifest."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from pypdf import PdfReader

from geo.audit.log import AuditLog, TreeHead, verify
from geo.errors import GeoError
from geo.filters import Filters
from geo.report import Manifest, build_pack, write_pack
from geo.scenario import load_scenario
from geo.settings import load_settings


@pytest.fixture(scope="module")
def made(demo_store, demo_analysis):
    settings = load_settings(environ={})
    head = AuditLog(demo_store).head()
    pack = build_pack(
        demo_analysis,
        load_scenario(settings.scenario_dir),
        filters=Filters.from_params({"from": "2026-10-05", "to": "2026-10-11", "sector": "Bakhmut"}),
        settings=settings,
        generated_at=pd.Timestamp("2026-11-01T12:00:00Z"),
        audit_head=head.to_dict(),
    )
    return pack, head


def test_the_manifest_carries_the_head(made, tmp_path):
    pack, head = made
    assert pack.manifest.audit == head.to_dict()
    assert Manifest.from_json(pack.manifest.to_json()).audit == head.to_dict()
    # In the PDF's own metadata too, and in words on its methods page.
    keywords = json.loads(PdfReader(io.BytesIO(pack.pdf)).metadata["/Keywords"])
    assert keywords["audit"]["root"] == head.root_hex and keywords["audit"]["size"] == head.size
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pack.pdf)).pages[-2:])
    assert "Audit log tree head" in text and head.root_hex[:16] in text.replace("\n", "")
    _, manifest = write_pack(pack, tmp_path / "pack.pdf")
    assert TreeHead.from_file(manifest) == head


def test_audit_verify_takes_the_manifest(made, demo_store, tmp_path):
    pack, _ = made
    _, manifest = write_pack(pack, tmp_path / "pack.pdf")
    assert verify(demo_store, TreeHead.from_file(manifest)) == []
    doc = json.loads(manifest.read_text())
    doc["audit"]["root"] = "0" * 64
    manifest.write_text(json.dumps(doc))
    problems = verify(demo_store, TreeHead.from_file(manifest), data=False)
    assert len(problems) == 1 and "not an extension of the published head" in problems[0]


def test_a_manifest_without_a_head_still_reads_and_a_bad_one_is_named():
    old = Manifest(
        filters={}, options={}, agreement_file="a.toml", agreement_sha256="0" * 64, context_key="k",
        software_version="0", store_hash="1" * 64, view_hash="2" * 64, generated_at="2026-11-01T12:00:00Z",
    )  # fmt: skip
    doc = json.loads(old.to_json())
    del doc["audit"]  # a pack made before issue 15
    assert Manifest.from_json(json.dumps(doc)).audit is None
    doc["audit"] = {"size": 3, "root": "not hex"}
    with pytest.raises(GeoError, match="audit tree head has no root hash"):
        Manifest.from_json(json.dumps(doc))
