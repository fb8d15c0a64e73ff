"""python -m geo patterns writes the tables a briefing needs, readable back with their lists and times."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd

from geo.cli import main
from geo.demo import DEMO_DIR

WEEK = sorted(DEMO_DIR.glob("incidents_monitors_*.geojson"))[0]


def test_patterns_command_writes_surges_hotspots_and_clusters(tmp_path, capsys):
    out = tmp_path / "patterns"
    assert main(["patterns", str(WEEK), "-o", str(out)]) == 0
    assert "significant clusters" in capsys.readouterr().out
    surges = pd.read_csv(out / "surges.csv")
    assert list(surges.columns) == [
        "sector",
        "start",
        "end",
        "count",
        "baseline",
        "p_value",
        "rule",
        "report_uids",
    ]
    hotspots = gpd.read_file(out / "hotspots.geojson")
    clusters = gpd.read_file(out / "clusters.geojson")
    daily = pd.read_csv(out / "daily.csv")
    assert hotspots["count"].sum() == daily["count"].sum() > 0  # every report in one cell and one day
    assert hotspots.crs.to_epsg() == 4326 and (hotspots.geom_type == "Polygon").all()
    assert {"n", "p_value", "radius_m", "report_uids"} <= set(clusters.columns)
    assert all(len(u) == n for u, n in zip(clusters["report_uids"], clusters["n"], strict=True))  # arrays
    assert all(len(json.loads(u)) == n for u, n in zip(surges["report_uids"], surges["count"], strict=True))
    assert (out / "distance_profile.csv").is_file() and (out / "zones.csv").is_file()


def test_patterns_command_refuses_a_file_as_folder_in_one_line(tmp_path, capsys):
    target = tmp_path / "taken.txt"
    target.write_text("x")
    assert main(["patterns", str(WEEK), "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "not a folder" in err and err.count("\n") == 1
