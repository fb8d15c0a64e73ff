"""Cached access to the store, the scenario and the analysis, keyed on what changes them."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import streamlit as st

from geo.pipeline import Analysis, analyse_store, context_key
from geo.scenario import Scenario, load_scenario
from geo.settings import Settings, load_settings
from geo.store import Store, open_store


@st.cache_resource
def _settings(config_env: str) -> Settings:
    return load_settings()


def settings() -> Settings:
    """The settings in force (read once per process and environment)."""
    return _settings(os.environ.get("CM_STORE_PATH", "") + os.environ.get("CM_CONFIG", ""))


@st.cache_resource
def _store(path: str) -> Store:
    return open_store(Path(path))


def store() -> Store:
    """The store handle: a connection-like resource shared by every session."""
    return _store(str(settings().store_path))


@st.cache_resource
def _scenario(directory: str, key: str) -> Scenario:
    # Read-only and shared: never mutate the frames it holds.
    return load_scenario(Path(directory))


def scenario() -> Scenario:
    """The contact line versions, control areas, zones and posts (reloaded when their files change)."""
    s = settings()
    return _scenario(str(s.scenario_dir), context_key(s.scenario_dir, s.agreement_path))


@st.cache_data(show_spinner="Analysing reports ...", max_entries=4)
def _analysis(store_path: str, revision: int, key: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    s = settings()
    result: Analysis = analyse_store(store(), scenario_dir=s.scenario_dir, agreement_path=s.agreement_path)
    return result.reports, result.events


def analysis() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Every stored report with its enrichment and flag, and the events; recomputed when data or terms change."""
    s = settings()
    st_ = store()
    return _analysis(str(s.store_path), st_.revision(), context_key(s.scenario_dir, s.agreement_path))
