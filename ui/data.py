"""Cached access to the store, the scenario and the analysis, keyed on what changes them."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from geo import pipeline, refresh
from geo.context import Context, fingerprint, resolve
from geo.context import scenario_edits as edits_of
from geo.filters import Filters, apply_filters
from geo.ingest import IngestResult, read_batch
from geo.ingest.mapping import ColumnMapping, read_mapped, read_table
from geo.maps.aggregate import HexIndex, index_of
from geo.patterns import PatternParams, Patterns, find_patterns
from geo.pipeline import Analysis
from geo.scenario import Scenario
from geo.scenario.edits import ScenarioEdits
from geo.settings import Settings, load_settings
from geo.store import Store, configured, is_url, open_store, work_dir
from ui import keys, updating


@st.cache_resource
def _settings(environ: tuple[tuple[str, str], ...]) -> Settings:
    return load_settings(environ=dict(environ))


def settings() -> Settings:
    """The settings in force, read once per set of ``CM_*`` environment variables."""
    # The key is every CM_ variable, so a test or operator changing any of them gets fresh settings.
    return _settings(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("CM_"))))


@st.cache_resource
def _store(location: str, work: str) -> Store:
    return open_store(location if is_url(location) else Path(location), work=work)


def store_location() -> str:
    """The store in force as text: a GeoPackage path or a PostGIS URL (settings store_url, store_path)."""
    return str(configured(settings()))


def store() -> Store:
    """The store handle: a connection-like resource shared by every session."""
    return _store(store_location(), str(work_dir(settings())))


# The number of reports each store shows, at the revision counted: (store location, id) -> (revision,
# count). Counting a million reports takes the PostGIS store 0.15 s, and the page chrome and most
# pages ask on every run; the count changes only with the revision.
_COUNTS: dict[tuple[str, str], tuple[int, int]] = {}


def report_count(now: int | None = None) -> int:
    """The number of reports the store shows (``Store.count``), counted once per revision by this
    server; ``now`` the store's revision when the caller has just read it."""
    s = store()
    key = (store_location(), s.store_id)
    revision = s.revision() if now is None else now
    kept = _COUNTS.get(key)
    if kept is not None and kept[0] == revision:
        return kept[1]
    n = s.count()
    if s.revision() == revision:  # else a write landed meanwhile: counted again next time
        _COUNTS[key] = (revision, n)
    return n


def scenario_edits() -> ScenarioEdits:
    """The line versions and zones users made, kept with the store over the committed scenario."""
    return edits_of(settings())


@st.cache_resource(show_spinner=False, max_entries=8)
def _context(s: Settings, state: tuple) -> Context:
    # The fingerprint is in the arguments only to key the cache: the same files, the same context,
    # and the one the analyses use (its scenario loaded once, maybe before the server listened).
    return refresh.shared_context(resolve(s))


def context() -> Context:
    """The analysis context in force: the scenario with the users' edits, the agreement and their key.

    Resolved once per state of the files it reads (:func:`geo.context.fingerprint`: an edit, or a
    changed scenario or agreement file, gives a new one) and shared by every session, with the
    scenario it loads: read-only, never mutate its frames.
    """
    s = settings()
    resolved = _context(s, fingerprint(s))
    if not resolved.scenario_dir.is_dir():  # the derived copy was removed meanwhile: write it again
        _context.clear()
        resolved = _context(s, fingerprint(s))
    return resolved


def scenario_dir() -> Path:
    """The folder of the scenario in force: the committed one, or a derived copy with the users' edits."""
    return context().scenario_dir


def scenario() -> Scenario:
    """The contact line versions, control areas, zones and posts in force (reloaded when their files change)."""
    return context().scenario


# The analysis is shared by every session and must never be mutated; a test checks the pages do not.
# It is held by geo.refresh (the latest per store) and ui.updating (the ones pages were given), not
# by st.cache_data, which would keep a pickle and unpickle a fresh copy on every rerun.
def _analysis(revision: int, key: str, scenario_dir: str, agreement_path: str) -> Analysis:
    """The analysis of the store at ``revision`` in the context ``key``: held, or made now with a progress bar."""
    ctx = Context(Path(scenario_dir), Path(agreement_path), key=key)
    wanted = f"r{revision}-{key}-t{ctx.threshold}"
    found = updating.shown(store(), wanted)
    held = refresh.latest(store())
    if found is None and held is not None and held[0] == wanted:
        found = held[1]
    if found is None:
        wanted, found = updating.analyse_now(store(), ctx)
    # Out of the garbage collector's sight already: geo.refresh freezes an analysis once made or read.
    updating.remember(store(), wanted, found)
    return found


