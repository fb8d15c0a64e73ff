"""Cached access to the store, the scenario and the analysis, keyed on what changes them."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from geo.context import Context, fingerprint, resolve
from geo.filters import Filters, apply_filters
from geo.ingest import IngestResult, read_batch
from geo.ingest.mapping import ColumnMapping, read_mapped, read_table
from geo.maps.aggregate import MAX_RESOLUTION, HexIndex
from geo.patterns import PatternParams, Patterns, find_patterns
from geo.pipeline import Analysis, analyse_store
from geo.scenario import Scenario
from geo.scenario.edits import ScenarioEdits, edits_root
from geo.settings import Settings, load_settings
from geo.store import Store, open_store
from ui import keys


@st.cache_resource
def _settings(environ: tuple[tuple[str, str], ...]) -> Settings:
    return load_settings(environ=dict(environ))


def settings() -> Settings:
    """The settings in force, read once per set of ``CM_*`` environment variables."""
    # The key is every CM_ variable, so a test or operator changing any of them gets fresh settings.
    return _settings(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("CM_"))))


@st.cache_resource
def _store(path: str) -> Store:
    return open_store(Path(path))


def store() -> Store:
    """The store handle: a connection-like resource shared by every session."""
    return _store(str(settings().store_path))


def scenario_edits() -> ScenarioEdits:
    """The line versions and zones users made, kept beside the store over the committed scenario."""
    s = settings()
    return ScenarioEdits(edits_root(s.store_path), s.scenario_dir, settings=s)


@st.cache_resource(show_spinner=False, max_entries=8)
def _context(s: Settings, state: tuple) -> Context:
    # The fingerprint is in the arguments only to key the cache: the same files, the same context.
    return resolve(s)


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


# cache_resource, not cache_data: cache_data keeps a pickle and unpickles a fresh copy on every
# rerun (about 2.7 s and 1.2 GB per million analysed reports, extrapolated from the demo). The
# frames are shared by every session and must never be mutated; a test checks the pages do not.
@st.cache_resource(show_spinner="Analysing reports ...", max_entries=2)
def _analysis(
    store_path: str, revision: int, key: str, scenario_dir: str, agreement_path: str
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    # The revision and context key are in the arguments only to key the cache; the store answers
    # for the revision it holds now, which is the one asked for.
    result: Analysis = analyse_store(
        _store(store_path), scenario_dir=Path(scenario_dir), agreement_path=Path(agreement_path)
    )
    _out_of_the_collectors_sight()
    return result.reports, result.events


def _out_of_the_collectors_sight() -> None:
    """Exempt everything alive now (the analysis just loaded) from Python's cyclic garbage collector.

    The analysis holds millions of Python objects (each report's reasons and sources) for as long
    as it is cached, and Streamlit runs a full collection after every script run: at a million
    reports that walk took 1 to 2 s per rerun, holding the interpreter, so every click waited for
    it (py-spy, bench/app.py). Frozen objects are still freed by reference counting when the cache
    drops them; a reference cycle among them outlives the cache only until the next analysis
    loads, which unfreezes everything first so that its collection can reclaim such cycles.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def pin_revision() -> int:
    """Read the store's revision for this run (app.py calls it first thing): every later read in the run,
    the analysis, the hexagon index and the patterns, is of that revision, so an ingest by another
    session during the run shows on the next run instead of mixing two revisions in one page."""
    revision = store().revision()
    st.session_state[keys.RUN_REVISION] = revision
    return revision


def revision() -> int:
    """The revision this run reads (:func:`pin_revision`), or the store's current one outside a run."""
    pinned = st.session_state.get(keys.RUN_REVISION)
    return store().revision() if pinned is None else int(pinned)


def analysis(ctx: Context | None = None) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Every stored report with its enrichment and flag, and the events; recomputed when data or terms change.

    ``ctx`` is the context to analyse in (default :func:`context`): pass the one a page records, as
    a briefing pack's manifest does, so that the record is the analysis's.
    """
    c = ctx if ctx is not None else context()
    return _analysis(
        str(settings().store_path), revision(), c.key, str(c.scenario_dir), str(c.agreement_path)
    )


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


@st.cache_resource(show_spinner=False, max_entries=8)
def _hex_index(store_path: str, revision: int, key: str, resolution: int) -> HexIndex:
    # The finest index is built from the points once; every coarser one from its cells (cheap).
    if resolution < MAX_RESOLUTION:
        return _hex_index(store_path, revision, key, MAX_RESOLUTION).coarser(resolution)
    c = context()
    return HexIndex.build(
        _analysis(store_path, revision, key, str(c.scenario_dir), str(c.agreement_path))[0], resolution
    )


def hex_index(resolution: int) -> HexIndex:
    """Every analysed report's H3 cell at ``resolution``: built once per store revision and resolution."""
    return _hex_index(str(settings().store_path), revision(), context().key, resolution)


@st.cache_resource(show_spinner="Computing patterns ...", max_entries=4)
def _patterns(store_path: str, revision: int, key: str, params: tuple, resolution: int) -> Patterns:
    c = context()
    reports = _analysis(store_path, revision, key, str(c.scenario_dir), str(c.agreement_path))[0]
    shown = apply_filters(reports, Filters.from_params(dict(params)))
    return find_patterns(
        shown, sectors=c.sectors, zones=c.scenario.zones, params=PatternParams(resolution=resolution)
    )


def patterns(filters: Filters, resolution: int) -> Patterns:
    """Surges, hotspots, clusters and profiles of the filtered reports; once per store revision and filters."""
    return _patterns(
        str(settings().store_path),
        revision(),
        context().key,
        tuple(filters.to_params().items()),
        resolution,
    )
