"""Hot and cold spots merged into areas, ringed while too small to see, drawn above the dots."""

from __future__ import annotations

import folium
import geopandas as gpd
import pytest
import shapely

from geo.maps.build import ABOVE_DOTS_PANE
from geo.maps.hotareas import AREA_PX, add_hot_areas, hot_area_features, hot_areas
from geo.maps.latlon import cell_at, cell_polygons


@pytest.fixture
def hotspots() -> gpd.GeoDataFrame:
    """Two touching hot cells, one hot cell apart, one cold cell and one not significant (lon != lat)."""
    import h3

    centre = cell_at(37.8, 48.1, 6)
    cells = [centre, sorted(h3.grid_ring(centre, 1))[0], cell_at(36.5, 47.3, 6), cell_at(38.5, 48.9, 6)]
    cells.append(cell_at(35.5, 46.9, 6))
    return gpd.GeoDataFrame(
        {
            "cell": cells,
            "count": [10, 4, 7, 0, 1],
            "level": ["hot 99", "hot 90", "hot 95", "cold 95", ""],
        },
        geometry=cell_polygons(cells),
        crs=4326,
    )


def test_touching_cells_of_a_kind_merge_into_one_area_of_their_strongest_level(hotspots):
    areas = hot_areas(hotspots)
    assert sorted(zip(areas["kind"], areas["level"], areas["cells"], areas["count"], strict=True)) == [
        ("cold", "cold 95", 1, 0),
        ("hot", "hot 95", 1, 7),
        ("hot", "hot 99", 2, 14),
    ]
    assert areas.crs.to_epsg() == 4326 and areas["level"].iloc[-1] == "hot 99"  # the strongest on top
    merged = areas.loc[areas["cells"] == 2].geometry.iloc[0]
    assert merged.geom_type == "Polygon" and merged.area == pytest.approx(
        shapely.area(hotspots.geometry.to_numpy()[:2]).sum()
    )


def test_a_ring_marks_an_area_until_the_zoom_where_it_is_wide_enough(hotspots):
    areas = hot_areas(hotspots)
    single = areas.loc[areas["cells"] == 1, "until"].iloc[0]
    west, _, east, _ = areas.loc[areas["cells"] == 1].geometry.iloc[0].bounds
    # A hexagon of about 36 km² (7.5 km across) is AREA_PX wide at zoom ~8.6; at the theatre's 6, 4 px.
    assert (east - west) * 256 / 360 * 2**single == pytest.approx(AREA_PX, rel=0.25)
    assert 8 < single < 9.5 and areas.loc[areas["cells"] == 2, "until"].iloc[0] < single
    _, rings = hot_area_features(areas)
    assert [f["properties"]["until"] for f in rings["features"]] == areas["until"].tolist()
    lon, lat = rings["features"][-1]["geometry"]["coordinates"]
    assert areas.geometry.iloc[-1].contains(shapely.Point(lon, lat))  # lon/lat order kept


def test_the_areas_are_drawn_in_the_pane_above_the_dots_without_catching_clicks(hotspots):
    group = folium.FeatureGroup(name="Hot and cold spots (Gi*)")
    add_hot_areas(group, hotspots)
    layers = [c for c in group._children.values() if type(c).__name__ == "VectorLayer"]
    assert len(layers) == 4 and all(x.pane == ABOVE_DOTS_PANE and not x.interactive for x in layers)
    legends = [c for c in group._children.values() if type(c).__name__ == "Legend"]
    assert len(legends) == 1 and "Ring: an area too small to see at this zoom" in legends[0].html
    assert "Hot (99 %)" in legends[0].html and "Cold (95 %)" in legends[0].html


def test_no_significant_cell_draws_nothing(hotspots):
    none = hotspots.assign(level="")
    assert hot_areas(none).empty
    group = folium.FeatureGroup(name="x")
    assert add_hot_areas(group, none).empty and not group._children