# How long a run waits for a background update before showing the last analysis with a note: a
# small batch lands within it and the page simply shows it.
WAIT_S = 1.0


def pin_analysis() -> int:
    """Choose the analysis this run shows (app.py calls it first thing) and return its store revision.

    The analysis of the store as it is now when this process holds it (or has none yet: the page
    then makes it, with a progress bar). When the store changed since the analysis held, the update
    starts in the background; a small one lands within :data:`WAIT_S`, otherwise the run shows the
    analysis held with a note (:func:`updating_note`) and app.py reruns when the update has landed.
    Every later read in the run (the analysis, the hexagon index, the patterns) is of the analysis
    chosen, so an ingest by another session during the run never mixes two revisions in one page.
    """
    s, ctx = store(), context()
    now = updating.current_key(s, ctx)
    held = refresh.latest(s)
    note = None
    key = now
    if held is not None and held[0] != now:
        job = updating.start(s, ctx)
        deadline = time.monotonic() + WAIT_S
        while not job.done and time.monotonic() < deadline:
            time.sleep(0.05)
        held = refresh.latest(s)
        if held is not None and held[0] != now:
            key, note = held[0], _note(s, held, now, job)
    if held is not None and held[0] == key:
        updating.remember(s, key, held[1])
    st.session_state[keys.RUN_ANALYSIS] = key
    st.session_state[keys.UPDATING_NOTE] = note
    return refresh.revision_of(key)


def _note(s: Store, held: tuple[str, Analysis], now: str, job: updating.Job) -> str:
    shown_rev, now_rev = refresh.revision_of(held[0]), refresh.revision_of(now)
    if job.error is not None:
        return (
            f"The analysis could not be brought up to date ({job.error}); the pages show it as of store "
            f"revision {shown_rev}. Try again, or run `python -m geo analyse` to see why."
        )
    what = (
        "the scenario or agreement changed"
        if refresh.context_of(held[0]) != refresh.context_of(now)
        else f"{s.count():,} reports stored now, {len(held[1].reports):,} in the analysis shown"
    )
    return (
        f"Updating the analysis ({what}; store revision {shown_rev} to {now_rev}, now at: {job.stage}). "
        f"The pages show the analysis of revision {shown_rev} until the update lands."
    )


def updating_note() -> str | None:
    """What this run says about an update under way, or None when it shows the current analysis."""
    return st.session_state.get(keys.UPDATING_NOTE)


def update_landed() -> bool:
    """True when the update this run's note is about has landed (app.py reruns then).

    A failed update has not: its note stays until the user acts (a rerun tries again), rather than
    the app rerunning and failing every two seconds.
    """
    job = updating.job(store())
    return job is None or (job.done and job.error is None)


def revision() -> int:
    """The store revision of the analysis this run shows (:func:`pin_analysis`), or the store's now."""
    pinned = st.session_state.get(keys.RUN_ANALYSIS)
    return store().revision() if pinned is None else refresh.revision_of(pinned)


