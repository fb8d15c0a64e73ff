"""The pattern map: significant cells and clusters drawn, a click resolved to what lies under it."""

from __future__ import annotations

import h3
import pytest

from geo.maps import remote_urls
from geo.maps.patterns import (
    clicked_pattern,
    cluster_features,
    hotspot_features,
    pattern_map,
    pattern_overlays,
)
from geo.patterns import find_patterns, uids_in_cells
from geo.pipeline import scenario_sectors
from geo.scenario import load_scenario
from geo.settings import load_settings


@pytest.fixture(scope="module")
def found(demo_analysis):
    s = load_settings(environ={})
    return find_patterns(demo_analysis.reports, sectors=scenario_sectors(s.scenario_dir))


def test_only_significant_cells_are_drawn_with_their_level_colour(found):
    features = hotspot_features(found.hotspots)["features"]
    significant = found.hotspots.loc[found.hotspots["level"] != ""]
    assert len(features) == len(significant) > 0
    assert {f["properties"]["cell"] for f in features} == set(significant["cell"].astype(str))


def test_a_click_on_a_cluster_or_a_hot_cell_names_it(found, demo_analysis):
    resolution = found.params.resolution
    cluster = found.clusters.iloc[0]
    at_centre = {"lat": cluster.geometry.y, "lng": cluster.geometry.x}
    assert clicked_pattern(at_centre, found.hotspots, found.clusters, resolution=resolution) == (
        "cluster",
        str(cluster["cluster_id"]),
    )
    hot = found.hotspots.loc[found.hotspots["level"] == "hot 99"].iloc[0]
    lat, lon = h3.cell_to_latlng(hot["cell"])
    picked = clicked_pattern(
        {"lat": lat, "lng": lon}, found.hotspots, found.clusters.iloc[:0], resolution=resolution
    )
    assert picked == ("hotspot", str(hot["cell"]))
    assert len(uids_in_cells(demo_analysis.reports, [hot["cell"]], resolution)) == hot["count"]
    far = {"lat": 40.0, "lng": 30.0}
    assert clicked_pattern(far, found.hotspots, found.clusters, resolution=resolution) is None
    assert clicked_pattern(None, found.hotspots, found.clusters, resolution=resolution) is None


def test_the_map_renders_clusters_and_a_legend_offline(found):
    s = load_settings(environ={})
    m = pattern_map(
        found.hotspots,
        found.clusters,
        load_scenario(s.scenario_dir),
        settings=s,
        at=found.daily["day"].max(),
        bounds=[[47.5, 36.0], [49.5, 39.0]],
    )
    html = m.get_root().render()
    assert "Hot 99 % spot" in html and "Space-time cluster" in html
    assert html.count("L.circle(") == len(cluster_features(found.clusters)["features"])
    assert remote_urls(html) == []


def test_no_cluster_draws_nothing_and_fails_nothing(demo_analysis):
    # A day or one type may hold too few reports for a cluster: the map's hotspot layer still draws
    # (a frame of no cluster has every column of its type; under load it failed, AttributeError).
    s = load_settings(environ={})
    few = demo_analysis.reports.iloc[:3]
    found = find_patterns(few, sectors=scenario_sectors(s.scenario_dir))
    assert found.clusters.empty and str(found.clusters["start"].dtype).startswith("datetime64")
    assert cluster_features(found.clusters)["features"] == []
    groups, drawn = pattern_overlays(found.hotspots, found.clusters, areas=True)
    assert len(groups) == 2 and drawn["features"] == []
