"""TopoJSON decoding on a hand-made topology: quantized delta arcs, reversed arcs, shared borders."""

from __future__ import annotations

import pytest
import shapely

from geo.errors import InputError
from geo.topojson import decode_arcs, feature_collection, interior_mesh

# Two unit squares side by side, sharing the arc x = 1, quantized with scale 0.5 and translate (10, 20):
# integer grid positions 0..4 map to 10..12 in x and 20..22 in y.
TOPOLOGY = {
    "type": "Topology",
    "transform": {"scale": [0.5, 0.5], "translate": [10, 20]},
    "objects": {
        "squares": {
            "type": "GeometryCollection",
            "geometries": [
                {"type": "Polygon", "id": "W", "properties": {"name": "west"}, "arcs": [[0, 1]]},
                {"type": "Polygon", "id": "E", "properties": {"name": "east"}, "arcs": [[~0, 2]]},
                {"type": "Polygon", "arcs": [[3]]},
                {"type": None, "properties": {"name": "nothing"}},
            ],
        },
        "spot": {"type": "Point", "coordinates": [2, 4]},
    },
    "arcs": [
        # arc 0: (1,0) -> (1,1) in world units = grid (2,0) -> (2,2), delta-encoded
        [[2, 0], [0, 2]],
        # arc 1: (1,1) -> (0,1) -> (0,0) -> (1,0), closing the west square
        [[2, 2], [-2, 0], [0, -2], [2, 0]],
        # arc 2: (1,0) -> (2,0) -> (2,1) -> (1,1), closing the east square after arc 0 reversed
        [[2, 0], [2, 0], [0, 2], [-2, 0]],
        # arc 3: a ring quantization collapsed (three positions)
        [[0, 0], [1, 0], [-1, 0]],
    ],
}


def test_arcs_are_delta_decoded_and_transformed():
    arcs = decode_arcs(TOPOLOGY)
    assert arcs[0].tolist() == [[11.0, 20.0], [11.0, 21.0]]
    assert arcs[1].tolist() == [[11.0, 21.0], [10.0, 21.0], [10.0, 20.0], [11.0, 20.0]]


def test_without_transform_arcs_are_absolute():
    topo = {"type": "Topology", "objects": {}, "arcs": [[[1.5, 2.5], [3.0, 4.0]]]}
    assert decode_arcs(topo)[0].tolist() == [[1.5, 2.5], [3.0, 4.0]]


def test_polygons_stitch_arcs_and_reverse_negative_indices():
    features = feature_collection(TOPOLOGY, "squares")["features"]
    west, east = (shapely.geometry.shape(f["geometry"]) for f in features[:2])
    assert west.equals(shapely.box(10, 20, 11, 21)) and east.equals(shapely.box(11, 20, 12, 21))
    ring = features[1]["geometry"]["coordinates"][0]
    # The shared arc walked backwards, then arc 2 without repeating their common position.
    assert ring[:3] == [[11.0, 21.0], [11.0, 20.0], [12.0, 20.0]] and ring[0] == ring[-1] and len(ring) == 5
    assert [f.get("id") for f in features] == ["W", "E", None, None]
    assert features[0]["properties"] == {"name": "west"} and features[2]["properties"] == {}
    # A ring collapsed by quantization, and a null geometry, give no geometry.
    assert features[2]["geometry"] is None and features[3]["geometry"] is None


def test_points_are_transformed_not_delta_decoded():
    spot = feature_collection(TOPOLOGY, "spot")["features"][0]["geometry"]
    assert spot == {"type": "Point", "coordinates": [11.0, 22.0]}


def test_interior_mesh_is_the_shared_border_only():
    mesh = interior_mesh(TOPOLOGY, "squares")
    assert mesh == {"type": "MultiLineString", "coordinates": [[[11.0, 20.0], [11.0, 21.0]]]}


def test_errors_name_the_problem():
    with pytest.raises(InputError, match="Not a TopoJSON topology"):
        decode_arcs({"type": "FeatureCollection", "features": []})
    with pytest.raises(InputError, match=r"has no object 'land' \(it has \['spot', 'squares'\]\)"):
        feature_collection(TOPOLOGY, "land")
    bad = {**TOPOLOGY, "objects": {"x": {"type": "Circle", "arcs": []}}}
    with pytest.raises(InputError, match="Unknown TopoJSON geometry type 'Circle'"):
        feature_collection(bad, "x")
