"""Uploads that expand far beyond their size (zip bombs, a million tiny features) are refused by their
counts before they are read, and memory stays bounded."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from geo.errors import InputError
from geo.ingest import read_batch
from geo.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _points(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(0)
    return gpd.GeoDataFrame(
        # occurred_a: a shapefile cuts names to 10 characters, and ingest reads it back as occurred_at.
        {
            "id": [f"p{i}" for i in range(n)],
            "source": "S",
            "type": "impact",
            "occurred_a": "2026-10-05T04:10:00Z",
        },
        geometry=gpd.points_from_xy(rng.uniform(37, 38, n), rng.uniform(47.5, 48.5, n)),
        crs=4326,
    )


def _zipped_shapefile(frame: gpd.GeoDataFrame, folder: Path) -> bytes:
    frame.to_file(folder / "bomb.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for part in folder.glob("bomb.*"):
            z.write(part, part.name)
    return buffer.getvalue()


def test_a_zipped_shapefile_with_too_many_features_is_refused_by_its_header(tmp_path):
    data = _zipped_shapefile(_points(3_000), tmp_path)
    with pytest.raises(InputError) as refused:
        read_batch(data, filename="bomb.zip", settings=Settings(max_features=1_000))
    assert "holds 3,000 features, over the limit of 1,000 per upload" in str(refused.value)
    assert "max_features" in refused.value.hint
    assert len(read_batch(data, filename="bomb.zip", settings=Settings(max_features=5_000)).accepted) == 3_000


def test_an_archive_that_expands_past_the_limit_is_refused_whatever_its_headers_say():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bomb.shp", b"\0" * (30 * 1024 * 1024))  # 30 MB of zeros: about 30 KB zipped
        z.writestr("bomb.dbf", b"\0" * 100)
    data = buffer.getvalue()
    assert len(data) < 100_000
    settings = Settings(max_uncompressed_mb=10)
    with pytest.raises(InputError, match=r"expands to more than the limit of 10\.0 MB \(30\.0 MB declared\)"):
        read_batch(data, filename="bomb.zip", settings=settings)
    # Headers that understate the size: the unpacking stops at the limit all the same.
    lying = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("bomb.shp")
    central = lying.find(b"PK\x01\x02")  # the central directory's entry of bomb.shp
    lying[central + 24 : central + 28] = (1000).to_bytes(4, "little")  # uncompressed size in the directory
    assert zipfile.ZipFile(io.BytesIO(bytes(lying))).getinfo("bomb.shp").file_size == 1000 != info.file_size
    with pytest.raises(InputError, match=r"expands to more than the limit|damaged zip archive"):
        read_batch(bytes(lying), filename="bomb.zip", settings=settings)


def test_geojson_with_too_many_features_is_refused_before_it_is_parsed():
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [37.5, 48.0]},
        "properties": {},
    }
    data = json.dumps({"type": "FeatureCollection", "features": [feature] * 2_000}).encode()
    with pytest.raises(InputError, match=r"holds about 2,000 features, over the limit of 1,500"):
        read_batch(data, filename="many.geojson", settings=Settings(max_features=1_500))


def test_a_bomb_under_the_default_limits_never_takes_a_gigabyte(tmp_path):
    # A million points zipped into a few MB (the size that took 2.3 GB to read), in a child process
    # whose peak memory is measured: the refusal comes from the header, before the features.
    frame = _points(1_000_000)
    data = _zipped_shapefile(frame, tmp_path)
    (tmp_path / "bomb.zip").write_bytes(data)
    del frame
    script = (
        "import sys\n"
        "from geo.errors import InputError\nfrom geo.ingest import read_batch\nfrom geo.settings import Settings\n"
        "try:\n    read_batch(open(sys.argv[1], 'rb').read(), filename='bomb.zip', settings=Settings())\n"
        "except InputError as e:\n    print(e)\n"
        # VmHWM: this process's own peak (ru_maxrss would count the forking test process's pages too).
        "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')) // 1024)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "bomb.zip")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    said, peak_mb = done.stdout.strip().splitlines()
    assert "holds 1,000,000 features, over the limit of 250,000" in said
    assert int(peak_mb) < 1024
