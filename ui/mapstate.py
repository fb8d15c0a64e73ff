"""The Map page's state: view, selection, line version, search and playback, mirrored in the URL.

The map is rebuilt (and the browser reloads it) only when what it draws changes; the view it opens
at is the *anchor*, moved to where the user is looking only then, so that a pan never rebuilds the
map by itself (see :mod:`geo.maps.view`).
"""

from __future__ import annotations

import json
import time
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from geo.errors import InputError
from geo.filters import Filters, area_from_geojson
from geo.gazetteer import load_gazetteer
from geo.labels import label
from geo.maps.aggregate import in_view
from geo.maps.latlon import leaflet_bounds, lonlat
from geo.maps.view import View
from geo.periods import between
from geo.playback import (
    DAY_PARAM,
    WINDOW_PARAM,
    WINDOWS,
    day_filters,
    describe_day,
    line_in_force,
    play_days,
    read_day,
)
from geo.scenario import Scenario
from ui import keys
from ui.filters import set_area
from ui.text import md_escape

PLAY_SECONDS = 1.5
VIEW_PARAMS = ("lat", "lon", "z")
NOW_LINE = "In force at the period's end"


def page_url(url_path: str) -> str:
    """The absolute path of an app page (honours ``server.baseUrlPath``): links inside the map's
    iframe resolve against the component's own URL, not the page's."""
    base = st.get_option("server.baseUrlPath").strip("/")
    return f"/{base}/{url_path}" if base else f"/{url_path}"


def bounds_of(out: dict[str, Any] | None) -> tuple[float, float, float, float] | None:
    """The lon/lat box st_folium reported (minx, miny, maxx, maxy), or None before it has."""
    return leaflet_bounds((out or {}).get("bounds"))


def reported_bounds() -> tuple[float, float, float, float] | None:
    """The lon/lat box the map in the browser last reported (None before it has)."""
    return bounds_of(st.session_state.get(keys.MAP))


def in_this_view(reports: gpd.GeoDataFrame, mask: np.ndarray) -> int | None:
    """How many of the reports shown lie in the view the browser reported (None before it has)."""
    bounds = reported_bounds()
    return None if bounds is None else int((mask & in_view(reports, bounds)).sum())


def map_reported() -> bool:
    """Whether the browser has reported the map (its centre): before that, st_folium's value holds
    only its defaults."""
    return ((st.session_state.get(keys.MAP) or {}).get("center") or {}).get("lat") is not None


def timeline_waits(*, drawn: bool = True) -> bool:
    """Whether the Map page's timeline (``drawn``: there is one to draw) waits for the map: in a
    session, until the browser has drawn the map once. Vega's first chart and Leaflet share the
    browser's one thread, and an officer's first map came about a second sooner without it
    (docs/PERFORMANCE.md)."""
    if map_reported():
        st.session_state[keys.MAP_SHOWN] = True
    waits = drawn and not st.session_state.get(keys.MAP_SHOWN, False)
    st.session_state[keys.MAP_TIMELINE_WAITS] = waits
    return waits


def on_map_report() -> None:
    """st_folium's callback, when the browser reports the map (its view, a click, a drawing).

    The first report while the timeline waits reruns the timeline's fragment with the map's: the
    timeline is drawn and the map's frame stays as it is. (A whole-page run asked for at that
    moment sometimes had Streamlit mount the map's frame anew, drawing the map twice.)
    """
    if st.session_state.get(keys.MAP_TIMELINE_WAITS) and map_reported():
        st.session_state[keys.MAP_TIMELINE_WAITS] = False
        st.session_state[keys.MAP_SHOWN] = True
        st.rerun(scope=[keys.MAP_FRAGMENT, keys.MAP_TIMELINE_FRAGMENT])


def view() -> View | None:
    """Where the user is looking: the map's last report, else the link's ``lat``/``lon``/``z``."""
    out = st.session_state.get(keys.MAP) or {}
    centre, zoom = out.get("center") or {}, out.get("zoom")
    current = None
    if centre.get("lat") is not None and zoom:
        # The map's own centre: the middle of its bounds is off by the Mercator stretch.
        lon, lat = lonlat(centre["lat"], centre["lng"])
        current = View.from_params({"lat": str(lat), "lon": str(lon), "z": str(zoom)})
    if current is None:
        current = st.session_state.get(keys.MAP_LINK_VIEW)
        if current is None and keys.MAP_LINK_VIEW not in st.session_state:
            current = View.from_params({p: st.query_params.get(p, "") for p in VIEW_PARAMS})
            st.session_state[keys.MAP_LINK_VIEW] = current
    if current is not None:
        for name, value in current.to_params().items():
            if st.query_params.get(name) != value:
                st.query_params[name] = value
    return current


