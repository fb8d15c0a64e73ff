"""Corroboration: merge reports of the same happening into events, with a confidence from the Admiralty code."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.cluster.hierarchy import linkage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geo.attribution.wedges import WEAPON_REACH_M
from geo.cores import cores
from geo.crs import centre_of, points_in, require_wgs84, theatre_crs, transformer
from geo.lookup import among, arrow_text, distinct, distinct_pairs, mapped

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
    r = mapped(reliability, RELIABILITY_P, RELIABILITY_P["F"], float)
    c = mapped(pd.to_numeric(credibility, errors="coerce"), CREDIBILITY_P, CREDIBILITY_P[6], float)
    return np.sqrt(r * c)


def time_bounds(reports: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return each report's time (ns since epoch) and its tolerance (ns): its precision's half-width, or
    half its stated interval (``occurred_from`` to ``occurred_to``) when that is wider."""
    t = pd.DatetimeIndex(reports["occurred_at"]).as_unit("ns").asi8.astype(np.float64)
    # Each precision looked up once, not once per report.
    codes, precisions = pd.factorize(reports["time_precision"])
    each = pd.to_timedelta(pd.Series(precisions, dtype=object).map(TIME_TOLERANCE).fillna(pd.Timedelta(0)))
    tol = np.r_[each.dt.total_seconds().to_numpy() * 1e9, 0.0][codes]  # code -1 (missing): 0
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


def sound_only(reports: pd.DataFrame, *, bearing: np.ndarray | None = None) -> np.ndarray:
    """True where a report has an observer position but neither bearing nor distance.

    Such a report ("explosions heard") says that something happened within earshot of the observer;
    its location is the observer's, not the fire's, so it must not be read as a landing point.
    ``bearing`` is each report's bearing when already known (:func:`_bearing_centre`).
    """
    observer = np.isfinite(_column(reports, "observer_lon")) & np.isfinite(_column(reports, "observer_lat"))
    distance = np.isfinite(_column(reports, "distance_min_m")) | np.isfinite(
        _column(reports, "distance_max_m")
    )
    bearing = _bearing_centre(reports) if bearing is None else bearing
    return observer & ~np.isfinite(bearing) & ~distance


