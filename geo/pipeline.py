"""The analytic path end to end: enrich (proximity, origin) then flag (rules, corroboration, score)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

import geo
from geo import attribution, corroborate, patterns, proximity, rules, score
from geo.attribution.sides import ATTRIBUTION_THRESHOLD
from geo.scenario import Scenario, load_scenario
from geo.scenario.sectors import SECTORS_FILE, assign_sectors, load_sectors

# Per-report columns the flag step adds, taken from the report's event: its score ...
EVENT_COLUMNS = (
    "event_id",
    "violation_score",
    "flag_level",
    "attributed_side",
    "attributed_side_p",
    "side_reason",
    "reasons",
)
# ... and from corroboration: the exchange of fire it belongs to and its independent source families.
CORROBORATION_COLUMNS = ("exchange_id", "n_families")
# Columns holding lists, stored as JSON text in the derived-data cache.
LIST_COLUMNS = ("zones", "reasons", "sources", "report_uids")


@dataclass(frozen=True)
class Analysis:
    """The outcome of the analytic path over a set of reports.

    Attributes
    ----------
    reports
        The incidents with every enrichment column and their event's score.
    events
        One row per event with its score, side and reasons.
    reasons
        The long table of rule reasons per report (``uid``, ``code``, ``severity``, ``weight``, ``sentence``).
    """

    reports: gpd.GeoDataFrame
    events: gpd.GeoDataFrame
    reasons: pd.DataFrame


def context_key(scenario_dir: Path, agreement_path: Path) -> str:
    """Return a hash of everything the analysis depends on besides the reports.

    The scenario files (line versions, control areas, zones, posts), the agreement file and the
    software version: a change to any of them gives a new key, so cached results are recomputed.
    """
    h = hashlib.sha256(geo.__version__.encode())
    for path in [*sorted(Path(scenario_dir).glob("*.geojson")), Path(agreement_path)]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def enrich(
    incidents: gpd.GeoDataFrame,
    scenario: Scenario,
    *,
    sectors: gpd.GeoDataFrame | None = None,
    threshold: float = ATTRIBUTION_THRESHOLD,
) -> gpd.GeoDataFrame:
    """Add distance to the line in force, side, zones, sector and the estimated fire origin to each report."""
    near = proximity.measure(
        incidents, lines=scenario.lines, control_areas=scenario.control_areas, zones=scenario.zones
    )
    # Text columns as pandas' string dtype, as they come back from the store's cache.
    near["line_version"] = near["line_version"].astype("str")
    if sectors is not None:
        nearest = gpd.GeoSeries.from_xy(near["nearest_lon"], near["nearest_lat"], crs=4326, index=near.index)
        near["sector"] = assign_sectors(nearest, near["line_version"], lines=scenario.lines, sectors=sectors)
    origin = attribution.estimate_origins(
        incidents, control_areas=scenario.control_areas, threshold=threshold
    )
    return incidents.join(near).join(origin)


def scenario_sectors(directory: Path) -> gpd.GeoDataFrame | None:
    """The scenario's sectors, or None when it defines none."""
    return load_sectors(directory) if (Path(directory) / SECTORS_FILE).is_file() else None


class Timings(dict):
    """Seconds per stage of an analysis, in the order run (``with timings.stage("score"): ...``)."""

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self[name] = self.get(name, 0.0) + time.perf_counter() - start

    def table(self) -> str:
        """One line per stage: name and seconds."""
        return "\n".join(f"{name:<12} {seconds:8.2f} s" for name, seconds in self.items())


