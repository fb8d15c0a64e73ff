"""Corroboration: merge reports of the same happening into events, with a confidence from the Admiralty code."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from scipy.spatial.distance import squareform

from geo.attribution.wedges import WEAPON_REACH_M
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

# What a report says about the side that fired (its "lean"), used to keep one side's fire apart from
# the other's: firing-position types locate the weapon, landing types the other end of the shot.
FIRING_TYPES = frozenset({"outgoing_fire", "muzzle_flash", "burst_or_shots"})
LANDING_TYPES = frozenset({"impact", "air_or_drone_strike"})
# Where a report places the fire: at the weapon (a launch) or where it landed. A launch and a landing
# of one fire are a weapon's range apart, so a launch and a landing close together in place and time
# are two fires, most often an exchange (return fire lands where the first was fired from): they
# never merge.
ROLE: dict[str, str] = {
    "outgoing_fire": "launch",
    "muzzle_flash": "launch",
    "burst_or_shots": "launch",
    "impact": "landing",
    "undetermined_explosion": "landing",
    "air_or_drone_strike": "landing",
}
SIDES: tuple[str, ...] = ("UA", "RU")

# Admiralty code as probabilities that a report is true (see docs/METHOD.md, "Corroboration").
RELIABILITY_P: dict[str, float] = {"A": 0.9, "B": 0.75, "C": 0.6, "D": 0.4, "E": 0.2, "F": 0.5}
CREDIBILITY_P: dict[int, float] = {1: 0.9, 2: 0.75, 3: 0.6, 4: 0.4, 5: 0.2, 6: 0.5}


# Space-time searches (cKDTree, Chebyshev) look this much (relatively) beyond their bound, in times
# counted from the earliest searched: scaled epoch nanoseconds (about 1e11 m) lose the last metres
# of a pair exactly at the bound, which then depended on the other reports searched. What is found
# is tested exactly afterwards, on the original values.
SEARCH_SLACK = 1e-6

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
    # A report leans to a side when its fire origin lies this surely on that side's ground ...
    lean_origin_p: float = 0.8
    # ... or when an impact landed this far inside the other side's ground.
    lean_landing_m: float = 1000.0
    # Two bearings of one observer this far apart are two happenings, not one.
    opposite_bearing_deg: float = 45.0
    # Reports of one observer: same source with observer points at most this far apart.
    same_observer_m: float = 500.0
    # A report heard with neither bearing nor distance is located at its observer only this roughly.
    sound_only_precision_m: float = 10_000.0
    # Events of opposite leans at most this far apart in minutes and metres form an exchange of fire.
    exchange_window_min: float = 30.0
    exchange_radius_m: float = 10_000.0
    # A launch end and a landing end of one shot are at most this many minutes apart (plus both
    # time tolerances), and a weapon's reach apart (see _link_shots).
    shot_window_min: float = 5.0
    # ... and at least this far apart: closer, a launch and a landing are two fires (an exchange).
    shot_min_apart_m: float = 1000.0
    link_shots: bool = True
    # A judged point (a distance along a bearing) is uncertain by this share of its own standard
    # error (estimate_error) in the pair test; see docs/METHOD.md for the trade it sets.
    estimate_error_share: float = 0.0
    landing_error_share: float = 1.0


def report_probability(reliability: pd.Series, credibility: pd.Series) -> np.ndarray:
    """Return the probability that each report is true, from its Admiralty reliability and credibility.

    The geometric mean of the two mapped probabilities: a completely reliable source with improbable
    information (A5) is as doubtful as an unreliable source with confirmed information (E1).
    """
    r = reliability.map(RELIABILITY_P).astype(float).fillna(RELIABILITY_P["F"]).to_numpy()
    c = pd.to_numeric(credibility, errors="coerce").map(CREDIBILITY_P).astype(float)
    c = c.fillna(CREDIBILITY_P[6]).to_numpy()
    return np.sqrt(r * c)


def time_bounds(reports: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return each report's time (ns since epoch) and its tolerance (ns): its precision's half-width, or
    half its stated interval (``occurred_from`` to ``occurred_to``) when that is wider."""
    t = pd.DatetimeIndex(reports["occurred_at"]).as_unit("ns").asi8.astype(np.float64)
    tol = reports["time_precision"].map(TIME_TOLERANCE).fillna(pd.Timedelta(0))
    tol = pd.to_timedelta(tol).dt.total_seconds().to_numpy() * 1e9
    if {"occurred_from", "occurred_to"} <= set(reports.columns):
        half = (reports["occurred_to"] - reports["occurred_from"]).dt.total_seconds().to_numpy() * 0.5e9
        tol = np.fmax(tol, np.nan_to_num(half, nan=0.0))
    return t, tol


