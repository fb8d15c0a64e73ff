"""Score events: how likely each is a violation, by which side, and every reason with its weight."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.attribution.sides import ATTRIBUTION_THRESHOLD
from geo.corroborate import independence
from geo.errors import InputError

SIDES: tuple[str, ...] = ("UA", "RU")

# Types whose reported location is where the weapon was: the side that controls it is responsible.
FIRING_POSITION_TYPES = frozenset({"outgoing_fire", "muzzle_flash", "weapon_sighting"})
# Types whose reported location is where the fire landed: weak evidence against the other side.
LANDING_TYPES = frozenset({"impact", "undetermined_explosion", "air_or_drone_strike"})


@dataclass(frozen=True)
class ScoreParams:
    """The scoring settings; docs/METHOD.md ("Score") gives each default and why."""

    likely: float = 0.5
    possible: float = 0.3
    attribution_threshold: float = ATTRIBUTION_THRESHOLD
    # Evidence strength for a side from where a weapon or firing position was seen.
    position_p: float = 0.95
    # Impact evidence: p(other side) rises from 0.5 at the line to this at impact_full_m inside.
    impact_max_p: float = 0.8
    impact_full_m: float = 10_000.0
    # Pattern evidence: membership in a significant space-time cluster or surge (geo.patterns) each
    # adds this as an independent chance that the event happened (docs/METHOD.md, "Patterns").
    pattern_weight: float = 0.3

    def __post_init__(self) -> None:
        if not 0 < self.possible < self.likely <= 1:
            msg = f"Score thresholds possible={self.possible} and likely={self.likely} are out of order."
            raise InputError(msg, hint="Use 0 < possible < likely <= 1.")
        if not 0 <= self.pattern_weight < 1:
            msg = f"The pattern weight {self.pattern_weight} is out of range."
            raise InputError(msg, hint="Use a weight from 0 (patterns ignored) to below 1.")


def level_of(score: np.ndarray | pd.Series, params: ScoreParams) -> np.ndarray:
    """Return 'likely', 'possible' or 'unlikely' for each score."""
    s = np.asarray(score, dtype=float)
    return np.where(s >= params.likely, "likely", np.where(s >= params.possible, "possible", "unlikely"))


def side_evidence(reports: pd.DataFrame, params: ScoreParams) -> pd.DataFrame:
    """Return each report's probability that side UA acted, and the reason in words.

    Columns ``p_UA`` (NaN where the report says nothing about a side), ``basis`` and ``sentence``.
    Origin estimates from bearings come first; then where a weapon or firing position was seen;
    then, weakly, which side an impact landed on. A report with an observer is located at the
    observer unless it has a bearing or a distance, so its place is neither a firing position nor
    a landing point: it gives side evidence only through its origin estimate.
    """
    n = len(reports)
    p_ua = np.full(n, np.nan)
    basis = np.full(n, None, dtype=object)
    side = reports.get("side", pd.Series([None] * n, index=reports.index)).to_numpy()
    rtype = reports["type"].to_numpy()

    if "origin_p_UA" in reports:
        origin = reports["origin_p_UA"].astype(float).to_numpy()
        has = np.isfinite(origin)
        p_ua[has] = origin[has]
        basis[has] = "origin"
    observer = reports.get("observer_lon", pd.Series(np.nan, index=reports.index)).astype(float).to_numpy()
    located = ~np.isfinite(observer)
    free = np.isnan(p_ua)
    at_position = free & located & np.isin(rtype, list(FIRING_POSITION_TYPES)) & np.isin(side, SIDES)
    p_ua[at_position] = np.where(side[at_position] == "UA", params.position_p, 1 - params.position_p)
    basis[at_position] = "position"
    free = np.isnan(p_ua)
    distance = np.zeros(n, dtype=bool)
    for name in ("distance_min_m", "distance_max_m"):
        if name in reports:
            distance |= np.isfinite(reports[name].astype(float).to_numpy())
    landed = free & (located | distance) & np.isin(rtype, list(LANDING_TYPES)) & np.isin(side, SIDES)
    depth = reports.get("dist_to_line_m", pd.Series(np.nan, index=reports.index)).astype(float).to_numpy()
    lean = (params.impact_max_p - 0.5) * np.clip(np.nan_to_num(depth) / params.impact_full_m, 0, 1)
    p_ua[landed] = np.where(side[landed] == "RU", 0.5 + lean[landed], 0.5 - lean[landed])
    basis[landed] = "landing"

    sentences = np.full(n, None, dtype=object)
    for kind, text in (
        ("origin", "the estimated origin of the fire lies {p:.0%} in {s}-controlled area"),
        ("position", "the weapon or firing position was seen in {s}-controlled area"),
        ("landing", "the fire landed {d:.1f} km inside {o}-controlled area, so it more likely came from {s}"),
    ):
        idx = np.flatnonzero(basis == kind)
        # Formatting sentences only (the figures above are vectorised), from plain floats.
        said = []
        for p, d in zip(p_ua[idx].tolist(), (depth[idx] / 1000).tolist(), strict=True):
            s = "UA" if p >= 0.5 else "RU"
            said.append(text.format(p=max(p, 1 - p), s=s, o="RU" if s == "UA" else "UA", d=d))
        sentences[idx] = said
    return pd.DataFrame({"p_UA": p_ua, "basis": basis, "sentence": sentences}, index=reports.index)


def _pooled(evidence: pd.DataFrame) -> pd.Series:
    """Pool each event's independent probabilities for UA by summing log-odds (each observation once).

    One vectorised sum over all events (a groupby with a Python function per event took 159 s at a
    million reports).
    """
    q = evidence["p_UA"].clip(0.01, 0.99).to_numpy(dtype=float)
    logit = pd.Series(np.log(q / (1 - q)), index=evidence.index).groupby(evidence["event_id"]).sum()
    return 1 / (1 + np.exp(-logit))


def _spans(keys: pd.Series, table_keys: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each key's rows of a table lie once the table is grouped by key.

    Returns ``order``, the table's row positions grouped by key (in row order within a key; rows
    whose key is not among ``keys`` are left out), and each of ``keys``'s ``start`` and ``count``
    in it (a missing key has none). One factorisation of both and one stable sort: a dict of arrays
    per group (groupby ``.indices``) cost seconds at a million reports.
    """
    codes, uniques = pd.factorize(pd.concat([keys, table_keys], ignore_index=True))
    mine, table = codes[: len(keys)], codes[len(keys) :]
    # One slot more than there are keys, never wanted: a missing key (code -1) finds it empty.
    wanted = np.zeros(len(uniques) + 1, dtype=bool)
    wanted[mine] = True
    wanted[-1] = False
    kept = np.flatnonzero(wanted[table])
    order = kept[np.argsort(table[kept], kind="stable")]
    count = np.bincount(table[kept], minlength=len(uniques) + 1)
    start = np.cumsum(count) - count
    return order, start[mine], count[mine]


