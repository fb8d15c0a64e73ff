"""The Incidents page's small map: the report and its origin, no legend, minimap or popup to cover them."""

from __future__ import annotations

import folium

from geo.attribution import origin_sectors
from geo.maps.report_map import report_map
from geo.scenario import load_scenario
from geo.settings import load_settings


def _children(m: folium.Map) -> list:
    out, todo = [], list(m._children.values())
    while todo:
        child = todo.pop()
        out.append(child)
        todo.extend(child._children.values())
    return out


def test_a_fired_report_is_drawn_with_its_origin_and_nothing_over_it(demo_analysis):
    reports = demo_analysis.reports
    fired = reports.loc[reports["origin_method"] == "triangulated"].iloc[:1]
    group = reports.loc[reports["origin_group"] == fired["origin_group"].iloc[0]]
    scenario = load_scenario()
    origins = origin_sectors(group, control_areas=scenario.control_areas)
    m = report_map(fired, scenario, settings=load_settings(), origins=origins)
    children = _children(m)
    markers = [c for c in children if isinstance(c, folium.CircleMarker)]
    assert len(markers) == 1 and markers[0].location == [fired.geometry.y.iloc[0], fired.geometry.x.iloc[0]]
    assert any(getattr(c, "layer_name", "") == "Fire origin of the selected report" for c in children)
    html = m.get_root().render()
    assert "cm-legend" not in html and "MiniMap" not in html and "bindPopup" not in html
    # Fitted to the report and its origin together.
    assert any(type(c).__name__ == "FitBounds" for c in children)


def test_a_report_without_an_origin_is_its_point_alone(demo_analysis):
    reports = demo_analysis.reports
    seen = reports.loc[reports["origin_method"] == "none"].iloc[:1]
    m = report_map(seen, load_scenario(), settings=load_settings())
    children = _children(m)
    assert sum(isinstance(c, folium.CircleMarker) for c in children) == 1
    assert not any(type(c).__name__ == "FitBounds" for c in children)
