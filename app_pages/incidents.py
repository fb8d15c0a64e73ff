"""Incidents: the filtered reports as a sortable table, one report's detail, exports of exactly those rows."""

from functools import partial

import streamlit as st

from geo.counts import HOW_COUNTED, figures
from geo.detail import (
    EXPORT_FORMATS,
    export_bytes,
    export_file_name,
    incident_table,
    media_type,
)
from geo.filters import apply_filters
from ui import data, keys, mapstate, selection
from ui.errors import user_errors
from ui.filters import sidebar_filters
from ui.incident_detail import TIME, show_detail
from ui.text import headings, md_escape, readable_frame

# Rows sent to the browser; the exports always hold every filtered row.
TABLE_LIMIT = 10_000

st.title("Incidents")


with user_errors("listing the reports"):
    if data.report_count() == 0:
        st.info(
            "No reports yet: upload a batch on the Upload page, or run `make demo-store` for the demo month."
        )
        st.stop()
    analysis = data.analysed()
    reports, events = analysis.reports, analysis.events
    filters = sidebar_filters(reports)
    shown = apply_filters(reports, filters)
    st.caption(
        f"{figures(reports, events, filters).sentence(of=len(reports))} · {md_escape(filters.describe())}",
        help=HOW_COUNTED,
    )
    if shown.empty:
        st.info(
            f"No report matches the filters ({md_escape(filters.describe())})."
            " Widen the period or clear a filter."
        )
    else:
        table = incident_table(shown, limit=TABLE_LIMIT)
        if len(shown) > TABLE_LIMIT:
            st.caption(f"The table lists the newest {TABLE_LIMIT:,}; the exports hold all {len(shown):,}.")
        # Rows selected here are ringed on the Map; the table selects them again when it comes back.
        key = selection.table_key(filters)
        selection.restore(table, key)
        picked = st.dataframe(
            readable_frame(table),
            hide_index=True,
            width="stretch",
            height=420,
            on_select="rerun",
            selection_mode="multi-row",
            key=key,
            column_config=headings(
                table, occurred_at=TIME, dist_to_line_km=st.column_config.NumberColumn("km to line")
            ),
        )
        # A row just added is the one detailed; otherwise a report chosen elsewhere (map, link) stays.
        added = selection.take(table, picked.selection.rows)
        if added:
            mapstate.select(added)
        selection.note(st)
        for col, (fmt, label) in zip(st.columns(len(EXPORT_FORMATS)), EXPORT_FORMATS.items(), strict=True):
            col.download_button(
                f"Export {label} ({len(shown):,} rows)",
                data=partial(export_bytes, shown, fmt, analysis=analysis),
                file_name=export_file_name(filters.describe(), fmt),
                mime=media_type(fmt),
                key=keys.INCIDENTS_EXPORT[fmt],
                on_click="ignore",
            )
    uid = mapstate.selected_uid()
    if uid:
        show_detail(uid, analysis, shown)
    else:
        st.caption(
            "Select a row to see the report's detail, its event, sources, batch and reasons;"
            " the rows selected are ringed on the Map."
        )
