"""The folium map: layers, controls, tiles or context, and nothing loaded from outside the app."""

from __future__ import annotations

import re
from dataclasses import replace

import folium

from geo.maps import clicked_uid, incident_map, remote_urls
from geo.maps.legend import Legend
from geo.maps.vector import PostsLayer, VectorLayer, VectorMiniMap

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
    assert '<script src="/app/static/map-bundle.js">' in html


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


def test_a_compact_map_folds_its_legend_and_has_no_minimap(incidents, scenario, settings):
    # The Overview's map is about 350 px wide: an open legend and the minimap covered the data.
    full = incident_map(incidents, scenario, settings=settings)
    compact = incident_map(incidents, scenario, settings=settings, compact=True)
    assert _children(full, Legend)[0].html.startswith('<details class="cm-legend" open>')
    assert _children(compact, Legend)[0].html.startswith('<details class="cm-legend">')
    assert _children(full, VectorMiniMap) and not _children(compact, VectorMiniMap)
    assert compact.cm_layers.incidents.data == full.cm_layers.incidents.data


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


def _live_scripts(live):
    """What streamlit-folium sends: the base map's script, then each overlay's (its own functions)."""
    from streamlit_folium import _get_feature_group_string, _get_map_string

    base = _get_map_string(live.base)
    groups = [_get_feature_group_string(g, live.base, idx=i) for i, g in enumerate(live.ready_overlays())]
    return base, groups


def test_the_live_base_does_not_follow_the_filters(incidents, scenario, settings):
    from geo.maps.build import live_map

    first = live_map(incidents, scenario, settings=settings, view=(48.1, 37.5, 9), title="all")
    kept = incidents.iloc[:2]
    later = live_map(
        kept, scenario, settings=settings, view=(48.6, 38.0, 11), base_view=(first.center, first.zoom),
        title="two",
    )  # fmt: skip
    base_first, groups_first = _live_scripts(first)
    base_later, groups_later = _live_scripts(later)
    # The browser keeps a map whose script is unchanged: the filters and the view travel apart.
    assert base_first == base_later
    assert (later.center, later.zoom) == ([48.6, 38.0], 11)
    assert groups_first != groups_later
    assert len(later.layers.incidents.data["features"]) == 2
    assert '"two"' not in base_later and "two" in "".join(groups_later)


def test_live_overlays_hidden_ones_start_unticked_and_the_legend_is_not_listed(incidents, scenario, settings):
    from geo.maps.assets import BUNDLED_SCRIPTS
    from geo.maps.build import live_map
    from geo.maps.vector import StartHidden

    events = incidents.assign(
        event_id=[f"e{i}" for i in range(len(incidents))],
        flag_level="likely",
        attributed_side="A",
        violation_score=0.9,
    )
    live = live_map(incidents, scenario, settings=settings, events=events)
    groups = {g.layer_name: g for g in live.overlays}
    hidden = {name for name, g in groups.items() if _children(g, StartHidden)}
    assert hidden == {"Events (likely, possible)", "Heatmap"}
    assert groups["Legend"].control is False and groups["Incidents"].control is True
    base, scripts = _live_scripts(live)
    # The heatmap plugin loads with the base (in the bundle): overlays come and go, the map's
    # scripts load once, with the map.
    assert "heat/leaflet-heat.js" in BUNDLED_SCRIPTS
    assert live.base.default_js == [("leaflet", "/app/static/map-bundle.js")]
    assert not any(
        g.default_js for o in live.ready_overlays() for g in _children(o, object) if hasattr(g, "default_js")
    )
    assert remote_urls(base + "".join(scripts), allowed=COMMENT_URLS) == []
    assert "L.control.layers" not in base  # the layer control travels with the overlays
    # The heatmap waits for a map with a size (tests/browser/test_heat_guard.py): in the base's
    # script, which runs once the bundle has defined the layer.
    assert "L.HeatLayer.prototype._redraw = function" in base


def test_report_text_is_data_never_a_template(incidents, scenario, settings):
    # folium compiles rendered text as Jinja unless told otherwise: "{{ 7*7 }}" in a report would
    # be evaluated on the server (and worse payloads would run code). It must reach the map as text.
    hostile = incidents.assign(
        description=["{{ 7*7 }} shells", "{% raw %}", "x"], source=["{{ 6*7 }}", "b", "c"]
    )
    html = incident_map(hostile, scenario, settings=settings, colour_by="source_type").get_root().render()
    assert "{{ 7*7 }} shells" in html and "49 shells" not in html and "{% raw %}" in html
    assert "{{ 6*7 }}" in html and ">42<" not in html

    from geo.maps.build import live_map

    live = live_map(hostile, scenario, settings=settings)
    _, scripts = _live_scripts(live)
    assert "{{ 7*7 }} shells" in "".join(scripts) and "49 shells" not in "".join(scripts)


def test_the_live_maps_first_view_leaves_the_legend_room_west_of_the_data(demo_analysis, scenario, settings):
    from geo.maps.build import LEGEND_WIDTH_PX, live_map

    reports = demo_analysis.reports
    live = live_map(reports, scenario, settings=settings)
    (_, lon), zoom = live.center, live.zoom
    px_per_degree = 256 * 2**zoom / 360
    # The Map page's map on a 1366 px screen is 906 px wide (tests/browser's screenshots).
    width = 906
    west_edge = lon - width / 2 / px_per_degree
    (_, west), (_, east) = live.layers.bounds
    # Every report lies right of the open legend, and inside the map.
    assert (west - west_edge) * px_per_degree >= LEGEND_WIDTH_PX
    assert (east - west_edge) * px_per_degree <= width


def test_observation_posts_are_one_layer_drawn_in_the_browser(incidents, scenario, settings):
    m = incident_map(incidents, scenario, settings=settings)
    (posts,) = _children(m, PostsLayer)
    assert posts.layer_name == "Observation posts"
    features = posts.data["features"]
    assert [f["properties"]["post_id"] for f in features] == list(scenario.posts["post_id"].astype(str))
    for feature in features:
        colour = feature["properties"]["colour"]
        assert f"border:3px solid {colour}" in feature["properties"]["icon"]
    # As folium drew its Circle: the range's outline only, dashed.
    assert posts.ring["fill"] is False and posts.ring["dashArray"] == "3 4"
    html = m.get_root().render()
    assert f'"Observation posts" : {posts.get_name()}' in html  # ticked on and off in the layer control
    # One loop in the browser, not one object a post: each post's text is in the data once.
    assert html.count("L.circle(") == 1
    assert html.count(features[0]["properties"]["tip"].replace("&", "\\u0026")) == 1


def test_the_minimap_draws_the_maps_countries_without_carrying_them_again(incidents, scenario, settings):
    m = incident_map(incidents, scenario, settings=settings)
    (minimap,) = _children(m, VectorMiniMap)
    countries = next(layer for layer in _children(m, VectorLayer) if layer.layer_name == "Countries")
    assert minimap.countries_layer is countries
    html = m.get_root().render()
    assert html.count('"NAME":"Albania"') == 1  # the page carries the countries once
    assert f"features: {countries.get_name()}.getLayers()" in html
    # The minimap's control comes after the layer it reads.
    assert html.index(f"var {countries.get_name()} = ") < html.index(f"var {minimap.get_name()}_layer = ")
