"""Exports of exactly the filtered rows, from the CLI, round-tripped through ingest in each format."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
import shapely

from geo.cli import main
from geo.export import FORMATS, export_bytes, stored_columns
from geo.filters import Filters, apply_filters
from geo.ingest import read_batch
from geo.ingest.mapping import read_csv, read_mapped_csv, suggest_mapping
from geo.schema import FIELDS

PARAMS = {"from": "2026-10-05", "to": "2026-10-11", "sector": "Bakhmut", "type": "impact,outgoing_fire"}
FIELD_NAMES = [f.name for f in FIELDS]


def _ingest(data: bytes, fmt: str):
    """Read an export back the way a user would upload it (a CSV through the mapping its columns suggest)."""
    name = f"back.{fmt}"
    if fmt == "csv":
        mapping = suggest_mapping(list(read_csv(data, filename=name).columns))
        return read_mapped_csv(data, filename=name, mapping=mapping)
    return read_batch(data, filename=name)


@pytest.fixture(scope="module")
def chosen(reports):
    return apply_filters(reports, Filters.from_params(PARAMS))


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_export_writes_exactly_the_filtered_rows_and_they_come_back_whole(
    tmp_path, capsys, demo_store, chosen, fmt
):
    out = tmp_path / f"rows.{fmt}"
    argv = ["export", "--store", str(demo_store.path), "--format", fmt, "-o", str(out)]
    argv += ["--from", PARAMS["from"], "--to", PARAMS["to"], "--filter", f"sector={PARAMS['sector']}"]
    argv += ["--filter", f"type={PARAMS['type']}"]
    assert main(argv) == 0
    assert f"wrote {len(chosen)} reports" in capsys.readouterr().out
    back = _ingest(out.read_bytes(), fmt)
    assert back.ok and not back.errors
    got = back.accepted.reset_index(drop=True)
    want = stored_columns(chosen).reset_index(drop=True)
    assert len(got) == len(want) > 0 and got["uid"].tolist() == want["uid"].tolist()
    for name in FIELD_NAMES:
        pd.testing.assert_series_equal(got[name], want[name], check_dtype=False, check_names=False, obj=name)
    assert shapely.equals_exact(got.geometry.to_numpy(), want.geometry.to_numpy(), tolerance=1e-9).all()


def test_only_the_schema_columns_unless_asked(tmp_path, capsys, demo_store, chosen):
    out = tmp_path / "rows.geojson"
    argv = ["export", "--store", str(demo_store.path), "-o", str(out), "--filter", "flag_level=likely"]
    assert main(argv) == 0
    props = json.loads(out.read_bytes())["features"][0]["properties"]
    assert set(props) <= {*FIELD_NAMES, "uid", "batch_id"} and "flag_level" not in props
    assert main([*argv, "--with-analysis"]) == 0
    features = json.loads(out.read_bytes())["features"]
    assert {f["properties"]["flag_level"] for f in features} == {"likely"}
    assert isinstance(features[0]["properties"]["reasons"], list)


def test_a_bad_filter_is_one_line_naming_the_keys(tmp_path, capsys, demo_store):
    argv = [
        "export",
        "--store",
        str(demo_store.path),
        "-o",
        str(tmp_path / "x.csv"),
        "--filter",
        "colour=red",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--filter 'colour=red'" in err and "flag_level" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.csv").exists()


def test_unicode_and_formulas_in_the_filtered_rows(chosen):
    rows = stored_columns(chosen.iloc[:3]).copy()
    rows["description"] = ["Обстріл біля Авдіївки", '=HYPERLINK("http://x")', "@SUM(A1)"]
    table = pd.read_csv(io.BytesIO(export_bytes(rows, format="csv")), dtype=str, keep_default_na=False)
    assert table["description"].tolist() == ["Обстріл біля Авдіївки", '\'=HYPERLINK("http://x")', "'@SUM(A1)"]
    for fmt in ("geojson", "gpkg", "kml"):
        back = _ingest(export_bytes(rows, format=fmt), fmt).accepted
        assert back["description"].tolist() == rows["description"].tolist(), fmt
