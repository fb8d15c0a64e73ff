"""The Zones page's helpers: the zone form filled from the zone picked, and what its map drew (for tests)."""

from __future__ import annotations

import streamlit as st

from geo.scenario import ZONE_KINDS
from ui import keys


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
