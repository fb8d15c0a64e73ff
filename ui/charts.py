"""Interactive charts of the app (Vega-Lite through Altair, which Streamlit ships)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from geo import palette, timeline
from geo.labels import distance_band, label

# A day-by-day timeline this short labels its axis by day and month ("09 Oct").
SHORT_TIMELINE_DAYS = 92


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
    """Reports by distance band to the line, per side (stacked by type), the legend under the sides.

    Three sides of 240 px and the legend beside them were 1,000 px: wider than the main column at
    1366 px (about 900), which cut the legend's words off.
    """
    frame = distance.assign(
        band=[distance_band(a, b) for a, b in zip(distance["from_km"], distance["to_km"], strict=True)],
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
                    domain=[label(t, "type") for t in palette.TYPE_COLOURS],
                    range=list(palette.TYPE_COLOURS.values()),
                ),
                legend=alt.Legend(orient="bottom", direction="horizontal", columns=5),
            ),
            column=alt.Column("side:N", title="Side"),
            tooltip=[
                alt.Tooltip("side:N", title="Side"),
                alt.Tooltip("type:N", title="Type"),
                alt.Tooltip("band:N", title="Distance"),
                alt.Tooltip("count:Q", title="Reports"),
            ],
        )
        .properties(height=220, width=240)
    )


def timeline_chart(
    bars: timeline.Bars,
    *,
    period: tuple[pd.Timestamp, pd.Timestamp] | None,
    day: pd.Timestamp | None = None,
) -> alt.LayerChart:
    """Reports per bar (a UTC day, week or month) stacked by flag level, the period shaded, the day
    played marked; brushable.

    ``bars`` are :func:`geo.timeline.binned`; ``period`` the filters' first instant and the stop
    after their last day. Each bar spans its days on a UTC time axis (from ``From`` to ``To``), so
    the period and the day played fall where their days do in any unit. The brush (an interval on
    the time axis, named ``brush``) is what the Map page reads back as a new period.
    """
    counts, unit = bars.counts, bars.unit
    present = set(counts["flag_level"])
    levels = [level for level in (*timeline.LEVELS, timeline.NOT_ASSESSED) if level in present]
    words = {level: label(level, "flag_level").capitalize() for level in levels}
    colours = [palette.FLAG_COLOURS.get(level, palette.NOT_ASSESSED) for level in levels]
    title, named = timeline.unit_title(unit), label(unit, "time_precision")
    # Field names and values as a person reads them (the chart's data is what its tooltips show).
    frame = pd.DataFrame(
        {
            "From": counts["start"].dt.strftime("%Y-%m-%dT00:00:00Z"),
            "To": counts["stop"].dt.strftime("%Y-%m-%dT00:00:00Z"),
            named: timeline.bar_names(counts["start"], unit),
            "Flag level": counts["flag_level"].map(words),
            "Reports": counts["reports"],
        }
    )
    # Every label names its year but over a month or two of days (Vega's own labels name it only on
    # a January tick, which the labels' overlap may drop).
    if unit == "day":
        short = (bars.last - bars.first).days <= SHORT_TIMELINE_DAYS
        label_format = "%d %b" if short else "%d %b %Y"
    else:
        label_format = "%Y" if unit == "year" else "%b %Y"
    axis = alt.Axis(format=label_format, labelOverlap=True)
    utc = alt.Scale(type="utc")
    x = alt.X("From:T", title=title, scale=utc, axis=axis)
    brush = alt.selection_interval(name="brush", encodings=["x"])
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=x,
            x2="To:T",
            y=alt.Y("sum(Reports):Q", title="Reports"),
            color=alt.Color(
                "Flag level:N",
                title="Flag level",
                scale=alt.Scale(domain=list(words.values()), range=colours),
                sort=list(words.values()),
                legend=alt.Legend(orient="top", direction="horizontal"),
            ),
            order=alt.Order("Rank:Q"),
            tooltip=[
                alt.Tooltip(f"{named}:N", title=title),
                alt.Tooltip("Flag level:N"),
                alt.Tooltip("Reports:Q"),
            ],
        )
        .transform_calculate(Rank=f"indexof({list(words.values())!r}, datum['Flag level'])")
        .add_params(brush)
    )
    layers = []
    if period is not None:
        shade = pd.DataFrame({"Period from": [period[0].isoformat()], "Period to": [period[1].isoformat()]})
        layers.append(
            alt.Chart(shade)
            .mark_rect(color=palette.MID_GREY, opacity=0.15)
            .encode(x=alt.X("Period from:T", scale=utc), x2="Period to:T")
        )
    layers.append(chart)
    if day is not None:
        marked = pd.DataFrame({"Day played": [(day + pd.Timedelta(hours=12)).isoformat()]})
        layers.append(
            alt.Chart(marked)
            .mark_rule(color=palette.INK, strokeWidth=2)
            .encode(x=alt.X("Day played:T", scale=utc))
        )
    # Streamlit fits the whole chart (legend and axes too) in its height: about 110 px of bars.
    return alt.layer(*layers).properties(height=210)
