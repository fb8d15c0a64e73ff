"""Triangulation: sectors of one fire seen by different observers, narrowed to their intersection."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

# Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8
# Intersections smaller than this (square metres) are sectors that only touch.
MIN_AREA_M2 = 100.0


@dataclass(frozen=True)
class Sightings:
    """The reports with a sector, positional: everything triangulation compares.

    Attributes
    ----------
    sectors
        Polygons in the theatre CRS (metres).
    times
        ``occurred_at`` as UTC nanoseconds.
    source, lon, lat
        Who observed, and from where (degrees).
    uid
        Report keys, for stable group ids.
    weapon
        The weapon class each report names (None or ``unknown`` when it names none): a mortar and a
        rocket launcher heard at once are two fires, whatever their bearings say.
    """

    sectors: np.ndarray
    times: np.ndarray
    source: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    uid: np.ndarray
    weapon: np.ndarray | None = None

    def compatible(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """True where reports ``i`` and ``j`` may be of one fire: the same weapon class, or one unnamed."""
        if self.weapon is None:
            return np.ones(len(i), dtype=bool)
        a, b = self.weapon[i], self.weapon[j]
        unnamed = pd.isna(a) | pd.isna(b) | (a == "unknown") | (b == "unknown")
        return np.asarray(unnamed | (a == b), dtype=bool)

    def different_observers(self, i: np.ndarray, j: np.ndarray, *, apart_m: float) -> np.ndarray:
        """True where reports ``i`` and ``j`` have another source or observer points ``apart_m`` apart."""
        # Equirectangular: within the few kilometres that matter here it departs from the geodesic
        # by far less than a metre, and a geodesic per pair cost half a second at a million reports.
        lat = np.radians((self.lat[i] + self.lat[j]) / 2)
        dx = np.radians(self.lon[i] - self.lon[j]) * np.cos(lat)
        dy = np.radians(self.lat[i] - self.lat[j])
        dist = EARTH_RADIUS_M * np.hypot(dx, dy)
        return (self.source[i] != self.source[j]) | (dist > apart_m)


def triangulate(
    s: Sightings, *, window_ns: int, apart_m: float
) -> tuple[np.ndarray, dict[str, shapely.Geometry]]:
    """Group the sightings of one fire and intersect their sectors.

    Candidate pairs are reports within ``window_ns`` of each other (a sweep over sorted times)
    from different observers whose sectors intersect with an area; groups are the connected
    components of those pairs. Time goes first because it is the selective test: a post's
    sectors overlap one another all year, so a spatial index would return pairs by the million.

    Returns
    -------
    tuple
        Each sighting's group id (``'T-'`` and the smallest member uid) or None, and each
        group's intersection in the theatre CRS.
    """
    m = len(s.sectors)
    group = np.full(m, None, dtype=object)
    if m < 2:
        return group, {}
    i, j = pairs_in_window(s.times, window_ns)
    keep = s.different_observers(i, j, apart_m=apart_m) & s.compatible(i, j)
    i, j = i[keep], j[keep]
    shapely.prepare(s.sectors)
    keep = shapely.intersects(s.sectors[i], s.sectors[j])
    i, j = i[keep], j[keep]
    overlap = shapely.intersection(s.sectors[i], s.sectors[j])
    keep = shapely.area(overlap) > MIN_AREA_M2
    i, j, overlap = i[keep], j[keep], overlap[keep]
    graph = coo_array((np.ones(len(i)), (i, j)), shape=(m, m)).tocsr()
    _, labels = connected_components(graph, directed=False)
    in_group = np.flatnonzero(np.bincount(labels)[labels] >= 2)
    out: dict[str, shapely.Geometry] = {}
    if not len(in_group):
        return group, out
    order = in_group[np.argsort(labels[in_group], kind="stable")]
    starts = np.r_[0, np.flatnonzero(np.diff(labels[order])) + 1]
    sizes = np.diff(np.r_[starts, len(order)])
    number = np.repeat(np.arange(len(starts)), sizes)  # each member's group, by position in `order`
    # A group is taken whole when it spans at most the window, every pair in it may be one fire,
    # and all its sectors share an area. All groups are tested at once: a loop over tens of
    # thousands of groups of a few reports cost seconds at a million reports.
    t = s.times[order]
    consistent = np.maximum.reduceat(t, starts) - np.minimum.reduceat(t, starts) <= window_ns
    pi, pj = _pairs_within(starts, sizes)
    ok = s.different_observers(order[pi], order[pj], apart_m=apart_m) & s.compatible(order[pi], order[pj])
    consistent &= np.bincount(number[pi][~ok], minlength=len(starts)) == 0
    # The first two members' overlap is their pair's, already computed (none if they are no pair).
    key = np.minimum(i, j) * m + np.maximum(i, j)
    by_key = np.argsort(key)
    a, b = order[starts], order[starts + 1]
    wanted = np.minimum(a, b) * m + np.maximum(a, b)
    at = np.clip(np.searchsorted(key[by_key], wanted), 0, max(len(key) - 1, 0))
    paired = key[by_key][at] == wanted
    whole = np.full(len(starts), shapely.Polygon(), dtype=object)
    whole[paired] = overlap[by_key][at[paired]]
    rank = np.arange(len(order)) - np.repeat(starts, sizes)
    for k in range(2, int(sizes.max())):  # one vectorised intersection per further member rank
        pos = np.flatnonzero(rank == k)
        whole[number[pos]] = shapely.intersection(whole[number[pos]], s.sectors[order[pos]])
    taken = consistent & (shapely.area(whole) > MIN_AREA_M2)
    members = taken[number]
    gid = pd.Series(s.uid[order[members]]).groupby(number[members]).transform("min").to_numpy()
    group[order[members]] = np.char.add("T-", gid.astype(str)).astype(object)
    out.update(zip(group[order[starts[taken]]], whole[taken], strict=True))
    adjacent = set(zip(np.minimum(i, j).tolist(), np.maximum(i, j).tolist(), strict=True))
    for g in np.flatnonzero(~taken):
        _split(s, order[starts[g] : starts[g] + sizes[g]], group, out, window_ns=window_ns, adjacent=adjacent)
    return group, out


def _pairs_within(starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i < j) of positions inside each run ``starts[g] .. starts[g] + sizes[g]``."""
    end = np.repeat(starts + sizes, sizes)
    position = np.arange(len(end))
    count = end - position - 1
    first = np.repeat(position, count)
    step = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return first, first + 1 + step


