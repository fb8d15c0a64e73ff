"""Exports hold exactly the given rows, round-trip through ingest, keep Unicode and defuse spreadsheet formulas."""

from __future__ import annotations

import io
import json

import pandas as pd
import pyogrio
import pytest

from geo.errors import InputError
from geo.export import export_incidents
from geo.ingest import read_batch


def _frame():
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [37.5 + i / 100, 48.1]},
            "properties": {
                "id": f"r{i}",
                "source": "CVM-OP-07",
                "occurred_at": "2026-10-05T04:10:00Z",
                "type": "impact",
                "count": 3,
                "bearing_deg": "120-150",
                "description": ['=HYPERLINK("http://x")', "Обстріл Авдіївки", "-5", "+1 more", "@cmd"][i],
                "patrol": "P-3",
                "=cmd|' /C calc'!A0": "header attack",
            },
        }
        for i in range(5)
    ]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    return read_batch(data, filename="x.geojson").accepted


def test_geojson_round_trips_through_ingest(tmp_path):
    frame = _frame()
    path = export_incidents(frame, tmp_path / "out.geojson", format="geojson")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert "crs" not in doc and doc["features"][0]["properties"]["occurred_at"] == "2026-10-05T04:10:00Z"
    assert doc["features"][0]["properties"]["patrol"] == "P-3"  # unknown properties come back out
    back = read_batch(path.read_bytes(), filename="out.geojson")
    assert back.ok, [i.as_text() for i in back.issues]
    cols = [c for c in frame.columns if c != "extra"]
    pd.testing.assert_frame_equal(pd.DataFrame(back.accepted[cols]), pd.DataFrame(frame[cols]))
    assert json.loads(back.accepted["extra"].iloc[0]) == {"patrol": "P-3", "=cmd|' /C calc'!A0": "header attack"}


def test_csv_keeps_unicode_and_neutralises_formulas(tmp_path):
    path = export_incidents(_frame(), tmp_path / "out.csv", format="csv")
    text = path.read_text(encoding="utf-8")
    table = pd.read_csv(io.StringIO(text), dtype=str)
    assert table["description"].tolist() == [
        '\'=HYPERLINK("http://x")',
        "Обстріл Авдіївки",
        "-5",
        "'+1 more",
        "'@cmd",
    ]
    assert table["lon"].astype(float).tolist() == pytest.approx([37.5, 37.51, 37.52, 37.53, 37.54])
    assert len(table) == 5
    assert "'=cmd|' /C calc'!A0" in table.columns and "=cmd|' /C calc'!A0" not in table.columns


@pytest.mark.parametrize("fmt", ["gpkg", "kml"])
def test_gis_formats_are_readable(tmp_path, fmt):
    frame = _frame().iloc[:3]
    path = export_incidents(frame, tmp_path / f"out.{fmt}", format=fmt)
    back = pyogrio.read_dataframe(path)
    assert len(back) == 3 and back.crs.to_epsg() == 4326
    if fmt == "gpkg":
        assert back["description"].iloc[1] == "Обстріл Авдіївки"
        result = read_batch(path.read_bytes(), filename=path.name)
        assert result.ok and len(result.accepted) == 3


def test_unknown_format(tmp_path):
    with pytest.raises(InputError, match="Unknown export format 'xls'"):
        export_incidents(_frame(), tmp_path / "x.xls", format="xls")
