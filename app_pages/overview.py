"""Overview: headline counts, reports by type, likely violations by side and sector, the latest flagged events."""

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.maps import incident_map
from geo.summary import (
    headline,
    headline_table,
    latest_flagged,
    reports_by_type,
    sector_trends,
    violations_by_side_and_sector,
)
from ui import data, keys
from ui.errors import user_errors
from ui.text import plain_frame

st.title("Overview")

with user_errors("summarising the reports"):
    store = data.store()
    if store.count() == 0:
        st.info(
            "No reports yet: upload a batch on the Upload page, or run `make demo-store` to load the demo month."
        )
        st.stop()
    batches = store.batches()
    reports, events = data.analysis()
    latest = pd.Timestamp(reports["occurred_at"].max())
    stored = [
        ("Reports stored", store.count(), None),
        ("Batches", int(batches["retracted_at"].isna().sum()), None),
    ]
    counts = stored + headline(reports, events)
    for row in (counts[:4], counts[4:]):
        for col, (label, value, delta) in zip(st.columns(4), row, strict=False):
            col.metric(label, f"{value:,}", delta=delta)
    st.caption(f"Periods count back from the latest report, {latest:%Y-%m-%d %H:%M} UTC.")
    st.dataframe(headline_table(reports, events), width="stretch")

    trends, mini = st.columns([3, 2])
    with trends:
        st.subheader("Sectors, last 30 days")
        st.dataframe(
            sector_trends(reports, days=30),
            width="stretch",
            hide_index=True,
            column_config={
                "reports": st.column_config.NumberColumn("Reports"),
                "likely": st.column_config.NumberColumn("Likely violations"),
                "daily": st.column_config.LineChartColumn("Reports per day", y_min=0),
            },
        )
    with mini:
        st.subheader("Likely violations, last 7 days")
        week = reports.loc[
            (reports["occurred_at"] > latest - pd.Timedelta(days=7)) & (reports["flag_level"] == "likely")
        ]
        overview_map = incident_map(
            week, data.scenario(), settings=data.settings(), colour_by="side", title="Likely, 7 days"
        )
        st.session_state[keys.OVERVIEW_MAP_COUNT] = len(overview_map.cm_layers.incidents.data["features"])
        st_folium(
            overview_map, key=keys.OVERVIEW_MAP, returned_objects=[], use_container_width=True, height=380
        )

    st.subheader("Reports by type")
    st.dataframe(reports_by_type(reports), width="stretch")

    st.subheader("Likely violations by side and sector (last 30 days)")
    table = violations_by_side_and_sector(reports, days=30)
    if table.empty:
        st.caption("No likely violations in the last 30 days.")
    else:
        st.dataframe(table, width="stretch")

    st.subheader("Latest likely violations")
    st.dataframe(
        plain_frame(latest_flagged(reports, events, n=15)),
        width="stretch",
        hide_index=True,
        column_config={
            "occurred_at": st.column_config.DatetimeColumn("Time (UTC)", format="YYYY-MM-DD HH:mm")
        },
    )

    st.subheader("Latest reports")
    columns = ["occurred_at", "type", "weapon", "source", "flag_level", "side", "description"]
    st.dataframe(
        plain_frame(reports.nlargest(15, "occurred_at")[[c for c in columns if c in reports.columns]]),
        width="stretch",
        hide_index=True,
        column_config={
            "occurred_at": st.column_config.DatetimeColumn("Time (UTC)", format="YYYY-MM-DD HH:mm")
        },
    )
