"""Bring an analysis up to date with a changed set of reports, recomputing only what the change reaches.

A batch adds reports, a retraction removes some. What depends on a report alone (distance to the
line, side, zones, sector) is measured for the new reports only. What depends on neighbours is
recomputed for the reports the change can reach, found in three steps:

1. **Origins.** Triangulation joins reports of different observers at most five minutes apart. The
   reports changed (the new ones, and the influence mates of the removed ones, see
   :data:`geo.pipeline.INFLUENCE`) are analysed with every report within that window of them; the
   connected components of the pairs tried together that hold a changed report are the reports whose
   origins can change. When one of them has a partner outside what was analysed the window grows
   and the step runs again. Pairs are tried on each report's own data, so this step is exact.
2. **Events.** The same with the widest window of any corroboration test (:data:`WINDOW_NS`, plus
   each report's time tolerance): matching pairs, a shot's two ends, exchanges of fire and
   citations link reports; the components holding a changed report (or one whose origin changed)
   are recomputed, with two windows' margin of reports around them, and replace what was stored.
3. **Patterns and scores.** Space-time clusters are scanned per calendar month, so only the months
   whose events changed are scanned again; sector surges (a trailing baseline, cheap) are tested
   again over the whole period. An event is scored again when it is new or its pattern evidence
   changed.

The result equals a from-scratch analysis of the same reports (tests/test_incremental.py applies
random sequences of batches and retractions to both); ``python -m geo analyse --check`` compares
the two on a real store.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geo import attribution, corroborate, rules, score
from geo.attribution.sides import ATTRIBUTION_THRESHOLD
from geo.corroborate import CorroborationParams
from geo.lookup import among, arrow_text, distinct, take_rows
from geo.patterns import surges as surges_mod
from geo.patterns.evidence import CLUSTER_CODE, SURGE_CODE
from geo.patterns.frame import points_of
from geo.patterns.params import PatternParams
from geo.patterns.scan import month_of
from geo.patterns.surges import SurgeState
from geo.pipeline import (
    CONTENT_HASH,
    CORROBORATION_COLUMNS,
    EVENT_COLUMNS,
    INFLUENCE,
    REPORT_EVENT_COLUMNS,
    STAND_IN_COLUMNS,
    Analysis,
    Loaded,
    Timings,
    citation_links,
    content_hashes,
    evaluate_rules,
    find_evidence,
    influence_keys,
    measure,
    per_report,
    scenario_crs,
    stand_ins,
)
from geo.scenario import Scenario

MINUTE_NS = 60_000_000_000
# Triangulation pairs reports at most this far apart (geo.attribution.estimate_origins' default).
TRIANGULATION_NS = 5 * MINUTE_NS
# The widest time window of any test between reports or events (corroboration, shot ends,
# exchanges of fire), to which both reports' time tolerances are added.
WINDOW_NS = round(
    max(
        CorroborationParams().window_min,
        CorroborationParams().exchange_window_min,
        CorroborationParams().shot_window_min,
    )
    * MINUTE_NS
)
# Columns the neighbour steps write: the fire origin, the event and the influence key.
ORIGIN_COLUMNS = attribution.OUTPUT_COLUMNS
# Columns the score adds to an event (geo.score.score_events, less the confidence it reads).
SCORE_COLUMNS = (*EVENT_COLUMNS[1:], "p_UA")
MAX_ROUNDS = 50


class TooFar(RuntimeError):
    """The change reaches further than an update may go (:data:`MAX_ROUNDS`): analyse from scratch."""


@dataclass(frozen=True)
class Update:
    """What an update did: the reports added and removed, and how much was recomputed."""

    mode: str  # "unchanged", "incremental" or "from scratch"
    added: int = 0
    removed: int = 0
    edited: int = 0
    reports_recomputed: int = 0
    events_recomputed: int = 0
    events_rescored: int = 0
    months_scanned: int = 0
    rounds: int = 0
    # Per stored table, the months whose rows changed (geo.refresh writes only those again); the
    # reports' months include those of every stand-in gained or lost (geo.refresh keeps with each
    # report whether it is its event's stand-in).
    changed: dict[str, set[str]] | None = None
    # Reports read from the store (geo.refresh reads only the batches added since the previous
    # analysis when that is all that changed); None when not said.
    reports_read: int | None = None

    def summary(self) -> str:
        """One line for a person: what changed and what was recomputed."""
        if self.mode in ("kept", "read back", "unchanged"):
            return f"{self.mode}: the analysis is current (no report added or removed since it was made)"
        if self.mode != "incremental":
            return f"{self.mode}: {self.added:,} reports added, {self.removed:,} removed"
        return (
            f"incremental: {self.added:,} reports added, {self.removed:,} removed"
            + (f", {self.edited:,} edited in place" if self.edited else "")
            + "; recomputed "
            f"{self.reports_recomputed:,} reports in {self.events_recomputed:,} events, rescored "
            f"{self.events_rescored:,} events, scanned {self.months_scanned} month(s) for clusters"
            + (
                f"; read {self.reports_read:,} reports from the store"
                if self.reports_read is not None
                else ""
            )
        )


def month_labels(times: pd.Series) -> np.ndarray:
    """Each time's calendar month (UTC) as ``YYYY-MM``, ``undated`` when missing: the stored partitions."""
    stamps = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    missing = np.asarray(stamps.isna())
    # Years and months of a missing time are NaN (and the whole column float): filled, then set aside.
    number = np.where(
        missing,
        -1,
        np.nan_to_num(stamps.year.to_numpy(dtype=float)) * 12
        + np.nan_to_num(stamps.month.to_numpy(dtype=float))
        - 1,
    ).astype(np.int64)
    codes, unique = pd.factorize(number)  # one text per month, not per report
    text = np.array(
        [f"{m // 12:04d}-{m % 12 + 1:02d}" if m >= 0 else "undated" for m in unique], dtype=object
    )
    return text[codes] if len(codes) else np.empty(0, dtype=object)


