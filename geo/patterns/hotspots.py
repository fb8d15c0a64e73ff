"""Hot and cold spots: Getis-Ord Gi* (esda) on counts per H3 cell, with a false-discovery-rate correction."""

from __future__ import annotations

import warnings

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
from libpysal.weights import WSP
from scipy import stats

from geo.patterns import hexgrid
from geo.patterns.frame import Points
from geo.patterns.params import PatternParams

HOTSPOT_COLUMNS = ("cell", "count", "gi_z", "p_norm", "p_sim", "p_fdr", "level", "geometry")
ESDA_ALTERNATIVE_WARNING = "The alternative hypothesis for conditional randomization"
LEVELS = ((0.01, "99"), (0.05, "95"), (0.10, "90"))


def study_cells(points: Points, params: PatternParams) -> tuple[np.ndarray, np.ndarray]:
    """Return the study area's cells (the reports' cells and ``hotspot_ring`` rings around them) and counts."""
    cells = hexgrid.cells_of(points.lon, points.lat, params.resolution)
    occupied, n = np.unique(cells, return_counts=True)
    area = hexgrid.disk(occupied, params.hotspot_ring)
    counts = np.zeros(len(area))
    counts[np.searchsorted(area, occupied)] = n
    return area, counts


def hex_weights(cells: np.ndarray):
    """Binary libpysal weights joining each cell to its six neighbours (within ``cells``, sorted unique).

    Not to itself: ``star=True`` in :func:`gi_star` adds the cell to its own neighbourhood.
    """
    itself, disk = hexgrid.ring_matrix(cells, 1)
    adjacency = (disk - itself).tocsr()
    adjacency.eliminate_zeros()
    return WSP(adjacency).to_W(silence_warnings=True)


def gi_star(counts: np.ndarray, weights, params: PatternParams) -> esda.G_Local:
    """Run esda's Gi* (binary weights with the cell itself, seeded conditional permutations)."""
    with warnings.catch_warnings():
        # esda 2.9 announces that a future release makes permutation p-values two-sided; G_Local has
        # no argument to choose yet. Ours is the directed one (the tail of the observed sign), as documented.
        warnings.filterwarnings("ignore", message=ESDA_ALTERNATIVE_WARNING, category=DeprecationWarning)
        # star=True rebuilds the weights with libpysal's fill_diagonal, which warns again about what
        # hex_weights already knows and accepts: reports fall in separate groups of cells.
        warnings.filterwarnings(
            "ignore", message="The weights matrix is not fully connected", category=UserWarning
        )
        warnings.filterwarnings("ignore", message="The weights matrix has islands", category=UserWarning)
        return esda.G_Local(
            counts,
            weights,
            transform="B",
            star=True,
            permutations=params.permutations,
            seed=params.seed,
            n_jobs=1,
            keep_simulations=False,
        )


def level_of(z: np.ndarray, p_fdr: np.ndarray) -> np.ndarray:
    """'hot 99' ... 'cold 90' by the sign of z and the FDR-adjusted p-value; '' when not significant."""
    level = np.full(len(z), "", dtype=object)
    for cut, label in reversed(LEVELS):
        hit = p_fdr <= cut
        level[hit & (z > 0)] = f"hot {label}"
        level[hit & (z < 0)] = f"cold {label}"
    return level


def hotspots(points: Points, params: PatternParams) -> gpd.GeoDataFrame:
    """One row per cell of the study area: count, Gi* z, p-values and the hot/cold level, as hexagons.

    ``p_norm`` is two-sided from Gi*'s analytic z; ``p_fdr`` its Benjamini-Hochberg adjustment over
    all cells, which sets the level (permutation p-values stop at 1/(permutations+1), too coarse for
    the correction); ``p_sim`` is esda's one-sided permutation p-value, shown beside it.
    """
    if len(points) == 0:
        return gpd.GeoDataFrame({c: [] for c in HOTSPOT_COLUMNS[:-1]}, geometry=[], crs=4326)
    cells, counts = study_cells(points, params)
    if len(cells) < 2 or counts.std() == 0:
        z = np.zeros(len(cells))
        p_sim = np.ones(len(cells))
    else:
        weights = hex_weights(cells)
        gi = gi_star(counts, weights, params)
        z = np.asarray(gi.Zs, dtype=float)
        p_sim = np.asarray(gi.p_sim, dtype=float) if params.permutations else np.full(len(cells), np.nan)
        # A cell without neighbours has nothing to permute: esda reports 1/(permutations+1), meaningless.
        p_sim[weights.islands] = np.nan
    p_norm = 2 * stats.norm.sf(np.abs(z))
    p_fdr = stats.false_discovery_control(p_norm, method="bh")
    frame = pd.DataFrame(
        {
            "cell": hexgrid.cell_names(cells),
            "count": counts.astype("int64"),
            "gi_z": z,
            "p_norm": p_norm,
            "p_sim": p_sim,
            "p_fdr": p_fdr,
            "level": level_of(z, p_fdr),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=hexgrid.outlines(cells), crs=4326)
