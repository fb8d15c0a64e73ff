"""Ceasefire Monitor's engine: ingest, store, enrich, flag and brief; never imports streamlit."""

__version__ = "0.3.0"
# The analytic method's own version, part of every analysis's key (geo.pipeline.context_key): an
# analysis stored by other code is made again, never read back as this code's. Change it with any
# change to an output of the analysis (an event, a score, a side, a sentence), even within a release.
METHOD_VERSION = "2026-12-06.3"
