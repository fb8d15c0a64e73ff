"""Overview: headline counts, likely violations by side and sector, the latest flagged events."""

import pandas as pd
import streamlit as st

from geo.summary import headline, latest_flagged, violations_by_side_and_sector
from ui import data
from ui.errors import user_errors

st.title("Overview")

with user_errors("summarising the reports"):
    if data.store().count() == 0:
        st.info(
            "No reports yet: upload a batch on the Upload page, or run `make demo-store` to load the demo month."
        )
        st.stop()
    reports, events = data.analysis()
    counts = headline(reports, events)
    cols = st.columns(len(counts))
    for col, (label, value, delta) in zip(cols, counts, strict=True):
        col.metric(label, f"{value:,}", delta=delta)

    st.subheader("Likely violations by side and sector (last 30 days)")
    table = violations_by_side_and_sector(reports, days=30)
    if table.empty:
        st.caption("No likely violations in the last 30 days.")
    else:
        st.dataframe(table, use_container_width=True)

    st.subheader("Latest likely violations")
    latest = latest_flagged(reports, events, n=15)
    st.dataframe(
        latest,
        use_container_width=True,
        hide_index=True,
        column_config={
            "occurred_at": st.column_config.DatetimeColumn("Time (UTC)", format="YYYY-MM-DD HH:mm")
        },
    )
    st.caption(f"Latest report: {pd.Timestamp(reports['occurred_at'].max()):%Y-%m-%d %H:%M} UTC")
