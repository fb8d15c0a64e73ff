"""python -m geo brief: a pack and its manifest, a rebuild that compares, and one-line errors."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from geo.cli import main
from tests.report.conftest import WEEK


@pytest.fixture(scope="module")
def made(demo_store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("brief")
    argv = [
        "brief",
        "--store",
        str(demo_store.path),
        "-o",
        str(folder / "pack.pdf"),
        "--image",
        str(folder / "map.png"),
    ]
    argv += ["--from", WEEK["from"], "--to", WEEK["to"], "--filter", f"sector={WEEK['sector']}"]
    assert main(argv) == 0
    return folder


def test_brief_writes_the_pack_its_manifest_and_the_image(made, week_reports):
    assert (made / "pack.pdf").read_bytes().startswith(b"%PDF")
    manifest = json.loads((made / "pack.manifest.json").read_text(encoding="utf-8"))
    assert manifest["filters"] == WEEK and manifest["figures"]["reports"] == len(week_reports)
    with Image.open(made / "map.png") as image:
        assert image.size == (2000, 1125)


def test_rebuild_from_the_manifest_says_the_figures_are_the_same(made, demo_store, capsys):
    code = main(
        [
            "brief",
            "--store",
            str(demo_store.path),
            "--manifest",
            str(made / "pack.manifest.json"),
            "-o",
            str(made / "again.pdf"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "the same data and the same figures" in out
    first = json.loads((made / "pack.manifest.json").read_text(encoding="utf-8"))
    again = json.loads((made / "again.manifest.json").read_text(encoding="utf-8"))
    assert again["figures"] == first["figures"] and again["view_hash"] == first["view_hash"]


def test_a_manifest_of_other_data_is_named(made, demo_store, capsys, tmp_path):
    doc = json.loads((made / "pack.manifest.json").read_text(encoding="utf-8"))
    doc["view_hash"] = "f" * 64
    doc["figures"]["reports"] += 1
    other = tmp_path / "other.manifest.json"
    other.write_text(json.dumps(doc), encoding="utf-8")
    code = main(
        ["brief", "--store", str(demo_store.path), "--manifest", str(other), "-o", str(tmp_path / "x.pdf")]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "differs: The stored reports no longer match the manifest" in out
    assert (
        f"Figure 'reports': {doc['figures']['reports']} in the pack, {doc['figures']['reports'] - 1} now"
        in out
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--manifest", "m.json", "--filter", "sector=Bakhmut"], "--manifest gives the filters"),
        (["--manifest", "missing.json"], "No manifest at missing.json"),
        (["--filter", "dmax=far"], "dmax='far' is not a distance in km"),
        (["--image", "map.jpg"], "--image 'map.jpg' is neither a .png nor an .svg file"),
        (["--image", "map.png", "--dpi", "5000"], "5000 dpi is out of range"),
    ],
)
def test_bad_requests_are_one_line(demo_store, capsys, tmp_path, monkeypatch, extra, message):
    monkeypatch.chdir(tmp_path)
    code = main(["brief", "--store", str(demo_store.path), "-o", str(tmp_path / "x.pdf"), *extra])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.pdf").exists()


def test_a_rebuild_never_overwrites_the_manifest_it_checks(made, demo_store, capsys):
    manifest = made / "pack.manifest.json"
    before = manifest.read_bytes(), (made / "pack.pdf").read_bytes()
    argv = [
        "brief",
        "--store",
        str(demo_store.path),
        "--manifest",
        str(manifest),
        "-o",
        str(made / "pack.pdf"),
    ]
    assert main(argv) == 2
    assert "would overwrite the manifest being checked" in capsys.readouterr().err
    assert (manifest.read_bytes(), (made / "pack.pdf").read_bytes()) == before
