"""The events flagged likely or possible, as dashed circles coloured by flag level."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from geo.maps import style
from geo.maps.features import escape_series, frame_features

EVENT_STYLES = tuple(
    {"radius": 11, "color": style.FLAG_COLOURS[level], "weight": 3, "fill": False, "dashArray": "4 3"}
    for level in ("likely", "possible")
)


def event_layer(events: gpd.GeoDataFrame) -> dict[str, Any]:
    """Return the events flagged likely or possible as circles coloured by level (``s`` indexes
    :data:`EVENT_STYLES`), with a tooltip."""
    flagged = events.loc[events["flag_level"].isin(["likely", "possible"]) & events.geometry.notna()]
    side = flagged["attributed_side"].astype("string").fillna("undetermined")
    tip = (
        "Event "
        + flagged["event_id"].astype(str)
        + ": "
        + flagged["flag_level"].astype(str)
        + " violation (score "
        + flagged["violation_score"].map("{:.2f}".format).astype("string")
        + "), attributed to "
        + side.map(lambda v: style.SIDE_LABELS.get(v, v))
    )
    properties = pd.DataFrame(
        {
            "event_id": flagged["event_id"].astype(str).to_numpy(),
            "s": (flagged["flag_level"] == "possible").astype(int).to_numpy(),  # into EVENT_STYLES
            "tip": escape_series(tip).to_numpy(),
        }
    )
    return frame_features(flagged, properties)
