"""The analytic path end to end: enrich (proximity, origin) then flag (rules, corroboration, score)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyproj import CRS
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

import geo
from geo import attribution, corroborate, patterns, proximity, rules, score
from geo.attribution.sides import ATTRIBUTION_THRESHOLD
from geo.crs import centre_of, theatre_crs
from geo.hexcells import H3_COLUMN, MAX_RESOLUTION, h3_cells
from geo.lookup import among, arrow_text, positions_among, take_rows
from geo.memory import give_back_memory
from geo.patterns.evidence import empty_evidence
from geo.patterns.frame import points_of
from geo.patterns.surges import SurgeState, surge_evidence, surge_state
from geo.scenario import Scenario, load_scenario
from geo.scenario.sectors import SECTORS_FILE, load_sectors, sectors_at

if TYPE_CHECKING:
    from geo.context import Context

# Columns the flag step gives an event, the event id first: its score ...
EVENT_COLUMNS = (
    "event_id",
    "violation_score",
    "flag_level",
    "attributed_side",
    "attributed_side_p",
    "side_reason",
    "side_uids",
)
# ... and from corroboration: the exchange of fire it belongs to and its independent source families.
CORROBORATION_COLUMNS = ("exchange_id", "n_families")
# What a report takes from its event (per_report): its figures, not its words. The reasons are in
# their long tables only and the side's sentence with the event; both are joined where an event or a
# report is shown or exported (:func:`explained`, :func:`with_reasons`). A copy of the reasons per
# report cost seconds and most of a gigabyte at a million reports, at every update and every
# restart; a copy per event still 400 MB, and the side's sentence per report 170 MB.
EVENT_WORDS = ("side_reason", "side_uids")
REPORT_EVENT_COLUMNS = (*(c for c in EVENT_COLUMNS[1:] if c not in EVENT_WORDS), *CORROBORATION_COLUMNS)
# Each report's influence key: the smallest uid among the reports whose outcomes depend on each
# other through triangulation, corroboration, a shot's two ends, an exchange or a citation
# (:func:`influence_keys`). A retraction recomputes its reports' influence mates (geo.incremental).
INFLUENCE = "influence"
# Each report's content hash as analysed (:func:`content_hashes`): a report edited in place keeps its
# uid but not its hash, so geo.incremental analyses it again.
CONTENT_HASH = "content_hash"
# Columns the hash leaves out: the batch a report came in says nothing the analysis reads.
UNHASHED = ("geometry", "batch_id")


class Terms(Protocol):
    """What an analysis was made under and words its reasons with: the scenario and the agreement
    (a :class:`geo.context.Context`, whose files are read on first use, or :class:`Loaded`)."""

    @property
    def scenario(self) -> Scenario: ...

    @property
    def agreement(self) -> rules.Agreement: ...


@dataclass(frozen=True)
class Loaded:
    """A scenario and an agreement already loaded (:class:`Terms`)."""

    scenario: Scenario
    agreement: rules.Agreement


@dataclass(frozen=True)
class Analysis:
    """The outcome of the analytic path over a set of reports.

    Attributes
    ----------
    reports
        The incidents with every enrichment column and their event's score and side
        (:data:`REPORT_EVENT_COLUMNS`; the reasons with :func:`with_reasons`).
    events
        One row per event with its score and side (the reasons with :func:`explained`).
    reasons
        The long table of rule reasons per report (``uid``, ``code``, ``severity``, ``weight``,
        ``effect``), without their sentences: :func:`explained` words those of the reports shown.
    evidence
        The pattern evidence (surges, clusters) per event, by its stand-in's uid.
    stand_ins
        Each event's stand-in (:func:`stand_ins`) when known, so that an update finds the new
        stand-ins without looking at every report. Stored with the analysis (a flag per stored
        report, :mod:`geo.refresh`) and checked when read back; not part of the outcome (not
        compared).
    surges
        The stand-ins' daily surge tests when known (:mod:`geo.patterns.surges`), stored and
        checked as ``stand_ins``: an update tests again only from the first day it changes.
    terms
        The scenario and agreement it was made under (:class:`Terms`), with which :func:`explained`
        words the rules' reasons; kept in memory only (a read back names them by its key).
    """

    reports: gpd.GeoDataFrame
    events: gpd.GeoDataFrame
    reasons: pd.DataFrame
    evidence: pd.DataFrame | None = None
    stand_ins: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    surges: SurgeState | None = field(default=None, compare=False, repr=False)
    terms: Terms | None = field(default=None, compare=False, repr=False)


def scenario_crs(scenario: Scenario) -> CRS:
    """The metric CRS every neighbour test is made in: the theatre's, whichever reports are analysed together."""
    return theatre_crs(*centre_of(scenario.control_areas))


