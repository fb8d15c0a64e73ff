"""The Upload page's CSV step: the preset found from the columns, validation, commit with the CSV kept.

A commit with its original file and quarantine, and a file kept only in quarantine, run on both
stores; the mapping's own tests (what the store receives is the same frame) on the GeoPackage one."""

from __future__ import annotations

from pathlib import Path

from geo.ingest.mapping import ACLED, read_mapped_csv
from geo.store import open_store

UPLOAD_PAGE = "app_pages/upload.py"
ACLED_FILE = Path(__file__).resolve().parents[1] / "ingest" / "data" / "acled_ukraine_sample.csv"


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_an_acled_export_is_mapped_validated_and_committed(app_on, fresh_store, texts):
    data = ACLED_FILE.read_bytes()
    expected = read_mapped_csv(data, filename=ACLED_FILE.name, mapping=ACLED)
    at = app_on(fresh_store, UPLOAD_PAGE)
    at.file_uploader(key="upload_file").set_value((ACLED_FILE.name, data, "text/csv")).run()
    assert not at.exception
    assert at.selectbox(key="upload_csv_preset").value == "acled"
    fields = at.dataframe[0].value.set_index("field")
    assert fields.loc["id", "column"] == "event_id_cnty" and fields.loc["source", "constant"] == "ACLED"
    assert _metrics(at)["Valid"] == str(len(expected.accepted))
    assert _metrics(at)["Rejected"] == str(len(expected.rejected)) != "0"
    assert fresh_store.count() == 0, "validating stores nothing"
    at.button(key="upload_commit").click().run()
    assert not at.exception
    store = fresh_store
    assert store.count() == len(expected.accepted)
    batch = store.batches().iloc[0]
    assert batch["sha256"] == expected.sha256 and batch["filename"] == ACLED_FILE.name
    assert store.original_file(batch["batch_id"]).read_bytes() == data
    assert len(store.quarantine(batch["batch_id"])) == len(expected.rejected)


def test_a_mapping_that_does_not_fit_says_what_is_missing(app_on, fresh_store_path, shared_data, shown):
    data = (shared_data / "ucdp_ged" / "ucdp_ged_ukraine_2014-2022.csv").read_bytes()
    at = app_on(fresh_store_path, UPLOAD_PAGE)
    at.file_uploader(key="upload_file").set_value(("ged.csv", data, "text/csv")).run()
    assert at.selectbox(key="upload_csv_preset").value == "ucdp"
    # "custom" starts from the columns named like the schema: UCDP has no source or type column.
    at.selectbox(key="upload_csv_preset").set_value("custom").run()
    assert not at.exception
    assert "The mapping gives no source." in shown(at.error[0].value) and "How to fix" in at.error[0].value
    assert not [b for b in at.button if b.key == "upload_commit"]
    assert open_store(fresh_store_path).count() == 0


def test_an_ambiguous_date_column_is_refused_until_the_order_is_chosen(app_on, fresh_store_path, shared_data):
    # The real UCDP GED rows, their dates rewritten as an Excel export writes them (month first), and
    # only rows whose day and month are both 12 or less: nothing in the column decides the order.
    import pandas as pd

    ged = pd.read_csv(shared_data / "ucdp_ged" / "ucdp_ged_ukraine_2014-2022.csv", dtype=str)
    start, end = pd.to_datetime(ged["date_start"]), pd.to_datetime(ged["date_end"])
    ged = ged[(start.dt.day <= 12) & (end.dt.day <= 12) & (start.dt.day != start.dt.month)].head(40).copy()
    for name in ("date_start", "date_end"):
        when = pd.to_datetime(ged[name])
        ged[name] = [f"{t.month}/{t.day}/{t.year} 12:00:00 AM" for t in when]
    data = ged.to_csv(index=False).encode()
    at = app_on(fresh_store_path, UPLOAD_PAGE)
    at.file_uploader(key="upload_file").set_value(("ged-excel.csv", data, "text/csv")).run()
    assert not at.exception
    assert at.selectbox(key="upload_csv_preset").value == "ucdp"
    refusal = at.error[0].value
    assert "nothing in the column decides the order" in refusal and "dayfirst" in refusal
    assert not [b for b in at.button if b.key == "upload_commit"]
    at.radio(key="upload_csv_date_order-ucdp").set_value("Month first (01/31/2026)").run()
    assert not at.exception and not at.error
    at.button(key="upload_commit").click().run()
    stored = open_store(fresh_store_path).incidents()
    assert len(stored) == len(ged)
    first = ged.iloc[0]
    month, day, year = (int(v) for v in first["date_start"].split()[0].split("/"))
    row = stored[stored["id"] == str(first["id"])].iloc[0]
    assert pd.Timestamp(row["occurred_from"]).date() == pd.Timestamp(year=year, month=month, day=day).date()


def test_a_geojson_of_another_datasets_schema_is_offered_the_mapping_and_imports(
    app_on, fresh_store_path, shared_data
):
    path = shared_data / "ucdp_ged" / "ucdp_ged_ukraine_minsk2_2015-02-15_2022-02-23.geojson"
    at = app_on(fresh_store_path, UPLOAD_PAGE)
    at.file_uploader(key="upload_file").set_value(
        (path.name, path.read_bytes(), "application/geo+json")
    ).run()
    assert not at.exception
    # The plain reading finds UCDP's schema, so the mapping step is offered and already chosen.
    assert at.checkbox(key="upload_as_table").value is True
    assert at.selectbox(key="upload_csv_preset").value == "ucdp"
    assert _metrics(at)["Valid"] == "1447" and _metrics(at)["Rejected"] == "0"
    at.button(key="upload_commit").click().run()
    assert not at.exception and open_store(fresh_store_path).count() == 1447


def test_a_windows_csv_is_read_in_the_encoding_chosen(app_on, fresh_store_path, texts):
    rows = "id,source,type,longitude,latitude,occurred_at,description\n"
    rows += "a1,Partner,impact,37.6,48.1,2026-10-05T04:10:00Z,Obstrel bilya sela Novosélivka\n"
    data = rows.encode("cp1252")
    at = app_on(fresh_store_path, UPLOAD_PAGE)
    at.file_uploader(key="upload_file").set_value(("partner.csv", data, "text/csv")).run()
    assert not at.exception
    assert "is not UTF-8 text" in texts(at)
    at.selectbox(key="upload_csv_encoding").set_value("Windows-1252 (Western Europe)").run()
    assert not at.exception and _metrics(at)["Valid"] == "1"
    at.button(key="upload_commit").click().run()
    assert open_store(fresh_store_path).incidents()["description"].iloc[0].endswith("Novosélivka")


def test_a_file_of_which_nothing_is_valid_is_kept_only_by_an_explicit_choice(app_on, fresh_store):
    import json

    from geo.demo import DEMO_DIR

    doc = json.loads(sorted(DEMO_DIR.glob("*.geojson"))[0].read_text(encoding="utf-8"))
    doc["features"] = doc["features"][:4]
    for f in doc["features"]:
        f["properties"]["type"] = "not_a_type"
    at = app_on(fresh_store, UPLOAD_PAGE)
    at.file_uploader(key="upload_file").set_value(
        ("bad.geojson", json.dumps(doc).encode(), "application/geo+json")
    ).run()
    assert not at.exception
    assert not [b for b in at.button if b.key == "upload_commit"], "no 'Commit 0 reports'"
    assert any("No feature of this file is valid" in w.value for w in at.warning)
    at.button(key="upload_keep_rejected").click().run()
    store = fresh_store
    assert store.count() == 0 and len(store.batches()) == 1 and len(store.quarantine()) == 4
