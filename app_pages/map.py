"""Map: incidents over the contact line, control areas and zones; filters, view and selection in the URL."""

import streamlit as st
from streamlit_folium import st_folium

from geo.detail import reports_at_place
from geo.filters import filter_mask
from geo.maps import clicked_uid
from geo.maps.build import live_map
from geo.maps.view import plan_drawing
from ui import data, keys, mapstate, selection
from ui.errors import user_errors
from ui.filters import sidebar_filters
from ui.mapstyle import colour_and_size
from ui.mapview import add_overlays, events_of, image_button, map_caption, selected_report
from ui.text import md_escape
from ui.timeline import timeline

# Room for the map on a laptop screen: the title and the search on one line, less padding above.
st.html('<style>[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }</style>')
title_column, search_column = st.columns([1, 4], vertical_alignment="bottom")
title_column.title("Map")


@st.fragment(key=keys.MAP_FRAGMENT)
def working_map(
    reports, events, mask, filters, described, colours, at, version_label, show_patterns, ringed
) -> None:
    """The map and the selected report: panning, zooming and clicking rerun only this fragment."""
    # A fragment rerun (a pan, a click) runs outside the page's own user_errors block.
    with user_errors("drawing the map"):
        view = mapstate.view()
        drawing = plan_drawing(
            reports, mask, view=view, index_for=data.hex_index, point_limit=data.settings().map_point_limit
        )
        selected = mapstate.selected_uid()
        # Among several rows selected in Incidents it is one ring of many: no popup to pan the fit away.
        opened = None if len(ringed) > 1 and selected in set(ringed["uid"]) else selected
        map_caption(drawing, reports, mask, f"{described} · line {version_label}")
        shown_events = events_of(events, drawing.points)
        points = drawing.points if drawing.points is not None else reports.iloc[:0]
        live = live_map(
            points if shown_events is None else data.with_reasons(points),
            data.scenario(),
            settings=data.settings(),
            colour_by=colours[0],
            size_by=colours[1],
            selected_uid=opened,
            at=at,
            hexagons=drawing.hexagons,
            events=shown_events,
            view=mapstate.anchor(
                (
                    drawing.key,
                    tuple(filters.to_params().items()),
                    colours,
                    selected,
                    str(at),
                    drawing.kept,
                    show_patterns,
                ),
                view,
            ),
            base_view=st.session_state.get(keys.MAP_BASE_VIEW),
            popup_limit=data.settings().map_popup_limit,
            title=described,
            detail_url=mapstate.page_url("incidents") + "?uid=",
        )
        st.session_state.setdefault(keys.MAP_BASE_VIEW, (live.center, live.zoom))
        chosen = reports[mask & (reports["uid"] == selected).to_numpy()] if selected else reports.iloc[:0]
        add_overlays(live, chosen, reports, mask, filters, show_patterns=show_patterns, ringed=ringed)
        mapstate.record_drawn(live.layers, described)
        # The base map stays in the browser; only the overlays and the view travel on a change.
        out = st_folium(
            live.base,
            key=keys.MAP,
            feature_group_to_add=live.ready_overlays(),
            layer_control=live.layer_control(),
            center=live.center,
            zoom=live.zoom,
            returned_objects=["last_object_clicked", "zoom", "bounds", "center", "all_drawings"],
            use_container_width=True,
            height=650,
            on_change=mapstate.on_map_report,
        )
        image_button(reports, events, mask, filters, colours, mapstate.reported_bounds())
        if mapstate.take_drawing(((out or {}).get("all_drawings") or [None])[-1]):
            st.rerun(scope="app")  # the area is a filter: the sidebar, captions and other pages follow
        uid = clicked_uid(live.layers, (out or {}).get("last_object_clicked"))
        if uid and uid != selected:
            mapstate.select(uid)
            st.rerun(scope="fragment")
        if len(chosen):
            selected_report(chosen.iloc[:1], events, mapstate.page_url("incidents"))
            # Reports under the same dot cannot be clicked apart: listed here, one chosen at a time.
            if mapstate.choose_among(reports_at_place(reports, mask, selected)):
                st.rerun(scope="fragment")


@st.fragment(key=keys.MAP_TIMELINE_FRAGMENT)
def timeline_under_map(reports, filters, day, *, drawn: bool) -> None:
    """The timeline, in a fragment of its own: the map's first report draws it (mapstate.on_map_report)."""
    with user_errors("drawing the timeline"):
        if mapstate.timeline_waits(drawn=drawn):
            st.caption("The timeline of these reports is drawn below once the map is shown.")
        elif drawn:
            timeline(reports, filters, day=day)


with user_errors("drawing the map"):
    empty = data.report_count() == 0
    if empty:
        st.info("No reports yet: the map shows the scenario only. Upload a batch on the Upload page.")
        reports, events = data.store().incidents(), None
    else:
        reports, events = data.analysis()
    filters = sidebar_filters(reports)
    mask = filter_mask(reports, filters)
    st.sidebar.header("Map")
    colour_by, size_by = colour_and_size(reports)
    mask = mapstate.search(mask, reports, where=search_column)
    # While a day is played, the filters shown are that day's: captions, legend, line and image say so.
    mask, filters, described, day = mapstate.playback(mask, reports, filters)
    at, version_label = mapstate.line_version(data.scenario(), filters, day=day is not None)
    if not empty and not mask.any():
        st.info(
            f"No report matches the filters ({md_escape(filters.describe())})."
            " Widen the period or clear a filter."
        )
    show_patterns = not empty and st.sidebar.toggle(
        "Hotspots and clusters",
        key=keys.MAP_PATTERNS,
        help="Gi* hot and cold spots and space-time clusters of the filtered reports (see Patterns)",
    )
    # Rows selected in Incidents: ringed, the map fitted to them when they change.
    ringed = selection.on_map(reports, mask)
    working_map(
        reports,
        events,
        mask,
        filters,
        described,
        (colour_by, size_by),
        at,
        version_label,
        show_patterns,
        ringed,
    )
    timeline_under_map(reports, filters, day, drawn=not empty)  # none without reports