def firing_lean(
    reports: pd.DataFrame, params: CorroborationParams | None = None, *, alone: np.ndarray | None = None
) -> np.ndarray:
    """Return the side each report's own evidence says fired: 'UA', 'RU' or None.

    A report leans to a side when its estimated fire origin lies on that side's ground with
    probability ``lean_origin_p``; when, without an observer, it places outgoing fire, a muzzle
    flash or shots on a side's ground; or when an impact or strike landed at least ``lean_landing_m``
    inside one side's ground (the other side fired). Undetermined explosions and sound-only reports
    lean nowhere. The lean only keeps apart reports that cannot be one happening; the side named
    for an event comes from the score (geo/score.py). ``alone`` is ``~sound_only(reports)`` when
    already known.
    """
    params = params or CorroborationParams()
    n = len(reports)
    lean = np.full(n, None, dtype=object)
    rtype = _column(reports, "type", dtype=object)
    side = _column(reports, "side", dtype=object)
    depth = _column(reports, "dist_to_line_m")
    no_observer = ~np.isfinite(_column(reports, "observer_lon"))
    alone = ~sound_only(reports) if alone is None else alone
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
    family: np.ndarray  # never missing ('other' for a type of none)
    role: np.ndarray  # 'launch', 'landing' or None
    lean: np.ndarray  # 'UA', 'RU' or None
    source: np.ndarray  # integer codes
    observer_xy: np.ndarray  # NaN without an observer
    bearing: np.ndarray  # degrees or NaN
    error: np.ndarray  # a judged point's standard error in metres (estimate_error), else 0

    @cached_property
    def kinds(self) -> np.ndarray:
        """``family``, ``role`` and ``lean`` as integer codes, -1 for none (a column each): pairs of
        codes compare many times faster than pairs of strings."""
        return np.column_stack([pd.factorize(v)[0] for v in (self.family, self.role, self.lean)])


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
    ki, kj = a.kinds[i], a.kinds[j]
    d[ki[:, 0] != kj[:, 0]] = np.inf
    # A role or a lean tells reports apart when both have one (a code of 0 or more) and they differ.
    d[((ki[:, 1:] != kj[:, 1:]) & (ki[:, 1:] >= 0) & (kj[:, 1:] >= 0)).any(axis=1)] = np.inf
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
    prec_class, tol_class = _classes(prec), _classes(tol)
    codes, _ = pd.factorize(prec_class * (tol_class.max(initial=0) + 1) + tol_class)
    groups = [np.flatnonzero(codes == c) for c in range(codes.max() + 1)] if len(codes) else []

    def search(task: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        members_a, members_b = task
        r_max = params.radius_m + prec[members_a].max() + prec[members_b].max()
        t_max = window + tol[members_a].max() + tol[members_b].max()
        scale = r_max / t_max
        pts_a = np.column_stack([xy[members_a], t[members_a] * scale])
        if members_b is members_a:
            local = cKDTree(pts_a).query_pairs(r_max * (1 + SEARCH_SLACK), p=np.inf, output_type="ndarray")
            i, j = members_a[local[:, 0]], members_a[local[:, 1]]
        else:
            pts_b = np.column_stack([xy[members_b], t[members_b] * scale])
            near = cKDTree(pts_a).sparse_distance_matrix(
                cKDTree(pts_b), r_max * (1 + SEARCH_SLACK), p=np.inf, output_type="ndarray"
            )
            i, j = members_a[near["i"]], members_b[near["j"]]
        return np.column_stack([np.minimum(i, j), np.maximum(i, j)])

    tasks = [(a, b) for k, a in enumerate(groups) for b in groups[k:] if b is not a or len(a) > 1]
    # The largest searches first, spread over the cores: scipy builds and searches its trees without
    # holding the interpreter (5 s in one thread at a million reports, over 150 pairs of classes).
    tasks.sort(key=lambda task: -(len(task[0]) + len(task[1])))
    with ThreadPoolExecutor(max_workers=min(cores(), max(len(tasks), 1))) as pool:
        found = [np.empty((0, 2), dtype=np.int64), *pool.map(search, tasks)]
    return distinct_pairs(np.concatenate(found))


def _arrays(reports: gpd.GeoDataFrame, crs: object, params: CorroborationParams) -> _Arrays:
    to_xy = transformer(4326, crs)
    xy = np.column_stack(points_in(reports.geometry, crs))
    # A launch triangulated with others stands at their fix, the best estimate of where the weapon
    # was: its own judged point may lie kilometres away from its partners'.
    fixed = _column(reports, "origin_method", dtype=object) == "triangulated"
    if fixed.any():
        fx, fy = to_xy.transform(_column(reports, "origin_lon")[fixed], _column(reports, "origin_lat")[fixed])
        xy[fixed] = np.column_stack([fx, fy])
    prec = reports["location_precision_m"].astype(float).fillna(params.default_precision_m).to_numpy()
    # A sound-only report stands at its observer: the fire was anywhere within earshot.
    bearing = _bearing_centre(reports)
    heard = sound_only(reports, bearing=bearing)
    prec = np.where(heard, np.fmax(prec, params.sound_only_precision_m), prec)
    role = mapped(reports["type"], ROLE)
    error = estimate_error(reports)
    prec = np.where(role == "landing", np.fmax(prec, params.landing_error_share * error), prec)
    prec = np.fmax(prec, params.estimate_error_share * error)
    t, tol = time_bounds(reports)
    ox, oy = to_xy.transform(_column(reports, "observer_lon"), _column(reports, "observer_lat"))
    return _Arrays(
        xy=xy,
        prec=prec,
        t=t,
        tol=tol,
        family=mapped(reports["type"], TYPE_FAMILY, "other"),
        role=role,
        lean=firing_lean(reports, params, alone=~heard),
        source=pd.factorize(reports["source"])[0],
        observer_xy=np.column_stack([np.asarray(ox, dtype=float), np.asarray(oy, dtype=float)]),
        bearing=bearing,
        error=error,
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
    families
        Each report's source family (:func:`independence`), in the input's row order: the score
        counts side evidence once per family, and computing it again took a second at a million
        reports.
    """

    event_id: pd.Series
    events: gpd.GeoDataFrame
    links: np.ndarray
    families: np.ndarray


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
        return Corroboration(no_ids, empty, np.empty((0, 2), dtype=np.int64), np.empty(0, dtype=object))
    crs = theatre_crs(*centre_of(reports)) if crs is None else crs
    a = _arrays(reports, crs, params)

    pairs = _candidate_pairs(a.xy, a.prec, a.t, a.tol, params)
    d = _pair_distance(pairs[:, 0], pairs[:, 1], a, params)
    keep = d <= 1.0
    pairs, d = pairs[keep], d[keep]
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    label, spread = _split_components(component, pairs, d, a, params)
    links = [pairs]
    if params.link_shots:
        joined, shots = _link_shots(label, a, reports, params)
        links.append(_first_of(label, shots))
        label = joined
    family, p_true = independence(reports)
    event_id, events, exchanges = _summarise(reports, label, a, spread, (family, p_true), crs, params)
    links.append(_first_of(event_id.to_numpy(), exchanges))
    return Corroboration(event_id, events, np.concatenate(links).astype(np.int64), family)


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
    sigma = (
        mapped(reports["means"], DISTANCE_SIGMA_LOG, np.nan, float)
        if "means" in reports
        else np.full(len(reports), np.nan)
    )
    sigma = np.where(np.isnan(sigma), FALLBACK_DISTANCE_SIGMA_LOG, sigma)
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
    keys, at = np.unique(label, return_inverse=True)
    size = np.bincount(at, minlength=len(keys))
    order = np.argsort(at, kind="stable")
    starts = np.r_[0, np.cumsum(size)[:-1]]
    # One role for the whole event, else none: every report known and all the same.
    role = np.full(len(keys), None, dtype=object)
    for name in ("launch", "landing"):
        role[np.bincount(at, weights=a.role == name, minlength=len(keys)) == size] = name
    w = 1.0 / np.square(a.prec)
    sums = pd.DataFrame({"x": a.xy[:, 0] * w, "y": a.xy[:, 1] * w, "w": w}).groupby(at).sum()
    prec = np.fmax(a.prec, a.error)
    # The most precise report: the first of the event's sorted by tolerance, then uncertainty.
    best = np.lexsort((prec, a.tol, at))[starts]
    weapon = _column(reports, "weapon", dtype=object)
    named = np.flatnonzero(pd.notna(weapon) & (weapon != "unknown"))
    code, _ = pd.factorize(weapon[named])
    lowest, highest = np.full(len(keys), len(named)), np.full(len(keys), -1)
    np.minimum.at(lowest, at[named], code)
    np.maximum.at(highest, at[named], code)
    weapons = np.full(len(keys), None, dtype=object)
    has, first = np.unique(at[named], return_index=True)
    weapons[has] = weapon[named[first]]
    weapons[lowest < highest] = "mixed"
    leaning = np.flatnonzero(pd.notna(a.lean))
    sides = np.full(len(keys), None, dtype=object)
    has, first = np.unique(at[leaning], return_index=True)
    sides[has] = a.lean[leaning[first]]
    out = pd.DataFrame(
        {
            "role": role,
            "x": sums["x"].to_numpy() / sums["w"].to_numpy(),
            "y": sums["y"].to_numpy() / sums["w"].to_numpy(),
            "prec": np.minimum.reduceat(prec[order], starts),
            "t": a.t[best],
            "tol": a.tol[best],
            "weapon": weapons,
            "fired_by": sides,
        },
        index=keys,
    )
    return out[pd.notna(role) & (weapons != "mixed")]


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
    used_l, used_i = distinct(i), distinct(j)
    n_landing = np.bincount(comp[m + used_i], minlength=comp.max() + 1)
    # Nor are launches whose evidence names two firing sides: each may have fired the rounds that
    # landed (the landing names no side), but they are two guns, most often an exchange's two ends,
    # that the pair test kept apart. Joined, the event took one side for both guns' reports.
    fired_by = launch["fired_by"].to_numpy(dtype=object)[used_l]
    named = [
        np.bincount(comp[used_l], weights=fired_by == side, minlength=len(n_landing)) > 0 for side in SIDES
    ]
    star = (n_landing == 1) & ~np.logical_and.reduce(named)
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


# Components split by scipy's linkage are measured together, a batch of one size at a time, up to
# about this many pairs of reports at once.
PAIRS_PER_BATCH = 1 << 20


def _split_components(
    component: np.ndarray, pairs: np.ndarray, d: np.ndarray, a: _Arrays, params: CorroborationParams
) -> tuple[np.ndarray, np.ndarray]:
    """Split each connected component of the matching pairs by complete linkage, so that every pair
    inside an event matches.

    Returns each report's label (its component times the number of reports, plus the number
    ``fcluster`` gives its event within the component, or plus 0 for a report alone) and its
    event's spread (the largest normalised distance between two of its reports, 0 alone).

    ``pairs`` (sorted, with their distances ``d``) are all the matching pairs: :func:`_candidate_pairs`
    misses none, so a pair of one component not among them does not match. Most components need no
    linkage, and get what linkage and ``fcluster`` give them:

    * every pair matches (two reports always): complete linkage merges at pair distances, the last
      at the largest, at most 1, so ``fcluster`` makes one cluster and numbers it 1;
    * three reports, one pair not matching: ``fcluster`` numbers 1 the pair merged first and 2 the
      third report (merged last, above 1). scipy's nearest-neighbour chain merges first the closer
      of the two matching pairs, the first in condensed (sorted) order on a tie.

    The others go through scipy, those too large for linkage through :func:`_greedy_complete`.
    """
    n = len(component)
    sizes = np.bincount(component)
    label = component.astype(np.int64) * n
    spread = np.zeros(n)
    pair_comp = component[pairs[:, 0]]
    n_pairs = np.bincount(pair_comp, minlength=len(sizes))
    large = sizes > MAX_LINKAGE

    # Every pair matching: one event, as wide as its widest pair.
    clique = (sizes > 1) & (n_pairs == sizes * (sizes - 1) // 2) & ~large
    widest = np.zeros(len(sizes))
    np.maximum.at(widest, pair_comp, d)
    in_clique = clique[component]
    label[in_clique] += 1
    spread[in_clique] = widest[component[in_clique]]

    # Three reports, two matching pairs: the closer pair (the first, in the sorted pairs, on a tie)
    # is event 1, the third report event 2.
    triple = (sizes == 3) & (n_pairs == 2) & ~large
    at = np.flatnonzero(triple[pair_comp])
    at = at[np.argsort(pair_comp[at], kind="stable")]
    first, second = at[0::2], at[1::2]
    merged = np.where(d[second] < d[first], second, first)
    label[triple[component]] += 2
    label[pairs[merged].ravel()] -= 1
    spread[pairs[merged].ravel()] = np.repeat(d[merged], 2)

    # The others, in batches of one size: reports of a component in ascending order, a row each.
    order = np.argsort(component, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)])
    rest = (sizes > 1) & ~clique & ~triple & ~large
    for m in np.unique(sizes[rest]).tolist():
        ii, jj = np.triu_indices(m, k=1)
        comps = np.flatnonzero(rest & (sizes == m))
        step = max(1, PAIRS_PER_BATCH // len(ii))
        for lo in range(0, len(comps), step):
            members = order[starts[comps[lo : lo + step], None] + np.arange(m)]
            _link_alike(members, ii, jj, label, spread, a, params)

    if large.any():
        neighbours = _neighbours(pairs, n)
    for comp in np.flatnonzero(large):
        members = order[starts[comp] : starts[comp + 1]]
        sub = _greedy_complete(members, neighbours, a.t)
        label[members] += sub
        _spread_of(members, sub, spread, a, params)
    return label, spread


def _link_alike(
    members: np.ndarray,
    ii: np.ndarray,
    jj: np.ndarray,
    label: np.ndarray,
    spread: np.ndarray,
    a: _Arrays,
    params: CorroborationParams,
) -> None:
    """Split components of one size by complete linkage, writing into ``label`` and ``spread``.

    ``members`` holds one component a row, its reports in ascending order; ``ii``, ``jj`` are the
    condensed (upper triangle) pairs of a row. All rows are measured at once, linked one by one.
    """
    k, m = members.shape
    dm = _pair_distance(members[:, ii].ravel(), members[:, jj].ravel(), a, params)
    dm = np.minimum(dm, 1e6).reshape(k, len(ii))
    sub = np.stack([_flat_clusters(linkage(row, method="complete")) for row in dm])
    label[members] += sub
    # An event's spread is its largest pair distance, each event numbered apart by its row.
    event = np.arange(k)[:, None] * (m + 1) + sub
    inside = sub[:, ii] == sub[:, jj]
    widest = np.zeros(k * (m + 1))
    np.maximum.at(widest, event[:, ii][inside], dm[inside])
    spread[members] = widest[event]


def _flat_clusters(z: np.ndarray) -> np.ndarray:
    """``fcluster(z, t=1.0, criterion="distance")`` of a complete linkage ``z``, without the cost of
    its checks (most of the time of a small component).

    Complete linkage merges at heights that never decrease up the tree, and ``z`` lists its merges
    by height: the clusters are the subtrees of the merges at 1 or below (a prefix of ``z``) and
    the reports above them alone. ``fcluster`` numbers them from 1 as it walks down from the root:
    at each node first the node's subtree children (left, right), each a cluster or walked in
    turn, then its report children (left, right).
    """
    n = len(z) + 1
    children = z[:, :2].astype(np.int64)
    below = int(np.searchsorted(z[:, 2], 1.0, side="right"))
    # Each node's top within the clusters: itself, or its cluster's merge.
    top = np.arange(2 * n - 1)
    top[children[:below].ravel()] = np.repeat(np.arange(n, n + below), 2)
    while not np.array_equal(top, top[top]):
        top = top[top]
    number = np.zeros(2 * n - 1, dtype=np.int32)
    count = 0
    walk = [2 * n - 2]
    while walk:
        node = walk.pop()
        if node < n + below:  # a report alone or a cluster: the next number
            count += 1
            number[node] = count
            continue
        left, right = children[node - n].tolist()
        walk.extend(reversed([c for c in (left, right) if c >= n] + [c for c in (left, right) if c < n]))
    return number[top[:n]]


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


def _uid_text(reports: pd.DataFrame) -> pa.Array:
    """The reports' uids as one Arrow string array (as text: a uid is never missing)."""
    text = arrow_text(reports["uid"])
    if text is None or text.null_count:
        text = pa.array(reports["uid"].astype(str).to_numpy(dtype=object), pa.string())
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    return text.cast(pa.string())


def _event_ids(uids: pa.Array, label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Name each event by a hash of its member uids (sorted), so the id is stable when recomputed.

    Returns the distinct ids, sorted, and each report's event: its id's position among them (two
    labels with one id, were there any, are one event, as grouping by the id makes them).

    Sorting, joining and spelling out the ids run in Arrow and numpy: only the hashing itself is
    one Python call per event (the whole took 2 s at a million reports with Python text).
    """
    order = pc.sort_indices(
        pa.table({"label": label, "uid": uids}), sort_keys=[("label", "ascending"), ("uid", "ascending")]
    ).to_numpy()
    k = label[order]
    new = np.r_[True, k[1:] != k[:-1]]
    bounds = np.r_[np.flatnonzero(new), len(k)].astype(np.int32)
    # Each event's uids joined by the unit separator, as bytes (UTF-8, as str.encode gives them).
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(bounds), uids.take(pa.array(order))), "\x1f")
    digests = b"".join([hashlib.sha1(b).digest()[:6] for b in joined.cast(pa.binary()).to_pylist()])
    raw = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 6)
    # The 6 bytes as one integer sort as their 12 hex digits do: distinct ids in the order of their text.
    value = np.zeros((len(raw), 8), dtype=np.uint8)
    value[:, 2:] = raw
    _, first, of_label = np.unique(value.view(">u8").ravel(), return_index=True, return_inverse=True)
    ids = _hex_ids(raw[first])
    event = np.empty(len(label), dtype=np.int64)
    event[order] = of_label[np.cumsum(new) - 1]
    return ids, event


def _hex_ids(raw: np.ndarray) -> np.ndarray:
    """``'ev-'`` and each row of bytes in hex (lower case), as Python text (an object array)."""
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    spelt = np.empty((len(raw), 3 + 2 * raw.shape[1]), dtype=np.uint8)
    spelt[:, :3] = np.frombuffer(b"ev-", dtype=np.uint8)
    spelt[:, 3::2] = digits[raw >> 4]
    spelt[:, 4::2] = digits[raw & 15]
    return spelt.view(f"S{spelt.shape[1]}").ravel().astype(str).astype(object)


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
        target = pd.Series(cites[citing].astype(str))
        # Only the reports cited, and the sources of the citations not found, are indexed: an
        # index of a million uids took half a second to build.
        uids = reports["uid"].astype(str)
        rows = np.flatnonzero(among(uids, set(target)))
        at = pd.Series(rows, index=uids.iloc[rows].to_numpy(dtype=object))
        at = at[~at.index.duplicated()]
        cited = target.map(at).to_numpy(dtype=float)
        known = np.isfinite(cited)
        k = cited[known].astype(np.int64)
        # A source's own family (its first report's), before any citation is resolved.
        rows = np.flatnonzero(among(pd.Series(source), set(target[~known])))
        of_source = pd.Series(family[rows], index=source[rows])
        of_source = of_source[~of_source.index.duplicated()]
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
    independent: tuple[np.ndarray, np.ndarray],
    crs: object,
    params: CorroborationParams,
) -> tuple[pd.Series, gpd.GeoDataFrame, np.ndarray]:
    """The events' table, each report's event id and the pairs of event ids tested as an exchange.

    ``independent`` is each report's family and probability of being true (:func:`independence`).

    Events are numbered in the order of their ids, and every column is computed for all of them at
    once from the reports sorted by event (no per-event pandas): sums and medians by pandas'
    grouped kernels (its compensated sums), the rest by sorting and counting integer codes.
    """
    uids = _uid_text(reports)
    ids, event = _event_ids(uids, label)
    n_events = len(ids)
    order = np.argsort(event, kind="stable")
    starts = np.r_[0, np.cumsum(np.bincount(event, minlength=n_events))[:-1]]
    family, p_true = independent
    w = 1.0 / np.square(a.prec)
    # A shot's event stands where it landed: its launch reports locate the weapon, not the event.
    landed = np.isin(label, label[a.role == "landing"])
    w = np.where(landed & (a.role == "launch"), 0.0, w)
    sums = pd.DataFrame({"x": a.xy[:, 0] * w, "y": a.xy[:, 1] * w, "w": w}).groupby(event).sum()
    # A family (a party with its channels, a source with those citing it) counts once per event:
    # its best report stands for it.
    by_family, families, of_family = _distinct(event, family)
    best = np.full(len(families), -np.inf)
    np.maximum.at(best, of_family, p_true)
    miss = pd.Series(np.log1p(-np.minimum(best, 0.999))).groupby(by_family).sum().to_numpy()
    by_source, sources, _ = _distinct(event, reports["source"].to_numpy(dtype=object))
    weapon = reports["weapon"].fillna("unknown").to_numpy(dtype=object)
    known = weapon != "unknown"
    # Every pair in an event matches, so its leaning reports all lean one way.
    leaning = np.flatnonzero(pd.notna(a.lean))
    leaned, first_lean = np.unique(event[leaning], return_index=True)
    lean = np.full(n_events, None, dtype=object)
    lean[leaned] = a.lean[leaning[first_lean]]
    index = pd.Index(ids, name="event_id")
    events = pd.DataFrame(
        {
            "x": sums["x"].to_numpy() / sums["w"].to_numpy(),
            "y": sums["y"].to_numpy() / sums["w"].to_numpy(),
            "occurred_at": pd.Series(reports["occurred_at"].array).groupby(event).median().array,
            "n_reports": np.bincount(event, minlength=n_events),
            "n_sources": np.bincount(by_source, minlength=n_events),
            "n_families": np.bincount(by_family, minlength=n_events),
            "sources": _lists(by_source, sources, index),
            "report_uids": _lists(event[order], uids.take(pa.array(order)), index),
            "type": _modes(
                event, reports["type"].to_numpy(dtype=object), n_events, vague="undetermined_explosion"
            ),
            # Filled after the column is made, as a column of no weapon at all stays an object one.
            "weapon": pd.Series(_modes(event[known], weapon[known], n_events), index=index).fillna("unknown"),
            "lean": lean,
            "agreement": 1.0 - params.disagreement_penalty * np.maximum.reduceat(spread[order], starts),
        },
        index=index,
    )
    events["confidence"] = (1.0 - np.exp(miss)) * events["agreement"]
    events["exchange_id"], exchanges = _exchanges(events, params)
    # The coordinates' transform, as GeoSeries.to_crs does it, without making points twice.
    lon, lat = transformer(crs, 4326).transform(events["x"].to_numpy(), events["y"].to_numpy())
    out = gpd.GeoDataFrame(
        events.drop(columns=["x", "y", "lean"]).reset_index(), geometry=gpd.points_from_xy(lon, lat), crs=4326
    )
    return pd.Series(ids[event], index=reports.index, name="event_id"), out, exchanges


def _distinct(event: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (event, value) pairs, sorted by event then value (as strings); no value missing.

    Returns each pair's event and value, and each report's pair (a position among them).
    """
    code, names = pd.factorize(values)
    order = np.argsort(names.astype(str))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    width = max(len(names), 1)
    key, pair = np.unique(event * width + rank[code], return_inverse=True)
    return key // width, names[order][key % width], pair


def _lists(event: np.ndarray, values: np.ndarray | pa.Array, index: pd.Index) -> pd.Series:
    """Each event's values in their order, as an Arrow list of text (``event`` sorted, every event of
    ``index`` in it): the type the stored analysis reads back as, made without a Python list per event."""
    offsets = np.r_[0, np.cumsum(np.bincount(event, minlength=len(index)))].astype(np.int32)
    flat = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
    listed = pa.ListArray.from_arrays(pa.array(offsets), flat)
    return pd.Series(pd.arrays.ArrowExtensionArray(listed), index=index)


def _modes(
    event: np.ndarray,
    values: np.ndarray,
    n_events: int,
    *,
    vague: object = None,
) -> np.ndarray:
    """Each event's most common value (ties: the smallest), None for an event without one.

    A ``vague`` value (an 'undetermined_explosion' among types) counts only in an event without
    another.
    """
    known = pd.notna(values)
    in_event, value, pair = _distinct(event[known], values[known])
    count = np.bincount(pair, minlength=len(value))
    if vague is not None:
        wanted = value != vague
        keep = wanted | (np.bincount(in_event, weights=wanted, minlength=n_events) == 0)[in_event]
        in_event, value, count = in_event[keep], value[keep], count[keep]
    # Pairs are sorted by event then value: the most common comes first with a stable sort by count.
    best = np.lexsort((-count, in_event))
    best = best[np.diff(in_event[best], prepend=-1) != 0]
    out = np.full(n_events, None, dtype=object)
    out[in_event[best]] = value[best]
    return out


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
    ns = pd.DatetimeIndex(events["occurred_at"]).as_unit("ns").asi8[idx]
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
    members: dict[int, list[str]] = {}
    for c, event in zip(comp[linked].tolist(), events.index.to_numpy()[idx][linked].tolist(), strict=True):
        members.setdefault(c, []).append(event)
    names = {
        c: "xc-" + hashlib.sha1("\x1f".join(sorted(m)).encode()).hexdigest()[:12] for c, m in members.items()
    }
    out.iloc[idx[linked]] = np.array([names[c] for c in comp[linked].tolist()], dtype=object)
    return out, events.index.to_numpy()[idx[pairs]]
