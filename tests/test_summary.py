"""The Overview's summaries on the analysed demo month, checked against direct counts."""

from __future__ import annotations

import pandas as pd

from geo.summary import (
    headline,
    headline_table,
    periods,
    reports_by_type,
    sector_trends,
    violations_by_side_and_sector,
)

MONTH_START = pd.Timestamp("2026-10-02", tz="UTC")  # the demo's latest report is on 2026-10-31
WEEK_START = pd.Timestamp("2026-10-25", tz="UTC")
STOP = pd.Timestamp("2026-11-01", tz="UTC")


def test_periods_are_whole_days_back_from_the_latest_reports_day(demo_analysis):
    found = periods(demo_analysis.reports)
    assert (found["Last 7 days"].start, found["Last 7 days"].stop) == (WEEK_START, STOP)
    assert (found["Last 30 days"].start, found["Latest day"].start) == (
        MONTH_START,
        STOP - pd.Timedelta(days=1),
    )
    assert found["Whole record"].start == pd.Timestamp("2026-10-01", tz="UTC")


def test_headline_table_counts_reports_by_their_time_and_events_by_theirs(demo_analysis):
    reports, events = demo_analysis.reports, demo_analysis.events
    table = headline_table(reports, events)
    assert list(table.columns) == ["Latest day", "Last 7 days", "Last 30 days"]
    week = (reports["occurred_at"] >= WEEK_START) & (reports["occurred_at"] < STOP)
    assert table.loc["Reports", "Last 7 days"] == int(week.sum())
    month = (events["occurred_at"] >= MONTH_START) & (events["occurred_at"] < STOP)
    assert table.loc["Events", "Last 30 days"] == int(month.sum())
    likely = events.loc[month & (events["flag_level"] == "likely")]
    assert table.loc["Likely violations (events)", "Last 30 days"] == len(likely) > 0
    sides = table.loc[["Likely, attributed RU", "Likely, attributed UA", "Likely, side undetermined"]]
    assert (sides.sum() == table.loc["Likely violations (events)"]).all()
    assert table.loc["Likely, attributed RU", "Last 30 days"] == int(
        (likely["attributed_side"] == "RU").sum()
    )
    assert (table["Latest day"] <= table["Last 7 days"]).all()
    assert (table["Last 7 days"] <= table["Last 30 days"]).all()


def test_headline_metrics_are_the_tables_figures(demo_analysis):
    reports, events = demo_analysis.reports, demo_analysis.events
    metrics = {label: value for label, value, _ in headline(reports, events)}
    table = headline_table(reports, events)
    assert metrics["Reports, last 7 days"] == table.loc["Reports", "Last 7 days"]
    assert (
        metrics["Likely violations, last 30 days"] == table.loc["Likely violations (events)", "Last 30 days"]
    )
    assert (
        metrics["Likely, attributed UA, last 30 days"] == table.loc["Likely, attributed UA", "Last 30 days"]
    )


def test_sector_tables_sum_to_the_periods_likely_violations(demo_analysis):
    reports, events = demo_analysis.reports, demo_analysis.events
    month = periods(reports)["Last 30 days"]
    trends = sector_trends(reports, events, month)
    by_side = violations_by_side_and_sector(reports, events, month)
    total = headline_table(reports, events).loc["Likely violations (events)", "Last 30 days"]
    assert trends["likely"].sum() == by_side.loc["total", "total"] == total
    for row in trends.itertuples():
        assert row.likely == by_side["total"].get(row.sector, 0), row.sector
    assert (
        by_side.drop(index="total").drop(columns="total").sum(axis=1) == by_side["total"].drop("total")
    ).all()


def test_sector_trends_are_daily_report_counts_that_add_up(demo_analysis):
    reports, events = demo_analysis.reports, demo_analysis.events
    month = periods(reports)["Last 30 days"]
    trends = sector_trends(reports, events, month)
    recent = reports.loc[(reports["occurred_at"] >= MONTH_START) & (reports["occurred_at"] < STOP)]
    assert trends["reports"].sum() == len(recent)
    assert all(len(d) == 30 and sum(d) == n for d, n in zip(trends["daily"], trends["reports"], strict=True))
    top = trends.iloc[0]
    last_day = recent.loc[
        (recent["sector"] == top["sector"]) & (recent["occurred_at"] >= STOP - pd.Timedelta(days=1))
    ]
    assert top["daily"][-1] == len(last_day)
    assert list(trends["reports"]) == sorted(trends["reports"], reverse=True)


def test_reports_by_type_per_preset(demo_analysis):
    reports = demo_analysis.reports
    table = reports_by_type(reports)
    assert list(table.columns) == ["Latest day", "Last 7 days", "Last 30 days", "Whole record"]
    assert table["Whole record"].sum() == len(reports)
    week = (reports["occurred_at"] >= WEEK_START) & (reports["occurred_at"] < STOP)
    assert table["Last 7 days"].sum() == int(week.sum())


def test_empty_inputs_give_empty_tables(demo_analysis):
    none, no_events = demo_analysis.reports.iloc[:0], demo_analysis.events.iloc[:0]
    assert periods(none) == {}
    assert headline_table(none, no_events).empty and reports_by_type(none).empty
    assert headline(none, no_events) == [("Reports", 0, None)]
    month = periods(demo_analysis.reports)["Last 30 days"]
    assert sector_trends(none, no_events, month).empty
    assert violations_by_side_and_sector(none, no_events, month).empty
