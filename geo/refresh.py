"""The stored analysis kept up to date: read back when current, updated incrementally, or made from scratch.

``refresh_store`` is the one path the app, the CLI and the briefing pack take to the analysis of a
store. The analysis is kept with the store under a key made of the store's revision and the
context (scenario files, agreement, software version, attribution threshold): a key already kept
is read back; otherwise the newest analysis of the same context is brought up to date with
:func:`geo.incremental.update`, and only the months it changed are written again. The latest
analysis of each store also stays in this process's memory, so a running app server updates it
without reading it back.

Tables are stored as Arrow: list columns (zones, sources, the uids of an event's reports and of
those whose side evidence counted) as Arrow list columns, kept as such in memory
(``pandas.ArrowDtype``: an element becomes a Python list when read); a report's score and side are
its event's, stored once with the event and joined when read. The reasons are stored once, in their
long tables (the rules' reasons per report, the pattern evidence), and worded per event only where
one is shown (:func:`geo.pipeline.explained`).
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa

from geo.attribution.sides import ATTRIBUTION_THRESHOLD
from geo.context import Context
from geo.incremental import (
    TooFar,
    Update,
    flagged_stand_ins,
    month_labels,
    stacked,
    stand_in_flags,
    update,
)
from geo.lookup import among, take_rows
from geo.memory import give_back_memory
from geo.patterns.surges import SurgeState, counts_them
from geo.pipeline import (
    CORROBORATION_COLUMNS,
    EVENT_COLUMNS,
    Analysis,
    Timings,
    analyse,
    context_key,
    per_report,
)

LIST_TYPES: dict[str, pa.DataType] = {
    "zones": pa.list_(pa.string()),
    "sources": pa.list_(pa.string()),
    "report_uids": pa.list_(pa.string()),
    "side_uids": pa.list_(pa.string()),
}
TABLES = ("reports", "events", "reasons", "evidence")
# What an update starts from besides the tables (geo.pipeline.Analysis.stand_ins and .surges),
# stored with them so that the first update after a restart does as a running server does: each
# stored report says whether it is its event's stand-in (in the reports' own files, so the flag
# is always of the rows it is stored with), and the stand-ins' daily surge tests are one more
# table (SurgeState.to_frame). An analysis stored without them reads back without them.
STAND_IN = "stand_in"
SURGES = "surges"
log = logging.getLogger("ceasefire_monitor")
# Columns a report takes from its event: stored with the event only.
FROM_EVENT = (*EVENT_COLUMNS[1:], *CORROBORATION_COLUMNS)
# A store's active batches, each with its count of outside edits (``Store.listing``).
Batches = tuple[tuple[str, int], ...]

# Per store: the latest analysis this process made or read, its key and the store's batches it is of.
_latest: dict[str, tuple[str, Analysis, Batches | None]] = {}
# The latest contexts, their scenario, sectors and agreement loaded once (shared_context).
_contexts: dict[Context, Context] = {}
_contexts_lock = threading.Lock()
_lock = threading.Lock()


@contextmanager
def _long_lived() -> Iterator[None]:
    """Keep Python's cyclic garbage collector off while an analysis is made or read, and out of it after.

    An analysis is millions of Python objects (a shapely point per report and per event, the lists
    of a fresh one) and makes almost no reference cycles (counted: under 50 objects per analysis).
    Every full collection walks all of them: 0.45 s at a million reports, once or twice per
    update and some thirty times from scratch, for nothing. Reference counting still frees what is
    dropped. On success everything alive is frozen (``gc.freeze``): the analysis just kept is
    never walked again while it is held, and is still freed by reference counting when replaced.
    A cycle that is garbage at that moment stays until something unfreezes (a few objects). Runs
    under ``_lock``, so two analyses never toggle the collector at once.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if enabled:
            gc.enable()


def _list_array(values: pd.Series, kind: pa.DataType) -> pa.Array:
    if isinstance(values.dtype, pd.ArrowDtype):
        return pa.array(values).cast(kind)
    # Arrow reads Python lists and numpy arrays alike, and a missing value (None, NaN) as null.
    return pa.array(values.to_numpy(dtype=object), type=kind, from_pandas=True)


