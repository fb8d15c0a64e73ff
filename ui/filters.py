"""The sidebar filters, shared by pages, mirrored in the URL so that a link reproduces the view.

The URL form is :meth:`geo.filters.Filters.to_params`; a link's parameters set the widgets' first
values, and every change is written back, so the address bar always holds the view on screen.
"""

from __future__ import annotations

import datetime as dt
import math

import geopandas as gpd
import streamlit as st

from geo.errors import InputError
from geo.filters import AREA_PARAM, CHOICE_COLUMNS, MISSING, PARAMS, Filters
from geo.framememo import per_frame
from geo.labels import label as words
from geo.periods import PRESETS, last_days, whole_days
from ui import keys
from ui.text import md_escape, plain

LABELS = {
    "type": "Type",
    "weapon": "Weapon",
    "source": "Source",
    "reliability": "Source reliability",
    "sector": "Sector",
    "side": "Side of the line",
    "flag_level": "Flag level",
}
WIDGET_KEYS = {
    "type": keys.FILTER_TYPES,
    "weapon": keys.FILTER_WEAPONS,
    "source": keys.FILTER_SOURCES,
    "reliability": keys.FILTER_RELIABILITY,
    "sector": keys.FILTER_SECTOR,
    "side": keys.FILTER_SIDE,
    "flag_level": keys.FILTER_FLAG_LEVEL,
}


@per_frame
def _choices_of(reports: gpd.GeoDataFrame) -> dict[str, list[str]]:
    """The options each filter offers for ``reports``: its distinct values as text, sorted, then
    :data:`geo.filters.MISSING` when some rows have none. Once per frame: at a million rows this
    took a tenth of a second per run."""
    choices = {}
    for column in CHOICE_COLUMNS:
        if column not in reports.columns:
            continue
        values = reports[column]
        # Distinct values first, then text: a million-row astype(str) per column took seconds.
        options = sorted({str(v) for v in values.dropna().unique()})
        if values.isna().any():
            options.append(MISSING)
        choices[column] = options
    return choices


def _link_filters() -> Filters:
    """The filters in the URL, else this session's last ones; a parameter that cannot be read is
    dropped with a warning naming it.

    A click on a page link in the sidebar opens the page without a query and its filter widgets
    afresh (a page's widgets are its own): the filters chosen on the last page are then taken from
    the session, so they follow the officer from page to page. A link that names filters wins.
    """
    params = {name: st.query_params[name] for name in PARAMS if name in st.query_params}
    if not params:
        params = dict(st.session_state.get(keys.FILTER_PARAMS, {}))
    readable = {}
    for name, value in params.items():
        try:
            Filters.from_params({name: value})
        except InputError as exc:
            # A link is anyone's text: its values are quoted in the message, shown as text.
            st.sidebar.warning(f"Ignored from the link: {md_escape(exc.message)}")
            continue
        readable[name] = value
    return Filters.from_params(readable)


def _set_period(start: dt.date, end: dt.date) -> None:
    st.session_state[keys.FILTER_PERIOD] = (start, end)


def _period(reports: gpd.GeoDataFrame, link: Filters) -> tuple[dt.date, dt.date]:
    times = reports["occurred_at"]
    latest = times.max() if len(times) else None
    first = times.min().date() if latest is not None else dt.datetime.now(dt.UTC).date()
    last = latest.date() if latest is not None else first

    def clamp(day: dt.date) -> dt.date:
        return min(max(day, first), last)

    start = clamp(link.start.date()) if link.start is not None else first
    end = clamp(link.end.date()) if link.end is not None else last
    cols = st.sidebar.columns(2) * 2  # two rows of two: the labels stay whole in the sidebar
    # The presets are geo.periods' (the Overview's columns): whole UTC days back from the latest report.
    for col, (label, days) in zip(cols, PRESETS.items(), strict=True):
        whole = days is None or latest is None
        begin = first if whole else clamp(last_days(latest, days).first_day)
        col.button(
            label,
            key=f"{keys.FILTER_PRESET}_{days or 'all'}",
            on_click=_set_period,
            args=(begin, last),
            width="stretch",
        )
    if first == last:
        st.sidebar.caption(f"Period (UTC): {first:%Y-%m-%d}, the only day with reports.")
        return first, last
    # The first value comes from the link; afterwards the widget (and the presets) own it.
    # A period from before the store changed (a batch added or retracted) is moved inside the record.
    held = st.session_state.get(keys.FILTER_PERIOD)
    if held is None:
        st.session_state[keys.FILTER_PERIOD] = (min(start, end), max(start, end))
    elif clamp(held[0]) != held[0] or clamp(held[1]) != held[1]:
        st.session_state[keys.FILTER_PERIOD] = (clamp(held[0]), clamp(held[1]))
    period = st.sidebar.slider(
        "Period (UTC)", min_value=first, max_value=last, format="YYYY-MM-DD", key=keys.FILTER_PERIOD
    )
    return clamp(period[0]), clamp(period[1])