def anchor(signature: tuple, current: View | None) -> tuple[float, float, int] | None:
    """The view the map opens at: kept while ``signature`` (what is drawn) stays the same."""
    held = st.session_state.get(keys.MAP_ANCHOR)
    if held is not None and held[0] == signature:
        return held[1]
    opened = None if current is None else (round(current.lat, 4), round(current.lon, 4), current.zoom)
    st.session_state[keys.MAP_ANCHOR] = (signature, opened)
    return opened


def selected_uid() -> str | None:
    """The selected report: clicked on the map, found by search, or given by the link's ``uid``."""
    if keys.SELECTED_UID not in st.session_state:
        st.session_state[keys.SELECTED_UID] = st.query_params.get("uid") or None
    return st.session_state[keys.SELECTED_UID]


def select(uid: str | None) -> None:
    """Select a report (None clears the selection); the URL follows."""
    st.session_state[keys.SELECTED_UID] = uid
    if uid:
        st.query_params["uid"] = uid
    elif "uid" in st.query_params:
        del st.query_params["uid"]


def record_drawn(layers: Any, title: str) -> None:
    """Keep what was handed to folium, for tests and for the page's captions."""
    st.session_state[keys.MAP_LEGEND] = (title, [section.title for section in layers.legend])
    st.session_state[keys.MAP_LINE_DRAWN] = layers.line_version
    features = layers.incidents.data["features"]
    st.session_state[keys.MAP_INCIDENT_COUNT] = len(features)
    st.session_state[keys.MAP_POPUP_COUNT] = sum(f["properties"]["rows"] is not None for f in features)
    styles = layers.incidents.styles
    st.session_state[keys.MAP_DOT_RADII] = sorted({styles[f["properties"]["s"]]["radius"] for f in features})
    st.session_state[keys.MAP_HEXAGON_COUNT] = (
        0 if layers.hexagons is None else sum(f["properties"]["count"] for f in layers.hexagons["features"])
    )
    st.session_state[keys.MAP_EVENT_COUNT] = 0 if layers.events is None else len(layers.events["features"])
    st.session_state[keys.MAP_CONTEXT_COUNTS] = {
        "line": len(layers.line["features"]),
        "control_areas": len(layers.control_areas["features"]),
        "zones": sum(len(z["features"]) for z in layers.zones.values()),
        "posts": len(layers.posts["features"]),
    }


def line_version(
    scenario: Scenario, filters: Filters, *, day: bool = False
) -> tuple[pd.Timestamp | None, str]:
    """Sidebar picker of the contact line drawn; return the time to draw it at and its label.

    By default the version in force at the end of the period shown (``day``: the day played); the
    label names any other version in force during it, whose reports were measured against that one.
    """
    lines = scenario.lines.sort_values("valid_from")
    labels = [NOW_LINE] + [
        f"{v} (from {t:%Y-%m-%d})" for v, t in zip(lines["version"], lines["valid_from"], strict=True)
    ]
    choice = st.sidebar.selectbox("Contact line drawn", labels, key=keys.MAP_LINE_VERSION)
    if choice == NOW_LINE:
        start = filters.start if filters.start is not None else lines["valid_from"].min()
        end = filters.end if filters.end is not None else pd.Timestamp.now(tz="UTC")
        version, earlier = line_in_force(lines["valid_from"], lines["version"], start, end)
        when = f"on {filters.end:%Y-%m-%d}" if day and filters.end is not None else "at the period's end"
        label = f"{version or 'none'} (in force {when}"
        if earlier:
            span = "that day" if day else "in the period"
            label += f"; {', '.join(earlier)} earlier {span}, for the reports before it"
        return filters.end, label + ")"
    row = lines.iloc[labels.index(choice) - 1]
    return row["valid_from"], str(row["version"])


