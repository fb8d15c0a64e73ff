"""A PostGIS store's server without local copies answers a filtered query from the database (its GiST
and time indexes) with exactly the frame a server with copies reads from them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.errors import StoreError
from geo.store.postgis import PostGISStore


@pytest.fixture
def two_servers(postgis_url, tmp_path, kit, ucdp_rows):
    """A store holding the real UCDP events in two batches and a third batch retracted, seen by a
    server that made copies of every batch and by a new one that has none."""
    first = PostGISStore(postgis_url, work_dir=tmp_path / "a")
    half = len(ucdp_rows) // 2
    kit.put(first, ucdp_rows[:half], filename="ucdp-1.geojson")
    kit.put(first, ucdp_rows[half:], filename="ucdp-2.geojson")
    gone = kit.put(first, [kit.report(i) for i in range(5)], filename="later.geojson")
    first.retract_batch(gone.batch_id, reason="test: withdrawn")
    first.incidents()  # every batch's copy made
    return first, lambda: PostGISStore(
        postgis_url, work_dir=tmp_path / f"b{np.random.default_rng().integers(1e9)}"
    )


def _filters(rng: np.random.Generator, frame: pd.DataFrame) -> dict:
    """A random mix of a time window, a box and value lists drawn from the stored reports."""
    out: dict = {}
    times = frame["occurred_at"].dropna().sort_values().to_numpy()
    if rng.random() < 0.7:
        a, b = sorted(rng.integers(0, len(times), 2))
        out["start"], out["end"] = pd.Timestamp(times[a]), pd.Timestamp(times[b])
    if rng.random() < 0.7:
        lon, lat = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
        i, j = rng.integers(0, len(frame), 2)
        out["bbox"] = (min(lon[i], lon[j]), min(lat[i], lat[j]), max(lon[i], lon[j]), max(lat[i], lat[j]))
    if rng.random() < 0.5:
        ids = frame["batch_id"].unique().tolist()
        out["where"] = {"batch_id": [ids[int(rng.integers(0, len(ids)))]]}
        if rng.random() < 0.5:
            out["where"]["casualties_best"] = sorted({int(v) for v in frame["casualties_best"].dropna()[:5]})
    return out


def test_a_server_without_copies_answers_filters_as_one_with_them(two_servers):
    first, fresh = two_servers
    everything = first.incidents()
    rng = np.random.default_rng(14)
    for _ in range(12):
        kw = _filters(rng, everything)
        new = fresh()
        from_copies, from_database = first.incidents(**kw), new.incidents(**kw)
        pd.testing.assert_frame_equal(from_database, from_copies)
        # Filtered, it asks the database; unfiltered (every report), it makes its copies.
        assert any((new.path / "columnar").rglob("*.parquet")) == (not kw)
    # Exactly the reports inside the box: its edges included, a swapped box finds none.
    lon, lat = everything.geometry.x, everything.geometry.y
    box = (float(lon.iloc[3]), float(lat.iloc[3]), float(lon.iloc[3]) + 0.5, float(lat.iloc[3]) + 0.5)
    inside = (lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3])
    assert sorted(fresh().incidents(bbox=box)["uid"]) == sorted(everything.loc[inside, "uid"])
    assert fresh().incidents(bbox=(box[1], box[0], box[3], box[2])).empty
    # A retracted batch gives nothing on either path.
    assert fresh().incidents(start="1900-01-01", where={"batch_id": ["b000003"]}).empty


def test_a_value_of_the_wrong_type_is_named_on_the_database_path_too(two_servers):
    _, fresh = two_servers
    with pytest.raises(StoreError, match="Cannot filter the reports with") as caught:
        fresh().incidents(start="2015-01-01", where={"casualties_best": ["many"]})
    assert "its own type" in caught.value.hint