def to_arrow(name: str, frame: pd.DataFrame) -> pa.Table:
    """One stored table (or a partition of it) as Arrow: geometry as WKB, list columns as lists; the
    reports without the columns they take from their event (:data:`FROM_EVENT`)."""
    # The plain columns chosen by Arrow, not by a pandas drop: that consolidated the million reports'
    # float columns into one new block, a copy that was the from-scratch analysis's peak.
    # A report's score and side are its event's, stored with the event only.
    stored = [c for c in frame.columns if name != "reports" or c not in FROM_EVENT]
    plain = [c for c in stored if c != "geometry" and c not in LIST_TYPES]
    table = pa.Table.from_pandas(pd.DataFrame(frame, copy=False), columns=plain, preserve_index=False)
    for col in [c for c in stored if c in LIST_TYPES]:
        table = table.append_column(col, _list_array(frame[col], LIST_TYPES[col]))
    if "geometry" in frame:
        table = table.append_column("geometry_wkb", pa.array(gpd.GeoSeries(frame["geometry"]).to_wkb()))
    return table.select([c for c in [*stored, "geometry_wkb"] if c in table.column_names])


def from_arrow(table: pa.Table) -> pd.DataFrame:
    """A stored table back as pandas; list columns stay Arrow (``pandas.ArrowDtype``), geometry is parsed.

    ``table`` is used up: each column's Arrow memory is let go as soon as pandas has its own copy
    (``self_destruct``), so a table is not held twice at once. Never use it afterwards.
    """
    wkb = table.column("geometry_wkb") if "geometry_wkb" in table.column_names else None
    if wkb is not None:
        table = table.drop_columns(["geometry_wkb"])
    # A list column stays Arrow in pandas, as read: in one chunk, not one per stored month (selecting
    # rows of a column in hundreds of chunks took several times as long, and every update does).
    # pandas joins the other columns' chunks as it copies them.
    for i, field in enumerate(table.schema):
        if pa.types.is_list(field.type) and table.column(i).num_chunks > 1:
            table = table.set_column(i, field, table.column(i).combine_chunks())
    # Not split_blocks: a frame of one block per column peaked 150 to 400 MB higher at a million
    # reports (its later joins copy column by column), and was no faster.
    frame = table.to_pandas(
        types_mapper=lambda t: pd.ArrowDtype(t) if pa.types.is_list(t) else None, self_destruct=True
    )
    del table
    if wkb is None:
        return frame
    geometry = gpd.GeoSeries.from_wkb(wkb.to_numpy(zero_copy_only=False), crs=4326)
    # Not copied: the frame is this function's own (geopandas copies a pandas frame unless told).
    return gpd.GeoDataFrame(frame, geometry=geometry.to_numpy(), crs=4326, copy=False)


def _partitions(
    result: Analysis, changed: dict[str, set[str]] | None = None
) -> tuple[dict[str, pd.DataFrame], dict[str, np.ndarray]]:
    """The tables to store and each row's month (its partition).

    With ``changed`` (per table, the months an update changed), a reason outside those months is
    labelled None: its partition is kept as stored, so its month need not be looked up.
    """
    # The reports as they are: to_arrow leaves out what they take from their event (a drop here
    # copied every column of the million reports, geopandas' constructor consolidating them).
    reports = result.reports
    report_month = month_labels(reports["occurred_at"])
    months = {
        "reports": report_month,
        "events": month_labels(result.events["occurred_at"]),
        "reasons": _months_of_reasons(result.reasons["uid"], reports["uid"], report_month, changed),
        "evidence": np.full(len(result.evidence), "all", dtype=object),
    }
    surges = None
    if result.stand_ins is not None and result.surges is not None:  # stored together, or not at all
        flags = _flags(reports, result.stand_ins, None if changed is None else changed.get("reports", set()))
        if flags is None:
            log.warning("the stand-ins held with the analysis are not of its reports; they are not stored")
        else:
            # One more column, not a copy: the frame shares the reports' columns.
            reports = reports.assign(**{STAND_IN: flags})
            surges = result.surges.to_frame()
            months[SURGES] = np.full(len(surges), "all", dtype=object)
    tables = {
        "reports": reports,
        "events": result.events,
        "reasons": result.reasons,
        "evidence": result.evidence,
    }
    if surges is not None:
        tables[SURGES] = surges
    return tables, months


