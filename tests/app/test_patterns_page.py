"""The Patterns page on the demo store, on an empty store, with filters matching nothing, and selection."""

from __future__ import annotations

PAGE = "app_pages/patterns.py"


def test_patterns_on_the_demo_show_surges_hotspots_and_clusters(app_on, demo_store, demo_analysis):
    from geo.patterns import find_patterns
    from geo.pipeline import scenario_sectors
    from geo.settings import load_settings

    at = app_on(demo_store.path, PAGE)
    assert not at.exception and not at.error
    s = load_settings(environ={})
    direct = find_patterns(demo_analysis.reports, sectors=scenario_sectors(s.scenario_dir))
    headers = [h.value for h in at.main.header]
    assert headers == ["Surges by sector", "Hotspots and space-time clusters", "Distance profiles"]
    surges = at.dataframe[0].value
    assert len(surges) == len(direct.surges) > 0
    clusters = at.dataframe[1].value
    assert list(clusters["cluster_id"]) == list(direct.clusters["cluster_id"])
    # One chart per sector, the sectors with a surge open first.
    assert len(at.expander) == direct.daily["sector"].nunique()
    assert at.expander[0].label.endswith("· surge")


def test_patterns_on_an_empty_store(app_on, empty_store, texts):
    at = app_on(empty_store, PAGE)
    assert not at.exception and not at.error
    assert "No reports yet" in texts(at)


def test_patterns_with_filters_matching_nothing(app_on, demo_store, texts):
    at = app_on(demo_store.path, PAGE, query={"type": "weapon_sighting", "weapon": "uav"})
    assert not at.exception and not at.error
    assert "No report matches the filters" in texts(at)