def analysis(ctx: Context | None = None) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Every stored report with its enrichment and flag, and the events: the analysis this run shows.

    ``ctx`` is the context to analyse in (default :func:`context`): pass the one a page records, as
    a briefing pack's manifest does, so that the record is the analysis's.
    """
    found = analysed(ctx)
    return found.reports, found.events


def analysed(ctx: Context | None = None) -> Analysis:
    """The whole analysis this run shows (:func:`analysis`), for what words an event's reasons
    (geo.pipeline.explained, with_reasons): they are kept only in its long tables."""
    c = ctx if ctx is not None else context()
    pinned = st.session_state.get(keys.RUN_ANALYSIS)
    # The run's analysis, also when the scenario or agreement just changed and the new one is still
    # being made (the note says so); a context asked for by name (a briefing pack) must be that one.
    if pinned is not None and (ctx is None or refresh.context_of(pinned) == f"{c.key}-t{c.threshold}"):
        found = updating.shown(store(), pinned)
        if found is not None:
            return found
    return _analysis(revision(), c.key, str(c.scenario_dir), str(c.agreement_path))


def analysis_key() -> str:
    """The key of the analysis this run shows (store revision and context): what caches above it use."""
    pinned = st.session_state.get(keys.RUN_ANALYSIS)
    return updating.cache_key(
        store(), pinned if pinned is not None else updating.current_key(store(), context())
    )


# The drawn reports with their events' reasons (geo.pipeline.with_reasons), for the last few pairs of
# (analysis, reports drawn): shared by the sessions, never changed. A pan, a zoom or a click reruns
# the map, and wording the same 4,000 reports' events again took 0.3 s at a million reports.
_WORDED: OrderedDict[tuple[str, str], pd.DataFrame] = OrderedDict()
_WORDED_MAX = 8
_worded_lock = threading.Lock()


def with_reasons(reports: pd.DataFrame) -> pd.DataFrame:
    """``reports`` (a few of this run's analysis: those drawn) with their event's reasons, worded once
    per analysis and set of reports (:func:`geo.pipeline.with_reasons`). Read only."""
    digest = hashlib.sha1("\x1f".join(map(str, reports["uid"].tolist())).encode())
    digest.update("\x1f".join(map(str, reports.columns)).encode())
    key = (analysis_key(), digest.hexdigest())
    with _worded_lock:
        found = _WORDED.get(key)
        if found is not None:
            _WORDED.move_to_end(key)
            return found
    found = pipeline.with_reasons(reports, analysed())
    with _worded_lock:
        _WORDED[key] = found
        while len(_WORDED) > _WORDED_MAX:
            _WORDED.popitem(last=False)
    return found


def validated(upload: UploadedFile) -> IngestResult:
    """Return ``read_batch`` of an uploaded file, read once per upload and kept in this session.

    Reruns (typing a name, choosing a batch to retract) reuse the result instead of validating a
    large file again; a new upload, even of the same file, is read afresh.
    """
    memo = st.session_state.get(keys.UPLOAD_RESULT)
    if memo is None or memo[0] != upload.file_id:
        memo = (upload.file_id, read_batch(upload.getvalue(), filename=upload.name, settings=settings()))
        st.session_state[keys.UPLOAD_RESULT] = memo
    return memo[1]


def _table_read(upload: UploadedFile, encoding: str | None) -> tuple[pd.DataFrame, str]:
    """An uploaded table and its kind (read_table), read once per upload and encoding in this session."""
    memo = st.session_state.get(keys.UPLOAD_CSV_TABLE)
    key = (upload.file_id, encoding)
    if memo is None or memo[0] != key:
        memo = (
            key,
            read_table(upload.getvalue(), filename=upload.name, encoding=encoding, settings=settings()),
        )
        st.session_state[keys.UPLOAD_CSV_TABLE] = memo
    return memo[1]


def csv_table(upload: UploadedFile, encoding: str | None = None) -> pd.DataFrame:
    """Return an uploaded table (a CSV, or the attributes of a GIS file) as text columns."""
    return _table_read(upload, encoding)[0]


def validated_csv(upload: UploadedFile, mapping: ColumnMapping) -> IngestResult:
    """Return an upload read through ``mapping``, once per upload and mapping in this session."""
    memo = st.session_state.get(keys.UPLOAD_CSV_RESULT)
    key = (upload.file_id, mapping.to_json())
    if memo is None or memo[0] != key:
        result = read_mapped(
            upload.getvalue(),
            filename=upload.name,
            mapping=mapping,
            settings=settings(),
            table=_table_read(upload, mapping.encoding),
        )
        memo = (key, result)
        st.session_state[keys.UPLOAD_CSV_RESULT] = memo
    return memo[1]


def hex_index(resolution: int) -> HexIndex:
    """Every analysed report's H3 cell at ``resolution``: built once per analysis and resolution
    (:func:`geo.maps.aggregate.index_of`, held with the analysis's frame)."""
    return index_of(analysis()[0], resolution)


@st.cache_resource(show_spinner="Computing patterns ...", max_entries=4)
def _patterns(key: str, params: tuple, resolution: int, _reports: gpd.GeoDataFrame) -> Patterns:
    c = context()
    shown = apply_filters(_reports, Filters.from_params(dict(params)))
    return find_patterns(
        shown, sectors=c.sectors, zones=c.scenario.zones, params=PatternParams(resolution=resolution)
    )


def patterns(filters: Filters, resolution: int) -> Patterns:
    """Surges, hotspots, clusters and profiles of the filtered reports; once per analysis and filters."""
    return _patterns(analysis_key(), tuple(filters.to_params().items()), resolution, analysis()[0])