def _as_stored(values: pd.Series, dtype: object) -> pd.Series | None:
    """``values`` (a few fresh rows) in a kept column's Arrow type, or None when they do not fit it."""
    if isinstance(dtype, pd.ArrowDtype):
        try:  # as geo.refresh stores list columns: lists and arrays alike, None and NaN as null
            array = pa.array(values.to_numpy(dtype=object), type=dtype.pyarrow_dtype, from_pandas=True)
        except (TypeError, ValueError, pa.ArrowException):
            return None
        return pd.Series(pd.array(array, dtype=dtype), index=values.index, name=values.name)
    if isinstance(dtype, pd.StringDtype) and pd.api.types.infer_dtype(values, skipna=True) in (
        "string",
        "empty",
    ):
        return values.astype(dtype)
    return None


def stacked(frames: list[pd.DataFrame], **kwargs) -> pd.DataFrame:
    """``pd.concat`` keeping the largest frame's Arrow column types: the other frames' rows are cast to them.

    The kept analysis holds Arrow columns (strings, lists); concatenated with a few fresh rows of
    Python objects, pandas would turn its million values into Python objects (seconds at 1M rows),
    where casting the few fresh ones costs nothing. A value that does not fit is left as it is.
    """
    big = max(frames, key=len)
    out = []
    for frame in frames:
        if frame is not big and len(frame):
            frame = frame.copy(deep=False)
            for col in frame.columns.intersection(big.columns):
                want = big[col].dtype
                if frame[col].dtype != want and isinstance(want, pd.ArrowDtype | pd.StringDtype):
                    cast = _as_stored(frame[col], want)
                    if cast is not None:
                        frame[col] = cast
        out.append(frame)
    return pd.concat(out, **kwargs)


# Rows are kept in blocks of at most this many: an update copies the blocks it changes and shares
# the others with the previous analysis (when events held their reasons, a million events' were
# 400 MB and copying them took more than a second, most of it the system handing out fresh memory;
# the reports and the reasons table are still hundreds of MB each).
BLOCK_ROWS = 65_536


def _bounds(frame: pd.DataFrame) -> np.ndarray:
    """Block starts (and the end) over ``frame``'s rows: where a column's Arrow chunk starts, and
    every :data:`BLOCK_ROWS` within longer chunks."""
    starts = {0, len(frame)}
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.ArrowDtype | pd.StringDtype):
            array = pa.array(frame[col].array)
            if isinstance(array, pa.ChunkedArray):
                starts.update(np.cumsum([len(c) for c in array.chunks]).tolist())
    edges = np.array(sorted(starts))
    cut = [np.arange(a, b, BLOCK_ROWS) for a, b in itertools.pairwise(edges)]
    return np.r_[np.concatenate([np.empty(0, dtype=np.int64), *cut]), len(frame)].astype(np.int64)


def _one_chunk(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each Arrow column's chunks copied into one."""
    frame = frame.copy(deep=False)
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.ArrowDtype | pd.StringDtype):
            array = pa.array(frame[col].array)
            if isinstance(array, pa.ChunkedArray) and array.num_chunks > 1:
                frame[col] = pd.Series(
                    pd.array(array.combine_chunks(), dtype=frame[col].dtype), index=frame.index, name=col
                )
    return frame


def _joined(pieces: list[pd.DataFrame]) -> pd.DataFrame:
    """``pieces`` one after the other, runs of small ones copied into one (else every update would
    leave its own few rows as one more Arrow chunk); large ones are shared, not copied."""
    out: list[pd.DataFrame] = []
    run: list[pd.DataFrame] = []

    def flush() -> None:
        if len(run) > 1:
            out.append(_one_chunk(pd.concat(run)))
        elif run:
            out.append(run[0])
        run.clear()

    for piece in pieces:
        if len(piece) < BLOCK_ROWS // 2:
            run.append(piece)
            if sum(map(len, run)) >= BLOCK_ROWS:
                flush()
            continue
        flush()
        out.append(piece)
    flush()
    return out[0] if len(out) == 1 else pd.concat(out)


def without_rows(frame: pd.DataFrame, drop: np.ndarray) -> pd.DataFrame:
    """``frame`` less the rows where ``drop``, as ``frame[~drop]``, copying only the blocks that lose a row."""
    if not drop.any():
        return frame
    bounds = _bounds(frame)
    pieces = []
    for a, b in itertools.pairwise(bounds):
        block = frame.iloc[a:b]
        pieces.append(block[~drop[a:b]] if drop[a:b].any() else block)
    return _joined([p for p in pieces if len(p)] or [frame.iloc[:0]])