def _flags(
    reports: pd.DataFrame, stand: pd.DataFrame, months: set[str] | None
) -> np.ndarray | pd.arrays.BooleanArray | None:
    """Each report's :data:`STAND_IN` flag (:func:`geo.incremental.stand_in_flags`), or None when
    ``stand`` are not stand-ins of ``reports``.

    With ``months`` (those an update changed: the only ones written), the flags of the reports of
    those months only, the others missing: a million uids looked up among 700,000 stand-ins took
    0.3 s at every update. A missing flag is never taken for one: were such a row written, the
    analysis would read back without its stand-ins (:func:`_without_flags`).
    """
    if months is None:
        return stand_in_flags(reports, stand)
    rows = np.flatnonzero(_in_months(reports["occurred_at"], months))
    # A stand-in's month is its report's: those of other months are not looked up.
    chosen = _in_months(stand["occurred_at"], months)
    found = stand_in_flags(take_rows(reports[["uid"]], rows), take_rows(stand[["uid"]], chosen))
    if found is None:
        return None
    values, missing = np.zeros(len(reports), dtype=bool), np.ones(len(reports), dtype=bool)
    values[rows], missing[rows] = found, False
    return pd.arrays.BooleanArray(values, missing)


def _in_months(times: pd.Series, months: set[str]) -> np.ndarray:
    """Which ``times`` fall in ``months`` (labels of :func:`geo.incremental.month_labels`, as
    ``month_labels(times).isin(months)``), by comparing the times: no text per row."""
    stamps = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    ns = stamps.as_unit("ns").asi8
    out = np.zeros(len(stamps), dtype=bool)
    for month in months:
        if month == "undated":
            out |= np.asarray(stamps.isna())
            continue
        start = pd.Timestamp(f"{month}-01", tz="UTC")
        out |= (ns >= start.value) & (ns < (start + pd.offsets.MonthBegin(1)).value)
    return out


def _in_month_order(
    result: Analysis, tables: dict[str, pd.DataFrame], months: dict[str, np.ndarray]
) -> tuple[Analysis, dict[str, pd.DataFrame], dict[str, np.ndarray]]:
    """``result`` with its events and reasons in month order (stable), as they come back from the
    store, and the tables to store and their months (:func:`_partitions`) in that order too: an
    update then finds what it replaces in the last months' rows, and copies only those
    (geo.incremental.without_rows), not rows of every month."""
    tables, months, ordered = dict(tables), dict(months), {}
    for name in ("events", "reasons"):
        codes = pd.factorize(months[name], sort=True)[0]
        order = np.argsort(codes, kind="stable")
        if not np.array_equal(order, np.arange(len(order))):
            tables[name] = ordered[name] = tables[name].iloc[order]
            months[name] = months[name][order]
    return dataclasses.replace(result, **ordered), tables, months


def _months_of_reasons(
    uid: pd.Series, report_uid: pd.Series, report_month: np.ndarray, changed: dict[str, set[str]] | None
) -> np.ndarray:
    """Each reason's month, its report's (``undated`` when none); None for those outside ``changed``."""
    if changed is not None:
        chosen = np.flatnonzero(pd.Series(report_month).isin(list(changed.get("reasons", ()))).to_numpy())
        found = pd.Series(report_month[chosen], index=report_uid.iloc[chosen].astype(str).to_numpy())
        rows = np.flatnonzero(among(uid, set(found.index)))
        out = np.full(len(uid), None, dtype=object)
        out[rows] = uid.iloc[rows].astype(str).map(found).to_numpy()
        return out
    month_of_report = pd.Series(report_month, index=report_uid.astype(str).to_numpy())
    return uid.astype(str).map(month_of_report).fillna("undated").to_numpy()


def _from_tables(tables: dict[str, pa.Table | None], terms: Context) -> Analysis | None:
    """The stored tables as an analysis made under ``terms``; None when one is missing.

    With its stand-ins and surge tests when they were stored with it and fit it (:func:`_kept_state`);
    otherwise without them, and its first update finds them again.
    """
    if any(tables.get(name) is None for name in TABLES):
        return None
    # One table after the other, the memory each conversion freed given back before the next: two
    # at once (in threads) was 0.7 s quicker at a million reports but peaked 600 MB higher.
    tables = dict(tables)  # each table is used up by its conversion: none is left in the caller's hands
    tables["reports"], flags = _without_flags(tables["reports"])
    surges = tables.pop(SURGES, None)
    converted = {}
    for name in ("events", "reports", "reasons", "evidence"):
        converted[name] = from_arrow(tables.pop(name))
        give_back_memory()
    reports = per_report(converted.pop("reports"), converted["events"])
    give_back_memory()
    stand, state = _kept_state(reports, flags, surges)
    return Analysis(
        reports,
        converted["events"],
        converted["reasons"],
        converted["evidence"],
        stand_ins=stand,
        surges=state,
        terms=terms,
    )


