"""Patterns: surges per sector, Gi* hot and cold spots, space-time clusters and distance profiles."""

import streamlit as st
from streamlit_folium import st_folium

from geo.filters import apply_filters
from geo.labels import column_label
from geo.maps.latlon import bounds_latlon
from geo.maps.patterns import clicked_pattern, pattern_map
from geo.patterns import uids_in_cells
from ui import charts, data, keys
from ui.errors import user_errors
from ui.filters import sidebar_filters
from ui.text import headings, md_escape, readable_frame

# The clusters' times to the minute (shown with seconds and "+00:00" they crowded the table out).
CLUSTER_TIMES = ("start", "end", "window_start", "window_end")

st.title("Patterns")
st.caption(
    "More than the usual level or chance would give, at a stated confidence: the method and its "
    "calibration are in docs/METHOD.md (Patterns)."
)

with user_errors("computing the patterns"):
    if data.report_count() == 0:
        st.info(
            "No reports yet: upload a batch on the Upload page, or run `make demo-store` for the demo month."
        )
        st.stop()
    reports, _ = data.analysis()
    filters = sidebar_filters(reports)
    st.sidebar.header("Patterns")
    resolution = st.sidebar.select_slider(
        "Hexagon size (H3 resolution)",
        options=[5, 6, 7, 8],
        value=6,
        key=keys.PATTERNS_RESOLUTION,
        help="5: about 250 km² per hexagon, 6: 36 km², 7: 5 km², 8: 0.7 km².",
    )
    shown = apply_filters(reports, filters)
    if shown.empty:
        st.info(
            f"No report matches the filters ({md_escape(filters.describe())})."
            " Widen the period or clear a filter."
        )
        st.stop()
    p = data.patterns(filters, resolution)
    st.caption(f"{len(shown):,} of {len(reports):,} reports · {md_escape(filters.describe())}")

    st.header("Surges by sector")
    if p.surges.empty:
        st.caption("No sector-day above its trailing baseline at the chosen confidence.")
    else:
        surges = p.surges.drop(columns=["report_uids"], errors="ignore")
        st.dataframe(
            readable_frame(surges, columns={"rule": "surge_model"}),
            hide_index=True,
            width="stretch",
            column_config=headings(
                surges,
                p_value=st.column_config.NumberColumn("p", format="%.2g"),
                start=st.column_config.DatetimeColumn(column_label("start"), format="YYYY-MM-DD"),
                end=st.column_config.DatetimeColumn(column_label("end"), format="YYYY-MM-DD"),
                baseline=st.column_config.NumberColumn(column_label("baseline"), format="%.1f"),
                rule=st.column_config.TextColumn(column_label("surge_model")),
            ),
        )
    sectors = p.daily["sector"].unique().tolist()
    flagged = set(p.daily.loc[p.daily["surge"], "sector"])
    for sector in sorted(sectors, key=lambda s: (s not in flagged, str(s))):
        label = f"{md_escape(sector)}{' · surge' if sector in flagged else ''}"
        with st.expander(label, expanded=sector in flagged):
            st.altair_chart(charts.surge_chart(p.daily.loc[p.daily["sector"] == sector]), width="stretch")

    st.header("Hotspots and space-time clusters")
    hot = p.hotspots.loc[p.hotspots["level"].astype(str) != ""]
    st.caption(
        f"{(hot['level'].str.startswith('hot')).sum()} hot and {(hot['level'].str.startswith('cold')).sum()} cold "
        f"cells (Gi*, false-discovery-rate adjusted) of {len(p.hotspots)}; "
        f"{int(p.clusters['significant'].sum()) if len(p.clusters) else 0} significant clusters. "
        "Click a coloured hexagon or a cluster to list its reports."
    )
    m = pattern_map(
        p.hotspots,
        p.clusters,
        data.scenario(),
        settings=data.settings(),
        at=filters.end,
        bounds=bounds_latlon(shown.total_bounds),
        title=filters.describe(),
    )
    out = st_folium(
        m,
        key=keys.PATTERNS_MAP,
        returned_objects=["last_object_clicked"],
        use_container_width=True,
        height=560,
    )
    picked = clicked_pattern(
        (out or {}).get("last_object_clicked"), p.hotspots, p.clusters, resolution=resolution
    )
    st.subheader("Clusters")
    table = p.clusters.drop(columns=["geometry", "report_uids"], errors="ignore")
    selection = st.dataframe(
        readable_frame(table),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=keys.PATTERNS_CLUSTERS,
        column_config=headings(table, p_value=st.column_config.NumberColumn("p", format="%.3f"))
        | {
            c: st.column_config.DatetimeColumn(column_label(c), format="YYYY-MM-DD HH:mm")
            for c in CLUSTER_TIMES
        },
    )
    rows = selection.selection.rows if selection else []
    if rows and rows[0] < len(p.clusters):  # a selection kept from other filters may point past the end
        picked = ("cluster", str(p.clusters["cluster_id"].iloc[rows[0]]))
    if picked:
        kind, ident = picked
        if kind == "cluster":
            uids = p.clusters.loc[p.clusters["cluster_id"].astype(str) == ident, "report_uids"].iloc[0]
        else:
            uids = uids_in_cells(shown, [ident], resolution)
        members = shown.loc[shown["uid"].isin(list(uids))]
        st.session_state[keys.PATTERNS_SELECTED] = (kind, ident, len(members))
        st.subheader(f"Reports of {kind} {md_escape(ident)} ({len(members):,})")
        columns = ["uid", "occurred_at", "type", "weapon", "source", "flag_level", "side", "sector"]
        listed = members[[c for c in columns if c in members]]
        st.dataframe(readable_frame(listed), hide_index=True, width="stretch", column_config=headings(listed))

    st.header("Distance profiles")
    if not p.distance.empty:
        st.altair_chart(charts.profile_chart(p.distance))
    st.subheader("Reports inside each zone against the area it covers")
    st.dataframe(
        readable_frame(p.zones, columns={"kind": "zone_kind"}),
        hide_index=True,
        width="stretch",
        column_config=headings(
            p.zones,
            share_reports=st.column_config.NumberColumn(column_label("share_reports"), format="percent"),
            share_area=st.column_config.NumberColumn(column_label("share_area"), format="percent"),
            ratio=st.column_config.NumberColumn(column_label("ratio"), format="%.1f"),
        ),
    )
