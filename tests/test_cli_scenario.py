"""python -m geo enrich/flag/patterns with a user's scenario: --scenario DIR, and partial overrides that
refuse what does not fit instead of mixing the demo's parts into the user's theatre."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import shapely

from geo.cli import main
from geo.demo import DEMO_DIR
from geo.settings import SCENARIO_DIR

DEMO_FILE = sorted(DEMO_DIR.glob("*.geojson"))[0]


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _donbas_line(path: Path, *, share: float = 0.35, shift: float = 0.0) -> Path:
    """The first ``share`` of each demo line version (its north-eastern, Donbas end), moved east by ``shift`` degrees."""
    doc = json.loads((SCENARIO_DIR / "contact_line.geojson").read_text(encoding="utf-8"))
    for f in doc["features"]:
        line = shapely.geometry.shape(f["geometry"])
        part = shapely.ops.substring(line, 0, share, normalized=True)
        part = shapely.affinity.translate(part, xoff=shift)
        f["geometry"] = shapely.geometry.mapping(part)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_a_line_of_ones_own_with_the_demo_zones_and_sectors_is_refused_naming_the_files(capsys, tmp_path):
    line = _donbas_line(tmp_path / "donbas_line.geojson")
    code, _, err = run(
        capsys, "enrich", str(DEMO_FILE), "-o", str(tmp_path / "out.geojson"), "--line", str(line)
    )
    assert code == 2 and len(err.strip().splitlines()) <= 2
    # The demo's zones along the southern front are another theatre for a Donbas line.
    assert "zones.geojson" in err and "donbas_line.geojson" in err and "another theatre" in err
    assert not (tmp_path / "out.geojson").exists()


def test_the_whole_scenario_of_ones_own_is_used_as_it_is(capsys, tmp_path):
    # The user's folder: the Donbas part of the line, the demo's control areas (they fit it), only
    # the zones and posts near it, and no sectors file.
    folder = tmp_path / "donbas"
    shutil.copytree(SCENARIO_DIR, folder)
    (folder / "sectors.geojson").unlink()
    line = _donbas_line(folder / "contact_line.geojson")
    near = shapely.buffer(
        shapely.union_all(
            [shapely.geometry.shape(f["geometry"]) for f in json.loads(line.read_text())["features"]]
        ),
        0.5,
    )
    for name in ("zones.geojson", "posts.geojson"):
        doc = json.loads((folder / name).read_text(encoding="utf-8"))
        doc["features"] = [
            f for f in doc["features"] if shapely.intersects(near, shapely.geometry.shape(f["geometry"]))
        ]
        (folder / name).write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "out.csv"
    code, _, err = run(
        capsys, "flag", str(DEMO_FILE), "-o", str(out), "--format", "csv", "--scenario", str(folder)
    )
    assert code == 0, err
    reports = pd.read_csv(out)
    # No sector is named from another theatre's sectors; distances are to the user's line.
    assert "sector" not in reports or reports["sector"].isna().all()
    demo = tmp_path / "demo.csv"
    assert run(capsys, "enrich", str(DEMO_FILE), "-o", str(demo), "--format", "csv")[0] == 0
    assert reports["dist_to_line_m"].median() > pd.read_csv(demo)["dist_to_line_m"].median()


def test_a_line_far_from_its_control_areas_and_a_missing_folder_are_refused(capsys, tmp_path):
    moved = _donbas_line(tmp_path / "moved.geojson", share=1.0, shift=0.6)
    code, _, err = run(
        capsys, "enrich", str(DEMO_FILE), "-o", str(tmp_path / "o.geojson"), "--line", str(moved)
    )
    assert code == 2 and "moved.geojson" in err and "control_areas.geojson" in err and "boundary" in err
    code, _, err = run(
        capsys, "patterns", str(DEMO_FILE), "-o", str(tmp_path / "p"), "--scenario", str(tmp_path / "nope")
    )
    assert code == 2 and "no such folder" in err


def test_a_self_crossing_contact_line_is_refused(capsys, tmp_path):
    path = tmp_path / "loop.geojson"
    doc = json.loads((SCENARIO_DIR / "contact_line.geojson").read_text(encoding="utf-8"))
    bow = [[37.0, 48.0], [38.0, 49.0], [38.0, 48.0], [37.0, 49.0]]
    doc["features"][0]["geometry"] = {"type": "LineString", "coordinates": bow}
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, _, err = run(
        capsys, "enrich", str(DEMO_FILE), "-o", str(tmp_path / "o.geojson"), "--line", str(path)
    )
    assert code == 2 and "crosses itself" in err and "loop.geojson" in err


@pytest.mark.parametrize(
    "text",
    [
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"version": "v1", '
        '"valid_from": "2026-01-01T00:00:00Z", "name": "x"}, "geometry": {"type": "LineString", '
        '"coordinates": [["a", "b"], ["c", "d"]]}}]}',
        "[" * 100_000 + "]" * 100_000,
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"version": "v1", '
        '"valid_from": "0001-01-01T00:00:00Z", "name": "x"}, "geometry": {"type": "LineString", '
        '"coordinates": [[37, 48], [38, 49]]}}]}',
    ],
    ids=["string-coordinates", "deep-json", "year-1"],
)
def test_malformed_line_files_are_one_clear_line(capsys, tmp_path, text):
    path = tmp_path / "bad_line.geojson"
    path.write_text(text, encoding="utf-8")
    code, _, err = run(
        capsys, "enrich", str(DEMO_FILE), "-o", str(tmp_path / "o.geojson"), "--line", str(path)
    )
    assert code == 2 and "Traceback" not in err and "unexpected" not in err
    assert "bad_line.geojson" in err or "valid_from" in err


def test_control_areas_with_a_grey_zone_between_them_still_fit_their_line(capsys, tmp_path):
    # Both sides pulled back 500 m from the line (a grey zone): the line still runs along their edges.
    doc = json.loads((SCENARIO_DIR / "control_areas.geojson").read_text(encoding="utf-8"))
    lines = json.loads((SCENARIO_DIR / "contact_line.geojson").read_text(encoding="utf-8"))
    for f in doc["features"]:
        version = f["properties"]["version"]
        line = next(
            shapely.geometry.shape(g["geometry"])
            for g in lines["features"]
            if g["properties"]["version"] == version
        )
        area = shapely.geometry.shape(f["geometry"]).difference(line.buffer(0.007))  # about 500 m
        f["geometry"] = shapely.geometry.mapping(area)
    areas = tmp_path / "grey_zone_areas.geojson"
    areas.write_text(json.dumps(doc), encoding="utf-8")
    code, _, err = run(
        capsys, "enrich", str(DEMO_FILE), "-o", str(tmp_path / "o.geojson"), "--control", str(areas)
    )
    assert code == 0, err
