"""Zones and agreement: line versions and their change, control areas and zones, drawing a zone, a new line
version, and the agreement's terms in force."""

import streamlit as st
from streamlit_folium import st_folium

from geo.maps.zone_editor import drawn_geometry, zone_map
from geo.scenario.line_change import line_change
from ui import data, keys
from ui.agreement import show_agreement
from ui.auth import gate
from ui.drafts import show_drafts
from ui.errors import user_errors
from ui.text import md_escape, plain, plain_frame
from ui.zone_form import record_zone_map, zone_actions, zone_form_defaults

NEW = "New zone"

st.title("Zones and agreement")
done = st.session_state.pop(keys.ZONES_RESULT, None)
if done:
    st.success(done)
# A line version just added is shown; widget values may be set only before the widgets are drawn.
added = st.session_state.pop(keys.ZONES_SHOW_VERSION, None)
if added:
    st.session_state[keys.ZONES_VERSION] = added
    st.session_state[keys.ZONES_COMPARE] = None


edits = None
with user_errors("drawing the line versions and zones"):
    scenario, edits = data.scenario(), data.scenario_edits()
    lines = scenario.lines
    labels = {
        v: f"{v} · from {t:%Y-%m-%d %H:%M} UTC"
        for v, t in zip(lines["version"], lines["valid_from"], strict=True)
    }
    versions = list(labels)
    c1, c2 = st.columns(2)
    version = c1.selectbox(
        "Line version", versions, index=len(versions) - 1, format_func=labels.get, key=keys.ZONES_VERSION
    )
    others = [v for v in versions if v != version]
    compare = c2.selectbox(
        "Show the change from", others, index=None, format_func=labels.get, key=keys.ZONES_COMPARE,
        placeholder="Pick another version to compare",
    )  # fmt: skip
    change = line_change(scenario, compare, version) if compare else None
    if change is not None:
        st.dataframe(plain_frame(change.summary()), hide_index=True)

    st.subheader("Draw or edit a zone")
    zones = scenario.zones
    target = st.selectbox(
        "Zone", [NEW, *zones["zone_id"].astype(str)], key=keys.ZONES_TARGET, format_func=plain
    )
    zone_form_defaults(target, zones, new=NEW)
    editing = zones.loc[zones["zone_id"] == target].geometry.iloc[0] if target != NEW else None
    st.caption(
        "Draw a polygon or rectangle with the tools at the top right of the map"
        + (
            ", or move the vertices of the zone (edit tool), then save."
            if editing is not None
            else ", then save."
        )
    )
    m = zone_map(scenario, settings=data.settings(), version=version, change=change, editing=editing)
    record_zone_map(m, change)
    # A new key after each edit or another zone picked: the map starts without the old drawings.
    out = st_folium(
        m,
        key=f"{keys.ZONES_MAP}-{len(edits.edits())}-{target}",
        returned_objects=["all_drawings", "last_active_drawing"],
        use_container_width=True,
        height=560,
    )
    returned = out or {}
    if returned.get("all_drawings") is not None or returned.get("last_active_drawing") is not None:
        st.session_state[keys.ZONES_DRAWING] = drawn_geometry(returned)
    if gate("draft_zone"):  # a viewer sees the zones, and which role may draw them
        zone_actions(
            edits, target, new=NEW, drawing=st.session_state.get(keys.ZONES_DRAWING), editing=editing
        )

if edits is None:  # the store's edits could not be read (said above): nothing below can work
    st.stop()

with user_errors("listing the zone drafts"):
    show_drafts(edits)

with user_errors("adding the line version"):
    st.subheader("Upload a new line version")
    st.caption(
        "One GeoJSON FeatureCollection: the line (LineString or MultiLineString) with version, valid_from "
        "and name, and one (Multi)Polygon per side with side UA or RU. See docs/SCENARIO_EDITING.md."
    )
    if gate("publish_line"):
        upload = st.file_uploader("Line version file", type=["geojson", "json"], key=keys.ZONES_LINE_FILE)
        note = st.text_input("Note (why; recorded with the edit)", key=keys.ZONES_LINE_NOTE)
        if st.button("Add line version", key=keys.ZONES_LINE_SAVE, disabled=upload is None):
            edit = edits.add_line_version(upload.getvalue(), filename=upload.name, note=note)
            st.session_state[keys.ZONES_RESULT] = (
                f"Added line version {md_escape(edit.label)} (edit {edit.seq})."
            )
            st.session_state[keys.ZONES_SHOW_VERSION] = edit.label
            st.rerun()

with user_errors("listing the edits"):
    history = edits.history()
    st.subheader("Edit history")
    if history.empty:
        st.caption("No edits yet: the committed scenario is in force.")
    else:
        st.dataframe(plain_frame(history), hide_index=True, width="stretch")

with user_errors("reading the agreement"):
    show_agreement()
