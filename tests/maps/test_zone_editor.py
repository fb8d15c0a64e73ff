"""The Zones page's map: the zone being edited in the Draw layer (lat/lon order), the change, offline assets."""

from __future__ import annotations

import folium
import pytest
import shapely
from folium.plugins import Draw

from geo.maps import remote_urls
from geo.maps.vector import VectorLayer
from geo.maps.zone_editor import DRAW_CLEARANCE_PX, drawn_geometry, zone_map
from geo.scenario import load_scenario
from geo.scenario.line_change import line_change
from geo.settings import SCENARIO_DIR, Settings


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIO_DIR)


def _children(m: folium.Map, kind: type) -> list:
    return [c for c in m._children.values() if isinstance(c, kind)]


def test_the_zone_being_edited_is_in_the_draw_layer_in_lat_lon_order(scenario):
    zone = scenario.zones.loc[scenario.zones["zone_id"] == "DA-1"].geometry.iloc[0]
    m = zone_map(scenario, settings=Settings(), version="v1", editing=zone)
    (draw,) = _children(m, Draw)
    polygons = [c for c in draw.feature_group._children.values() if isinstance(c, folium.Polygon)]
    assert len(polygons) == len(shapely.get_parts(zone))
    lon, lat = zone.exterior.coords[0] if zone.geom_type == "Polygon" else zone.geoms[0].exterior.coords[0]
    assert lon != lat and polygons[0].locations[0][0] == pytest.approx([lat, lon])
    assert not any(draw.draw_options[k] for k in ("circle", "marker", "polyline", "circlemarker"))
    assert m.cm_layers.line_version == "v1"


def test_the_line_is_fitted_clear_of_the_draw_buttons_on_the_right(scenario):
    m = zone_map(scenario, settings=Settings(), version="v2")
    (fit,) = _children(m, folium.map.FitBounds)
    assert fit.options["paddingBottomRight"][0] == DRAW_CLEARANCE_PX >= 60
    assert fit.options["paddingTopLeft"][0] > 200  # and clear of the legend on the left


def test_the_change_is_drawn_and_every_asset_is_local(scenario):
    change = line_change(scenario, "v1", "v2")
    m = zone_map(scenario, settings=Settings(), version="v2", change=change)
    layers = {c.layer_name: c for c in _children(m, VectorLayer)}
    gained = layers["Ground that changed hands (v1 → v2)"].data["features"]
    assert len(gained) == int((change.gained["area_km2"] > 0).sum()) >= 1
    assert len(layers["Line moved (v1 → v2)"].data["features"]) == len(change.moved)
    html = m.get_root().render()
    assert "Change v1 \\u2192 v2" in html and "Incident type" not in html
    # The layer control's script names the layers: each must be defined before it (else a JS error).
    (control,) = _children(m, folium.LayerControl)
    first_use = html.index(control.get_name())
    assert all(html.index(f"var {layer.get_name()} =") < first_use for layer in layers.values())
    assert remote_urls(html, allowed=("https://github.com/ljagis/leaflet-measure/issues/",)) == []
    # Leaflet.draw comes in the map's one bundle of scripts; its stylesheet on its own.
    assert html.count("/app/static/map-bundle.js") == 1 and "leaflet.draw.js" not in html
    assert "/app/static/draw/leaflet.draw.css" in html


def test_the_drawn_shape_is_read_from_what_st_folium_returns():
    square = {"type": "Polygon", "coordinates": [[[37, 48], [38, 48], [38, 49], [37, 48]]]}
    other = {"type": "Polygon", "coordinates": [[[36, 47], [37, 47], [37, 48], [36, 47]]]}
    feature = {"type": "Feature", "properties": {}, "geometry": square}
    assert (
        drawn_geometry({"all_drawings": [{"geometry": other}, feature], "last_active_drawing": None})
        == square
    )
    assert drawn_geometry({"all_drawings": None, "last_active_drawing": feature}) == square
    assert drawn_geometry({"all_drawings": [], "last_active_drawing": feature}) is None, "all deleted"
    assert drawn_geometry(None) is None
