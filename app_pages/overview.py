"""Overview: headline counts, reports by type, likely violations by side and sector, the latest flagged events."""

import streamlit as st
from streamlit_folium import st_folium

from geo.filters import Filters, apply_filters
from geo.maps import incident_map
from geo.summary import (
    MONTH,
    WEEK,
    headline,
    headline_table,
    latest_flagged,
    periods,
    periods_caption,
    reports_by_type,
    sector_trends,
    violations_by_side_and_sector,
)
from ui import data, keys
from ui.errors import user_errors
from ui.text import headings, readable_frame

st.title("Overview")

with user_errors("summarising the reports"):
    store = data.store()
    if data.report_count() == 0:
        st.info(
            "No reports yet: upload a batch on the Upload page, or run `make demo-store` to load the demo month."
        )
        st.stop()
    batches = store.batches()
    analysis = data.analysed()
    reports, events = analysis.reports, analysis.events
    presets = periods(reports)
    stored = [
        ("Reports stored", data.report_count(), None),
        ("Batches", int(batches["retracted_at"].isna().sum()), None),
    ]
    counts = stored + headline(reports, events)
    for row in (counts[:4], counts[4:]):
        for col, (label, value, delta) in zip(st.columns(4), row, strict=False):
            col.metric(label, f"{value:,}", delta=delta)
    st.caption(periods_caption(reports))
    st.dataframe(headline_table(reports, events), width="stretch")

    trends, mini = st.columns([3, 2])
    with trends:
        st.subheader(f"Sectors, {MONTH.lower()}")
        st.dataframe(
            sector_trends(reports, events, presets[MONTH]),
            width="stretch",
            hide_index=True,
            column_config={
                "reports": st.column_config.NumberColumn("Reports"),
                "likely": st.column_config.NumberColumn("Likely violations (events)"),
                "daily": st.column_config.LineChartColumn("Reports per day", y_min=0),
            },
        )
        st.caption("Reports by their own sector; each event once, in its sector (its earliest report's).")
    with mini:
        st.subheader(f"Likely violations, {WEEK.lower()}")
        # The Map page's view of the same filters: the reports of likely violations, by report time.
        week = apply_filters(reports, Filters.for_period(presets[WEEK], choices={"flag_level": ("likely",)}))
        overview_map = incident_map(
            week,
            data.scenario(),
            settings=data.settings(),
            colour_by="side",
            title=f"Likely, {WEEK.lower()}",
            compact=True,
        )
        st.session_state[keys.OVERVIEW_MAP_COUNT] = len(overview_map.cm_layers.incidents.data["features"])
        st_folium(
            overview_map, key=keys.OVERVIEW_MAP, returned_objects=[], use_container_width=True, height=380
        )
        st.caption(f"{len(week):,} reports of likely violations, {presets[WEEK].describe()}.")

    st.subheader("Reports by type")
    st.dataframe(readable_frame(reports_by_type(reports), index="type"), width="stretch")

    st.subheader(f"Likely violations (events) by side and sector, {MONTH.lower()}")
    table = violations_by_side_and_sector(reports, events, presets[MONTH])
    if table.empty:
        st.caption(f"No likely violations in the {MONTH.lower()}.")
    else:
        st.dataframe(
            readable_frame(table),
            column_config=headings(table, undetermined="Undetermined", total="Total"),
            width="stretch",
        )

    st.subheader("Latest likely violations (events)")
    flagged = latest_flagged(analysis, n=15)
    st.dataframe(
        readable_frame(flagged, columns={"side": "attributed_side"}),
        width="stretch",
        hide_index=True,
        column_config=headings(
            flagged,
            occurred_at=st.column_config.DatetimeColumn("Time (UTC)", format="YYYY-MM-DD HH:mm"),
            side="Attributed to",
        ),
    )

    st.subheader("Latest reports")
    columns = ["occurred_at", "type", "weapon", "source", "flag_level", "side", "description"]
    latest = reports.nlargest(15, "occurred_at")[[c for c in columns if c in reports.columns]]
    st.dataframe(
        readable_frame(latest),
        width="stretch",
        hide_index=True,
        column_config=headings(
            latest, occurred_at=st.column_config.DatetimeColumn("Time (UTC)", format="YYYY-MM-DD HH:mm")
        ),
    )
