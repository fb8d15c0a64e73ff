"""The Upload page: validate, preview, commit, refuse a bad file, recognise a file seen before, retract;
on both stores."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1.errors import AppTestError

from geo.demo import DEMO_DIR
from geo.ingest import read_batch

UPLOAD_PAGE = "app_pages/upload.py"
GEOJSON = "application/geo+json"


@pytest.fixture
def upload_page(app_on, fresh_store):
    return app_on(fresh_store, UPLOAD_PAGE)


def _choose(at, name: str, data: bytes):
    at.file_uploader(key="upload_file").set_value((name, data, GEOJSON)).run()
    assert not at.exception
    return at


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_a_demo_file_is_validated_previewed_and_committed(upload_page, fresh_store, texts):
    path = sorted(DEMO_DIR.glob("incidents_monitors_*.geojson"))[0]
    data = path.read_bytes()
    expected = read_batch(data, filename=path.name)
    at = _choose(upload_page, path.name, data)
    assert _metrics(at)["Valid"] == str(len(expected.accepted)) and not at.error
    assert at.session_state["upload_preview_count"] == len(expected.accepted)
    assert fresh_store.count() == 0, "validating must not store anything"
    assert at.button(key="upload_commit").label == f"Commit {len(expected.accepted)} reports"
    at.button(key="upload_commit").click().run()
    assert not at.exception and not at.error
    assert fresh_store.count() == len(expected.accepted)
    assert _metrics(at)["Stored"] == str(len(expected.accepted))
    assert f"SHA-256 {expected.sha256}" in texts(at)
    # The page chrome was drawn again after the commit: the sidebar counts the new reports.
    assert f"{len(expected.accepted):,} reports" in " ".join(c.value for c in at.sidebar.caption)
    assert path.name in set(at.dataframe[-1].value["filename"])


def test_the_same_file_again_is_already_ingested(app_on, fresh_store, small_batch, texts):
    data = small_batch(3)
    first = app_on(fresh_store, UPLOAD_PAGE)
    _choose(first, "batch.geojson", data).button(key="upload_commit").click().run()
    assert "Stored batch" in texts(first) and fresh_store.count() == 3
    # Again, through another app server (for PostGIS: another work folder over the same database).
    again = app_on(fresh_store, UPLOAD_PAGE, server="other")
    assert again.dataframe[-1].value["filename"].tolist() == ["batch.geojson"], "the first server's batch"
    _choose(again, "copy.geojson", data)
    again.button(key="upload_commit").click().run()
    assert not again.exception
    assert "already ingested" in " ".join(w.value for w in again.warning)
    assert _metrics(again)["Stored"] == "0"
    assert fresh_store.count() == 3
    assert len(fresh_store.batches()) == 1


def test_a_bad_file_names_the_problem_and_stores_nothing(upload_page, fresh_store, shared_data, shown):
    bad = (shared_data / "geojson_bad" / "bad-json.geojson").read_bytes()
    at = _choose(upload_page, "bad-json.geojson", bad)
    message = " ".join(shown(e.value) for e in at.error)
    assert "bad-json.geojson is not valid JSON" in message and "line 3" in message
    assert "How to fix" in message
    assert not [b for b in at.button if b.key == "upload_commit"], "nothing to commit"
    assert fresh_store.count() == 0 and fresh_store.batches().empty


def test_a_partly_invalid_batch_lists_each_issue_and_quarantines(
    upload_page, fresh_store, small_batch, texts
):
    bad = b'{"type": "Feature", "geometry": null, "properties": {"id": "x", "source": "desk", "type": "shelling"}}'
    data = small_batch(2)[:-2] + b", " + bad + b"]}"
    at = _choose(upload_page, "mixed.geojson", data)
    assert _metrics(at)["Rejected"] == "1" and _metrics(at)["Valid"] == "2"
    issues = at.dataframe[0].value
    assert list(issues.columns) == ["feature", "id", "field", "problem", "fix"]
    assert set(issues["feature"]) == {2} and set(issues["id"]) == {"x"}
    assert set(issues["field"]) >= {"geometry", "type", "occurred_at"}
    at.button(key="upload_commit").click().run()
    assert "1 rejected and kept in quarantine" in texts(at)
    assert fresh_store.count() == 2
    assert len(fresh_store.quarantine()) == 1


def test_retract_asks_for_a_reason_and_confirmation_then_hides_the_reports(
    upload_page, fresh_store, small_batch, texts
):
    at = _choose(upload_page, "batch.geojson", small_batch(4))
    at.button(key="upload_commit").click().run()
    batch_id = fresh_store.batches()["batch_id"].iloc[0]
    at.selectbox(key="retract_batch").set_value(batch_id).run()
    assert at.button(key="retract_button").disabled
    with pytest.raises(AppTestError, match="disabled"):
        at.button(key="retract_button").click()
    at.checkbox(key="retract_confirm").check().run()
    assert not at.button(key="retract_button").disabled
    # No reason (or only spaces): nothing is retracted, and the page says why.
    for blank in ("", "   "):
        at.text_input(key="retract_reason").input(blank)
        at.button(key="retract_button").click().run()
        assert not at.exception and "Nothing was retracted: say why" in texts(at)
        assert fresh_store.count() == 4 and fresh_store.batches()["retracted_at"].isna().all()
    at.text_input(key="retract_reason").input("sent twice by the desk")
    at.button(key="retract_button").click().run()
    assert not at.exception and not at.error
    assert f"Retracted batch {batch_id}: 4 reports left every view." in texts(at)
    # Hidden, not deleted: the reports, the record and the file are kept, with who and why.
    assert fresh_store.count() == 0 and len(fresh_store.incidents(hidden=True)) == 4
    assert fresh_store.original_file(batch_id).is_file()
    history = at.dataframe[-1].value
    row = history.loc[history["batch_id"] == batch_id].iloc[0]
    assert pd.notna(row["retracted_at"]) and row["retract_reason"] == "sent twice by the desk"
    assert row["retracted_by"].endswith("(single-user mode)") and row["batch_status"] == "Retracted"
    # Nothing is left to retract, so the retraction widgets are gone; the batch may be restored.
    assert not [s for s in at.selectbox if s.key == "retract_batch"]
    assert at.selectbox(key="restore_batch").options[0].startswith(f"{batch_id} · batch.geojson · retracted ")


def test_a_file_is_validated_once_per_upload(upload_page, fresh_store, small_batch, monkeypatch):
    import ui.data

    calls = []

    def counting(data, **options):
        calls.append(options["filename"])
        return read_batch(data, **options)

    monkeypatch.setattr(ui.data, "read_batch", counting)
    at = _choose(upload_page, "one.geojson", small_batch(2))
    assert not at.exception and _metrics(at)["Valid"] == "2"
    assert calls == ["one.geojson"]
    _choose(at, "two.geojson", small_batch(5))
    assert calls == ["one.geojson", "two.geojson"] and _metrics(at)["Valid"] == "5"
    at.button(key="upload_commit").click().run()
    assert calls == ["one.geojson", "two.geojson"], "committing reuses the validated batch"
    batches = fresh_store.batches()
    assert batches[["filename", "accepted"]].values.tolist() == [["two.geojson", 5]]
    # No users file: single-user mode's local user is the uploader (tests/app/test_roles.py: a signed-in one).
    assert batches["uploader"].iloc[0].endswith("(single-user mode)")


def test_reports_stored_before_are_counted_as_duplicates(upload_page, fresh_store, small_batch, texts):
    at = _choose(upload_page, "first.geojson", small_batch(3))
    at.button(key="upload_commit").click().run()
    # A new file (another hash) repeating three reports by (source, id) and adding two.
    at = _choose(at, "second.geojson", small_batch(5, description="resent with two more"))
    at.button(key="upload_commit").click().run()
    assert not at.exception and not at.error
    assert _metrics(at)["Stored"] == "2" and _metrics(at)["Duplicates skipped"] == "3"
    assert "3 already stored (same source and id) and skipped" in texts(at)
    assert fresh_store.count() == 5