def set_area(corners: tuple[tuple[float, float], ...] | None) -> None:
    """Make ``corners`` (an area drawn on the map; None: none) the area filter of every page, URL too."""
    st.session_state[keys.FILTER_AREA] = corners
    if corners is None:
        if AREA_PARAM in st.query_params:
            del st.query_params[AREA_PARAM]
    else:
        st.query_params[AREA_PARAM] = Filters(area=corners).to_params()[AREA_PARAM]


def _area(reports: gpd.GeoDataFrame, link: Filters) -> tuple[tuple[float, float], ...] | None:
    """The area drawn on the map: the link's, else the one this session drew (pages keep it)."""
    if link.area is not None:
        st.session_state[keys.FILTER_AREA] = link.area
    area = st.session_state.get(keys.FILTER_AREA)
    if area is not None:
        st.sidebar.caption(f"Area drawn on the map: only the reports within its {len(area)} corners.")
        st.sidebar.button(
            "Clear the drawn area",
            key=keys.FILTER_AREA_CLEAR,
            on_click=set_area,
            args=(None,),
            width="stretch",
        )
    return area


def _distance(reports: gpd.GeoDataFrame, link: Filters) -> tuple[float | None, float | None]:
    if "dist_to_line_m" not in reports.columns or reports["dist_to_line_m"].isna().all():
        return None, None
    top = float(max(1, math.ceil(reports["dist_to_line_m"].max() / 1000)))
    lo = min(link.min_km or 0.0, top)
    hi = min(link.max_km if link.max_km is not None else top, top)
    band = st.sidebar.slider(
        "Distance to the contact line (km)",
        min_value=0.0,
        max_value=top,
        value=(lo, max(lo, hi)),
        step=0.5,
        key=keys.FILTER_DISTANCE,
    )
    return (band[0] or None), (None if band[1] >= top else band[1])


def sidebar_filters(reports: gpd.GeoDataFrame) -> Filters:
    """Draw the filters for these reports in the sidebar; return them and write them to the URL.

    Parameters
    ----------
    reports
        The frame the filters will apply to: choices offered are the values it holds (a column it
        lacks, as an unanalysed store lacks ``flag_level``, gets no widget).
    """
    link = _link_filters()
    st.sidebar.header("Filters")
    start, end = _period(reports, link)
    choices: dict[str, tuple[str, ...]] = {}
    for column, options in _choices_of(reports).items():
        picked = st.sidebar.multiselect(
            LABELS[column],
            options,
            default=[v for v in link.choices.get(column, ()) if v in options],
            key=WIDGET_KEYS[column],
            placeholder="All",
            # Codes in words (sources are the users' names, shown as given); the values stay as stored.
            format_func=lambda v, c=column: plain(words(v, c)),
        )
        choices[column] = tuple(picked)
    min_km, max_km = _distance(reports, link)
    area = _area(reports, link)
    filters = Filters.for_period(
        whole_days(start, end), choices=choices, min_km=min_km, max_km=max_km, area=area
    )
    params = filters.to_params()
    st.session_state[keys.FILTER_PARAMS] = params
    for name in PARAMS:
        if name in params:
            if st.query_params.get(name) != params[name]:
                st.query_params[name] = params[name]
        elif name in st.query_params:
            del st.query_params[name]
    return filters
