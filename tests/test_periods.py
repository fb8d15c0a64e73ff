"""Periods: whole UTC days back from the latest report, half-open, with their edges."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geo.filters import Filters, filter_mask
from geo.periods import PRESETS, Period, last_days, preset, presets, record_days, whole_days


def _times(*texts: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(texts), utc=True, format="ISO8601"), dtype="datetime64[ns, UTC]")


def _day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_last_days_are_the_calendar_days_ending_with_the_latest_reports_day():
    week = last_days(_day("2026-10-31T23:00"), 7)
    assert (week.start, week.stop) == (_day("2026-10-25"), _day("2026-11-01"))
    assert (week.first_day, week.last_day, week.days) == (dt.date(2026, 10, 25), dt.date(2026, 10, 31), 7)
    assert week.describe() == "2026-10-25 to 2026-10-31 (UTC)"
    assert last_days(_day("2026-10-31T00:00"), 1).describe() == "2026-10-31 (UTC)"


def test_a_time_exactly_at_a_bound():
    week = last_days(_day("2026-10-31T05:00"), 7)
    times = _times(
        "2026-10-24T23:59:59.999999999Z",  # an instant before the start: out
        "2026-10-25T00:00:00.000000000Z",  # the start: in
        "2026-10-31T23:59:59.999999999Z",  # the last instant: in
        "2026-11-01T00:00:00.000000000Z",  # the stop: out
    )
    assert week.contains(times).tolist() == [False, True, True, False]
    # The filters of the period keep the same times (their inclusive end is the stop's previous instant).
    kept = filter_mask(pd.DataFrame({"occurred_at": times}), Filters.for_period(week))
    assert kept.tolist() == [False, True, True, False]


def test_the_latest_report_at_midnight_opens_its_own_day():
    times = _times("2026-10-30T12:00Z", "2026-10-31T00:00Z")
    day = preset(times, 1)
    assert day is not None and day.describe() == "2026-10-31 (UTC)"
    assert day.contains(times).tolist() == [False, True]


def test_reports_on_one_day_only():
    times = _times("2026-10-15T01:00Z", "2026-10-15T22:00Z")
    found = presets(times)
    assert list(found) == list(PRESETS)
    assert (
        found["Whole record"]
        == found["Latest day"]
        == whole_days(dt.date(2026, 10, 15), dt.date(2026, 10, 15))
    )
    for period in found.values():
        assert period.contains(times).all()
    assert found["Last 7 days"].first_day == dt.date(2026, 10, 9)


def test_no_reports_no_period():
    empty = _times()
    assert presets(empty) == {} and preset(empty, 7) is None and record_days(empty) is None
    assert record_days(_times("2026-10-02T03:00Z", "2026-10-01T23:00Z")) == Period(
        _day("2026-10-01"), _day("2026-10-03")
    )


def test_missing_times_are_never_counted():
    times = pd.Series([pd.NaT, _day("2026-10-15T06:00")], dtype="datetime64[ns, UTC]")
    assert whole_days(dt.date(2026, 10, 15), dt.date(2026, 10, 15)).contains(times).tolist() == [False, True]
    assert record_days(times) == whole_days(dt.date(2026, 10, 15), dt.date(2026, 10, 15))


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: Period(_day("2026-10-15T06:00"), _day("2026-10-16")), "must be a midnight"),
        (lambda: Period(_day("2026-10-16"), _day("2026-10-16")), "must end after it starts"),
        (lambda: Period(pd.Timestamp("2026-10-15"), _day("2026-10-16")), "has no time zone"),
        (lambda: last_days(_day("2026-10-15"), 0), "one day or more, not 0"),
        (lambda: last_days(_day("2026-10-15"), 7.5), "one day or more, not 7.5"),
        (lambda: whole_days(dt.date(2026, 10, 15), dt.date(2026, 10, 14)), "is before the first day"),
    ],
)
def test_bad_bounds_are_refused_with_the_value(make, words):
    with pytest.raises(ValueError, match=words):
        make()


def test_bounds_in_another_zone_are_read_as_utc():
    period = Period(pd.Timestamp("2026-10-15T03:00+03:00"), _day("2026-10-16"))
    assert period.start == _day("2026-10-15") and str(period.start.tz) == "UTC"
