"""On the demo month the patterns find what the generator planted, and leave the shared analysis untouched."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.errors import InputError
from geo.patterns import PatternParams, find_patterns, uids_in_cells
from geo.pipeline import scenario_sectors
from geo.scenario import load_scenario
from geo.settings import load_settings

# docs/DEMO.md: 70 extra fire happenings a day in the Pokrovsk sector on 10-13 October, and a
# cluster of 140 around Robotyne over the month.
SURGE_DAYS = pd.date_range("2026-10-10", "2026-10-13", tz="UTC")
ROBOTYNE = (35.84, 47.45)


@pytest.fixture(scope="module")
def demo(demo_analysis):
    settings = load_settings(environ={})
    reports = demo_analysis.reports
    before = reports.copy()
    found = find_patterns(
        reports,
        sectors=scenario_sectors(settings.scenario_dir),
        zones=load_scenario(settings.scenario_dir).zones,
    )
    return found, reports, before


def test_the_analysis_frame_is_only_read(demo):
    _, reports, before = demo
    pd.testing.assert_frame_equal(reports, before)


def test_the_planted_surge_is_flagged_and_only_after_a_baseline(demo):
    found, _, _ = demo
    surges = found.surges[found.surges["rule"] != "acled_week"]
    planted = surges["sector"] == "Pokrovsk"
    assert set(surges.loc[planted, "start"]) == set(SURGE_DAYS)
    # Nothing else is planted, but Benjamini-Hochberg at 5 % lets a chance high day through now and
    # then: in this month one, Zaporizhzhia on 27 October (38 reports against a baseline of 21; 18
    # happenings in its truth, against 11.5 a day).
    assert len(surges.loc[~planted]) <= 1
    first = found.daily["day"].min()
    assert (surges["start"] >= first + pd.Timedelta(days=found.params.min_baseline_days)).all()
    assert found.daily.loc[found.daily["surge"], "q_value"].le(found.params.alpha).all()
    # The month is shorter than the ACLED rule's week plus four trailing weeks after its first day.
    assert found.daily["week_baseline"].notna().sum() == 0 and not found.daily["acled_surge"].any()


def test_every_scenario_sector_has_a_daily_series(demo):
    found, _, _ = demo
    sectors = set(scenario_sectors(load_settings(environ={}).scenario_dir)["sector"])
    assert sectors <= set(found.daily["sector"])
    assert found.daily.groupby("sector").size().nunique() == 1


def test_the_robotyne_cluster_is_a_hot_spot(demo):
    found, reports, _ = demo
    hot = found.hotspots[found.hotspots["level"] == "hot 99"]
    # Degrees, in lon/lat: within about 5 km of Robotyne (0 when a hot cell holds it).
    assert shapely.distance(hot.geometry.to_numpy(), shapely.Point(ROBOTYNE)).min() < 0.05
    uids = uids_in_cells(reports, hot["cell"], found.params.resolution)
    assert 0 < len(uids) < len(reports)
    assert found.hotspots["count"].sum() == len(reports)


def test_significant_clusters_gather_on_the_surge(demo):
    found, _, _ = demo
    significant = found.clusters[found.clusters["significant"]]
    assert len(significant) >= 1
    best = significant.iloc[0]
    assert SURGE_DAYS[0] <= best["start"] and best["end"] < SURGE_DAYS[-1] + pd.Timedelta(days=1)
    assert best["n"] > 2 * best["expected"]


def test_zone_table_shows_the_excess_inside_the_security_zone(demo):
    found, reports, _ = demo
    zones = found.zones.set_index("zone")
    inside = sum("SZ-1" in z for z in reports["zones"])
    assert zones.loc["SZ-1", "reports"] == inside
    assert zones.loc["SZ-1", "share_reports"] == pytest.approx(inside / len(reports))
    assert 0 < zones.loc["SZ-1", "share_area"] < 1 and zones.loc["SZ-1", "ratio"] > 1


def test_distance_profile_counts_every_measured_report(demo):
    found, reports, _ = demo
    profile = found.distance
    assert profile["count"].sum() == reports["dist_to_line_m"].notna().sum()
    shares = profile.groupby(["side", "type"])["share"].sum()
    np.testing.assert_allclose(shares, 1.0)


def test_bad_settings_and_inputs_are_named():
    with pytest.raises(InputError, match=r"alpha=1\.5"):
        PatternParams(alpha=1.5)
    with pytest.raises(InputError, match="uid"):
        find_patterns(pd.DataFrame({"occurred_at": []}))
    with pytest.raises(InputError, match="part"):
        find_patterns(pd.DataFrame({"uid": [], "occurred_at": []}), parts=("nonsense",))


def test_filters_that_match_nothing_give_empty_tables_with_their_columns(demo):
    _, reports, _ = demo
    empty = find_patterns(reports.iloc[:0])
    for name in ("daily", "hourly", "surges", "hotspots", "clusters", "distance", "zones"):
        table = getattr(empty, name)
        assert table.empty and len(table.columns) > 0, name
    assert {"p_value", "report_uids", "significant"} <= set(empty.clusters.columns)