def influence_keys(uids: pd.Series, links: list[np.ndarray]) -> np.ndarray:
    """Each report's influence key: the smallest uid of its connected component under ``links``.

    ``links`` are ``(k, 2)`` arrays of positions in ``uids``. A report linked to none is its own key.
    """
    n = len(uids)
    pairs = np.concatenate(
        [np.empty((0, 2), dtype=np.int64), *[np.asarray(p, dtype=np.int64) for p in links]]
    )
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    text = uids.astype(str)
    # The smallest uid of each component by rank: the uids sorted once (in Arrow when they are
    # Arrow text), not compared as Python text group by group (0.9 s at a million reports).
    arrow = arrow_text(text)
    order = (
        pc.sort_indices(arrow).to_numpy()
        if arrow is not None
        else np.argsort(text.to_numpy(dtype=str), kind="stable")
    )
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    smallest = np.full(component.max(initial=-1) + 1, n, dtype=np.int64)
    np.minimum.at(smallest, component, rank)
    return text.to_numpy(dtype=object)[order[smallest[component]]]


def content_hashes(incidents: gpd.GeoDataFrame) -> np.ndarray:
    """A hash of each report's stored fields and position (not its batch), one int64 per row (the
    uint64 hash read as signed: GeoJSON and GeoPackage exports hold it)."""
    points = incidents.geometry
    coordinates = {
        "_x": pd.Series(points.x.to_numpy(), index=incidents.index),
        "_y": pd.Series(points.y.to_numpy(), index=incidents.index),
    }
    names = sorted([*(c for c in incidents.columns if c not in UNHASHED), *coordinates])
    # The columns as they are, in name order: a drop, then a reorder, copied every column of a
    # million reports twice (half the hash's 1.9 s).
    fields = pd.DataFrame(
        {c: coordinates[c] if c in coordinates else incidents[c] for c in names}, copy=False
    )
    return pd.util.hash_pandas_object(fields, index=False).to_numpy().view(np.int64)


def citation_links(uids: pd.Series, cites: pd.Series | None) -> np.ndarray:
    """Pairs of positions (citing, cited) where a report cites another one in the same frame (the
    first report of that uid)."""
    if cites is None:
        return np.empty((0, 2), dtype=np.int64)
    citing = np.flatnonzero(cites.notna().to_numpy())
    target = cites.iloc[citing].astype(str).to_numpy(dtype=object)
    citing, target = citing[target != ""], target[target != ""]
    if not len(citing):
        return np.empty((0, 2), dtype=np.int64)
    text = uids.astype(str)
    candidates = np.flatnonzero(among(text, set(target)))  # only the uids cited are indexed
    at = pd.Series(candidates, index=text.iloc[candidates].to_numpy(dtype=object))
    at = at[~at.index.duplicated()]
    cited = pd.Series(target).map(at).to_numpy(dtype=float)
    known = np.isfinite(cited)
    return np.column_stack([citing[known], cited[known].astype(np.int64)])


