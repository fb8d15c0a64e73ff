"""The Map page's timeline: reports per day, week or month by flag level; brushing sets the period filter."""

from __future__ import annotations

import datetime as dt
from functools import partial

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo.filters import Filters
from geo.labels import label
from geo.timeline import binned, brushed_days, daily_counts, per_unit
from ui import charts, keys


def _brushed(chart_key: str, first: dt.date, last: dt.date, unit: str) -> None:
    """The brush's callback: the days of its bars become the sidebar's period (before the next run draws it).

    The chart is in a fragment (the Map page's timeline); a new period runs the whole page, so that
    the sidebar, the map and every figure follow.
    """
    state = st.session_state.get(chart_key)
    brush = ((state or {}).get("selection") or {}).get("brush") or {}
    interval = next(iter(brush.values()), None)
    days = brushed_days(interval, first=first, last=last, unit=unit)
    if days is not None:
        st.session_state[keys.FILTER_PERIOD] = days
        st.rerun()


def timeline(reports: gpd.GeoDataFrame, filters: Filters, *, day: pd.Timestamp | None = None) -> None:
    """Draw the timeline of the reports the filters keep (their period aside), the period shaded.

    Bars are days, or weeks or months over a long record (:func:`geo.timeline.bin_unit`). Brushing
    a range of bars sets the period filter to their days (the sidebar's, in the URL); the playback's
    ``day`` is marked. Nothing is drawn when no report is kept.
    """
    counts = daily_counts(reports, filters)
    if counts.empty:
        return
    bars = binned(counts)
    period = None if filters.start is None else (filters.start, filters.stop)
    # A new chart (a new key) for each period: a brush already applied does not linger on it.
    chart_key = f"{keys.MAP_TIMELINE}-{filters.start}-{filters.stop}"
    st.altair_chart(
        charts.timeline_chart(bars, period=period, day=day),
        width="stretch",
        key=chart_key,
        on_select=partial(_brushed, chart_key, bars.first, bars.last, bars.unit),
        selection_mode="brush",
    )
    whole = (
        "" if bars.unit == "day" else f" (the whole {label(bars.unit, 'time_precision').lower()}s it reaches)"
    )
    st.caption(
        f"Reports {per_unit(bars.unit)} by flag level, {counts['reports'].sum():,} in all under the other"
        f" filters; the shaded days are the period shown. Drag across the chart to choose another period{whole}."
    )
