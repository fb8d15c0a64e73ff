"""The analysis a page shows: the current one, or the last one while the next is computed in the background.

A batch or a retraction changes the store's revision. The first run after it starts bringing the
analysis up to date in a background thread (:func:`start`, :func:`geo.refresh.refresh_store`) and
shows the last analysis with a note saying what is being updated; a fragment in app.py reruns the
app when the update has landed. The very first analysis of a process has nothing to show
meanwhile: it runs in the page with a progress bar (:func:`analyse_now`).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

import streamlit as st

from geo import refresh, warm
from geo.context import Context
from geo.errors import GeoError
from geo.pipeline import Analysis

log = logging.getLogger("ceasefire_monitor")

# The share of a from-scratch analysis done when each stage starts (bench/analysis.py, 100k reports).
PROGRESS = {
    "read back": 0.0,
    "read": 0.02,
    "enrich": 0.05,
    "origins": 0.1,
    "rules": 0.13,
    "corroborate": 0.22,
    "patterns": 0.55,
    "score": 0.85,
    "write": 0.95,
}


@dataclass
class Job:
    """One update under way (or finished) for a store: the key it computes, its stage, its error."""

    key: str
    stage: str = "starting"
    done: bool = False
    error: str | None = None


_jobs: dict[str, Job] = {}
_lock = threading.Lock()
# The analyses pages were last given, by key: a run keeps reading the one it started with even if an
# update lands meanwhile (two entries: the one shown and the one just landed).
_shown: OrderedDict[str, Analysis] = OrderedDict()


def current_key(store, ctx: Context) -> str:
    """The key of the analysis of the store as it is now, in ``ctx``."""
    return refresh.key_for(
        store, scenario_dir=ctx.scenario_dir, agreement_path=ctx.agreement_path, threshold=ctx.threshold
    )


def start(store, ctx: Context) -> Job:
    """Start bringing the analysis of ``store`` up to date in ``ctx`` in the background (once per key)."""
    key = current_key(store, ctx)
    with _lock:
        job = _jobs.get(refresh.identity(store))
        if job is not None and job.key == key and job.error is None:
            return job
        job = Job(key)
        _jobs[refresh.identity(store)] = job

    def work() -> None:
        try:
            refresh.refresh_store(
                store,
                scenario_dir=ctx.scenario_dir,
                agreement_path=ctx.agreement_path,
                threshold=ctx.threshold,
                timings=refresh.Progress(lambda stage: setattr(job, "stage", stage)),
            )
        except Exception as exc:  # any failure: shown on the page, logged with its traceback
            log.exception("the background analysis update failed")
            # A GeoError says what is wrong and how to fix it; anything else is a fault, in the log.
            job.error = (
                str(exc) if isinstance(exc, GeoError) else "an unexpected error, written to the server's log"
            )
        finally:
            job.done = True

    threading.Thread(target=work, name="analysis-update", daemon=True).start()
    return job


def job(store) -> Job | None:
    """The update under way or last finished for ``store``, if any."""
    return _jobs.get(refresh.identity(store))


def analyse_now(store, ctx: Context) -> tuple[str, Analysis]:
    """Bring the analysis up to date in this run, with a progress bar; return its key and the analysis."""
    bar = st.progress(0.0, text="Analysing the stored reports ...")

    def tell(stage: str) -> None:
        bar.progress(PROGRESS.get(stage, 0.5), text=f"Analysing the stored reports: {stage} ...")

    try:
        result, done = refresh.refresh_store(
            store,
            scenario_dir=ctx.scenario_dir,
            agreement_path=ctx.agreement_path,
            threshold=ctx.threshold,
            timings=refresh.Progress(tell),
        )
    finally:
        bar.empty()
    if done.mode == "read back":  # a restarted server: made ready for its first batch meanwhile
        warm.start(result.reports, ctx)
    held = refresh.latest(store)
    key = held[0] if held is not None and held[1] is result else current_key(store, ctx)
    return key, result


def remember(store, key: str, analysis: Analysis) -> None:
    """Keep ``analysis`` (of ``store``, under ``key``) as one a page was given."""
    key = f"{refresh.identity(store)}|{key}"
    with _lock:
        _shown[key] = analysis
        _shown.move_to_end(key)
        while len(_shown) > 2:
            _shown.popitem(last=False)


def shown(store, key: str) -> Analysis | None:
    """The analysis of ``store`` pages were given under ``key``, if still kept."""
    return _shown.get(f"{refresh.identity(store)}|{key}")


def cache_key(store, key: str) -> str:
    """``key`` made unique across stores: what caches above the analysis are keyed on."""
    return f"{refresh.identity(store)}|{key}"
