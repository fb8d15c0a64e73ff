"""Store fixtures: IngestResults built by hand (independent of geo.ingest) and real UCDP events as reports."""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.ingest.result import IngestResult, Issue, Rejection
from geo.schema import FIELDS, report_uid

FIELD_NAMES = [f.name for f in FIELDS]


def incident_frame(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """The normalised incident frame (docs/ARCHITECTURE.md) of rows with ``lon``, ``lat`` and schema fields.

    Defaults are filled, unknown keys go to ``extra``; ``occurred_at`` is the interval's midpoint when
    only ``occurred_from`` and ``occurred_to`` are given.
    """
    table = pd.DataFrame(rows)
    out = pd.DataFrame(index=range(len(rows)))
    for f in FIELDS:
        values = table[f.name] if f.name in table else pd.Series([None] * len(rows), dtype=object)
        if f.default is not None:
            values = values.where(values.notna(), f.default)
        if f.kind == "datetime":
            out[f.name] = pd.to_datetime(values, utc=True, format="ISO8601").dt.as_unit("ns")
        elif f.kind == "integer" or f.name == "credibility":
            out[f.name] = pd.array(values, dtype="Int64")
        elif f.kind == "number":
            out[f.name] = values.astype("float64")
        else:
            out[f.name] = values.astype("str")
    gap = out["occurred_at"].isna()
    out.loc[gap, "occurred_at"] = out["occurred_from"] + (out["occurred_to"] - out["occurred_from"]) / 2
    known = {*FIELD_NAMES, "lon", "lat"}
    out["extra"] = pd.Series(
        [json.dumps({k: v for k, v in r.items() if k not in known}, sort_keys=True) for r in rows],
        dtype="str",
    )
    out["uid"] = report_uid(out["source"], out["id"]).astype("str")
    points = shapely.points(table["lon"].to_numpy(float), table["lat"].to_numpy(float))
    return gpd.GeoDataFrame(out, geometry=points, crs=4326)


def as_geojson(rows: list[dict[str, Any]], rejected: list[dict[str, Any]] = ()) -> bytes:
    """The bytes of a FeatureCollection holding ``rows`` then ``rejected`` (the 'uploaded file')."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
            "properties": {k: v for k, v in r.items() if k not in ("lon", "lat")},
        }
        for r in [*rows, *rejected]
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()


def make_result(
    rows: list[dict[str, Any]], *, rejected: list[dict[str, Any]] = (), filename: str = "hand.geojson"
) -> tuple[IngestResult, bytes]:
    """An IngestResult as ingest would return it for ``rows`` (accepted) and ``rejected``, with its file."""
    data = as_geojson(rows, list(rejected))
    features = json.loads(data)["features"]
    rejections = [
        Rejection(
            index=len(rows) + i,
            feature_id=str(r.get("id")),
            feature=features[len(rows) + i],
            issues=(Issue(len(rows) + i, str(r.get("id")), "type", f"{r.get('type')!r} is not a type.", "Use one of the schema's types."),),
        )
        for i, r in enumerate(rejected)
    ]  # fmt: skip
    result = IngestResult(
        accepted=incident_frame(rows) if rows else incident_frame([report(0)]).iloc[:0],
        rejected=rejections,
        issues=[i for r in rejections for i in r.issues],
        notes=[],
        sha256=hashlib.sha256(data).hexdigest(),
        filename=filename,
        format="geojson",
        n_features=len(rows) + len(rejections),
    )
    return result, data


def report(i: int, **fields: Any) -> dict[str, Any]:
    """One hand-written report; lon and lat differ so a swap would show."""
    return {
        "id": f"r{i}",
        "source": "CVM-OP-07",
        "occurred_at": f"2026-10-{1 + i % 28:02d}T04:10:00Z",
        "type": "impact",
        "weapon": "mortar",
        "count": 1 + i % 5,
        "credibility": 1 + i % 6,
        "lon": round(37.5 + 0.01 * i, 6),
        "lat": 48.1,
        "description": "Обстріл «Авдіївки»",
    } | fields


def put(store, rows, **kw) -> Any:
    """Store hand-built rows (kw: rejected, filename, uploader, strict); return the receipt."""
    options = {k: kw.pop(k) for k in ("rejected", "filename") if k in kw}
    result, data = make_result(rows, **options)
    return store.add_batch(result, original=data, **kw)


@pytest.fixture
def store(new_store, store_kind):
    """An empty store: each test using it runs on a GeoPackage store and on a PostGIS store."""
    return new_store(store_kind)


@pytest.fixture(scope="session")
def ucdp_rows(shared_data) -> list[dict[str, Any]]:
    """The UCDP GED events of the Minsk II period as report rows (intervals, casualties, places)."""
    doc = json.loads(
        (shared_data / "ucdp_ged" / "ucdp_ged_ukraine_minsk2_2015-02-15_2022-02-23.geojson").read_text()
    )
    rows = []
    for feat in doc["features"]:
        p = feat["properties"]
        lon, lat = feat["geometry"]["coordinates"]
        same_day = p["date_start"] == p["date_end"]
        rows.append(
            {
                "id": str(p["id"]),
                "source": "UCDP GED 22.1",
                "source_type": "open_source",
                "lon": lon,
                "lat": lat,
                "occurred_at": p["date_start"] + "T12:00:00Z" if same_day else None,
                "occurred_from": None if same_day else p["date_start"] + "T00:00:00Z",
                "occurred_to": None if same_day else p["date_end"] + "T23:59:59Z",
                "time_precision": "day",
                "type": "other",
                "casualties_low": p["low"],
                "casualties_best": p["best"],
                "casualties_high": p["high"],
                "description": p["where_description"],
                "where_prec": p["where_prec"],
                "side_a": p["side_a"],
            }
        )
    return rows


def big_result(n: int, *, seed: int = 0) -> tuple[IngestResult, bytes]:
    """n reports built column by column (no per-row dicts), for speed tests."""
    rng = np.random.default_rng(seed)
    ids = pd.Series(np.arange(n)).astype(str).radd("s").astype("str")
    times = pd.Timestamp("2026-10-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 30 * 86400, n), unit="s")
    out = pd.DataFrame(index=range(n))
    for f in FIELDS:
        if f.kind == "datetime":
            out[f.name] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
        elif f.kind == "integer" or f.name == "credibility":
            out[f.name] = pd.array([f.default] * n if f.default is not None else [None] * n, dtype="Int64")
        elif f.kind == "number":
            out[f.name] = np.nan
        else:
            out[f.name] = pd.Series([f.default] * n, dtype="str")
    out["id"], out["source"], out["type"] = ids, "bench", "impact"
    out["occurred_at"] = times.as_unit("ns")
    out["bearing_deg"] = rng.uniform(0, 360, n)
    out["description"] = "вибух"
    out["extra"] = "{}"
    out["uid"] = report_uid(out["source"], out["id"]).astype("str")
    points = shapely.points(rng.uniform(36.5, 39.5, n), rng.uniform(47.0, 49.0, n))
    frame = gpd.GeoDataFrame(out, geometry=points, crs=4326)
    data = f"synthetic batch of {n} reports, seed {seed}".encode()
    result = IngestResult(
        accepted=frame, rejected=[], issues=[], notes=[], sha256=hashlib.sha256(data).hexdigest(),
        filename=f"big-{n}.geojson", format="geojson", n_features=n,
    )  # fmt: skip
    return result, data


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """The helpers above for test modules (conftest is not importable under --import-mode=importlib)."""
    return SimpleNamespace(
        report=report, make_result=make_result, put=put, incident_frame=incident_frame, big_result=big_result
    )
