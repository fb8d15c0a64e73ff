"""Write the demo files: byte-stable GeoJSON, weekly report batches per source family, ground truth CSV."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.demo.geojson import json_number, write_feature_collection
from geo.demo.month import DEFAULT_SEED, generate, utc_start
from geo.scenario import load_scenario
from geo.schema import COMPASS_POINTS, FIELDS
from geo.settings import DATA_DIR, SCENARIO_DIR

DEMO_DIR = DATA_DIR / "demo"


def _family(source: pd.Series, source_type: pd.Series) -> np.ndarray:
    return np.select(
        [
            source_type.isin(["observation_post", "monitor"]),
            source_type.isin(["uav", "satellite"]),
            source.str.startswith("UA-"),
            source.str.startswith("RU-"),
        ],
        ["monitors", "imagery", "party_ua", "party_ru"],
        "media",
    )


def _offsets(source: pd.Series, t: pd.Series) -> np.ndarray:
    """Hours east of UTC in which each source writes times: parties their own clocks, the rest UTC."""
    # Kyiv leaves summer time (+3) for +2 at 01:00 UTC on the last Sunday of October, 25 October 2026.
    kyiv = np.where(t < pd.Timestamp("2026-10-25T01:00:00Z"), 3, 2)
    return np.select([source.str.startswith("UA-"), source.str.startswith("RU-")], [kyiv, 3], 0)


def _iso(t: pd.Series, offset_h: np.ndarray) -> np.ndarray:
    local = (t + pd.to_timedelta(offset_h, unit="h")).dt.strftime("%Y-%m-%dT%H:%M:%S")
    suffix = np.where(
        offset_h == 0, "Z", np.char.add(np.char.add("+", np.char.zfill(offset_h.astype(str), 2)), ":00")
    )
    return np.where(t.isna(), None, local.fillna("").to_numpy(str) + suffix)


def _bearing_text(frame: gpd.GeoDataFrame) -> np.ndarray:
    """The bearing as the source wrote it: a number, a compass point or a range (see the generator)."""
    deg, lo, hi = frame["bearing_deg"], frame["bearing_min_deg"], frame["bearing_max_deg"]
    width = (hi - lo) % 360
    k = np.round(((lo + 11.25) % 360) / 22.5).astype("Int64").fillna(0).to_numpy(int) % 16
    compass = np.isclose(width, 22.5) & np.isclose((lo + 11.25) % 22.5, 0)
    text = lo.round().astype("Int64").astype(str) + "-" + hi.round().astype("Int64").astype(str)
    return np.where(
        deg.notna(),
        deg.to_numpy(object),
        np.where(compass, np.array(COMPASS_POINTS)[k], np.where(lo.notna(), text, None)),
    )


def report_features(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """GeoJSON Features for normalised reports, as a source would upload them.

    Intervals are written as ``occurred_from``/``occurred_to`` only; bearings as written
    (number, compass point or range); ``extra`` becomes top-level properties; parties write
    times in their local offset.
    """
    columns: dict[str, list[Any]] = {}
    offsets = _offsets(frame["source"], frame["occurred_at"])
    interval = frame["occurred_from"].notna().to_numpy()
    for f in FIELDS:
        if f.name in ("bearing_min_deg", "bearing_max_deg"):
            continue
        col = frame[f.name]
        if f.kind == "datetime":
            values = _iso(col, offsets)
            if f.name == "occurred_at":
                values = np.where(interval, None, values)
        elif f.name == "bearing_deg":
            values = _bearing_text(frame)
        else:
            values = np.where(col.isna().to_numpy(), None, col.astype(object).to_numpy())
        columns[f.name] = values.tolist()
    extras = frame["extra"].map(json.loads)
    coords = np.round(shapely.get_coordinates(frame.geometry.to_numpy()), 6)
    names = list(columns)
    records = [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    # Serialisation is per feature by nature; the numbers were rounded above.
    return [
        {
            "type": "Feature",
            "properties": {**{k: json_number(v) for k, v in p.items() if v is not None}, **extra},
            "geometry": {"type": "Point", "coordinates": [json_number(x), json_number(y)]},
        }
        for p, extra, (x, y) in zip(records, extras, coords, strict=True)
    ]


def write_demo(
    out_dir: Path = DEMO_DIR,
    *,
    seed: int = DEFAULT_SEED,
    start: str = "2026-10-01",
    days: int = 31,
    scenario_dir: Path = SCENARIO_DIR,
) -> list[Path]:
    """Write the demo reports as weekly GeoJSON batches per source family, and the ground truth.

    Files are ``incidents_<family>_<week start>.geojson`` (families ``monitors``, ``imagery``,
    ``party_ua``, ``party_ru``, ``media``) and ``ground_truth.csv``; earlier ``incidents_*.geojson``
    in ``out_dir`` are removed first. The same arguments give byte-identical files.

    Returns
    -------
    list of Path
        The files written, batches first.
    """
    reports, truth = generate(seed=seed, start=start, days=days, scenario=load_scenario(scenario_dir))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("incidents_*.geojson"):
        old.unlink()
    begin = utc_start(start)
    week = ((reports["occurred_at"] - begin) // pd.Timedelta(days=7)).to_numpy()
    family = _family(reports["source"], reports["source_type"])
    written = []
    for fam, wk in sorted(set(zip(family, week, strict=True))):
        rows = reports.loc[(family == fam) & (week == wk)]
        day = (begin + pd.Timedelta(days=7 * int(wk))).strftime("%Y-%m-%d")
        path = out_dir / f"incidents_{fam}_{day}.geojson"
        write_feature_collection(path, report_features(rows))
        written.append(path)
    truth_path = out_dir / "ground_truth.csv"
    truth.to_csv(truth_path, index=False, lineterminator="\n", float_format="%.6f")
    written.append(truth_path)
    return written