def _column(frame: pd.DataFrame, name: str, dtype: type = float) -> np.ndarray:
    """A column as an array, all-missing when the frame lacks it."""
    missing = np.nan if dtype is float else None
    if name in frame:
        return frame[name].to_numpy(dtype=dtype, na_value=missing)
    return np.full(len(frame), missing, dtype=dtype)


def _bearing_centre(reports: pd.DataFrame) -> np.ndarray:
    """Each report's bearing in degrees (the middle of a range, clockwise from its minimum), or NaN."""
    bearing = _column(reports, "bearing_deg")
    lo, hi = _column(reports, "bearing_min_deg"), _column(reports, "bearing_max_deg")
    mid = (lo + ((hi - lo) % 360.0) / 2.0) % 360.0
    return np.where(np.isfinite(bearing), bearing, mid)


def sound_only(reports: pd.DataFrame) -> np.ndarray:
    """True where a report has an observer position but neither bearing nor distance.

    Such a report ("explosions heard") says that something happened within earshot of the observer;
    its location is the observer's, not the fire's, so it must not be read as a landing point.
    """
    observer = np.isfinite(_column(reports, "observer_lon")) & np.isfinite(_column(reports, "observer_lat"))
    distance = np.isfinite(_column(reports, "distance_min_m")) | np.isfinite(
        _column(reports, "distance_max_m")
    )
    return observer & ~np.isfinite(_bearing_centre(reports)) & ~distance


def firing_lean(reports: pd.DataFrame, params: CorroborationParams | None = None) -> np.ndarray:
    """Return the side each report's own evidence says fired: 'UA', 'RU' or None.

    A report leans to a side when its estimated fire origin lies on that side's ground with
    probability ``lean_origin_p``; when, without an observer, it places outgoing fire, a muzzle
    flash or shots on a side's ground; or when an impact or strike landed at least ``lean_landing_m``
    inside one side's ground (the other side fired). Undetermined explosions and sound-only reports
    lean nowhere. The lean only keeps apart reports that cannot be one happening; the side named
    for an event comes from the score (geo/score.py).
    """
    params = params or CorroborationParams()
    n = len(reports)
    lean = np.full(n, None, dtype=object)
    rtype = _column(reports, "type", dtype=object)
    side = _column(reports, "side", dtype=object)
    depth = _column(reports, "dist_to_line_m")
    no_observer = ~np.isfinite(_column(reports, "observer_lon"))
    alone = ~sound_only(reports)
    landed = np.isin(rtype, list(LANDING_TYPES)) & alone & (np.nan_to_num(depth) >= params.lean_landing_m)
    at_position = np.isin(rtype, list(FIRING_TYPES)) & no_observer
    for own, other in (SIDES, SIDES[::-1]):
        lean[at_position & (side == own)] = own
        lean[landed & (side == other)] = own
    # A party reporting fire that landed says the other party fired it: whether or not that is
    # true (the score gives it no weight as side evidence), it is what the report asserts, and a
    # report asserting the other side's fire describes another happening.
    family = _column(reports, "source_family", dtype=object)
    party = (_column(reports, "source_type", dtype=object) == "party") & np.isin(rtype, list(LANDING_TYPES))
    for own, other in (SIDES, SIDES[::-1]):
        lean[party & (family == own)] = other
    for name in SIDES:
        p = _column(reports, f"origin_p_{name}")
        lean[np.nan_to_num(p) >= params.lean_origin_p] = name
    return lean


@dataclass(frozen=True)
class _Arrays:
    """What the pair test compares, one row per report, in the theatre CRS (metres, ns)."""

    xy: np.ndarray
    prec: np.ndarray
    t: np.ndarray
    tol: np.ndarray
    family: np.ndarray
    role: np.ndarray  # 'launch', 'landing' or None
    lean: np.ndarray  # 'UA', 'RU' or None
    source: np.ndarray  # integer codes
    observer_xy: np.ndarray  # NaN without an observer
    bearing: np.ndarray  # degrees or NaN


