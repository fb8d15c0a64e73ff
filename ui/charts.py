"""Interactive charts of the app (Vega-Lite through Altair, which Streamlit ships)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from geo import timeline
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
                scale=alt.Scale(domain=list(style.TYPE_COLOURS), range=list(style.TYPE_COLOURS.values())),
            ),
            column=alt.Column("side:N", title="Side"),
            tooltip=["side", "type", "band", "count"],
        )
        .properties(height=220, width=260)
    )


def timeline_chart(
    counts: pd.DataFrame,
    *,
    period: tuple[pd.Timestamp, pd.Timestamp] | None,
    day: pd.Timestamp | None = None,
) -> alt.LayerChart:
    """Reports per UTC day stacked by flag level, the period shaded, the day played marked; brushable.

    ``counts`` are :func:`geo.timeline.daily_counts`; ``period`` the filters' first instant and
    the stop after their last day. The brush (an interval on the time axis, named ``brush``) is
    what the Map page reads back as a new period.
    """
    present = set(counts["flag_level"])
    levels = [level for level in (*timeline.LEVELS, timeline.NOT_ASSESSED) if level in present]
    colours = [style.FLAG_COLOURS.get(level, style.GREY) for level in levels]
    frame = counts.assign(day=counts["day"].dt.strftime("%Y-%m-%dT00:00:00Z"))
    x = alt.X("utcyearmonthdate(day):T", title="Day (UTC)", axis=alt.Axis(format="%d %b", labelOverlap=True))
    brush = alt.selection_interval(name="brush", encodings=["x"])
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("sum(reports):Q", title="Reports"),
            color=alt.Color(
                "flag_level:N",
                title="Flag level",
                scale=alt.Scale(domain=levels, range=colours),
                sort=levels,
                legend=alt.Legend(orient="top", direction="horizontal"),
            ),
            order=alt.Order("rank:Q"),
            tooltip=[
                alt.Tooltip("utcyearmonthdate(day):T", title="Day (UTC)"),
                alt.Tooltip("flag_level:N", title="Flag level"),
                alt.Tooltip("reports:Q", title="Reports"),
            ],
        )
        .transform_calculate(rank=f"indexof({levels!r}, datum.flag_level)")
        .add_params(brush)
    )
    layers = []
    if period is not None:
        shade = pd.DataFrame({"start": [period[0].isoformat()], "stop": [period[1].isoformat()]})
        layers.append(
            alt.Chart(shade).mark_rect(color=style.GREY, opacity=0.15).encode(x="start:T", x2="stop:T")
        )
    layers.append(bars)
    if day is not None:
        marked = pd.DataFrame({"day": [(day + pd.Timedelta(hours=12)).isoformat()]})
        layers.append(alt.Chart(marked).mark_rule(color=style.BLACK, strokeWidth=2).encode(x="day:T"))
    # Streamlit fits the whole chart (legend and axes too) in its height: about 110 px of bars.
    return alt.layer(*layers).properties(height=210)
