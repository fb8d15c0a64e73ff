"""The Map page's timeline: reports per day, week or month by flag level over the filters (the period
aside), brushes as days."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from geo.filters import Filters, filter_mask
from geo.periods import whole_days
from geo.timeline import (
    LEVELS,
    MAX_BARS,
    NOT_ASSESSED,
    bar_count,
    bin_unit,
    binned,
    brushed_days,
    daily_counts,
    per_unit,
    unit_title,
    without_period,
)
from ui.charts import timeline_chart

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


def _reports(times: list[str], levels: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {"occurred_at": pd.to_datetime(times, utc=True, format="ISO8601"), "flag_level": levels}
    )


def test_counts_are_by_utc_day_whatever_the_column_holds():
    # Arrow text, Python objects and categories give the same counts; a report without a time is left out.
    times = [
        "2024-02-28T23:59:59Z",
        "2024-02-29T00:00:00Z",
        "2024-02-29T23:59:59.999Z",
        None,
        "1969-12-31T23:00Z",
    ]
    levels = ["likely", "possible", "no such level", "likely", None]
    expected = [
        ("1969-12-31", NOT_ASSESSED, 1),
        ("2024-02-28", "likely", 1),
        ("2024-02-29", "possible", 1),
        ("2024-02-29", NOT_ASSESSED, 1),
    ]
    for dtype in ("str", object, "category"):
        frame = _reports(times, levels).astype({"flag_level": dtype})
        counts = daily_counts(frame, Filters())
        got = [(f"{d:%Y-%m-%d}", level, n) for d, level, n in counts.itertuples(index=False)]
        assert got == expected, dtype
        assert str(counts["day"].dtype) == "datetime64[ns, UTC]"


@pytest.mark.parametrize(
    ("first", "last", "unit"),
    [
        (*OCT, "day"),  # the demo month
        # 400 days are 400 daily bars; one more day and the bars are weeks.
        (dt.date(2024, 1, 1), dt.date(2025, 2, 3), "day"),
        (dt.date(2024, 1, 1), dt.date(2025, 2, 4), "week"),
        # 400 weeks from a Monday; a day more reaches into a 401st week, and the bars are months.
        (dt.date(2018, 1, 1), dt.date(2025, 8, 31), "week"),
        (dt.date(2018, 1, 1), dt.date(2025, 9, 1), "month"),
        # A Sunday to a Monday 399 weeks later: 401 weeks, though only 2,794 days.
        (dt.date(2017, 12, 31), dt.date(2025, 8, 25), "month"),
        # 400 months; a day more and the bars are years.
        (dt.date(2000, 1, 1), dt.date(2033, 4, 30), "month"),
        (dt.date(2000, 1, 1), dt.date(2033, 5, 1), "year"),
    ],
)
def test_the_unit_is_the_finest_that_needs_at_most_400_bars(first, last, unit):
    assert bin_unit(first, last) == unit
    assert bar_count(first, last, unit) <= MAX_BARS
    finer = ("day", "week", "month", "year").index(unit)
    assert all(bar_count(first, last, finest) > MAX_BARS for finest in ("day", "week", "month")[:finer])


def test_bar_counts_reach_into_every_bar_a_day_of_the_span_is_in():
    # Sunday 28 December 2025 to Monday 5 January 2026: three ISO weeks (from 22 Dec, 29 Dec, 5 Jan).
    assert bar_count(dt.date(2025, 12, 28), dt.date(2026, 1, 5), "week") == 3
    assert bar_count(dt.date(2025, 12, 28), dt.date(2026, 1, 5), "day") == 9
    assert bar_count(dt.date(2025, 12, 31), dt.date(2026, 1, 1), "month") == 2
    assert bar_count(dt.date(2025, 12, 31), dt.date(2026, 1, 1), "year") == 2
    assert bar_count(dt.date(2024, 2, 1), dt.date(2024, 2, 29), "month") == 1


def test_weeks_are_iso_weeks_from_monday_and_months_keep_the_leap_day():
    times = [
        "2024-02-28T23:59Z",  # Wednesday
        "2024-02-29T00:00Z",  # the leap day
        "2024-02-29T23:59:59Z",
        "2024-03-01T00:00Z",
        "2024-03-04T00:00Z",  # the next Monday: the next week
        "2024-12-29T23:00Z",  # Sunday: the week from 23 December
        "2024-12-30T00:00Z",  # Monday: ISO week 1 of 2025 starts here
        "2025-01-05T23:59Z",  # its Sunday
    ]
    levels = ["likely", "likely", "possible", "likely", None, "unlikely", "unlikely", "likely"]
    daily = daily_counts(_reports(times, levels), Filters())

    def bars(unit):
        got = binned(daily, unit)
        assert got.unit == unit and (got.first, got.last) == (dt.date(2024, 2, 28), dt.date(2025, 1, 5))
        return [
            (f"{a:%Y-%m-%d}", f"{b:%Y-%m-%d}", level, n)
            for a, b, level, n in got.counts.itertuples(index=False)
        ]

    assert bars("week") == [
        ("2024-02-26", "2024-03-04", "likely", 3),
        ("2024-02-26", "2024-03-04", "possible", 1),
        ("2024-03-04", "2024-03-11", NOT_ASSESSED, 1),
        ("2024-12-23", "2024-12-30", "unlikely", 1),
        ("2024-12-30", "2025-01-06", "likely", 1),
        ("2024-12-30", "2025-01-06", "unlikely", 1),
    ]
    assert bars("month") == [
        ("2024-02-01", "2024-03-01", "likely", 2),
        ("2024-02-01", "2024-03-01", "possible", 1),
        ("2024-03-01", "2024-04-01", "likely", 1),
        ("2024-03-01", "2024-04-01", NOT_ASSESSED, 1),
        ("2024-12-01", "2025-01-01", "unlikely", 2),
        ("2025-01-01", "2025-02-01", "likely", 1),
    ]
    assert bars("year") == [
        ("2024-01-01", "2025-01-01", "likely", 3),
        ("2024-01-01", "2025-01-01", "possible", 1),
        ("2024-01-01", "2025-01-01", "unlikely", 2),
        ("2024-01-01", "2025-01-01", NOT_ASSESSED, 1),
        ("2025-01-01", "2026-01-01", "likely", 1),
    ]
    # By day, the bars are the days themselves.
    days = binned(daily, "day").counts
    assert days["start"].equals(daily["day"]) and (days["stop"] - days["start"] == pd.Timedelta(days=1)).all()
    with pytest.raises(ValueError, match="must be one of day, week, month, year, not 'fortnight'"):
        binned(daily, "fortnight")


def test_on_a_real_record_of_eight_years_the_bars_are_months_summing_the_days(shared_data):
    # UCDP GED's events in Ukraine, 2014 to 2022 (../shared/data): a record with a leap day's event and
    # events in a week that spans a year end. The levels are made up from the type of violence.
    ged = pd.read_csv(shared_data / "ucdp_ged" / "ucdp_ged_ukraine_2014-2022.csv")
    levels = ged["type_of_violence"].map({1: "likely", 2: "possible", 3: "unlikely"}).astype(object)
    frame = pd.DataFrame(
        {
            "occurred_at": pd.to_datetime(ged["date_start"], utc=True) + pd.Timedelta(hours=12),
            "flag_level": levels,
        }
    )
    daily = daily_counts(frame, Filters())
    assert daily["reports"].sum() == len(ged)
    assert binned(daily).unit == bin_unit(dt.date(2014, 1, 22), dt.date(2022, 2, 23)) == "month"
    day = daily["day"].dt.tz_localize(None)
    for unit, period in (("week", "W-SUN"), ("month", "M")):
        bars = binned(daily, unit).counts
        # Independently: pandas' periods (weeks ending on Sunday start on Monday).
        start = day.dt.to_period(period).dt.start_time.dt.tz_localize("UTC")
        expected = daily.groupby([start.rename("start"), daily["flag_level"]])["reports"].sum()
        assert bars.set_index(["start", "flag_level"])["reports"].to_dict() == expected.to_dict()
        # By bar, then the most serious level first, as the days were.
        rank = bars["flag_level"].map({name: i for i, name in enumerate((*LEVELS, NOT_ASSESSED))})
        assert (np.lexsort((rank, bars["start"])) == np.arange(len(bars))).all()
        assert (bars["stop"] > bars["start"]).all() and bars["reports"].sum() == len(ged)
    weeks = binned(daily, "week").counts
    across = weeks.loc[weeks["start"] == pd.Timestamp("2014-12-29", tz="UTC"), "reports"].sum()
    year_end = frame["occurred_at"].between("2014-12-29", "2015-01-05", inclusive="left")
    assert across == int(year_end.sum()) > 0 and across < weeks["reports"].sum()
    months = binned(daily, "month").counts
    leap = months.loc[months["start"] == pd.Timestamp("2016-02-01", tz="UTC"), "reports"].sum()
    assert leap == int(frame["occurred_at"].dt.strftime("%Y-%m").eq("2016-02").sum())
    assert frame["occurred_at"].dt.strftime("%m-%d").eq("02-29").any()


def test_the_unit_in_words():
    assert unit_title("day") == "Day (UTC)" and per_unit("day") == "per day (UTC)"
    assert (
        unit_title("week") == "Week (UTC, from Monday)"
        and per_unit("week") == "per week (UTC, weeks from Monday)"
    )
    assert unit_title("month") == "Month (UTC)" and per_unit("month") == "per month (UTC)"


def _ms(text: str) -> int:
    return pd.Timestamp(text).value // 10**6


RECORD = (dt.date(2023, 11, 15), dt.date(2025, 3, 12))


@pytest.mark.parametrize(
    ("unit", "brush", "days"),
    [
        # A Wednesday to a Friday: the weeks from Monday 25 December 2023 to Sunday 7 January 2024.
        ("week", [_ms("2023-12-27T10:00Z"), _ms("2024-01-05T18:00Z")], ("2023-12-25", "2024-01-07")),
        # Ending exactly at a Monday's midnight: the week that starts there is not reached.
        ("week", ["2024-01-01T00:00:00Z", "2024-01-15T00:00:00Z"], ("2024-01-01", "2024-01-14")),
        # Within one week: that week.
        ("week", [_ms("2024-02-27T01:00Z"), _ms("2024-02-27T02:00Z")], ("2024-02-26", "2024-03-03")),
        # Into the record's first week: its first day, not the Monday before it.
        ("week", ["2023-11-01", "2023-11-21"], ("2023-11-15", "2023-11-26")),
        # Months, the leap year's February whole.
        ("month", [_ms("2024-02-10T00:00Z"), _ms("2024-02-20T00:00Z")], ("2024-02-01", "2024-02-29")),
        ("month", [_ms("2024-12-20T00:00Z"), _ms("2025-01-03T00:00Z")], ("2024-12-01", "2025-01-31")),
        # Beyond the record at both ends: clipped to its first and last day.
        ("month", ["2022-01-01", "2026-01-01"], ("2023-11-15", "2025-03-12")),
        ("year", [_ms("2024-06-01T00:00Z"), _ms("2024-06-02T00:00Z")], ("2024-01-01", "2024-12-31")),
        # Days, as before: the days the brush reaches into.
        ("day", ["2024-02-28T06:00Z", "2024-03-01T00:00Z"], ("2024-02-28", "2024-02-29")),
    ],
)
def test_a_brush_over_longer_bars_becomes_the_days_they_cover(unit, brush, days):
    got = brushed_days(brush, first=RECORD[0], last=RECORD[1], unit=unit)
    assert got == tuple(dt.date.fromisoformat(d) for d in days)
    assert brushed_days(brush[::-1], first=RECORD[0], last=RECORD[1], unit=unit) == got


def _chart_rows(chart) -> dict[str, list[dict]]:
    return chart.to_dict()["datasets"]


def test_a_twenty_year_record_draws_a_bounded_chart_of_months():
    rng = np.random.default_rng(7)
    start = pd.Timestamp("2006-03-01", tz="UTC").value
    n = 150_000
    times = pd.to_datetime(rng.integers(start, start + 20 * 365 * 86_400 * 10**9, n), utc=True)
    levels = rng.choice(np.array([*LEVELS, None], dtype=object), n)
    daily = daily_counts(pd.DataFrame({"occurred_at": times, "flag_level": levels}), Filters())
    assert len(daily) > 25_000  # by day, as the chart was drawn before
    bars = binned(daily)
    assert bars.unit == "month" and len(bars.counts) <= 4 * MAX_BARS
    period = (pd.Timestamp("2015-05-06", tz="UTC"), pd.Timestamp("2015-05-13", tz="UTC"))
    played = pd.Timestamp("2015-05-09", tz="UTC")
    tables = _chart_rows(timeline_chart(bars, period=period, day=played)).values()
    (drawn,) = [rows for rows in tables if "Flag level" in rows[0]]
    assert len(drawn) == len(bars.counts) == 4 * 240
    assert sum(row["Reports"] for row in drawn) == n
    march = [row for row in drawn if row["From"] == "2006-03-01T00:00:00Z"]
    assert {row["To"] for row in march} == {"2006-04-01T00:00:00Z"} and {row["Month"] for row in march} == {
        "March 2006"
    }
    # The period and the day played are drawn where their days are, not where their months' bars are.
    (shade,) = [rows[0] for rows in tables if "Period from" in rows[0]]
    assert (shade["Period from"], shade["Period to"]) == (
        "2015-05-06T00:00:00+00:00",
        "2015-05-13T00:00:00+00:00",
    )
    (mark,) = [rows[0] for rows in tables if "Day played" in rows[0]]
    assert mark["Day played"] == "2015-05-09T12:00:00+00:00"


def test_the_demo_month_is_still_drawn_by_day(demo_analysis):
    daily = daily_counts(demo_analysis.reports, Filters())
    bars = binned(daily)
    assert bars.unit == "day" and (bars.first, bars.last) == OCT
    assert bars.counts["start"].equals(daily["day"]) and bars.counts["reports"].equals(daily["reports"])
    chart = timeline_chart(bars, period=None)
    (drawn,) = _chart_rows(chart).values()
    assert len(drawn) == len(daily)
    assert drawn[0]["From"] == "2026-10-01T00:00:00Z" and drawn[0]["To"] == "2026-10-02T00:00:00Z"
    assert drawn[0]["Day"] == "1 Oct 2026"
    spec = chart.to_dict()
    bar_layer = spec["layer"][0]
    assert (
        bar_layer["encoding"]["x"]["title"] == "Day (UTC)"
        and bar_layer["encoding"]["x"]["axis"]["format"] == "%d %b"
    )