def _pair_distance(i: np.ndarray, j: np.ndarray, a: _Arrays, params: CorroborationParams) -> np.ndarray:
    """Return the normalised distance of report pairs: <= 1 when they may describe one happening.

    Infinite for types of different families, for a launch and a landing (:data:`ROLE`), for
    reports leaning to different firing sides, and
    for two reports of one observer whose bearings differ by ``opposite_bearing_deg`` or more.
    """
    ds = np.hypot(a.xy[i, 0] - a.xy[j, 0], a.xy[i, 1] - a.xy[j, 1]) / (
        params.radius_m + a.prec[i] + a.prec[j]
    )
    window = params.window_min * 60e9
    dt = np.abs(a.t[i] - a.t[j]) / (window + a.tol[i] + a.tol[j])
    d = np.maximum(ds, dt)
    d[a.family[i] != a.family[j]] = np.inf
    ri, rj = a.role[i], a.role[j]
    d[pd.notna(ri) & pd.notna(rj) & (ri != rj)] = np.inf
    li, lj = a.lean[i], a.lean[j]
    d[pd.notna(li) & pd.notna(lj) & (li != lj)] = np.inf
    apart = np.hypot(a.observer_xy[i, 0] - a.observer_xy[j, 0], a.observer_xy[i, 1] - a.observer_xy[j, 1])
    same_observer = (a.source[i] == a.source[j]) & (apart <= params.same_observer_m)
    turn = np.abs((a.bearing[i] - a.bearing[j] + 180.0) % 360.0 - 180.0)
    d[same_observer & (turn >= params.opposite_bearing_deg)] = np.inf
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
    t = t - t.min() if len(t) else t
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
                local = cKDTree(pts_a).query_pairs(
                    r_max * (1 + SEARCH_SLACK), p=np.inf, output_type="ndarray"
                )
                i, j = members_a[local[:, 0]], members_a[local[:, 1]]
            else:
                pts_b = np.column_stack([xy[members_b], t[members_b] * scale])
                near = cKDTree(pts_a).sparse_distance_matrix(
                    cKDTree(pts_b), r_max * (1 + SEARCH_SLACK), p=np.inf, output_type="ndarray"
                )
                i, j = members_a[near["i"]], members_b[near["j"]]
            found.append(np.column_stack([np.minimum(i, j), np.maximum(i, j)]))
    return np.unique(np.concatenate(found), axis=0)


def _arrays(reports: gpd.GeoDataFrame, crs: object, params: CorroborationParams) -> _Arrays:
    to_xy = Transformer.from_crs(4326, crs, always_xy=True)
    metric = reports.geometry.to_crs(crs)
    xy = np.column_stack([metric.x.to_numpy(), metric.y.to_numpy()])
    # A launch triangulated with others stands at their fix, the best estimate of where the weapon
    # was: its own judged point may lie kilometres away from its partners'.
    fixed = _column(reports, "origin_method", dtype=object) == "triangulated"
    if fixed.any():
        fx, fy = to_xy.transform(_column(reports, "origin_lon")[fixed], _column(reports, "origin_lat")[fixed])
        xy[fixed] = np.column_stack([fx, fy])
    prec = reports["location_precision_m"].astype(float).fillna(params.default_precision_m).to_numpy()
    # A sound-only report stands at its observer: the fire was anywhere within earshot.
    prec = np.where(sound_only(reports), np.fmax(prec, params.sound_only_precision_m), prec)
    landing = reports["type"].map(ROLE).to_numpy(dtype=object) == "landing"
    prec = np.where(landing, np.fmax(prec, params.landing_error_share * estimate_error(reports)), prec)
    prec = np.fmax(prec, params.estimate_error_share * estimate_error(reports))
    t, tol = time_bounds(reports)
    ox, oy = to_xy.transform(_column(reports, "observer_lon"), _column(reports, "observer_lat"))
    return _Arrays(
        xy=xy,
        prec=prec,
        t=t,
        tol=tol,
        family=reports["type"].map(TYPE_FAMILY).fillna("other").to_numpy(),
        role=reports["type"].map(ROLE).to_numpy(dtype=object),
        lean=firing_lean(reports, params),
        source=pd.factorize(reports["source"])[0],
        observer_xy=np.column_stack([np.asarray(ox, dtype=float), np.asarray(oy, dtype=float)]),
        bearing=_bearing_centre(reports),
    )


@dataclass(frozen=True)
class Corroboration:
    """The events of a set of reports, and which reports' outcomes depend on each other.

    Attributes
    ----------
    event_id, events
        As :func:`group_reports` returns them.
    links
        Pairs of report positions (``(k, 2)``, rows of the input frame) whose outcomes depend on
        each other: every matching pair, and for the joins between events (a shot's two ends, an
        exchange of fire) one report of each event. The reports of a connected component of these
        links get the same events, ids and summaries whatever other reports are analysed with
        them, which is what lets :mod:`geo.incremental` recompute only the components a batch
        touches.
    """

    event_id: pd.Series
    events: gpd.GeoDataFrame
    links: np.ndarray


def group_reports(
    reports: gpd.GeoDataFrame, *, params: CorroborationParams | None = None, crs: object | None = None
) -> tuple[pd.Series, gpd.GeoDataFrame]:
    """Merge reports of the same happening into events (:func:`corroborate` without the links).

    Parameters
    ----------
    reports
        The normalised incident frame (EPSG:4326), optionally enriched.
    params
        Matching thresholds; defaults as documented in docs/METHOD.md.
    crs
        The metric CRS to measure in: the theatre's (``Scenario.crs``) so that the result does not
        depend on which reports are analysed together; None centres one on the reports.

    Returns
    -------
    event_id : pandas.Series
        The event of each report, aligned on ``reports.index``.
    events : geopandas.GeoDataFrame
        One row per event: ``event_id``, ``geometry`` (best location), ``occurred_at`` (best time),
        ``type``, ``weapon``, ``n_reports``, ``n_sources``, ``n_families`` (independent source
        families, see :func:`independence`), ``sources``, ``report_uids``, ``confidence``,
        ``agreement`` and ``exchange_id`` (the exchange of fire it belongs to, or None).
    """
    result = corroborate(reports, params=params, crs=crs)
    return result.event_id, result.events


