"""Orientation: settlement names by zoom, oblast boundaries and names, the searched place's marker."""

from __future__ import annotations

import folium
import numpy as np
import pandas as pd
import pytest

from geo.maps.build import base_map, live_map
from geo.maps.places import (
    LAST_ZOOM,
    NEVER,
    PlaceLabels,
    label_zooms,
    lines_bounds,
    near,
    place_marker,
    settlement_labels,
)
from geo.settings import Settings


def _zooms(rows):
    names = pd.Series([r[0] for r in rows])
    lon, lat, pop = (np.array([r[i] for r in rows], float) for i in (1, 2, 3))
    return label_zooms(names, lon, lat, pop)


def test_larger_places_are_named_first_and_crowded_ones_later():
    # A city, a town 10 km east (its name would cover the city's at low zoom) and a far village.
    zooms = _zooms(
        [
            ("Kramatorsk", 37.56, 48.72, 250_000),
            ("Town", 37.695, 48.72, 30_000),
            ("Village", 36.0, 47.0, 1_500),
            ("Hamlet", 36.5, 47.5, 400),
        ]
    )
    assert zooms[0] == 6  # the city at the first zoom
    assert 8 < zooms[1] <= LAST_ZOOM  # the town once the city's name no longer covers it
    assert zooms[2] == 11  # the village at its population's zoom, nothing in its way
    assert zooms[3] == NEVER  # too small to be named at all


def test_names_placed_never_overlap_at_their_zoom():
    rng = np.random.default_rng(7)
    n = 400
    rows = [
        (f"Place {i}", 37 + rng.random(), 48 + rng.random(), float(rng.integers(1_000, 300_000)))
        for i in range(n)
    ]
    zooms = _zooms(rows)
    from geo.maps.places import CHAR_PX, DOT_PX, GAP_PX, LABEL_HEIGHT_PX, _pixels

    lon = np.array([r[1] for r in rows])
    lat = np.array([r[2] for r in rows])
    width = DOT_PX + GAP_PX + CHAR_PX * np.array([len(r[0]) for r in rows])
    for zoom in range(6, LAST_ZOOM + 1):
        shown = np.flatnonzero(zooms <= zoom)
        x, y = _pixels(lon[shown], lat[shown], zoom)
        x0, y0 = x - DOT_PX / 2, y - LABEL_HEIGHT_PX / 2
        x1, y1 = x0 + width[shown], y0 + LABEL_HEIGHT_PX
        overlap = (
            (x0[:, None] < x1[None])
            & (x0[None] < x1[:, None])
            & (y0[:, None] < y1[None])
            & (y0[None] < y1[:, None])
        )
        np.fill_diagonal(overlap, False)
        assert not overlap.any(), zoom
    # Once named, always named: more names at each closer zoom.
    counts = [(zooms <= z).sum() for z in range(6, LAST_ZOOM + 1)]
    assert counts == sorted(counts) and counts[-1] > counts[0]


def test_the_gazetteer_names_cities_early_and_front_villages_only_near_the_line():
    places = settlement_labels()
    by_name = {(p[3], round(p[1], 1)): p for p in places}
    assert by_name["Kyiv", 30.5][2] == 6 and by_name["Kyiv", 30.5][4] == 1
    assert by_name["Avdiyivka", 37.8][2] <= 10
    front = near(places, (37.0, 48.0, 38.0, 49.0))
    names = {p[3] for p in front}
    assert "Avdiyivka" in names and "Kyiv" in names
    # A village of western Ukraine is sent only when the whole gazetteer is asked for.
    far = [p for p in places if p[2] > 8 and p[1] < 26.0]
    assert far and not set(far) & set(front)
    assert len(front) < len(places) / 2


def test_lines_bounds_reads_line_and_multiline_features():
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "LineString", "coordinates": [[37, 48], [38, 49]]},
            },
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "MultiLineString", "coordinates": [[[36, 47.5], [36.5, 47]]]},
            },
        ],
    }
    assert lines_bounds(fc) == (36.0, 47.0, 38.0, 49.0)
    assert lines_bounds({"type": "FeatureCollection", "features": []}) is None


def _children(m, kind):
    return [c for c in m._children.values() if isinstance(c, kind)]


def test_offline_map_draws_oblasts_and_names(demo_scenario_incidents):
    incidents, scenario = demo_scenario_incidents
    live = live_map(incidents, scenario, settings=Settings(tile_url=""))
    labels = _children(live.base, PlaceLabels)
    assert len(labels) == 1
    names = {row[3] for row in __import__("json").loads(labels[0].places_json)}
    assert {"Kyiv", "Donetsk", "Bakhmut", "Avdiyivka"} <= names
    assert '"Oblast boundaries"' in live.base.get_root().render() or any(
        getattr(c, "layer_name", "") == "Oblast boundaries" for c in live.base._children.values()
    )
    # With a tile server the tiles carry their own names: none are added.
    tiled = live_map(incidents, scenario, settings=Settings(tile_url="http://tiles.local/{z}/{x}/{y}.png"))
    assert not _children(tiled.base, PlaceLabels)


def test_place_marker_names_the_place_escaped():
    group = place_marker("Avdiyivka <b>", 37.75, 48.14)
    marker = next(iter(group._children.values()))
    assert marker.location == [48.14, 37.75]
    tooltip = next(c for c in marker._children.values() if isinstance(c, folium.Tooltip))
    assert tooltip.text == "Avdiyivka &lt;b&gt;" and tooltip.options["permanent"] is True


@pytest.fixture(scope="module")
def demo_scenario_incidents():
    from geo.scenario import load_scenario

    scenario = load_scenario()
    m = base_map(settings=Settings(tile_url=""))
    assert m is not None
    import geopandas as gpd
    import shapely

    incidents = gpd.GeoDataFrame(
        {
            "uid": ["a:1"],
            "id": ["1"],
            "source": ["a"],
            "type": ["impact"],
            "occurred_at": [pd.Timestamp("2026-10-10", tz="UTC")],
        },
        geometry=[shapely.Point(37.75, 48.14)],
        crs=4326,
    )
    return incidents, scenario
