"""Interactive charts of the app (Vega-Lite through Altair, which Streamlit ships)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from geo import palette


def surge_chart(daily: pd.DataFrame) -> alt.Chart:
    """Counts per day for one sector, its trailing baseline and upper band, flagged days marked.

    Parameters
    ----------
    daily
        Rows of :attr:`geo.patterns.Patterns.daily` for one sector.
    """
    frame = daily.assign(day=daily["day"].dt.tz_localize(None), lower=0.0)
    base = alt.Chart(frame).encode(x=alt.X("day:T", title="Day (UTC)"))
    band = base.mark_area(opacity=0.25, color=palette.CHART_BASELINE).encode(
        y=alt.Y("lower:Q", title="Reports per day"), y2="upper:Q"
    )
    baseline = base.mark_line(color=palette.CHART_BASELINE, strokeDash=[4, 3]).encode(y="baseline:Q")
    counts = base.mark_line(color=palette.CHART_SERIES, point=True).encode(
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
        .mark_point(size=160, shape="triangle-up", filled=True, color=palette.CHART_ALERT)
        .encode(y="count:Q")
    )
    return (band + baseline + counts + flagged).properties(height=180)


def profile_chart(distance: pd.DataFrame) -> alt.Chart:
    """Reports by distance band to the line, per side (stacked by type)."""
    frame = distance.assign(
        band=distance["from_km"].map("{:g}".format) + "-" + distance["to_km"].map("{:g}".format) + " km"
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
                scale=alt.Scale(domain=list(palette.TYPE_COLOURS), range=list(palette.TYPE_COLOURS.values())),
            ),
            column=alt.Column("side:N", title="Side"),
            tooltip=["side", "type", "band", "count"],
        )
        .properties(height=220, width=260)
    )
