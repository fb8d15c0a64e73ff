"""The control areas as drawn: Ukrainian-held ground, occupied ground and Russia's own, told apart."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from geo.maps import style
from geo.maps.legend import LegendEntry
from geo.scenario import Scenario
from geo.text import escape_text

# (side, kind) -> words; a file without kinds draws each side as before.
GROUND_LABELS: dict[tuple[str, str], str] = {
    ("UA", "state"): "Ukrainian-held",
    ("RU", "occupied"): "Occupied (Russian-held)",
    ("RU", "state"): "Russia (Russian-held)",
    ("UA", "occupied"): "Ukrainian-held beyond its border",
}
# A state's own ground behind the line is drawn fainter and without an outline, so that the ground
# held across a border (occupied) stands out; occupied ground is outlined in the side's colour.
STATE_BEHIND = {"weight": 0, "fillOpacity": style.CONTROL_FILL_OPACITY / 3}


def _style(side: str, kind: str) -> dict[str, Any]:
    colour = style.SIDE_COLOURS.get(side, style.MISSING_COLOUR)
    base = {"color": colour, "fillColor": colour, "weight": 0.5, "fillOpacity": style.CONTROL_FILL_OPACITY}
    if side == "RU" and kind == "state":
        base |= STATE_BEHIND
    elif kind == "occupied":
        base |= {"weight": 1.0}
    return base


def control_ground(scenario: Scenario, version: str | None) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The control areas of ``version`` as the scenario file draws them, and their feature properties.

    Properties: ``side``, ``kind`` (``state``, ``occupied`` or empty), ``style`` (Leaflet path
    options) and ``tip`` (escaped words: "Occupied (Russian-held) control area").
    """
    areas = scenario.ground if scenario.ground is not None else scenario.control_areas.assign(kind="")
    areas = areas.loc[areas["version"] == version] if version is not None else areas.iloc[:0]
    sides, kinds = areas["side"].astype(str).to_numpy(), areas["kind"].astype(str).to_numpy()
    words = [
        GROUND_LABELS.get((s, k), style.SIDE_LABELS.get(s, s)) + " (control area)"
        for s, k in zip(sides, kinds, strict=True)
    ]
    props = pd.DataFrame(
        {
            "side": sides,
            "kind": kinds,
            "style": [_style(s, k) for s, k in zip(sides, kinds, strict=True)],
            "tip": [escape_text(w) for w in words],
        }
    )
    return areas, props


def ground_legend(features: list[dict[str, Any]]) -> list[LegendEntry]:
    """Legend entries of the control areas drawn, one per side and kind, Ukrainian-held first."""
    drawn = {(f["properties"]["side"], f["properties"].get("kind", "")) for f in features}
    order = [("UA", "state"), ("UA", ""), ("RU", "occupied"), ("RU", ""), ("RU", "state"), ("UA", "occupied")]
    return [
        LegendEntry(
            f"{GROUND_LABELS.get(key, style.SIDE_LABELS[key[0]])} area", style.SIDE_COLOURS[key[0]], "area"
        )
        for key in order
        if key in drawn
    ]
