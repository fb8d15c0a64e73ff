"""Corroboration: merge reports of the same happening into events, with a confidence from the Admiralty code."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from scipy.spatial.distance import squareform

from geo.crs import centre_of, require_wgs84, theatre_crs

# Reports of one happening may carry different but compatible types: a patrol hears an
# "undetermined explosion" where a camera sees an "impact". Types in different families never merge.
TYPE_FAMILY: dict[str, str] = {
    "undetermined_explosion": "fire",
    "impact": "fire",
    "outgoing_fire": "fire",
    "projectile_in_flight": "fire",
    "muzzle_flash": "fire",
    "burst_or_shots": "fire",
    "air_or_drone_strike": "fire",
    "illumination_flare": "flare",
    "weapon_sighting": "sighting",
    "mine": "mine",
    "line_crossing": "crossing",
    "restriction_of_monitors": "restriction",
    "other": "other",
}

# Half-width of the time a report may refer to, by its stated precision.
TIME_TOLERANCE: dict[str, pd.Timedelta] = {
    "minute": pd.Timedelta(0),
    "hour": pd.Timedelta(minutes=30),
    "day": pd.Timedelta(hours=12),
    "week": pd.Timedelta(days=3.5),
    "month": pd.Timedelta(days=15),
    "year": pd.Timedelta(days=182),
}

# Admiralty code as probabilities that a report is true (see docs/METHOD.md, "Corroboration").
RELIABILITY_P: dict[str, float] = {"A": 0.9, "B": 0.75, "C": 0.6, "D": 0.4, "E": 0.2, "F": 0.5}
CREDIBILITY_P: dict[int, float] = {1: 0.9, 2: 0.75, 3: 0.6, 4: 0.4, 5: 0.2, 6: 0.5}


# Components larger than this are split greedily (see _greedy_complete): complete linkage needs
# every pair of a component, a memory and time square in its size.
MAX_LINKAGE = 1500


@dataclass(frozen=True)
class CorroborationParams:
    """How close two reports must be to describe the same happening.

    Two reports match when their locations are within ``radius_m`` plus both location uncertainties,
    their times within ``window_min`` minutes plus both time tolerances, and their types in one family. Every
    pair in an event matches (complete linkage), so events cannot chain along a busy sector.
    """

    radius_m: float = 1500.0
    window_min: float = 20.0
    default_precision_m: float = 250.0
    # Confidence is lowered by up to this share when the reports of an event barely match.
    disagreement_penalty: float = 0.3


def report_probability(reliability: pd.Series, credibility: pd.Series) -> np.ndarray:
    """Return the probability that each report is true, from its Admiralty reliability and credibility.

    The geometric mean of the two mapped probabilities: a completely reliable source with improbable
    information (A5) is as doubtful as an unreliable source with confirmed information (E1).
    """
    r = reliability.map(RELIABILITY_P).astype(float).fillna(RELIABILITY_P["F"]).to_numpy()
    c = pd.to_numeric(credibility, errors="coerce").map(CREDIBILITY_P).astype(float)
    c = c.fillna(CREDIBILITY_P[6]).to_numpy()
    return np.sqrt(r * c)


def _time_bounds(reports: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return each report's time (ns since epoch) and its tolerance (ns)."""
    t = pd.DatetimeIndex(reports["occurred_at"]).as_unit("ns").asi8.astype(np.float64)
    tol = reports["time_precision"].map(TIME_TOLERANCE).fillna(pd.Timedelta(0))
    tol = pd.to_timedelta(tol).dt.total_seconds().to_numpy() * 1e9
    if {"occurred_from", "occurred_to"} <= set(reports.columns):
        half = (reports["occurred_to"] - reports["occurred_from"]).dt.total_seconds().to_numpy() * 0.5e9
        tol = np.fmax(tol, np.nan_to_num(half, nan=0.0))
    return t, tol


def _pair_distance(
    i: np.ndarray,
    j: np.ndarray,
    *,
    xy: np.ndarray,
    prec: np.ndarray,
    t: np.ndarray,
    tol: np.ndarray,
    family: np.ndarray,
    params: CorroborationParams,
) -> np.ndarray:
    """Return the normalised distance of report pairs: <= 1 when they may describe one happening."""
    ds = np.hypot(xy[i, 0] - xy[j, 0], xy[i, 1] - xy[j, 1]) / (params.radius_m + prec[i] + prec[j])
    window = params.window_min * 60e9
    dt = np.abs(t[i] - t[j]) / (window + tol[i] + tol[j])
    d = np.maximum(ds, dt)
    d[family[i] != family[j]] = np.inf
    return d


def _classes(values: np.ndarray) -> np.ndarray:
    """Group tolerances into classes whose upper bounds at most double: 0, then powers of two."""
    positive = values > 0
    out = np.zeros(len(values), dtype=np.int64)
    if positive.any():
        out[positive] = 1 + np.floor(np.log2(values[positive] / values[positive].min())).astype(np.int64)
    return out


