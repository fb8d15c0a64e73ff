"""The demo month: happenings, every channel's reports of them, and the ground truth per report."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.demo.claims import false_reports, media_channel, party_channel
from geo.demo.happenings import HEAVY_WEAPONS, simulate_happenings
from geo.demo.monitors import imagery_channel, patrol_channel, posts_channel
from geo.demo.rows import DAY, MINUTE, scatter
from geo.demo.world import World
from geo.errors import InputError
from geo.scenario import Scenario, load_scenario
from geo.schema import FIELDS, report_uid

DEFAULT_SEED = 20261001
MAX_SOURCES = 4
N_FALSE = 260
REPEAT_P = 0.045


def _simulate(
    scenario: Scenario, *, seed: int, start: pd.Timestamp, days: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    world = World(scenario)
    hf = simulate_happenings(world, rng, start, days)
    klass, weapon = hf["klass"].to_numpy(), hf["weapon"].to_numpy()
    loud = np.isin(weapon, HEAVY_WEAPONS) | (hf["count"].to_numpy() >= 10)
    p_media = np.select(
        [klass == "fire", klass == "demining", klass == "heavy_weapon", klass == "uav_flight"],
        [0.06 + 0.2 * loud + 0.15 * (hf["tag"].to_numpy() != ""), 0.05, 0.05, 0.03],
        0.0,
    )
    wants = rng.random(len(hf)) < p_media
    primary = pd.concat(
        [
            posts_channel(world, rng, hf),
            patrol_channel(rng, hf),
            imagery_channel(rng, hf),
            party_channel(rng, hf),
        ],
        ignore_index=True,
    )
    # At most MAX_SOURCES sources per happening, one place kept for the media when they report it.
    order = np.lexsort((rng.random(len(primary)), primary["h"].to_numpy()))
    rank = np.empty(len(primary), int)
    rank[order] = primary.iloc[order].groupby("h").cumcount().to_numpy()
    primary = primary.loc[rank < MAX_SOURCES - wants[primary["h"].to_numpy()]].reset_index(drop=True)
    primary["row"] = np.arange(len(primary))
    media = media_channel(rng, hf, wants, primary.loc[primary["source_type"] == "party"])
    reports = pd.concat([primary, media, false_reports(world, rng, start, days, N_FALSE)], ignore_index=True)
    reports["row"] = np.arange(len(reports))
    # Outlets repeating a false claim cite it (geo.demo.claims.false_reports marks each pair).
    marked = reports["_echo"].fillna(-1).to_numpy() <= -2
    by_mark = pd.Series(reports.loc[marked, "row"].to_numpy(), index=reports.loc[marked, "_echo"].to_numpy())
    echoes = reports["copy_of"].to_numpy() <= -2
    reports.loc[echoes, "copy_of"] = by_mark.loc[reports.loc[echoes, "copy_of"].to_numpy()].to_numpy()
    reports = reports.drop(columns="_echo")
    again = reports.loc[
        reports["source_type"]
        .isin(["party", "media", "open_source", "observation_post", "monitor"])
        .to_numpy()
        & (rng.random(len(reports)) < REPEAT_P)
    ].copy()
    again["repeat_of"] = again["row"].to_numpy()
    again["copy_of"] = -1
    again["lon"], again["lat"] = scatter(rng, again["lon"].to_numpy(), again["lat"].to_numpy(), 200.0)
    shift = np.where(
        again["time_precision"] == "minute", np.round(rng.uniform(1, 30, len(again))) * MINUTE, 0
    )
    again["t"] = again["t"].to_numpy() + shift
    reports = pd.concat([reports, again], ignore_index=True)
    reports["row"] = np.arange(len(reports))
    return _finish(reports, start, days, rng), hf


def _finish(r: pd.DataFrame, start: pd.Timestamp, days: int, rng: np.random.Generator) -> pd.DataFrame:
    """Keep every time inside the month, order the reports and give each its source's daily number."""
    lo, hi = start.value, start.value + days * DAY - MINUTE
    r["t"] = np.clip(r["t"].to_numpy(np.int64), lo, hi)
    interval = r["t_from"].to_numpy() >= 0
    r["t_from"] = np.where(interval, np.clip(r["t_from"], lo, hi), -1)
    r["t_to"] = np.where(interval, np.clip(r["t_to"], lo, hi), -1)
    r["t"] = np.where(interval, (r["t_from"] + r["t_to"]) // 2, r["t"])
    r = r.iloc[np.lexsort((rng.random(len(r)), r["source"].to_numpy(), r["t"].to_numpy()))].reset_index(
        drop=True
    )
    day = pd.to_datetime(r["t"], utc=True).dt.strftime("%Y%m%d")
    number = r.groupby([r["source"], day]).cumcount() + 1
    r["id"] = day + "-" + number.map("{:04d}".format)
    r["uid"] = report_uid(r["source"], r["id"])
    by_row = pd.Series(r["uid"].to_numpy(), index=r["row"].to_numpy())
    r["rereport_of"] = r["copy_of"].map(by_row).fillna("").to_numpy()
    # A copy says whom it repeats: the schema's cites (corroboration gives it no independence).
    r["cites"] = np.where(r["rereport_of"] != "", r["rereport_of"], None)
    r["repeat_uid"] = r["repeat_of"].map(by_row).fillna("").to_numpy()
    return r


TRUTH_COLUMNS = (
    "uid",
    "happening_id",
    "happening_kind",
    "is_violation",
    "violation_kinds",
    "firing_side",
    "true_weapon",
    "true_time",
    "true_origin_lon",
    "true_origin_lat",
    "true_impact_lon",
    "true_impact_lat",
    "sector",
    "observed",
    "is_false_report",
    "is_repeat_of_same_source",
    "repeat_of",
    "rereport_of",
)


def _utc(ns: np.ndarray) -> pd.Series:
    values = np.where(ns >= 0, ns, np.iinfo(np.int64).min)
    return pd.Series(pd.to_datetime(values, utc=True)).dt.as_unit("ns")


def utc_start(start: str) -> pd.Timestamp:
    """The first instant of the period as a UTC timestamp (a naive time is taken as UTC)."""
    first = pd.Timestamp(start)
    return first.tz_localize("UTC") if first.tzinfo is None else first.tz_convert("UTC")


def generate(
    *,
    seed: int = DEFAULT_SEED,
    start: str = "2026-10-01",
    days: int = 31,
    scenario: Scenario | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Simulate a month of happenings on the demo front and the reports sources make of them.

    Parameters
    ----------
    seed
        Seed of the random generator; the same seed gives the same frames.
    start
        First day (UTC) of the period.
    days
        Length of the period in days.
    scenario
        The scenario to play on; default the files in ``data/scenario``.

    Returns
    -------
    reports : GeoDataFrame
        The normalised incident frame (every field of ``geo.schema.FIELDS``, ``extra``, ``uid``),
        EPSG:4326, ordered by time.
    truth : DataFrame
        One row per report, aligned with ``reports``: see :data:`TRUTH_COLUMNS` and docs/DEMO.md.
    """
    begin = utc_start(start)
    if days < 1:
        msg = f"The demo period must last at least one day, not {days}."
        raise InputError(msg, hint="Pass days=31 for a month.")
    r, hf = _simulate(scenario or load_scenario(), seed=seed, start=begin, days=days)
    columns: dict[str, Any] = {}
    for f in FIELDS:
        if f.kind == "datetime":
            name = {"occurred_at": "t", "occurred_from": "t_from", "occurred_to": "t_to"}[f.name]
            columns[f.name] = _utc(r[name].to_numpy(np.int64))
        elif f.kind == "integer" or f.name == "credibility":
            columns[f.name] = (
                pd.array(r[f.name], dtype="Int64")
                if f.name in r
                else pd.array([pd.NA] * len(r), dtype="Int64")
            )
        elif f.kind == "number":
            columns[f.name] = r[f.name].astype(float) if f.name in r else np.full(len(r), np.nan)
        else:
            values = r[f.name].to_numpy(object) if f.name in r else np.full(len(r), None, dtype=object)
            columns[f.name] = pd.Series(values).where(pd.notna(values), None).astype(object)
    attributed = r["attributed_to"].to_numpy(object)
    columns["extra"] = np.where(
        pd.notna(attributed), '{"attributed_to": "' + attributed.astype(str) + '"}', "{}"
    )
    columns["uid"] = r["uid"].to_numpy(object)
    lon, lat = np.round(r["lon"].to_numpy(float), 6), np.round(r["lat"].to_numpy(float), 6)
    frame = pd.DataFrame({k: (v.to_numpy() if isinstance(v, pd.Series) else v) for k, v in columns.items()})
    for f in FIELDS:
        if f.kind == "datetime":
            frame[f.name] = columns[f.name].to_numpy()
    reports = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=4326)
    for name in ("observer_lon", "observer_lat"):
        reports[name] = reports[name].round(6)
    return reports, _truth(r, hf)


def _truth(r: pd.DataFrame, hf: pd.DataFrame) -> pd.DataFrame:
    h = r["h"].to_numpy()
    real = h >= 0
    hi = np.where(real, h, 0)

    def pick(column: str, empty: Any) -> np.ndarray:
        return np.where(real, hf[column].to_numpy(object)[hi], empty)

    klass = pick("klass", "")
    side = np.where(klass == "thermal", "", pick("side", ""))
    t = np.where(real, hf["t"].to_numpy()[hi], -1)
    truth = pd.DataFrame(
        {
            "uid": r["uid"].to_numpy(object),
            "happening_id": pick("happening_id", ""),
            "happening_kind": klass,
            "is_violation": pick("is_violation", False).astype(bool),
            "violation_kinds": pick("violation_kinds", ""),
            "firing_side": side,
            "true_weapon": pick("weapon", ""),
            "true_time": _utc(t).dt.strftime("%Y-%m-%dT%H:%M:%SZ").fillna("").to_numpy(),
        }
    )
    for col, src in (
        ("true_origin_lon", "olon"),
        ("true_origin_lat", "olat"),
        ("true_impact_lon", "ilon"),
        ("true_impact_lat", "ilat"),
    ):
        truth[col] = np.round(np.where(real, hf[src].to_numpy(float)[hi], np.nan), 6)
    truth["sector"] = pick("sector", "")
    truth["observed"] = np.where(real, r["observed"].to_numpy(object), "")
    truth["is_false_report"] = ~real
    truth["is_repeat_of_same_source"] = r["repeat_uid"].to_numpy() != ""
    truth["repeat_of"] = r["repeat_uid"].to_numpy(object)
    truth["rereport_of"] = r["rereport_of"].to_numpy(object)
    return truth
