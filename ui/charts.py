"""Interactive charts of the app (Vega-Lite through Altair, which Streamlit ships)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from geo.labels import label
from geo.maps import style


def surge_chart(daily: pd.DataFrame) -> alt.Chart:
    """Counts per day for one sector, its trailing baseline and upper band, flagged days marked.

    Parameters
    ----------
    daily
        Rows of :attr:`geo.patterns.Patterns.daily` for one sector.
    """
    frame = daily.assign(day=daily["day"].dt.tz_localize(None), lower=0.0)
    base = alt.Chart(frame).encode(x=alt.X("day:T", title="Day (UTC)"))
    band = base.mark_area(opacity=0.25, color=style.GREY).encode(
        y=alt.Y("lower:Q", title="Reports per day"), y2="upper:Q"
    )
    baseline = base.mark_line(color=style.GREY, strokeDash=[4, 3]).encode(y="baseline:Q")
    counts = base.mark_line(color=style.BLUE, point=True).encode(
        y="count:Q",
        tooltip=[
            alt.Tooltip("day:T", title="Day"),
            alt.Tooltip("count:Q", title="Reports"),
            alt.Tooltip("baseline:Q", title="Baseline", format=".1f"),
            alt.Tooltip("p_value:Q", title="p", format=".4f"),
        ],
    )
    flagged = (
        base.transform_filter(alt.datum.surge)
        .mark_point(size=160, shape="triangle-up", filled=True, color=style.VERMILLION)
        .encode(y="count:Q")
    )
    return (band + baseline + counts + flagged).properties(height=180)


def profile_chart(distance: pd.DataFrame) -> alt.Chart:
    """Reports by distance band to the line, per side (stacked by type)."""
    frame = distance.assign(
        band=distance["from_km"].map("{:g}".format) + "-" + distance["to_km"].map("{:g}".format) + " km",
        type=[label(t, "type") for t in distance["type"]],
        side=[label(s, "side") for s in distance["side"]],
    )
    order = frame.sort_values("from_km")["band"].unique().tolist()
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("band:N", sort=order, title="Distance to the contact line"),
            y=alt.Y("count:Q", title="Reports"),
            color=alt.Color(
                "type:N",
                title="Type",
                scale=alt.Scale(
                    domain=[label(t, "type") for t in style.TYPE_COLOURS],
                    range=list(style.TYPE_COLOURS.values()),
                ),
            ),
            column=alt.Column("side:N", title="Side"),
            tooltip=[
                alt.Tooltip("side:N", title="Side"),
                alt.Tooltip("type:N", title="Type"),
                alt.Tooltip("band:N", title="Distance"),
                alt.Tooltip("count:Q", title="Reports"),
            ],
        )
        .properties(height=220, width=260)
    )
