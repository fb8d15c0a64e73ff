"""The Zones page's open zone drafts: who drew each, when and why; Publish or Discard for an admin.

An admin sees every open draft; an analyst only their own (the drafts of the acting user,
:func:`geo.audit.current_actor`, the name the draft was recorded under); a viewer none.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from shapely.geometry import shape
from streamlit_folium import st_folium

from geo.audit import current_actor
from geo.auth import allowed
from geo.labels import label
from geo.maps.zone_editor import zone_map
from geo.scenario.edits import ZONE_REMOVED, Draft, ScenarioEdits
from ui import auth, data, keys
from ui.text import md_escape, plain, plain_frame


def _proposes(d: Draft) -> str:
    if d.proposes == ZONE_REMOVED:
        return "take out of force"
    return "revise" if d.replace else "new zone"


def drafts_table(drafts: list[Draft]) -> pd.DataFrame:
    """The drafts as the page lists them: number, zone, what it proposes, by whom, when (UTC), note."""
    rows = [(d.seq, d.zone_id, _proposes(d), d.author, d.at, d.note) for d in drafts]
    return pd.DataFrame(rows, columns=["draft", "zone", "proposes", "by", "at (UTC)", "note"])


def show_drafts(edits: ScenarioEdits) -> None:
    """List the open zone drafts the user may see; an admin publishes or discards the one picked."""
    user = auth.current_user()
    admin = allowed(user, "publish_zone")
    if not admin and not allowed(user, "draft_zone"):
        return
    drafts = edits.drafts(author=None if admin else current_actor())
    st.subheader("Zone drafts" if admin else "Your zone drafts")
    if not drafts:
        st.caption("No zone draft is open." if admin else "None of your zone drafts is open.")
        return
    st.dataframe(plain_frame(drafts_table(drafts)), hide_index=True, width="stretch")
    if not admin:
        st.caption("An admin publishes or discards each; until then the analysis does not use it.")
        return
    by_seq = {d.seq: d for d in drafts}
    pick = st.selectbox(
        "Draft",
        list(by_seq),
        key=keys.ZONES_DRAFT_PICK,
        format_func=lambda s: plain(
            f"{s}: zone {by_seq[s].zone_id} ({_proposes(by_seq[s])}) by {by_seq[s].author}"
        ),
    )
    _preview(by_seq[pick])
    note = st.text_input("Note (why; recorded with the publishing or discarding)", key=keys.ZONES_DRAFT_NOTE)
    c1, c2 = st.columns(2)
    if c1.button("Publish draft", key=keys.ZONES_DRAFT_PUBLISH, type="primary", disabled=pick is None):
        edit = edits.publish_draft(pick, note=note)
        st.session_state[keys.ZONES_RESULT] = (
            f"Published draft {pick}: zone {md_escape(edit.label)} (edit {edit.seq}); the analysis uses it now."
        )
        st.rerun()
    if c2.button("Discard draft", key=keys.ZONES_DRAFT_DISCARD, disabled=pick is None):
        edits.discard_draft(pick, note=note)
        st.session_state[keys.ZONES_RESULT] = f"Discarded draft {pick} (it stays in the edit history)."
        st.rerun()


def _preview(d: Draft) -> None:
    """What the admin is asked to publish: the draft's zone on the latest line, fitted to it (a
    removal names the zone). The map only shows: what it returns is not read."""
    if d.feature is None:
        st.caption(f"Draft {d.seq} proposes to take zone {md_escape(d.zone_id)} out of force.")
        return
    props = d.feature["properties"]
    st.caption(
        f"Draft {d.seq}: zone {md_escape(d.zone_id)}, {md_escape(str(props['name']))} "
        f"({label(str(props['kind']), 'zone_kind')}), drawn by {md_escape(d.author)} at "
        f"{d.at:%Y-%m-%d %H:%M} UTC; shown below in the drawing layer over the zones in force."
    )
    scenario = data.scenario()
    latest = scenario.lines.sort_values("valid_from")["version"].iloc[-1]
    geom = shape(d.feature["geometry"])
    m = zone_map(scenario, settings=data.settings(), version=latest, editing=geom)
    x0, y0, x1, y1 = geom.bounds
    m.fit_bounds([[y0, x0], [y1, x1]], max_zoom=13)
    st_folium(
        m, key=f"{keys.ZONES_DRAFT_MAP}-{d.seq}", returned_objects=[], use_container_width=True, height=380
    )