def _candidate_pairs(
    xy: np.ndarray, prec: np.ndarray, t: np.ndarray, tol: np.ndarray, params: CorroborationParams
) -> np.ndarray:
    """Return index pairs (i < j) that hold every possible match, and not many more.

    Reports are put in classes by location uncertainty and by time tolerance (each class's largest
    value at most twice its smallest). For each pair of classes a Chebyshev search in space-time,
    time scaled so that the pair's largest time tolerance maps onto its largest spatial tolerance,
    bounds every match between them. One search box for all would be as wide as the vaguest report
    allows (a day-precise report's day) and, in a busy month, make every nearby pair a candidate.
    """
    window = params.window_min * 60e9
    cls = pd.MultiIndex.from_arrays([_classes(prec), _classes(tol)])
    codes, _ = cls.factorize()
    groups = [np.flatnonzero(codes == c) for c in range(codes.max() + 1)] if len(codes) else []
    found = [np.empty((0, 2), dtype=np.int64)]
    for a, members_a in enumerate(groups):
        for members_b in groups[a:]:
            r_max = params.radius_m + prec[members_a].max() + prec[members_b].max()
            t_max = window + tol[members_a].max() + tol[members_b].max()
            scale = r_max / t_max
            pts_a = np.column_stack([xy[members_a], t[members_a] * scale])
            if members_b is members_a:
                if len(members_a) < 2:
                    continue
                local = cKDTree(pts_a).query_pairs(r_max, p=np.inf, output_type="ndarray")
                i, j = members_a[local[:, 0]], members_a[local[:, 1]]
            else:
                pts_b = np.column_stack([xy[members_b], t[members_b] * scale])
                near = cKDTree(pts_a).sparse_distance_matrix(
                    cKDTree(pts_b), r_max, p=np.inf, output_type="ndarray"
                )
                i, j = members_a[near["i"]], members_b[near["j"]]
            found.append(np.column_stack([np.minimum(i, j), np.maximum(i, j)]))
    return np.unique(np.concatenate(found), axis=0)


def group_reports(
    reports: gpd.GeoDataFrame, *, params: CorroborationParams | None = None
) -> tuple[pd.Series, gpd.GeoDataFrame]:
    """Merge reports of the same happening into events.

    Parameters
    ----------
    reports
        The normalised incident frame (EPSG:4326), optionally enriched.
    params
        Matching thresholds; defaults as documented in docs/METHOD.md.

    Returns
    -------
    event_id : pandas.Series
        The event of each report, aligned on ``reports.index``.
    events : geopandas.GeoDataFrame
        One row per event: ``event_id``, ``geometry`` (best location), ``occurred_at`` (best time),
        ``type``, ``weapon``, ``n_reports``, ``n_sources``, ``sources``, ``report_uids``,
        ``confidence`` and ``agreement``.
    """
    params = params or CorroborationParams()
    require_wgs84(reports, what="The reports to corroborate")
    n = len(reports)
    if n == 0:
        empty = gpd.GeoDataFrame(
            {"event_id": pd.Series(dtype=object), "confidence": pd.Series(dtype=float)},
            geometry=gpd.GeoSeries([], crs=4326),
        )
        return pd.Series([], index=reports.index, dtype=object, name="event_id"), empty
    crs = theatre_crs(*centre_of(reports))
    metric = reports.geometry.to_crs(crs)
    xy = np.column_stack([metric.x.to_numpy(), metric.y.to_numpy()])
    prec = reports["location_precision_m"].astype(float).fillna(params.default_precision_m).to_numpy()
    t, tol = _time_bounds(reports)
    family = reports["type"].map(TYPE_FAMILY).fillna("other").to_numpy()

    pairs = _candidate_pairs(xy, prec, t, tol, params)
    d = _pair_distance(pairs[:, 0], pairs[:, 1], xy=xy, prec=prec, t=t, tol=tol, family=family, params=params)
    keep = d <= 1.0
    pairs, d = pairs[keep], d[keep]
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, component = connected_components(graph, directed=False)

    # Split each connected component by complete linkage so that every pair inside an event matches.
    # A loop over components, not reports: most are single reports and skipped.
    label = component.astype(np.int64) * n
    spread = np.zeros(n)
    sizes = np.bincount(component)
    order = np.argsort(component, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)])
    large = sizes > MAX_LINKAGE
    if large.any():
        neighbours = _neighbours(pairs, n)
    for comp in np.flatnonzero(sizes > 1):
        members = order[starts[comp] : starts[comp + 1]]
        if large[comp]:
            sub = _greedy_complete(members, neighbours, t)
            label[members] += sub
            _spread_of(members, sub, spread, xy=xy, prec=prec, t=t, tol=tol, family=family, params=params)
            continue
        ii, jj = np.triu_indices(len(members), k=1)
        dm = _pair_distance(
            members[ii], members[jj], xy=xy, prec=prec, t=t, tol=tol, family=family, params=params
        )
        sub = fcluster(linkage(np.minimum(dm, 1e6), method="complete"), t=1.0, criterion="distance")
        label[members] += sub
        full = squareform(np.minimum(dm, 1e6))
        for s in np.unique(sub):
            idx = sub == s
            spread[members[idx]] = full[np.ix_(idx, idx)].max()
    return _summarise(reports, label, xy, prec, spread, crs, params)