def _merged(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The union of intervals ``[lo, hi]`` as sorted disjoint intervals."""
    order = np.argsort(lo, kind="stable")
    lo, hi = lo[order], np.maximum.accumulate(hi[order])
    start = np.r_[True, lo[1:] > hi[:-1]]
    ends = np.r_[np.flatnonzero(start)[1:] - 1, len(lo) - 1]
    return lo[start], hi[ends]


def _near(chosen: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Every report whose interval overlaps the interval of a chosen report (the chosen included)."""
    if not chosen.any():
        return chosen.copy()
    a, b = _merged(lo[chosen], hi[chosen])
    k = np.searchsorted(a, hi, side="right") - 1
    out = k >= 0
    out[out] = b[k[out]] >= lo[out]
    return out | chosen


def _cited(chosen: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """The chosen reports and those citing or cited by one of them."""
    out = chosen.copy()
    if len(pairs):
        out[pairs[chosen[pairs[:, 0]], 1]] = True
        out[pairs[chosen[pairs[:, 1]], 0]] = True
    return out


def _components(n: int, links: list[np.ndarray]) -> np.ndarray:
    pairs = np.concatenate([np.empty((0, 2), dtype=np.int64), *links]).astype(np.int64)
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _reached(component: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Members of the components that hold a seed (both over the same positions)."""
    return np.isin(component, distinct(component[seeds]))


def _time_bounds(
    times: tuple[np.ndarray, np.ndarray], half_ns: float, tolerance: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Each report's reach in time: ``half_ns`` either side, plus its tolerance as corroboration
    takes it (``times``: :func:`geo.corroborate.time_bounds`)."""
    t, tol = times
    half = half_ns + (tol if tolerance else 0.0)
    return t - half, t + half


def _families_changed(before: pd.DataFrame, now: pd.DataFrame) -> set[str]:
    """Sources whose family (geo.corroborate.independence, a citation by source name) differs.

    A source's family is its first report's: only those rows (and two columns) are read.
    """

    def families(frame: pd.DataFrame) -> pd.Series:
        first = ~frame["source"].duplicated().to_numpy()
        rows = frame.loc[first, [c for c in ("source", "source_family") if c in frame.columns]]
        source = rows["source"].astype(str)
        fam = rows["source_family"] if "source_family" in rows else pd.Series(None, index=rows.index)
        fam = fam.where(fam.notna() & (fam.astype(str) != ""), source).astype(str)
        return pd.Series(fam.to_numpy(), index=source.to_numpy())

    a, b = families(before), families(now)
    joined = pd.concat([a.rename("a"), b.rename("b")], axis=1)
    return set(joined.index[joined["a"].ne(joined["b"])])


def update(
    previous: Analysis,
    incidents: gpd.GeoDataFrame,
    *,
    scenario: Scenario,
    agreement: rules.Agreement,
    sectors: gpd.GeoDataFrame | None = None,
    threshold: float = ATTRIBUTION_THRESHOLD,
    timings: Timings | None = None,
    appended: int | None = None,
) -> tuple[Analysis, Update]:
    """Return the analysis of ``incidents`` from ``previous`` (an analysis with the same scenario and terms).

    ``incidents`` is every stored report now, in the store's order. ``previous`` must carry its
    pattern evidence, influence keys and content hashes (an analysis made by this version); otherwise raise
    ValueError and let the caller analyse from scratch.

    ``appended`` says, when known, that the reports only grew: the last ``appended`` rows are new,
    the others are ``previous``'s reports, unchanged, in its order (the store says so by its batches
    and their edit counts, :func:`geo.refresh.refresh_store`). No report is then compared by uid or
    content hash.
    """
    timings = Timings() if timings is None else timings
    if previous.evidence is None or not {INFLUENCE, CONTENT_HASH} <= set(previous.reports.columns):
        msg = "The previous analysis lacks its pattern evidence, influence keys or content hashes."
        raise ValueError(msg)
    before = previous.reports
    uid = incidents["uid"].astype(str).reset_index(drop=True)
    frame = incidents.reset_index(drop=True)
    if appended is not None:
        if len(frame) - appended != len(before):
            msg = "The reports said to be the previous analysis's are not as many as its reports."
            raise ValueError(msg)
        is_new = np.arange(len(frame)) >= len(before)
        gone = pd.Index([], dtype=object)
        edited = np.zeros(len(uid), dtype=bool)
        where = np.arange(len(before))
    else:
        known = pd.Index(before["uid"].to_numpy(dtype=object)).astype(str).astype(object)
        is_new = ~among(uid, known)
        gone = known[~among(known, uid)]
        # A report edited in place (QGIS, sqlite3: the store's triggers allow it) keeps its uid: its
        # content hash tells. It is analysed again as if removed and added.
        at = pd.Series(np.arange(len(before)), index=known)
        where = at.reindex(uid[~is_new]).to_numpy()
        stored_hash = before[CONTENT_HASH].to_numpy()[where]
        edited = np.zeros(len(uid), dtype=bool)
        # Every row hashed, then the kept ones picked: taking the kept rows first would copy them all.
        edited[~is_new] = content_hashes(frame)[~is_new] != stored_hash
        where = where[~edited[~is_new]]
    if not is_new.any() and not len(gone) and not edited.any():
        return previous, Update("unchanged", changed={})
    if edited.any():
        gone = gone.union(pd.Index(uid[edited]))
        is_new = is_new | edited
    n = len(uid)

    # What depends on each report alone: measured for the new reports only.
    neighbours = {*ORIGIN_COLUMNS, "event_id", INFLUENCE, *EVENT_COLUMNS, *CORROBORATION_COLUMNS}
    own = [c for c in before.columns if c not in frame.columns and c not in neighbours and c != "geometry"]
    carried = [*own, *ORIGIN_COLUMNS, "event_id", INFLUENCE]
    # Usually the kept reports are the first ones, in the same order (a batch came at the end): a
    # slice then, not a copy of every column of every report.
    first_rows = slice(0, len(where)) if np.array_equal(where, np.arange(len(where))) else where
    parts = [before[carried].iloc[first_rows].set_axis(np.flatnonzero(~is_new))]
    if is_new.any():
        with timings.stage("enrich"):
            fresh = measure(take_rows(frame, is_new), scenario, sectors=sectors)
        if [c for c in fresh.columns if c not in frame.columns] != own:
            msg = "The previous analysis was measured with other columns (another version)."
            raise ValueError(msg)
        parts.append(pd.DataFrame(fresh[own]).set_axis(np.flatnonzero(is_new)))
    base = frame.join(stacked(parts).sort_index()[carried])

    # The reports the change reaches directly: the new ones, the influence mates of the removed
    # ones, and those citing a source whose family changed.
    lost = among(before["uid"], gone) if len(gone) else np.zeros(len(before), dtype=bool)
    mates = set(before[INFLUENCE].to_numpy()[lost]) if lost.any() else set()
    dirty = is_new | among(base[INFLUENCE], mates)
    changed_sources = _families_changed(before, frame)
    if changed_sources and "cites" in frame:
        dirty |= among(frame["cites"], changed_sources)

    rounds = 0
    hit = np.zeros(n, dtype=bool)
    new_ids: set = set()
    made = previous.events.iloc[:0][[c for c in previous.events.columns if c not in SCORE_COLUMNS]]
    was = base["event_id"].copy()
    if dirty.any():
        rounds, hit, made = _neighbours(base, frame, dirty, scenario, threshold, timings)
        new_ids = set(made["event_id"])

    with timings.stage("rules"):
        redone = pd.Index(uid[hit])
        kept = without_rows(previous.reasons, among(previous.reasons["uid"], redone.union(gone)))
        fresh_reasons = (
            evaluate_rules(take_rows(base, hit), scenario, agreement) if hit.any() else kept.iloc[:0]
        )
        reasons = stacked([kept, fresh_reasons], ignore_index=True)

    # 3. Patterns: clusters of the months whose events changed, surges of the whole period.
    with timings.stage("patterns"):
        # Only events whose members changed can change their stand-in: those of the events
        # replaced go, those of the new events come.
        old_all = previous.stand_ins if previous.stand_ins is not None else stand_ins(before)
        replaced_ids = set(before["event_id"][lost]) | set(was[hit])
        is_old = among(old_all["event_id"], replaced_ids)
        old_stand = take_rows(old_all, is_old)
        fresh_stand = None
        if base["event_id"].isna().any() or old_all["event_id"].isna().any():
            new_stand_full = stand_ins(base)  # reports without an event share one stand-in
            # Which stand-ins came or went, found by comparing them all (a rare path).
            stand_moved = stacked(
                [
                    take_rows(old_all, ~_uids_among(old_all["uid"], new_stand_full["uid"])),
                    take_rows(new_stand_full, ~_uids_among(new_stand_full["uid"], old_all["uid"])),
                ]
            )
        else:
            fresh_stand = stand_ins(take_rows(base, among(base["event_id"], new_ids)))
            new_stand_full = _in_stand_in_order(without_rows(old_all, is_old), fresh_stand)
            # Every stand-in that came or went is among these (the replaced events' and the new ones).
            stand_moved = stacked([old_stand, fresh_stand])
        new_stand = new_stand_full[["event_id", "uid", "occurred_at"]]
        # A stand-in moved when it is another report, or the same one elsewhere in time, place
        # or sector (a report edited in place keeps its uid and often its event).
        both = _placed(old_stand).merge(
            _placed(take_rows(new_stand_full, among(new_stand["event_id"], new_ids))),
            how="outer",
            indicator=True,
        )
        moved = both[both["_merge"] != "both"]
        months = set(month_of(pd.DatetimeIndex(moved["occurred_at"].dropna()).floor("D")).tolist())
        month = month_of(pd.DatetimeIndex(new_stand["occurred_at"]).floor("D"))
        scanned = find_evidence(new_stand_full[np.isin(month, list(months))], None, parts=("clusters",))
        surges, surge_tests = _surges(previous, old_stand, fresh_stand, new_stand_full, old_all)
        old = previous.evidence
        old_time = take_rows(before[["uid", "occurred_at"]], among(before["uid"], set(old["uid"])))
        old_month = old["uid"].map(
            pd.Series(
                month_of(pd.DatetimeIndex(old_time["occurred_at"]).floor("D")),
                index=old_time["uid"].to_numpy(),
            )
        )
        kept_clusters = old[(old["code"] == CLUSTER_CODE) & ~old_month.isin(months)]
        evidence = stacked([kept_clusters, scanned, surges], ignore_index=True)
        evidence = evidence.sort_values(["uid", "code"], kind="stable").reset_index(drop=True)
        differ = old.merge(evidence, how="outer", indicator=True)
        touched_uids = set(differ.loc[differ["_merge"] != "both", "uid"])

    # Scores: new events, and events whose pattern evidence changed.
    with timings.stage("score"):
        again = set(base["event_id"][among(base["uid"], touched_uids)].dropna()) - new_ids
        replaced = set(before["event_id"][lost]) | set(was[hit]) | new_ids
        is_replaced = among(previous.events["event_id"], replaced)
        is_again = among(previous.events["event_id"], again) & ~is_replaced
        rescore = pd.concat(
            [made, take_rows(previous.events, is_again)[list(made.columns)]], ignore_index=True
        )
        events = [without_rows(previous.events, is_replaced | is_again)]
        if len(rescore):
            members = among(base["event_id"], set(rescore["event_id"]))
            scope = among(base[INFLUENCE], set(base[INFLUENCE][members]))
            in_scope = set(uid[scope])
            scores = score.score_events(
                rescore,
                take_rows(base, scope),
                take_rows(reasons, among(reasons["uid"], in_scope)),
                patterns=take_rows(evidence, among(evidence["uid"], in_scope)),
            )
            events.append(rescore.merge(scores.drop(columns=["confidence"]), on="event_id", how="left"))
        # Kept events in their order, then the new and rescored ones: no table is kept in any
        # particular order (the stored one comes back month by month), and sorting costs a copy.
        events = gpd.GeoDataFrame(stacked(events, ignore_index=True), geometry="geometry", crs=4326)
        for col in carried:  # as stored (a column the new rows lacked may have widened)
            if base[col].dtype != before[col].dtype:
                base[col] = base[col].astype(before[col].dtype)
        leading = len(where) if isinstance(first_rows, slice) and not is_new[: len(where)].any() else None
        reports = _per_report(base, before, leading, events, replaced | again).set_axis(incidents.index)
    rows = month_labels(pd.concat([base["occurred_at"][hit | is_new], before["occurred_at"][lost]]))
    old_events = is_replaced | is_again
    changed_events = pd.concat([previous.events["occurred_at"][old_events], rescore["occurred_at"]])
    changed = {
        # A report's month changes too when it becomes or stops being its event's stand-in.
        "reports": set(rows) | set(month_labels(stand_moved["occurred_at"])),
        "reasons": set(rows),
        "events": set(month_labels(changed_events)),
    }
    return (
        Analysis(
            reports=reports,
            events=events,
            reasons=reasons,
            evidence=evidence,
            stand_ins=new_stand_full,
            surges=surge_tests,
            terms=Loaded(scenario, agreement),
        ),
        Update(
            "incremental",
            added=int((is_new & ~edited).sum()),
            removed=len(gone) - int(edited.sum()),
            edited=int(edited.sum()),
            reports_recomputed=int(hit.sum()),
            events_recomputed=len(made),
            events_rescored=len(rescore),
            months_scanned=len(months),
            rounds=rounds,
            changed={**changed, "evidence": {"all"}, "surges": {"all"}},
        ),
    )


def _surges(
    previous: Analysis,
    old_stand: pd.DataFrame,
    fresh_stand: pd.DataFrame | None,
    now: pd.DataFrame,
    before: pd.DataFrame,
) -> tuple[pd.DataFrame, SurgeState]:
    """The surge evidence of the stand-ins ``now`` and their daily tests.

    From the previous tests when it has them: ``old_stand`` (stand-ins of the events replaced,
    among those ``before``) taken out, ``fresh_stand`` (those of the new events) put in, days
    tested again from the first that changed; the evidence of stand-ins before that day's month is
    kept. Otherwise (or when the days or sectors tested would differ) every day of ``now`` is tested.
    """
    params = PatternParams()
    state = None
    if previous.surges is not None and fresh_stand is not None:
        state = surges_mod.updated(previous.surges, points_of(old_stand), points_of(fresh_stand), params)
    if state is None:
        points = points_of(now)
        state = surges_mod.surge_state(points, params)
        return surges_mod.surge_evidence(state, points), state
    start = state.recomputed_from
    later = int(np.searchsorted(_stand_in_key(now), start.value, side="left"))  # ``now`` is in time order
    fresh = surges_mod.surge_evidence(state, points_of(now.iloc[later:]), start=start)
    old = previous.evidence[previous.evidence["code"] == SURGE_CODE]
    when = take_rows(before[["uid", "occurred_at"]], among(before["uid"], set(old["uid"])))
    time_of = pd.Series(pd.DatetimeIndex(when["occurred_at"]).tz_convert("UTC"), index=when["uid"].to_numpy())
    day = pd.DatetimeIndex(time_of.reindex(old["uid"].to_numpy()))  # a uid not found: NaT
    kept = old[np.asarray(day < start) & ~day.isna()]
    return stacked([kept, fresh], ignore_index=True), state


def _placed(stand: pd.DataFrame) -> pd.DataFrame:
    """Stand-ins as comparable rows: event, uid, time, sector and coordinates."""
    geometry = gpd.GeoSeries(stand["geometry"]).to_numpy()
    return pd.DataFrame(
        {
            "event_id": stand["event_id"].astype(object).to_numpy(),
            "uid": stand["uid"].astype(object).to_numpy(),
            "occurred_at": stand["occurred_at"].to_numpy(),
            "sector": stand["sector"].astype(object).to_numpy() if "sector" in stand else None,
            "x": shapely.get_x(geometry),
            "y": shapely.get_y(geometry),
        }
    )


def _stand_in_key(frame: pd.DataFrame) -> np.ndarray:
    """The time :func:`geo.pipeline.stand_ins` orders by, missing times last (int64 ns)."""
    times = pd.DatetimeIndex(pd.to_datetime(frame["occurred_at"], utc=True))
    return np.where(times.isna(), np.iinfo(np.int64).max, times.asi8)


def _in_stand_in_order(kept: pd.DataFrame, fresh: pd.DataFrame) -> pd.DataFrame:
    """Two tables of stand-ins, each in :func:`geo.pipeline.stand_ins`' order (time, then uid), as one
    in that order: ``fresh`` rows are placed among ``kept`` by time, uids compared only at equal times."""
    if not len(fresh):
        return kept
    a, b = _stand_in_key(kept), _stand_in_key(fresh)
    lo, hi = np.searchsorted(a, b, side="left"), np.searchsorted(a, b, side="right")
    at = lo.copy()
    fresh_uid = fresh["uid"].astype(str).to_numpy(dtype=object)
    for i in np.flatnonzero(hi > lo):  # the same time as kept stand-ins: after those of smaller uid
        tied = kept["uid"].iloc[lo[i] : hi[i]].astype(str).to_numpy(dtype=object)
        at[i] = lo[i] + int(np.sum(tied < fresh_uid[i]))
    # The kept stand-ins before the first new one stay as they are (shared, not copied): a batch
    # is mostly of recent reports, so that is nearly all of them.
    start = int(at[0])
    rest = kept.iloc[start:]
    n = len(rest) + len(fresh)
    is_fresh = np.zeros(n, dtype=bool)
    is_fresh[at - start + np.arange(len(fresh))] = True
    order = np.empty(n, dtype=np.int64)
    order[~is_fresh] = np.arange(len(rest))
    order[is_fresh] = len(rest) + np.arange(len(fresh))
    tail = stacked([rest, fresh])
    if not np.array_equal(order, np.arange(n)):
        tail = tail.iloc[order]
    return stacked([kept.iloc[:start], tail]) if start else tail


def _uids_among(uids: pd.Series, chosen: pd.Series) -> np.ndarray:
    """Which ``uids`` are among ``chosen`` (both many): as :func:`geo.lookup.among`, the set looked up
    in Arrow rather than made of Python text when both are Arrow text."""
    text, pool = arrow_text(uids), arrow_text(chosen)
    if text is None or pool is None:
        return among(uids, set(chosen.astype(str)))
    pool = pool.combine_chunks() if isinstance(pool, pa.ChunkedArray) else pool
    return pc.is_in(text, value_set=pool).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def stand_in_flags(reports: pd.DataFrame, stand: pd.DataFrame) -> np.ndarray | None:
    """Which ``reports`` are among ``stand`` (their analysis's stand-ins, :func:`geo.pipeline.stand_ins`),
    or None when a stand-in is not one of the reports (they are not of the same analysis).

    What :func:`geo.refresh.refresh_store` keeps with each stored report, so that an analysis read
    back has its stand-ins again (:func:`flagged_stand_ins`) without ordering every report.
    """
    flags = _uids_among(reports["uid"], stand["uid"])
    return flags if int(flags.sum()) == len(stand) else None


def flagged_stand_ins(reports: pd.DataFrame, flags: np.ndarray) -> pd.DataFrame | None:
    """The stand-ins of ``reports`` whose rows ``flags`` marks (:func:`stand_in_flags`), as
    :func:`geo.pipeline.stand_ins` gives them (in its order: time, missing times last, then uid;
    with its columns), or None when the rows marked are not the stand-ins.

    They are checked to be, wherever they were kept: one per event, each its event's earliest
    report (then smallest uid). Reports without an event, or whose uid or event is not Arrow text,
    are not checked but refused (None): :func:`geo.pipeline.stand_ins` finds them again. Only the
    stand-ins are ordered, and the check is Arrow lookups and comparisons of whole columns: about
    0.3 s at a million reports, where finding them again (every report's event factorised, every
    uid ranked) took 0.6 to 1.1 s.
    """
    flags = np.asarray(flags, dtype=bool)
    uids, events = arrow_text(reports["uid"]), arrow_text(reports["event_id"])
    if len(flags) != len(reports) or uids is None or events is None or events.null_count:
        return None
    rows = np.flatnonzero(flags)
    taken = pa.array(rows, type=pa.int64())
    uid, event = uids.take(taken), events.take(taken)
    event = event.combine_chunks() if isinstance(event, pa.ChunkedArray) else event
    # Each report's stand-in: the first stand-in of its event. Every event has one, and each
    # stand-in is the first of its event (so the only one).
    at = pc.index_in(events, value_set=event).fill_null(-1).to_numpy(zero_copy_only=False)
    if (at < 0).any() or not np.array_equal(at[rows], np.arange(len(rows))):
        return None
    every = _stand_in_key(reports)
    key = every[rows]
    theirs = key[at]
    if (every < theirs).any():
        return None
    # Another report at its stand-in's time has a larger uid. Text ordered as UTF-8 bytes is
    # ordered by code point, as Python and pandas' rank order it.
    tied = np.flatnonzero((every == theirs) & ~flags)
    if len(tied):
        later = pc.greater(uids.take(pa.array(tied)), uid.take(pa.array(at[tied])))
        if not pc.all(later).as_py():
            return None
    order = pc.sort_indices(
        pa.table({"key": key, "uid": uid}), sort_keys=[("key", "ascending"), ("uid", "ascending")]
    ).to_numpy()
    return take_rows(reports[[c for c in STAND_IN_COLUMNS if c in reports]], rows[order])


def _per_report(
    base: pd.DataFrame, before: pd.DataFrame, leading: int | None, events: pd.DataFrame, changed: set
) -> gpd.GeoDataFrame:
    """``per_report(base, events)``: each report with its event's columns.

    With ``leading`` (the first ``leading`` reports are ``before``'s, in its order), a block of
    reports none of whose events is in ``changed`` (new, recomputed or rescored events) keeps
    ``before``'s values, shared, not copied; only the other blocks are joined to ``events``.
    """
    columns = [c for c in REPORT_EVENT_COLUMNS if c in events.columns]
    if leading is None or not set(columns) <= set(before.columns):
        return per_report(base, events)
    old = pd.DataFrame(before[columns]).iloc[:leading]
    touched = np.ones(len(base), dtype=bool)
    touched[:leading] = among(base["event_id"].iloc[:leading], changed)
    bounds = np.r_[_bounds(old), np.arange(leading, len(base), BLOCK_ROWS)[1:], len(base)]
    bounds = distinct(bounds)
    # The changed events' values; a block's other reports take theirs from ``before``.
    fresh = pd.DataFrame(take_rows(events[["event_id", *columns]], among(events["event_id"], changed)))
    pieces = []
    for a, b in itertools.pairwise(bounds):
        if touched[a:b].any():
            ids = base["event_id"].iloc[a:b]
            same = np.flatnonzero(~touched[a:b])  # all below ``leading``: every new report is touched
            known = pd.concat(
                [ids.iloc[same].reset_index(drop=True), old.iloc[a:b].iloc[same].reset_index(drop=True)],
                axis=1,
            )
            lookup = stacked([known.drop_duplicates("event_id"), fresh], ignore_index=True).set_index(
                "event_id"
            )
            pieces.append(pd.DataFrame(ids).join(lookup, on="event_id")[columns])
        else:
            pieces.append(old.iloc[a:b])
    values = stacked(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0].reset_index(drop=True)
    for col in columns:  # as the old values' type (a block of fresh rows may have come out wider)
        if values[col].dtype != old[col].dtype and len(old):
            values[col] = values[col].astype(old[col].dtype)
    kept = base.drop(columns=[c for c in (*columns, "reasons") if c in base]).reset_index(drop=True)
    return gpd.GeoDataFrame(pd.concat([kept, values], axis=1), geometry="geometry", crs=base.crs)


def _neighbours(
    base: pd.DataFrame,
    frame: pd.DataFrame,
    dirty: np.ndarray,
    scenario: Scenario,
    threshold: float,
    timings: Timings,
) -> tuple[int, np.ndarray, pd.DataFrame]:
    """Recompute origins, then events, of the reports the dirty ones reach; write them into ``base``.

    Returns the rounds run, the reports recomputed (a mask) and their events (corroboration columns).
    """
    n, rounds = len(base), 0
    # A report recomputed may leave the company it had: whatever was linked to it before (its old
    # influence mates) is recomputed too, though no link joins them now.
    # As it was: base's column is written below. (An Arrow column's copy shares its immutable data.)
    old_key = pd.Series(base[INFLUENCE].array.copy(), name=INFLUENCE)

    def mates(chosen: np.ndarray) -> np.ndarray:
        keys = old_key[chosen]
        return among(old_key, set(keys[keys.notna()])) | chosen

    # 1. Origins: exact closure under the pairs tried in triangulation.
    with timings.stage("origins"):
        times = corroborate.time_bounds(frame)
        lo, hi = _time_bounds(times, TRIANGULATION_NS / 2, tolerance=False)
        reach = dirty.copy()
        for _ in range(MAX_ROUNDS):
            rounds += 1
            analysed = _near(reach, lo, hi)
            rows = np.flatnonzero(analysed)
            origins, tried = attribution.estimate_origins_linked(
                take_rows(base, rows), control_areas=scenario.control_areas, threshold=threshold
            )
            hit = np.zeros(n, dtype=bool)
            hit[rows[_reached(_components(len(rows), [tried]), dirty[rows])]] = True
            grown = mates(hit)
            if not (grown & ~dirty).any() and not (_near(hit, lo, hi) & ~analysed).any():
                break
            dirty = dirty | grown
            reach |= grown
        else:
            raise TooFar(f"The change reaches further than {MAX_ROUNDS} rounds of triangulation.")
        redo = hit[rows]
        for col in ORIGIN_COLUMNS:
            base.loc[base.index[rows[redo]], col] = origins[col].to_numpy()[redo]
        dirty = dirty | hit

    # 2. Events: the components of every link between reports that hold a changed report, computed
    # with two windows' margin of reports around them.
    with timings.stage("corroborate"):
        lo, hi = _time_bounds(times, WINDOW_NS / 2, tolerance=True)
        cite_pairs = citation_links(frame["uid"], frame.get("cites"))

        def around(chosen: np.ndarray) -> np.ndarray:
            return _cited(_near(chosen, lo, hi), cite_pairs)

        crs = scenario_crs(scenario)
        reach = dirty.copy()
        for _ in range(MAX_ROUNDS):
            rounds += 1
            # One hop more than the margin: what the changed reports reach is mostly within one
            # hop of them, so one round usually suffices.
            analysed = around(around(around(reach)))
            rows = np.flatnonzero(analysed)
            part = take_rows(base, rows)
            found = corroborate.corroborate(part, crs=crs)
            tried = attribution.triangulation_links(part, control_areas=scenario.control_areas)
            links = [found.links, tried, citation_links(part["uid"], part.get("cites"))]
            inside = _reached(_components(len(rows), links), dirty[rows])
            hit = np.zeros(n, dtype=bool)
            hit[rows[inside]] = True
            grown = mates(hit)
            if not (grown & ~dirty).any() and not (around(around(hit)) & ~analysed).any():
                break
            dirty = dirty | grown
            reach |= grown
        else:
            raise TooFar(f"The change reaches further than {MAX_ROUNDS} rounds of corroboration.")
        keys = influence_keys(part["uid"], links)
        base.loc[base.index[rows[inside]], "event_id"] = found.event_id.to_numpy()[inside]
        base.loc[base.index[rows[inside]], INFLUENCE] = keys[inside]
        ids = set(found.event_id.to_numpy()[inside])
    return rounds, hit, found.events[among(found.events["event_id"], ids)]


# Each table's key: rows are compared in this order, whatever order either analysis keeps them in.
TABLE_KEYS = {
    "reports": ["uid"],
    "events": ["event_id"],
    "reasons": ["uid", "code", "weight"],
    "evidence": ["uid", "code"],
}


def _same(p: object, q: object) -> bool:
    if isinstance(p, list | tuple | dict | np.ndarray) or isinstance(q, list | tuple | dict | np.ndarray):
        return json.dumps(_plain(p), sort_keys=True, default=str) == json.dumps(
            _plain(q), sort_keys=True, default=str
        )
    return bool(p == q)


def _plain(value: object) -> object:
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def state_differences(a: Analysis, b: Analysis) -> list[str]:
    """Where ``a``'s stand-ins and surge tests (what its next update starts from) differ from ``b``'s.

    Only what both hold is compared: an analysis without them (read back from an earlier version)
    has its first update find them again. ``since`` (the first day last tested again) is how the
    tests were made, not what they say, and is left out.
    """
    out: list[str] = []
    if a.stand_ins is not None and b.stand_ins is not None:
        x, y = a.stand_ins["uid"].astype(str).tolist(), b.stand_ins["uid"].astype(str).tolist()
        if x != y:
            at = next((i for i, (u, v) in enumerate(zip(x, y, strict=False)) if u != v), min(len(x), len(y)))
            out.append(f"stand-ins: {len(x):,} against {len(y):,}, in order, differing from the {at + 1:,}th")
    if a.surges is not None and b.surges is not None:
        s, t = a.surges, b.surges
        if s.sectors != t.sectors or not s.days.equals(t.days) or not np.array_equal(s.counts, t.counts):
            out.append("surge tests: the sectors, days or daily counts differ")
        else:
            for key in sorted(set(s.tests) | set(t.tests)):
                if key not in s.tests or key not in t.tests:
                    out.append(f"surge tests: {key} in one analysis only")
                elif not np.array_equal(s.tests[key], t.tests[key], equal_nan=s.tests[key].dtype.kind == "f"):
                    out.append(f"surge tests: {key} differ")
    return out


def differences(a: Analysis, b: Analysis, *, limit: int = 10) -> list[str]:
    """Where two analyses of the same reports differ (at most ``limit`` lines); empty when they agree.

    Tables are compared row by row in key order (:data:`TABLE_KEYS`), column by column, values
    exactly (floats to the last bit, lists and their dicts in order); missing values of any kind
    (None, NaN, NaT, NA) are equal to each other.
    """
    out: list[str] = []
    for name, key in TABLE_KEYS.items():
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None:
            if (x is None) != (y is None):
                out.append(f"{name}: present in one analysis only")
            continue
        x = pd.DataFrame(x).sort_values(key, kind="stable").reset_index(drop=True)
        y = pd.DataFrame(y).sort_values(key, kind="stable").reset_index(drop=True)
        if set(x.columns) != set(y.columns):
            out.append(f"{name}: columns differ: {sorted(set(x.columns) ^ set(y.columns))}")
        if len(x) != len(y):
            out.append(f"{name}: {len(x):,} rows against {len(y):,}")
            continue
        for col in [c for c in y.columns if c in x.columns]:
            if col == "geometry":
                xs, ys = gpd.GeoSeries(x[col]), gpd.GeoSeries(y[col])
                bad = np.flatnonzero(~(xs.geom_equals_exact(ys, tolerance=0) | (xs.isna() & ys.isna())))
            else:
                gap_x, gap_y = pd.isna(x[col]).to_numpy(), pd.isna(y[col]).to_numpy()
                values_x, values_y = x[col].to_numpy(dtype=object), y[col].to_numpy(dtype=object)
                both = np.flatnonzero(~gap_x & ~gap_y)
                unequal = [i for i in both if not _same(values_x[i], values_y[i])]
                bad = np.sort(np.r_[np.flatnonzero(gap_x != gap_y), unequal]).astype(int)
            if len(bad):
                i = bad[0]
                out.append(
                    f"{name}.{col}: {len(bad):,} row(s) differ; first {key}={x.loc[i, key].tolist()}: "
                    f"{x.loc[i, col]!r} against {y.loc[i, col]!r}"
                )
            if len(out) >= limit:
                return out
    return out
