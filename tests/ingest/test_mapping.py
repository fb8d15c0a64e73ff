"""CSV exports through a column mapping: ACLED (a fixture from its codebook) and UCDP GED (the real file)."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from geo.cli import main
from geo.errors import InputError
from geo.ingest.mapping import (
    ACLED,
    UCDP,
    guess_preset,
    load_mapping,
    mapping_from_tables,
    mapping_tables,
    read_csv,
    read_mapped_csv,
    read_upload,
    suggest_mapping,
)
from geo.store import open_store

ACLED_FILE = Path(__file__).parent / "data" / "acled_ukraine_sample.csv"


@pytest.fixture(scope="module")
def acled_rows() -> list[dict[str, str]]:
    with ACLED_FILE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def ucdp(shared_data) -> tuple[bytes, pd.DataFrame]:
    path = shared_data / "ucdp_ged" / "ucdp_ged_ukraine_2014-2022.csv"
    data = path.read_bytes()
    return data, pd.read_csv(io.BytesIO(data))


def test_presets_are_recognised_by_their_columns(acled_rows, ucdp):
    assert guess_preset(list(acled_rows[0])) == "acled"
    assert guess_preset(list(ucdp[1].columns)) == "ucdp"
    assert guess_preset(["id", "lon", "lat"]) is None


def test_acled_rows_become_reports_and_the_others_are_named(acled_rows, settings):
    result = read_mapped_csv(
        ACLED_FILE.read_bytes(), filename=ACLED_FILE.name, mapping=ACLED, settings=settings
    )
    protests = {r["event_id_cnty"] for r in acled_rows if r["sub_event_type"] not in ACLED.values["type"]}
    unplaced = {r["event_id_cnty"] for r in acled_rows if not _is_number(r["longitude"])}
    assert protests and unplaced
    assert {r.feature_id for r in result.rejected} == protests | unplaced
    assert len(result.accepted) == len(acled_rows) - len(protests | unplaced)
    by_id = result.accepted.set_index("id")
    for row in acled_rows:
        if row["event_id_cnty"] not in by_id.index:
            continue
        got = by_id.loc[row["event_id_cnty"]]
        day = pd.Timestamp(pd.to_datetime(row["event_date"], format="mixed"), tz="UTC")
        assert got["occurred_from"] == day
        assert got["occurred_to"] == day + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
        assert got["type"] == ACLED.values["type"][row["sub_event_type"]]
        assert got["time_precision"] == ACLED.values["time_precision"][row["time_precision"]]
        assert got["casualties_best"] == int(row["fatalities"])
        assert got["source"] == "ACLED" and got["uid"] == f"ACLED/{row['event_id_cnty']}"
        assert got.geometry.x == float(row["longitude"]) and got.geometry.y == float(row["latitude"])
        # ACLED's own `source` column (the outlet) is kept, not confused with the report's source.
        assert json.loads(got["extra"])["original"]["source"] == row["source"]


def test_a_code_missing_from_a_value_map_is_left_empty_with_a_warning(acled_rows, settings):
    result = read_mapped_csv(
        ACLED_FILE.read_bytes(), filename=ACLED_FILE.name, mapping=ACLED, settings=settings
    )
    odd = [r for r in acled_rows if r["geo_precision"] not in ACLED.values["location_precision_m"]]
    assert odd
    warned = [i for i in result.warnings if i.field == "location_precision_m"]
    assert {i.feature_id for i in warned} == {r["event_id_cnty"] for r in odd}
    assert all(repr(r["geo_precision"]) in i.problem for r, i in zip(odd, warned, strict=True))
    kept = result.accepted.set_index("id").loc[[r["event_id_cnty"] for r in odd], "location_precision_m"]
    assert kept.isna().all()


def test_ucdp_ged_real_file_through_the_preset(ucdp, settings):
    data, table = ucdp
    result = read_mapped_csv(data, filename="ucdp.csv", mapping=UCDP, settings=settings)
    out_of_order = ~((table["low"] <= table["best"]) & (table["best"] <= table["high"]))
    assert result.n_features == len(table) and not result.rejected
    # Estimates out of order are real data: kept as given, each named in a warning.
    warned = {w.feature_id for w in result.warnings if w.field == "casualties_best"}
    assert warned == set(table.loc[out_of_order, "id"].astype(str)) and len(warned) == 13
    accepted = result.accepted.set_index("id")
    expected = table.set_index(table["id"].astype(str))
    assert (accepted["casualties_best"].astype(int) == expected["best"]).all()
    start = pd.to_datetime(expected["date_start"], utc=True)
    assert (accepted["occurred_from"] == start).all()
    ends = pd.to_datetime(expected["date_end"], utc=True) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    assert (accepted["occurred_to"] == ends).all()
    assert (accepted.loc[expected["date_prec"] == 1, "time_precision"] == "day").all()
    assert (accepted.loc[expected["where_prec"] == 1, "location_precision_m"] == 1000).all()
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert any('"ucdp"' in n for n in result.notes)
    # No foreign-schema complaint: the unmapped UCDP columns are kept whole under `original`.
    assert not [i for i in result.errors if i.index is None]


def test_a_mapped_csv_is_stored_with_the_csv_as_its_original_file(new_store, store_kind, settings):
    data = ACLED_FILE.read_bytes()
    result = read_mapped_csv(data, filename=ACLED_FILE.name, mapping=ACLED, settings=settings)
    store = new_store(store_kind)
    receipt = store.add_batch(result, original=data)
    assert store.original_file(receipt.batch_id).read_bytes() == data
    assert store.count() == len(result.accepted)
    assert store.batches().loc[0, "filename"] == ACLED_FILE.name


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"columns": ACLED.columns | {"id": "event_id"}}, "column 'event_id', which the file does not have"),
        ({"columns": ACLED.columns | {"kind": "event_type"}}, "'kind', which is not an incident field"),
        ({"constants": ACLED.constants | {"source_type": "blog"}}, "'blog' (a constant)"),
        ({"constants": {}}, "gives no source"),
        ({"columns": {k: v for k, v in ACLED.columns.items() if not k.startswith("occurred")}}, "no time"),
    ],
)
def test_a_mapping_that_does_not_fit_is_refused_before_any_row(change, message, settings):
    bad = dataclasses.replace(ACLED, **change)
    with pytest.raises(InputError) as caught:
        read_mapped_csv(ACLED_FILE.read_bytes(), filename="a.csv", mapping=bad, settings=settings)
    assert message in caught.value.message and caught.value.hint


def test_tables_round_trip_and_list_the_unmapped_codes(acled_rows):
    table = read_csv(ACLED_FILE.read_bytes(), filename="a.csv")
    fields, values = mapping_tables(ACLED, table)
    assert mapping_from_tables("acled", fields, values, day_dates=True) == ACLED
    unmapped = set(values.loc[values["value"].isna(), "csv_value"])
    assert unmapped == {r["sub_event_type"] for r in acled_rows} - set(ACLED.values["type"]) | {
        r["geo_precision"] for r in acled_rows
    } - set(ACLED.values["location_precision_m"])
    edited = values.assign(value=values["value"].where(values["csv_value"] != "Peaceful protest", "other"))
    mapping = mapping_from_tables("mine", fields, edited, day_dates=True)
    assert mapping.values["type"]["Peaceful protest"] == "other"


def test_json_mapping_file_and_bad_specs(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(UCDP.to_json(), encoding="utf-8")
    assert load_mapping(str(path)) == UCDP
    path.write_text('{"columns": {}, "colour": 1}', encoding="utf-8")
    with pytest.raises(InputError, match="unknown keys colour"):
        load_mapping(str(path))
    with pytest.raises(InputError, match="neither a preset"):
        load_mapping("gdelt")


def test_a_csv_without_mapping_names_the_preset(settings):
    with pytest.raises(InputError, match="Its columns are ACLED's") as caught:
        read_upload(ACLED_FILE.read_bytes(), filename="export.csv", settings=settings)
    assert "--mapping acled" in caught.value.hint


def test_cli_validate_and_ingest_with_a_mapping(capsys, tmp_path, settings):
    expected = read_mapped_csv(
        ACLED_FILE.read_bytes(), filename=ACLED_FILE.name, mapping=ACLED, settings=settings
    )
    code = main(["validate", str(ACLED_FILE), "--mapping", "acled", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["rejected"] == len(expected.rejected) > 0
    assert report["accepted"] == len(expected.accepted)
    store = tmp_path / "s.gpkg"
    code = main(["ingest", str(ACLED_FILE), "--mapping", "acled", "--store", str(store), "--json"])
    receipt = json.loads(capsys.readouterr().out)
    assert code == 1 and receipt["accepted"] == len(expected.accepted)
    assert open_store(store).count() == receipt["accepted"]
    code = main(["validate", str(ACLED_FILE)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and "--mapping acled" in err


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_a_table_in_the_schema_gets_its_columns_suggested(settings):
    text = "id,source,occurred_at,type,lon,lat\nr1,desk,2026-10-20T06:00:00Z,impact,37.6,48.1\n"
    mapping = suggest_mapping(["id", "source", "occurred_at", "type", "lon", "lat"])
    assert mapping.columns == {
        "longitude": "lon",
        "latitude": "lat",
        "id": "id",
        "source": "source",
        "occurred_at": "occurred_at",
        "type": "type",
    }
    result = read_mapped_csv(text.encode(), filename="mine.csv", mapping=mapping, settings=settings)
    assert result.ok and result.accepted.loc[0, "uid"] == "desk/r1"
    assert (result.accepted.geometry.x.iloc[0], result.accepted.geometry.y.iloc[0]) == (37.6, 48.1)
    assert suggest_mapping(list(read_csv(ACLED_FILE.read_bytes(), filename="a.csv").columns)) == ACLED