def _neighbours(pairs: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The matching pairs as a symmetric adjacency (CSR ``indptr``, ``indices``)."""
    graph = coo_matrix(
        (
            np.ones(2 * len(pairs), dtype=np.int8),
            (np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]]),
        ),
        shape=(n, n),
    ).tocsr()
    return graph.indptr, graph.indices


def _greedy_complete(
    members: np.ndarray, neighbours: tuple[np.ndarray, np.ndarray], t: np.ndarray
) -> np.ndarray:
    """Split a component too large for complete linkage: in time order, join the largest event all of
    whose reports match this one, else start an event. Every pair in an event still matches."""
    indptr, indices = neighbours
    event_of: dict[int, int] = {}
    events: list[set[int]] = []
    for r in members[np.argsort(t[members], kind="stable")].tolist():
        near = set(indices[indptr[r] : indptr[r + 1]].tolist())
        fits = [e for e in {event_of[m] for m in near if m in event_of} if events[e] <= near]
        if fits:
            e = max(fits, key=lambda k: len(events[k]))
        else:
            e = len(events)
            events.append(set())
        events[e].add(r)
        event_of[r] = e
    return np.fromiter((event_of[r] + 1 for r in members.tolist()), dtype=np.int64, count=len(members))


def _spread_of(members: np.ndarray, sub: np.ndarray, spread: np.ndarray, **distance_args: object) -> None:
    """Write each event's largest normalised pair distance into ``spread`` (events of a large component)."""
    for s in np.unique(sub):
        idx = members[sub == s]
        if len(idx) > 1:
            ii, jj = np.triu_indices(len(idx), k=1)
            spread[idx] = _pair_distance(idx[ii], idx[jj], **distance_args).max()  # type: ignore[arg-type]


def _event_ids(uids: pd.Series, label: np.ndarray) -> pd.Series:
    """Name each event by a hash of its member uids, so the id is stable when recomputed."""
    first = pd.Series(uids.to_numpy(), index=label).groupby(level=0).agg(lambda s: "\x1f".join(sorted(s)))
    names = {k: "ev-" + hashlib.sha1(v.encode()).hexdigest()[:12] for k, v in first.items()}
    return pd.Series(label).map(names)


def _summarise(
    reports: gpd.GeoDataFrame,
    label: np.ndarray,
    xy: np.ndarray,
    prec: np.ndarray,
    spread: np.ndarray,
    crs: object,
    params: CorroborationParams,
) -> tuple[pd.Series, gpd.GeoDataFrame]:
    event_id = _event_ids(reports["uid"], label)
    p_true = report_probability(reports["reliability"], reports["credibility"])
    w = 1.0 / np.square(prec)
    frame = pd.DataFrame(
        {
            "event_id": event_id.to_numpy(),
            "x": xy[:, 0] * w,
            "y": xy[:, 1] * w,
            "w": w,
            "t": reports["occurred_at"].to_numpy(),
            "source": reports["source"].to_numpy(),
            "uid": reports["uid"].to_numpy(),
            "type": reports["type"].to_numpy(),
            "weapon": reports["weapon"].fillna("unknown").to_numpy(),
            "p": p_true,
            "spread": spread,
        }
    )
    g = frame.groupby("event_id", sort=True)
    # A source repeating itself counts once: its best report stands for it.
    per_source = frame.groupby(["event_id", "source"])["p"].max()
    miss = np.log1p(-per_source.clip(upper=0.999)).groupby(level=0).sum()
    known_weapon = frame[frame["weapon"] != "unknown"]
    events = pd.DataFrame(
        {
            "x": g["x"].sum() / g["w"].sum(),
            "y": g["y"].sum() / g["w"].sum(),
            "occurred_at": g["t"].median(),
            "n_reports": g.size(),
            "n_sources": g["source"].nunique(),
            "sources": g["source"].agg(lambda s: sorted(set(s))),
            "report_uids": g["uid"].agg(list),
            "type": g["type"].agg(_most_specific_type),
            "weapon": known_weapon.groupby("event_id")["weapon"].agg(lambda s: s.mode().iloc[0]),
            "agreement": 1.0 - params.disagreement_penalty * g["spread"].max(),
        }
    )
    events["weapon"] = events["weapon"].fillna("unknown")
    events["confidence"] = (1.0 - np.exp(miss)) * events["agreement"]
    geometry = gpd.GeoSeries(gpd.points_from_xy(events["x"], events["y"]), crs=crs).to_crs(4326)
    out = gpd.GeoDataFrame(
        events.drop(columns=["x", "y"]).reset_index(), geometry=geometry.to_numpy(), crs=4326
    )
    return pd.Series(event_id.to_numpy(), index=reports.index, name="event_id"), out


def _most_specific_type(types: pd.Series) -> str:
    """Return the most common type, preferring any specific one over 'undetermined_explosion'."""
    specific = types[types != "undetermined_explosion"]
    return str((specific if len(specific) else types).mode().iloc[0])
