"""The demo scenario files load, split the theatre cleanly along the line, and fail clearly when broken."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.crs import centre_of, theatre_crs
from geo.demo import SHIFT_M, build_scenario
from geo.errors import InputError
from geo.scenario import ZONE_KINDS, load_scenario
from geo.settings import SCENARIO_DIR


@pytest.fixture(scope="module")
def scenario():
    return load_scenario()


@pytest.fixture(scope="module")
def metric(scenario):
    return theatre_crs(*centre_of(scenario.lines))


def _xy(geom, crs):
    return gpd.GeoSeries([geom], crs=4326).to_crs(crs).iloc[0]


def test_loads_two_versions_sides_zones_and_posts(scenario):
    assert list(scenario.lines["version"]) == ["v1", "v2"]
    for frame in (scenario.lines, scenario.control_areas):
        assert (
            isinstance(frame["valid_from"].dtype, pd.DatetimeTZDtype)
            and str(frame["valid_from"].dt.tz) == "UTC"
        )
    assert scenario.lines["valid_from"].iloc[1] == pd.Timestamp("2026-10-15T00:00:00Z")
    assert sorted(zip(scenario.control_areas["version"], scenario.control_areas["side"], strict=True)) == [
        ("v1", "RU"),
        ("v1", "UA"),
        ("v2", "RU"),
        ("v2", "UA"),
    ]
    assert set(scenario.zones["kind"]) == set(ZONE_KINDS)
    assert (scenario.zones["kind"] == "disengagement_area").sum() == 3
    assert 12 <= len(scenario.posts) <= 16
    assert scenario.posts["range_m"].between(8_000, 15_000).all()
    for frame in (scenario.lines, scenario.control_areas, scenario.zones, scenario.posts):
        assert frame.crs.to_epsg() == 4326
    assert 200 <= len(shapely.get_coordinates(scenario.lines.geometry.iloc[0])) <= 1_000


def test_version_in_force_by_time(scenario):
    assert scenario.version_at("2026-10-14T23:59:59Z") == "v1"
    assert scenario.version_at("2026-10-15T00:00:00Z") == "v2"
    assert scenario.line_at("2026-10-20").equals(scenario.lines.geometry.iloc[1])
    areas = scenario.control_at(pd.Timestamp("2026-03-01", tz="UTC"))
    assert list(areas.index) == ["RU", "UA"] and set(areas["version"]) == {"v1"}
    with pytest.raises(InputError, match="No contact line version is in force at 2025"):
        scenario.line_at("2025-12-31T23:00:00Z")


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_control_areas_do_not_overlap_and_meet_along_the_line(scenario, metric, version):
    areas = scenario.control_areas[scenario.control_areas["version"] == version].set_index("side")
    ua, ru = (_xy(areas.loc[s, "geometry"], metric) for s in ("UA", "RU"))
    # Rounding to 6 decimals (about 0.1 m) may leave slivers of a few square metres, no more.
    assert ua.intersection(ru).area < 100.0
    line = scenario.lines.set_index("version").loc[version, "geometry"]
    vertices = shapely.points(shapely.get_coordinates(_xy(line, metric)))
    # The line's last kilometres run down the Dnipro's mouth into the estuary, water at 1:10m.
    ashore = shapely.distance(ua.union(ru), vertices) < 2.0
    assert ashore.mean() > 0.97
    assert shapely.distance(ua.boundary, vertices[ashore]).max() < 2.0
    assert shapely.distance(ru.boundary, vertices[ashore]).max() < 2.0
    # Kyiv and Kharkiv are Ukrainian-held; Donetsk, Luhansk and Simferopol are not.
    side = lambda lon, lat: "UA" if areas.loc["UA", "geometry"].contains(shapely.Point(lon, lat)) else "RU"  # noqa: E731
    assert [
        side(30.52, 50.45),
        side(36.23, 50.0),
        side(37.80, 48.0),
        side(39.3, 48.57),
        side(34.1, 44.95),
    ] == [
        "UA",
        "UA",
        "RU",
        "RU",
        "RU",
    ]


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_ground_is_ukraine_split_once_and_russia_as_a_state(scenario, metric, version):
    ground = scenario.ground[scenario.ground["version"] == version]
    assert sorted(zip(ground["side"], ground["kind"], strict=True)) == [
        ("RU", "occupied"),
        ("RU", "state"),
        ("UA", "state"),
    ]
    part = {
        (s, k): _xy(g, metric)
        for s, k, g in zip(ground["side"], ground["kind"], ground.geometry, strict=True)
    }
    held, occupied, russia = part["UA", "state"], part["RU", "occupied"], part["RU", "state"]
    assert all(g.is_valid and not g.is_empty for g in (held, occupied, russia))
    assert held.intersection(occupied).area < 1_000.0
    assert russia.intersection(held.union(occupied)).area < 1_000.0
    # Crimea, Donetsk and Mariupol are occupied ground; Rostov-on-Don and Belgorod are Russia's own.
    where = {"Simferopol": (34.1, 44.95), "Donetsk": (37.80, 48.0), "Mariupol": (37.55, 47.10)}
    for name, (lon, lat) in where.items():
        assert ground.loc[ground["kind"] == "occupied"].contains(shapely.Point(lon, lat)).any(), name
    for lon, lat in ((39.72, 47.23), (36.59, 50.6)):
        assert (
            ground.loc[(ground["side"] == "RU") & (ground["kind"] == "state")]
            .contains(shapely.Point(lon, lat))
            .any()
        )
    # The engine's one row per side is the union of the side's parts.
    joined = _xy(scenario.control_at(ground["valid_from"].iloc[0]).loc["RU", "geometry"], metric)
    assert abs(joined.area - occupied.area - russia.area) < 1e-6 * joined.area


def test_ukraine_split_covers_the_derived_outline_once(scenario, metric, world_atlas):
    from geo.borders import world_countries
    from geo.demo.geography import THEATRE_BOX, Frame
    from geo.demo.scenario_build import _with_inland_water

    ukraine = _xy(
        _with_inland_water(world_countries("10m", path=world_atlas), shapely.box(*THEATRE_BOX), Frame()),
        metric,
    )
    for version in ("v1", "v2"):
        ground = scenario.ground[(scenario.ground["version"] == version)]
        mine = ground.loc[(ground["side"] == "UA") | (ground["kind"] == "occupied")]
        union = _xy(shapely.union_all(mine.geometry.to_numpy()), metric)
        assert ukraine.symmetric_difference(union).area < 200_000.0


def test_version_two_moves_one_sector_a_few_km(scenario, metric):
    v1, v2 = (_xy(g, metric) for g in scenario.lines.geometry)
    assert 0.8 * SHIFT_M < shapely.hausdorff_distance(v1, v2) < 1.2 * SHIFT_M
    moved = shapely.distance(v1, shapely.points(shapely.get_coordinates(v2))) > 100
    # Only a stretch of the line moves, not the whole of it.
    assert 0.02 < moved.mean() < 0.25


def test_line_lies_in_ukraine(scenario, metric):
    ground = scenario.ground.loc[scenario.ground["version"] == "v1"]
    mine = (ground["side"] == "UA") | (ground["kind"] == "occupied")
    ukraine = _xy(shapely.union_all(ground.loc[mine].geometry.to_numpy()), metric)
    for line in scenario.lines.geometry:
        lon, lat = shapely.get_coordinates(line).T
        vertices = shapely.points(shapely.get_coordinates(_xy(line, metric)))
        off = shapely.distance(ukraine, vertices) > 10.0
        # Only its end down the Dnipro's mouth lies in the estuary's water (west of 32.45 E).
        assert (lon[off] < 32.45).all() and (lat[off] < 46.6).all()
        assert off.sum() <= 8


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_posts_sit_3_to_10_km_from_the_line_on_their_side(scenario, metric, version):
    line = _xy(scenario.lines.set_index("version").loc[version, "geometry"], metric)
    posts = scenario.posts.to_crs(metric)
    dist = shapely.distance(line, posts.geometry.to_numpy())
    assert ((dist >= 3_000) & (dist <= 10_000)).all(), dist
    areas = scenario.control_areas[scenario.control_areas["version"] == version].set_index("side")
    for side in ("UA", "RU"):
        mine = scenario.posts[scenario.posts["side"] == side]
        assert len(mine) >= 4
        assert shapely.contains(areas.loc[side, "geometry"], mine.geometry.to_numpy()).all()


def test_coverage_circles_are_geodesic_with_the_post_range(scenario):
    cover = scenario.zones[scenario.zones["kind"] == "op_coverage"]
    assert len(cover) == len(scenario.posts)
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    for (_, post), ring in zip(scenario.posts.iterrows(), cover.geometry, strict=True):
        lon, lat = np.asarray(ring.exterior.coords).T
        _, _, d = geod.inv(np.full(len(lon), post.geometry.x), np.full(len(lon), post.geometry.y), lon, lat)
        np.testing.assert_allclose(d, post["range_m"], rtol=1e-4)


def test_files_follow_rfc_7946(scenario):
    for path in sorted(SCENARIO_DIR.glob("*.geojson")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\d\.\d{7,}", text), f"{path.name} has more than 6 decimals"
    for geom in [*scenario.control_areas.geometry, *scenario.zones.geometry]:
        for poly in getattr(geom, "geoms", [geom]):
            assert poly.exterior.is_ccw
            assert not any(ring.is_ccw for ring in poly.interiors)


def test_build_scenario_reproduces_the_committed_files(tmp_path, world_atlas):
    written = build_scenario(tmp_path, countries=world_atlas)
    assert sorted(p.name for p in written) == sorted(p.name for p in SCENARIO_DIR.glob("*.geojson"))
    for path in written:
        assert path.read_bytes() == (SCENARIO_DIR / path.name).read_bytes(), f"{path.name} drifted"


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "scenario"
    shutil.copytree(SCENARIO_DIR, target)
    return target


def _edit(path: Path, change) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")


def test_missing_file_names_the_file_and_the_fix(tmp_path):
    folder = _copy(tmp_path)
    (folder / "posts.geojson").unlink()
    with pytest.raises(InputError, match=r"posts\.geojson is missing") as err:
        load_scenario(folder)
    assert "python -m geo.demo scenario" in err.value.hint


def test_missing_property_names_feature_and_property(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder / "control_areas.geojson", lambda d: d["features"][2]["properties"].pop("side"))
    with pytest.raises(InputError, match=r"Feature 2 of \S*control_areas\.geojson has no 'side'"):
        load_scenario(folder)


def test_wrong_geometry_type_is_refused(tmp_path):
    folder = _copy(tmp_path)

    def to_point(doc):
        doc["features"][0]["geometry"] = {"type": "Point", "coordinates": [37.0, 48.0]}

    _edit(folder / "contact_line.geojson", to_point)
    with pytest.raises(InputError, match=r"contact_line\.geojson has geometry 'Point'") as err:
        load_scenario(folder)
    assert "LineString" in err.value.hint


def test_unknown_side_and_version_are_refused(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder / "control_areas.geojson", lambda d: d["features"][0]["properties"].update(side="XX"))
    with pytest.raises(InputError, match="side 'XX'"):
        load_scenario(folder)
    folder = _copy(tmp_path / "b")
    _edit(folder / "control_areas.geojson", lambda d: d["features"][0]["properties"].update(version="v9"))
    with pytest.raises(InputError, match="v9"):
        load_scenario(folder)


def test_bad_valid_from_is_refused(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder / "contact_line.geojson", lambda d: d["features"][1]["properties"].update(valid_from="soon"))
    with pytest.raises(InputError, match="'soon' is not an ISO 8601"):
        load_scenario(folder)