# context_key's memo: the key of each set of files, by what their metadata says of them (path, inode,
# size, modification and change times), so that an unchanged set is never read again. A file changed
# in the last _SETTLED_NS may change again within its file system's time resolution with the same
# metadata (as git's "racy" index entries), so a set holding one is hashed each time, not memoised.
_CONTEXT_KEYS: dict[tuple, str] = {}
_CONTEXT_KEYS_MAX = 256
_SETTLED_NS = 2_000_000_000


def _versions() -> str:
    return f"{geo.__version__}+method.{geo.METHOD_VERSION}"


def context_key(scenario_dir: Path, agreement_path: Path) -> str:
    """Return a hash of everything the analysis depends on besides the reports.

    The scenario files (line versions, control areas, zones, posts), the agreement file, the
    software version and the method's (``geo.METHOD_VERSION``): a change to any of them gives a new
    key, so cached and stored results are recomputed.
    Cheap to call again: the files are read only when their metadata changed since the last call.
    """
    paths = [*sorted(Path(scenario_dir).glob("*.geojson")), Path(agreement_path)]
    stats = [path.stat() for path in paths]
    signature = (
        _versions(),
        *(
            (str(path.absolute()), s.st_ino, s.st_size, s.st_mtime_ns, s.st_ctime_ns)
            for path, s in zip(paths, stats, strict=True)
        ),
    )
    key = _CONTEXT_KEYS.get(signature)
    if key is not None:
        return key
    h = hashlib.sha256(_versions().encode())
    for path in paths:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    key = h.hexdigest()[:16]
    if time.time_ns() - max((max(s.st_mtime_ns, s.st_ctime_ns) for s in stats), default=0) > _SETTLED_NS:
        if len(_CONTEXT_KEYS) >= _CONTEXT_KEYS_MAX:
            _CONTEXT_KEYS.clear()
        _CONTEXT_KEYS[signature] = key
    return key


def enrich(
    incidents: gpd.GeoDataFrame,
    scenario: Scenario,
    *,
    sectors: gpd.GeoDataFrame | None = None,
    threshold: float = ATTRIBUTION_THRESHOLD,
) -> gpd.GeoDataFrame:
    """Add distance to the line in force, side, zones, sector and the estimated fire origin to each report."""
    origin = attribution.estimate_origins(
        incidents, control_areas=scenario.control_areas, threshold=threshold
    )
    return measure(incidents, scenario, sectors=sectors).join(origin)


def measure(
    incidents: gpd.GeoDataFrame, scenario: Scenario, *, sectors: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """Add what depends on each report alone: distance to the line in force, side, zones and sector."""
    near = proximity.measure(
        incidents, lines=scenario.lines, control_areas=scenario.control_areas, zones=scenario.zones
    )
    # Text columns as pandas' string dtype, as they come back from the store's cache.
    near["line_version"] = near["line_version"].astype("str")
    # The finest map hexagon, kept with the analysis: a map server counts by it instead of locating
    # every report again (geo.maps.aggregate.HexIndex).
    near[H3_COLUMN] = h3_cells(incidents.geometry, MAX_RESOLUTION)
    near[CONTENT_HASH] = content_hashes(incidents)
    if sectors is not None:
        near["sector"] = sectors_at(
            near["nearest_lon"].to_numpy(dtype=float),
            near["nearest_lat"].to_numpy(dtype=float),
            near["line_version"],
            lines=scenario.lines,
            sectors=sectors,
        )
    return incidents.join(near)


def scenario_sectors(directory: Path) -> gpd.GeoDataFrame | None:
    """The scenario's sectors, or None when it defines none."""
    return load_sectors(directory) if (Path(directory) / SECTORS_FILE).is_file() else None


class Timings(dict):
    """Seconds per stage of an analysis, in the order run (``with timings.stage("score"): ...``).

    After each stage the memory it freed goes back to the system (:func:`give_back_memory`).
    """

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            give_back_memory()
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
    origin_links: np.ndarray | None = None,
) -> Analysis:
    """Apply the agreement's rules, merge reports into events and score each event.

    Membership in a significant space-time cluster or sector surge (:mod:`geo.patterns`) is
    evidence for the score. The patterns count each event once (its earliest report stands for it):
    counted per report, one happening told by six sources would be a "cluster" of six and raise
    its own score, which corroboration already counts. ``origin_links`` (from
    :func:`geo.attribution.estimate_origins_linked`) join the influence keys of reports
    triangulated together.
    """
    timings = Timings() if timings is None else timings
    with timings.stage("rules"):
        reasons = evaluate_rules(enriched, scenario, agreement)
    with timings.stage("corroborate"):
        found = corroborate.corroborate(enriched, crs=scenario_crs(scenario))
        links = [found.links, citation_links(enriched["uid"], enriched.get("cites"))]
        if origin_links is not None:
            links.append(origin_links)
        base = enriched.assign(event_id=found.event_id, **{INFLUENCE: influence_keys(enriched["uid"], links)})
    judged = judge(
        base,
        found.events,
        reasons,
        params=params,
        pattern_params=pattern_params,
        timings=timings,
        families=found.families,
    )
    return replace(judged, terms=Loaded(scenario, agreement))


