"""A process that read an analysis back made ready for its first update, in the background.

A running server's update reuses what its process made once per scenario: the control areas'
ground classified on a grid (:mod:`geo.attribution.density`), the rules' theatre and zones
(:mod:`geo.rules.evaluate`), transformers between CRSs. A restarted server that only read its
analysis back has none of them, and its first batch made them all: 0.8 s of a 1,000-report update
into 100,000 reports, whose target is 1 s. :func:`start` makes them in a thread while the pages
show the analysis read back, by analysing a few of its reports with the scenario and agreement
it was made under; the result is thrown away.

It never changes what an analysis says: the caches it fills are keyed by the content they were
made from, and the files are read afresh (not through the analysis's :class:`~geo.context.Context`,
whose terms are read and checked on first use). Files changed meanwhile, or any failure, leave
the caches to the first update, as without it.
"""

from __future__ import annotations

import logging
import threading

import geopandas as gpd
import numpy as np

from geo.context import Context
from geo.ingest.batch import OUTPUT_COLUMNS, SYSTEM_COLUMNS
from geo.pipeline import analyse, context_key

log = logging.getLogger("ceasefire_monitor")

# Reports analysed to warm up: enough to reach every cache (a rule, a corroboration, an origin),
# few enough to take a fraction of a second beyond the caches themselves.
SAMPLE = 64


def warm_up(reports: gpd.GeoDataFrame, context: Context) -> bool:
    """Analyse a :data:`SAMPLE` of ``reports`` (an analysis's) under ``context``'s files, for what
    it leaves in this process's caches. Returns whether it ran to the end."""
    try:
        if context_key(context.scenario_dir, context.agreement_path) != context.key:
            return False  # the files changed: the next update reads them and makes its own caches
        stored = [c for c in dict.fromkeys((*OUTPUT_COLUMNS, *SYSTEM_COLUMNS)) if c in reports.columns]
        # The first reports, and the first whose fire the analysis placed: only those reach the
        # origins' ground (most of what a first update makes).
        rows = np.arange(min(len(reports), SAMPLE // 2))
        if "origin_method" in reports:
            method = reports["origin_method"]
            placed = np.flatnonzero((method.notna() & (method != "none")).to_numpy())
            rows = np.union1d(rows, placed[: SAMPLE // 2])
        if not len(rows):
            return False
        taken = reports.iloc[rows]  # the rows first: the columns of every report are not copied
        few = gpd.GeoDataFrame(taken[stored].copy(), geometry=taken.geometry.copy(), crs=reports.crs)
        # The whole path, its files read afresh (not through ``context``).
        analyse(
            few,
            scenario_dir=context.scenario_dir,
            agreement_path=context.agreement_path,
            threshold=context.threshold,
        )
    except Exception:  # only a head start: whatever failed, the update does as ever
        log.debug("Warming up for the next update failed; it will make its own caches.", exc_info=True)
        return False
    return True


def start(reports: gpd.GeoDataFrame, context: Context) -> threading.Thread:
    """:func:`warm_up` in a daemon thread, started; returned so that a caller may wait for it."""
    thread = threading.Thread(target=warm_up, args=(reports, context), name="warm-up", daemon=True)
    thread.start()
    return thread