def _without_flags(table: pa.Table) -> tuple[pa.Table, np.ndarray | None]:
    """The stored reports without their :data:`STAND_IN` column, and that column: None when it is
    not there or not in every row (a month stored by an earlier version, reused by a later one)."""
    if STAND_IN not in table.column_names:
        return table, None
    column = table.column(STAND_IN)
    table = table.drop_columns([STAND_IN])
    if not pa.types.is_boolean(column.type) or column.null_count:
        return table, None
    return table, column.to_numpy()


def _kept_state(
    reports: gpd.GeoDataFrame, flags: np.ndarray | None, surges: pa.Table | None
) -> tuple[gpd.GeoDataFrame | None, SurgeState | None]:
    """The stand-ins and their surge tests stored with ``reports``, or None for each one that is
    not there or does not fit them: never used then, the first update finds them again (as before
    they were stored: about 2 s more at a million reports).

    Both are checked against the reports read back, not trusted: the stand-ins marked must be one
    per event, each its event's earliest report (:func:`geo.incremental.flagged_stand_ins`); the
    tests must count exactly those stand-ins per sector and day
    (:func:`geo.patterns.surges.counts_them`). About 0.4 s at a million reports.
    """
    if flags is None or surges is None:
        if len(reports):
            log.info("the stored analysis keeps no stand-ins; its first update finds them again")
        return None, None
    stand = flagged_stand_ins(reports, flags)
    if stand is None:
        log.warning("the stored stand-ins are not those of the analysis's reports; they are found again")
        return None, None
    state = SurgeState.from_frame(from_arrow(surges))
    if state is None or not counts_them(state, stand):
        log.warning("the stored surge tests do not count the analysis's stand-ins; they are made again")
        return stand, None
    return stand, state


def identity(store) -> str:
    """A store's path and id: a new store made at the same path is another store."""
    return f"{Path(store.path).resolve()}#{store.store_id}"


def context_of(key: str) -> str:
    """The context an analysis key names (scenario and agreement files, software, threshold)."""
    return key.split("-", 1)[1]


def key_for(
    store, *, scenario_dir: Path, agreement_path: Path, threshold: float = ATTRIBUTION_THRESHOLD
) -> str:
    """The key of the analysis of ``store`` at its revision now, in this context (what :func:`refresh_store` keeps)."""
    return f"r{store.revision()}-{context_key(scenario_dir, agreement_path)}-t{threshold}"


def revision_of(key: str) -> int:
    """The store revision an analysis key names."""
    return int(key.split("-", 1)[0][1:])


def latest(store) -> tuple[str, Analysis] | None:
    """The latest analysis of ``store`` this process holds, with its key, or None.

    Never waits for an analysis under way (one dictionary read, atomic in CPython).
    """
    held = _latest.get(identity(store))
    return None if held is None else (held[0], held[1])


class Progress(Timings):
    """Timings that also tell ``listener`` each stage as it starts (a progress bar, a terminal line)."""

    def __init__(self, listener) -> None:
        super().__init__()
        self.listener = listener

    def stage(self, name: str):
        self.listener(name)
        return super().stage(name)