def evaluate_rules(
    enriched: gpd.GeoDataFrame, scenario: Scenario, agreement: rules.Agreement, *, words: bool = False
) -> pd.DataFrame:
    """The agreement's rules on each report (:func:`geo.rules.evaluate` with the scenario's geography),
    worded (a ``sentence`` per reason) only with ``words``: the analysis keeps none."""
    return rules.evaluate(
        enriched,
        agreement,
        lines=scenario.lines,
        control_areas=scenario.control_areas,
        zones=scenario.zones,
        posts=scenario.posts,
        words=words,
    )


# What the patterns read of a stand-in (geo.patterns.frame.points_of), and the event it stands for.
STAND_IN_COLUMNS = ("uid", "occurred_at", "event_id", "sector", "geometry")


def stand_ins(reports: pd.DataFrame) -> pd.DataFrame:
    """One report per event, its earliest (then the smallest uid): what the patterns count.

    Rows in that order (times missing last), with :data:`STAND_IN_COLUMNS` only: ordering
    positions and taking those columns is a fraction of sorting every column of every report.
    """
    times = pd.DatetimeIndex(pd.to_datetime(reports["occurred_at"], utc=True))
    text = arrow_text(reports["uid"])
    if text is None:
        uid_rank = reports["uid"].rank(method="first").to_numpy()
        order = np.lexsort((uid_rank, times.asi8, times.isna()))
    else:  # sorted in Arrow: ranking a million uids as Python text took a third of a second
        keys = pa.table({"missing": times.isna(), "time": times.asi8, "uid": text})
        by = [("missing", "ascending"), ("time", "ascending"), ("uid", "ascending")]
        order = pc.sort_indices(keys, sort_keys=by).to_numpy()
    event = pd.factorize(reports["event_id"])[0][order]
    # A missing event (code -1) counts as one, as drop_duplicates counts it.
    _, first = np.unique(event, return_index=True)
    return reports[[c for c in STAND_IN_COLUMNS if c in reports]].iloc[order[np.sort(first)]]


def find_evidence(
    one_per_event: gpd.GeoDataFrame,
    params: patterns.PatternParams | None,
    parts: tuple[str, ...] = ("surges", "clusters"),
) -> pd.DataFrame:
    """The pattern evidence (surges, clusters) of events counted once each."""
    return evidence_and_surges(one_per_event, params, parts)[0]


