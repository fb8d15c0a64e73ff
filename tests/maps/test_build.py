"""The folium map: layers, controls, tiles or context, and nothing loaded from outside the app."""

from __future__ import annotations

import re
from dataclasses import replace

import folium

from geo.maps import clicked_uid, incident_map, remote_urls
from geo.maps.vector import VectorLayer

# folium's MeasureControl template cites this issue in a JavaScript comment: text, not a request.
COMMENT_URLS = ("https://github.com/ljagis/leaflet-measure/issues/",)
TILES = "https://tiles.mission.example/{z}/{x}/{y}.png"


def _children(element, kind):
    found = [c for c in element._children.values() if isinstance(c, kind)]
    for child in element._children.values():
        found += _children(child, kind)
    return found


def test_map_draws_the_data_it_keeps(incidents, scenario, settings):
    m = incident_map(incidents, scenario, settings=settings)
    assert isinstance(m, folium.Map) and m.options["prefer_canvas"] is True
    layers = {layer.layer_name: layer for layer in _children(m, VectorLayer)}
    assert layers["Incidents"].data is m.cm_layers.incidents.data
    assert layers["Contact line v2"].data is m.cm_layers.line
    assert "Countries" in layers and "Control areas" in layers


def test_without_tiles_no_tile_layer_and_no_remote_url(incidents, scenario, settings):
    html = incident_map(incidents, scenario, settings=settings).get_root().render()
    assert "L.tileLayer" not in html
    assert remote_urls(html, allowed=COMMENT_URLS) == []
    assert '<script src="/app/static/leaflet/leaflet.js">' in html


def test_with_tiles_only_the_tile_url_is_remote(incidents, scenario, settings):
    m = incident_map(
        incidents, scenario, settings=replace(settings, tile_url=TILES, tile_attribution="Mission")
    )
    html = m.get_root().render()
    assert m.cm_layers.countries is None
    assert "L.tileLayer" in html
    remote = remote_urls(html, allowed=COMMENT_URLS)
    assert remote and set(remote) == {TILES}


def test_hostile_text_never_reaches_the_html_raw(incidents, scenario, settings):
    html = incident_map(incidents, scenario, settings=settings).get_root().render()
    assert "alert('x')" not in html and "<script>alert" not in html
    assert "Tom &amp;amp; Jerry" not in html  # escaped once, not twice
    assert re.search(r"Tom &amp; Jerry|Tom \\u0026amp; Jerry", html)


def test_legend_and_controls_are_on_the_map(incidents, scenario, settings):
    html = incident_map(incidents, scenario, settings=settings, title="October <2026>").get_root().render()
    assert "cm-legend" in html and "October \\u0026lt;2026\\u0026gt;" in html
    for control in (
        "L.control.layers",
        "L.control.fullscreen",
        "L.Control.Measure",
        "L.Control.MousePosition",
        "L.Control.MiniMap",
        "L.control.scale",
    ):
        assert control in html, control


def test_more_incidents_than_the_limit_are_drawn_as_hexagons(incidents, scenario, settings):
    m = incident_map(incidents, scenario, settings=settings, point_limit=2)
    names = [layer.layer_name for layer in _children(m, VectorLayer)]
    assert "Incidents (per hexagon)" in names and "Incidents" not in names
    hexagons = m.cm_layers.hexagons["features"]
    assert sum(f["properties"]["count"] for f in hexagons) == len(incidents)
    assert m.cm_layers.incidents.data["features"] == []


def test_a_view_opens_the_map_there(incidents, scenario, settings):
    m = incident_map(incidents, scenario, settings=settings, view=(48.1, 37.5, 9))
    assert m.location == [48.1, 37.5] and m.options["zoom"] == 9
    assert "fitBounds" not in m.get_root().render()


def test_clicked_position_resolves_to_the_report(incidents, scenario, settings):
    m = incident_map(incidents, scenario, settings=settings)
    assert clicked_uid(m.cm_layers, {"lat": 48.9, "lng": 38.1}) == "party & co <b>:a-2"
    assert clicked_uid(m.cm_layers, {"lat": 38.1, "lng": 48.9}) is None
    assert clicked_uid(m.cm_layers, None) is None


def test_layers_added_late_come_before_the_layer_control(incidents, scenario, settings):
    from geo.maps.build import layer_control_last

    m = incident_map(incidents, scenario, settings=settings)
    late = folium.FeatureGroup(name="Added late").add_to(m)
    html = layer_control_last(m).get_root().render()
    defined = html.index(f"var {late.get_name()} =")
    control = html.index("L.control.layers(")
    assert defined < control
