"""The Zones page's open zone drafts: who drew each, when and why; Publish or Discard for an admin.

An admin sees every open draft; an analyst only their own (the drafts of the acting user,
:func:`geo.audit.current_actor`, the name the draft was recorded under); a viewer none.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.audit import current_actor
from geo.auth import allowed
from geo.scenario.edits import ZONE_REMOVED, Draft, ScenarioEdits
from ui import auth, keys
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