def score_events(
    events: pd.DataFrame,
    reports: pd.DataFrame,
    reasons: pd.DataFrame,
    *,
    params: ScoreParams | None = None,
    patterns: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Score each event.

    Parameters
    ----------
    events
        From :func:`geo.corroborate.group_reports`: ``event_id``, ``confidence``.
    reports
        The enriched reports with ``uid``, ``event_id``, ``source``, ``type``, ``side``,
        ``dist_to_line_m`` and the origin columns.
    reasons
        From :func:`geo.rules.evaluate`: ``uid``, ``code``, ``severity``, ``weight``, ``sentence``.
    params
        Thresholds and evidence strengths.
    patterns
        From :func:`geo.patterns.pattern_evidence`: ``uid``, ``code``, ``p_value``, ``sentence``;
        each code on any of an event's reports raises its confidence by ``params.pattern_weight``
        as an independent chance (noisy-OR). None or empty: no pattern evidence.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``events``: ``event_id``, ``violation_score``, ``flag_level``,
        ``attributed_side``, ``attributed_side_p``, ``p_UA``, and ``reasons``: a list of dicts
        (``kind``, ``code``, ``weight``, ``sentence``) that explains the score.
    """
    params = params or ScoreParams()
    missing = {"uid", "event_id", "source", "type"} - set(reports.columns)
    if missing:
        msg = f"Reports to score lack the column(s) {', '.join(sorted(missing))}."
        raise InputError(msg, hint="Corroborate them first (geo.corroborate.group_reports).")
    to_event = reports.set_index("uid")["event_id"]
    # Reasons in one order, by report uid (each report's in the rules' order): ties between equal
    # reasons break by it, whichever way the table was built (geo.incremental rebuilds it in parts).
    reasons = reasons.sort_values("uid", kind="stable")

    # Rule evidence: each reason code counts once per event at its highest weight; breaches combine
    # as independent chances that the event breaches the agreement (noisy-OR), the strongest
    # mitigation (a notified activity, an observer's lawful assessment) scales that down, and a cap
    # (a time straddling the effective time) keeps the event at most 'possible'.
    r = reasons.assign(event_id=reasons["uid"].map(to_event)).dropna(subset=["event_id"])
    if "effect" not in r:
        r = r.assign(effect="breach")
    best = r.sort_values("weight", ascending=False, kind="stable").drop_duplicates(["event_id", "code"])
    breaches = best[best["effect"] == "breach"]
    breach = 1 - np.exp(np.log1p(-breaches["weight"].clip(upper=0.999)).groupby(breaches["event_id"]).sum())
    mitigations = best[best["effect"] == "mitigate"]
    mitigation = mitigations.groupby("event_id")["weight"].max().clip(0, 1)
    capped = _capped(r)

    evidence = side_evidence(reports, params).join(reports[["event_id", "uid"]])
    evidence["family"] = _families(reports)
    decisive = _decisive(evidence.dropna(subset=["p_UA"]), reports)
    p_ua = _pooled(decisive)

    pattern = _pattern_reasons(patterns, to_event)
    lift = 1 - (1 - params.pattern_weight) ** pattern.groupby("event_id").size()

    out = events[["event_id", "confidence"]].copy()
    out["breach"] = out["event_id"].map(breach).fillna(0.0)
    happened = 1 - (1 - out["confidence"]) * (1 - out["event_id"].map(lift).fillna(0.0))
    raw = happened * out["breach"] * (1 - out["event_id"].map(mitigation).fillna(0.0))
    raw = np.where(out["event_id"].isin(capped), np.minimum(raw, params.possible), raw)
    out["violation_score"] = np.round(raw, 4)
    out["flag_level"] = level_of(out["violation_score"], params)
    out["p_UA"] = out["event_id"].map(p_ua)
    side_p = np.fmax(out["p_UA"], 1 - out["p_UA"])
    decided = side_p >= params.attribution_threshold
    out["attributed_side"] = np.where(decided, np.where(out["p_UA"] >= 0.5, "UA", "RU"), "undetermined")
    out["attributed_side_p"] = side_p.round(4)
    out["side_reason"] = _side_reasons(out, decisive, params)
    out["reasons"] = _explain(out, best, decisive, pattern, params.pattern_weight)
    return out.drop(columns=["breach"])


def _capped(reasons: pd.DataFrame) -> set:
    """Events whose every breaching report carries a cap: one precise report of the breach lifts it."""
    cap = reasons["effect"] == "cap"
    uncapped = (reasons["effect"] == "breach") & ~reasons["uid"].isin(reasons.loc[cap, "uid"])
    events = reasons["event_id"].to_numpy(dtype=object)
    return set(events[cap.to_numpy()]) - set(events[uncapped.to_numpy()])


def _families(reports: pd.DataFrame) -> np.ndarray:
    """Each report's source family (geo.corroborate.independence), or its source when grades are absent."""
    if {"reliability", "credibility"} <= set(reports.columns):
        return independence(reports)[0]
    family = reports.get("source_family", pd.Series(None, index=reports.index, dtype=object))
    return family.where(family.notna(), reports["source"]).to_numpy(dtype=object)


def _decisive(evidence: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """The side evidence that counts, once per independent observation.

    Each source family counts once per event with its strongest evidence; reports triangulated into
    one origin (``origin_group``) are one observation, whichever families they come from; and where
    the fire landed is one fact of the event however many report it, so landing evidence counts
    once per event (its strongest).
    """
    if evidence.empty:
        return evidence.assign(strength=pd.Series(dtype=float))
    ev = evidence.assign(strength=evidence["p_UA"].sub(0.5).abs())
    group = reports.get("origin_group", pd.Series(None, index=reports.index, dtype=object)).reindex(ev.index)
    key = np.where(
        (ev["basis"] == "origin") & group.notna(),
        "group:" + group.astype(str),
        np.where(ev["basis"] == "landing", "landing", "family:" + ev["family"].astype(str)),
    )
    ev = ev.assign(key=key).sort_values("strength", ascending=False, kind="stable")
    # A family's strongest evidence, then one per observation and one landing.
    ev = ev.drop_duplicates(["event_id", "family"])
    return ev.drop_duplicates(["event_id", "key"]).sort_index()


def _side_reasons(out: pd.DataFrame, decisive: pd.DataFrame, params: ScoreParams) -> list[str]:
    """One sentence per event: why this side (with its probability and the reports behind it), or why none."""
    # The strongest first within each event, ties in their order.
    ranked = decisive.sort_values("strength", ascending=False, kind="stable")
    said = (ranked["uid"].astype(str) + ": " + ranked["sentence"].astype(str)).to_numpy(dtype=object)
    order, start, count = _spans(out["event_id"], ranked["event_id"])
    # The three strongest, joined column-wise: the k-th of each event that has one.
    why = np.full(len(out), "", dtype=object)
    for k in range(3):
        has = count > k
        first = said[order[start[has] + k]]
        why[has] = first if k == 0 else why[has] + "; " + first
    none = "No side named: no report locates the weapon or where the fire landed."
    sentences = []
    for side, p_ua, n, because in zip(
        out["attributed_side"].tolist(), out["p_UA"].tolist(), count.tolist(), why.tolist(), strict=True
    ):
        if not n or not math.isfinite(p_ua):
            sentences.append(none)
            continue
        lead = "UA" if p_ua >= 0.5 else "RU"
        # As attributed_side_p is stored, so the sentence and the column agree to the last digit shown.
        p = round(max(p_ua, 1 - p_ua), 4)
        more = f" (and {n - 3} more)" if n > 3 else ""
        if side in SIDES:
            sentences.append(f"Attributed to {side} (p {p:.2f}) because {because}{more}.")
        else:
            sentences.append(
                f"No side named: the evidence points to {lead} with p {np.floor(p * 100) / 100:.2f} only, below the "
                f"{params.attribution_threshold:.2f} needed ({because}{more})."
            )
    return sentences


def _pattern_reasons(patterns: pd.DataFrame | None, to_event: pd.Series) -> pd.DataFrame:
    """Each event's pattern codes, once per code with the smallest p-value among its reports."""
    if patterns is None or patterns.empty:
        return pd.DataFrame({"event_id": [], "code": [], "p_value": [], "sentence": []})
    p = patterns.assign(event_id=patterns["uid"].map(to_event)).dropna(subset=["event_id"])
    return p.sort_values("p_value", kind="stable").drop_duplicates(["event_id", "code"])


def _explain(
    out: pd.DataFrame,
    rule_reasons: pd.DataFrame,
    side_reasons: pd.DataFrame,
    pattern_reasons: pd.DataFrame,
    pattern_weight: float,
) -> list[list[dict]]:
    """Build each event's list of reasons: corroboration, patterns, the rules that fired, the side evidence.

    Every table's records are built once from plain lists (not element by element from the
    frames' Arrow-backed columns), then stacked in that order and grouped by event in one stable
    sort, so each event's reasons keep the order of the tables and of the rows within them.
    """
    kind_of = {"breach": "rule", "mitigate": "mitigation", "cap": "cap"}
    rule_records = [
        {"kind": kind_of.get(e, "rule"), "code": c, "weight": round(float(w), 3), "sentence": s}
        for c, w, s, e in zip(
            rule_reasons["code"].tolist(),
            rule_reasons["weight"].tolist(),
            rule_reasons["sentence"].tolist(),
            rule_reasons["effect"].tolist(),
            strict=True,
        )
    ]
    side_records = [
        {
            "kind": "side",
            "code": f"SIDE_{b.upper()}",
            "weight": round(abs(p - 0.5) * 2, 3),
            "sentence": f"{uid}: {s}",
        }
        for b, p, uid, s in zip(
            side_reasons["basis"].tolist(),
            side_reasons["p_UA"].tolist(),
            side_reasons["uid"].tolist(),
            side_reasons["sentence"].tolist(),
            strict=True,
        )
    ]
    pattern_records = [
        {"kind": "pattern", "code": c, "weight": round(pattern_weight, 3), "sentence": s}
        for c, s in zip(pattern_reasons["code"].tolist(), pattern_reasons["sentence"].tolist(), strict=True)
    ]
    records = np.array([*pattern_records, *rule_records, *side_records], dtype=object)
    owners = pd.concat(
        [pattern_reasons["event_id"], rule_reasons["event_id"], side_reasons["event_id"]], ignore_index=True
    )
    order, start, count = _spans(out["event_id"], owners)
    grouped = records[order].tolist()
    result = []
    for conf, first, n in zip(out["confidence"].tolist(), start.tolist(), count.tolist(), strict=True):
        head = {
            "kind": "corroboration",
            "code": "CONFIDENCE",
            "weight": round(float(conf), 3),
            "sentence": f"The event happened with confidence {conf:.0%} (sources and their Admiralty grades).",
        }
        result.append([head, *grouped[first : first + n]])
    return result
