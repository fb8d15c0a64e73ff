"""Summaries for the Overview page: figures per period, reports by type, likely violations by sector and side.

Every figure is a :mod:`geo.counts` figure of a :mod:`geo.periods` preset (whole UTC days back
from the latest report's day), so that the Overview's "Last 7 days" is the Briefing's.
"""

from __future__ import annotations

import pandas as pd

from geo.counts import (
    SIDES,
    UNDETERMINED,
    Figures,
    figures,
    likely,
    likely_by_sector_and_side,
    sector_of,
    view_events,
)
from geo.filters import Filters, filter_mask
from geo.labels import probability_percent
from geo.patterns.params import NO_SECTOR
from geo.periods import PRESETS, Period, presets
from geo.pipeline import Analysis, explained

# The periods of the Overview's headline figures: the presets but the whole record.
HEADLINE_PERIODS = tuple(label for label, days in PRESETS.items() if days is not None)
# The period of the sector tables and the headline metrics of events.
MONTH = "Last 30 days"
WEEK = "Last 7 days"
LATEST = "Latest day"


def periods(reports: pd.DataFrame) -> dict[str, Period]:
    """The presets' periods over these reports, by label (empty when there is no report)."""
    return presets(reports["occurred_at"])


def period_figures(reports: pd.DataFrame, events: pd.DataFrame) -> dict[str, tuple[Period, Figures]]:
    """Each headline period with its figures (:func:`geo.counts.figures`), by label."""
    return {
        label: (period, figures(reports, events, Filters.for_period(period)))
        for label, period in periods(reports).items()
        if label in HEADLINE_PERIODS
    }


def headline(reports: pd.DataFrame, events: pd.DataFrame) -> list[tuple[str, int, str | None]]:
    """Return (label, value, note) for the headline metrics: the figures of :func:`headline_table`."""
    found = period_figures(reports, events)
    if not found:
        return [("Reports", 0, None)]
    day, week, month = (found[label][1] for label in (LATEST, WEEK, MONTH))
    out: list[tuple[str, int, str | None]] = [
        ("Reports, latest day", day.reports, None),
        ("Reports, last 7 days", week.reports, None),
        ("Events, last 30 days", month.events, None),
        ("Likely violations, last 30 days", month.likely, None),
    ]
    out += [(f"Likely, attributed {side}, last 30 days", month.likely_by_side[side], None) for side in SIDES]
    return out


def headline_table(reports: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Reports, events and likely violations (events) by attributed side, one column per headline period."""
    columns = {}
    for label, (_, got) in period_figures(reports, events).items():
        columns[label] = {
            "Reports": got.reports,
            "Events": got.events,
            "Likely violations (events)": got.likely,
            **{f"Likely, attributed {side}": got.likely_by_side[side] for side in SIDES},
            "Likely, side undetermined": got.likely_by_side[UNDETERMINED],
        }
    return pd.DataFrame(columns)


def periods_caption(reports: pd.DataFrame) -> str:
    """The headline periods' days in words, and what each count dates by."""
    days = "; ".join(
        f"{label}: {p.describe()}" for label, p in periods(reports).items() if label in HEADLINE_PERIODS
    )
    return (
        f"Whole UTC days back from the latest report's day. {days}. "
        "Reports are counted by their own time; events and likely violations by the event's time "
        "(the median of its reports' times), each event once."
    )


def reports_by_type(reports: pd.DataFrame) -> pd.DataFrame:
    """Count reports per type in each preset period (by the report's time)."""
    found = periods(reports)
    if not found:
        return pd.DataFrame()
    table = pd.DataFrame(
        {
            label: reports.loc[filter_mask(reports, Filters.for_period(period)), "type"].value_counts()
            for label, period in found.items()
        }
    )
    return table.fillna(0).astype(int).sort_values(list(found)[-1], ascending=False)


def violations_by_side_and_sector(
    reports: pd.DataFrame, events: pd.DataFrame, period: Period
) -> pd.DataFrame:
    """Likely violations (events) per sector and attributed side in ``period``, with totals."""
    return likely_by_sector_and_side(reports, events, Filters.for_period(period))


def sector_trends(reports: pd.DataFrame, events: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Per sector: reports per day of ``period`` and likely violations (events) in it.

    Columns ``sector``, ``reports`` (reports in the sector by their own time and sector),
    ``likely`` (likely-violation events in the sector by the event's time and sector: the same
    count as :func:`violations_by_side_and_sector`), ``daily`` (reports per day, oldest first, for a
    sparkline); most reports first.
    """
    columns = ["sector", "reports", "likely", "daily"]
    if reports.empty or "sector" not in reports:
        return pd.DataFrame(columns=columns)
    recent = reports.loc[filter_mask(reports, Filters.for_period(period))]
    day = ((recent["occurred_at"] - period.start) // pd.Timedelta(days=1)).to_numpy()
    sector = recent["sector"].astype(object).where(recent["sector"].notna(), NO_SECTOR)
    daily = pd.crosstab(sector.to_numpy(), day).reindex(columns=range(period.days), fill_value=0)
    found = likely(view_events(reports, events, Filters.for_period(period)))["sector"].value_counts()
    names = sorted(set(daily.index) | set(found.index))
    daily = daily.reindex(names, fill_value=0)
    table = pd.DataFrame(
        {
            "sector": names,
            "reports": daily.sum(axis=1).to_numpy(),
            "likely": found.reindex(names, fill_value=0).to_numpy(),
            "daily": daily.to_numpy().tolist(),
        },
        columns=columns,
    )
    return table.sort_values("reports", ascending=False, kind="stable").reset_index(drop=True)


def latest_flagged(analysis: Analysis, *, n: int = 15) -> pd.DataFrame:
    """The newest likely violations (events) with their sector, side, score and the rule reasons in words."""
    reports = analysis.reports
    newest = explained(likely(analysis.events).sort_values("occurred_at", ascending=False).head(n), analysis)
    rules = newest["reasons"].map(lambda rs: " · ".join(r["sentence"] for r in rs if r["kind"] == "rule"))
    return pd.DataFrame(
        {
            "occurred_at": newest["occurred_at"].to_numpy(),
            "sector": sector_of(reports, newest).to_numpy(),
            "type": newest["type"].to_numpy(),
            "weapon": newest["weapon"].to_numpy(),
            "side": [
                side if pd.isna(p) else f"{side} ({probability_percent(p)})"
                for side, p in zip(newest["attributed_side"], newest["attributed_side_p"], strict=True)
            ],
            "score": newest["violation_score"].round(2).to_numpy(),
            "sources": newest["n_sources"].to_numpy(),
            "reasons": rules.to_numpy(),
        }
    )
