"""The sidebar filters, shared by pages, mirrored in the URL so that a link reproduces the view."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo.filters import CHOICE_COLUMNS, Filters
from ui import keys

LABELS = {"type": "Type", "weapon": "Weapon", "source": "Source", "flag_level": "Flag level", "side": "Side"}
WIDGET_KEYS = {
    "type": keys.FILTER_TYPES,
    "weapon": keys.FILTER_WEAPONS,
    "source": keys.FILTER_SOURCES,
    "flag_level": keys.FILTER_FLAG_LEVEL,
    "side": keys.FILTER_SIDE,
}


def _param_list(name: str, allowed: list[str]) -> list[str]:
    raw = st.query_params.get(name, "")
    return [v for v in raw.split(",") if v in allowed]


def _param_date(name: str, default: dt.date, lo: dt.date, hi: dt.date) -> dt.date:
    try:
        value = dt.date.fromisoformat(st.query_params.get(name, ""))
    except ValueError:
        return default
    return min(max(value, lo), hi)


def sidebar_filters(reports: gpd.GeoDataFrame) -> Filters:
    """Draw the filters for these reports in the sidebar; return them and write them to the URL."""
    times = reports["occurred_at"]
    first = times.min().date() if len(times) else dt.date.today()
    last = times.max().date() if len(times) else dt.date.today()
    start_default = _param_date("from", first, first, last)
    end_default = _param_date("to", last, first, last)
    st.sidebar.header("Filters")
    period = st.sidebar.date_input(
        "Period (UTC)",
        value=(start_default, end_default),
        min_value=first,
        max_value=last,
        key=keys.FILTER_PERIOD,
    )
    start, end = (period[0], period[-1]) if isinstance(period, tuple | list) and period else (first, last)
    choices: dict[str, tuple[str, ...]] = {}
    for column in CHOICE_COLUMNS:
        if column not in reports.columns:
            continue
        options = sorted(reports[column].dropna().astype(str).unique().tolist())
        picked = st.sidebar.multiselect(
            LABELS[column],
            options,
            default=_param_list(column, options),
            key=WIDGET_KEYS[column],
            placeholder="All",
        )
        choices[column] = tuple(picked)
    params = {"from": start.isoformat(), "to": end.isoformat()} | {
        c: ",".join(v) for c, v in choices.items() if v
    }
    for name in ("from", "to", *CHOICE_COLUMNS):
        if name in params:
            st.query_params[name] = params[name]
        elif name in st.query_params:
            del st.query_params[name]
    return Filters(
        start=pd.Timestamp(start, tz="UTC"),
        end=pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1),
        choices=choices,
    )