def flag(
    enriched: gpd.GeoDataFrame,
    scenario: Scenario,
    agreement: rules.Agreement,
    *,
    params: score.ScoreParams | None = None,
    pattern_params: patterns.PatternParams | None = None,
    timings: Timings | None = None,
) -> Analysis:
    """Apply the agreement's rules, merge reports into events and score each event.

    Membership in a significant space-time cluster or sector surge (:mod:`geo.patterns`) is
    evidence for the score. The patterns count each event once (its first report stands for it):
    counted per report, one happening told by six sources would be a "cluster" of six and raise
    its own score, which corroboration already counts.
    """
    timings = Timings() if timings is None else timings
    with timings.stage("rules"):
        reasons = rules.evaluate(
            enriched,
            agreement,
            lines=scenario.lines,
            control_areas=scenario.control_areas,
            zones=scenario.zones,
            posts=scenario.posts,
        )
    with timings.stage("corroborate"):
        event_id, events = corroborate.group_reports(enriched)
    reports = enriched.assign(event_id=event_id)
    one_per_event = reports.drop_duplicates("event_id")
    with timings.stage("patterns"):
        found = patterns.find_patterns(one_per_event, params=pattern_params, parts=("surges", "clusters"))
        evidence = patterns.pattern_evidence(found, unit="events")
    with timings.stage("score"):
        scores = score.score_events(events, reports, reasons, params=params, patterns=evidence)
    events = events.merge(scores.drop(columns=["confidence"]), on="event_id", how="left")
    per_report = events.set_index("event_id")[[*EVENT_COLUMNS[1:], *CORROBORATION_COLUMNS]]
    reports = reports.join(per_report, on="event_id")
    return Analysis(reports=reports, events=events, reasons=reasons)


def analyse(
    incidents: gpd.GeoDataFrame,
    *,
    scenario_dir: Path,
    agreement_path: Path,
    threshold: float = ATTRIBUTION_THRESHOLD,
    timings: Timings | None = None,
) -> Analysis:
    """Run the whole path on a frame with the scenario and agreement files given (stage seconds in ``timings``)."""
    timings = Timings() if timings is None else timings
    scenario = load_scenario(scenario_dir)
    with timings.stage("enrich"):
        enriched = enrich(incidents, scenario, sectors=scenario_sectors(scenario_dir), threshold=threshold)
    result = flag(enriched, scenario, rules.load_agreement(agreement_path), timings=timings)
    # Geometry last, as it comes back from the store's cache, so both paths give the same columns.
    return Analysis(_geometry_last(result.reports), _geometry_last(result.events), result.reasons)


def _geometry_last(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    name = frame.geometry.name
    return frame[[c for c in frame.columns if c != name] + [name]]


def _to_storable(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    if "geometry" in frame:
        out["geometry_wkb"] = frame.geometry.to_wkb()
    for col in LIST_COLUMNS:
        if col in out:
            out[col] = [json.dumps(v, ensure_ascii=False, default=str) for v in out[col]]
    return out


def _from_storable(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    out = frame.copy()
    for col in LIST_COLUMNS:
        if col in out:
            out[col] = [json.loads(v) for v in out[col]]
    geometry = gpd.GeoSeries.from_wkb(out.pop("geometry_wkb"), crs=4326)
    return gpd.GeoDataFrame(out, geometry=geometry.to_numpy(), crs=4326)


def analyse_store(
    store,
    *,
    scenario_dir: Path,
    agreement_path: Path,
    threshold: float = ATTRIBUTION_THRESHOLD,
    timings: Timings | None = None,
) -> Analysis:
    """Return the analysis of every stored report, computed once per store revision and context.

    The result is kept with the store (its derived-data cache) under a key made of the store's
    revision and :func:`context_key`, so a new batch, a retraction, a new line version, a zone or an
    agreement change each give a fresh computation, and nothing else does.
    """
    timings = Timings() if timings is None else timings
    key = f"r{store.revision()}-{context_key(scenario_dir, agreement_path)}-t{threshold}"
    with timings.stage("read back"):
        cached = [store.load_derived(name, key) for name in ("reports", "events", "reasons")]
        if all(c is not None for c in cached):
            return Analysis(_from_storable(cached[0]), _from_storable(cached[1]), cached[2])
    with timings.stage("read"):
        incidents = store.incidents()
    result = analyse(
        incidents,
        scenario_dir=scenario_dir,
        agreement_path=agreement_path,
        threshold=threshold,
        timings=timings,
    )
    with timings.stage("write"):
        store.save_derived("reports", key, _to_storable(result.reports))
        store.save_derived("events", key, _to_storable(result.events))
        store.save_derived("reasons", key, result.reasons)
    return result
