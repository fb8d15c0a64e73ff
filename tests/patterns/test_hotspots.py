"""Hotspots: esda's Gi* on H3 counts, unchanged by the wrapper; planted hot spots found; noise stays quiet."""

from __future__ import annotations

import esda
import h3
import numpy as np
import pytest

from geo.patterns import PatternParams, find_patterns, synthetic, uids_in_cells
from geo.patterns.frame import points_of
from geo.patterns.hotspots import ESDA_ALTERNATIVE_WARNING, hex_weights, level_of, study_cells

SMALL_BOX = (35.0, 47.0, 35.6, 47.4)


@pytest.fixture(scope="module")
def planted():
    frame = synthetic.background(2_000, seed=11, box=SMALL_BOX)
    return synthetic.plant_cluster(
        frame, 150, seed=12, centre=(35.3, 47.2), radius_m=4_000, first_day=0, days=31
    )


@pytest.mark.filterwarnings(f"ignore:{ESDA_ALTERNATIVE_WARNING}:DeprecationWarning")
def test_gi_star_equals_esda_run_directly_on_the_same_weights(planted):
    frame, _ = planted
    params = PatternParams(permutations=199)
    found = find_patterns(frame, params=params, parts=("hotspots",)).hotspots
    cells, counts = study_cells(points_of(frame), params)
    direct = esda.G_Local(
        counts,
        hex_weights(cells),
        transform="B",
        star=True,
        permutations=199,
        seed=params.seed,
        n_jobs=1,  # esda's parallel path calls numpy's deprecated row_stack
        keep_simulations=False,
    )
    order = np.searchsorted(cells, [h3.str_to_int(c) for c in found["cell"]])
    np.testing.assert_array_equal(found["gi_z"].to_numpy(), direct.Zs[order])
    island = np.isnan(found["p_sim"].to_numpy())  # no neighbour: the wrapper blanks esda's 1/(R+1)
    np.testing.assert_array_equal(found["p_sim"].to_numpy()[~island], direct.p_sim[order][~island])


def test_gi_star_z_is_the_getis_ord_formula_with_the_cell_itself():
    frame = synthetic.background(500, seed=3, box=SMALL_BOX)
    params = PatternParams(permutations=0)
    found = find_patterns(frame, params=params, parts=("hotspots",)).hotspots
    x = found["count"].to_numpy(float)
    n = len(x)
    cells = list(found["cell"])
    index = {c: i for i, c in enumerate(cells)}
    i = int(np.argmax(x))
    near = [index[c] for c in h3.grid_disk(cells[i], 1) if c in index]  # the cell and its neighbours
    w = len(near)
    s = np.sqrt((x**2).mean() - x.mean() ** 2)
    z = (x[near].sum() - x.mean() * w) / (s * np.sqrt((n * w - w**2) / (n - 1)))
    assert found["gi_z"].iloc[i] == pytest.approx(z)


def test_weights_join_each_cell_to_its_h3_neighbours():
    middle = "872d66c08ffffff"
    cells = np.unique(np.array([h3.str_to_int(c) for c in h3.grid_disk(middle, 2)], dtype=np.uint64))
    w = hex_weights(cells)
    centre = int(np.searchsorted(cells, h3.str_to_int(middle)))
    neighbours = {h3.int_to_str(int(cells[j])) for j in w.neighbors[centre]}
    assert neighbours == set(h3.grid_ring(middle, 1))
    assert min(w.cardinalities.values()) >= 3  # the outer ring has fewer neighbours, none is an island


def test_a_planted_hot_spot_is_found_and_its_reports_selected(planted):
    frame, uids = planted
    spots = find_patterns(frame, params=PatternParams(permutations=99), parts=("hotspots",)).hotspots
    hot = spots[spots["level"].str.startswith("hot")]
    assert len(hot) > 0
    selected = set(uids_in_cells(frame, hot["cell"], 6))
    planted_share = len(selected & set(uids)) / len(uids)
    assert planted_share > 0.8
    assert hot.geometry.geom_type.eq("Polygon").all() and spots.crs.to_epsg() == 4326
    assert hot.geometry.contains(frame.set_index("uid").loc[uids[:1]].geometry.iloc[0]).any()


def test_noise_gives_no_significant_cell_after_the_fdr_correction():
    quiet = 0
    for seed in range(10):
        frame = synthetic.background(3_000, seed=seed, box=SMALL_BOX)
        spots = find_patterns(frame, params=PatternParams(permutations=0), parts=("hotspots",)).hotspots
        quiet += (spots["level"] == "").all()
    assert quiet >= 8


def test_levels_follow_the_sign_and_the_adjusted_p_value():
    z = np.array([3.0, 2.0, 1.0, -3.0, -2.0, 0.5])
    p = np.array([0.005, 0.03, 0.08, 0.005, 0.2, 0.001])
    assert level_of(z, p).tolist() == ["hot 99", "hot 95", "hot 90", "cold 99", "", "hot 99"]
