"""Reports selected in the Incidents table: kept for the session, ringed on the Map (and back).

The selection is a list of uids in session state, not in the URL: it is a working set of up to the
table's 10,000 rows, and uids run to 60 characters (a source's name and its id), so a few hundred
would pass the 8 KB that proxies commonly allow for a URL. A link carries the filters and the
drawn area (``area=``), which choose a set of reports again.
"""

from __future__ import annotations

import hashlib

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from geo.filters import Filters
from geo.maps.view import View
from ui import keys


def _reports(n: int) -> str:
    return f"{n:,} report" + ("" if n == 1 else "s")


def kept() -> tuple[str, ...]:
    """The uids selected in the Incidents table (in table order), kept across pages."""
    return tuple(st.session_state.get(keys.INCIDENTS_SELECTION, ()))


def clear() -> None:
    """Forget the selection, and the table's own (callback of the Clear buttons)."""
    st.session_state[keys.INCIDENTS_SELECTION] = ()
    for key in [k for k in st.session_state if str(k).startswith(keys.INCIDENTS_TABLE)]:
        del st.session_state[key]


def table_key(filters: Filters) -> str:
    """The table's key, one per filters: the table's selection is by row position, and a position
    must never point at another report once the filters change the rows."""
    text = repr(sorted(filters.to_params().items())).encode()
    return f"{keys.INCIDENTS_TABLE}-{hashlib.sha256(text).hexdigest()[:12]}"


def restore(table: pd.DataFrame, key: str) -> None:
    """Select again the kept reports the table lists (a table new to this session, or to these filters)."""
    if key in st.session_state or not kept():
        return
    rows = np.flatnonzero(table["uid"].isin(kept()).to_numpy()).tolist()
    st.session_state[key] = {"selection": {"rows": rows, "columns": [], "cells": []}}


def take(table: pd.DataFrame, rows: list[int]) -> str | None:
    """Keep the rows selected in ``table`` (the reports it does not list stay selected); return the
    uid of a row just added, for the detail, else None."""
    listed = set(table["uid"])
    chosen = [str(table["uid"].iloc[r]) for r in rows if r < len(table)]
    before = kept()
    now = tuple(u for u in before if u not in listed) + tuple(chosen)
    st.session_state[keys.INCIDENTS_SELECTION] = now
    added = [u for u in chosen if u not in before]
    return added[-1] if added else None


def note(where) -> None:
    """How many reports are selected, and a button to clear them (the Incidents page)."""
    if kept():
        where.caption(f"{_reports(len(kept()))} selected: ringed on the Map.")
        where.button("Clear the selection", key=keys.INCIDENTS_SELECTION_CLEAR, on_click=clear)


def on_map(reports: gpd.GeoDataFrame, mask: np.ndarray) -> gpd.GeoDataFrame:
    """The Map page's side: a caption and a Clear button; the map fitted to the selection when it
    changed; return the selected reports the filters keep (to ring)."""
    uids = kept()
    if not uids:
        return reports.iloc[:0]
    chosen = reports["uid"].isin(uids).to_numpy()
    shown = reports[chosen & mask]
    hidden = int((chosen & ~mask).sum())
    words = f"{_reports(len(uids))} selected in Incidents, ringed on the map"
    if hidden:
        words += f" ({hidden:,} of them outside the filters, not drawn)"
    caption, button = st.columns([4, 1], vertical_alignment="center")
    caption.caption(words + ".")
    button.button("Clear the selection", key=keys.MAP_SELECTION_CLEAR, on_click=clear, width="stretch")
    if len(shown) and st.session_state.get(keys.MAP_SELECTION_FITTED) != uids:
        st.session_state[keys.MAP_SELECTION_FITTED] = uids
        west, south, east, north = shown.total_bounds
        pad_x, pad_y = max((east - west) * 0.1, 0.02), max((north - south) * 0.1, 0.02)
        # More room on the west: the legend covers the map's lower left.
        view = View.fitting((west - 4 * pad_x, south - 2 * pad_y, east + pad_x, north + pad_y))
        st.session_state[keys.MAP_LINK_VIEW] = View(view.lat, view.lon, min(view.zoom, 12))
        st.session_state.pop(keys.MAP, None)
        st.session_state.pop(keys.MAP_ANCHOR, None)
    return shown