def evidence_and_surges(
    one_per_event: gpd.GeoDataFrame,
    params: patterns.PatternParams | None,
    parts: tuple[str, ...] = ("surges", "clusters"),
) -> tuple[pd.DataFrame, SurgeState | None]:
    """:func:`find_evidence`, and the surges' daily tests (None without surges) for the next update."""
    params = params or patterns.PatternParams()
    found, state = [], None
    if "clusters" in parts:
        clusters = patterns.find_patterns(one_per_event, params=params, parts=("clusters",))
        found.append(patterns.pattern_evidence(clusters, unit="events"))
    if "surges" in parts:
        points = points_of(one_per_event)
        state = surge_state(points, params)
        found.append(surge_evidence(state, points, unit="events"))
    if not found:
        return empty_evidence(), None
    evidence = pd.concat(found, ignore_index=True) if len(found) > 1 else found[0]
    # One canonical order (the score lists pattern reasons in it), as geo.incremental rebuilds it.
    return evidence.sort_values(["uid", "code"], kind="stable").reset_index(drop=True), state


def judge(
    base: gpd.GeoDataFrame,
    events: gpd.GeoDataFrame,
    reasons: pd.DataFrame,
    *,
    params: score.ScoreParams | None = None,
    pattern_params: patterns.PatternParams | None = None,
    timings: Timings | None = None,
    evidence: pd.DataFrame | None = None,
    families: np.ndarray | None = None,
) -> Analysis:
    """Score the events of ``base`` (reports with ``event_id``) and give each report its event's score.

    ``evidence`` is the pattern evidence when already known; otherwise found from ``base``.
    ``families`` are the reports' source families when corroboration found them (else worked out
    again, :func:`geo.score.score_events`).
    """
    timings = Timings() if timings is None else timings
    standing = surges = None
    if evidence is None:
        with timings.stage("patterns"):
            standing = stand_ins(base)
            evidence, surges = evidence_and_surges(standing, pattern_params)
    with timings.stage("score"):
        scores = score.score_events(
            events, base, reasons, params=params, patterns=evidence, families=families
        )
        events = with_scores(events, scores)
        del scores
        give_back_memory()  # the score's working memory, before the reports take their event's columns
        reports = per_report(base, events)
    return Analysis(
        reports=reports, events=events, reasons=reasons, evidence=evidence, stand_ins=standing, surges=surges
    )


