"""Playback's day: the filters narrowed to it, its words, and the contact line in force during it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geo.errors import InputError
from geo.filters import Filters, filter_mask
from geo.periods import whole_days
from geo.playback import day_filters, describe_day, line_in_force, play_days, read_day

MONTH = Filters.from_params({"from": "2026-10-01", "to": "2026-10-31", "type": "impact"})


@pytest.fixture(scope="module")
def scenario():
    """The demo scenario (line v1 from January, v2 from 15 October 00:00 UTC)."""
    from geo.scenario import load_scenario

    return load_scenario()


def test_the_day_filters_keep_exactly_the_reports_of_that_day(demo_analysis):
    reports = demo_analysis.reports
    mask = filter_mask(reports, MONTH)
    days = play_days(reports["occurred_at"], mask)
    day = pd.Timestamp("2026-10-09", tz="UTC")
    assert day in days and days == sorted(reports.loc[mask, "occurred_at"].dt.floor("D").unique())
    shown = day_filters(MONTH, day)
    on_day = mask & (reports["occurred_at"].dt.floor("D") == day).to_numpy()
    assert (filter_mask(reports, shown) == on_day).all() and on_day.sum() > 0
    assert shown.to_params() == {"from": "2026-10-09", "to": "2026-10-09", "type": "impact"}


def test_the_day_stays_within_the_filters_own_period():
    afternoon = Filters.from_params({"from": "2026-10-09T12:00:00Z"})
    shown = day_filters(afternoon, pd.Timestamp("2026-10-09", tz="UTC"))
    assert shown.start == pd.Timestamp("2026-10-09T12:00", tz="UTC")
    assert shown.end == whole_days(dt.date(2026, 10, 9), dt.date(2026, 10, 9)).end  # the day's last instant


def test_the_words_name_the_day_first_then_the_period_and_other_filters():
    days = list(pd.date_range("2026-10-01", "2026-10-31", tz="UTC"))
    text = describe_day(MONTH, days[8], days)
    assert text == "2026-10-09 UTC (playback, day 9 of 31 in 2026-10-01 to 2026-10-31 UTC); type: Impact"
    assert describe_day(Filters(), days[0], days[:1]).startswith("2026-10-01 UTC (playback, day 1 of 1")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-10-09", ("v1", [])),  # the demo's v2 is in force from 15 October, 00:00
        ("2026-10-15", ("v2", [])),
        ("2025-12-31", (None, [])),
    ],
)
def test_the_line_in_force_that_day(scenario, day, expected):
    start = pd.Timestamp(day, tz="UTC")
    end = start + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    assert line_in_force(scenario.lines["valid_from"], scenario.lines["version"], start, end) == expected


def test_a_version_that_starts_during_the_day_is_named_with_the_one_before():
    valid_from = pd.Series(pd.to_datetime(["2026-01-01T00:00Z", "2026-10-15T12:00Z"], utc=True))
    versions = pd.Series(["v1", "v2"])
    day = pd.Timestamp("2026-10-15", tz="UTC")
    assert line_in_force(valid_from, versions, day, day + pd.Timedelta(hours=23)) == ("v2", ["v1"])
    assert line_in_force(valid_from, versions, day, day + pd.Timedelta(hours=11)) == ("v1", [])


def test_a_day_of_the_url_is_read_or_named():
    assert read_day(" 2026-10-09 ") == pd.Timestamp("2026-10-09", tz="UTC")
    with pytest.raises(InputError, match="day='9 Oct' is not a date") as err:
        read_day("9 Oct")
    assert "day=2026-10-09" in err.value.hint


def test_a_window_of_a_week_or_from_the_start_within_the_filters_period():
    day = pd.Timestamp("2026-10-09", tz="UTC")
    week = day_filters(MONTH, day, "week")
    assert (week.start, week.stop) == (
        pd.Timestamp("2026-10-03", tz="UTC"),
        pd.Timestamp("2026-10-10", tz="UTC"),
    )
    early = day_filters(MONTH, pd.Timestamp("2026-10-02", tz="UTC"), "week")
    assert early.start == pd.Timestamp("2026-10-01", tz="UTC")  # not before the filters' own period
    assert day_filters(MONTH, day, "cumulative").start == MONTH.start
    everything = day_filters(Filters(), day, "cumulative")  # no period: every report up to the day
    assert everything.start is None and everything.stop == pd.Timestamp("2026-10-10", tz="UTC")
    assert describe_day(Filters(), day, [day], "cumulative").startswith("up to 2026-10-09 UTC")
    with pytest.raises(InputError, match="fortnight"):
        day_filters(MONTH, day, "fortnight")
