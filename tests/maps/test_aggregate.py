"""Server-side aggregation: every kept report counted once, in the hexagon that holds it."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.maps.aggregate import FLAG_ORDER, HexIndex, in_view, resolution_for_zoom, zoom_for_bounds


@pytest.fixture(scope="module")
def reports(demo_analysis):
    return demo_analysis.reports


def test_counts_match_a_direct_h3_count(reports):
    index = HexIndex.build(reports, 6)
    mask = (reports["type"] == "impact").to_numpy()
    hexagons = index.counts(mask, reports["flag_level"])
    direct = {}
    for point in reports.geometry[mask]:
        cell = h3.latlng_to_cell(point.y, point.x, 6)
        direct[cell] = direct.get(cell, 0) + 1
    assert dict(zip(hexagons["cell"], hexagons["count"], strict=True)) == direct
    per_level = hexagons[list(FLAG_ORDER)].sum(axis=1)
    assert (per_level == hexagons["count"]).all()


def test_each_hexagon_contains_its_reports_and_names_the_worst_level(reports):
    index = HexIndex.build(reports, 5)
    hexagons = index.counts(np.ones(len(reports), bool), reports["flag_level"])
    assert hexagons["count"].sum() == len(reports)
    inside = shapely.contains(hexagons.geometry.to_numpy()[index.codes], reports.geometry.to_numpy())
    assert inside.mean() > 0.999  # points on an edge may round either way
    likely = hexagons["likely"] > 0
    assert (hexagons.loc[likely, "worst"] == "likely").all()
    only_unlikely = (hexagons["likely"] == 0) & (hexagons["possible"] == 0)
    assert (hexagons.loc[only_unlikely, "worst"] == "unlikely").all()


def test_view_box_and_zoom_helpers(reports):
    bounds = tuple(reports.total_bounds)
    assert in_view(reports, bounds).all() and in_view(reports, None).all()
    minx, miny, maxx, maxy = bounds
    west = in_view(reports, (minx, miny, (minx + maxx) / 2, maxy))
    assert 0 < west.sum() < len(reports)
    assert zoom_for_bounds((37.0, 47.5, 38.0, 48.0)) > zoom_for_bounds(bounds)
    resolutions = [resolution_for_zoom(z) for z in range(3, 19)]
    assert resolutions == sorted(resolutions) and resolutions[0] >= 3 and resolutions[-1] <= 9


@pytest.mark.parametrize(
    ("bounds", "zoom"),
    # Exact Web Mercator fits of a 1000 x 650 px map (floor of the zoom that fits both spans).
    [((37.0, 48.0, 38.5, 48.2), 9), ((37.9, 48.0, 38.0, 48.9), 9), ((30.0, 44.0, 40.0, 52.0), 6)],
)
def test_zoom_for_bounds_fits_the_box_in_web_mercator(bounds, zoom):
    assert zoom_for_bounds(bounds) == zoom


def test_a_coarser_index_from_cells_counts_every_report_mostly_in_its_own_cell(reports):
    # H3 children do not tile their parent exactly: near a parent's edge a point's fine cell may
    # belong to the neighbouring parent. Counts stay whole; the cell differs for a few reports.
    fine = HexIndex.build(reports, 9)
    everyone = np.ones(len(reports), bool)
    for resolution in (4, 6, 8):
        direct, derived = HexIndex.build(reports, resolution), fine.coarser(resolution)
        assert derived.counts(everyone)["count"].sum() == len(reports)
        same = (direct.cells[direct.codes] == derived.cells[derived.codes]).mean()
        assert same > 0.9, (resolution, same)


def test_levels_are_read_afresh_when_the_column_changes(reports):
    # The index keeps the level codes of the column it last counted; another column is another count.
    index = HexIndex.build(reports, 5)
    everything = np.ones(len(reports), bool)
    first = index.counts(everything, reports["flag_level"])
    assert index.counts(everything, reports["flag_level"])["likely"].sum() == first["likely"].sum()
    all_likely = pd.Series("likely", index=reports.index, dtype=reports["flag_level"].dtype)
    again = index.counts(everything, all_likely)
    assert again["likely"].sum() == len(reports) and (again["worst"] == "likely").all()
    assert first["likely"].sum() == int((reports["flag_level"] == "likely").sum()) < len(reports)


def test_positions_are_each_frames_own(reports):
    from geo.maps.aggregate import positions

    x, y = positions(reports)
    assert np.array_equal(x, shapely.get_x(reports.geometry.to_numpy()))
    moved = reports.set_geometry(reports.geometry.translate(xoff=1.0))
    assert np.allclose(positions(moved)[0], x + 1.0) and np.array_equal(positions(reports)[1], y)
