"""Overview: headline counts, reports by type, likely violations by side and sector, the latest flagged events."""

import pandas as pd
import streamlit as st

from geo.summary import headline, latest_flagged, reports_by_type, violations_by_side_and_sector
from ui import data
from ui.errors import user_errors

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
        latest_flagged(reports, events, n=15),
        width="stretch",
        hide_index=True,
        column_config={
            "occurred_at": st.column_config.DatetimeColumn("Time (UTC)", format="YYYY-MM-DD HH:mm")
        },
    )

    st.subheader("Latest reports")
    columns = ["occurred_at", "type", "weapon", "source", "flag_level", "side", "description"]
    st.dataframe(
        reports.nlargest(15, "occurred_at")[[c for c in columns if c in reports.columns]],
        width="stretch",
        hide_index=True,
        column_config={
            "occurred_at": st.column_config.DatetimeColumn("Time (UTC)", format="YYYY-MM-DD HH:mm")
        },
    )