def search(mask: np.ndarray, reports: gpd.GeoDataFrame, *, where: Any = st) -> np.ndarray:
    """A box (in ``where``) to find a report by its id or uid, or a place: selects the report, opens
    the map on it and shows it even if filtered out; marks the place."""
    text = where.text_input(
        "Find a report or a place",
        key=keys.MAP_SEARCH,
        placeholder="Find a report by id or uid (CVM-OP-06:a-1), or a settlement (Avdiyivka)",
        label_visibility="collapsed",
    ).strip()
    if not text:
        st.session_state.pop(keys.MAP_PLACE_FOUND, None)
        return mask
    # With no report stored the box still finds places (the map shows the scenario).
    match = ((reports["uid"] == text) | (reports["id"] == text)).to_numpy() if len(reports) else mask[:0]
    hits = np.flatnonzero(match)
    if len(hits) == 0:
        place = load_gazetteer().find(text, limit=1)
        st.session_state.pop(keys.MAP_PLACE_FOUND, None)
        if place.empty:
            st.warning(
                f"No report has the id or uid {md_escape(repr(text))}, and no settlement is named so."
                " Ids are case-sensitive; a uid is source:id; places are GeoNames names (Avdiyivka, Bakhmut)."
            )
            return mask
        row = place.iloc[0]
        st.caption(
            f"{md_escape(row['name'])} ({md_escape(row['country'])}, population {int(row['population']):,})"
        )
        st.session_state[keys.MAP_PLACE_FOUND] = (str(row["name"]), float(row["lon"]), float(row["lat"]))
        if st.session_state.get(keys.MAP_PLACE) != text:
            st.session_state[keys.MAP_PLACE] = text
            st.session_state[keys.MAP_LINK_VIEW] = View(float(row["lat"]), float(row["lon"]), 11)
            st.session_state.pop(keys.MAP, None)
            st.session_state.pop(keys.MAP_ANCHOR, None)
        return mask
    first = hits[0]
    uid = str(reports["uid"].iloc[first])
    if len(hits) > 1:
        st.caption(
            f"{len(hits)} sources use the id {md_escape(repr(text))}; showing {md_escape(uid)}."
            " Search by uid to choose."
        )
    if not mask[first]:
        st.info(f"{md_escape(uid)} is outside the filters: it is shown with them.")
        mask = mask.copy()
        mask[first] = True
    if st.session_state.get(keys.SELECTED_UID) != uid:
        select(uid)
        point = reports.geometry.iloc[first]
        st.session_state[keys.MAP_LINK_VIEW] = View(point.y, point.x, 12)
        st.session_state.pop(keys.MAP, None)
        st.session_state.pop(keys.MAP_ANCHOR, None)
    return mask


def searched_place() -> tuple[str, float, float] | None:
    """The settlement the search box found: its name, lon and lat (None when it found none)."""
    return st.session_state.get(keys.MAP_PLACE_FOUND)


def _link_day() -> pd.Timestamp | None:
    """The day the link plays (``day``), read once per session; an unreadable one is named and dropped."""
    if keys.MAP_LINK_DAY not in st.session_state:
        day = None
        text = st.query_params.get(DAY_PARAM)
        if text:
            try:
                day = read_day(text)
            except InputError as exc:
                st.sidebar.warning(f"Ignored from the link: {md_escape(exc.message)}")
        st.session_state[keys.MAP_LINK_DAY] = day
        if day is not None:
            st.session_state[keys.MAP_PLAYBACK] = True
            st.session_state[keys.MAP_PLAY_DAY] = day
        window = st.query_params.get(WINDOW_PARAM)
        if window in WINDOWS:
            st.session_state[keys.MAP_PLAY_WINDOW] = window
        elif window:
            st.sidebar.warning(
                f"Ignored from the link: the playback window {md_escape(repr(window))} is not one of"
                f" {', '.join(WINDOWS)}."
            )
    return st.session_state[keys.MAP_LINK_DAY]


class Shown(NamedTuple):
    """What the map shows: the reports, the filters that choose them and those filters in words.

    While a day is played, ``filters`` are narrowed to it (the period every caption, legend, line
    and image of the map then names) and ``day`` is its UTC midnight; else ``day`` is None.
    """

    mask: np.ndarray
    filters: Filters
    described: str
    day: pd.Timestamp | None = None


