"""The Upload page's CSV step: the preset found from the columns, validation, commit with the CSV kept."""

from __future__ import annotations

from pathlib import Path

from geo.ingest.mapping import ACLED, read_mapped_csv
from geo.store import open_store

UPLOAD_PAGE = "app_pages/upload.py"
ACLED_FILE = Path(__file__).resolve().parents[1] / "ingest" / "data" / "acled_ukraine_sample.csv"


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_an_acled_export_is_mapped_validated_and_committed(app_on, fresh_store_path, texts):
    data = ACLED_FILE.read_bytes()
    expected = read_mapped_csv(data, filename=ACLED_FILE.name, mapping=ACLED)
    at = app_on(fresh_store_path, UPLOAD_PAGE)
    at.file_uploader(key="upload_file").set_value((ACLED_FILE.name, data, "text/csv")).run()
    assert not at.exception
    assert at.selectbox(key="upload_csv_preset").value == "acled"
    fields = at.dataframe[0].value.set_index("field")
    assert fields.loc["id", "column"] == "event_id_cnty" and fields.loc["source", "constant"] == "ACLED"
    assert _metrics(at)["Valid"] == str(len(expected.accepted))
    assert _metrics(at)["Rejected"] == str(len(expected.rejected)) != "0"
    assert open_store(fresh_store_path).count() == 0, "validating stores nothing"
    at.button(key="upload_commit").click().run()
    assert not at.exception
    store = open_store(fresh_store_path)
    assert store.count() == len(expected.accepted)
    batch = store.batches().iloc[0]
    assert batch["sha256"] == expected.sha256 and batch["filename"] == ACLED_FILE.name
    assert store.original_file(batch["batch_id"]).read_bytes() == data
    assert len(store.quarantine(batch["batch_id"])) == len(expected.rejected)


def test_a_mapping_that_does_not_fit_says_what_is_missing(app_on, fresh_store_path, shared_data):
    data = (shared_data / "ucdp_ged" / "ucdp_ged_ukraine_2014-2022.csv").read_bytes()
    at = app_on(fresh_store_path, UPLOAD_PAGE)
    at.file_uploader(key="upload_file").set_value(("ged.csv", data, "text/csv")).run()
    assert at.selectbox(key="upload_csv_preset").value == "ucdp"
    # "custom" starts from the columns named like the schema: UCDP has no source or type column.
    at.selectbox(key="upload_csv_preset").set_value("custom").run()
    assert not at.exception
    assert "The mapping gives no source." in at.error[0].value and "How to fix" in at.error[0].value
    assert not [b for b in at.button if b.key == "upload_commit"]
    assert open_store(fresh_store_path).count() == 0