def refresh_store(
    store,
    *,
    scenario_dir: Path,
    agreement_path: Path,
    threshold: float = ATTRIBUTION_THRESHOLD,
    timings: Timings | None = None,
) -> tuple[Analysis, Update]:
    """Return the analysis of every stored report at the store's revision, and what it took.

    ``Update.mode`` says how: ``kept`` (in this process's memory), ``read back`` (from the store),
    ``incremental`` (from the previous analysis of the same context) or ``from scratch``.
    """
    timings = Timings() if timings is None else timings
    files = context_key(scenario_dir, agreement_path)
    context = f"{files}-t{threshold}"
    store_key = identity(store)
    with _lock:
        revision = store.revision()
        key = f"r{revision}-{context}"
        # Its scenario and agreement, read when first needed (by an analysis, or to word its reasons).
        inputs = shared_context(Context(scenario_dir, agreement_path, threshold=threshold, key=files))
        found = _held_or_stored(store, store_key, key, inputs, timings)
        if found is not None:
            return found[0], Update(found[1])
        with _long_lived():
            since, previous, made_of = _previous(store, store_key, context, inputs, timings)
            with timings.stage("read"):
                revision, batches, incidents, appended = _read(store, previous, made_of)
                key = f"r{revision}-{context}"
            result, done = _analysed(previous, incidents, inputs, timings, appended=appended)
            result = dataclasses.replace(result, terms=inputs)
            done = dataclasses.replace(done, reports_read=len(incidents) if appended is None else appended)
            del incidents  # what the analysis does not share of them is freed before the writing
            with timings.stage("write"):
                # Rebound here: the analysis before its month order is freed before the writing.
                result, tables, months, changed = _stored(result, done, previous)
                _write(store, key, result, tables, months, changed, since=since, batches=batches)
            _latest[store_key] = (key, result, batches)
            return result, done


def read_back(
    store,
    *,
    scenario_dir: Path,
    agreement_path: Path,
    threshold: float = ATTRIBUTION_THRESHOLD,
    timings: Timings | None = None,
) -> tuple[str, Analysis] | None:
    """The analysis of the store at its revision now, with its key, as this process holds it or as
    the store keeps it; None when neither has it. Nothing is analysed: what a starting server reads
    before it takes its first page (:mod:`geo.warm`), where :func:`refresh_store` would analyse."""
    files = context_key(scenario_dir, agreement_path)
    with _lock:
        key = f"r{store.revision()}-{files}-t{threshold}"
        inputs = shared_context(Context(scenario_dir, agreement_path, threshold=threshold, key=files))
        found = _held_or_stored(
            store, identity(store), key, inputs, Timings() if timings is None else timings
        )
    return None if found is None else (key, found[0])


def _held_or_stored(
    store, store_key: str, key: str, inputs: Context, timings: Timings
) -> tuple[Analysis, str] | None:
    """Under ``_lock``: the analysis under ``key`` this process holds (``kept``) or the store keeps
    (``read back``, then held), with how it was found; None when neither has it."""
    memo = _latest.get(store_key)
    if memo is not None and memo[0] == key:
        return memo[1], "kept"
    with _long_lived():
        with timings.stage("read back"):
            kept = store.load_analysis(key)
            result = _from_tables(kept, inputs) if kept is not None else None
            del kept  # used up by the conversion
        if result is None:
            return None
        _latest[store_key] = (key, result, store.analysis_batches(key))
    return result, "read back"


def _stored(
    result: Analysis, done: Update, previous: Analysis | None
) -> tuple[Analysis, dict[str, pd.DataFrame], dict[str, np.ndarray], dict[str, set[str]] | None]:
    """What :func:`_write` keeps of ``result`` (made by ``done`` from ``previous``): the analysis as
    kept (a new one in month order), its tables, their rows' months and the months to write (None:
    every month)."""
    changed = done.changed if done.mode in ("incremental", "unchanged") else None
    if changed is not None and previous.stand_ins is None and result.stand_ins is not None:
        # The months kept as they were stored do not say which report is a stand-in (stored by
        # an earlier version, or without stand-ins that fit): all written once, so that the next
        # restart has them.
        every = month_labels(result.reports["occurred_at"])
        changed = {**changed, "reports": set(pd.unique(every).tolist())}
    tables, months = _partitions(result, changed)
    if done.mode == "from scratch":
        result, tables, months = _in_month_order(result, tables, months)
    return result, tables, months, changed


def _write(
    store,
    key: str,
    result: Analysis,
    tables: dict[str, pd.DataFrame],
    months: dict[str, np.ndarray],
    changed: dict[str, set[str]] | None,
    *,
    since: str | None,
    batches: Batches | None,
) -> None:
    """Keep ``tables`` (:func:`_stored`) under ``key``: the ``changed`` months written, the others
    ``since``'s files; every month when ``since`` is no longer kept."""
    try:
        store.save_analysis(key, tables, months, to_arrow, since=since, changed=changed, batches=batches)
    except ValueError:  # the analysis it updated is no longer kept: every month written
        tables, months = _partitions(result)
        store.save_analysis(key, tables, months, to_arrow, batches=batches)


