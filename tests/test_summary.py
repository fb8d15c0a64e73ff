"""The Overview's summaries on the analysed demo month, checked against direct counts."""

from __future__ import annotations

import pandas as pd

from geo.summary import headline_table, sector_trends


def test_headline_table_counts_each_period_back_from_the_latest_report(demo_analysis):
    reports, events = demo_analysis.reports, demo_analysis.events
    table = headline_table(reports, events)
    end = reports["occurred_at"].max()
    week = reports["occurred_at"] > end - pd.Timedelta(days=7)
    assert table.loc["Reports", "7 days"] == int(week.sum())
    likely = events.loc[
        (events["flag_level"] == "likely") & (events["occurred_at"] > end - pd.Timedelta(days=30))
    ]
    assert table.loc["Likely violations", "30 days"] == len(likely) > 0
    sides = table.loc[
        ["Likely, attributed RU", "Likely, attributed UA", "Likely, side undetermined"], "30 days"
    ]
    assert sides.sum() == len(likely)
    assert (table["24 h"] <= table["7 days"]).all() and (table["7 days"] <= table["30 days"]).all()


def test_sector_trends_are_daily_counts_that_add_up(demo_analysis):
    reports = demo_analysis.reports
    trends = sector_trends(reports, days=30)
    end = reports["occurred_at"].max().normalize()
    recent = reports.loc[reports["occurred_at"] >= end - pd.Timedelta(days=29)]
    assert trends["reports"].sum() == len(recent)
    assert all(len(d) == 30 and sum(d) == n for d, n in zip(trends["daily"], trends["reports"], strict=True))
    top = trends.iloc[0]
    last_day = recent.loc[(recent["sector"] == top["sector"]) & (recent["occurred_at"] >= end)]
    assert top["daily"][-1] == len(last_day)
    assert list(trends["reports"]) == sorted(trends["reports"], reverse=True)


def test_empty_inputs_give_empty_tables(demo_analysis):
    none = demo_analysis.reports.iloc[:0]
    assert headline_table(none, demo_analysis.events.iloc[:0]).empty
    assert sector_trends(none).empty
