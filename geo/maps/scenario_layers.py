"""The scenario as map layers: the contact line in force and the earlier ones, control areas, zones, posts."""

from __future__ import annotations

from typing import Any

import pandas as pd

from geo import palette
from geo.framememo import per_object_and_key
from geo.labels import ground_label
from geo.maps import style
from geo.maps.context import ground_as_drawn
from geo.maps.features import escape_series, escaped_column, frame_features
from geo.maps.legend import LegendEntry, LegendSection
from geo.scenario import Scenario


def scenario_layers(scenario: Scenario, *, at: pd.Timestamp) -> dict[str, Any]:
    """Return the contact lines, control areas, zones and posts in force at ``at`` as FeatureCollections.

    Made once per scenario and line version, and shared: every map update drew the same scenario
    again (0.15 s a run with the demo's control areas). Read the layers; never change them.

    Parameters
    ----------
    scenario
        A :class:`geo.scenario.Scenario`.
    at
        The time whose line version and control areas are drawn (the end of the period shown).
    """
    in_force = scenario.lines["valid_from"] <= at
    version = str(scenario.lines.loc[in_force, "version"].iloc[-1]) if in_force.any() else None
    return _layers_of_version(scenario, version)


@per_object_and_key
def _layers_of_version(scenario: Scenario, version: str | None) -> dict[str, Any]:
    """:func:`scenario_layers` for the line ``version`` (None: before the first version)."""
    lines = scenario.lines
    current = (lines["version"] == version).to_numpy()
    line_tip = escape_series(
        "Contact line "
        + lines["version"].astype(str)
        + " ("
        + lines["name"].astype(str)
        + "), from "
        + lines["valid_from"].dt.strftime("%Y-%m-%d")
    ).to_numpy()
    line_props = pd.DataFrame({"version": lines["version"].to_numpy(), "tip": line_tip})
    # The control areas as the scenario file draws them (Ukrainian-held, occupied and Russia's own
    # ground where it gives a kind), one feature each; a side per feature where it does not.
    areas = scenario.ground if scenario.ground is not None else scenario.control_areas.assign(kind="")
    areas = areas.loc[areas["version"] == version] if version is not None else areas.iloc[:0]
    areas = ground_as_drawn(areas)  # a state's ground drawn to its borders, not to the scenario's box
    sides = areas["side"].astype(str).where(areas["side"].isin(list(style.CONTROL_AREA_STYLES)), "RU")
    kinds = areas["kind"].astype(str)
    area_props = pd.DataFrame(
        {
            "side": areas["side"].to_numpy(),
            "kind": kinds.to_numpy(),
            # A light neutral tint per side and kind (geo.palette): no dot is ever the colour of its ground.
            "style": [style.control_area_style(s, k) for s, k in zip(sides, kinds, strict=True)],
            "tip": escape_series(
                pd.Series(
                    [ground_label(s, k) for s, k in zip(areas["side"].astype(str), kinds, strict=True)],
                    index=areas.index,
                )
                + " (control area)"
            ).to_numpy(),
        }
    )
    zones = scenario.zones
    zone_layers = {
        kind: frame_features(
            group,
            pd.DataFrame(
                {
                    "zone_id": group["zone_id"].astype(str).to_numpy(),
                    "kind": kind,
                    "tip": escape_series(
                        group["name"].astype(str) + " (" + style.ZONE_LABELS[kind] + ")"
                    ).to_numpy(),
                }
            ),
        )
        for kind, group in zones.groupby("kind", sort=False)
        if kind in style.ZONE_STYLES
    }
    posts = scenario.posts
    side = (
        posts["side"].astype("string").fillna("none")
        if "side" in posts.columns
        else pd.Series("none", index=posts.index)
    )
    post_props = pd.DataFrame(
        {
            "post_id": posts["post_id"].astype(str).to_numpy(),
            "name": escaped_column(posts, "name"),
            "range_m": posts["range_m"].astype(float).to_numpy(),
            "side": side.to_numpy(),
            "colour": side.map(style.SIDE_COLOURS).fillna(style.POST_COLOUR).to_numpy(),
            "tip": escape_series(
                posts["name"].astype(str)
                + " ("
                + posts["post_id"].astype(str)
                + "), range "
                + (posts["range_m"].astype(float) / 1000).map("{:g}".format)
                + " km"
            ).to_numpy(),
        }
    )
    return {
        "line": frame_features(lines.loc[current], line_props.loc[current]),
        "earlier_lines": frame_features(lines.loc[~current], line_props.loc[~current]),
        "line_version": version,
        "control_areas": frame_features(areas, area_props),
        "zones": zone_layers,
        "posts": frame_features(posts, post_props),
    }


def ground_legend(features: list[dict[str, Any]]) -> list[LegendEntry]:
    """One legend entry per side and kind of the control areas drawn (their swatch as on the map)."""
    drawn = {(f["properties"]["side"], f["properties"].get("kind", "")) for f in features}
    symbol = {"occupied": "occupied", "state": "tint"}
    return [
        LegendEntry(
            f"{ground_label(side, kind)} area",
            palette.control_swatch(side, kind),
            "faint" if (side, kind) == ("RU", "state") else symbol.get(kind, "tint"),
        )
        for side, kind in style.GROUND_ORDER
        if (side, kind) in drawn
    ]


def context_legend(layers: dict[str, Any]) -> LegendSection:
    """Return the legend section of the line, control areas, zones and posts drawn when the map opens."""
    entries = []
    if layers["line_version"] is not None:
        entries.append(LegendEntry(f"Contact line {layers['line_version']}", style.BLACK, "line"))
    entries += ground_legend(layers["control_areas"]["features"])
    entries += [
        LegendEntry(style.ZONE_LABELS[kind], str(style.ZONE_STYLES[kind]["color"]), "outline")
        for kind in style.ZONE_STYLES
        # Layers that start switched off (earlier lines, post coverage zones) stay out of the legend.
        if kind in layers["zones"] and kind not in style.HIDDEN_ZONE_KINDS
    ]
    if layers["posts"]["features"]:
        entries.append(LegendEntry("Observation post and range", style.POST_COLOUR, "post"))
    return LegendSection("Scenario", tuple(entries))
