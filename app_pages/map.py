"""Map: incidents over the contact line, control areas and zones, filtered in the sidebar and shared by URL."""

import streamlit as st
from streamlit_folium import st_folium

from geo.attribution import origin_sectors
from geo.filters import apply_filters
from geo.maps import clicked_uid, incident_map
from geo.maps.origin import origin_layer
from geo.maps.style import COLOUR_SCHEMES
from ui import data, keys
from ui.errors import user_errors
from ui.filters import sidebar_filters

st.title("Map")

with user_errors("drawing the map"):
    empty = data.store().count() == 0
    if empty:
        st.info("No reports yet: the map shows the scenario only. Upload a batch on the Upload page.")
        reports = data.store().incidents()
    else:
        reports, _ = data.analysis()
    filters = sidebar_filters(reports)
    shown = apply_filters(reports, filters)
    schemes = [c for c in COLOUR_SCHEMES if COLOUR_SCHEMES[c][0] in reports.columns]
    default = schemes.index("flag_level") if "flag_level" in schemes else 0
    colour_by = st.sidebar.selectbox("Colour by", schemes, index=default, key=keys.MAP_COLOUR)
    if not empty and shown.empty:
        st.info(f"No report matches the filters ({filters.describe()}). Widen the period or clear a filter.")
    st.caption(f"{len(shown):,} of {len(reports):,} reports · {filters.describe()}")
    selected = st.session_state.get(keys.SELECTED_UID)
    m = incident_map(
        shown,
        data.scenario(),
        settings=data.settings(),
        colour_by=colour_by,
        selected_uid=selected,
        at=filters.end,
        title=filters.describe(),
    )
    chosen = shown.loc[shown["uid"] == selected] if selected else shown.iloc[:0]
    if len(chosen) and "origin_method" in chosen and chosen["origin_method"].iloc[0] != "none":
        group = chosen["origin_group"].iloc[0]
        members = chosen if group is None else shown.loc[shown["origin_group"] == group]
        origin_layer(origin_sectors(members, control_areas=data.scenario().control_areas)).add_to(m)
    layers = m.cm_layers
    st.session_state[keys.MAP_INCIDENT_COUNT] = len(layers.incidents.data["features"])
    st.session_state[keys.MAP_CONTEXT_COUNTS] = {
        "line": len(layers.line["features"]),
        "control_areas": len(layers.control_areas["features"]),
        "zones": sum(len(z["features"]) for z in layers.zones.values()),
        "posts": len(layers.posts["features"]),
    }
    out = st_folium(
        m, key=keys.MAP, returned_objects=["last_object_clicked"], use_container_width=True, height=650
    )
    uid = clicked_uid(m.cm_layers, (out or {}).get("last_object_clicked"))
    if uid and uid != selected:
        st.session_state[keys.SELECTED_UID] = uid
        st.rerun()
    if len(chosen):
        row = chosen.iloc[0]
        st.subheader(f"{row['source']} · {row['id']} · {row.get('flag_level', '')}")
        for reason in row.get("reasons", None) or []:
            st.markdown(f"- **{reason['code']}** ({reason['weight']:.2f}): {reason['sentence']}")
        st.dataframe(row.drop(labels=["geometry", "reasons"], errors="ignore").astype(str).rename("value"))