def _read(
    store, previous: Analysis | None, made_of: Batches | None
) -> tuple[int, Batches, gpd.GeoDataFrame, int | None]:
    """The store's revision, its batches and every report it holds, as of one revision.

    When the store only gained batches since ``previous`` was made (``made_of`` are the batches it
    was made of, none edited or retracted since), only the new batches are read: the other reports
    are ``previous``'s, the first rows, in its order. ``appended`` is then the number of reports
    read (the last rows), else None (every report was read from the store).
    """
    while True:
        revision, batches = store.listing()
        incidents, appended = None, None
        if previous is not None and made_of is not None and batches[: len(made_of)] == made_of:
            fresh = store.incidents(batches=[b for b, _ in batches[len(made_of) :]])
            incidents = _with_kept(previous.reports, fresh)
            appended = None if incidents is None else len(fresh)
        if incidents is None:
            incidents = store.incidents()
        if store.revision() == revision:  # else a write landed while reading: read that revision
            return revision, batches, incidents, appended


def _with_kept(reports: gpd.GeoDataFrame, fresh: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The stored columns of ``reports`` (an analysis's), then the ``fresh`` rows: as the store
    would return them all. None when ``reports`` lacks a stored column or holds it in another type."""
    columns = list(fresh.columns)
    if not set(columns) <= set(reports.columns) or reports.geometry.name != fresh.geometry.name:
        return None
    kept = pd.DataFrame(reports[columns])
    if any(kept[c].dtype != fresh[c].dtype for c in columns if c != fresh.geometry.name):
        return None
    frame = stacked([kept, pd.DataFrame(fresh)], ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry=fresh.geometry.name, crs=fresh.crs)


def _previous(
    store, store_key: str, context: str, inputs: Context, timings: Timings
) -> tuple[str | None, Analysis | None, Batches | None]:
    """The newest analysis of the same context, the one in memory or else the newest the store
    keeps, with its key and the store's batches it was made of."""
    memo = _latest.get(store_key)
    if memo is not None and context_of(memo[0]) == context:
        return memo
    with timings.stage("read back"):
        for key in store.analysis_keys():
            if context_of(key) == context:
                tables = store.load_analysis(key)
                found = _from_tables(tables, inputs) if tables is not None else None
                if found is not None:
                    return key, found, store.analysis_batches(key)
    return None, None, None


def shared_context(wanted: Context) -> Context:
    """``wanted``, or the equal context read before in this process, its scenario, sectors and
    agreement already loaded (they are read on first use and kept; read only): the analyses and
    the pages (ui.data.context) share one, so a scenario is loaded once per process.

    Contexts are equal when their files' content is (:func:`geo.pipeline.context_key`): an edited
    scenario or agreement is a new context, read afresh.
    """
    with _contexts_lock:
        found = _contexts.get(wanted)
        if found is None:
            if len(_contexts) >= 4:
                _contexts.pop(next(iter(_contexts)))
            found = _contexts[wanted] = wanted
        return found


def _analysed(
    previous: Analysis | None,
    incidents: gpd.GeoDataFrame,
    inputs: Context,
    timings: Timings,
    *,
    appended: int | None = None,
) -> tuple[Analysis, Update]:
    if previous is not None:
        try:
            return update(
                previous,
                incidents,
                appended=appended,
                scenario=inputs.scenario,
                agreement=inputs.agreement,
                sectors=inputs.sectors,
                threshold=inputs.threshold,
                timings=timings,
            )
        except (ValueError, TooFar):
            timings.clear()  # the update's stages do not count: it starts again from scratch
    result = analyse(
        incidents,
        scenario_dir=inputs.scenario_dir,
        agreement_path=inputs.agreement_path,
        threshold=inputs.threshold,
        timings=timings,
        context=inputs,
    )
    return result, Update("from scratch", added=len(incidents))


def forget(store) -> None:
    """Drop this process's memory of the store's latest analysis (tests; a store replaced on disk)."""
    with _lock:
        _latest.pop(identity(store), None)