def playback(mask: np.ndarray, reports: gpd.GeoDataFrame, filters: Filters) -> Shown:
    """Sidebar playback: show one day at a time, stepping by hand or playing every 1.5 s; the day in the URL."""
    _link_day()
    if not st.sidebar.toggle("Play by day", key=keys.MAP_PLAYBACK) or not mask.any():
        for name in (DAY_PARAM, WINDOW_PARAM):
            if name in st.query_params:
                del st.query_params[name]
        return Shown(mask, filters, filters.describe())
    days = play_days(reports["occurred_at"], mask)
    held = st.session_state.get(keys.MAP_PLAY_DAY)
    if held not in days:
        if held is not None:
            st.info(f"No report under these filters on {held:%Y-%m-%d}: playback shows {days[0]:%Y-%m-%d}.")
        st.session_state[keys.MAP_PLAY_DAY] = days[0]
    playing = st.sidebar.toggle("Playing", key=keys.MAP_PLAYING)
    if playing:
        _tick(days)
    day = st.select_slider(
        "Day shown (UTC)", options=days, key=keys.MAP_PLAY_DAY, format_func=lambda d: f"{d:%Y-%m-%d}"
    )
    window = st.sidebar.radio(
        "Window shown", list(WINDOWS), format_func=WINDOWS.get, key=keys.MAP_PLAY_WINDOW, horizontal=False
    )
    if st.query_params.get(DAY_PARAM) != f"{day:%Y-%m-%d}":
        st.query_params[DAY_PARAM] = f"{day:%Y-%m-%d}"
    if window == "day":
        if WINDOW_PARAM in st.query_params:
            del st.query_params[WINDOW_PARAM]
    elif st.query_params.get(WINDOW_PARAM) != window:
        st.query_params[WINDOW_PARAM] = window
    shown = day_filters(filters, day, window)
    times = reports["occurred_at"]
    on_days = between(times, shown.start, shown.stop)
    return Shown(mask & on_days, shown, describe_day(filters, day, days, window), day)


@st.fragment(run_every=PLAY_SECONDS)
def _tick(days: list[pd.Timestamp]) -> None:
    # Runs with every page run and then every PLAY_SECONDS; only a timed run advances the day.
    last = st.session_state.get(keys.MAP_PLAY_TICK, 0.0)
    if time.monotonic() - last < PLAY_SECONDS * 0.9:
        return
    st.session_state[keys.MAP_PLAY_TICK] = time.monotonic()
    if last == 0.0:
        return
    at = days.index(st.session_state[keys.MAP_PLAY_DAY])
    st.session_state[keys.MAP_PLAY_DAY] = days[(at + 1) % len(days)]
    st.rerun()


def take_drawing(drawing: object) -> bool:
    """Make a rectangle or polygon just drawn on the map the area filter; True when the filters changed.

    ``drawing`` is the newest of st_folium's ``all_drawings`` (its ``last_active_drawing`` is also
    any shape clicked, a control area for one). st_folium reports it on every run: each is applied
    once, so a cleared area does not come back from a drawing already taken.
    """
    if not isinstance(drawing, dict) or "geometry" not in drawing:
        return False
    seen = json.dumps(drawing["geometry"], sort_keys=True)
    if st.session_state.get(keys.MAP_DRAWN) == seen:
        return False
    st.session_state[keys.MAP_DRAWN] = seen
    try:
        corners = area_from_geojson(drawing["geometry"])
    except InputError as exc:
        st.warning(f"{md_escape(exc.message)} {md_escape(exc.hint or '')}")
        return False
    set_area(corners)
    return True


def choose_among(others: pd.DataFrame) -> bool:
    """List the reports at the selected report's place (they overlap it on the map) to choose one;
    True when one was chosen (it is selected, the URL follows)."""
    if others.empty:
        return False
    options = others["uid"].tolist()
    described = {
        row.uid: f"{row.occurred_at:%Y-%m-%d %H:%M} · {label(row.type, 'type')} · {row.source}"
        for row in others.itertuples()
    }
    chosen = st.selectbox(
        f"{len(others):,} other report{'s' if len(others) != 1 else ''} at this place (within 50 m, under the"
        " same dot on the map)",
        options,
        index=None,
        format_func=described.get,
        placeholder="Choose one to show it",
        key=f"{keys.MAP_SAME_PLACE}-{st.session_state.get(keys.SELECTED_UID)}",
    )
    if chosen is None:
        return False
    select(chosen)
    return True