def with_scores(events: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """``events`` with their ``scores`` (:func:`geo.score.score_events`, indexed like them), as a
    left merge on ``event_id`` gives them, without matching a million ids again."""
    added = scores.drop(columns=["event_id", "confidence"])
    if not scores.index.equals(events.index) or not events.index.is_unique:
        return events.merge(scores.drop(columns=["confidence"]), on="event_id", how="left")
    joined = pd.concat([events.reset_index(drop=True), added.reset_index(drop=True)], axis=1)
    return (
        gpd.GeoDataFrame(joined, geometry=events.geometry.name, crs=events.crs)
        if isinstance(events, gpd.GeoDataFrame)
        else joined
    )


def per_report(base: pd.DataFrame, events: pd.DataFrame) -> gpd.GeoDataFrame:
    """The reports with their event's score, side and corroboration columns (:data:`REPORT_EVENT_COLUMNS`)."""
    columns = [c for c in REPORT_EVENT_COLUMNS if c in events.columns]
    kept = base.drop(columns=[c for c in (*columns, *EVENT_WORDS, "reasons") if c in base])
    at = _positions(base["event_id"], events["event_id"])
    if at is None:
        return kept.join(events.set_index("event_id")[columns], on="event_id")
    # Each report's event row, taken by position (as the join, without a million ids as Python
    # text to match: the join's key factorisation was the from-scratch analysis's peak).
    values = take_rows(events[columns], at).set_axis(kept.index)
    joined = pd.concat([kept, values], axis=1)
    if not isinstance(base, gpd.GeoDataFrame):
        return joined
    return gpd.GeoDataFrame(joined, geometry=base.geometry.name, crs=base.crs)


def _positions(keys: pd.Series, ids: pd.Series) -> np.ndarray | None:
    """Each key's row among ``ids`` (distinct); None unless every key is text found among them
    (the caller joins then)."""
    at = positions_among(keys, ids)
    return None if at is None or (at < 0).any() else at


def explained(
    events: pd.DataFrame, analysis: Analysis, params: score.ScoreParams | None = None
) -> pd.DataFrame:
    """``events`` (a few of ``analysis``'s: those shown or exported) with their ``reasons``.

    Each event's reasons (:func:`geo.score.explain`) in an Arrow list column: its corroboration,
    patterns, rules and side evidence, each with its weight and sentence.
    """
    out = events.drop(columns=["reasons"], errors="ignore")
    terms = analysis.terms
    wording = None
    if terms is not None:

        def wording(members: pd.DataFrame) -> pd.DataFrame:
            return evaluate_rules(members, terms.scenario, terms.agreement, words=True)

    reasons = score.explain(
        out, analysis.reports, analysis.reasons, analysis.evidence, params=params, wording=wording
    )
    return out.assign(reasons=reasons)


def with_reasons(reports: pd.DataFrame, analysis: Analysis) -> pd.DataFrame:
    """``reports`` (a few: those shown or exported) with their event's ``side_reason`` (why this
    side, in words) and ``reasons`` (a list per report).

    Both are the event's, the same for every report of it: the rules its reports broke and the side
    evidence of its whole event (:func:`explained`).
    """
    ids = set(reports["event_id"].dropna())
    events = analysis.events[among(analysis.events["event_id"], ids)] if ids else analysis.events.iloc[:0]
    words = explained(events, analysis).drop_duplicates("event_id").set_index("event_id")
    out = reports.drop(columns=["side_reason", "reasons"], errors="ignore").join(
        words[["side_reason", "reasons"]], on="event_id"
    )
    out["reasons"] = [list(r) if isinstance(r, list | np.ndarray) else [] for r in out["reasons"]]
    return out


def analyse(
    incidents: gpd.GeoDataFrame,
    *,
    scenario_dir: Path,
    agreement_path: Path,
    threshold: float = ATTRIBUTION_THRESHOLD,
    timings: Timings | None = None,
    context: Context | None = None,
) -> Analysis:
    """Run the whole path on a frame with the scenario and agreement files given (stage seconds in ``timings``).

    ``context`` (a :class:`geo.context.Context` of those files) gives them as it read them: read
    once, and kept for the next update (loading the scenario again cost it 50 ms).
    """
    timings = Timings() if timings is None else timings
    scenario = load_scenario(scenario_dir) if context is None else context.scenario
    sectors = scenario_sectors(scenario_dir) if context is None else context.sectors
    with timings.stage("enrich"):
        measured = measure(incidents, scenario, sectors=sectors)
    with timings.stage("origins"):
        origins, origin_links = attribution.estimate_origins_linked(
            incidents, control_areas=scenario.control_areas, threshold=threshold
        )
    enriched = measured.join(origins)
    agreement = rules.load_agreement(agreement_path) if context is None else context.agreement
    result = flag(enriched, scenario, agreement, timings=timings, origin_links=origin_links)
    # Geometry last, as it comes back from the store's cache, so both paths give the same columns.
    return Analysis(
        _geometry_last(result.reports),
        _geometry_last(result.events),
        result.reasons,
        result.evidence,
        stand_ins=result.stand_ins,
        surges=result.surges,
        terms=result.terms,
    )


def _geometry_last(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    name = frame.geometry.name
    return frame[[c for c in frame.columns if c != name] + [name]]


def analyse_store(
    store,
    *,
    scenario_dir: Path,
    agreement_path: Path,
    threshold: float = ATTRIBUTION_THRESHOLD,
    timings: Timings | None = None,
) -> Analysis:
    """Return the analysis of every stored report, up to date with the store (:func:`geo.refresh.refresh_store`)."""
    from geo.refresh import refresh_store

    return refresh_store(
        store, scenario_dir=scenario_dir, agreement_path=agreement_path, threshold=threshold, timings=timings
    )[0]
