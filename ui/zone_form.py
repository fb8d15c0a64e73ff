"""The Zones page's helpers: the zone form (filled from the zone picked; saved in force or as a draft by
role), and what its map drew (for tests)."""

from __future__ import annotations

import streamlit as st

from geo.auth import allowed
from geo.labels import label
from geo.scenario import ZONE_KINDS
from geo.scenario.edits import ScenarioEdits
from ui import auth, keys
from ui.text import md_escape


def zone_form_defaults(target: str, zones, *, new: str) -> None:
    """Fill the zone form from the zone picked (``new``: a new zone); widget values may be set only
    before the widgets are drawn, and only when the pick changed."""
    if st.session_state.get(keys.ZONES_LAST_TARGET) == target:
        return
    st.session_state[keys.ZONES_LAST_TARGET] = target
    st.session_state.pop(keys.ZONES_DRAWING, None)
    row = zones.loc[zones["zone_id"] == target].iloc[0] if target != new else None
    st.session_state[keys.ZONES_ZONE_ID] = "" if row is None else str(row["zone_id"])
    st.session_state[keys.ZONES_ZONE_KIND] = ZONE_KINDS[1] if row is None else str(row["kind"])
    st.session_state[keys.ZONES_ZONE_NAME] = "" if row is None else str(row["name"])


def record_zone_map(m, change) -> None:
    """Keep what the zone map drew in the session: its line version, zones, control areas and change."""
    st.session_state[keys.ZONES_MAP_LAYERS] = {
        "line_version": m.cm_layers.line_version,
        "zones": sum(len(z["features"]) for z in m.cm_layers.zones.values()),
        "control_areas": len(m.cm_layers.control_areas["features"]),
        "change": None if change is None else (change.old, change.new),
    }


def publishes_zones() -> bool:
    """Whether the signed-in user's zone saves come into force (an admin) or are kept as drafts."""
    return allowed(auth.current_user(), "publish_zone")


def zone_actions(edits: ScenarioEdits, target: str, *, new: str, drawing, editing) -> None:
    """The zone form under the map: id, kind, name and note; Save, and Remove for a zone in force.

    An admin's save or removal comes into force at once (the admin is the one who would publish it:
    a draft then its publishing would record the same decision twice); an analyst's is kept as a
    draft (:meth:`geo.scenario.edits.ScenarioEdits.save_zone_draft`) for an admin to publish. The
    author recorded is the acting user (:func:`geo.audit.current_actor`), never a name typed in.
    """
    publish = publishes_zones()
    z1, z2, z3 = st.columns([1, 1, 2])
    zone_id = z1.text_input("Zone id", key=keys.ZONES_ZONE_ID, disabled=target != new)
    kind = z2.selectbox(
        "Kind", ZONE_KINDS, key=keys.ZONES_ZONE_KIND, format_func=lambda k: label(k, "zone_kind")
    )
    name = z3.text_input("Name", key=keys.ZONES_ZONE_NAME)
    note = st.text_input("Note (why; recorded with the edit)", key=keys.ZONES_ZONE_NOTE)
    if drawing is None and target == new:
        st.caption("Nothing drawn yet.")
    elif drawing is None:
        st.caption("The zone's shape is unchanged; saving records its new kind or name.")
    if not publish:
        st.caption(
            "Your zones are kept as drafts: an admin publishes them; until then the analysis does not use them."
        )
    button = "Save zone" if publish else "Save as draft"
    if st.button(
        button, key=keys.ZONES_ZONE_SAVE, type="primary", disabled=drawing is None and target == new
    ):
        shape = drawing if drawing is not None else editing.__geo_interface__
        args = {"zone_id": zone_id, "kind": kind, "name": name, "replace": target != new, "note": note}
        if publish:
            edit = edits.save_zone(shape, **args)
            done = f"Saved zone {md_escape(edit.label)} (edit {edit.seq}); the analysis uses it now."
        else:
            edit = edits.save_zone_draft(shape, **args)
            done = (
                f"Saved zone {md_escape(edit.label)} as draft {edit.seq}: an admin publishes it or discards"
                " it; the analysis does not use it until then."
            )
        st.session_state.pop(keys.ZONES_DRAWING, None)
        st.session_state[keys.ZONES_RESULT] = done
        st.rerun()
    if target != new:
        sure = st.checkbox(
            f"Take zone {md_escape(target)} out of force (its history is kept)",
            key=f"{keys.ZONES_REMOVE_CONFIRM}_{target}",
        )
        if st.button(
            "Remove zone" if publish else "Propose removal (draft)",
            key=keys.ZONES_ZONE_REMOVE,
            disabled=not sure,
        ):
            if publish:
                edit = edits.remove_zone(target, note=note)
                done = f"Removed zone {md_escape(target)} (edit {edit.seq})."
            else:
                edit = edits.remove_zone_draft(target, note=note)
                done = f"Kept the removal of zone {md_escape(target)} as draft {edit.seq}, for an admin to publish."
            st.session_state[keys.ZONES_RESULT] = done
            st.rerun()
