"""A column mapping reads any tabular source: the attributes of GeoJSON and GeoPackage files as well as
CSV, with ids derived from the values where a source has none, and text in a stated encoding."""

from __future__ import annotations

import dataclasses
import json

import geopandas as gpd
import pandas as pd
import pytest

from geo.errors import InputError
from geo.ingest.mapping import ColumnMapping, read_mapped, read_upload
from geo.settings import Settings

UCDP_GEOJSON = "ucdp_ged/ucdp_ged_ukraine_minsk2_2015-02-15_2022-02-23.geojson"
FIRMS = ColumnMapping(
    name="firms",
    columns={
        "longitude": "LONGITUDE",
        "latitude": "LATITUDE",
        "occurred_from": "ACQ_DATE",
        "occurred_to": "ACQ_DATE",
    },
    constants={"source": "NASA FIRMS", "type": "other", "source_type": "satellite", "time_precision": "day"},
    id_from=["*"],
    day_dates=True,
)


def test_the_ucdp_geojson_imports_through_the_ucdp_preset(shared_data):
    path = shared_data / UCDP_GEOJSON
    doc = json.loads(path.read_text(encoding="utf-8"))
    props = pd.DataFrame([f["properties"] for f in doc["features"]])
    result = read_upload(path.read_bytes(), filename=path.name, mapping="ucdp", settings=Settings())
    assert result.n_features == len(props) and len(result.accepted) >= 0.99 * len(props)
    assert any("no column 'source_headline'" in n for n in result.notes)
    got = result.accepted.set_index("id")
    first = props.iloc[0]
    row = got.loc[str(first["id"])]
    assert row.geometry.x == pytest.approx(float(first["longitude"])) and row.geometry.y == pytest.approx(
        float(first["latitude"])
    )
    assert pd.Timestamp(row["occurred_from"]).date() == pd.Timestamp(first["date_start"]).date()
    # The type of violence gives the type: fighting between armed groups is an armed clash.
    kept = props.assign(id=props["id"].astype(str)).set_index("id").loc[got.index]
    clash = kept["type_of_violence"].astype(int).isin([1, 2])
    assert clash.sum() > 1000  # the Minsk II period's events are fighting, none one-sided
    assert (got.loc[clash, "type"] == "burst_or_shots").all() and (got.loc[~clash, "type"] == "other").all()


def test_rows_without_ids_get_ids_derived_from_their_values_the_same_in_every_import(shared_data):
    path = shared_data / "nasa_firms" / "firms_donbas_bbox_2021.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"] = doc["features"][:300]
    whole = read_mapped(
        json.dumps(doc).encode(), filename="firms.geojson", mapping=FIRMS, settings=Settings()
    )
    assert len(whole.accepted) + len(whole.rejected) == 300
    assert whole.accepted["id"].str.fullmatch(r"row-[0-9a-f]{16}").all()
    # The same rows in another file (the first 50 left out) keep their ids.
    doc["features"] = doc["features"][50:]
    part = read_mapped(
        json.dumps(doc).encode(), filename="firms-2.geojson", mapping=FIRMS, settings=Settings()
    )
    ids = whole.accepted.set_index("uid").geometry
    common = part.accepted["uid"]
    assert len(common) >= 240 and common.isin(ids.index).all()


def test_an_id_column_and_derived_ids_together_are_refused(shared_data):
    path = shared_data / "nasa_firms" / "firms_donbas_bbox_2021.geojson"
    both = dataclasses.replace(FIRMS, columns={**FIRMS.columns, "id": "ACQ_DATE"})
    with pytest.raises(InputError, match=r"derives it from"):
        read_mapped(path.read_bytes(), filename=path.name, mapping=both, settings=Settings())


def _cp1252_csv() -> bytes:
    rows = "id,source,type,longitude,latitude,occurred_at,description\n"
    rows += "a1,Partner,impact,37.6,48.1,2026-10-05T04:10:00Z,Obstrel bilya sela Novosélivka – café\n"
    return rows.encode("cp1252")


def test_a_cp1252_csv_is_refused_naming_the_encoding_key_then_read_as_stated():
    data = _cp1252_csv()
    custom = ColumnMapping(
        name="partner",
        columns={
            k: k for k in ("id", "source", "type", "longitude", "latitude", "occurred_at", "description")
        },
    )
    with pytest.raises(InputError) as refused:
        read_mapped(data, filename="partner.csv", mapping=custom, settings=Settings())
    assert "is not UTF-8 text" in str(refused.value) and '"encoding": "cp1252"' in refused.value.hint
    stated = dataclasses.replace(custom, encoding="cp1252")
    result = read_mapped(data, filename="partner.csv", mapping=stated, settings=Settings())
    assert result.accepted["description"].iloc[0].endswith("Novosélivka – café")
    assert any("read as cp1252" in n for n in result.notes)
    with pytest.raises(InputError, match="not an encoding"):
        read_mapped(data, filename="partner.csv", mapping=dataclasses.replace(custom, encoding="klingon"))


def test_a_geopackage_of_ucdp_rows_imports_through_the_preset(shared_data, tmp_path):
    table = pd.read_csv(shared_data / "ucdp_ged" / "ucdp_ged_ukraine_2014-2022.csv", dtype=str).head(25)
    frame = gpd.GeoDataFrame(
        table,
        geometry=gpd.points_from_xy(table["longitude"].astype(float), table["latitude"].astype(float)),
        crs=4326,
    )
    path = tmp_path / "ged.gpkg"
    frame.to_file(path, driver="GPKG")
    result = read_upload(path.read_bytes(), filename=path.name, mapping="ucdp", settings=Settings())
    assert result.n_features == 25 and len(result.accepted) >= 24
    assert "geopackage" in result.format.lower()
    assert set(result.accepted["id"]) <= set(table["id"])