def corroborate(
    reports: gpd.GeoDataFrame, *, params: CorroborationParams | None = None, crs: object | None = None
) -> Corroboration:
    """Merge reports of the same happening into events, with the links between reports (:class:`Corroboration`)."""
    params = params or CorroborationParams()
    require_wgs84(reports, what="The reports to corroborate")
    n = len(reports)
    if n == 0:
        empty = gpd.GeoDataFrame(
            {"event_id": pd.Series(dtype=object), "confidence": pd.Series(dtype=float)},
            geometry=gpd.GeoSeries([], crs=4326),
        )
        no_ids = pd.Series([], index=reports.index, dtype=object, name="event_id")
        return Corroboration(no_ids, empty, np.empty((0, 2), dtype=np.int64))
    crs = theatre_crs(*centre_of(reports)) if crs is None else crs
    a = _arrays(reports, crs, params)

    pairs = _candidate_pairs(a.xy, a.prec, a.t, a.tol, params)
    d = _pair_distance(pairs[:, 0], pairs[:, 1], a, params)
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
            sub = _greedy_complete(members, neighbours, a.t)
            label[members] += sub
            _spread_of(members, sub, spread, a, params)
            continue
        ii, jj = np.triu_indices(len(members), k=1)
        dm = _pair_distance(members[ii], members[jj], a, params)
        sub = fcluster(linkage(np.minimum(dm, 1e6), method="complete"), t=1.0, criterion="distance")
        label[members] += sub
        full = squareform(np.minimum(dm, 1e6))
        for s in np.unique(sub):
            idx = sub == s
            spread[members[idx]] = full[np.ix_(idx, idx)].max()
    links = [pairs]
    if params.link_shots:
        joined, shots = _link_shots(label, a, reports, params)
        links.append(_first_of(label, shots))
        label = joined
    event_id, events, exchanges = _summarise(reports, label, a, spread, crs, params)
    links.append(_first_of(event_id.to_numpy(), exchanges))
    return Corroboration(event_id, events, np.concatenate(links).astype(np.int64))


