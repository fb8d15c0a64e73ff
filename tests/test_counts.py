"""The counts of a view: reports by their time, each event once by its time and its one sector."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geo.counts import Figures, event_sectors, figures, likely_by_sector_and_side, view_events
from geo.filters import MISSING, Filters
from geo.periods import Period, whole_days
from geo.summary import periods, sector_trends, violations_by_side_and_sector

# Four events of seven reports. E1 straddles midnight (median 2026-10-15 00:05) and two sectors (its
# earliest report in Lyman, the other in Bakhmut); E2 has most reports in Bakhmut, one in Lyman.
REPORTS = [
    ("r1", "E1", "2026-10-14T23:50Z", "Lyman", "A"),
    ("r2", "E1", "2026-10-15T00:20Z", "Bakhmut", "B"),
    ("r3", "E2", "2026-10-15T10:00Z", "Bakhmut", "A"),
    ("r4", "E2", "2026-10-15T10:05Z", "Bakhmut", "C"),
    ("r5", "E2", "2026-10-15T10:10Z", "Lyman", "C"),
    ("r6", "E3", "2026-10-16T12:00Z", None, "A"),
    ("r7", "E4", "2026-10-14T08:00Z", "Lyman", "B"),
]
EVENTS = [
    ("E1", "2026-10-15T00:05Z", "likely", "RU"),
    ("E2", "2026-10-15T10:05Z", "likely", "undetermined"),
    ("E3", "2026-10-16T12:00Z", "possible", None),
    ("E4", "2026-10-14T08:00Z", "likely", "UA"),
]


@pytest.fixture
def reports() -> pd.DataFrame:
    frame = pd.DataFrame(REPORTS, columns=["uid", "event_id", "occurred_at", "sector", "source"])
    return frame.assign(occurred_at=pd.to_datetime(frame["occurred_at"], utc=True), dist_to_line_m=1000.0)


@pytest.fixture
def events() -> pd.DataFrame:
    frame = pd.DataFrame(EVENTS, columns=["event_id", "occurred_at", "flag_level", "attributed_side"])
    return frame.assign(occurred_at=pd.to_datetime(frame["occurred_at"], utc=True))


def _period(day: int) -> Period:
    return whole_days(dt.date(2026, 10, day), dt.date(2026, 10, day))


def _day(day: int) -> Filters:
    return Filters.for_period(_period(day))


def test_an_event_is_counted_on_its_own_day_once_and_days_add_up(reports, events):
    days = [figures(reports, events, _day(d)) for d in (14, 15, 16)]
    assert [f.reports for f in days] == [2, 4, 1]  # r1 by its own time, on the 14th
    assert [f.events for f in days] == [1, 2, 1]  # E1 by its time, on the 15th
    assert [f.likely for f in days] == [1, 2, 0]
    whole = figures(reports, events, Filters())
    assert sum(f.likely for f in days) == whole.likely == 3
    assert sum(f.events for f in days) == whole.events == 4


def test_an_event_has_one_sector_its_earliest_reports(reports):
    sectors = event_sectors(reports)
    assert sectors.fillna("none").to_dict() == {"E4": "Lyman", "E1": "Lyman", "E2": "Bakhmut", "E3": "none"}


def test_likely_by_sector_and_side_sums_to_the_likely_count(reports, events):
    table = likely_by_sector_and_side(reports, events, Filters())
    assert list(table.columns) == ["RU", "UA", "undetermined", "total"]
    assert table.loc["Lyman"].tolist() == [1, 1, 0, 2]  # E1 once, though its reports are in two sectors
    assert table.loc["Bakhmut"].tolist() == [0, 0, 1, 1]
    assert table.loc["total", "total"] == figures(reports, events, Filters()).likely == 3


def test_the_figures_name_every_side(reports, events):
    got = figures(reports, events, _day(15))
    assert got == Figures(
        reports=4, events=2, likely=2, possible=0, likely_by_side={"RU": 1, "UA": 0, "undetermined": 1}
    )
    assert got.sentence(of=7) == "4 of 7 reports · 2 events · 2 likely violations (events)"


def test_a_sector_filter_counts_reports_in_their_sector_and_events_in_theirs(reports, events):
    bakhmut = Filters(choices={"sector": ("Bakhmut",)})
    got = figures(reports, events, bakhmut)
    assert (got.reports, got.events) == (3, 1)  # r2, r3, r4; E2 only (E1 is Lyman's)
    none = figures(reports, events, Filters(choices={"sector": (MISSING,)}))
    assert (none.reports, none.events, none.possible) == (1, 1, 1)


def test_report_filters_keep_events_with_a_report_they_keep(reports, events):
    by_b = view_events(reports, events, Filters(choices={"source": ("B",)}))
    assert by_b["event_id"].tolist() == ["E1", "E4"]
    both = figures(reports, events, Filters.for_period(_period(15), choices={"source": ("B",)}))
    assert (both.reports, both.events) == (1, 1)
    near = figures(reports, events, Filters(max_km=0.5))
    assert (near.reports, near.events) == (0, 0)


def test_a_flag_level_filter_is_the_events(reports, events):
    got = figures(reports, events, Filters(choices={"flag_level": ("possible",)}))
    assert (got.events, got.possible, got.likely) == (1, 1, 0)


def test_the_overviews_sector_tables_agree_on_hand_made_data(reports, events):
    whole = periods(reports)["Whole record"]
    trends = sector_trends(reports, events, whole)
    assert dict(zip(trends["sector"], trends["likely"], strict=True)) == {
        "Lyman": 2,
        "Bakhmut": 1,
        "(no sector)": 0,
    }
    assert dict(zip(trends["sector"], trends["reports"], strict=True)) == {
        "Lyman": 3,
        "Bakhmut": 3,
        "(no sector)": 1,
    }
    assert (
        violations_by_side_and_sector(reports, events, whole).loc["total", "total"] == trends["likely"].sum()
    )


def test_counting_needs_an_analysis(reports, events):
    with pytest.raises(ValueError, match=r"reports\.event_id, events\.flag_level"):
        figures(reports.drop(columns=["event_id"]), events.drop(columns=["flag_level"]), Filters())
