"""One report's detail as the Incidents page shows it: fields, reasons, event, sources, batch, a small map."""

import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

from geo.detail import report_detail
from geo.eventtext import REPORT_HEADING, event_heading, report_figures
from geo.labels import label, label_fields, reason_text
from geo.maps.report_map import report_map
from geo.pipeline import Analysis
from ui import data, keys, selection
from ui.mapview import origin_shapes
from ui.text import headings, md_escape, plain_frame, readable_frame

TIME = st.column_config.DatetimeColumn("Time (UTC)", format="YYYY-MM-DD HH:mm")


def show_detail(uid: str, analysis: Analysis, shown: gpd.GeoDataFrame) -> None:
    """One report of ``analysis``: its fields, reasons, event and sources, batch and original file, and a small map."""
    detail = report_detail(uid, analysis, data.store().batches())
    reports = analysis.reports
    row = detail.report
    st.subheader(f"{md_escape(row['source'])} · {md_escape(row['id'])}")
    if uid not in set(shown["uid"]):
        st.info(f"{md_escape(uid)} is outside the filters: its detail is shown all the same.")
    st.markdown(f"**{REPORT_HEADING}:** {md_escape(report_figures(row))}")
    if detail.event is not None:
        e = detail.event
        # Everything from here to the reasons is the event's, the same for every report of it.
        st.markdown(f"**{md_escape(event_heading(e['n_reports'], e['sources']))}**")
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Flag", label(e["flag_level"], "flag_level"))
        c2.metric("Violation score", f"{e['violation_score']:.2f}")
        c3.metric("Attributed to", label(e["attributed_side"], "attributed_side"))
        c4.metric("Sources", int(e["n_sources"]))
        st.caption(
            f"Event {md_escape(e['event_id'])} · confidence {e['confidence']:.0%}"
            f" · {int(e['n_reports'])} reports"
        )
        if isinstance(e.get("side_reason"), str):
            st.markdown(f"**Why this side:** {md_escape(e['side_reason'])}")
        if isinstance(e.get("exchange_id"), str):
            st.caption(
                f"Part of exchange of fire {md_escape(e['exchange_id'])}:"
                " the other side's fire is its own event."
            )
    left, right = st.columns([3, 2])
    with left:
        st.markdown(
            "**Reasons of its event** (the same for every report of it; they may quote another of its reports)"
        )
        if detail.reasons.empty:
            st.caption("No reasons recorded for this report's event.")
        for r in detail.reasons.itertuples():
            st.markdown(f"- **{md_escape(reason_text(r.code))}** ({r.weight:.2f}): {md_escape(r.sentence)}")
        st.markdown("**Sources (the reports of its event)**")
        st.dataframe(
            readable_frame(detail.sources),
            hide_index=True,
            width="stretch",
            column_config=headings(detail.sources, occurred_at=TIME),
        )
        if detail.batch is not None:
            b = detail.batch
            st.markdown("**Batch**")
            uploaded = (
                f"uploaded {b['uploaded_at']:%Y-%m-%d %H:%M} UTC by {md_escape(b['uploader'] or 'unnamed')}"
            )
            st.caption(
                f"{md_escape(b['batch_id'])} · {md_escape(b['filename'])} · {uploaded}"
                f" · SHA-256 {md_escape(b['sha256'])}"
            )
            st.download_button(
                f"Original file ({md_escape(b['filename'])})",
                data=data.store().original_file(b["batch_id"]).read_bytes,
                file_name=str(b["filename"]),
                key=keys.INCIDENTS_ORIGINAL,
                on_click="ignore",
            )
    with right:
        report = reports[(reports["uid"] == uid).to_numpy()].iloc[:1]
        others = reports[(reports["uid"].isin(selection.kept()) & (reports["uid"] != uid)).to_numpy()]
        small = report_map(
            report,
            data.scenario(),
            settings=data.settings(),
            origins=origin_shapes(report, reports),
            others=others,
        )
        st.session_state[keys.INCIDENTS_MAP_COUNT] = len(report)
        st.session_state[keys.INCIDENTS_MAP_RINGS] = others["uid"].tolist()
        st_folium(small, key=keys.INCIDENTS_MAP, returned_objects=[], use_container_width=True, height=380)
        st.caption(
            "The report (its flag level's colour) and, for fire, the estimated origin (dashed: two sigma)."
            + (f" Rings: the {len(others):,} other reports selected, where in view." if len(others) else "")
        )
    with st.expander("Every field (this report's own first, then those it takes from its event)"):
        st.dataframe(
            plain_frame(label_fields(detail.fields)),
            hide_index=True,
            width="stretch",
            column_config={"field": "Field", "value": "Value", "of": "Of"},
        )