def _first_of(label: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Pairs of labels (events) as pairs of report positions: each label's first report stands for it."""
    if not len(pairs):
        return np.empty((0, 2), dtype=np.int64)
    first = pd.Series(np.arange(len(label))).groupby(label, sort=False).first()
    return np.column_stack([first.loc[pairs[:, 0]].to_numpy(), first.loc[pairs[:, 1]].to_numpy()])


def estimate_error(reports: pd.DataFrame) -> np.ndarray:
    """One standard error, in metres, of a point placed along a bearing at a judged distance (0 for others).

    A point a patrol placed "2,000 m to the S" by ear is off by about 40 % of the distance
    (:data:`geo.attribution.density.DISTANCE_SIGMA_LOG`, by means of observation), far more than a
    stated ``location_precision_m`` of a few hundred metres says.
    """
    from geo.attribution.density import DISTANCE_SIGMA_LOG, FALLBACK_DISTANCE_SIGMA_LOG

    lo, hi = _column(reports, "distance_min_m"), _column(reports, "distance_max_m")
    d = np.where(np.isfinite(lo) & np.isfinite(hi), (lo + hi) / 2, np.fmax(lo, hi))
    means = _column(reports, "means", dtype=object)
    sigma = pd.Series(means).map(DISTANCE_SIGMA_LOG).fillna(FALLBACK_DISTANCE_SIGMA_LOG).to_numpy()
    observed = np.isfinite(_column(reports, "observer_lon"))
    return np.where(observed & np.isfinite(d), d * np.expm1(sigma), 0.0)


def _ends(label: np.ndarray, a: _Arrays, reports: pd.DataFrame) -> pd.DataFrame:
    """One row per event of one end of a shot (all its reports launches, or all landings).

    Columns: ``role``; ``x``, ``y`` (the precision-weighted location); ``prec`` (the best report's
    location uncertainty); ``t``, ``tol`` (the time of its most precise report, and that report's
    tolerance); ``weapon`` (the one class its reports name, None for none, ``"mixed"`` for
    several); ``fired_by`` (the side its evidence says fired: a launch's lean or the ground it
    stands on, a landing's lean or the other side of the ground it landed on; None when unknown
    or contradictory).
    """
    role = a.role
    fired_by = np.where(pd.notna(a.lean), a.lean, None)
    weapon = _column(reports, "weapon", dtype=object)
    weapon = np.where(pd.notna(weapon) & (weapon != "unknown"), weapon, None)
    w = 1.0 / np.square(a.prec)
    f = pd.DataFrame(
        {"label": label, "role": role, "x": a.xy[:, 0] * w, "y": a.xy[:, 1] * w, "w": w,
         "prec": np.fmax(a.prec, estimate_error(reports)), "t": a.t, "tol": a.tol, "weapon": weapon,
         "fired_by": fired_by}
    )  # fmt: skip
    g = f.groupby("label", sort=False)
    # One role for the whole event, else none: every report known and all the same.
    roles = g["role"].first().where((g["role"].count() == g.size()) & (g["role"].nunique() == 1))
    best = f.loc[f.sort_values(["label", "tol", "prec"]).drop_duplicates("label").index].set_index("label")
    named = f.dropna(subset=["weapon"]).groupby("label")["weapon"]
    weapons = named.first().where(named.nunique() == 1, "mixed")
    sides = f.dropna(subset=["fired_by"]).groupby("label")["fired_by"].first()
    out = pd.DataFrame(
        {
            "role": roles,
            "x": g["x"].sum() / g["w"].sum(),
            "y": g["y"].sum() / g["w"].sum(),
            "prec": g["prec"].min(),
            "t": best["t"],
            "tol": best["tol"],
            "weapon": weapons,
            "fired_by": sides,
        }
    )
    return out[out["role"].notna() & out["weapon"].ne("mixed")]


def _shot_candidates(
    launch: pd.DataFrame, landing: pd.DataFrame, longest: float, window: float
) -> tuple[np.ndarray, np.ndarray]:
    """Positions (in ``launch``, in ``landing``) of every pair that may be one shot, and not many more.

    Ends known to the minute are searched among themselves with the bare window; ends known to the
    hour with the window widened by the hour. Ends known only to the day or vaguer are never joined:
    in a busy sector a day holds many candidates, so the match could never be unique.
    """
    hour = TIME_TOLERANCE["hour"].value
    t0 = min(launch["t"].min(), landing["t"].min())
    found_i, found_j = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
    for lo_cls in (0, 1):
        for hi_cls in (0, 1):
            li = np.flatnonzero((launch["tol"].to_numpy() > 0) == bool(lo_cls))
            hj = np.flatnonzero((landing["tol"].to_numpy() > 0) == bool(hi_cls))
            li = li[launch["tol"].to_numpy()[li] <= hour]
            hj = hj[landing["tol"].to_numpy()[hj] <= hour]
            if not len(li) or not len(hj):
                continue
            t_max = window + launch["tol"].to_numpy()[li].max() + landing["tol"].to_numpy()[hj].max()
            r_max = longest + launch["prec"].to_numpy()[li].max() + landing["prec"].to_numpy()[hj].max()
            scale = r_max / t_max
            pa = np.column_stack(
                [launch[["x", "y"]].to_numpy()[li], (launch["t"].to_numpy()[li] - t0) * scale]
            )
            pb = np.column_stack(
                [landing[["x", "y"]].to_numpy()[hj], (landing["t"].to_numpy()[hj] - t0) * scale]
            )
            near = cKDTree(pa).sparse_distance_matrix(
                cKDTree(pb), r_max * (1 + SEARCH_SLACK), p=np.inf, output_type="ndarray"
            )
            found_i.append(li[near["i"]])
            found_j.append(hj[near["j"]])
    return np.concatenate(found_i), np.concatenate(found_j)


def _differ(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True where both values are known and differ."""
    return pd.notna(a) & pd.notna(b) & (a != b)


def _link_shots(
    label: np.ndarray, a: _Arrays, reports: pd.DataFrame, params: CorroborationParams
) -> tuple[np.ndarray, np.ndarray]:
    """Join the launch end and the landing end of one shot into one event, where the match is unique.

    A post that hears a mortar fire and a camera that sees rounds land 3 km away describe one
    happening from its two ends; the pair test keeps them apart (a launch and a landing close
    together are two fires). A launch event and a landing event are one shot when their times
    are within ``shot_window_min`` (plus both tolerances), they are at least the weapon's shortest
    and at most its longest reach apart (:data:`WEAPON_REACH_M`, widened by both location
    uncertainties; any class's when neither names one), they name one weapon class or one names
    none, and their evidence names the same firing side (the launch stands on its ground, the
    landing on the other's). A landing joins the launch events that are its candidates when it is
    their only candidate landing: with two targets hit, or two guns firing at two, nothing is guessed.

    Returns the labels after joining, and every candidate pair of ends (their labels before joining).
    """
    none = np.empty((0, 2), dtype=np.int64)
    ends = _ends(label, a, reports)
    launch, landing = ends[ends["role"] == "launch"], ends[ends["role"] == "landing"]
    if launch.empty or landing.empty:
        return label, none
    reach = np.array(list(WEAPON_REACH_M.values()))
    longest = reach[:, 1].max()
    window = params.shot_window_min * 60e9
    i, j = _shot_candidates(launch, landing, longest, window)
    lo, hi = launch.iloc[i], landing.iloc[j]
    apart = np.hypot(lo["x"].to_numpy() - hi["x"].to_numpy(), lo["y"].to_numpy() - hi["y"].to_numpy())
    slack = lo["prec"].to_numpy() + hi["prec"].to_numpy()
    wa, wb = lo["weapon"].to_numpy(dtype=object), hi["weapon"].to_numpy(dtype=object)
    weapon = np.where(pd.notna(wa), wa, wb)
    # The named class's reach, or any class's when neither end names one (or it is not in the table).
    named = pd.Series(weapon, dtype=object)
    nearest = named.map({k: r[0] for k, r in WEAPON_REACH_M.items()}).fillna(reach[:, 0].min())
    farthest = named.map({k: r[1] for k, r in WEAPON_REACH_M.items()}).fillna(longest)
    bounds = np.column_stack([nearest.to_numpy(dtype=float), farthest.to_numpy(dtype=float)])
    ok = (
        (
            np.abs(lo["t"].to_numpy() - hi["t"].to_numpy())
            <= window + lo["tol"].to_numpy() + hi["tol"].to_numpy()
        )
        & (apart >= np.fmax(bounds[:, 0], params.shot_min_apart_m))
        & (apart - slack <= bounds[:, 1])
        & (pd.isna(wa) | pd.isna(wb) | (wa == wb))
        & ~_differ(lo["fired_by"].to_numpy(dtype=object), hi["fired_by"].to_numpy(dtype=object))
    )
    i, j = i[ok], j[ok]
    if not len(i):
        return label, none
    candidates = np.column_stack([launch.index.to_numpy()[i], landing.index.to_numpy()[j]]).astype(np.int64)
    # Candidates form a bipartite graph; a component is one shot when it has one landing end: posts
    # that heard one gun each place it a little elsewhere, so its launch may be several events. One
    # launch with several candidate landings is not joined: the landings may be two targets (or
    # two guns' rounds), and joining through the launch would chain them. On the demo month that
    # chaining named the wrong side for 0.6 % of likely true violations (0.4 % without it).
    m = len(launch)
    graph = coo_matrix((np.ones(len(i)), (i, m + j)), shape=(m + len(landing), m + len(landing)))
    _, comp = connected_components(graph, directed=False)
    used_l, used_i = np.unique(i), np.unique(j)
    n_landing = np.bincount(comp[m + used_i], minlength=comp.max() + 1)
    star = n_landing == 1
    ends = np.r_[launch.index.to_numpy()[used_l], landing.index.to_numpy()[used_i]]
    ends_comp = np.r_[comp[used_l], comp[m + used_i]]
    keep = star[ends_comp]
    # Each joined end takes the smallest label of its shot.
    into = pd.Series(ends[keep]).groupby(ends_comp[keep]).transform("min")
    mapping = pd.Series(into.to_numpy(), index=ends[keep])
    moved = pd.Series(label).map(mapping)
    out = label.copy()
    out[moved.notna().to_numpy()] = moved.dropna().to_numpy(dtype=np.int64)
    return out, candidates


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


def _spread_of(
    members: np.ndarray, sub: np.ndarray, spread: np.ndarray, a: _Arrays, params: CorroborationParams
) -> None:
    """Write each event's largest normalised pair distance into ``spread`` (events of a large component)."""
    for s in np.unique(sub):
        idx = members[sub == s]
        if len(idx) > 1:
            ii, jj = np.triu_indices(len(idx), k=1)
            spread[idx] = _pair_distance(idx[ii], idx[jj], a, params).max()


def _groups(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each key (sorted) and its values (sorted), as object arrays: a sort and a split, no per-group pandas."""
    keys = np.asarray(keys)
    values = np.asarray(values, dtype=object)
    order = np.lexsort((values.astype(str), keys))
    k, v = keys[order], values[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]]) if len(k) else np.empty(0, dtype=np.int64)
    return k[starts], np.split(v, starts[1:]) if len(k) else []


def _lists(keys: np.ndarray, values: np.ndarray) -> pd.Series:
    """Each key's values in their order, as a list (``groupby(keys).agg(list)`` without per-group pandas)."""
    order = np.argsort(keys, kind="stable")
    k, v = keys[order], values[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]]) if len(k) else np.empty(0, dtype=np.int64)
    return pd.Series(
        [g.tolist() for g in np.split(v, starts[1:])] if len(k) else [], index=k[starts], dtype=object
    )


def _event_ids(uids: pd.Series, label: np.ndarray) -> pd.Series:
    """Name each event by a hash of its member uids, so the id is stable when recomputed."""
    labels, members = _groups(label, uids.astype(str).to_numpy(dtype=object))
    names = {
        int(k): "ev-" + hashlib.sha1("\x1f".join(m.tolist()).encode()).hexdigest()[:12]
        for k, m in zip(labels, members, strict=True)
    }
    return pd.Series(label).map(names)


def independence(reports: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return each report's family (whose independence it carries) and its probability of being true.

    The family is ``source_family``, else the source itself. A report that ``cites`` another
    adds no independence: it takes the family of what it cites (the cited report's, or the cited
    source's), and its probability is capped at the cited report's; when the cited report is not
    among ``reports`` its grade cannot be judged, so the cap is Admiralty F6's 0.5.
    """
    source = reports["source"].astype(str).to_numpy(dtype=object)
    family = _column(reports, "source_family", dtype=object)
    family = np.where(pd.notna(family) & (family != ""), family, source).astype(object)
    p = report_probability(reports["reliability"], reports["credibility"])
    cites = _column(reports, "cites", dtype=object)
    citing = np.flatnonzero(pd.notna(cites) & (cites != ""))
    if len(citing):
        uid = reports["uid"].astype(str).to_numpy(dtype=object)
        at = pd.Series(np.arange(len(uid)), index=uid)
        at = at[~at.index.duplicated()]
        of_source = pd.Series(family, index=source)
        of_source = of_source[~of_source.index.duplicated()]
        target = pd.Series(cites[citing].astype(str))
        cited = target.map(at).to_numpy()
        known = np.isfinite(cited)
        k = cited[known].astype(np.int64)
        # The cited report's own family and grade; a chain of citations resolves one step per
        # report here, which suffices when the first claim is in the frame.
        family[citing[known]] = family[k]
        p[citing[known]] = np.minimum(p[citing[known]], p[k])
        rest = citing[~known]
        by_source = target[~known].map(of_source).to_numpy()
        family[rest] = np.where(pd.notna(by_source), by_source, "cites:" + target[~known].to_numpy())
        p[rest] = np.minimum(p[rest], CREDIBILITY_P[6])
    return family, p


def _summarise(
    reports: gpd.GeoDataFrame,
    label: np.ndarray,
    a: _Arrays,
    spread: np.ndarray,
    crs: object,
    params: CorroborationParams,
) -> tuple[pd.Series, gpd.GeoDataFrame, np.ndarray]:
    """The events' table, each report's event id and the pairs of event ids tested as an exchange."""
    event_id = _event_ids(reports["uid"], label)
    family, p_true = independence(reports)
    w = 1.0 / np.square(a.prec)
    # A shot's event stands where it landed: its launch reports locate the weapon, not the event.
    landed = pd.Series(a.role == "landing").groupby(label).transform("any").to_numpy()
    w = np.where(landed & (a.role == "launch"), 0.0, w)
    frame = pd.DataFrame(
        {
            "event_id": event_id.to_numpy(),
            "x": a.xy[:, 0] * w,
            "y": a.xy[:, 1] * w,
            "w": w,
            "t": reports["occurred_at"].to_numpy(),
            "source": reports["source"].to_numpy(),
            "family": family,
            "uid": reports["uid"].to_numpy(),
            "type": reports["type"].to_numpy(),
            "weapon": reports["weapon"].fillna("unknown").to_numpy(),
            "lean": a.lean,
            "p": p_true,
            "spread": spread,
        }
    )
    g = frame.groupby("event_id", sort=True)
    # A family (a party with its channels, a source with those citing it) counts once per event:
    # its best report stands for it.
    per_family = frame.groupby(["event_id", "family"])["p"].max()
    miss = np.log1p(-per_family.clip(upper=0.999)).groupby(level=0).sum()
    known_weapon = frame[frame["weapon"] != "unknown"]
    leaning = frame.dropna(subset=["lean"])
    events = pd.DataFrame(
        {
            "x": g["x"].sum() / g["w"].sum(),
            "y": g["y"].sum() / g["w"].sum(),
            "occurred_at": g["t"].median(),
            "n_reports": g.size(),
            "n_sources": g["source"].nunique(),
            "n_families": g["family"].nunique(),
            "sources": _sorted_sets(frame["event_id"], frame["source"]),
            "report_uids": _lists(
                frame["event_id"].to_numpy(dtype=object), frame["uid"].to_numpy(dtype=object)
            ),
            "type": _most_specific_types(frame["event_id"], frame["type"]),
            "weapon": _modes(known_weapon["event_id"], known_weapon["weapon"]),
            # Every pair in an event matches, so its leaning reports all lean one way.
            "lean": leaning.groupby("event_id")["lean"].first(),
            "agreement": 1.0 - params.disagreement_penalty * g["spread"].max(),
        }
    )
    events.index.name = "event_id"
    events["weapon"] = events["weapon"].fillna("unknown")
    events["confidence"] = (1.0 - np.exp(miss)) * events["agreement"]
    events["exchange_id"], exchanges = _exchanges(events, params)
    geometry = gpd.GeoSeries(gpd.points_from_xy(events["x"], events["y"]), crs=crs).to_crs(4326)
    out = gpd.GeoDataFrame(
        events.drop(columns=["x", "y", "lean"]).reset_index(), geometry=geometry.to_numpy(), crs=4326
    )
    return pd.Series(event_id.to_numpy(), index=reports.index, name="event_id"), out, exchanges


def _exchanges(events: pd.DataFrame, params: CorroborationParams) -> tuple[pd.Series, np.ndarray]:
    """Link events of opposite firing sides close in space and time into exchanges of fire.

    Returns each event's ``exchange_id`` (``'xc-'`` and a hash of its member event ids), None for
    an event in no exchange, and the linked pairs of event ids. Each event of an exchange keeps its
    own side and reasons.
    """
    out = pd.Series(None, index=events.index, dtype=object)
    none = np.empty((0, 2), dtype=object)
    lean = events["lean"].to_numpy(dtype=object)
    idx = np.flatnonzero(pd.notna(lean))
    if len(idx) < 2:
        return out, none
    ns = pd.DatetimeIndex(events["occurred_at"].to_numpy()[idx]).as_unit("ns").asi8
    x, y = events["x"].to_numpy()[idx], events["y"].to_numpy()[idx]
    radius, window = params.exchange_radius_m, params.exchange_window_min * 60e9
    pts = np.column_stack([x, y, (ns - ns.min()) * (radius / window)])
    pairs = cKDTree(pts).query_pairs(radius * (1 + SEARCH_SLACK), p=np.inf, output_type="ndarray")
    a, b = pairs[:, 0], pairs[:, 1]
    exact = (
        (np.abs(x[a] - x[b]) <= radius) & (np.abs(y[a] - y[b]) <= radius) & (np.abs(ns[a] - ns[b]) <= window)
    )
    pairs = pairs[exact & (lean[idx[a]] != lean[idx[b]])]
    if not len(pairs):
        return out, none
    m = len(idx)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(m, m))
    _, comp = connected_components(graph, directed=False)
    linked = np.bincount(comp)[comp] >= 2
    names = (
        pd.Series(events.index.to_numpy()[idx][linked])
        .groupby(comp[linked])
        .agg(lambda s: "xc-" + hashlib.sha1("\x1f".join(sorted(s)).encode()).hexdigest()[:12])
    )
    out.iloc[idx[linked]] = pd.Series(comp[linked]).map(names).to_numpy()
    return out, events.index.to_numpy()[idx[pairs]]


def _modes(keys: pd.Series, values: pd.Series, *, preferred: pd.Series | None = None) -> pd.Series:
    """Each key's most common value (ties: the smallest, as ``Series.mode().iloc[0]``), all keys at once.

    With ``preferred`` (a boolean per row), a key's preferred values are counted alone when it has any.
    """
    f = pd.DataFrame({"k": keys.to_numpy(), "v": values.to_numpy()}).dropna(subset=["v"])
    counts = f.groupby(["k", "v"]).size().rename("n").reset_index()
    if preferred is not None:
        wanted = pd.DataFrame({"k": keys.to_numpy(), "v": values.to_numpy(), "p": preferred.to_numpy()})
        counts = counts.merge(wanted.drop_duplicates(["k", "v"]), on=["k", "v"], how="left")
        counts = counts[counts["p"] | ~counts.groupby("k")["p"].transform("any")]
    best = counts.sort_values(["k", "n", "v"], ascending=[True, False, True], kind="stable").drop_duplicates(
        "k"
    )
    return best.set_index("k")["v"].rename_axis(None)


def _most_specific_types(keys: pd.Series, types: pd.Series) -> pd.Series:
    """Each event's most common type, preferring any specific one over 'undetermined_explosion'."""
    return _modes(keys, types, preferred=types != "undetermined_explosion")


def _sorted_sets(keys: pd.Series, values: pd.Series) -> pd.Series:
    """Each key's distinct values, sorted, as a list."""
    f = pd.DataFrame({"k": keys.to_numpy(dtype=object), "v": values.to_numpy(dtype=object)}).drop_duplicates()
    k, groups = _groups(f["k"].to_numpy(dtype=object), f["v"].to_numpy(dtype=object))
    return pd.Series([g.tolist() for g in groups], index=k, dtype=object)
