"""The Map page's timeline: reports per day by flag level over the filters (the period aside), brushes as days."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geo.filters import Filters, filter_mask
from geo.periods import whole_days
from geo.timeline import LEVELS, NOT_ASSESSED, brushed_days, daily_counts, without_period

OCT = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def test_the_counts_are_every_report_the_other_filters_keep_by_day_and_level(demo_analysis):
    reports = demo_analysis.reports
    week = Filters.for_period(
        whole_days(dt.date(2026, 10, 9), dt.date(2026, 10, 15)), choices={"type": ("impact",)}
    )
    counts = daily_counts(reports, week)
    kept = reports.loc[filter_mask(reports, without_period(week))]
    # The period does not narrow the timeline: it shows the whole record under the other filters.
    assert counts["reports"].sum() == len(kept) > int(filter_mask(reports, week).sum())
    assert counts["day"].min() == kept["occurred_at"].min().floor("D")
    assert counts["day"].max() == kept["occurred_at"].max().floor("D")
    on_ninth = kept.loc[kept["occurred_at"].dt.floor("D") == pd.Timestamp("2026-10-09", tz="UTC")]
    ninth = counts.loc[counts["day"] == pd.Timestamp("2026-10-09", tz="UTC")].set_index("flag_level")[
        "reports"
    ]
    assert ninth.to_dict() == on_ninth["flag_level"].value_counts().to_dict()
    # By day, then the most serious level first (the order the bars stack in).
    assert counts["day"].is_monotonic_increasing
    rank = {name: i for i, name in enumerate((*LEVELS, NOT_ASSESSED))}
    for _, day in counts.groupby("day"):
        assert day["flag_level"].map(rank).is_monotonic_increasing


def test_reports_without_a_flag_are_counted_as_not_assessed(demo_analysis):
    reports = demo_analysis.reports.drop(columns=["flag_level"]).head(50)
    counts = daily_counts(reports, Filters())
    assert set(counts["flag_level"]) == {NOT_ASSESSED} and counts["reports"].sum() == 50


def test_no_report_kept_gives_an_empty_timeline(demo_analysis):
    counts = daily_counts(demo_analysis.reports, Filters(choices={"type": ("no such type",)}))
    assert counts.empty and list(counts.columns) == ["day", "flag_level", "reports"]


def test_counts_are_remembered_per_filters_and_never_shared_between_different_ones(demo_analysis):
    reports = demo_analysis.reports
    near = Filters(max_km=5.0)
    first = daily_counts(reports, near)
    # Another period only: the same counts (the timeline ignores the period).
    week = Filters.for_period(whole_days(dt.date(2026, 10, 9), dt.date(2026, 10, 15)), max_km=5.0)
    assert daily_counts(reports, week).equals(first)
    # Any other field gives its own counts.
    beyond = daily_counts(reports, Filters(min_km=5.0))
    assert beyond["reports"].sum() == int(filter_mask(reports, Filters(min_km=5.0)).sum())
    assert beyond["reports"].sum() != first["reports"].sum()
    typed = daily_counts(reports, Filters(max_km=5.0, choices={"type": ("impact",)}))
    assert typed["reports"].sum() == int(
        filter_mask(reports, Filters(max_km=5.0, choices={"type": ("impact",)})).sum()
    )
    assert typed["reports"].sum() < first["reports"].sum()
    # A caller changing what it got does not change what the next caller gets.
    first.loc[:, "reports"] = 0
    assert daily_counts(reports, near)["reports"].sum() == int(filter_mask(reports, near).sum()) > 0


@pytest.mark.parametrize(
    ("brush", "days"),
    [
        # Epoch milliseconds, as Vega-Lite gives a brush on a time axis, in either order.
        (
            [
                pd.Timestamp("2026-10-09T06:00Z").value // 10**6,
                pd.Timestamp("2026-10-12T18:00Z").value // 10**6,
            ],
            (9, 12),
        ),
        (
            [
                pd.Timestamp("2026-10-12T18:00Z").value // 10**6,
                pd.Timestamp("2026-10-09T06:00Z").value // 10**6,
            ],
            (9, 12),
        ),
        # A brush that ends exactly at a midnight does not reach into that day.
        (["2026-10-09T00:00:00Z", "2026-10-12T00:00:00Z"], (9, 11)),
        # Beyond the record: clamped to the days with reports.
        (["2026-09-20", "2026-11-20"], (1, 31)),
    ],
)
def test_a_brush_becomes_whole_days(brush, days):
    assert brushed_days(brush, first=OCT[0], last=OCT[1]) == (
        dt.date(2026, 10, days[0]),
        dt.date(2026, 10, days[1]),
    )


@pytest.mark.parametrize("brush", [None, [], [1], {"a": 1}])
def test_nothing_brushed(brush):
    assert brushed_days(brush, first=OCT[0], last=OCT[1]) is None
