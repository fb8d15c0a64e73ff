"""Ceasefire Monitor's engine: ingest, store, enrich, flag and brief; never imports streamlit."""

__version__ = "0.3.0"
