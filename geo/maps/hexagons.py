"""Reports aggregated in H3 hexagons, drawn with their counts when too many are in view to draw one by one."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.maps import style
from geo.maps.features import frame_features
from geo.maps.legend import LegendEntry, LegendSection


def hexagon_layer(hexagons: gpd.GeoDataFrame, *, colour_by: str) -> tuple[dict[str, Any], LegendSection]:
    """Return aggregated reports as styled hexagons and their legend section.

    Parameters
    ----------
    hexagons
        Output of :meth:`geo.maps.aggregate.HexIndex.counts`: ``cell``, ``count`` and, when the
        reports were analysed, a count per flag level and ``worst``.
    colour_by
        With ``flag_level`` each hexagon is outlined in the colour of the worst level inside.
    """
    counts = hexagons["count"].to_numpy()
    top = max(int(counts.max()) if len(counts) else 1, 1)
    # Classes on a log scale: a hexagon of 1 and one of 1,000 must both read.
    n_classes = len(style.HEX_COUNT_COLOURS)
    edges = np.unique(np.round(np.geomspace(1, top + 1, n_classes + 1)).astype(int))
    klass = np.clip(np.searchsorted(edges, counts, side="right") - 1, 0, n_classes - 1)
    fill = np.asarray(style.HEX_COUNT_COLOURS)[klass]
    by_flag = colour_by == "flag_level" and "worst" in hexagons.columns
    outline = (
        hexagons["worst"].map(style.FLAG_COLOURS).fillna(style.HEX_OUTLINE).to_numpy()
        if by_flag
        else np.full(len(hexagons), style.HEX_OUTLINE)
    )
    tip = "<b>" + pd.Series(counts).map("{:,}".format) + " reports</b>"
    for level in ("likely", "possible", "unlikely"):
        if level in hexagons.columns:
            tip = tip + f"<br>{level}: " + pd.Series(hexagons[level].to_numpy()).map("{:,}".format)
    properties = pd.DataFrame(
        {
            "cell": hexagons["cell"].astype(str).to_numpy(),
            "count": counts,
            "style": [
                {
                    "color": o,
                    "weight": 2.5 if by_flag else 1,
                    "fillColor": f,
                    "fillOpacity": style.HEX_FILL_OPACITY,
                }
                for o, f in zip(outline, fill, strict=True)
            ],
            "tip": tip.to_numpy(),
        }
    )
    entries = [
        LegendEntry(f"{lo:,}" + (f" to {hi - 1:,}" if hi - 1 > lo else "") + " reports", colour, "area")
        for lo, hi, colour in zip(edges[:-1], edges[1:], style.HEX_COUNT_COLOURS, strict=False)
    ]
    if by_flag:
        entries += [
            LegendEntry(f"Outline: worst flag {style.label(level).lower()}", colour, "line")
            for level, colour in style.FLAG_COLOURS.items()
        ]
    title = f"Reports per hexagon ({int(counts.sum()):,} reports; zoom in for each report)"
    return frame_features(hexagons, properties), LegendSection(title, tuple(entries))