def pairs_in_window(times: np.ndarray, window_ns: int) -> tuple[np.ndarray, np.ndarray]:
    """Return every pair (i, j), i != j once, of times at most ``window_ns`` apart, by a sorted sweep."""
    # NaT (the int64 minimum) pairs with nothing.
    known = np.flatnonzero(times != np.iinfo(np.int64).min)
    order = known[np.argsort(times[known], kind="stable")]
    t = times[order]
    count = np.searchsorted(t, t + window_ns, side="right") - np.arange(len(t)) - 1
    first = np.repeat(np.arange(len(t)), count)
    step = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return order[first], order[first + 1 + step]


def _assign(s: Sightings, members: np.ndarray, area: shapely.Geometry, group: np.ndarray, out: dict) -> None:
    gid = "T-" + str(min(s.uid[members]))
    group[members] = gid
    out[gid] = area


def _split(
    s: Sightings,
    members: np.ndarray,
    group: np.ndarray,
    out: dict,
    *,
    window_ns: int,
    adjacent: set[tuple[int, int]],
) -> None:
    """Split a group whose sectors share no point into consistent subsets, narrowest sectors first.

    A subset takes a member when it is within the time window of the subset's first, is a candidate
    pair of every member so far (``adjacent``: another observer, a compatible weapon, sectors that
    overlap), and keeps the intersection non-empty. The rest is tried again; a member that fits in
    no subset of two keeps its own sector.
    """
    left = members[np.lexsort((s.times[members], shapely.area(s.sectors[members])))]
    while len(left) >= 2:
        chosen, acc = [left[0]], s.sectors[left[0]]
        for cand in left[1:]:
            if abs(s.times[cand] - s.times[chosen[0]]) > window_ns:
                continue
            if not all((min(c, cand), max(c, cand)) in adjacent for c in chosen):
                continue
            trial = shapely.intersection(acc, s.sectors[cand])
            if shapely.area(trial) > MIN_AREA_M2:
                chosen.append(cand)
                acc = trial
        if len(chosen) >= 2:
            _assign(s, np.array(chosen), acc, group, out)
        left = np.array([x for x in left[1:] if group[x] is None])
