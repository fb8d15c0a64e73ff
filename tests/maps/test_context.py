"""The shipped countries context layer."""

from __future__ import annotations

import shapely

from geo.maps.context import CONTEXT_BBOX, derive_countries, load_countries


def test_shipped_layer_covers_the_theatre():
    countries = load_countries()
    names = {f["properties"]["NAME"] for f in countries["features"]}
    assert {"Ukraine", "Russia", "Belarus", "Moldova"} <= names
    ukraine = next(f for f in countries["features"] if f["properties"]["NAME"] == "Ukraine")
    assert shapely.geometry.shape(ukraine["geometry"]).contains(shapely.Point(37.8, 48.6))
    box = shapely.box(*CONTEXT_BBOX).buffer(1e-9)
    assert all(box.contains(shapely.geometry.shape(f["geometry"])) for f in countries["features"])


def test_shipped_layer_is_the_natural_earth_derivation(shared_data):
    derived = derive_countries(shared_data / "natural_earth" / "ne_110m_admin_0_countries.json")
    assert derived == load_countries()
