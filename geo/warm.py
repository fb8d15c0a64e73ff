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

:func:`prepare` does all of it before a server takes its first page (``python -m ui.serve``): the
analysis read back, the warm-up, and what every first map draws from the shipped files. A server
that starts this way listens once it is ready; behind the proxy the other servers take the pages
meanwhile (docs/DEPLOY.md).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np

from geo import refresh
from geo.context import Context, resolve
from geo.errors import GeoError
from geo.hexcells import MAX_RESOLUTION
from geo.ingest.batch import OUTPUT_COLUMNS, SYSTEM_COLUMNS
from geo.maps.aggregate import index_of
from geo.maps.places import settlement_labels
from geo.pipeline import analyse, context_key
from geo.settings import Settings
from geo.store import configured, is_url, open_store, work_dir

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


@dataclasses.dataclass(frozen=True)
class Prepared:
    """What :func:`prepare` made ready, for the server's log."""

    store: str
    how: str  # "read back", "empty", "nothing stored" or "failed"
    seconds: float
    revision: int | None = None
    reports: int | None = None
    problem: str | None = None

    def describe(self) -> str:
        """One line for the server's log."""
        if self.how == "failed":
            return (
                f"Not prepared ({self.problem}); the first page tries again and says what is wrong "
                f"({self.seconds:.1f} s)."
            )
        if self.how == "empty":
            return f"Ready: the store holds no reports yet ({self.seconds:.1f} s)."
        if self.how == "nothing stored":
            return (
                f"No analysis of store revision {self.revision} is kept: the first page analyses "
                f"the stored reports, with a progress bar ({self.seconds:.1f} s)."
            )
        return (
            f"Ready: the analysis of store revision {self.revision} ({self.reports:,} reports) "
            f"{self.how}, warmed up for the first batch, in {self.seconds:.1f} s."
        )


def prepare(settings: Settings, *, say: Callable[[str], None] = log.info) -> Prepared:
    """Make this process ready for its first page: the store's analysis read back (never analysed
    here: a store whose analysis is not kept is analysed by the first page, with its progress bar),
    the first update's caches warmed (:func:`warm_up`), and what every first map draws made: the
    place names placed, the scenario loaded (in the context the pages share,
    :func:`geo.refresh.shared_context`) and the finest hexagon index of the reports.

    Never raises: a store that cannot be reached, or any fault, is said (``say``) and left to the
    first page, which reports it to the user as it would without this.
    """
    t0 = time.perf_counter()
    location = str(configured(settings))
    shown = "a PostGIS store" if is_url(location) else location
    try:
        say(f"Preparing: reading the analysis of {shown} ...")
        # Opened as the app opens it (ui.data.store), so that both name the same store.
        store = open_store(location if is_url(location) else Path(location), work=work_dir(settings))
        context = refresh.shared_context(resolve(settings))  # the one the pages will use
        found = refresh.read_back(
            store,
            scenario_dir=context.scenario_dir,
            agreement_path=context.agreement_path,
            threshold=context.threshold,
        )
        # What every map draws: the place names (about a second), the line, areas and zones.
        settlement_labels()
        context.scenario  # noqa: B018
        if found is None:
            how = "empty" if store.count() == 0 else "nothing stored"
            return Prepared(shown, how, time.perf_counter() - t0, revision=store.revision())
        key, analysis = found
        say(f"Preparing: warming up for the first batch ({len(analysis.reports):,} reports read) ...")
        warm_up(analysis.reports, context)
        index_of(analysis.reports, MAX_RESOLUTION)  # the map's hexagons, at every zoom made from it
        return Prepared(
            shown,
            "read back",
            time.perf_counter() - t0,
            revision=refresh.revision_of(key),
            reports=len(analysis.reports),
        )
    except GeoError as exc:
        return Prepared(shown, "failed", time.perf_counter() - t0, problem=str(exc))
    except Exception as exc:  # a head start only: the first page does it all again and reports it
        log.warning("Preparing the server failed; the first page will try again.", exc_info=True)
        return Prepared(shown, "failed", time.perf_counter() - t0, problem=f"{type(exc).__name__}: {exc}")
